"""The quantizer: float vs exact reference, and the Lean theorems of LaAciq/Quantizer.lean."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, strategies as st

from laaciq.theory import quantizer as q

bits_st = st.integers(2, 16)
alpha_st = st.fractions(min_value=Fraction(1, 1000), max_value=1000, max_denominator=1000)
x_st = st.fractions(min_value=-5000, max_value=5000, max_denominator=10**6)


def test_levels_and_grid():
    for b in range(2, 17):
        assert q.grid_size(b) == 2**b - 1
        assert q.levels(b) == 2 ** (b - 1) - 1


@given(x_st, alpha_st, bits_st)
def test_exact_range_and_grid(x, a, b):
    k = q.quantize_index_exact(x, a, b)
    assert abs(k) <= q.levels(b)
    y = q.quantize_exact(x, a, b)
    assert -a <= y <= a
    assert y == k * q.step_exact(a, b)


@given(x_st, alpha_st, bits_st)
def test_exact_error_inside(x, a, b):
    if abs(x) <= a:
        assert abs(x - q.quantize_exact(x, a, b)) <= q.step_exact(a, b) / 2


@given(x_st, alpha_st, bits_st)
def test_exact_saturation_idempotence(x, a, b):
    if x >= a:
        assert q.quantize_exact(x, a, b) == a
    if x <= -a:
        assert q.quantize_exact(x, a, b) == -a
    y = q.quantize_exact(x, a, b)
    assert q.quantize_exact(y, a, b) == y


@given(x_st, x_st, alpha_st, bits_st)
def test_exact_monotone(x, y, a, b):
    lo, hi = min(x, y), max(x, y)
    assert q.quantize_exact(lo, a, b) <= q.quantize_exact(hi, a, b)


@given(x_st, alpha_st, bits_st, st.fractions(min_value=Fraction(1, 100), max_value=100,
                                              max_denominator=100))
def test_exact_homogeneous(x, a, b, c):
    assert q.quantize_exact(c * x, c * a, b) == c * q.quantize_exact(x, a, b)


@given(x_st, alpha_st, bits_st)
@example(Fraction(1, 6), Fraction(1), 2)  # clip/step = 1/2: a tie
def test_exact_odd_off_ties(x, a, b):
    y = q.clip_exact(x, a) / q.step_exact(a, b)
    tie = (y - Fraction(1, 2)).denominator == 1
    if not tie:
        assert q.quantize_exact(-x, a, b) == -q.quantize_exact(x, a, b)
    else:  # at a tie half-up rounding is not odd
        assert q.quantize_exact(-x, a, b) != -q.quantize_exact(x, a, b)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50), st.floats(1e-3, 1e3), bits_st)
def test_float_matches_exact(xs, a, b):
    got = q.quantize(np.array(xs), a, b)
    want = [float(q.quantize_exact(x, a, b)) for x in xs]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * a)


def test_round_half_up_float_safe():
    y = np.array([0.49999999999999994, -0.49999999999999994, 0.5, -0.5, 2.5])
    assert list(q.round_half_up(y)) == [0.0, 0.0, 1.0, 0.0, 3.0]


def test_roundings_differ_at_ties():
    y = np.array([0.5, 1.5, -0.5])
    assert list(q._round(y, "half_up")) == [1, 2, 0]
    assert list(q._round(y, "half_even")) == [0, 2, -0]
    assert list(q._round(y, "half_away")) == [1, 2, -1]
