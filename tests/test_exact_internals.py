"""The internal-API test module of the exact solver (``laaciq.tensor.exact``): the only tests that
reach private functions, because the lower bounds and the breakpoint scan must be tested on their
own (a bound that is too high would only show as a wrong optimum on some rare row).

Numpy engine (:mod:`~laaciq.tensor.exact.bounds`): the one-call float32 search, the gap-sum and
value-by-value bounds against the real quantizer's error inside their interval, the zero bound,
and the forced choices of bound end to end. Compiled engine
(:mod:`~laaciq.tensor.exact.compiled`): its bounds in both modes and one run of its breakpoint
scan against an enumeration written here. Every other test uses the package's public functions.
"""

from __future__ import annotations

import numpy as np
import pytest
from oracles import KINDS, check_hard_rows, hard_rows, heavy_rows

from laaciq.tensor import exact
from laaciq.tensor.exact import bounds, compiled, compiled_bounds
from laaciq.theory import quantizer



# ---------------------------------------------------------------------------------------------
# the search


def test_search_f32_matches_row_by_row_searchsorted():
    rng = np.random.default_rng(3)
    R, m = 7, 50
    v32 = np.sort(np.abs(hard_rows("ties", R, m, rng)), axis=1)
    v32[2] = np.sort(np.abs(rng.standard_normal(m))).astype(np.float32)
    v32[3] = 0.0
    v32[4, -1] = np.finfo(np.float32).max
    keys = bounds._Atoms(v32.astype(np.float64), None, np.zeros((R, m + 1)),
                        np.zeros((R, m + 1)), np.zeros((R, m + 1)), 0.0)
    at = bounds._Atoms(*(lambda v: (v, v))(v32.astype(np.float64)),
                      np.zeros((R, m + 1)), np.zeros((R, m + 1)), np.zeros((R, m + 1)), 0.0,
                      v32)
    assert keys.keys is None and at.keys is not None
    rows = np.repeat(np.arange(R), 40)
    own = v32[rows, rng.integers(0, m, rows.size)].astype(np.float64)
    # queries on values, one float64 ulp either side (between two float32 numbers), the
    # float32 neighbours, zero, negative, huge and beyond the float32 range
    q = np.stack([own, np.nextafter(own, np.inf), np.nextafter(own, -np.inf),
                  np.nextafter(own.astype(np.float32), np.float32(np.inf)).astype(np.float64),
                  np.nextafter(own.astype(np.float32), np.float32(0)).astype(np.float64),
                  np.zeros_like(own), -own - 1.0, np.full_like(own, 1e300),
                  own * (1 + rng.random(own.size))], axis=1)
    for right in (True, False):
        got = bounds._search_f32(at.keys, m, rows, q, right)
        ref = np.stack([np.searchsorted(v32[r].astype(np.float64), q[i],
                                        side="right" if right else "left")
                        for i, r in enumerate(rows)])
        np.testing.assert_array_equal(got, ref)
        np.testing.assert_array_equal(at.search(at.lo, rows, q, right), ref)


def _atoms(v32):
    v = v32.astype(np.float64)
    P1, e1 = bounds._prefix(v)
    P2, _ = bounds._prefix(v * v)
    R, m = v.shape
    P0 = np.broadcast_to(np.arange(m + 1, dtype=np.float64), (R, m + 1)).copy()
    return (bounds._Atoms(v, v, P0, P1, P2, e1, v32),
            bounds._Atoms(v, v, P0, P1, P2, e1))


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_gap_bounds_one_call_equal_row_by_row_and_bound_the_error(bits, monkeypatch):
    """The gap sums searched in one call equal the same sums searched row by row (the row
    loop is the old, independent search), and every bound is below the true error at points
    sampled in its interval."""
    rng = np.random.default_rng(bits)
    L = quantizer.levels(bits)
    x = hard_rows("outliers", 5, 64, rng)
    v32 = np.sort(np.abs(x), axis=1)
    at_keys, at_loop = _atoms(v32)
    R = 5
    r = np.repeat(np.arange(R), 30)
    amax = v32[:, -1].astype(np.float64)[r]
    s1 = amax / L * np.exp(rng.uniform(-1.5, 0.5, r.size))
    s2 = s1 * np.exp(rng.choice([1e-4, 1e-2, 0.1, 1.0], r.size))
    monkeypatch.setattr(bounds, "_gaps_cheaper", lambda m, ngap: True)
    monkeypatch.setattr(bounds, "_use_direct", lambda at, L: False)
    lb, mg = bounds._lower_bounds(at_keys, r, s1, s2, L)
    lb2, mg2 = bounds._lower_bounds(at_loop, r, s1, s2, L)
    np.testing.assert_allclose(lb, lb2, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(mg, mg2, rtol=1e-12, atol=1e-300)
    ngap = np.minimum(L, np.floor(s1 / (s2 - s1)) + 2).astype(np.int64)
    # value by value: float64 (rows without float32 copies) and float32 arithmetic
    ld, md = bounds._lower_bounds_direct(at_loop, r, s1, s2, L, ngap)
    ld_all, md_all = bounds._lower_bounds_direct(at_loop, r, s1, s2, L)   # every value
    l32, m32 = bounds._lower_bounds_direct(at_keys, r, s1, s2, L, ngap)
    assert at_keys.v32 is not None and at_loop.v32 is None
    xs = x.astype(np.float64)
    for t in np.linspace(0, 1, 7):
        s = s1 * (s2 / s1) ** t
        e = np.array([np.sum((xs[ri] - quantizer.quantize(xs[ri], si * L, bits)) ** 2)
                      for ri, si in zip(r, s)])
        assert np.all(lb - mg <= e * (1 + 1e-12))
        assert np.all(ld - md <= e * (1 + 1e-12))
        assert np.all(ld_all - md_all <= e * (1 + 1e-12))
        assert np.all(l32 - m32 <= e * (1 + 1e-12))
    # the value-by-value bound on the values below the last non-empty gap (plus the clipped
    # tail from prefix sums) is the same sum as over every value, and as the gap sums; in
    # float32 it is lower by its rounding margins only (≤ 2% here, with 40σ outliers)
    np.testing.assert_allclose(ld, ld_all, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(ld, lb, rtol=1e-9, atol=1e-300)
    assert np.all(l32 <= lb + mg) and np.all(l32 >= lb * 0.98)
    assert np.median(l32[lb > 0] / lb[lb > 0]) > 0.995
    assert np.count_nonzero(lb > 0) > r.size // 4       # the check is not vacuous


@pytest.mark.parametrize("force", ["gaps", "direct"])
@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("kind", KINDS)
def test_numpy_engine_forced_bounds_match_brute_force(kind, bits, force, monkeypatch):
    """Per channel on float32 rows, whatever bound is used (numpy engine: forced gap sums,
    forced value-by-value bounds, its own choice; the compiled kernel): never worse than the
    best piece."""
    if force in ("gaps", "direct"):
        monkeypatch.setattr(bounds, "_gaps_cheaper",
                            lambda m, ngap, g=(force == "gaps"): g)
    check_hard_rows(kind, bits, "numpy")


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_zero_bound_excludes_only_steps_worse_than_the_upper_value(bits):
    """Above ``s_hi`` every step is worse than ``U`` (checked with the real quantizer), and the
    bound is far below the trivial ``2·max|x|`` for real-looking rows."""
    rng = np.random.default_rng(70 + bits)
    L = quantizer.levels(bits)
    x = np.concatenate([hard_rows(k, 4, 96, rng) for k in KINDS]).astype(np.float64)
    x = x[np.abs(x).max(axis=1) > 0]                        # zero rows: every step is optimal
    v = np.sort(np.abs(x), axis=1)
    P2, e2 = bounds._prefix(v * v)
    # U: the error at the "uniform" surrogate optimum, a real upper value of each row's minimum
    al = np.asarray(exact.exact_alpha(x, bits, "uniform", axis=0).alpha)
    U = np.sum((x - quantizer.quantize(x, al, bits)) ** 2, axis=1)
    s_hi = bounds._zero_bound(v, P2, e2, U)
    assert np.all(s_hi <= 2 * v[:, -1] * (1 + 1e-12))
    for f in (1.0, 1.0 + 1e-9, 1.01, 1.5, 3.0):
        s = s_hi * f
        e = np.sum((x - quantizer.quantize(x, s * L, bits)) ** 2, axis=1)
        assert np.all(e > U)
    assert np.median(s_hi / (2 * v[:, -1])) < 0.6     # not the trivial bound


@pytest.mark.parametrize("f32", [False, True])
@pytest.mark.parametrize("mode", [1, 2])
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_kernel_bounds_are_below_the_error_inside_their_interval(bits, mode, f32):
    """Both lower bounds (gap sums, value by value in float64 or float32) are below the real
    quantizer's error at points of their interval, and not vacuous."""
    rng = np.random.default_rng(60 + bits + 10 * mode)
    L = quantizer.levels(bits)
    x = heavy_rows(4, 120, rng, np.float32).astype(np.float64)
    positive = 0
    for row in x:
        v = np.sort(np.abs(row))
        v32 = v.astype(np.float32)
        P1, P2 = np.empty(v.size + 1), np.empty(v.size + 1)
        err = compiled_bounds._prefix(v, P1, P2)
        np.testing.assert_allclose(P1, np.r_[0, np.cumsum(v)], rtol=1e-13)
        assert v32.astype(np.float64).tolist() == v.tolist()        # exact float32 numbers
        for s1 in v[-1] / L * np.exp(rng.uniform(-1.5, 0.3, 25)):
            for w in (1e-4, 1e-2, 0.2):
                s2 = s1 * (1 + w)
                lb, cost = compiled_bounds._bound(v, v32 if f32 else v32[:0], P1, P2, err,
                                                  s1, s2, L, np.log2(v.size + 1), mode)
                assert cost > 0
                positive += lb > 0
                for t in np.linspace(0, 1, 5):
                    s = s1 * (s2 / s1) ** t
                    e = np.sum((row - quantizer.quantize(row, s * L, bits)) ** 2)
                    assert lb <= e * (1 + 1e-12), (s1, w, t)
    assert positive > 100


def test_bounds_agree_between_modes():
    """The value-by-value sum and the gap sums are the same quantity (different roundings)."""
    rng = np.random.default_rng(5)
    v32 = np.sort(np.abs(heavy_rows(1, 300, rng, np.float32)[0]))
    v = v32.astype(np.float64)
    P1, P2 = np.empty(v.size + 1), np.empty(v.size + 1)
    err = compiled_bounds._prefix(v, P1, P2)
    for s1 in v[-1] / 7 * np.exp(rng.uniform(-1, 0.2, 40)):
        s2 = s1 * 1.01
        g = compiled_bounds._bound(v, v32[:0], P1, P2, err, s1, s2, 7, 8.0, 1)[0]
        d = compiled_bounds._bound(v, v32[:0], P1, P2, err, s1, s2, 7, 8.0, 2)[0]
        d32 = compiled_bounds._bound(v, v32, P1, P2, err, s1, s2, 7, 8.0, 2)[0]
        assert d == pytest.approx(g, rel=1e-9, abs=1e-12 * float(P2[-1]))
        # float32: lower by its margins only (a few per mille of the bound at most)
        assert d32 <= g + 1e-12 * float(P2[-1]) and d32 >= 0.99 * g - 1e-12 * float(P2[-1])


@pytest.mark.parametrize("bits", [3, 8])
def test_scan_visits_breakpoints_in_order_and_every_piece(bits):
    """One run's scan: the number of breakpoints is the count of ``a/(j+½)`` in the run, and
    the best piece — enumerated here from the rounding codes just right of each distinct
    breakpoint (sorted with ``np.sort``), its vertex ``Σak/Σk²`` and value
    ``Σa² - (Σak)²/Σk²`` — is among the candidates kept, whose values are all within rounding
    of the best."""
    rng = np.random.default_rng(bits)
    L = quantizer.levels(bits)
    # clustered values (several breakpoints per bucket) and a repeated one (coinciding)
    v = np.sort(np.abs(np.r_[rng.standard_normal(30), 1.3 + 1e-3 * rng.standard_normal(30)]))
    v[5] = v[6]
    S1 = v[-1] / L * 0.9
    S2 = S1 * (1.0 + 2.0 / L)
    bp = (v[:, None] * (1.0 / (np.arange(L) + 0.5))[None, :]).ravel()   # as the kernel rounds
    inside = np.sort(bp[(bp > S1) & (bp <= S2)])
    cap = 4096
    lo_, hi_, s_ = np.empty(cap), np.empty(cap), np.empty(cap)
    stats = np.array([0.0, 0, 0, 0, np.inf])
    wf = np.empty((2, 4096))
    n, _ = compiled._scan_run(v, S1, S2, L, np.inf, 0.0, lo_, hi_, s_, 0, np.inf, stats,
                             np.empty(L, np.int64), np.empty(L, np.int64), wf,
                             np.empty((3, 4096), np.int64))
    assert stats[0] == inside.size > 10
    # the bucket sort left the breakpoints in the work buffer, in np.sort's order
    np.testing.assert_array_equal(wf[0, :inside.size], inside)
    pts = np.r_[S1, np.unique(inside)]
    nxt = np.r_[np.unique(inside), S2 * 1.0001]
    vert, val = [], []
    for p, q in zip(pts, nxt):
        s = np.sqrt(p * q) if q > p else p
        k = np.minimum(np.floor(v / s + 0.5), L)
        if np.sum(k * k) > 0:
            vert.append(np.sum(k * v) / np.sum(k * k))
            val.append(np.sum(v * v) - np.sum(k * v) ** 2 / np.sum(k * k))
    assert len(vert) == np.unique(inside).size + 1
    best = int(np.argmin(val))
    keep = lo_[:n] <= hi_[:n].min()
    assert np.min(np.abs(s_[:n][keep] / vert[best] - 1)) < 1e-12
    assert np.all(lo_[:n][keep] <= val[best] * (1 + 1e-9))
