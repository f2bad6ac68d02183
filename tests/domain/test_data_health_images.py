"""Image statistics and perceptual hashes on generated pixels."""

import numpy as np
import pytest

from annotation_qc.domain.data_health.hashing import dhash, hamming, phash, to_signed
from annotation_qc.domain.data_health.images import (
    EMPTY_STATS,
    STAT_NAMES,
    ImageStats,
    image_stats,
    resize_area,
    stats_matrix,
)


def _noise(seed: int, shape=(64, 80, 3)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def _scene(seed: int, shape=(96, 128)) -> np.ndarray:
    """A smooth random scene (blurred noise upsampled), the kind of image hashes are made for."""
    small = np.random.default_rng(seed).integers(0, 256, size=(6, 8, 3)).astype(np.float64)
    return np.kron(small, np.ones((shape[0] // 6, shape[1] // 8, 1))).astype(np.uint8)


def test_constant_image_is_blank_with_zero_contrast_and_sharpness():
    stats = image_stats(np.full((40, 30, 3), 17, dtype=np.uint8))
    assert stats.contrast == 0.0
    assert stats.sharpness == 0.0
    assert stats.brightness == pytest.approx(17 / 255)
    assert stats.width == 30
    assert stats.height == 40
    assert stats.aspect_ratio == pytest.approx(0.75)
    hist = np.asarray(stats.histogram).reshape(3, -1)
    assert np.allclose(hist.sum(axis=1), 1.0)
    assert hist[:, 0].tolist() == [1.0, 1.0, 1.0]  # 17 falls in the first of 8 bins


def test_sharp_image_has_higher_laplacian_variance_than_its_blur():
    sharp = np.zeros((64, 64), dtype=np.uint8)
    sharp[::2, :] = 255  # stripes
    blurred = np.full((64, 64), 128, dtype=np.uint8)
    blurred[:32] = 120
    assert image_stats(sharp).sharpness > 1000 * max(image_stats(blurred).sharpness, 1e-9)
    assert image_stats(sharp).contrast == pytest.approx(0.5, abs=0.01)


def test_grey_rgba_and_two_channel_images_agree():
    grey = _noise(1, (20, 20))
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 9)])
    la = np.dstack([grey, np.full_like(grey, 3)])
    a, b, c = image_stats(grey), image_stats(rgba), image_stats(la)
    assert a.brightness == pytest.approx(b.brightness) == pytest.approx(c.brightness)
    assert a.saturation == 0.0


def test_zero_pixel_image_gives_empty_stats_and_nan_row():
    assert image_stats(np.zeros((0, 10, 3), dtype=np.uint8)) is EMPTY_STATS
    assert image_stats(np.zeros((5, 0), dtype=np.uint8)).empty
    matrix = stats_matrix([EMPTY_STATS, image_stats(_noise(2))])
    assert matrix.shape == (2, len(STAT_NAMES))
    assert np.isnan(matrix[0]).all()
    assert np.isfinite(matrix[1]).all()


def test_stats_round_trip_through_dict():
    stats = image_stats(_noise(3))
    again = ImageStats.from_dict(stats.to_dict())
    assert again == stats


def test_resize_area_averages_blocks_and_enlarges_small_images():
    grey = np.arange(16, dtype=np.float64).reshape(4, 4)
    assert resize_area(grey, 2, 2).tolist() == [[2.5, 4.5], [10.5, 12.5]]
    assert resize_area(np.ones((1, 1)), 8, 9).shape == (8, 9)


def test_hashes_are_stable_under_resizing_and_brightness_but_not_across_scenes():
    scene = _scene(4)
    bigger = np.kron(scene, np.ones((2, 2, 1), dtype=np.uint8))
    brighter = np.clip(scene.astype(int) + 20, 0, 255).astype(np.uint8)
    other = _scene(5)
    for fn in (dhash, phash):
        h = fn(scene)
        assert 0 <= h < 2**64
        assert hamming(np.uint64(h), np.uint64(fn(bigger))) <= 4
        assert hamming(np.uint64(h), np.uint64(fn(brighter))) <= 4
        assert hamming(np.uint64(h), np.uint64(fn(other))) > 10


def test_to_signed_fits_a_bigint_column():
    assert to_signed(2**64 - 1) == -1
    assert to_signed(5) == 5
    assert np.array([to_signed(2**63)], dtype=np.int64).view(np.uint64)[0] == 2**63


def test_batch_statistics_and_hashes_match_the_single_image_ones():
    from annotation_qc.domain.data_health.hashing import dhash_batch, phash_batch
    from annotation_qc.domain.data_health.images import batch_grey, batch_stats

    stack = np.stack([_scene(10)[:32, :32], _noise(11, (32, 32, 3)), np.full((32, 32, 3), 7, dtype=np.uint8)])
    many = batch_stats(stack, np.array([640, 32, 5]), np.array([480, 32, 5]), batch_grey(stack))
    for i, stats in enumerate(many):
        one = image_stats(stack[i])
        assert stats.brightness == pytest.approx(one.brightness, abs=1e-6)
        assert stats.contrast == pytest.approx(one.contrast, abs=1e-6)
        assert stats.sharpness == pytest.approx(one.sharpness, rel=1e-4, abs=1e-3)
        assert stats.saturation == pytest.approx(one.saturation, abs=1e-6)
        assert stats.histogram == pytest.approx(one.histogram)
    assert (many[0].width, many[0].height) == (640, 480)
    grey = batch_grey(stack)
    assert dhash_batch(grey).tolist() == [dhash(p) for p in stack]
    assert phash_batch(grey).tolist() == [phash(p) for p in stack]
