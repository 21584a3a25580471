"""The per-element-weighted exact clip solver against independent brute force.

Reference 1 (exact, Fractions): every breakpoint ``α = L·a/(j+½)`` is listed; on every piece
between two of them the rounding assignment is recomputed *by rounding at the piece's midpoint*
(not from the solver's running sums), the piece's weighted least-squares step is clamped to the
piece and the error is evaluated exactly with Fraction rounding. The minimum over all pieces is
the true minimum of a piecewise quadratic.

Reference 2 (dense): the error at the solver's α is no larger than at 20,000 thresholds spread
over (0, 2·max|w|·L/(L-½)] plus every breakpoint.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from laaciq.tensor.exact import weighted_error, weighted_exact_alpha


def _q_err_exact(a: Fraction, s: Fraction, L: int) -> Fraction:
    k = min(L, math.floor(a / s + Fraction(1, 2)))
    return (a - k * s) ** 2


def _brute_min(w, c, bits) -> Fraction:
    L = 2 ** (bits - 1) - 1
    a = [abs(Fraction(x)) for x in w]
    cf = [Fraction(x) for x in c]
    bps = sorted({ai / (Fraction(2 * j + 1, 2)) for ai in a if ai > 0 for j in range(L)})
    edges = [Fraction(0)] + bps + [bps[-1] * 2 + 1]
    best = None
    for lo, hi in zip(edges[:-1], edges[1:]):
        if hi <= lo:
            continue
        mid = (lo + hi) / 2
        ks = [min(L, math.floor(ai / mid + Fraction(1, 2))) for ai in a]
        s1 = sum(ci * ai * k for ci, ai, k in zip(cf, a, ks))
        s2 = sum(ci * k * k for ci, k in zip(cf, ks))
        s = s1 / s2 if s2 > 0 else mid
        s = min(max(s, lo), hi)
        if s <= 0:
            continue
        e = sum(ci * _q_err_exact(ai, s, L) for ci, ai in zip(cf, a))
        best = e if best is None or e < best else best
    return best


def _dyadic(rng, n, scale=64):
    return rng.integers(-scale * 4, scale * 4 + 1, size=n) / scale


@pytest.mark.parametrize("bits", [2, 3, 4, 5])
@pytest.mark.parametrize("seed", range(6))
def test_matches_fraction_brute_force(bits, seed):
    rng = np.random.default_rng(1000 * bits + seed)
    n = int(rng.integers(3, 14))
    w = _dyadic(rng, n)
    if not np.any(w):
        w[0] = 1.5
    c = rng.integers(0, 9, size=n) / 4.0
    c[np.argmax(np.abs(w))] += 1.0  # at least one weighted nonzero value
    alpha, err = weighted_exact_alpha(w, c, bits)
    ref = _brute_min(w.tolist(), c.tolist(), bits)
    assert err[0] == pytest.approx(float(ref), rel=1e-9, abs=1e-15)
    # the error the solver reports is the real quantizer's error at its alpha
    assert err[0] == pytest.approx(float(weighted_error(w, c, alpha, bits)[0]), rel=1e-12)


def test_weights_change_the_optimum():
    """A heavily weighted value pulls the threshold: the weighted optimum differs from the
    unweighted one, and each is optimal for its own objective (brute force)."""
    w = np.array([0.1, 0.2, -0.35, 0.5, 2.0, -0.05, 0.3])
    c_flat = np.ones_like(w)
    c_big = c_flat.copy()
    c_big[4] = 50.0
    a1, e1 = weighted_exact_alpha(w, c_flat, 3)
    a2, e2 = weighted_exact_alpha(w, c_big, 3)
    assert a1[0] != a2[0]
    assert e1[0] == pytest.approx(float(_brute_min(w.tolist(), c_flat.tolist(), 3)), rel=1e-9)
    assert e2[0] == pytest.approx(float(_brute_min(w.tolist(), c_big.tolist(), 3)), rel=1e-9)
    # each alpha is worse on the other objective (or equal)
    assert weighted_error(w, c_big, a1, 3)[0] >= e2[0] - 1e-12


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2 ** 31), st.sampled_from([3, 4, 6]))
def test_no_dense_threshold_beats_it(seed, bits):
    rng = np.random.default_rng(seed)
    R, n = 3, int(rng.integers(5, 60))
    w = rng.standard_t(3, size=(R, n))
    c = rng.gamma(0.7, size=n)  # one weight per column (the activation case)
    alpha, err = weighted_exact_alpha(w, c, bits)
    L = 2 ** (bits - 1) - 1
    for r in range(R):
        amax = np.abs(w[r]).max()
        grid = np.linspace(amax * 1e-3, 2 * amax * L / (L - 0.5), 20000)
        bps = (L * np.abs(w[r])[:, None] / (np.arange(L) + 0.5)).ravel()
        cand = np.concatenate([grid, bps[bps > 0]])
        dense = weighted_error(np.broadcast_to(w[r], (cand.size, n)), c, cand, bits)
        assert err[r] <= dense.min() * (1 + 1e-9) + 1e-15


def test_rows_match_one_at_a_time_and_blocks():
    rng = np.random.default_rng(7)
    w = rng.normal(size=(37, 50))
    c = rng.random((37, 50))
    a_all, e_all = weighted_exact_alpha(w, c, 4)
    for r in (0, 11, 36):
        a_r, e_r = weighted_exact_alpha(w[r], c[r], 4)
        # the same piece wins (running sums over a block differ in the last ulps only)
        assert a_r[0] == pytest.approx(a_all[r], rel=1e-12)
        assert e_r[0] == pytest.approx(e_all[r], rel=1e-12)


def test_degenerate_rows_and_bad_input():
    a, e = weighted_exact_alpha(np.zeros((2, 4)), np.ones(4), 4)
    assert np.all(a > 0) and np.all(e == 0)
    with pytest.raises(ValueError):
        weighted_exact_alpha(np.ones((2, 3)), -np.ones(3), 4)
    with pytest.raises(ValueError):
        weighted_exact_alpha(np.ones((2, 3)), np.ones(4), 4)
    with pytest.raises(ValueError):
        weighted_exact_alpha(np.ones((2, 3)), np.ones(3), 1)


@pytest.mark.parametrize("bits", [3, 4, 6])
def test_uniform_weights_agree_with_the_blind_exact_solver(bits):
    """With every weight 1 the objective is the plain true MSE: the two exact solvers (written
    independently: breakpoint scan here, branch and bound in tensor.exact) agree."""
    from laaciq.tensor import exact as solver

    rng = np.random.default_rng(bits)
    W = np.concatenate([rng.standard_t(4, size=(6, 96)), rng.normal(size=(6, 96))])
    _, err = weighted_exact_alpha(W, np.ones(W.shape[1]), bits)
    ref = solver.exact_alpha(W, bits, "true", axis=0)
    np.testing.assert_allclose(err / W.shape[1], ref.mse, rtol=1e-9, atol=1e-15)


def test_a_hint_only_narrows_the_search():
    rng = np.random.default_rng(3)
    W = rng.standard_t(3, size=(20, 80))
    c = rng.gamma(0.5, size=80)
    a0, e0 = weighted_exact_alpha(W, c, 4)
    for hint in (np.abs(W).max(axis=1) * 0.7, np.full(20, 1e-3), np.full(20, 50.0)):
        a1, e1 = weighted_exact_alpha(W, c, 4, hint=hint)
        np.testing.assert_allclose(e1, e0, rtol=1e-12)
