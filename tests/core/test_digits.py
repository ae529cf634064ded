"""MNIST-style centring of a drawn digit: soft brush strokes, the 20×20 fit, the centre of mass."""

import numpy as np
import pytest

from workbench.core.digits import (BOX, CENTRE, SIZE, bounding_box, centre_of_mass, mnist_centre,
                                   place_matrix, resample_matrix, stamp, stroke)


def blob_in_corner(size=112):
    canvas = np.zeros((size, size))
    stroke(canvas, (8.0, 10.0), (30.0, 14.0), radius=5.0)       # a short bar in the top-left corner
    stamp(canvas, 30.0, 24.0, radius=6.0)
    return canvas


def test_a_blob_drawn_in_a_corner_is_centred_by_mass_and_fits_the_20_box():
    image = mnist_centre(blob_in_corner())
    assert image.shape == (SIZE, SIZE) and image.dtype == np.float32
    row, col = centre_of_mass(image)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5
    assert abs(row - CENTRE) < 0.05 and abs(col - CENTRE) < 0.05     # sub-pixel placement
    top, bottom, left, right = bounding_box(image)
    assert bottom - top <= BOX + 1 and right - left <= BOX + 1       # one pixel of interpolation blur
    assert max(bottom - top, right - left) >= BOX - 1               # the longer side fills the box
    assert 0.0 <= image.min() and image.max() <= 1.0


def test_the_aspect_ratio_is_kept():
    canvas = np.zeros((100, 100))
    canvas[10:90, 40:60] = 1.0                                  # 80 tall, 20 wide: 4:1
    image = mnist_centre(canvas)
    height, width = image.sum(axis=0).max(), image.sum(axis=1).max()   # ink across the bar, along it
    assert height == pytest.approx(20, abs=0.5)
    assert width == pytest.approx(5, abs=0.5)


def test_a_blank_drawing_stays_blank():
    assert not mnist_centre(np.zeros((56, 56))).any()
    assert centre_of_mass(np.zeros((4, 4))) is None and bounding_box(np.zeros((4, 4))) is None


def test_a_digit_already_centred_keeps_its_place():
    canvas = np.zeros((28, 28))
    canvas[4:24, 11:17] = 1.0                                   # a 20-tall bar around the centre
    row, col = centre_of_mass(mnist_centre(canvas))
    assert row == pytest.approx(14.0, abs=0.05) and col == pytest.approx(14.0, abs=0.05)


def test_brush_strokes_are_soft_round_and_never_darker_than_full_ink():
    canvas = np.zeros((40, 40))
    stamp(canvas, 20.0, 20.0, radius=8.0)
    assert canvas[20, 20] == 1.0 and canvas[20, 29] == 0.0
    assert 0.0 < canvas[20, 26] < 1.0                           # the soft edge
    assert canvas[16, 20] == pytest.approx(canvas[20, 24])      # round
    stroke(canvas, (5.0, 5.0), (5.0, 35.0), radius=3.0)
    assert (canvas[5, 5:36] == 1.0).all() and canvas.max() == 1.0
    stamp(canvas, -50.0, -50.0, radius=3.0)                     # off the canvas: nothing, no error


def test_resampling_keeps_a_flat_signal_flat_and_moving_keeps_mass_and_shifts_the_centre():
    for n_in, n_out in ((100, 20), (7, 20), (20, 20)):
        m = resample_matrix(n_in, n_out)
        assert m.shape == (n_out, n_in)
        np.testing.assert_allclose(m.sum(axis=1), 1.0)
    signal = np.zeros(10)
    signal[3:6] = [1.0, 2.0, 1.0]
    moved = place_matrix(10, 7.3, 28) @ signal
    assert moved.sum() == pytest.approx(signal.sum())
    assert moved @ np.arange(28) / moved.sum() == pytest.approx(4.0 + 7.3)
