"""The output map's maths (workbench.core.maps): planes and grids, forward passes over them,
colour scales, class blending, 1-D contributions and the thumbnail mosaic."""

import numpy as np
import pytest

from workbench.core import maps
from workbench.core.network import Network


def one_sigmoid(w=(10.0, 0.0), b=0.0) -> Network:
    """2 → 1 sigmoid network with weights ``w`` and bias ``b``."""
    return Network([np.array(w, dtype=np.float32).reshape(2, 1)], [np.array([b], dtype=np.float32)],
                   ["sigmoid"], "cross-entropy")


def three_regions() -> Network:
    """2 → 3 softmax whose classes win at x1 ≪ 0, x2 ≫ 0 and x1 ≫ 0 (with x2 ≤ 0)."""
    W = np.array([[-20.0, 0.0, 20.0], [0.0, 20.0, -5.0]], dtype=np.float32)
    return Network([W], [np.zeros(3, np.float32)], ["softmax"], "log-likelihood")


# ---------------------------------------------------------------------- planes and grids
def test_plane_bounds_add_a_margin_and_survive_degenerate_data():
    X = np.array([[0.0, -1.0], [2.0, 3.0], [1.0, np.nan]])
    assert maps.plane_bounds(X) == pytest.approx((-0.2, 2.2, -1.4, 3.4))
    assert maps.plane_bounds(X, margin=0.0) == pytest.approx((0.0, 2.0, -1.0, 3.0))
    assert maps.plane_bounds(np.array([[5.0, 5.0]])) == pytest.approx((4.0, 6.0, 4.0, 6.0))
    assert maps.line_bounds(np.array([[0.0], [1.0]])) == pytest.approx((-0.1, 1.1))
    with pytest.raises(ValueError):
        maps.plane_bounds(np.zeros((3, 3)))
    assert maps.inside(X[:2], (0, 2, -1, 3)) and not maps.inside(X[:2], (0, 2, -0.5, 3))
    assert not maps.inside(np.zeros((0, 2)), (0, 1, 0, 1))


def test_grid_is_row_major_with_y_growing_down_the_rows():
    g = maps.grid_points((-1.0, 1.0, 0.0, 4.0), resolution=5)
    assert g.points.dtype == np.float32 and g.points.shape == (25, 2)
    assert g.resolution == 5
    i, j = 3, 1
    assert tuple(g.points[i * 5 + j]) == pytest.approx((g.xs[j], g.ys[i]))
    assert g.xs[0] == -1.0 and g.xs[-1] == 1.0 and g.ys[-1] == 4.0
    x, y, w, h = g.pixel_rect()           # each point is the centre of its pixel
    assert (x, y, w, h) == pytest.approx((-1.25, -0.5, 2.5, 5.0))
    with pytest.raises(ValueError):
        maps.grid_points((0, 1, 0, 1), resolution=1)


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "leaky-relu", "linear"])
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
def test_evaluator_matches_the_network(hidden, output):
    cost = {"sigmoid": "cross-entropy", "softmax": "log-likelihood", "linear": "quadratic"}[output]
    net = Network.create([2, 5, 4, 3], [hidden, hidden, output], cost, rng=np.random.default_rng(3))
    g = maps.grid_points((-3, 3, -2, 2), resolution=20)
    ev = maps.MapEvaluator(g.points)
    acts = ev.run(net.weights, net.biases, net.activations)
    _, expected = net.forward_cache(g.points)
    assert [a.shape for a in acts] == [(400, 5), (400, 4), (400, 3)]
    for got, want in zip(acts, expected[1:]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # float64 parameters are mapped in float32, and a second run gives the same numbers
    again = ev.run([w.astype(np.float64) for w in net.weights], net.biases, net.activations)
    np.testing.assert_allclose(again[-1], expected[-1], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError):
        ev.run(net.weights[1:], net.biases[1:], net.activations[1:])


def test_hand_set_sigmoid_is_one_right_of_the_axis_and_zero_left():
    g = maps.grid_points((-1, 1, -1, 1), resolution=41)
    net = one_sigmoid()
    out = maps.MapEvaluator(g.points).run(net.weights, net.biases, net.activations)[0][:, 0]
    image = out.reshape(41, 41)                 # rows: y, columns: x
    x = g.xs[None, :].repeat(41, axis=0)
    assert (image[x >= 0.5] > 0.99).all() and (image[x <= -0.5] < 0.01).all()
    assert image[:, 20] == pytest.approx(0.5)   # x1 = 0 whatever x2
    assert np.ptp(image, axis=0).max() < 1e-6   # constant along y


def test_parameters_finite():
    net = one_sigmoid()
    assert maps.parameters_finite(net.weights, net.biases)
    assert not maps.parameters_finite([np.array([[np.nan], [0.0]])], net.biases)
    assert not maps.parameters_finite(net.weights, [np.array([np.inf])])


# ---------------------------------------------------------------------- scales and colours
def test_output_scale_is_centred_by_activation_and_targets():
    assert maps.output_scale("sigmoid") == (0.0, 0.5, 1.0)
    # 0/1 classes on a tanh output are told apart at 0.5 (predicted_classes rounds): the map agrees
    assert maps.output_scale("tanh", np.array([0.0, 1.0])) == (0.0, 0.5, 1.0)
    assert maps.output_scale("tanh", np.array([-1.0, 1.0])) == (-1.0, 0.0, 1.0)
    assert maps.output_scale("tanh") == (-1.0, 0.0, 1.0)
    assert maps.output_scale("linear", np.array([0.0, 1.0, 1.0])) == (0.0, 0.5, 1.0)   # 0/1 targets
    assert maps.output_scale("linear", np.array([-3.0, 2.0])) == (-3.0, 0.0, 3.0)
    assert maps.output_scale("relu", np.array([0.0, 4.0])) == (-4.0, 0.0, 4.0)
    assert maps.output_scale("linear", None) == (-1.0, 0.0, 1.0)


def test_activation_scale_per_neuron():
    v = np.array([[0.5, -2.0], [1.5, 1.0]], dtype=np.float32)
    lo, hi = maps.activation_scale("relu", v)
    assert list(lo) == [-1.5, -2.0] and list(hi) == [1.5, 2.0]
    lo, hi = maps.activation_scale("tanh", v)
    assert list(lo) == [-1, -1] and list(hi) == [1, 1]
    lo, hi = maps.activation_scale("sigmoid", v)
    assert list(lo) == [0, 0] and list(hi) == [1, 1]
    lo, hi = maps.activation_scale("linear", np.zeros((3, 1), np.float32))
    assert hi[0] > 0                              # a dead neuron still has a scale


def test_diverging_lut_and_indices():
    lut = maps.diverging_lut((255, 0, 0), (250, 250, 250), (0, 0, 255))
    assert lut.shape == (256, 4) and lut.dtype == np.uint8
    assert tuple(lut[0]) == (255, 0, 0, 255) and tuple(lut[-1]) == (0, 0, 255, 255)
    assert abs(int(lut[128, 1]) - 250) <= 2      # the middle is the background
    idx = maps.scale_indices(np.array([-5.0, 0.0, 0.5, 1.0, 9.0, np.nan]), 0.0, 1.0)
    assert idx.dtype == np.uint8 and list(idx) == [0, 0, 128, 255, 255, 128]
    assert list(maps.threshold_indices(np.array([0.49, 0.5, 0.9]), 0.5)) == [0, 255, 255]
    bands = maps.band_indices(np.linspace(-1, 1, 1000), -1.0, 1.0, bands=9)
    assert len(np.unique(bands)) == 9
    rgba = maps.lut_colours(np.array([[0, 255]], dtype=np.uint8), lut)
    assert rgba.shape == (1, 2, 4) and tuple(rgba[0, 1]) == (0, 0, 255, 255)
    washed = maps.wash(lut, (255, 255, 255), 0.5)
    assert tuple(washed[0, :3]) == (255, 128, 128) and washed[0, 3] == 255


def test_class_blending_and_argmax():
    colours = np.array([[255, 0, 0], [0, 0, 255], [0, 255, 0]], dtype=np.uint8)
    p = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.1, 0.1, 0.8]], dtype=np.float32)
    rgba = maps.blend_classes(p, colours)
    assert tuple(rgba[0]) == (255, 0, 0, 255)
    assert tuple(rgba[1]) == (128, 0, 128, 255)
    assert tuple(maps.argmax_colours(p, colours)[2]) == (0, 255, 0, 255)
    q = maps.normalise_probabilities(np.array([[2.0, 2.0], [0.0, 0.0], [-1.0, 3.0], [np.nan, 1.0]]))
    np.testing.assert_allclose(q, [[0.5, 0.5], [0.5, 0.5], [0.0, 1.0], [0.0, 1.0]])


def test_three_class_softmax_map_shows_each_class_colour_where_it_wins():
    colours = np.array([[255, 0, 0], [0, 0, 255], [0, 255, 0]], dtype=np.uint8)
    g = maps.grid_points((-1, 1, -1, 1), resolution=21)
    net = three_regions()
    out = maps.MapEvaluator(g.points).run(net.weights, net.biases, net.activations)[-1]
    rgba, scale = maps.output_colours(out, "softmax", None, True, False, None, colours)
    assert scale is None
    image = rgba.reshape(21, 21, 4)
    assert tuple(image[10, 0, :3]) == pytest.approx((255, 0, 0), abs=3)    # x1 = -1, x2 = 0: class 0
    assert tuple(image[20, 10, :3]) == pytest.approx((0, 0, 255), abs=3)   # x2 = 1: class 1
    assert tuple(image[0, 20, :3]) == pytest.approx((0, 255, 0), abs=3)    # x1 = 1, x2 = -1: class 2
    hard, _ = maps.output_colours(out, "softmax", None, True, True, None, colours)
    assert set(map(tuple, hard[:, :3].tolist())) <= set(map(tuple, colours.tolist()))


def test_output_colours_of_one_output():
    lut = maps.diverging_lut((255, 0, 0), (255, 255, 255), (0, 0, 255))
    out = np.array([[0.0], [0.4], [0.6], [1.0]], dtype=np.float32)
    rgba, scale = maps.output_colours(out, "sigmoid", None, True, False, lut, None)
    assert scale == (0.0, 0.5, 1.0)
    assert tuple(rgba[0]) == tuple(lut[0]) and tuple(rgba[3]) == tuple(lut[255])
    hard, _ = maps.output_colours(out, "sigmoid", None, True, True, lut, None)
    assert [tuple(c) for c in hard] == [tuple(lut[0])] * 2 + [tuple(lut[255])] * 2
    reg = np.linspace(-2, 2, 50, dtype=np.float32).reshape(-1, 1)
    bands, scale = maps.output_colours(reg, "linear", np.array([-2.0, 2.0]), False, True, lut, None)
    assert scale == (-2.0, 0.0, 2.0) and len({tuple(c) for c in bands.tolist()}) == 9


def test_output_names():
    assert maps.output_names(2, True, ["a", "b"], ["class"]) == ["P(a)", "P(b)"]
    assert maps.output_names(1, True, ["a", "b"], ["x1 XOR x2"]) == ["P(b)"]
    assert maps.output_names(1, True, None, ["x1 XOR x2"]) == ["x1 XOR x2"]
    assert maps.output_names(1, False, None, ["z"]) == ["z"]
    assert maps.output_names(2, False, None, ["z"]) == ["output 1", "output 2"]


def test_contributions_sum_to_the_weighted_input():
    rng = np.random.default_rng(0)
    net = Network.create([1, 6, 1], ["tanh", "linear"], "quadratic", rng=rng)
    x = maps.line_points(-1.0, 1.0, 50)
    assert x.shape == (50, 1) and x[0, 0] == -1.0 and x[-1, 0] == 1.0
    hidden, out = maps.MapEvaluator(x).run(net.weights, net.biases, net.activations)
    c = maps.contributions(hidden, net.weights[-1][:, 0])
    assert c.shape == (50, 6)
    np.testing.assert_allclose(c.sum(axis=1) + net.biases[-1][0], out[:, 0], rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------- thumbnails
def test_mosaic_has_one_tile_per_hidden_neuron_and_shows_its_map():
    g = maps.grid_points((-1, 1, -1, 1))
    net = Network.create([2, 8, 3, 1], ["tanh", "relu", "sigmoid"], rng=np.random.default_rng(1))
    acts = maps.MapEvaluator(g.points).run(net.weights, net.biases, net.activations)
    mosaic = maps.Mosaic([8, 3], maps.RESOLUTION, stride=2, columns=4, label=12, gap=4, header=16)
    assert mosaic.tile == 50 and len(mosaic.cells) == 11
    assert [c[:2] for c in mosaic.cells] == [(1, j) for j in range(8)] + [(2, j) for j in range(3)]
    assert [h[0] for h in mosaic.headers] == [1, 2]
    lut = maps.diverging_lut((255, 0, 0), (255, 255, 255), (0, 0, 255))
    scales = [maps.activation_scale(n, a) for n, a in zip(net.activations, acts[:-1])]
    picture = mosaic.picture(acts[:-1], lut, scales)
    assert picture.shape == mosaic.shape + (4,) and picture.dtype == np.uint8
    layer, j, x, y = mosaic.cells[9]                          # hidden 2, neuron 1
    lo, hi = scales[1][0][1], scales[1][1][1]
    top_left = acts[1][:, 1].reshape(100, 100)[98, 0]         # the tile's top row is the plane's top
    bottom_right = acts[1][:, 1].reshape(100, 100)[0, 98]
    assert tuple(picture[y, x]) == tuple(lut[maps.scale_indices(np.array([top_left]), lo, hi)[0]])
    assert tuple(picture[y + 49, x + 49]) == tuple(lut[maps.scale_indices(np.array([bottom_right]), lo, hi)[0]])
    assert picture[y - 1, x, 3] == 0 and picture[y, x + 50, 3] == 0     # transparent between tiles
    assert mosaic.tile_at(x + 10, y + 10) == 9 and mosaic.tile_at(x + 52, y) is None


def test_base_key_is_the_same_for_every_hand_edited_copy_of_a_data_set():
    key = maps.base_key("spiral:arms=3", "Spiral", 2, 3, 500)
    assert maps.base_key("spiral:arms=3", "Spiral", 2, 3, 503, added=5, removed=2) == key
    assert maps.base_key("spiral:arms=3", "Spiral", 2, 3, 501) != key            # other data, same spec
    assert maps.base_key("spiral:arms=2", "Spiral", 2, 3, 500) != key
    assert maps.base_key("spiral:arms=3", "Spiral", 2, 2, 500) != key
