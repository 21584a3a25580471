"""The compiled row kernel (``laaciq.tensor.kernels``) against independent references: the
brute-force piece enumeration (``oracles.brute_true``), the numpy row engine on the same rows,
the real quantizer at points inside every bounded interval, and ``np.sort`` for its bucket
sort of the breakpoints."""

from __future__ import annotations

import numpy as np
import pytest
from oracles import brute_true, floor_tol

from laaciq.tensor import kernels
from laaciq.tensor import solver as exact
from laaciq.theory import quantizer




def _heavy(R, m, rng, dtype=np.float32):
    """Rows like real weight matrices: Student-t with 3-5 degrees of freedom, one outlier row."""
    x = rng.standard_t(rng.integers(3, 6), (R, m))
    x[0, : max(1, m // 50)] *= 30
    return x.astype(dtype)


@pytest.mark.parametrize("bits", [2, 3, 4, 5, 8])
def test_kernel_never_worse_than_brute_force_on_long_rows(bits):
    """Rows of 200-500 values (brute force enumerates every piece): the kernel's error is at
    most the best piece's, up to the float floor, and is the real quantizer's error at α."""
    rng = np.random.default_rng(900 + bits)
    for m in (1, 2, 7, 200, 501):
        x = _heavy(3, m, rng)
        res = exact.exact_alpha(x, bits, axis=0, engine="compiled")
        for i in range(3):
            xi = x[i].astype(np.float64)
            best = brute_true(xi, bits)
            got = float(res.mse[i])
            assert got <= best * (1 + 1e-12) + floor_tol(xi, best), (m, i)
            q = quantizer.quantize(xi, float(res.alpha[i]), bits)
            assert got == pytest.approx(float(np.mean((xi - q) ** 2)), rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("bits", [2, 4, 8, 12])
def test_kernel_equals_numpy_engine(bits):
    """Both engines are exact: on the same rows their optima have the same error (up to the
    float floor), row by row; rows of 64 and 1536 values, float32 and float64."""
    rng = np.random.default_rng(40 + bits)
    for R, m, dt in ((40, 64, np.float32), (6, 1536, np.float32), (20, 100, np.float64)):
        x = _heavy(R, m, rng, dt)
        a = exact.exact_alpha(x, bits, axis=0, engine="compiled")
        b = exact.exact_alpha(x, bits, axis=0, engine="numpy")
        for i in range(R):
            tol = floor_tol(x[i], float(b.mse[i])) / m
            assert abs(float(a.mse[i]) - float(b.mse[i])) <= 1e-12 * float(b.mse[i]) + tol, i


@pytest.mark.parametrize("f32", [False, True])
@pytest.mark.parametrize("mode", [1, 2])
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_kernel_bounds_are_below_the_error_inside_their_interval(bits, mode, f32):
    """Both lower bounds (gap sums, value by value in float64 or float32) are below the real
    quantizer's error at points of their interval, and not vacuous."""
    rng = np.random.default_rng(60 + bits + 10 * mode)
    L = quantizer.levels(bits)
    x = _heavy(4, 120, rng, np.float32).astype(np.float64)
    positive = 0
    for row in x:
        v = np.sort(np.abs(row))
        v32 = v.astype(np.float32)
        P1, P2 = np.empty(v.size + 1), np.empty(v.size + 1)
        err = kernels._prefix(v, P1, P2)
        np.testing.assert_allclose(P1, np.r_[0, np.cumsum(v)], rtol=1e-13)
        assert v32.astype(np.float64).tolist() == v.tolist()        # exact float32 numbers
        for s1 in v[-1] / L * np.exp(rng.uniform(-1.5, 0.3, 25)):
            for w in (1e-4, 1e-2, 0.2):
                s2 = s1 * (1 + w)
                lb, cost = kernels._bound(v, v32 if f32 else v32[:0], P1, P2, err, s1, s2, L,
                                          np.log2(v.size + 1), mode)
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
    v32 = np.sort(np.abs(_heavy(1, 300, rng, np.float32)[0]))
    v = v32.astype(np.float64)
    P1, P2 = np.empty(v.size + 1), np.empty(v.size + 1)
    err = kernels._prefix(v, P1, P2)
    for s1 in v[-1] / 7 * np.exp(rng.uniform(-1, 0.2, 40)):
        s2 = s1 * 1.01
        g = kernels._bound(v, v32[:0], P1, P2, err, s1, s2, 7, 8.0, 1)[0]
        d = kernels._bound(v, v32[:0], P1, P2, err, s1, s2, 7, 8.0, 2)[0]
        d32 = kernels._bound(v, v32, P1, P2, err, s1, s2, 7, 8.0, 2)[0]
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
    n, _ = kernels._scan_run(v, S1, S2, L, np.inf, 0.0, lo_, hi_, s_, 0, np.inf, stats,
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


def test_near_perfect_fit_caps_and_certifies():
    """Data on a 255-level grid at 8 bits: the optimum fits exactly (error 0 up to rounding),
    so many pieces tie within rounding; the kernel returns an error at the float floor."""
    x = (np.arange(-127, 128, dtype=np.float64) * 0.01)[None, :].repeat(3, axis=0)
    res = exact.exact_alpha(x, 8, axis=0, engine="compiled")
    assert np.all(res.mse <= 1e-30)
    np.testing.assert_allclose(res.alpha, 1.27, rtol=1e-12)


def test_zero_and_constant_rows():
    x = np.zeros((3, 10))
    x[1, 4] = -2.0
    x[2] = 3.0
    res = exact.exact_alpha(x, 4, axis=0, engine="compiled")
    assert res.alpha[0] == 1.0 and res.mse[0] == 0.0
    assert res.mse[1] == 0.0 and res.mse[2] == pytest.approx(0.0, abs=1e-28)


def test_engine_argument():
    with pytest.raises(ValueError, match="engine"):
        exact.exact_alpha(np.ones(4), 4, engine="fast")
    r = exact.exact_alpha(np.arange(10.0), 4, engine="numpy")
    assert r.stats["engine"] == "numpy"
    assert exact.exact_alpha(np.arange(10.0), 4).stats["engine"] == "compiled"
    # "auto": the kernel up to COMPILED_MAX_BITS, the numpy engine above (measured faster there)
    assert exact.exact_alpha(np.arange(10.0), 16).stats["engine"] == "numpy"
    assert exact.exact_alpha(np.arange(10.0), 16, engine="compiled").stats["engine"] == "compiled"
