"""Brier score and expected calibration error of the judge's confidence."""

from __future__ import annotations

import pytest

from galileo_arena.core.confidence_calibration import brier_score, expected_calibration_error


def test_brier_is_the_mean_squared_gap():
    assert brier_score([(0.9, True), (0.2, False)]) == pytest.approx(0.025)
    assert brier_score([(1.0, True), (0.0, False)]) == 0.0
    assert brier_score([(1.0, False)]) == 1.0


def test_ece_weighs_each_bin_gap_by_its_size():
    assert expected_calibration_error([(0.9, True), (0.2, False)]) == pytest.approx(0.15)
    outcomes = [(0.95, True), (0.95, True), (0.95, False), (0.15, False)]
    # bin 9: accuracy 2/3 vs confidence 0.95; bin 1: accuracy 0 vs 0.15.
    expected = (3 * abs(2 / 3 - 0.95) + 1 * 0.15) / 4
    assert expected_calibration_error(outcomes) == pytest.approx(expected)


def test_a_perfectly_calibrated_bin_has_no_error():
    outcomes = [(0.75, True), (0.75, True), (0.75, True), (0.75, False)]
    assert expected_calibration_error(outcomes) == pytest.approx(0.0)
    assert brier_score(outcomes) == pytest.approx(0.1875)


def test_full_confidence_falls_in_the_last_bin():
    # 1.0 shares the top bin with 0.9: (accuracy 1/2) vs mean confidence 0.95.
    assert expected_calibration_error([(1.0, True), (0.9, False)]) == pytest.approx(0.45)


def test_bin_edges_belong_to_the_upper_bin():
    # 0.1 is in [0.1, 0.2) with 0.19, not with 0.05.
    together = expected_calibration_error([(0.1, False), (0.19, True)])
    assert together == pytest.approx(abs(0.5 - 0.145))


def test_nothing_to_measure_gives_none():
    assert brier_score([]) is None
    assert expected_calibration_error([]) is None
