"""Property and exhaustive checks of the theorems about finite laws, on the exact Fraction
reference: expectations and mixtures (``LaAciq/Distribution.lean``, ``LaAciq/Mixture.lean``),
the MSE and its decomposition (``LaAciq/MSE.lean``), convexity (``LaAciq/Convexity.lean``) and
the model's fixed point (``LaAciq/Optimality.lean``; the finite forms of the moment identities
and of the fixed point are read off the law theorems in ``LaAciq/LawTheory.lean``).

The Lean definitions in Python and the registration helpers are those of ``properties.py``,
which holds the scalar checks (clip, rounding, the quantizer). A check on finite laws also names
the ``Law.*`` theorems (about every law) whose finite twin it tests: a finite law is a model of
the interface (``Law.ofFinite``), so the same numeric property checks both.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from laaciq.theory import convexity
from laaciq.theory import mixture
from laaciq.theory import mse
from laaciq.theory.distribution import ExactFiniteDist, FiniteDist
from laaciq.verify.checks import exact_arith as exact, hyp
from laaciq.verify.checks.properties import (_exhaustive, _first, _pos, _prop, _r, abs_s, clip,
                                             cmoment, expect, kurt, mean, mix, quantize, step)

F = Fraction
HALF = F(1, 2)


# ---------------------------------------------------------------------------------------------
# Finite laws (LaAciq/Distribution.lean, LaAciq/Mixture.lean)

_law = hyp.finite_laws()
_FUNS = {
    "x": lambda x: x, "x^2": lambda x: x * x, "|x|": abs_s, "clip1": lambda x: clip(F(1), x),
    "1": lambda x: F(1), "(x-1)^3": lambda x: (x - 1) ** 3,
}
_fun = st.sampled_from(sorted(_FUNS))


@_prop("prop.expect.linearity", "E[f + g] = E f + E g; E[c·f] = c·E f; E[c] = c·Σw; "
       "E[c] = c under a law", st.tuples(_law, _fun, _fun, _r),
       theorems=("expect_add", "expect_const_mul", "expect_const_eq_mul_weight", "expect_const",
                 "Law.ofFinite_E", "Law.E_const", "Law.E_congr"))
def _lin(ex):
    law, fn, gn, c = ex
    f, g = _FUNS[fn], _FUNS[gn]
    return _first([
        ("expect_add", expect(law, lambda x: f(x) + g(x)) == expect(law, f) + expect(law, g)),
        ("expect_const_mul", expect(law, lambda x: c * f(x)) == c * expect(law, f)),
        ("expect_const_eq_mul_weight", expect(law, lambda x: c) == c * sum(law[1])),
        ("expect_const", expect(law, lambda x: c) == c)])


@_prop("prop.expect.order", "w ≥ 0, f ≥ 0 → E f ≥ 0; f ≤ g → E f ≤ E g; 0 ≤ P(e) ≤ 1",
       st.tuples(_law, _fun, _r),
       theorems=("expect_nonneg", "expect_mono", "prob_nonneg", "prob_le_one", "Law.E_mono"))
def _order(ex):
    law, fn, t = ex
    f = _FUNS[fn]
    sq = lambda x: f(x) ** 2  # noqa: E731  (a non-negative integrand)
    p = expect(law, lambda x: F(1) if abs_s(x) <= t else F(0))
    return _first([("expect_nonneg", expect(law, sq) >= 0),
                   ("expect_mono", expect(law, sq) <= expect(law, lambda x: sq(x) + x * x)),
                   ("prob_nonneg", p >= 0), ("prob_le_one", p <= 1)])


@_prop("prop.expect.structure", "E over a scaled support, reweighted atoms and concatenated "
       "lists", st.tuples(_law, _law, _fun, _r),
       theorems=("expect_scale", "expect_map_weight", "expect_append"))
def _struct(ex):
    l1, l2, fn, c = ex
    f = _FUNS[fn]
    scaled = (tuple(c * v for v in l1[0]), l1[1])
    rew = (l1[0], tuple(c * w for w in l1[1]))
    cat = (l1[0] + l2[0], l1[1] + l2[1])
    return _first([("expect_scale", expect(scaled, f) == expect(l1, lambda x: f(c * x))),
                   ("expect_map_weight", expect(rew, f) == c * expect(l1, f)),
                   ("expect_append", expect(cat, f) == expect(l1, f) + expect(l2, f))])


_wt = st.fractions(min_value=0, max_value=1, max_denominator=32)


@_prop("prop.mixture.moments", "mix w l₁ l₂: E = w·E₁ + (1-w)·E₂; a law; mean, variance "
       "(total variance) and fourth central moment of the mixture",
       st.tuples(_wt, hyp.skewed_laws(), _law, _fun),
       theorems=("expect_mix", "isDist_mix", "mean_mix", "variance_mix", "cmoment_four_mix",
                 "Law.variance_mixture", "Law.cmoment_four_mixture", "Law.mean_mixture",
                 "Law.mixture_E"))
def _mixm(ex):
    w, l1, l2, fn = ex
    m = mix(w, l1, l2)
    f = _FUNS[fn]
    mu = mean(m)
    d1, d2 = mean(l1) - mu, mean(l2) - mu
    var_rhs = w * (cmoment(l1, 2) + d1 ** 2) + (1 - w) * (cmoment(l2, 2) + d2 ** 2)
    m4_rhs = sum(ww * (cmoment(ll, 4) + 4 * cmoment(ll, 3) * d + 6 * cmoment(ll, 2) * d ** 2
                       + d ** 4) for ww, ll, d in ((w, l1, d1), (1 - w, l2, d2)))
    return _first([
        ("expect_mix", expect(m, f) == w * expect(l1, f) + (1 - w) * expect(l2, f)),
        ("isDist_mix", all(p >= 0 for p in m[1]) and sum(m[1]) == 1),
        ("mean_mix", mu == w * mean(l1) + (1 - w) * mean(l2)),
        ("variance_mix", cmoment(m, 2) == var_rhs),
        ("cmoment_four_mix", cmoment(m, 4) == m4_rhs)])


@_prop("prop.moments", "Var = E[X²] - (E X)²; m2² ≤ m4; E[X - μ] = 0; shifted second and "
       "fourth moments; agrees with distribution.ExactFiniteDist",
       st.tuples(_law, _r),
       theorems=("variance_eq", "sq_variance_le_fourth", "expect_sub_mean", "expect_sq_shift",
                 "expect_pow_four_shift", "Law.E_sub_mean", "Law.E_sq_shift",
                 "Law.E_pow_four_shift", "Law.variance_eq", "Law.sq_variance_le_fourth",
                 "Law.neg_two_le_kurtosis", "neg_two_le_kurtosis_of_isDist",
                 "Law.ofFinite_cmoment", "Law.ofFinite_hasMoment2", "Law.ofFinite_hasMoment4"))
def _moments(ex):
    law, c = ex
    mu = mean(law)
    m2, m3, m4 = (cmoment(law, k) for k in (2, 3, 4))
    d = mu - c
    efd = ExactFiniteDist(law[0], law[1])
    return _first([
        ("variance_eq", m2 == expect(law, lambda x: x * x) - mu * mu),
        ("sq_variance_le_fourth", m2 * m2 <= m4),
        ("expect_sub_mean", expect(law, lambda x: x - mu) == 0),
        ("expect_sq_shift", expect(law, lambda x: (x - c) ** 2) == m2 + d * d),
        ("expect_pow_four_shift", expect(law, lambda x: (x - c) ** 4)
         == m4 + 4 * m3 * d + 6 * m2 * d * d + d ** 4),
        ("ExactFiniteDist moments", efd.mean() == mu and efd.central_moment(4) == m4)])


def _seed004_numerator(w, m4a, m4b, va, vb, da, db):
    return (w * m4a + (1 - w) * m4b + 6 * (w * va * da ** 2 + (1 - w) * vb * db ** 2)
            + (w * da ** 4 + (1 - w) * db ** 4))


@_prop("prop.mixture.seed004_defect", "true m4 of a mixture = seed 004's numerator + "
       "4·Σ w m3 δ (so seed 004 is exact iff Σ w m3 δ = 0); mixture.py's formula and defect "
       "agree", st.tuples(_wt, hyp.skewed_laws(), hyp.skewed_laws()),
       theorems=("cmoment_four_mix_eq_seed004_add", "cmoment_four_mix_eq_seed004_iff",
                 "Law.cmoment_four_mixture_eq_seed004_add",
                 "Law.cmoment_four_mixture_eq_seed004_iff"))
def _defect(ex):
    w, l1, l2 = ex
    m = mix(w, l1, l2)
    mu = mean(m)
    d1, d2 = mean(l1) - mu, mean(l2) - mu
    num = _seed004_numerator(w, cmoment(l1, 4), cmoment(l2, 4), cmoment(l1, 2), cmoment(l2, 2),
                             d1, d2)
    extra = w * cmoment(l1, 3) * d1 + (1 - w) * cmoment(l2, 3) * d2
    out = [("cmoment_four_mix_eq_seed004_add", cmoment(m, 4) == num + 4 * extra),
           ("cmoment_four_mix_eq_seed004_iff", (cmoment(m, 4) == num) == (extra == 0))]
    if cmoment(m, 2) > 0 and w not in (0, 1):
        args = ([w, 1 - w], [mean(l1), mean(l2)], [cmoment(l1, 2), cmoment(l2, 2)])
        k = [kurt(l1), kurt(l2)]
        s4 = mixture.seed004_kurtosis_formula(*args, k)
        dfc = mixture.seed004_formula_defect(*args, [cmoment(l1, 3), cmoment(l2, 3)])
        out.append(("mixture.seed004_kurtosis_formula + seed004_formula_defect",
                    s4 + dfc == kurt(m)))
    return _first(out)


@_prop("prop.mixture.linear_kurtosis", "equal means and variances → κ(mix) = w·κ₁ + "
       "(1-w)·κ₂ (seeds 001/002's linear κ_eff)",
       st.tuples(_wt, _pos, _pos, st.fractions(F(1, 16), 1, max_denominator=16), _r),
       theorems=("kurtosis_mix_eq_linear",))
def _linear(ex):
    # two symmetric 3-point laws {m-aᵢ, m, m+aᵢ} with weights (pᵢ/2, 1-pᵢ, pᵢ/2), pᵢ = V/aᵢ²:
    # equal means m, equal variances V, different kurtoses 1/pᵢ - 3
    w, a1, a2, r, m = ex
    v = min(a1, a2) ** 2 * r
    laws = []
    for a in (a1, a2):
        p = v / (a * a)
        laws.append(((m - a, m, m + a), (p / 2, 1 - p, p / 2)))
    l1, l2 = laws
    mx = mix(w, l1, l2)
    return _first([("kurtosis_mix_eq_linear", kurt(mx) == w * kurt(l1) + (1 - w) * kurt(l2))])


@_exhaustive("exh.mixture.linear_example", "w = ½, σ² = (1, 2), κ = (6/5, 0), equal means: "
             "mixture κ = linear κ = 3/5",
             theorems=("kurtosis_linear_example",))
def _lin_example():
    h = F(1, 2)
    lhs = (h * ((F(6, 5) + 3) * 1) + h * ((0 + 3) * 4)) / (h * 1 + h * 2) ** 2 - 3
    lin = h * F(6, 5) + h * 0
    ok = lhs == lin == F(3, 5)
    return 1, ([] if ok else [{"theorem": "kurtosis_linear_example", "mixture": lhs,
                               "linear": lin}])


# ---------------------------------------------------------------------------------------------
# MSE (LaAciq/MSE.lean)

_mcase = st.tuples(_law, _pos, hyp.bits(2, 8))


@_prop("prop.mse.decomposition", "(x - Q x)² = ((|x| - α)₊)² + 𝟙{|x| ≤ α}(x - Q x)²; "
       "mse = clipError + innerError (also mse.py's Fraction functions)", _mcase,
       theorems=("sq_sub_quantize_eq", "mse_eq_clipError_add_innerError", "expect_congr",
                 "Law.mse_eq_clipError_add_innerError", "Law.ofFinite_mse",
                 "Law.ofFinite_clipError"))
def _decomp(ex):
    law, a, b = ex
    pw = all((x - quantize(a, b, x)) ** 2 == max(abs_s(x) - a, F(0)) ** 2
             + ((x - quantize(a, b, x)) ** 2 if abs_s(x) <= a else 0) for x in law[0])
    m = exact.mse(law, a, b)
    lib = (mse.mse_exact_fraction(law[0], law[1], a, b),
           mse.clip_error_fraction(law[0], law[1], a),
           mse.inner_error_fraction(law[0], law[1], a, b))
    return _first([("sq_sub_quantize_eq", pw),
                   ("mse_eq_clipError_add_innerError",
                    m == exact.clip_error(law, a) + exact.inner_error(law, a, b)),
                   ("expect_congr", expect(law, lambda x: (x - quantize(a, b, x)) ** 2) == m),
                   ("mse.py Fraction functions", lib[0] == m and lib[1] + lib[2] == m)])


@_prop("prop.mse.inner_bound", "innerError ≤ step²/4 · P(|X| ≤ α); |e| ≤ h → e² ≤ h²",
       st.tuples(_mcase, _r, _r),
       theorems=("innerError_le", "sq_le_sq_of_abs_le", "Law.innerError_le"))
def _inner(ex):
    (law, a, b), e, h = ex
    s = step(a, b)
    return _first([("innerError_le", exact.inner_error(law, a, b)
                     <= s * s / 4 * exact.prob_inside(law, a)),
                   ("sq_le_sq_of_abs_le", not (abs_s(e) <= h) or e * e <= h * h)])


@_prop("prop.mse.scale", "0 < c: mse(c·X, c·α) = c² · mse(X, α)", st.tuples(_mcase, _pos),
       theorems=("mse_scale",))
def _mscale(ex):
    (law, a, b), c = ex
    scaled = (tuple(c * v for v in law[0]), law[1])
    return _first([("mse_scale", exact.mse(scaled, c * a, b) == c * c * exact.mse(law, a, b))])


@_prop("prop.mse.nonneg", "mse, clipError, innerError ≥ 0; support in [-α, α] → clipError = 0",
       _mcase,
       theorems=("mse_nonneg", "clipError_nonneg", "innerError_nonneg",
                 "clipError_eq_zero_of_abs_le"))
def _mnn(ex):
    law, a, b = ex
    inside = all(abs_s(v) <= a for v in law[0])
    return _first([("mse_nonneg", exact.mse(law, a, b) >= 0),
                   ("clipError_nonneg", exact.clip_error(law, a) >= 0),
                   ("innerError_nonneg", exact.inner_error(law, a, b) >= 0),
                   ("clipError_eq_zero_of_abs_le", not inside or exact.clip_error(law, a) == 0)])


@_prop("prop.mse.float_agrees", "mse.mse_exact (float64, FiniteDist) agrees with the exact "
       "Fraction MSE to 1e-9 relative (values of moderate size, no ties)",
       st.tuples(hyp.finite_laws(values=st.fractions(-50, 50, max_denominator=97)),
                 st.fractions(F(1, 8), 60, max_denominator=89), hyp.bits(2, 12)))
def _mfloat(ex):
    law, a, b = ex
    s = step(a, b)
    for v in law[0]:
        y = clip(a, v) / s
        if (y - HALF).denominator == 1:
            return None  # a tie: float rounding of y may fall on either side
    want = exact.mse(law, a, b)
    got = mse.mse_exact(FiniteDist([float(v) for v in law[0]], [float(w) for w in law[1]]),
                        float(a), b)
    tol = 1e-9 * max(float(want), float(expect(law, lambda x: x * x)) * 1e-6, 1e-300)
    return None if abs(got - float(want)) <= tol else f"float {got!r} vs exact {float(want)!r}"


# ---------------------------------------------------------------------------------------------
# Convexity (LaAciq/Convexity.lean)

_conv = st.tuples(_law, _r, _r, st.fractions(0, 1, max_denominator=16), _pos)


def _model(law, c, a):
    return exact.clip_error(law, a) + c * a * a


def _order_and_sq_pos(law, x, y):
    """``(min(x, y), max(x, y), a ↦ ((t - a)₊)²)`` with ``t`` the law's first value."""
    t0 = law[0][0]
    return min(x, y), max(x, y), lambda a: max(t0 - a, F(0)) ** 2


@_prop("prop.convex.clip_error", "α ↦ ((t - α)₊)² and clipError are convex on ℝ; Jensen for "
       "the square; z ≤ s, 0 ≤ s → z₊ ≤ s", _conv,
       theorems=("sq_convex_comb_le", "convexOn_sq_posPart", "convexOn_clipError",
                 "posPart_le_of_le_of_nonneg", "Law.convexOn_clipError"))
def _cconv(ex):
    law, x, y, t, _ = ex
    u = 1 - t
    z = t * x + u * y
    lo, hi, sp = _order_and_sq_pos(law, x, y)
    return _first([
        ("posPart_le_of_le_of_nonneg", not (hi >= 0) or max(lo, F(0)) <= hi),
        ("sq_convex_comb_le", (t * x + u * y) ** 2 <= t * x * x + u * y * y),
        ("convexOn_sq_posPart", sp(z) <= t * sp(x) + u * sp(y)),
        ("convexOn_clipError", exact.clip_error(law, z)
         <= t * exact.clip_error(law, x) + u * exact.clip_error(law, y))])


@_prop("prop.convex.antitone", "x ≤ y → ((t - y)₊)² ≤ ((t - x)₊)², clipError y ≤ clipError x; "
       "0 ≤ u ≤ v → u² ≤ v²", _conv,
       theorems=("sq_posPart_antitone", "clipError_antitone", "sq_le_sq_of_nonneg_of_le",
                 "Law.clipError_antitone"))
def _canti(ex):
    law, x, y, _, _ = ex
    lo, hi, sp = _order_and_sq_pos(law, x, y)
    return _first([
        ("sq_posPart_antitone", sp(hi) <= sp(lo)),
        ("clipError_antitone", exact.clip_error(law, hi) <= exact.clip_error(law, lo)),
        ("sq_le_sq_of_nonneg_of_le", not (lo >= 0) or lo * lo <= hi * hi)])


@_prop("prop.convex.model", "c ≥ 0: c·α² and clipError + c·α² convex; c > 0: strictly convex, "
       "so at most one minimizer", _conv,
       theorems=("convexOn_const_mul_sq", "strictConvexOn_const_mul_sq", "convexOn_modelMSE",
                 "strictConvexOn_modelMSE", "modelMSE_minimizer_unique", "Law.convexOn_modelMSE",
                 "Law.strictConvexOn_modelMSE", "Law.modelMSE_minimizer_unique"))
def _cmodel(ex):
    law, x, y, t, c = ex
    u = 1 - t
    z = t * x + u * y
    out = [("convexOn_const_mul_sq", c * z * z <= t * c * x * x + u * c * y * y),
           ("convexOn_modelMSE", _model(law, c, z) <= t * _model(law, c, x)
            + u * _model(law, c, y))]
    if x != y and 0 < t < 1:
        out += [("strictConvexOn_const_mul_sq", c * z * z < t * c * x * x + u * c * y * y),
                ("strictConvexOn_modelMSE", _model(law, c, z) < t * _model(law, c, x)
                 + u * _model(law, c, y)),
                # two minimizers x ≠ y would have equal values and a strictly lower midpoint
                ("modelMSE_minimizer_unique", not (_model(law, c, x) == _model(law, c, y))
                 or _model(law, c, (x + y) / 2) < _model(law, c, x))]
    return _first(out)


@_prop("prop.convex.monotone", "0 ≤ x ≤ y: c·x² ≤ c·y² (c ≥ 0), P(|X| ≤ x) ≤ P(|X| ≤ y), "
       "x²·P(|X| ≤ x) ≤ y²·P(|X| ≤ y)", _conv,
       theorems=("const_mul_sq_mono", "probInside_mono", "sq_mul_probInside_mono"))
def _cmono(ex):
    law, x, y, _, c = ex
    lo, hi = min(x, y), max(x, y)
    out = [("probInside_mono", exact.prob_inside(law, lo) <= exact.prob_inside(law, hi))]
    if lo >= 0:
        out += [("const_mul_sq_mono", c * lo * lo <= c * hi * hi),
                ("sq_mul_probInside_mono", lo * lo * exact.prob_inside(law, lo)
                 <= hi * hi * exact.prob_inside(law, hi))]
    return _first(out)


# ---------------------------------------------------------------------------------------------
# Optimality (LaAciq/Optimality.lean; the finite theorems are read off in LaAciq/LawTheory.lean)


@_prop("prop.optimality.fixed_point", "Model MSE E[((|X|-α)₊)²] + c·α² of a finite law: the "
       "pointwise bound ((u-(α+t))₊)² ≤ ((u-α)₊ - t)², the quadratic upper bound in t, and at "
       "the exact global minimizer c·α = E[(|X|-α)₊] and α·(c + P(|X|>α)) = E[|X|; |X|>α]",
       st.tuples(_law, _r, _r, _pos),
       theorems=("sq_posPart_sub_le", "modelMSE_le_quadratic", "eq_zero_of_forall_nonneg",
                 "modelMSE_minimizer_fixed_point", "modelMSE_minimizer_fixed_point'",
                 "Law.modelMSE_le_quadratic", "Law.modelMSE_minimizer_fixed_point",
                 "Law.modelMSE_minimizer_fixed_point'"))
def _fixed_point(ex):
    law, a, t, c = ex
    values, weights = law
    pp = lambda u, s: max(u - s, F(0))  # noqa: E731
    e_pp = sum((w * pp(abs(v), a) for v, w in zip(values, weights)), F(0))
    am = convexity.model_minimizer_exact(values, weights, c)
    tail_w = sum((w for v, w in zip(values, weights) if abs(v) > am), F(0))
    tail_m = sum((w * abs(v) for v, w in zip(values, weights) if abs(v) > am), F(0))
    return _first([
        ("sq_posPart_sub_le", pp(values[0], a + t) ** 2 <= (pp(values[0], a) - t) ** 2),
        ("modelMSE_le_quadratic", _model(law, c, a + t)
         <= _model(law, c, a) - 2 * t * e_pp + t * t + c * ((a + t) ** 2 - a * a)),
        ("eq_zero_of_forall_nonneg", True if e_pp == 0 else
         min(e_pp * s + c * s * s for s in (-e_pp / (2 * c), e_pp)) < 0),
        ("modelMSE_minimizer_fixed_point",
         c * am == sum((w * pp(abs(v), am) for v, w in zip(values, weights)), F(0))),
        ("modelMSE_minimizer_fixed_point'", am * (c + tail_w) == tail_m)])
