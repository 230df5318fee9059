"""Which columns a block's design keeps, and its null-space basis, are decided by the data and
the column order alone: never by rounding, so the JSON is the same on every BLAS build."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg

from formfit.models.design import _canonical_basis, _independent


def _gram(a: np.ndarray) -> np.ndarray:
    return np.asarray(a.T @ a, dtype=float)


def test_of_two_equal_columns_the_first_is_kept() -> None:
    rng = np.random.default_rng(3)
    a = (rng.random((40, 3)) < 0.5).astype(float)
    x = np.column_stack([a[:, 0], a[:, 1], a[:, 0], a[:, 2]])  # column 2 repeats column 0
    assert _independent(_gram(x)).tolist() == [0, 1, 3]
    y = np.column_stack([a[:, 1], a[:, 0], a[:, 2], a[:, 0]])  # the copy comes last
    assert _independent(_gram(y)).tolist() == [0, 1, 2]


def test_a_larger_multiple_later_does_not_displace_an_earlier_column() -> None:
    """Pivoted QR starts from the longest column: it kept 3*a and dropped a."""
    rng = np.random.default_rng(4)
    a = (rng.random((30, 2)) < 0.5).astype(float)
    x = np.column_stack([a[:, 0], a[:, 1], 3.0 * a[:, 0]])
    assert _independent(_gram(x)).tolist() == [0, 1]


def test_a_combination_of_earlier_columns_is_dropped_and_rank_is_right() -> None:
    rng = np.random.default_rng(5)
    a = (rng.random((60, 4)) < 0.5).astype(float)
    x = np.column_stack([a, a[:, 0] + a[:, 1], np.zeros(60), a[:, 3] - a[:, 2]])
    kept = _independent(_gram(x))
    assert kept.tolist() == [0, 1, 2, 3]
    assert np.linalg.matrix_rank(x[:, kept]) == np.linalg.matrix_rank(x) == 4
    assert _independent(np.zeros((3, 3))).size == 0
    assert _independent(np.zeros((0, 0))).size == 0


def _null(x: np.ndarray) -> np.ndarray:
    return np.asarray(linalg.null_space(x), dtype=float)


@pytest.mark.parametrize("seed", range(5))
def test_null_basis_is_the_same_whatever_basis_comes_in(seed: int) -> None:
    """Two independent alias pairs (a, b) and (c, d), plus a free column: SVD may return any
    rotation and any signs of the 2-dimensional null space; the canonical basis is one."""
    rng = np.random.default_rng(seed)
    a = (rng.random((50, 3)) < 0.5).astype(float)
    x = np.column_stack([a[:, 0], a[:, 0], a[:, 1], a[:, 1], a[:, 2]])
    v = _null(x)
    assert v.shape[1] == 2
    theta = rng.uniform(0, 2 * np.pi)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    flips = np.diag(rng.choice([-1.0, 1.0], size=2))
    got = _canonical_basis(v @ rot @ flips)
    assert got == pytest.approx(_canonical_basis(v), abs=1e-12)
    s = np.sqrt(0.5)
    assert got == pytest.approx(np.array([[s, 0], [-s, 0], [0, s], [0, -s], [0, 0]]),
                                abs=1e-12)
    # orthonormal and still spanning the null space: x @ basis is 0
    assert got.T @ got == pytest.approx(np.eye(2), abs=1e-12)
    assert np.max(np.abs(x @ got)) < 1e-12


def test_null_basis_signs_and_empty_space() -> None:
    v = np.array([[-1.0], [2.0], [0.0]]) / np.sqrt(5.0)
    got = _canonical_basis(v)
    assert got[:, 0] == pytest.approx(np.array([1.0, -2.0, 0.0]) / np.sqrt(5.0))
    assert _canonical_basis(np.zeros((4, 0))).shape == (4, 0)
