/* A plain per-sample SGD loop in C: the reference for what the hardware does on small networks.

   c_loop DATA N SIZES ACTIVATIONS COST BATCH LR SECONDS MIN_SAMPLES [SEED]

   DATA: raw float32, the N×sizes[0] inputs then the N×sizes[-1] targets, row by row.
   SIZES: layer sizes, e.g. 2,4,2,1. ACTIVATIONS: one per weight layer, e.g. tanh,tanh,sigmoid
   (sigmoid, tanh, softmax). COST: cross-entropy (sigmoid output), log-likelihood (softmax output)
   or quadratic.
   Every epoch visits the N samples in a fresh random order. BATCH 1: forward, backprop and update
   per sample (online). BATCH m > 1: the gradients of m samples are summed, then the weights take
   one step of LR times their mean (the last batch of an epoch may be smaller). Training stops at
   the first epoch end with at least SECONDS elapsed and MIN_SAMPLES trained.
   Prints "samples_per_second samples seconds cost": cost is the mean cost over the N samples after
   training (which also keeps the work observable to the compiler).

   Weights are W[l] (sizes[l+1] × sizes[l]) row-major, so each neuron's dot product runs over
   contiguous memory. Build: cc -O2 -o c_loop c_loop.c -lm */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LAYERS 16
enum { SIGMOID, TANH, SOFTMAX };
enum { CROSS_ENTROPY, LOG_LIKELIHOOD, QUADRATIC };

static int L;                                   /* weight layers */
static int sizes[MAX_LAYERS + 1], acts[MAX_LAYERS];
static float *W[MAX_LAYERS], *b[MAX_LAYERS], *gW[MAX_LAYERS], *gb[MAX_LAYERS];
static float *a[MAX_LAYERS + 1], *delta[MAX_LAYERS + 1];  /* a[0] points at the sample */

static uint64_t rng_state = 88172645463325252ull;

static uint64_t next_random(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double uniform(void) { return (next_random() >> 11) * (1.0 / 9007199254740992.0); }

static double normal(void) {
    double u = uniform(), v = uniform();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int parse_ints(const char *text, int *out, int most) {
    int n = 0;
    char *copy = strdup(text), *token = strtok(copy, ",");
    while (token && n < most) { out[n++] = atoi(token); token = strtok(NULL, ","); }
    free(copy);
    return n;
}

static int activation_code(const char *name) {
    if (!strcmp(name, "sigmoid")) return SIGMOID;
    if (!strcmp(name, "tanh")) return TANH;
    if (!strcmp(name, "softmax")) return SOFTMAX;
    fprintf(stderr, "unknown activation %s\n", name);
    exit(2);
}

static void forward(void) {
    for (int l = 0; l < L; ++l) {
        int n_in = sizes[l], n_out = sizes[l + 1];
        const float *x = a[l];
        float *z = a[l + 1];
        for (int j = 0; j < n_out; ++j) {
            const float *w = W[l] + (size_t)j * n_in;
            float s = b[l][j];
            for (int i = 0; i < n_in; ++i) s += w[i] * x[i];
            z[j] = s;
        }
        if (acts[l] == SIGMOID) {
            for (int j = 0; j < n_out; ++j) z[j] = 1.0f / (1.0f + expf(-z[j]));
        } else if (acts[l] == TANH) {
            for (int j = 0; j < n_out; ++j) z[j] = tanhf(z[j]);
        } else {
            float top = z[0], total = 0.0f;
            for (int j = 1; j < n_out; ++j) top = z[j] > top ? z[j] : top;
            for (int j = 0; j < n_out; ++j) { z[j] = expf(z[j] - top); total += z[j]; }
            for (int j = 0; j < n_out; ++j) z[j] /= total;
        }
    }
}

/* δ of layer l's output (l ≥ 1 is a hidden layer) times σ'(z), from the activation a = σ(z). */
static void times_derivative(int l) {
    float *d = delta[l], *out = a[l];
    if (acts[l - 1] == SIGMOID)
        for (int j = 0; j < sizes[l]; ++j) d[j] *= out[j] * (1.0f - out[j]);
    else
        for (int j = 0; j < sizes[l]; ++j) d[j] *= 1.0f - out[j] * out[j];
}

/* Backpropagate the output error of one sample; online = update the weights at once (after δ of
   the layer below has been taken through the old weights), else add to the gradient sums. */
static void backward(const float *y, int cost, int online, float lr) {
    float *d = delta[L], *out = a[L];
    for (int j = 0; j < sizes[L]; ++j) d[j] = out[j] - y[j];
    if (cost == QUADRATIC) times_derivative(L);
    for (int l = L - 1; l >= 0; --l) {
        int n_in = sizes[l], n_out = sizes[l + 1];
        const float *dl = delta[l + 1], *x = a[l];
        if (l > 0) {
            float *below = delta[l];
            for (int i = 0; i < n_in; ++i) below[i] = 0.0f;
            for (int j = 0; j < n_out; ++j) {
                const float *w = W[l] + (size_t)j * n_in;
                for (int i = 0; i < n_in; ++i) below[i] += w[i] * dl[j];
            }
            times_derivative(l);
        }
        float *w = online ? W[l] : gW[l], *bias = online ? b[l] : gb[l];
        float scale = online ? -lr : 1.0f;
        for (int j = 0; j < n_out; ++j) {
            float s = scale * dl[j];
            float *row = w + (size_t)j * n_in;
            for (int i = 0; i < n_in; ++i) row[i] += s * x[i];
            bias[j] += s;
        }
    }
}

static void apply_batch(float step) {
    for (int l = 0; l < L; ++l) {
        size_t nw = (size_t)sizes[l] * sizes[l + 1];
        for (size_t k = 0; k < nw; ++k) { W[l][k] -= step * gW[l][k]; gW[l][k] = 0.0f; }
        for (int j = 0; j < sizes[l + 1]; ++j) { b[l][j] -= step * gb[l][j]; gb[l][j] = 0.0f; }
    }
}

int main(int argc, char **argv) {
    if (argc < 10) {
        fprintf(stderr, "usage: %s DATA N SIZES ACTIVATIONS COST BATCH LR SECONDS MIN_SAMPLES [SEED]\n", argv[0]);
        return 2;
    }
    long n = atol(argv[2]);
    int n_sizes = parse_ints(argv[3], sizes, MAX_LAYERS + 1);
    L = n_sizes - 1;
    char *names = strdup(argv[4]), *token = strtok(names, ",");
    for (int l = 0; l < L; ++l) {
        if (!token) { fprintf(stderr, "give one activation per weight layer\n"); return 2; }
        acts[l] = activation_code(token);
        token = strtok(NULL, ",");
    }
    int cost = !strcmp(argv[5], "quadratic") ? QUADRATIC
             : !strcmp(argv[5], "log-likelihood") ? LOG_LIKELIHOOD : CROSS_ENTROPY;
    long batch = atol(argv[6]);
    float lr = (float)atof(argv[7]);
    double seconds = atof(argv[8]);
    long min_samples = atol(argv[9]);
    if (argc > 10) rng_state ^= (uint64_t)atoll(argv[10]) * 0x9E3779B97F4A7C15ull;
    if (batch < 1 || batch > n) batch = n;

    int n_in = sizes[0], n_out = sizes[L];
    float *X = malloc(sizeof(float) * n * n_in), *Y = malloc(sizeof(float) * n * n_out);
    FILE *f = fopen(argv[1], "rb");
    if (!f || fread(X, sizeof(float), n * n_in, f) != (size_t)(n * n_in)
           || fread(Y, sizeof(float), n * n_out, f) != (size_t)(n * n_out)) {
        fprintf(stderr, "cannot read %ld samples from %s\n", n, argv[1]);
        return 1;
    }
    fclose(f);
    for (int l = 0; l < L; ++l) {
        size_t nw = (size_t)sizes[l] * sizes[l + 1];
        W[l] = malloc(sizeof(float) * nw);
        gW[l] = calloc(nw, sizeof(float));
        b[l] = malloc(sizeof(float) * sizes[l + 1]);
        gb[l] = calloc(sizes[l + 1], sizeof(float));
        for (size_t k = 0; k < nw; ++k) W[l][k] = (float)(normal() / sqrt((double)sizes[l]));
        for (int j = 0; j < sizes[l + 1]; ++j) b[l][j] = (float)normal();
        a[l + 1] = malloc(sizeof(float) * sizes[l + 1]);
        delta[l + 1] = malloc(sizeof(float) * sizes[l + 1]);
    }
    delta[0] = NULL;
    long *order = malloc(sizeof(long) * n);
    for (long i = 0; i < n; ++i) order[i] = i;

    long trained = 0;
    double started = now(), elapsed = 0.0;
    do {
        for (long i = n - 1; i > 0; --i) {            /* Fisher–Yates: a fresh order every epoch */
            long k = (long)(next_random() % (uint64_t)(i + 1)), t = order[i];
            order[i] = order[k];
            order[k] = t;
        }
        for (long start = 0; start < n; start += batch) {
            long m = n - start < batch ? n - start : batch;
            for (long s = start; s < start + m; ++s) {
                long i = order[s];
                a[0] = X + (size_t)i * n_in;
                forward();
                backward(Y + (size_t)i * n_out, cost, batch == 1, lr);
            }
            if (batch > 1) apply_batch(lr / (float)m);
        }
        trained += n;
        elapsed = now() - started;
    } while (elapsed < seconds || trained < min_samples);

    double total = 0.0;
    for (long i = 0; i < n; ++i) {
        a[0] = X + (size_t)i * n_in;
        forward();
        const float *y = Y + (size_t)i * n_out, *out = a[L];
        for (int j = 0; j < n_out; ++j) {
            double p = out[j] < 1e-7f ? 1e-7 : out[j] > 1 - 1e-7f ? 1 - 1e-7 : out[j];
            if (cost == QUADRATIC) total += 0.5 * (out[j] - y[j]) * (out[j] - y[j]);
            else if (cost == LOG_LIKELIHOOD) total -= y[j] * log(p);
            else total -= y[j] * log(p) + (1 - y[j]) * log(1 - p);
        }
    }
    printf("%.1f %ld %.6f %.6g\n", trained / elapsed, trained, elapsed, total / n);
    return 0;
}
