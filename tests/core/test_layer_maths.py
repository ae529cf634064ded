"""The maths of the First layer and Gradient bars views: colour indices and lookup tables, weight
tiles, the tile grid and its hit test, gradient bars, limits and the parameter fingerprint."""

import math

import numpy as np
import pytest

from workbench.core import layer_maths as lm

RED, WHITE, BLUE, GREY = (255, 0, 0), (255, 255, 255), (0, 0, 255), (128, 128, 128)


def test_image_shape_needs_two_sides_that_multiply_to_the_inputs():
    assert lm.image_shape_of((28, 28), 784) == (28, 28)
    assert lm.image_shape_of((4, 4), 16) == (4, 4)
    assert lm.image_shape_of((28, 28), 2) is None
    assert lm.image_shape_of(None, 2) is None
    assert lm.image_shape_of((16,), 16) is None


def test_the_lookup_table_runs_from_negative_through_the_middle_to_positive():
    lut = lm.diverging_lut(RED, WHITE, BLUE, GREY)
    assert lut.shape == (lm.LUT_SIZE, 4) and lut.dtype == np.uint8
    assert tuple(lut[0]) == (255, 0, 0, 255)
    assert tuple(lut[lm.MID]) == (255, 255, 255, 255)
    assert tuple(lut[lm.LEVELS - 1]) == (0, 0, 255, 255)
    assert tuple(lut[lm.NON_FINITE]) == (128, 128, 128, 255)
    half = lut[lm.MID // 2]                    # half way to the negative end
    assert half[0] == 255 and abs(int(half[1]) - 128) <= 2


def test_colour_indices_are_symmetric_clipped_and_mark_non_finite_values():
    idx = lm.colour_indices([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, np.nan, np.inf], 1.0)
    assert list(idx[:7]) == [0, 0, 64, lm.MID, 190, 254, 254]
    assert idx[7] == lm.NON_FINITE and idx[8] == lm.NON_FINITE
    assert list(lm.colour_indices([0.0, 1.0], 0.0)) == [lm.MID, lm.MID]        # a zero scale: all middle


def test_max_abs_ignores_non_finite_values():
    assert lm.max_abs([1.0, -3.0, np.nan, np.inf]) == 3.0
    assert lm.max_abs([np.nan]) == 0.0


def hand_set_weights():
    """W (4, 3) of 2×2 images: neuron 0 = +1 top-left only, neuron 1 = a ramp, neuron 2 = −0.5 everywhere."""
    W = np.zeros((4, 3), dtype=np.float32)
    W[0, 0] = 1.0
    W[:, 1] = [-2.0, -1.0, 1.0, 2.0]
    W[:, 2] = -0.5
    return W


def test_tiles_with_one_scale_put_each_pixel_at_its_predicted_colour():
    lut = lm.diverging_lut(RED, WHITE, BLUE, GREY)
    tiles = lm.weight_tiles(hand_set_weights(), [0, 1, 2], (2, 2), lut, shared_scale=2.0)
    assert tiles.rgba.shape == (6, 2, 4) and tiles.rgba.flags.c_contiguous
    assert list(tiles.scales) == [2.0, 2.0, 2.0] and not tiles.non_finite
    tile0, tile1, tile2 = tiles.rgba[0:2], tiles.rgba[2:4], tiles.rgba[4:6]
    assert tuple(tile0[0, 0]) == tuple(lut[lm.colour_indices(0.5, 1.0)])          # 1 of ±2: half blue
    assert tuple(tile0[1, 1]) == tuple(lut[lm.MID])
    assert tuple(tile1[0, 0]) == tuple(lut[0]) and tuple(tile1[1, 1]) == tuple(lut[lm.LEVELS - 1])
    assert tuple(tile1[0, 1]) == tuple(lut[lm.colour_indices(-0.5, 1.0)])        # row-major: input 1 is (0, 1)
    assert np.all(tile2 == lut[lm.colour_indices(-0.25, 1.0)])


def test_tiles_with_their_own_scale_reach_full_colour_each():
    lut = lm.diverging_lut(RED, WHITE, BLUE, GREY)
    tiles = lm.weight_tiles(hand_set_weights(), [2, 0], (2, 2), lut, shared_scale=None)
    assert list(tiles.neurons) == [2, 0] and list(tiles.scales) == [0.5, 1.0]
    assert np.all(tiles.rgba[0:2] == lut[0])                                   # −0.5 of ±0.5
    assert tuple(tiles.rgba[2, 0]) == tuple(lut[lm.LEVELS - 1])


def test_nan_weights_are_marked_and_drawn_in_the_non_finite_colour():
    W = hand_set_weights()
    W[3, 1] = np.nan
    lut = lm.diverging_lut(RED, WHITE, BLUE, GREY)
    tiles = lm.weight_tiles(W, [0, 1], (2, 2), lut, shared_scale=lm.max_abs(W))
    assert tiles.non_finite
    assert tuple(tiles.rgba[3, 1]) == GREY + (255,)
    assert tuple(tiles.rgba[2, 0]) == tuple(lut[0])                        # the rest still drawn (−2 of ±2)
    own = lm.weight_tiles(W, [1], (2, 2), lut, shared_scale=None)
    assert own.scales[0] == 2.0


@pytest.mark.parametrize("n, cols, rows", [(30, 6, 5), (100, 10, 10), (1, 1, 1), (4, 2, 2)])
def test_a_square_area_gets_a_square_ish_grid(n, cols, rows):
    grid = lm.tile_grid(n, 1000, 1000, (28, 28), caption=0, gap=0, min_tile=10)
    assert (grid.columns, grid.rows, grid.per_page) == (cols, rows, n)
    assert grid.columns * grid.tile_w <= 1000 and grid.rows * grid.tile_h <= 1000


def test_tiles_are_whole_screen_pixels_per_image_pixel_and_fill_a_wide_area():
    grid = lm.tile_grid(30, 1200, 400, (28, 28), caption=14, gap=6)
    assert grid.tile_w % 28 == 0 and grid.tile_w == grid.tile_h
    assert grid.columns >= 10                     # a wide area: more columns than rows
    assert grid.columns * (grid.tile_w + grid.gap) - grid.gap <= 1200
    assert grid.rows * (grid.tile_h + grid.caption + grid.gap) <= 400 + grid.gap


def test_a_wide_layer_is_paged_with_tiles_no_smaller_than_the_minimum():
    grid = lm.tile_grid(1000, 600, 400, (28, 28), caption=14, gap=6, min_tile=56)
    assert grid.per_page < 1000 and grid.tile_w >= 56
    assert grid.columns * (grid.tile_w + grid.gap) - grid.gap <= 600
    assert lm.page_bounds(0, grid.per_page, 1000) == (0, grid.per_page)
    assert lm.page_bounds(999, 30, 1000) == (990, 1000)
    assert lm.page_bounds(45, 30, 1000) == (30, 60)
    assert lm.page_bounds(5000, 30, 100) == (90, 100)


def test_asked_columns_are_kept_unless_the_tiles_would_be_too_small():
    assert lm.tile_grid(30, 1000, 1000, (28, 28), columns=3).columns == 3
    assert lm.tile_grid(30, 300, 1000, (28, 28), columns=30, min_tile=48).columns == 5


def test_the_hit_test_finds_the_tile_and_pixel_under_a_point():
    grid = lm.Grid(per_page=6, columns=3, rows=2, tile_w=40, tile_h=40, caption=10, gap=5, left=2, top=0)
    assert grid.cell(4) == (2 + 45, 55, 40, 40)
    assert grid.hit(2, 0, (4, 4), 6) == (0, 0, 0)
    assert grid.hit(2 + 45 + 39, 55 + 39, (4, 4), 6) == (4, 3, 3)
    assert grid.hit(2 + 45 + 10, 55 + 20, (4, 4), 6) == (4, 2, 1)
    assert grid.hit(2 + 41, 10, (4, 4), 6) is None               # in a gap
    assert grid.hit(2 + 10, 45, (4, 4), 6) is None               # in a caption
    assert grid.hit(2 + 95, 60, (4, 4), 5) is None               # no sixth tile
    assert grid.hit(0, 0, (4, 4), 6) is None


def test_layer_bars_keep_the_first_n_and_the_norm_of_the_whole_layer():
    g = [np.array([3.0, 4.0, 0.0, 0.0]), np.array([0.1, -0.2])]
    bars = lm.layer_bars(g, 2)
    assert list(bars[0].values) == [3.0, 4.0] and bars[0].norm == 5.0 and bars[0].size == 4
    assert list(bars[1].values) == [0.1, -0.2] and math.isclose(bars[1].norm, math.sqrt(0.05))
    assert len(lm.layer_bars(g, 0)[0].values) == 4


def test_nan_gradients_are_drawn_as_zero_and_leave_the_norm_undefined():
    bars = lm.layer_bars([np.array([1.0, np.nan, 2.0])], 0)
    assert bars[0].non_finite and math.isnan(bars[0].norm)
    assert list(bars[0].values) == [1.0, 0.0, 2.0]


def test_bar_limits_are_shared_or_per_layer():
    bars = lm.layer_bars([np.array([0.01, -0.02]), np.array([0.5, -1.0])], 0)
    shared = lm.bar_limits(bars, True)
    assert shared[0] == shared[1] and math.isclose(shared[0], 1.08)
    own = lm.bar_limits(bars, False)
    assert math.isclose(own[0], 0.02 * 1.08) and math.isclose(own[1], 1.08)
    assert lm.bar_limits(lm.layer_bars([np.zeros(3)], 0), True)[0] > 0


def test_the_fingerprint_changes_exactly_when_a_parameter_does():
    w, b = [np.ones((3, 2), np.float32)], [np.zeros(2, np.float32)]
    key = lm.parameter_fingerprint(w, b)
    assert lm.parameter_fingerprint([w[0].copy()], [b[0].copy()]) == key
    w[0][1, 1] = 1.0000001
    assert lm.parameter_fingerprint(w, b) != key
    assert lm.parameter_fingerprint([np.ones((2, 3), np.float32)], b) != lm.parameter_fingerprint(
        [np.ones((3, 2), np.float32)], b)


def test_sample_rows_caps_the_training_samples():
    assert lm.sample_rows(60000, 2000) == 2000 and lm.sample_rows(1000, 2000) == 1000


def test_the_weight_matrix_has_a_row_per_input_and_a_column_per_neuron():
    lut = lm.diverging_lut(RED, WHITE, BLUE, GREY)
    m = lm.weight_matrix(hand_set_weights(), [1, 2], lut, shared_scale=2.0)
    assert m.rgba.shape == (4, 2, 4)
    assert tuple(m.rgba[0, 0]) == tuple(lut[0]) and tuple(m.rgba[3, 0]) == tuple(lut[lm.LEVELS - 1])
    assert tuple(m.rgba[2, 1]) == tuple(lut[lm.colour_indices(-0.25, 1.0)])
    own = lm.weight_matrix(hand_set_weights(), [2], lut, shared_scale=None)
    assert np.all(own.rgba == lut[0]) and list(own.scales) == [0.5]


def test_the_matrix_grid_fits_pages_and_hits_cells():
    grid = lm.matrix_grid(2, 30, 500, 300, left=60, top=20, min_cell=12, max_cell=48)
    assert grid.per_page == 30 and grid.cell_w == 14 and grid.cell_h == 48
    assert grid.hit(60, 20) == (0, 0) and grid.hit(60 + 14 * 29 + 13, 20 + 95) == (29, 1)
    assert grid.hit(59, 30) is None and grid.hit(70, 20 + 96) is None and grid.hit(60 + 14 * 30, 30) is None
    assert grid.column(2) == (60 + 28, 20, 14, 96)
    wide = lm.matrix_grid(3, 1000, 500, 300, left=60, min_cell=12)
    assert wide.per_page == 440 // 12 and wide.cell_w >= 12
