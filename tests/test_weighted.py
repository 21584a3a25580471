"""The per-element-weighted exact clip solver, both engines (numpy and compiled), against
independent brute force and against each other.

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


ENGINES = ["numpy", "compiled"]


def _dyadic(rng, n, scale=64):
    return rng.integers(-scale * 4, scale * 4 + 1, size=n) / scale


@pytest.mark.parametrize("dtype", [np.float64, np.float32])   # float32: float32 bounds
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("bits", [2, 3, 4, 5])
@pytest.mark.parametrize("seed", range(6))
def test_matches_fraction_brute_force(bits, seed, engine, dtype):
    rng = np.random.default_rng(1000 * bits + seed)
    n = int(rng.integers(3, 14))
    w = _dyadic(rng, n)
    if not np.any(w):
        w[0] = 1.5
    c = rng.integers(0, 9, size=n) / 4.0
    c[np.argmax(np.abs(w))] += 1.0  # at least one weighted nonzero value
    alpha, err = weighted_exact_alpha(w.astype(dtype), c, bits, engine=engine)
    ref = _brute_min(w.tolist(), c.tolist(), bits)
    assert err[0] == pytest.approx(float(ref), rel=1e-9, abs=1e-15)
    # the error the solver reports is the real quantizer's error at its alpha
    assert err[0] == pytest.approx(float(weighted_error(w, c, alpha, bits)[0]), rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_weights_change_the_optimum(engine):
    """A heavily weighted value pulls the threshold: the weighted optimum differs from the
    unweighted one, and each is optimal for its own objective (brute force)."""
    w = np.array([0.1, 0.2, -0.35, 0.5, 2.0, -0.05, 0.3])
    c_flat = np.ones_like(w)
    c_big = c_flat.copy()
    c_big[4] = 50.0
    a1, e1 = weighted_exact_alpha(w, c_flat, 3, engine=engine)
    a2, e2 = weighted_exact_alpha(w, c_big, 3, engine=engine)
    assert a1[0] != a2[0]
    assert e1[0] == pytest.approx(float(_brute_min(w.tolist(), c_flat.tolist(), 3)), rel=1e-9)
    assert e2[0] == pytest.approx(float(_brute_min(w.tolist(), c_big.tolist(), 3)), rel=1e-9)
    # each alpha is worse on the other objective (or equal)
    assert weighted_error(w, c_big, a1, 3)[0] >= e2[0] - 1e-12


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2 ** 31), st.sampled_from([3, 4, 6]))
def test_no_dense_threshold_beats_it(engine, seed, bits):
    rng = np.random.default_rng(seed)
    R, n = 3, int(rng.integers(5, 60))
    w = rng.standard_t(3, size=(R, n))
    c = rng.gamma(0.7, size=n)  # one weight per column (the activation case)
    alpha, err = weighted_exact_alpha(w, c, bits, engine=engine)
    L = 2 ** (bits - 1) - 1
    for r in range(R):
        amax = np.abs(w[r]).max()
        grid = np.linspace(amax * 1e-3, 2 * amax * L / (L - 0.5), 20000)
        bps = (L * np.abs(w[r])[:, None] / (np.arange(L) + 0.5)).ravel()
        cand = np.concatenate([grid, bps[bps > 0]])
        dense = weighted_error(np.broadcast_to(w[r], (cand.size, n)), c, cand, bits)
        assert err[r] <= dense.min() * (1 + 1e-9) + 1e-15


@pytest.mark.parametrize("engine", ENGINES)
def test_rows_match_one_at_a_time_and_blocks(engine):
    rng = np.random.default_rng(7)
    w = rng.normal(size=(37, 50))
    c = rng.random((37, 50))
    a_all, e_all = weighted_exact_alpha(w, c, 4, engine=engine)
    for r in (0, 11, 36):
        a_r, e_r = weighted_exact_alpha(w[r], c[r], 4, engine=engine)
        # the same piece wins (running sums over a block differ in the last ulps only)
        assert a_r[0] == pytest.approx(a_all[r], rel=1e-12)
        assert e_r[0] == pytest.approx(e_all[r], rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_degenerate_rows_and_bad_input(engine):
    a, e = weighted_exact_alpha(np.zeros((2, 4)), np.ones(4), 4, engine=engine)
    assert np.all(a > 0) and np.all(e == 0)
    # weight only on zeros: every threshold is optimal, the error is 0
    a, e = weighted_exact_alpha(np.array([[0.0, 2.0]]), np.array([1.0, 0.0]), 4, engine=engine)
    assert a[0] > 0 and e[0] == 0
    with pytest.raises(ValueError, match="engine"):
        weighted_exact_alpha(np.ones((2, 3)), np.ones(3), 4, engine="fast")
    with pytest.raises(ValueError, match="hint"):
        weighted_exact_alpha(np.ones((2, 3)), np.ones(3), 4, hint=np.array([1.0, -1.0]))
    with pytest.raises(ValueError):
        weighted_exact_alpha(np.ones((2, 3)), -np.ones(3), 4)
    with pytest.raises(ValueError):
        weighted_exact_alpha(np.ones((2, 3)), np.ones(4), 4)
    with pytest.raises(ValueError):
        weighted_exact_alpha(np.ones((2, 3)), np.ones(3), 1)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("bits", [3, 4, 6])
def test_uniform_weights_agree_with_the_blind_exact_solver(bits, engine):
    """With every weight 1 the objective is the plain true MSE: the two exact solvers (written
    independently: breakpoint scan here, branch and bound in tensor.exact) agree."""
    from laaciq.tensor import exact as solver

    rng = np.random.default_rng(bits)
    W = np.concatenate([rng.standard_t(4, size=(6, 96)), rng.normal(size=(6, 96))])
    _, err = weighted_exact_alpha(W, np.ones(W.shape[1]), bits, engine=engine)
    ref = solver.exact_alpha(W, bits, "true", axis=0)
    np.testing.assert_allclose(err / W.shape[1], ref.mse, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_hint_only_narrows_the_search(engine):
    rng = np.random.default_rng(3)
    W = rng.standard_t(3, size=(20, 80))
    c = rng.gamma(0.5, size=80)
    a0, e0 = weighted_exact_alpha(W, c, 4, engine=engine)
    for hint in (np.abs(W).max(axis=1) * 0.7, np.full(20, 1e-3), np.full(20, 50.0)):
        a1, e1 = weighted_exact_alpha(W, c, 4, hint=hint, engine=engine)
        np.testing.assert_allclose(e1, e0, rtol=1e-12)


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_engines_agree(bits):
    """The compiled and numpy engines (written apart: branch and bound with a weighted bound vs
    the full scan of a proven bracket) reach the same minimum on heavy-tailed rows with sparse,
    heavy-tailed weights, float32 values with ties, and rows of one value; up to the float floor
    of an error sum: ``1e-12`` relative, or ``64·eps·Σc w²`` for near-perfect fits (values on
    the grid; the numpy engine ranks pieces by ``A - 2sS1 + s²S2``, which cancels to within a
    few ``eps·A`` of 0 there, so it may land a few such units above the compiled one's 0)."""
    rng = np.random.default_rng(80 + bits)
    rows = [rng.standard_t(3, size=(12, 200)),
            (rng.integers(-8, 9, size=(12, 64)) / 8.0).astype(np.float32),
            rng.normal(size=(6, 1))]
    for w in rows:
        c = rng.gamma(0.5, size=w.shape) * (rng.random(w.shape) < 0.8)
        _, e_np = weighted_exact_alpha(w, c, bits, engine="numpy")
        a_c, e_c = weighted_exact_alpha(w, c, bits, engine="compiled")
        floor = 64 * np.finfo(float).eps * np.sum(c * np.square(w, dtype=np.float64), axis=1)
        assert np.all(np.abs(e_c - e_np) <= 1e-12 * e_np + floor)
        assert np.all(np.abs(e_c - weighted_error(w, c, a_c, bits)) <= 1e-12 * e_c + floor)


@pytest.mark.parametrize("seed", range(4))
def test_compiled_breakpoint_sort_is_a_stable_sort(seed):
    """The compiled scan's bucket sort of the breakpoints ``a_i/(j+½)``, ``JL_i ≤ j < K0_i``,
    against Python's stable ``sorted`` of the same list in generation order (``i``, then ``j``):
    the same breakpoints, value indices and levels, equal breakpoints (values with ties, values
    in ratio (2j+1)/(2j'+1)) in generation order; one run with every breakpoint equal (a run of
    zero width: one bucket)."""
    from laaciq.tensor.exact.weighted_compiled import _wsort
    rng = np.random.default_rng(seed)
    m, L = int(rng.integers(20, 60)), int(rng.choice([1, 3, 7, 127]))
    a = np.sort(rng.integers(1, 12, m) * 0.375)               # many equal values
    JL = rng.integers(0, min(L, 4), m).astype(float)         # at least one level per value
    K0 = np.minimum(L, JL + rng.integers(1, 4, m)).astype(float)
    gen = [(a[i] / (j + 0.5), i, float(j)) for i in range(m)
           for j in range(int(JL[i]), int(K0[i]))]
    nev = len(gen)
    eb, ei, ej = np.empty(nev), np.empty(nev, np.int64), np.empty(nev)
    _wsort(a, K0, JL, min(g[0] for g in gen), max(g[0] for g in gen), nev, eb, ei, ej)
    ref = sorted(gen, key=lambda g: g[0])
    assert len(set(eb.tolist())) < nev                          # equal breakpoints occur
    assert eb.tolist() == [g[0] for g in ref]
    assert ei.tolist() == [g[1] for g in ref] and ej.tolist() == [g[2] for g in ref]
    a1 = np.full(5, 1.5)
    eb, ei, ej = np.empty(5), np.empty(5, np.int64), np.empty(5)
    _wsort(a1, np.ones(5), np.zeros(5), 3.0, 3.0, 5, eb, ei, ej)
    assert eb.tolist() == [3.0] * 5 and ei.tolist() == [0, 1, 2, 3, 4]
    assert ej.tolist() == [0.0] * 5
