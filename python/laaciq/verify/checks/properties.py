"""Property and exhaustive checks of the Lean theorems, on the exact Fraction reference.

Each check states, in Python, the conclusion of one or more Lean theorems (hypotheses included,
exactly as Lean assumes them) and tests it on derandomized Hypothesis examples (``property``) or
on a small complete grid (``exhaustive``). Arithmetic is ``fractions.Fraction`` throughout:
``quantizer.clip_exact``/``quantize_exact``/``round_exact`` and ``mse.*_fraction`` are the
Python twins of Lean's ``clip``/``quantize``/``roundS`` and ``mse``/``clipError``/``innerError``
(see ``registry.NAME_MAP``). A float check of the library against that reference is separate
(``prop.quantize.float_agrees``, ``prop.mse.float_agrees``) and is not linked to a theorem.

(Over 600 lines on purpose: one short check per group of Lean theorems, in the order of the Lean
modules, so the file reads as the Lean library's table of contents.)
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

from laaciq.theory import convexity
from laaciq.theory import mixture
from laaciq.theory import mse
from laaciq.theory import quantizer
from laaciq.theory.distribution import ExactFiniteDist, FiniteDist
from laaciq.verify.checks import exact_arith as exact, hyp
from laaciq.verify.checks import check, outcome

F = Fraction
HALF = F(1, 2)

# ---------------------------------------------------------------------------------------------
# Lean definitions in Python (Fractions)


def clip(a, x):
    """Lean ``clip a x`` = ``quantizer.clip_exact(x, a)`` (any sign of ``a``)."""
    return quantizer.clip_exact(x, a)


def abs_s(x):
    """Lean ``absS x = maxS x (-x)``."""
    return -x if x <= -x else x


def round_s(y):
    """Lean ``roundS y = ⌊y + ½⌋`` = ``quantizer.round_exact(y, "half_up")``."""
    return quantizer.round_exact(y, "half_up")


def quantize(a, b, x):
    """Lean ``quantize a B x`` = ``quantizer.quantize_exact(x, a, B)`` (``a > 0``)."""
    return quantizer.quantize_exact(x, a, b)


def step(a, b):
    return quantizer.step_exact(a, b)


def expect(law, f):
    values, weights = law
    return sum((w * f(v) for v, w in zip(values, weights)), F(0))


def mean(law):
    return expect(law, lambda x: x)


def cmoment(law, k):
    mu = mean(law)
    return expect(law, lambda x: (x - mu) ** k)


def mix(w, l1, l2):
    """Lean ``mix w l₁ l₂``: atoms concatenated, weights rescaled by ``w`` and ``1 - w``."""
    return (tuple(l1[0]) + tuple(l2[0]),
            tuple(w * p for p in l1[1]) + tuple((1 - w) * p for p in l2[1]))


def kurt(law):
    return cmoment(law, 4) / cmoment(law, 2) ** 2 - 3


# ---------------------------------------------------------------------------------------------
# registration helpers


def _prop(id_: str, statement: str, strategy, kind: str = "property"):
    """Register ``pred(example) -> None | message`` as a Hypothesis property check."""

    def deco(pred):
        @check(id_, kind, statement)
        def run(budget):
            res, n, ex, msg = hyp.run_property(strategy, pred, budget.examples)
            if res == "pass":
                return outcome("pass", f"{n} derandomized examples, exact Fraction arithmetic",
                               n)
            if res == "fail":
                return outcome("fail", f"minimal counterexample: {msg}", n,
                               {"example": hyp.jsonable(ex), "message": msg})
            return outcome("error", msg, n)

        return pred

    return deco


def _exhaustive(id_: str, statement: str):
    """Register ``fn() -> (cases, failures list)`` as an exhaustive check."""

    def deco(fn):
        @check(id_, "exhaustive", statement)
        def run(budget):
            cases, failures = fn()
            if failures:
                return outcome("fail", f"{len(failures)} of {cases} cases fail; first: "
                                       f"{failures[0]}", cases,
                               {"example": hyp.jsonable(failures[0])})
            return outcome("pass", f"all {cases} cases of the grid hold (exact)", cases)

        return fn

    return deco


def _first(checks):
    """The name of the first failing ``(name, bool)`` pair, or ``None``."""
    for name, ok in checks:
        if not ok:
            return name
    return None


_r = hyp.rationals()
_pos = hyp.positive_rationals()

# ---------------------------------------------------------------------------------------------
# Clip (LaAciq/Clip.lean)


@_prop("prop.clip.bounds", "0 ≤ α → -α ≤ clip α x ≤ α, |clip α x| ≤ α, α ≤ β → clip α x ∈ "
       "[-β, β]; -α ≤ clip α x for every α", st.tuples(_r, _r, _r))
def _clip_bounds(ex):
    a, x, b = ex
    c = clip(a, x)
    out = [("neg_alpha_le_clip", -a <= c)]
    if a >= 0:
        out += [("clip_le_alpha", c <= a), ("clip_in_range", -a <= c <= a),
                ("clip_abs_le", abs_s(c) <= a)]
        if a <= b:
            out.append(("clip_mono_alpha", -b <= c <= b))
    return _first(out)


@_prop("prop.clip.fixed_points", "clip α (clip α x) = clip α x; -α ≤ x ≤ α → clip α x = x; "
       "0 ≤ α → (clip α x = x ↔ -α ≤ x ≤ α ↔ x - clip α x = 0)", st.tuples(_r, _r))
def _clip_fixed(ex):
    a, x = ex
    c = clip(a, x)
    inside = -a <= x <= a
    out = [("clip_idempotent", clip(a, c) == c)]
    if inside:
        out.append(("clip_of_in_range", c == x))
    if a >= 0:
        out += [("clip_eq_self_iff", (c == x) == inside),
                ("sub_clip_eq_zero_iff", (x - c == 0) == inside)]
    return _first(out)


@_prop("prop.clip.saturation", "0 ≤ α ≤ x → clip α x = α; 0 ≤ α, x ≤ -α → clip α x = -α",
       st.tuples(_r, _r))
def _clip_sat(ex):
    a, x = ex
    out = []
    if a >= 0 and a <= x:
        out.append(("clip_of_alpha_le", clip(a, x) == a))
    if a >= 0 and x <= -a:
        out.append(("clip_of_le_neg_alpha", clip(a, x) == -a))
    return _first(out)


@_prop("prop.clip.order", "x ≤ y → clip α x ≤ clip α y; 0 ≤ x → 0 ≤ clip α x (every α)",
       st.tuples(_r, _r, _r))
def _clip_order(ex):
    a, x, y = ex
    lo, hi = min(x, y), max(x, y)
    return _first([("clip_mono_x", clip(a, lo) <= clip(a, hi)),
                   ("clip_nonneg", not (x >= 0) or clip(a, x) >= 0)])


@_prop("prop.clip.lipschitz", "0 ≤ α → |clip α x - clip α y| ≤ |x - y|", st.tuples(_r, _r, _r))
def _clip_lip(ex):
    a, x, y = ex
    if a < 0:
        return None
    return _first([("clip_lipschitz", abs_s(clip(a, x) - clip(a, y)) <= abs_s(x - y))])


@_prop("prop.clip.symmetry", "0 ≤ α → clip α (-x) = -clip α x; 0 ≤ α, 0 < c → "
       "clip (c·α) (c·x) = c · clip α x", st.tuples(_r, _r, _pos))
def _clip_sym(ex):
    a, x, c = ex
    if a < 0:
        return None
    return _first([("clip_neg", clip(a, -x) == -clip(a, x)),
                   ("clip_mul", clip(c * a, c * x) == c * clip(a, x))])


@_prop("prop.clip.residual", "0 ≤ α → |x - clip α x| = max(|x| - α, 0)", st.tuples(_r, _r))
def _clip_res(ex):
    a, x = ex
    if a < 0:
        return None
    return _first([("abs_sub_clip", abs_s(x - clip(a, x)) == max(abs_s(x) - a, F(0)))])


@_exhaustive("exh.clip", "every clip theorem on α ∈ {-2, -3/2, …, 2}, x, y ∈ {-3, -5/2, …, 3}")
def _exh_clip():
    grid = [F(k, 2) for k in range(-6, 7)]
    alphas = [F(k, 2) for k in range(-4, 5)]
    cases, bad = 0, []
    for a in alphas:
        for x in grid:
            for y in grid:
                cases += 1
                for pred, args in ((_clip_bounds, (a, x, y)), (_clip_fixed, (a, x)),
                                   (_clip_sat, (a, x)), (_clip_order, (a, x, y)),
                                   (_clip_lip, (a, x, y)), (_clip_res, (a, x)),
                                   (_clip_sym, (a, x, F(3, 2)))):
                    msg = pred(args)
                    if msg:
                        bad.append({"theorem": msg, "alpha": a, "x": x, "y": y})
    return cases, bad


@_prop("prop.clip.float_agrees", "quantizer.clip (float64) equals the exact clip on "
       "float-representable inputs", st.tuples(st.floats(-1e30, 1e30), st.floats(1e-30, 1e30)))
def _clip_float(ex):
    x, a = ex
    got = float(quantizer.clip(np.array([x]), a)[0])
    want = clip(F(a), F(x))
    return None if F(got) == want else f"clip({x!r}, {a!r}) = {got!r}, exact {want}"


# ---------------------------------------------------------------------------------------------
# Rounding (LaAciq/Quantizer.lean, LaAciq/Refutations.lean)


@_prop("prop.round.basic", "⌊·⌋ characterised by n ≤ x < n+1; roundS n = n; "
       "roundS y - y ≤ ½ and y - roundS y < ½; roundS monotone; y ≤ n → roundS y ≤ n; "
       "n ≤ y → n ≤ roundS y; n - ½ ≤ y < n + ½ → roundS y = n",
       st.tuples(_r, _r, st.integers(-50, 50)))
def _round_basic(ex):
    x, y, n = ex
    r = round_s(x)
    lo, hi = min(x, y), max(x, y)
    fx = quantizer.floor_exact(x)
    out = [("floor_eq_of_le_of_lt", fx <= x < fx + 1),
           ("roundS_intCast", round_s(F(n)) == n),
           ("roundS_sub_le", r - x <= HALF and x - r < HALF),
           ("roundS_mono", round_s(lo) <= round_s(hi)),
           ("roundS_le_of_le", not (x <= n) or r <= n),
           ("le_roundS_of_le", not (n <= x) or n <= r),
           ("intCast_le_intCast_of_le", (fx <= n) == (F(fx) <= F(n))),
           ("roundS_eq", not (n - HALF <= x < n + HALF) or r == n),
           ("roundS_eq_zero", not (-HALF <= x < HALF) or r == 0),
           ("roundS_eq_one", not (HALF <= x < F(3, 2)) or r == 1)]
    return _first(out)


@_prop("prop.round.neg", "y not a half-integer → roundS (-y) = -roundS y", _r)
def _round_neg(y):
    if (y - HALF).denominator == 1:  # y = n + ½: excluded by the hypothesis
        return None
    return _first([("roundS_neg", round_s(-y) == -round_s(y))])


# ---------------------------------------------------------------------------------------------
# Levels, step, quantizer (LaAciq/Quantizer.lean)


@_exhaustive("exh.levels", "B = 1..64: 2·levels B + 1 = 2^B - 1; B ≥ 2: 1 ≤ levels B, "
             "0 < levels B in ℚ, step α 2 = α")
def _exh_levels():
    cases, bad = 0, []
    for b in range(1, 65):
        cases += 1
        L = 2 ** (b - 1) - 1
        if 2 * L + 1 != 2 ** b - 1:
            bad.append({"theorem": "two_mul_levels_add_one", "B": b})
        if b >= 2 and not (L >= 1 and F(L) > 0 and F(int(L)) == F(L)):
            bad.append({"theorem": "one_le_levels", "B": b})
        if 2 <= b <= 16 and quantizer.levels(b) != L:
            bad.append({"theorem": "levels (python)", "B": b})
    for a in (F(1), F(3, 7), F(10) ** 20):
        cases += 1
        if step(a, 2) != a:
            bad.append({"theorem": "step_two", "alpha": a})
    return cases, bad


@_prop("prop.step", "0 < α, B ≥ 2: 0 < step; step·levels = α; step = 2α/(2^B - 2) ≠ "
       "2α/(2^B - 1)", st.tuples(_pos, hyp.bits()))
def _step(ex):
    a, b = ex
    s = step(a, b)
    L = quantizer.levels(b)
    return _first([("step_pos", s > 0), ("step_mul_levels", s * L == a),
                   ("step_eq_two_mul_div", s == 2 * a / (2 ** b - 2)),
                   ("levels_cast_pos", F(L) > 0), ("intCast_levels", F(int(L)) == F(L))])


@_prop("prop.div", "0 < s: c ≤ s·L → c/s ≤ L and s·L ≤ c → L ≤ c/s",
       st.tuples(_r, _pos, _r))
def _div(ex):
    c, s, L = ex
    return _first([("div_le_of_le_mul_of_pos", not (c <= s * L) or c / s <= L),
                   ("le_div_of_mul_le_of_pos", not (s * L <= c) or L <= c / s)])


_qc = hyp.quant_cases()


@_prop("prop.quantize.grid", "Q x = k·step with |k| ≤ levels; grid points are fixed; "
       "-α ≤ Q x ≤ α; Q 0 = 0", _qc)
def _q_grid(ex):
    x, a, b = ex
    s, L = step(a, b), quantizer.levels(b)
    q = quantize(a, b, x)
    k = q / s
    kx = round_s(x / s)
    gp = s * max(-L, min(L, kx))
    return _first([("quantize_mem_grid", k.denominator == 1 and -L <= k <= L),
                   ("quantize_grid_point", quantize(a, b, gp) == gp),
                   ("quantize_mem_range", -a <= q <= a),
                   ("quantize_zero", quantize(a, b, F(0)) == 0)])


@_prop("prop.quantize.error", "|x| ≤ α → |x - Q x| ≤ step/2; B = 2, |x| ≤ α → "
       "Q x = α·roundS(x/α)", _qc)
def _q_err(ex):
    x, a, b = ex
    if not -a <= x <= a:
        return None
    q = quantize(a, b, x)
    out = [("abs_sub_quantize_le", abs_s(x - q) <= step(a, b) / 2)]
    if b == 2:
        out.append(("quantize_two_of_abs_le", q == a * round_s(x / a)))
    return _first(out)


@_prop("prop.quantize.saturation", "α ≤ x → Q x = α; x ≤ -α → Q x = -α", _qc)
def _q_sat(ex):
    x, a, b = ex
    q = quantize(a, b, x)
    return _first([("quantize_of_alpha_le", not (a <= x) or q == a),
                   ("quantize_of_le_neg_alpha", not (x <= -a) or q == -a)])


@_prop("prop.quantize.order", "Q (Q x) = Q x; x ≤ y → Q x ≤ Q y",
       st.tuples(_qc, _r))
def _q_order(ex):
    (x, a, b), y = ex
    q = quantize(a, b, x)
    lo, hi = min(x, y), max(x, y)
    return _first([("quantize_idempotent", quantize(a, b, q) == q),
                   ("quantize_mono", quantize(a, b, lo) <= quantize(a, b, hi))])


@_prop("prop.quantize.homogeneous", "0 < c: Q_{c·α}(c·x) = c · Q_α(x)",
       st.tuples(_qc, _pos))
def _q_hom(ex):
    (x, a, b), c = ex
    return _first([("quantize_homogeneous", quantize(c * a, b, c * x) == c * quantize(a, b, x))])


@_prop("prop.quantize.odd_off_ties", "clip α x / step not a half-integer → Q (-x) = -Q x",
       _qc)
def _q_odd(ex):
    x, a, b = ex
    y = clip(a, x) / step(a, b)
    if (y - HALF).denominator == 1:
        return None
    return _first([("quantize_neg", quantize(a, b, -x) == -quantize(a, b, x))])


#: The tie rules a reader assumes for seed 000's ``round``, which names none: both are odd.
SEED_TIE_RULES = ("half_even", "half_away")


def _odd_under(rule, a, b, x):
    return (quantizer.quantize_exact(-x, a, b, rule) == -quantizer.quantize_exact(x, a, b, rule))


@_prop("prop.quantize.odd_ties", "Q(-x) = -Q(x) for every x, ties included, when round breaks "
       "ties half-to-even or half-away-from-zero (exact Fractions)", _qc)
def _q_odd_ties(ex):
    x, a, b = ex
    return _first([(f"odd under {r}", _odd_under(r, a, b, x)) for r in SEED_TIE_RULES])


@_exhaustive("exh.quantize.odd_ties", "B ∈ {2, 3, 4, 8}, α ∈ {1, 3/7}, x on every multiple of "
             "step/2 in [-α - step, α + step] (every tie): Q(-x) = -Q(x) half-to-even and "
             "half-away-from-zero")
def _exh_odd_ties():
    cases, failures = 0, []
    for b in (2, 3, 4, 8):
        for a in (F(1), F(3, 7)):
            s = step(a, b)
            L = quantizer.levels(b)
            for k in range(-2 * L - 2, 2 * L + 3):
                x = k * s / 2
                for r in SEED_TIE_RULES:
                    cases += 1
                    if not _odd_under(r, a, b, x):
                        failures.append({"x": x, "alpha": a, "bits": b, "rounding": r})
    return cases, failures


@_prop("prop.quantize.seed_formula", "Q x = α · roundS(clip α x / α · (2^(B-1) - 1)) / "
       "(2^(B-1) - 1) (seed 000's formula)", _qc)
def _q_seed(ex):
    x, a, b = ex
    L = quantizer.levels(b)
    seed = a * round_s(clip(a, x) / a * L) / L
    return _first([("quantize_eq_seed", quantize(a, b, x) == seed)])


@_exhaustive("exh.quantizer", "B = 2..6, α = 1, x on every multiple of step/2 in "
             "[-α - step, α + step]: grid of 2^B - 1 points, range, saturation, error bound, "
             "idempotence, monotonicity, oddness off ties")
def _exh_q():
    cases, bad = 0, []
    a = F(1)
    for b in range(2, 7):
        L = quantizer.levels(b)
        s = step(a, b)
        xs = [F(j, 2) * s for j in range(-2 * L - 2, 2 * L + 3)]
        outs = set()
        prev = None
        for x in xs:
            cases += 1
            q = quantize(a, b, x)
            outs.add(q)
            for pred in (_q_grid, _q_err, _q_sat, _q_odd, _q_seed):
                msg = pred((x, a, b))
                if msg:
                    bad.append({"theorem": msg, "B": b, "x": x})
            if prev is not None and prev > q:
                bad.append({"theorem": "quantize_mono", "B": b, "x": x})
            prev = q
        if len(outs) != 2 ** b - 1:
            bad.append({"theorem": "two_mul_levels_add_one", "B": b, "outputs": len(outs)})
    return cases, bad


@_prop("prop.quantize.float_agrees", "quantizer.quantize (float64) equals the exact quantizer "
       "up to one ulp of α, except within one ulp of a rounding tie",
       st.tuples(st.floats(-1e6, 1e6), st.floats(1e-6, 1e6), hyp.bits()))
def _q_float(ex):
    x, a, b = ex
    got = F(float(quantizer.quantize(np.array([x]), a, b)[0]))
    want = quantize(F(a), b, F(x))
    s = step(F(a), b)
    y = clip(F(a), F(x)) / s
    tie_dist = abs(y - (quantizer.floor_exact(y) + HALF)) * s
    tol = F(math.ulp(a)) * 4
    if abs(got - want) <= tol or tie_dist <= F(math.ulp(max(abs(x), a))) * 4:
        return None
    return f"quantize({x!r}, {a!r}, {b}) = {float(got)!r}, exact {float(want)!r}"


# ---------------------------------------------------------------------------------------------
# Finite laws (LaAciq/Distribution.lean, LaAciq/Mixture.lean)

_law = hyp.finite_laws()
_FUNS = {
    "x": lambda x: x, "x^2": lambda x: x * x, "|x|": abs_s, "clip1": lambda x: clip(F(1), x),
    "1": lambda x: F(1), "(x-1)^3": lambda x: (x - 1) ** 3,
}
_fun = st.sampled_from(sorted(_FUNS))


@_prop("prop.expect.linearity", "E[f + g] = E f + E g; E[c·f] = c·E f; E[c] = c·Σw; "
       "E[c] = c under a law", st.tuples(_law, _fun, _fun, _r))
def _lin(ex):
    law, fn, gn, c = ex
    f, g = _FUNS[fn], _FUNS[gn]
    return _first([
        ("expect_add", expect(law, lambda x: f(x) + g(x)) == expect(law, f) + expect(law, g)),
        ("expect_const_mul", expect(law, lambda x: c * f(x)) == c * expect(law, f)),
        ("expect_const_eq_mul_weight", expect(law, lambda x: c) == c * sum(law[1])),
        ("expect_const", expect(law, lambda x: c) == c)])


@_prop("prop.expect.order", "w ≥ 0, f ≥ 0 → E f ≥ 0; f ≤ g → E f ≤ E g; 0 ≤ P(e) ≤ 1",
       st.tuples(_law, _fun, _r))
def _order(ex):
    law, fn, t = ex
    f = _FUNS[fn]
    sq = lambda x: f(x) ** 2  # noqa: E731  (a non-negative integrand)
    p = expect(law, lambda x: F(1) if abs_s(x) <= t else F(0))
    return _first([("expect_nonneg", expect(law, sq) >= 0),
                   ("expect_mono", expect(law, sq) <= expect(law, lambda x: sq(x) + x * x)),
                   ("prob_nonneg", p >= 0), ("prob_le_one", p <= 1)])


@_prop("prop.expect.structure", "E over a scaled support, reweighted atoms and concatenated "
       "lists", st.tuples(_law, _law, _fun, _r))
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
       st.tuples(_wt, hyp.skewed_laws(), _law, _fun))
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
       st.tuples(_law, _r))
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
       "agree", st.tuples(_wt, hyp.skewed_laws(), hyp.skewed_laws()))
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
       st.tuples(_wt, _pos, _pos, st.fractions(F(1, 16), 1, max_denominator=16), _r))
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
             "mixture κ = linear κ = 3/5")
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
       "mse = clipError + innerError (also mse.py's Fraction functions)", _mcase)
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
       st.tuples(_mcase, _r, _r))
def _inner(ex):
    (law, a, b), e, h = ex
    s = step(a, b)
    return _first([("innerError_le", exact.inner_error(law, a, b)
                     <= s * s / 4 * exact.prob_inside(law, a)),
                   ("sq_le_sq_of_abs_le", not (abs_s(e) <= h) or e * e <= h * h)])


@_prop("prop.mse.scale", "0 < c: mse(c·X, c·α) = c² · mse(X, α)", st.tuples(_mcase, _pos))
def _mscale(ex):
    (law, a, b), c = ex
    scaled = (tuple(c * v for v in law[0]), law[1])
    return _first([("mse_scale", exact.mse(scaled, c * a, b) == c * c * exact.mse(law, a, b))])


@_prop("prop.mse.nonneg", "mse, clipError, innerError ≥ 0; support in [-α, α] → clipError = 0",
       _mcase)
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
       "the square; z ≤ s, 0 ≤ s → z₊ ≤ s", _conv)
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
       "0 ≤ u ≤ v → u² ≤ v²", _conv)
def _canti(ex):
    law, x, y, _, _ = ex
    lo, hi, sp = _order_and_sq_pos(law, x, y)
    return _first([
        ("sq_posPart_antitone", sp(hi) <= sp(lo)),
        ("clipError_antitone", exact.clip_error(law, hi) <= exact.clip_error(law, lo)),
        ("sq_le_sq_of_nonneg_of_le", not (lo >= 0) or lo * lo <= hi * hi)])


@_prop("prop.convex.model", "c ≥ 0: c·α² and clipError + c·α² convex; c > 0: strictly convex, "
       "so at most one minimizer", _conv)
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
       "x²·P(|X| ≤ x) ≤ y²·P(|X| ≤ y)", _conv)
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
# Optimality (LaAciq/Optimality.lean)


@_prop("prop.optimality.fixed_point", "Model MSE E[((|X|-α)₊)²] + c·α² of a finite law: the "
       "pointwise bound ((u-(α+t))₊)² ≤ ((u-α)₊ - t)², the quadratic upper bound in t, and at "
       "the exact global minimizer c·α = E[(|X|-α)₊] and α·(c + P(|X|>α)) = E[|X|; |X|>α]",
       st.tuples(_law, _r, _r, _pos))
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
