"""The compiled engine (``engine="compiled"``) against independent references, through the
public entry point: the brute-force piece enumeration (``oracles.brute_true``) and the numpy
engine on the same rows (its bounds and scan on their own: ``test_exact_internals.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from oracles import brute_true, floor_tol, heavy_rows

from laaciq.tensor import exact
from laaciq.theory import quantizer







@pytest.mark.parametrize("bits", [2, 3, 4, 5, 8])
def test_kernel_never_worse_than_brute_force_on_long_rows(bits):
    """Rows of 200-500 values (brute force enumerates every piece): the kernel's error is at
    most the best piece's, up to the float floor, and is the real quantizer's error at α."""
    rng = np.random.default_rng(900 + bits)
    for m in (1, 2, 7, 200, 501):
        x = heavy_rows(3, m, rng)
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
        x = heavy_rows(R, m, rng, dt)
        a = exact.exact_alpha(x, bits, axis=0, engine="compiled")
        b = exact.exact_alpha(x, bits, axis=0, engine="numpy")
        for i in range(R):
            tol = floor_tol(x[i], float(b.mse[i])) / m
            assert abs(float(a.mse[i]) - float(b.mse[i])) <= 1e-12 * float(b.mse[i]) + tol, i


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
    # "auto": the kernel up to PARAMS.compiled_max_bits bits, the numpy engine above (measured
    # faster there)
    assert exact.exact_alpha(np.arange(10.0), 16).stats["engine"] == "numpy"
    assert exact.exact_alpha(np.arange(10.0), 16, engine="compiled").stats["engine"] == "compiled"
