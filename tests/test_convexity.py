"""convexity.py: the Lean convexity theorems' numeric side, in exact arithmetic."""

from fractions import Fraction as F

import pytest
from hypothesis import given, strategies as st

from laaciq.theory import convexity as cv
from laaciq.theory import mse

laws = st.lists(st.tuples(st.fractions(-50, 50, max_denominator=20), st.integers(1, 5)),
                min_size=1, max_size=8).map(
    lambda vs: ([v for v, _ in vs], [F(n, sum(m for _, m in vs)) for _, n in vs]))
pos = st.fractions(F(1, 50), 100, max_denominator=50)


@given(laws, pos, pos, st.fractions(0, 1, max_denominator=10))
def test_clip_error_and_model_are_convex_on_chords(law, x, y, t):
    values, weights = law
    clip = lambda a: mse.clip_error_fraction(values, weights, a)  # noqa: E731
    assert cv.chord_gap(clip, x, y, t) <= 0
    model = lambda a: cv.model_objective_exact(values, weights, F(1, 48), a)  # noqa: E731
    assert cv.chord_gap(model, x, y, t) <= 0


@given(laws, pos)
def test_model_minimizer_is_global_and_a_fixed_point(law, c):
    values, weights = law
    a = cv.model_minimizer_exact(values, weights, c)
    f = lambda z: cv.model_objective_exact(values, weights, c, z)  # noqa: E731
    # every breakpoint and a grid of other candidates is no better
    cands = [abs(F(v)) for v in values] + [a * F(k, 8) for k in range(0, 17)]
    assert all(f(a) <= f(z) for z in cands if z >= 0)
    # fixed-point equation α = E[|X|; |X| > α] / (c + P(|X| > α))
    tail = [(abs(F(v)), w) for v, w in zip(values, weights) if abs(F(v)) > a]
    assert a == sum((w * v for v, w in tail), F(0)) / (c + sum((w for _, w in tail), F(0)))


def test_true_mse_is_not_convex():
    # Lean claim_mse_convex_false: point mass at 1, B = 2: MSE(1) = 0, MSE(2) = 1, MSE(3) = 1
    f = lambda a: mse.mse_exact_fraction([1], [1], a, 2)  # noqa: E731
    assert (f(F(1)), f(F(2)), f(F(3))) == (0, 1, 1)
    assert cv.chord_gap(f, F(1), F(3), F(1, 2)) == F(1, 2)
    assert cv.convexity_violations(f, [F(1), F(2), F(3)]) == [(1, 2, 3, F(1, 2))]


def test_bad_inputs():
    with pytest.raises(ValueError, match="c must be"):
        cv.model_minimizer_exact([1], [1], 0)
    with pytest.raises(ValueError, match="summing to exactly 1"):
        cv.model_minimizer_exact([1, 2], [F(1, 2), F(1, 3)], 1)
    with pytest.raises(ValueError, match="at least 3"):
        cv.convexity_violations(lambda a: a, [1, 2])
