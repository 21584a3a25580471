"""Exact clipping thresholds (``laaciq.tensor.exact``) against the reference oracle and brute
force."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np
import pytest
from oracles import brute_true, floor_tol

from laaciq.theory import aciq
from laaciq.tensor import exact
from laaciq.tensor.exact import params
from laaciq.theory import quantizer
from laaciq.theory.distribution import FiniteDist

EPS = np.finfo(np.float64).eps


def _data(kind: str, n: int, rng) -> np.ndarray:
    if kind == "normal":
        return rng.standard_normal(n)
    if kind == "laplace":
        return rng.laplace(size=n)
    if kind == "t3":
        return rng.standard_t(3, n)
    if kind == "uniform":
        return rng.uniform(-1, 1, n)
    if kind == "ties":                       # few distinct values, many repeats
        return rng.integers(-5, 6, n).astype(np.float64) / 3
    if kind == "outliers":                   # Gaussian with a few values at 30σ
        x = rng.standard_normal(n)
        x[: max(1, n // 200)] *= 30
        return x
    if kind == "skewed":                     # asymmetric: |x| law differs from both signs
        return np.r_[rng.exponential(1.0, n - n // 4), -0.2 * rng.exponential(1.0, n // 4)]
    raise ValueError(kind)



KINDS = ["normal", "laplace", "t3", "uniform", "ties", "outliers", "skewed"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bits", [2, 3, 4, 5, 6, 7, 8, 10, 13, 16])
def test_true_never_worse_than_oracle(kind, bits):
    rng = np.random.default_rng(100 * bits + KINDS.index(kind))
    n = 300 if bits <= 10 else 120
    x = _data(kind, n, rng)
    r = exact.exact_alpha(x, bits)
    o = aciq.oracle_alpha(FiniteDist(x), bits, "exact", grid=1200)
    # the returned α is evaluated with the real quantizer (mse_exact agrees to rounding)
    assert float(r.mse) == pytest.approx(
        float(np.mean((x - quantizer.quantize(x, float(r.alpha), bits)) ** 2)), rel=1e-13,
        abs=1e-300)
    assert float(r.mse) <= o.value * (1 + 1e-12) + floor_tol(x, o.value)


def test_true_matches_exhaustive_piece_enumeration():
    rng = np.random.default_rng(7)
    for trial in range(50):
        n = int(rng.integers(1, 7))
        x = rng.standard_normal(n) * rng.choice([1e-3, 1.0, 10.0])
        if trial % 3 == 0:
            x = np.round(x * 3) / 3
        for bits in (2, 3, 4, 6, 9):
            got = float(exact.exact_alpha(x, bits).mse)
            best = brute_true(x, bits)
            assert got <= best * (1 + 1e-12) + floor_tol(x, best), (x, bits)


def _exact_mse_fraction(values, s, L):
    """Exact ``Σ min_k (|v| - k s)²`` for a Fraction step."""
    tot = Fraction(0)
    for v in values:
        a = abs(Fraction(v))
        k = min(L, math.floor(a / s + Fraction(1, 2)))
        tot += (a - k * s) ** 2
    return tot


def test_true_matches_exact_rational_optimum():
    """Tiny laws, exact arithmetic: the optimum over all pieces, each solved in Fractions."""
    rng = np.random.default_rng(11)
    for _ in range(12):
        x = np.round(rng.standard_normal(int(rng.integers(2, 5))) * 8) / 8
        for bits in (2, 3, 4):
            L = quantizer.levels(bits)
            a = [abs(Fraction(float(v))) for v in x if v != 0]
            if not a:
                continue
            bps = sorted({ai / (Fraction(2 * j + 1, 2)) for ai in a for j in range(L)})
            mids = [bps[0] / 2] + [(p + q) / 2 for p, q in zip(bps, bps[1:])] + [2 * bps[-1]]
            best = None
            for s in mids:
                k = [min(L, math.floor(ai / s + Fraction(1, 2))) for ai in a]
                s2 = sum(ki * ki for ki in k)
                if s2 == 0:
                    continue
                st = sum(ai * ki for ai, ki in zip(a, k)) / s2
                v = _exact_mse_fraction(x, st, L) / len(x)
                best = v if best is None or v < best else best
            got = exact.exact_alpha(x, bits).mse
            assert float(got) <= float(best) * (1 + 1e-12) + floor_tol(x, float(best))


# ----------------------------------------------------------------------------------------------
# surrogates


def _brute_surrogate(x, bits, objective):
    """Exact (Fraction) minimum of a surrogate over all pieces; ``inf=True`` when the minimum
    is an infimum at the open right end of a seed004 piece."""
    L = quantizer.levels(bits)
    c = {"banner": Fraction(1, 3 * 4**bits), "seed001": Fraction(1, 3 * (2**bits - 1) ** 2),
         "uniform": Fraction(1, 12 * L * L), "seed004": Fraction(1, 12 * L * L)}[objective]
    a = [abs(Fraction(float(v))) for v in x]
    n = len(a)
    w = objective == "seed004"

    def f(al):
        clip = sum((v - al) ** 2 for v in a if v > al) / n
        return clip + c * al * al * (Fraction(sum(v <= al for v in a), n) if w else 1)

    vals = sorted(set(a), reverse=True)
    best = None
    for k in range(len(vals) + 1):
        lo = vals[k] if k < len(vals) else Fraction(0)
        hi = vals[k - 1] if k else None
        top = [v for v in a if v > lo]
        K, S = len(top), sum(top)
        den = K + c * (n - K) if w else K + c * n
        st = S / den
        for al in [lo] + ([max(st, lo)] if hi is None or st < hi else []):
            if al > 0:
                v = f(al)
                best = (v, al) if best is None or v < best[0] else best
        if w and hi is not None and st >= hi:
            v = sum((u - hi) ** 2 for u in top) / n + c * hi * hi * (n - K) / n
            best = (v, hi) if best is None or v < best[0] else best
    return best


@pytest.mark.parametrize("objective", exact.SURROGATES)
def test_surrogate_exact_vs_rational_brute_force(objective):
    rng = np.random.default_rng(len(objective))
    for t in range(60):
        x = rng.standard_normal(int(rng.integers(1, 9)))
        if t % 4 == 0:
            x = np.round(x * 2) / 2                       # ties
        for bits in (2, 3, 4, 8):
            b = _brute_surrogate(x, bits, objective)
            if b is None:
                continue
            r = exact.exact_alpha(x, bits, objective)
            bv = float(b[0])
            scale = float(np.max(np.abs(x)))
            assert float(r.value) <= bv * (1 + 1e-12) + 64 * (EPS * scale) ** 2
            if objective != "seed004":                     # strictly convex: unique minimizer
                assert float(r.alpha) == pytest.approx(float(b[1]), rel=1e-12)


@pytest.mark.parametrize("objective", exact.SURROGATES)
@pytest.mark.parametrize("kind", ["normal", "t3", "ties", "outliers"])
def test_surrogate_never_worse_than_oracle(objective, kind):
    rng = np.random.default_rng(3 + len(kind))
    x = _data(kind, 400, rng)
    for bits in (2, 4, 8):
        r = exact.exact_alpha(x, bits, objective)
        o = aciq.oracle_alpha(FiniteDist(x), bits, objective, grid=800)
        assert float(r.value) <= o.value * (1 + 1e-12) + 1e-300


# ----------------------------------------------------------------------------------------------
# paths, shapes, slices


@pytest.mark.parametrize("objective", exact.OBJECTIVES)
def test_streaming_path_matches_rows_path(monkeypatch, objective):
    rng = np.random.default_rng(5)
    for kind in ("normal", "outliers", "ties"):
        x = _data(kind, 12000, rng).astype(np.float32)
        for bits in (2, 4, 8):
            r1 = exact.exact_alpha(x, bits, objective)
            with monkeypatch.context() as m:
                m.setattr(params, "PARAMS", dataclasses.replace(params.PARAMS, big=500,
                                                                 chunk=4096))
                r2 = exact.exact_alpha(x, bits, objective)
            assert r1.stats["path"] == "rows" and r2.stats["path"] == "stream"
            assert float(r2.value) == pytest.approx(
                float(r1.value), rel=1e-12, abs=floor_tol(x, float(r1.value)))
            if objective in ("banner", "seed001", "uniform"):
                assert float(r2.alpha) == pytest.approx(float(r1.alpha), rel=1e-12)


def test_per_channel_and_group_equal_per_slice_calls():
    rng = np.random.default_rng(9)
    x = rng.standard_t(4, size=(6, 64)).astype(np.float32)
    for objective in ("true", "uniform", "seed004"):
        pc = exact.exact_alpha(x, 4, objective, axis=0)
        assert pc.alpha.shape == (6,) and pc.mse.shape == (6,)
        for i in range(6):
            one = exact.exact_alpha(x[i], 4, objective)
            assert pc.alpha[i] == pytest.approx(float(one.alpha), rel=1e-12)
            assert pc.value[i] == pytest.approx(float(one.value), rel=1e-12)
        pc1 = exact.exact_alpha(x, 4, objective, axis=1)
        assert pc1.alpha.shape == (64,)
        assert pc1.mse[5] == pytest.approx(float(exact.exact_alpha(x[:, 5], 4, objective).mse))
        gr = exact.exact_alpha(x, 4, objective, group=16)
        assert gr.alpha.shape == (6, 4)
        one = exact.exact_alpha(x[2, 16:32], 4, objective)
        assert gr.alpha[2, 1] == pytest.approx(float(one.alpha), rel=1e-12)
        ga = exact.exact_alpha(x, 4, objective, axis=0, group=3)   # blocks along axis 0
        assert ga.alpha.shape == (64, 2)
        one = exact.exact_alpha(x[3:6, 10], 4, objective)
        assert ga.alpha[10, 1] == pytest.approx(float(one.alpha), rel=1e-12)
    # the total MSE is the mean over equal slices, and slice_mse re-evaluates it
    assert gr.mse_total == pytest.approx(float(np.mean(gr.mse)))
    np.testing.assert_allclose(exact.slice_mse(x, gr.alpha, 4, group=16), gr.mse, rtol=1e-13)


def test_per_tensor_result_shape_and_scalars():
    x = np.random.default_rng(0).standard_normal(500)
    r = exact.exact_alpha(x, 4)
    assert r.alpha.shape == () and r.objective == "true"
    assert r.mse_total == pytest.approx(float(r.mse))
    assert exact.slice_mse(x, r.alpha, 4) == pytest.approx(float(r.mse), rel=1e-13)


def test_zero_rows_and_constant_rows():
    x = np.zeros((3, 5))
    x[1] = 2.5
    x[2, 0] = -1.0
    for objective in exact.OBJECTIVES:
        r = exact.exact_alpha(x, 4, objective, axis=0)
        assert r.alpha[0] == 1.0 and r.mse[0] == 0.0       # every α is optimal for zeros
        if objective in ("true", "seed004"):                # a constant is represented
            assert r.mse[1] == pytest.approx(0.0, abs=1e-28)
        if objective == "true":
            assert r.mse[2] == 0.0
    assert float(exact.exact_alpha(np.zeros(10), 3).mse) == 0.0


def test_rounding_modes_give_the_same_optimum():
    x = np.round(np.random.default_rng(2).standard_normal(400) * 4) / 4   # many exact ties
    ref = exact.exact_alpha(x, 3)
    for rounding in quantizer.ROUNDINGS:
        r = exact.exact_alpha(x, 3, rounding=rounding)
        assert float(r.mse) == pytest.approx(float(ref.mse), rel=1e-12, abs=1e-300)


def test_exact_beats_surrogate_on_the_true_mse_and_is_reported():
    x = np.random.default_rng(1).laplace(size=3000)
    t = exact.exact_alpha(x, 3)
    for objective in exact.SURROGATES:
        s = exact.exact_alpha(x, 3, objective)
        assert float(t.mse) <= float(s.mse) * (1 + 1e-12)
    assert t.stats["candidates"] >= 1


def test_float32_and_integer_inputs():
    rng = np.random.default_rng(4)
    x = rng.standard_normal(1000).astype(np.float32)
    r32 = exact.exact_alpha(x, 4)
    r64 = exact.exact_alpha(x.astype(np.float64), 4)
    assert float(r32.mse) == float(r64.mse)
    ri = exact.exact_alpha(np.arange(-7, 8), 4)
    assert float(ri.mse) == 0.0


@pytest.mark.parametrize("bad, exc", [
    (np.array([]), ValueError), (np.array([1.0, np.nan]), ValueError),
    (np.array([np.inf]), ValueError), ("abc", TypeError), (np.array(["a"]), TypeError),
])
def test_bad_inputs(bad, exc):
    with pytest.raises(exc):
        exact.exact_alpha(bad, 4)


def test_bad_arguments():
    x = np.ones((4, 6))
    with pytest.raises(ValueError, match="objective"):
        exact.exact_alpha(x, 4, "mse")
    with pytest.raises(ValueError, match="bits"):
        exact.exact_alpha(x, 1)
    with pytest.raises(ValueError, match="axis"):
        exact.exact_alpha(x, 4, axis=2)
    with pytest.raises(ValueError, match="divide"):
        exact.exact_alpha(x, 4, group=4)
    with pytest.raises(ValueError, match="group"):
        exact.exact_alpha(x, 4, group=0)
    with pytest.raises(ValueError, match="alpha"):
        exact.slice_mse(x, -1.0, 4)
