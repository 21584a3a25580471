"""Checks of the theorems about every law (``LaAciq/Law.lean``, ``LaAciq/LawTheory.lean``).

A theorem about every ``P : Law K`` holds in every model of the interface. Two models are
checked numerically here, beside the finite-law checks of ``finite_laws.py`` that also name
these theorems:

* **continuous laws** (the measure-theoretic model): Gaussian, Laplace and Student-t (ν = 5,
  so a fourth moment exists), scaled and shifted. Every expectation is a ``scipy.integrate.quad``
  of the density, split at the quantizer's cell boundaries and at ``±α``: independent of the
  library's closed forms (``mse.mse_exact``, ``clip_error``, ``inner_error``, the families'
  moments), which are compared with it. Tolerances are stated in each check.
* **exact rationals**: the pointwise bounds behind every domination argument, the function
  identities behind every measurability step, and ``n``-component mixtures of finite laws,
  on derandomized Hypothesis examples in ``fractions.Fraction`` arithmetic.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np
from hypothesis import strategies as st
from scipy import integrate, optimize

from laaciq.theory import mse as mse_mod
from laaciq.theory import quantizer
from laaciq.theory import distribution as D
from laaciq.verify.checks import check, hyp, outcome
from laaciq.verify.checks import properties as P

F = Fraction

#: Continuous laws with a finite fourth moment (name, law).
LAWS = (
    ("Gaussian(0, 1)", D.Gaussian()),
    ("Gaussian(0.3, 1.7)", D.Gaussian(0.3, 1.7)),
    ("Laplace", D.Laplace()),
    ("Student-t ν=5", D.StudentT(5.0)),
    ("Student-t ν=5, μ=-0.4, s=0.8", D.StudentT(5.0, -0.4, 0.8)),
)
#: Clipping thresholds in units of the law's standard deviation, and bit-widths.
ALPHAS = (0.5, 1.0, 2.0, 3.0)
BITS = (2, 3, 4)
#: Relative tolerance between two quadratures (or a quadrature and a closed form).
RTOL = 1e-7


def _quad(dist, f, a, b, points=None) -> float:
    """``E[f(X); a < X ≤ b]`` by adaptive quadrature of ``f·pdf`` (``b`` may be ``±inf``)."""
    def g(x):
        return f(x) * float(dist.pdf(np.array([x]))[0])
    if points is not None and np.isfinite(a) and np.isfinite(b):
        pts = [p for p in points if a < p < b]
        val, _ = integrate.quad(g, a, b, points=pts or None, limit=400, epsabs=1e-13,
                                epsrel=1e-11)
    else:
        val, _ = integrate.quad(g, a, b, limit=400, epsabs=1e-13, epsrel=1e-11)
    return val


def _E(dist, f, breaks=()) -> float:
    """``E f(X)`` over ``ℝ``: two tails and a finite middle split at ``breaks``."""
    lo, hi = (min(breaks), max(breaks)) if breaks else (-1.0, 1.0)
    return (_quad(dist, f, -np.inf, lo) + _quad(dist, f, lo, hi, points=list(breaks))
            + _quad(dist, f, hi, np.inf))


def _q(x, a, b) -> float:
    return float(quantizer.quantize(np.array([x]), a, b)[0])


def _cells(a, b) -> list[float]:
    """``±α`` and the half-up rounding jumps ``(k + ½)·step`` inside ``(-α, α)``."""
    s = a / quantizer.levels(b)
    L = quantizer.levels(b)
    return [-a, a] + [(k + 0.5) * s for k in range(-L, L)]


def _close(x, y, scale=1.0, rtol=RTOL) -> bool:
    return abs(x - y) <= rtol * max(abs(x), abs(y), scale)


def _verdict(fails: list, n: int, passed: str):
    """The outcome of ``n`` cases with the failure messages ``fails``: the first one shown."""
    if fails:
        return outcome("fail", f"{len(fails)} of {n} cases fail; first: {fails[0]}", n,
                       {"example": fails[0]})
    return outcome("pass", passed, n)


def _grid(fn):
    """Run ``fn(name, dist, alpha, bits) -> None | message`` over the grid; an outcome."""
    n, fails = 0, []
    for name, d in LAWS:
        sd = math.sqrt(d.var())
        for r in ALPHAS:
            for b in BITS:
                n += 1
                msg = fn(name, d, r * sd, b)
                if msg:
                    fails.append(f"{name}, α={r}σ, B={b}: {msg}")
    return _verdict(fails, n, f"all {n} cases hold (quadrature, relative tolerance {RTOL:g})")


def _continuous(id_: str, statement: str, theorems=()):
    def deco(fn):
        @check(id_, "exhaustive", statement, theorems)
        def run(budget):
            return fn()
        return fn
    return deco


# ---------------------------------------------------------------------------------------------
# the MSE of a continuous law


@functools.lru_cache(maxsize=None)
def _parts(d, a, b):
    cells = _cells(a, b)
    pos = lambda x: max(abs(x) - a, 0.0)  # noqa: E731
    m = _E(d, lambda x: (x - _q(x, a, b)) ** 2, cells)
    c = _E(d, lambda x: pos(x) ** 2, cells)
    i = _E(d, lambda x: (x - _q(x, a, b)) ** 2 if abs(x) <= a else 0.0, cells)
    p = _E(d, lambda x: 1.0 if abs(x) <= a else 0.0, cells)
    return m, c, i, p


@_continuous("law.continuous.mse_decomposition", "Continuous laws (Gaussian, Laplace, "
             "Student-t ν=5; α ∈ {0.5, 1, 2, 3}σ; B ∈ {2, 3, 4}): E[(X - Q X)²] = "
             "E[((|X| - α)₊)²] + E[(X - Q X)²; |X| ≤ α], each side by quadrature of the "
             "density; the library's closed forms (mse.mse_exact, clip_error, inner_error) agree",
             theorems=("Law.mse_eq_clipError_add_innerError", "Law.E_congr",
                       "Law.integrable_clipPart", "Law.integrable_innerPart",
                       "Law.measurable_innerPart"))
def _decomp():
    def case(name, d, a, b):
        m, c, i, _ = _parts(d, a, b)
        if not _close(m, c + i, m):
            return f"mse {m!r} ≠ clip {c!r} + inner {i!r}"
        lib = (float(mse_mod.mse_exact(d, a, b)), float(mse_mod.clip_error(d, a)),
               float(mse_mod.inner_error(d, a, b)))
        if not all(_close(x, y, m) for x, y in zip(lib, (m, c, i))):
            return f"closed forms {lib} vs quadrature {(m, c, i)}"
        return None
    return _grid(case)


@_continuous("law.continuous.inner_bound", "Continuous laws (same grid): E[(X - Q X)²; |X| ≤ α] "
             "≤ step²/4 · P(|X| ≤ α), by quadrature",
             theorems=("Law.innerError_le", "Law.integrable_indicator", "Law.integrable_innerPart",
                       "Law.E_mono"))
def _inner():
    def case(name, d, a, b):
        _, _, i, p = _parts(d, a, b)
        s = a / quantizer.levels(b)
        return None if i <= s * s / 4 * p * (1 + RTOL) else f"inner {i!r} > step²/4·P = {s*s/4*p!r}"
    return _grid(case)


def _clip_q(d, a) -> float:
    return _E(d, lambda x: max(abs(x) - a, 0.0) ** 2, [-abs(a), abs(a)] if a else [])


@_continuous("law.continuous.convexity", "Continuous laws: α ↦ E[((|X| - α)₊)²] is convex and "
             "antitone on a grid of α ∈ [-σ, 4σ] (second differences ≥ -1e-9·scale, "
             "differences ≤ 1e-9·scale), and clipError + c·α² (c = 1/(3·4^B)) has second "
             "differences ≥ 2c·h² (strictly convex), by quadrature",
             theorems=("Law.convexOn_clipError", "Law.clipError_antitone", "Law.convexOn_modelMSE",
                       "Law.strictConvexOn_modelMSE", "Law.modelMSE_minimizer_unique",
                       "Law.E_mono"))
def _convex():
    n, fails = 0, []
    for name, d in LAWS:
        sd = math.sqrt(d.var())
        h = 0.25 * sd
        grid = np.arange(-1.0, 4.0 + 1e-9, 0.25) * sd
        vals = np.array([_clip_q(d, float(a)) for a in grid])
        scale = float(vals.max())
        d1 = np.diff(vals)
        d2 = vals[:-2] - 2 * vals[1:-1] + vals[2:]
        n += len(grid)
        if (d1 > 1e-9 * scale).any():
            fails.append(f"{name}: clipError increases somewhere on the grid")
        if (d2 < -1e-9 * scale).any():
            fails.append(f"{name}: clipError has a negative second difference")
        for b in BITS:
            c = 1.0 / (3 * 4 ** b)
            m2 = d2 + c * ((grid[:-2] ** 2) - 2 * grid[1:-1] ** 2 + grid[2:] ** 2)
            if (m2 < 2 * c * h * h * (1 - 1e-6) - 1e-9 * scale).any():
                fails.append(f"{name}, B={b}: model MSE not strictly convex on the grid")
    return _verdict(fails, n, f"{n} grid points over {len(LAWS)} laws: convex, antitone, model "
                            f"strictly convex (quadrature)")


@_continuous("law.continuous.fixed_point", "Continuous laws, c = 1/(3·4^B), B ∈ {2, 3, 4}: at the "
             "numerical global minimizer α* of E[((|X| - α)₊)²] + c·α² (bounded Brent on "
             "[0, 12σ], xtol 1e-10σ), c·α* = E[(|X| - α*)₊] and α*(c + P(|X| > α*)) = "
             "E[|X|; |X| > α*] to 1e-6 relative; the quadratic upper bound "
             "f(α+t) ≤ f(α) - 2t·E[(|X|-α)₊] + t² + c((α+t)² - α²) on t ∈ {±0.5σ, ±0.1σ}",
             theorems=("Law.modelMSE_le_quadratic", "Law.modelMSE_minimizer_fixed_point",
                       "Law.modelMSE_minimizer_fixed_point'", "Law.integrable_posPart",
                       "Law.integrable_tailAbs", "Law.integrable_tailIndicator", "Law.E_const"))
def _fixed():
    n, fails = 0, []
    for name, d in LAWS:
        sd = math.sqrt(d.var())
        for b in BITS:
            c = 1.0 / (3 * 4 ** b)
            f = lambda a: _clip_q(d, a) + c * a * a  # noqa: E731
            res = optimize.minimize_scalar(f, bounds=(0.0, 12 * sd), method="bounded",
                                           options={"xatol": 1e-10 * sd})
            a = float(res.x)
            pp = _E(d, lambda x: max(abs(x) - a, 0.0), [-a, a])
            tail_p = _E(d, lambda x: 0.0 if abs(x) <= a else 1.0, [-a, a])
            tail_m = _E(d, lambda x: 0.0 if abs(x) <= a else abs(x), [-a, a])
            n += 1
            if not _close(c * a, pp, pp, 1e-6):
                fails.append(f"{name}, B={b}: c·α* = {c*a!r} vs E[(|X|-α*)₊] = {pp!r}")
            if not _close(a * (c + tail_p), tail_m, tail_m, 1e-6):
                fails.append(f"{name}, B={b}: OCTAV form off")
            for t in (0.5 * sd, -0.5 * sd, 0.1 * sd, -0.1 * sd):
                n += 1
                lhs = f(a + t)
                rhs = f(a) - 2 * t * pp + t * t + c * ((a + t) ** 2 - a * a)
                if lhs > rhs + 1e-9 * max(1.0, abs(rhs)):
                    fails.append(f"{name}, B={b}, t={t:g}: quadratic bound fails")
    return _verdict(fails, n, f"{n} cases: fixed point at the minimizer and the quadratic bound "
                            f"hold (quadrature)")


@_continuous("law.continuous.moments", "Continuous laws: E[X - μ] = 0, E[(X - c)²] = m2 + (μ-c)², "
             "E[(X - c)⁴] = m4 + 4m3(μ-c) + 6m2(μ-c)² + (μ-c)⁴, Var = E X² - μ², m2² ≤ m4 and "
             "excess kurtosis ≥ -2, for c ∈ {-1, 0.5, 2}; left sides by quadrature, right sides "
             "from the families' closed-form moments",
             theorems=("Law.E_sub_mean", "Law.E_sq_shift", "Law.E_pow_four_shift",
                       "Law.variance_eq", "Law.sq_variance_le_fourth", "Law.neg_two_le_kurtosis",
                       "Law.hasMoment2_of_hasMoment4", "Law.integrable_id_of_hasMoment2",
                       "Law.integrable_sq_of_hasMoment4", "Law.integrable_pow_three_of_hasMoment4",
                       "Law.E_const"))
def _moments():
    n, fails = 0, []
    for name, d in LAWS:
        mu = d.mean()
        m2, m3, m4 = (d.central_moment(k) for k in (2, 3, 4))
        n += 1
        if not _close(_E(d, lambda x: x - mu), 0.0, math.sqrt(m2)):
            fails.append(f"{name}: E[X - μ] ≠ 0")
        if not _close(m2, _E(d, lambda x: x * x) - mu * mu, m2):
            fails.append(f"{name}: Var ≠ E X² - μ²")
        if not (m2 * m2 <= m4 and d.excess_kurtosis() >= -2):
            fails.append(f"{name}: m2² > m4")
        for c in (-1.0, 0.5, 2.0):
            n += 1
            dd = mu - c
            e2 = _E(d, lambda x: (x - c) ** 2)
            e4 = _E(d, lambda x: (x - c) ** 4)
            if not _close(e2, m2 + dd * dd, e2):
                fails.append(f"{name}, c={c}: second moment about c")
            if not _close(e4, m4 + 4 * m3 * dd + 6 * m2 * dd * dd + dd ** 4, e4, 1e-6):
                fails.append(f"{name}, c={c}: fourth moment about c")
    return _verdict(fails, n, f"{n} cases over {len(LAWS)} laws (quadrature vs closed forms)")


@_continuous("law.continuous.mixture", "A 3-component mixture 0.5·N(0.3, 1.7²) + 0.3·Laplace + "
             "0.2·t₅(-0.4, 0.8): its variance (by quadrature of the mixture density) is "
             "Σ w (σ² + δ²) and its fourth central moment is Σ w (m4 + 4 m3 δ + 6 m2 δ² + δ⁴) "
             "= seed 004's numerator + 4 Σ w m3 δ, components' moments in closed form",
             theorems=("Law.variance_mixture", "Law.cmoment_four_mixture",
                       "Law.cmoment_four_mixture_eq_seed004_add", "Law.mean_mixture",
                       "Law.mixture_E", "Law.hasMoment2_mixture", "Law.hasMoment4_mixture"))
def _cmix():
    comps = [(0.5, LAWS[1][1]), (0.3, LAWS[2][1]), (0.2, LAWS[4][1])]
    mu = sum(w * d.mean() for w, d in comps)

    def E(f):
        return sum(w * _E(d, f) for w, d in comps)

    var = E(lambda x: (x - mu) ** 2)
    m4 = E(lambda x: (x - mu) ** 4)
    var_f = sum(w * (d.var() + (d.mean() - mu) ** 2) for w, d in comps)
    m4_f = sum(w * (d.central_moment(4) + 4 * d.central_moment(3) * (d.mean() - mu)
                    + 6 * d.central_moment(2) * (d.mean() - mu) ** 2 + (d.mean() - mu) ** 4)
               for w, d in comps)
    seed = sum(w * (d.central_moment(4) + 6 * d.var() * (d.mean() - mu) ** 2
                    + (d.mean() - mu) ** 4) for w, d in comps)
    defect = 4 * sum(w * d.central_moment(3) * (d.mean() - mu) for w, d in comps)
    ok = _close(var, var_f, var) and _close(m4, m4_f, m4, 1e-6) and _close(m4_f, seed + defect, m4)
    if not ok:
        return outcome("fail", f"variance {var!r} vs {var_f!r}; m4 {m4!r} vs {m4_f!r}", 1)
    return outcome("pass", f"variance {var:.9g} and fourth central moment {m4:.9g} match the "
                           f"n-component formulas (quadrature)", 1)


# ---------------------------------------------------------------------------------------------
# exact rationals: pointwise bounds and function identities


_r = hyp.rationals()


@P._prop("prop.law.domination", "Pointwise bounds behind the integrability of every integrand: "
         "|x| ≤ x²+1, x² ≤ x⁴+1, |x³| ≤ x⁴+x², |x|² = x², 0 ≤ (|x|-α)₊ ≤ x²+α²+2, "
         "((|x|-α)₊)² ≤ 2x²+2α², (|x|-α)₊ = |x|𝟙{|x|>α} - α𝟙{|x|>α}, indicators in [0, 1], "
         "0 ≤ |x|𝟙{|x|>α} ≤ x²+1; with 0 < α, B ≥ 2: 0 ≤ 𝟙{|x|≤α}(x-Qx)² ≤ (step/2)², "
         "≤ step²/4·𝟙{|x|≤α}", st.tuples(_r, _r, hyp.positive_rationals(), hyp.bits(2, 8)),
         theorems=("absS_le_sq_add_one", "sq_le_pow_four_add_one", "absS_pow_three_le",
                   "absS_sq", "Law.posPart_nonneg", "Law.posPart_le", "Law.sq_posPart_le",
                   "Law.posPart_eq_tail", "Law.indicator_nonneg", "Law.indicator_le_one",
                   "Law.tailIndicator_nonneg", "Law.tailIndicator_le_one", "Law.tailAbs_nonneg",
                   "Law.tailAbs_le", "Law.sq_sub_quantize_le_of_abs_le", "Law.innerPart_nonneg",
                   "Law.innerPart_le_const", "Law.innerPart_le", "Law.integrable_of_nonneg_of_le",
                   "Law.integrable_of_abs_le_const", "Law.integrable_indicator",
                   "Law.integrable_tailIndicator", "Law.integrable_tailAbs",
                   "Law.integrable_posPart", "Law.integrable_clipPart",
                   "Law.integrable_innerPart"))
def _dom(ex):
    x, a, ap, b = ex
    ab = P.abs_s(x)
    pos = max(ab - a, F(0))
    ind = F(1) if ab <= a else F(0)
    tail = F(0) if ab <= a else F(1)
    q = P.quantize(ap, b, x)
    s = P.step(ap, b)
    inner = (x - q) ** 2 if ab <= ap else F(0)
    ind_p = F(1) if ab <= ap else F(0)
    return P._first([
        ("absS_le_sq_add_one", ab <= x * x + 1),
        ("sq_le_pow_four_add_one", x ** 2 <= x ** 4 + 1),
        ("absS_pow_three_le", P.abs_s(x ** 3) <= x ** 4 + x ** 2),
        ("absS_sq / absS_nonneg", ab * ab == x * x and ab >= 0),
        ("posPart_nonneg / posPart_le", 0 <= pos <= x * x + (a * a + 2)),
        ("sq_posPart_le", pos * pos <= 2 * x * x + 2 * a * a),
        ("posPart_eq_tail", pos == tail * ab + (-a) * tail),
        ("indicator / tailIndicator in [0, 1]", 0 <= ind <= 1 and 0 <= tail <= 1),
        ("tailAbs_nonneg / tailAbs_le", 0 <= tail * ab <= x * x + 1),
        ("sq_sub_quantize_le_of_abs_le", not ab <= ap or (x - q) ** 2 <= (s / 2) ** 2),
        ("innerPart_nonneg / innerPart_le_const", 0 <= inner <= (s / 2) ** 2),
        ("innerPart_le", inner <= s * s / 4 * ind_p)])


@P._prop("prop.law.measurable_forms", "The function identities and monotone maps behind every "
         "measurability and integrability step: -1·f = -f, f + -g = f - g, f·f = f², "
         "x²·x = x³, x²·x² = x⁴, |y| = (y ≤ -y ? -y : y), max(u, v) = (u ≤ v ? v : u), "
         "(x-c)² = x² + (-2c·x + c²), (x-c)³ = x³ - 3c·x² + 3c²·x - c³, "
         "(x-c)⁴ = x⁴ - 4c·x³ + 6c²·x² - 4c³·x + c⁴; the maps composed are monotone "
         "(constants, t ↦ Q_α(t) for α > 0, B ≥ 2)",
         st.tuples(_r, _r, _r, hyp.positive_rationals(), hyp.bits(2, 8)),
         theorems=("Law.measurable_const", "Law.measurable_neg", "Law.measurable_sub",
                   "Law.measurable_sq", "Law.measurable_maxS", "Law.measurable_absS",
                   "Law.measurable_posPart", "Law.measurable_pow_two", "Law.measurable_pow_three",
                   "Law.measurable_pow_four", "Law.measurable_quantize",
                   "Law.measurable_indicator", "Law.measurable_innerPart", "Law.integrable_congr",
                   "Law.measurable_congr", "Law.integrable_sub_sq", "Law.integrable_sub_pow_three",
                   "Law.integrable_sub_pow_four", "Law.integrable_sub_const"))
def _forms(ex):
    x, y, c, ap, b = ex
    lo, hi = min(x, y), max(x, y)
    return P._first([
        ("measurable_neg / measurable_sub", -1 * x == -x and x + -y == x - y),
        ("measurable_sq / measurable_pow_two", x * x == x ** 2),
        ("measurable_pow_three / measurable_pow_four", x ** 2 * x == x ** 3
         and x ** 2 * x ** 2 == x ** 4),
        ("measurable_absS", P.abs_s(y) == (-y if y <= -y else y)),
        ("measurable_maxS / measurable_posPart", max(x, y) == (y if x <= y else x)),
        ("integrable_sub_sq", (x - c) ** 2 == x ** 2 + (-2 * c * x + c ** 2)),
        ("integrable_sub_pow_three", (x - c) ** 3 == x ** 3 - 3 * c * x ** 2 + 3 * c ** 2 * x
         - c ** 3),
        ("integrable_sub_pow_four", (x - c) ** 4 == x ** 4 - 4 * c * x ** 3 + 6 * c ** 2 * x ** 2
         - 4 * c ** 3 * x + c ** 4),
        ("measurable_quantize (monotone)", P.quantize(ap, b, lo) <= P.quantize(ap, b, hi))])


def _mixture_of(comps):
    """``Σ wᵢ lawᵢ`` of finite laws as one atom list (Lean: ``Law.mixture`` of ``ofFinite``)."""
    vals, wts = [], []
    for w, (v, p) in comps:
        vals += list(v)
        wts += [w * q for q in p]
    return tuple(vals), tuple(wts)


@st.composite
def _weighted_laws(draw):
    n = draw(st.integers(1, 4))
    raw = [draw(st.integers(0, 5)) for _ in range(n)]
    if sum(raw) == 0:
        raw[0] = 1
    tot = sum(raw)
    return [(F(r, tot), draw(hyp.skewed_laws())) for r in raw]


@P._prop("prop.law.mixture_n", "n-component mixtures (n = 1..4) of finite laws, exact: "
         "the mixture is a law (weights ≥ 0, E 1 = 1, E f ≥ 0 for f ≥ 0), E_mix f = Σ wᵢ Eᵢ f "
         "(additive, homogeneous), mean Σ wᵢ μᵢ, variance Σ wᵢ (σᵢ² + δᵢ²), fourth central "
         "moment Σ wᵢ (m4ᵢ + 4 m3ᵢ δᵢ + 6 m2ᵢ δᵢ² + δᵢ⁴) = seed 004's numerator + 4 Σ wᵢ m3ᵢ δᵢ "
         "(exact iff Σ wᵢ m3ᵢ δᵢ = 0)", st.tuples(_weighted_laws(), _r),
         theorems=("Law.wsum_congr", "Law.wsum_add", "Law.wsum_const_mul", "Law.wsum_nonneg",
                   "Law.wsum_E_add", "Law.wsum_E_const_mul", "Law.wsum_E_nonneg", "Law.wsum_E_one",
                   "Law.mixture_E", "Law.mean_mixture", "Law.hasMoment2_mixture",
                   "Law.hasMoment4_mixture", "Law.variance_mixture", "Law.cmoment_four_mixture",
                   "Law.cmoment_four_mixture_eq_seed004_add",
                   "Law.cmoment_four_mixture_eq_seed004_iff"))
def _mixn(ex):
    comps, c = ex
    m = _mixture_of(comps)
    mu = P.mean(m)

    def ws(g):
        return sum((w * g(l) for w, l in comps), F(0))

    f = lambda x: (x - c) ** 2 + x  # noqa: E731
    d = {id(l): P.mean(l) - mu for _, l in comps}
    seed = ws(lambda l: P.cmoment(l, 4) + 6 * P.cmoment(l, 2) * d[id(l)] ** 2 + d[id(l)] ** 4)
    extra = ws(lambda l: P.cmoment(l, 3) * d[id(l)])
    m4 = P.cmoment(m, 4)
    return P._first([
        ("mixture (a law)", all(w >= 0 for w in m[1]) and sum(m[1]) == 1
         and P.expect(m, lambda x: x * x) >= 0),
        ("mixture_E / wsum_E_add / wsum_E_const_mul", P.expect(m, f) == ws(lambda l: P.expect(l, f))
         and P.expect(m, lambda x: c * f(x)) == c * ws(lambda l: P.expect(l, f))),
        ("mean_mixture", mu == ws(P.mean)),
        ("variance_mixture", P.cmoment(m, 2) == ws(lambda l: P.cmoment(l, 2) + d[id(l)] ** 2)),
        ("cmoment_four_mixture", m4 == ws(lambda l: P.cmoment(l, 4)
                                          + 4 * P.cmoment(l, 3) * d[id(l)]
                                          + 6 * P.cmoment(l, 2) * d[id(l)] ** 2
                                          + d[id(l)] ** 4)),
        ("cmoment_four_mixture_eq_seed004_add", m4 == seed + 4 * extra),
        ("cmoment_four_mixture_eq_seed004_iff", (m4 == seed) == (extra == 0))])
