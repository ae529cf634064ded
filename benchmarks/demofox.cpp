// Alan Wolfe's (demofox) OR/AND example from "How to Train Neural Networks With Backpropagation"
// (blog.demofox.org, 2017), written out in his style: two inputs feeding two sigmoid neurons, neuron 0
// learning OR and neuron 1 learning AND, quadratic cost ½‖target − output‖², learning rate 0.5.
// Every iteration backpropagates the four patterns, averages their gradients and takes one step
// (full-batch gradient descent).
//
//   demofox W0 W1 W2 W3 B0 B1 ITERATIONS
//
// Z0 = x0·W0 + x1·W1 + B0 (OR), Z1 = x0·W2 + x1·W3 + B1 (AND). Prints the final W0 W1 W2 W3 B0 B1.
// Build: c++ -O2 -o demofox demofox.cpp (float, as in the post; -DDEMOFOX_REAL=double for double)

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#ifndef DEMOFOX_REAL
#define DEMOFOX_REAL float
#endif
typedef DEMOFOX_REAL Real;

enum EWeightsBiases { e_weight0, e_weight1, e_weight2, e_weight3, e_bias0, e_bias1, e_count };

typedef std::array<Real, e_count> TWeightsBiases;

static const Real c_learningRate = Real(0.5);

struct STrainingSample {
    std::array<Real, 2> input;
    std::array<Real, 2> desiredOutput;     // OR, AND
};

static const std::array<STrainingSample, 4> c_trainingData = {{
    {{0, 0}, {0, 0}},
    {{0, 1}, {1, 0}},
    {{1, 0}, {1, 0}},
    {{1, 1}, {1, 1}},
}};

// Adds this sample's ∂cost/∂(weight or bias) to gradient.
static void ForwardPassAndBackpropagation(const STrainingSample& sample, const TWeightsBiases& weightsBiases,
                                          TWeightsBiases& gradient) {
    // neuron 0 (OR)
    Real Z0 = sample.input[0] * weightsBiases[e_weight0] + sample.input[1] * weightsBiases[e_weight1]
             + weightsBiases[e_bias0];
    Real O0 = Real(1) / (Real(1) + std::exp(-Z0));

    // neuron 1 (AND)
    Real Z1 = sample.input[0] * weightsBiases[e_weight2] + sample.input[1] * weightsBiases[e_weight3]
             + weightsBiases[e_bias1];
    Real O1 = Real(1) / (Real(1) + std::exp(-Z1));

    // deltaCost/deltaZ = deltaCost/deltaO * deltaO/deltaZ = (O - target) * O * (1 - O)
    Real neuron0Error = (O0 - sample.desiredOutput[0]) * O0 * (Real(1) - O0);
    Real neuron1Error = (O1 - sample.desiredOutput[1]) * O1 * (Real(1) - O1);

    // deltaCost/deltaWeight = neuronError * the input the weight multiplies
    gradient[e_weight0] += neuron0Error * sample.input[0];
    gradient[e_weight1] += neuron0Error * sample.input[1];
    gradient[e_bias0] += neuron0Error;
    gradient[e_weight2] += neuron1Error * sample.input[0];
    gradient[e_weight3] += neuron1Error * sample.input[1];
    gradient[e_bias1] += neuron1Error;
}

int main(int argc, char** argv) {
    if (argc != 8) {
        std::fprintf(stderr, "usage: %s W0 W1 W2 W3 B0 B1 ITERATIONS\n", argv[0]);
        return 2;
    }
    TWeightsBiases weightsBiases;
    for (int i = 0; i < e_count; ++i)
        weightsBiases[i] = Real(std::strtod(argv[1 + i], nullptr));
    long iterations = std::atol(argv[7]);

    for (long iteration = 0; iteration < iterations; ++iteration) {
        TWeightsBiases gradient = {};
        for (const STrainingSample& sample : c_trainingData)
            ForwardPassAndBackpropagation(sample, weightsBiases, gradient);
        for (int i = 0; i < e_count; ++i)
            weightsBiases[i] -= c_learningRate * gradient[i] / Real(c_trainingData.size());
    }

    for (int i = 0; i < e_count; ++i)
        std::printf("%.17g%c", double(weightsBiases[i]), i + 1 < e_count ? ' ' : '\n');
    return 0;
}
