"""The per-channel (rows) path of the exact true-MSE solver on float32 input: one search call for
all rows (``solver._search_f32``), gap-sum bounds restricted to the non-empty gaps, and the
choice between gap sums and value-by-value bounds — each against an independent reference."""

from __future__ import annotations

import numpy as np
import pytest
from oracles import brute_true, floor_tol

from laaciq.tensor import solver as exact
from laaciq.theory import quantizer



def _rows(kind: str, R: int, m: int, rng) -> np.ndarray:
    """float32 rows with the hard cases: ties on the grid, duplicates, zeros, outliers."""
    if kind == "normal":
        x = rng.standard_normal((R, m))
    elif kind == "ties":                     # few distinct values: many breakpoints coincide
        x = rng.integers(-6, 7, (R, m)) / 4.0
    elif kind == "duplicates":               # every value twice, signs mixed
        h = rng.standard_t(3, (R, m // 2 + 1))
        x = np.concatenate([h, -h], axis=1)[:, :m]
    elif kind == "zeros":                    # mostly zeros, one all-zero row, one single value
        x = rng.standard_normal((R, m)) * (rng.random((R, m)) < 0.3)
        x[0] = 0.0
        x[1] = 0.0
        x[1, 3] = -2.5
    elif kind == "outliers":                 # Gaussian with values at 40σ
        x = rng.standard_normal((R, m))
        x[:, : max(1, m // 20)] *= 40
    else:
        raise ValueError(kind)
    return x.astype(np.float32)



# ---------------------------------------------------------------------------------------------
# the search


def test_search_f32_matches_row_by_row_searchsorted():
    rng = np.random.default_rng(3)
    R, m = 7, 50
    v32 = np.sort(np.abs(_rows("ties", R, m, rng)), axis=1)
    v32[2] = np.sort(np.abs(rng.standard_normal(m))).astype(np.float32)
    v32[3] = 0.0
    v32[4, -1] = np.finfo(np.float32).max
    keys = exact._Atoms(v32.astype(np.float64), None, np.zeros((R, m + 1)),
                        np.zeros((R, m + 1)), np.zeros((R, m + 1)), 0.0)
    at = exact._Atoms(*(lambda v: (v, v))(v32.astype(np.float64)),
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
        got = exact._search_f32(at.keys, m, rows, q, right)
        ref = np.stack([np.searchsorted(v32[r].astype(np.float64), q[i],
                                        side="right" if right else "left")
                        for i, r in enumerate(rows)])
        np.testing.assert_array_equal(got, ref)
        np.testing.assert_array_equal(at.search(at.lo, rows, q, right), ref)


def _atoms(v32):
    v = v32.astype(np.float64)
    P1, e1 = exact._prefix(v)
    P2, _ = exact._prefix(v * v)
    R, m = v.shape
    P0 = np.broadcast_to(np.arange(m + 1, dtype=np.float64), (R, m + 1)).copy()
    return (exact._Atoms(v, v, P0, P1, P2, e1, v32),
            exact._Atoms(v, v, P0, P1, P2, e1))


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_gap_bounds_one_call_equal_row_by_row_and_bound_the_error(bits, monkeypatch):
    """The gap sums searched in one call equal the same sums searched row by row (the row
    loop is the old, independent search), and every bound is below the true error at points
    sampled in its interval."""
    rng = np.random.default_rng(bits)
    L = quantizer.levels(bits)
    x = _rows("outliers", 5, 64, rng)
    v32 = np.sort(np.abs(x), axis=1)
    at_keys, at_loop = _atoms(v32)
    R = 5
    r = np.repeat(np.arange(R), 30)
    amax = v32[:, -1].astype(np.float64)[r]
    s1 = amax / L * np.exp(rng.uniform(-1.5, 0.5, r.size))
    s2 = s1 * np.exp(rng.choice([1e-4, 1e-2, 0.1, 1.0], r.size))
    monkeypatch.setattr(exact, "_gaps_cheaper", lambda m, ngap: True)
    monkeypatch.setattr(exact, "_use_direct", lambda at, L: False)
    lb, mg = exact._lower_bounds(at_keys, r, s1, s2, L)
    lb2, mg2 = exact._lower_bounds(at_loop, r, s1, s2, L)
    np.testing.assert_allclose(lb, lb2, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(mg, mg2, rtol=1e-12, atol=1e-300)
    ngap = np.minimum(L, np.floor(s1 / (s2 - s1)) + 2).astype(np.int64)
    # value by value: float64 (rows without float32 copies) and float32 arithmetic
    ld, md = exact._lower_bounds_direct(at_loop, r, s1, s2, L, ngap)
    ld_all, md_all = exact._lower_bounds_direct(at_loop, r, s1, s2, L)   # every value
    l32, m32 = exact._lower_bounds_direct(at_keys, r, s1, s2, L, ngap)
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


KINDS = ["normal", "ties", "duplicates", "zeros", "outliers"]


@pytest.mark.parametrize("force", ["gaps", "direct", "auto", "compiled"])
@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("kind", KINDS)
def test_rows_path_matches_brute_force(kind, bits, force, monkeypatch):
    """Per channel on float32 rows, whatever bound is used (numpy engine: forced gap sums,
    forced value-by-value bounds, its own choice; the compiled kernel): never worse than the
    best piece."""
    if force in ("gaps", "direct"):
        monkeypatch.setattr(exact, "_gaps_cheaper",
                            lambda m, ngap, g=(force == "gaps"): g)
    engine = "compiled" if force == "compiled" else "numpy"
    rng = np.random.default_rng(1000 * bits + 10 * KINDS.index(kind))
    m = 24 if bits == 8 else 40
    x = _rows(kind, 6, m, rng)
    res = exact.exact_alpha(x, bits, axis=0, engine=engine)
    assert res.stats["path"] == "rows" and res.stats["engine"] == engine
    for i in range(x.shape[0]):
        best = brute_true(x[i].astype(np.float64), bits)
        got = float(res.mse[i])
        assert got <= best * (1 + 1e-12) + floor_tol(x[i], best), (kind, bits, i)
        # the returned α is evaluated with the real quantizer
        xi = x[i].astype(np.float64)
        assert got == pytest.approx(
            float(np.mean((xi - quantizer.quantize(xi, float(res.alpha[i]), bits)) ** 2)),
            rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_float32_rows_equal_float64_rows(bits, engine):
    """The float32 path (numpy engine: one search call) and the float64 path (row-by-row
    search) find the same optimum of the same numbers."""
    rng = np.random.default_rng(50 + bits)
    x = np.concatenate([_rows("outliers", 8, 300, rng), _rows("ties", 8, 300, rng)])
    r32 = exact.exact_alpha(x, bits, axis=0, engine=engine)
    r64 = exact.exact_alpha(x.astype(np.float64), bits, axis=0, engine=engine)
    np.testing.assert_allclose(r32.mse, r64.mse, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_zero_bound_excludes_only_steps_worse_than_the_upper_value(bits):
    """Above ``s_hi`` every step is worse than ``U`` (checked with the real quantizer), and the
    bound is far below the trivial ``2·max|x|`` for real-looking rows."""
    rng = np.random.default_rng(70 + bits)
    L = quantizer.levels(bits)
    x = np.concatenate([_rows(k, 4, 96, rng) for k in KINDS]).astype(np.float64)
    x = x[np.abs(x).max(axis=1) > 0]                        # zero rows: every step is optimal
    v = np.sort(np.abs(x), axis=1)
    P2, e2 = exact._prefix(v * v)
    # U: the error at the "uniform" surrogate optimum, a real upper value of each row's minimum
    al = np.asarray(exact.exact_alpha(x, bits, "uniform", axis=0).alpha)
    U = np.sum((x - quantizer.quantize(x, al, bits)) ** 2, axis=1)
    s_hi = exact._zero_bound(v, P2, e2, U)
    assert np.all(s_hi <= 2 * v[:, -1] * (1 + 1e-12))
    for f in (1.0, 1.0 + 1e-9, 1.01, 1.5, 3.0):
        s = s_hi * f
        e = np.sum((x - quantizer.quantize(x, s * L, bits)) ** 2, axis=1)
        assert np.all(e > U)
    assert np.median(s_hi / (2 * v[:, -1])) < 0.6     # not the trivial bound
