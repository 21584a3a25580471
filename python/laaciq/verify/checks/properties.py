"""Property and exhaustive checks of the Lean theorems, on the exact Fraction reference: clip,
rounding, levels, step and the quantizer here; finite laws, the MSE, convexity and optimality in
``finite_laws.py``, which reuses the definitions and registration helpers below.

Each check states, in Python, the conclusion of one or more Lean theorems (hypotheses included,
exactly as Lean assumes them) and tests it on derandomized Hypothesis examples (``property``) or
on a small complete grid (``exhaustive``). Arithmetic is ``fractions.Fraction`` throughout:
``quantizer.clip_exact``/``quantize_exact``/``round_exact`` and ``mse.*_fraction`` are the
Python twins of Lean's ``clip``/``quantize``/``roundS`` and ``mse``/``clipError``/``innerError``
(see ``registry.NAME_MAP``). Each check names the theorems it covers (``theorems=…``). A float
check of the library against that reference is separate (``prop.quantize.float_agrees``,
``prop.mse.float_agrees``) and is not linked to a theorem.

The checks follow the order of the Lean modules, so the two files read as the Lean library's
table of contents.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

from laaciq.theory import quantizer
from laaciq.verify.checks import hyp
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


def _prop(id_: str, statement: str, strategy, kind: str = "property", theorems=()):
    """Register ``pred(example) -> None | message`` as a Hypothesis property check."""

    def deco(pred):
        @check(id_, kind, statement, theorems)
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


def _exhaustive(id_: str, statement: str, theorems=()):
    """Register ``fn() -> (cases, failures list)`` as an exhaustive check."""

    def deco(fn):
        @check(id_, "exhaustive", statement, theorems)
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
       "[-β, β]; -α ≤ clip α x for every α", st.tuples(_r, _r, _r),
       theorems=("clip_le_alpha", "neg_alpha_le_clip", "clip_in_range", "clip_abs_le",
                 "clip_mono_alpha"))
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
       "0 ≤ α → (clip α x = x ↔ -α ≤ x ≤ α ↔ x - clip α x = 0)", st.tuples(_r, _r),
       theorems=("clip_of_in_range", "clip_idempotent", "clip_eq_self_iff",
                 "sub_clip_eq_zero_iff"))
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
       st.tuples(_r, _r),
       theorems=("clip_of_alpha_le", "clip_of_le_neg_alpha"))
def _clip_sat(ex):
    a, x = ex
    out = []
    if a >= 0 and a <= x:
        out.append(("clip_of_alpha_le", clip(a, x) == a))
    if a >= 0 and x <= -a:
        out.append(("clip_of_le_neg_alpha", clip(a, x) == -a))
    return _first(out)


@_prop("prop.clip.order", "x ≤ y → clip α x ≤ clip α y; 0 ≤ x → 0 ≤ clip α x (every α)",
       st.tuples(_r, _r, _r),
       theorems=("clip_mono_x", "clip_nonneg"))
def _clip_order(ex):
    a, x, y = ex
    lo, hi = min(x, y), max(x, y)
    return _first([("clip_mono_x", clip(a, lo) <= clip(a, hi)),
                   ("clip_nonneg", not (x >= 0) or clip(a, x) >= 0)])


@_prop("prop.clip.lipschitz", "0 ≤ α → |clip α x - clip α y| ≤ |x - y|", st.tuples(_r, _r, _r),
       theorems=("clip_lipschitz",))
def _clip_lip(ex):
    a, x, y = ex
    if a < 0:
        return None
    return _first([("clip_lipschitz", abs_s(clip(a, x) - clip(a, y)) <= abs_s(x - y))])


@_prop("prop.clip.symmetry", "0 ≤ α → clip α (-x) = -clip α x; 0 ≤ α, 0 < c → "
       "clip (c·α) (c·x) = c · clip α x", st.tuples(_r, _r, _pos),
       theorems=("clip_neg", "clip_mul"))
def _clip_sym(ex):
    a, x, c = ex
    if a < 0:
        return None
    return _first([("clip_neg", clip(a, -x) == -clip(a, x)),
                   ("clip_mul", clip(c * a, c * x) == c * clip(a, x))])


@_prop("prop.clip.residual", "0 ≤ α → |x - clip α x| = max(|x| - α, 0)", st.tuples(_r, _r),
       theorems=("abs_sub_clip",))
def _clip_res(ex):
    a, x = ex
    if a < 0:
        return None
    return _first([("abs_sub_clip", abs_s(x - clip(a, x)) == max(abs_s(x) - a, F(0)))])


@_exhaustive("exh.clip", "every clip theorem on α ∈ {-2, -3/2, …, 2}, x, y ∈ {-3, -5/2, …, 3}",
             theorems=("clip_le_alpha", "neg_alpha_le_clip", "clip_in_range", "clip_of_in_range",
                       "clip_idempotent", "clip_abs_le", "clip_mono_x", "clip_mono_alpha",
                       "clip_nonneg", "clip_of_alpha_le", "clip_of_le_neg_alpha",
                       "clip_eq_self_iff", "clip_lipschitz", "clip_neg", "abs_sub_clip",
                       "sub_clip_eq_zero_iff", "clip_mul"))
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
       st.tuples(_r, _r, st.integers(-50, 50)),
       theorems=("floor_eq_of_le_of_lt", "roundS_intCast", "roundS_sub_le", "roundS_mono",
                 "roundS_le_of_le", "le_roundS_of_le", "intCast_le_intCast_of_le", "roundS_eq",
                 "roundS_eq_zero", "roundS_eq_one", "roundS_eq_neg_one"))
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


@_prop("prop.round.neg", "y not a half-integer → roundS (-y) = -roundS y", _r,
       theorems=("roundS_neg",))
def _round_neg(y):
    if (y - HALF).denominator == 1:  # y = n + ½: excluded by the hypothesis
        return None
    return _first([("roundS_neg", round_s(-y) == -round_s(y))])


# ---------------------------------------------------------------------------------------------
# Levels, step, quantizer (LaAciq/Quantizer.lean)


@_exhaustive("exh.levels", "B = 1..64: 2·levels B + 1 = 2^B - 1; B ≥ 2: 1 ≤ levels B, "
             "0 < levels B in ℚ, step α 2 = α",
             theorems=("one_le_levels", "two_mul_levels_add_one", "levels_cast_pos",
                       "intCast_levels", "step_two"))
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
       "2α/(2^B - 1)", st.tuples(_pos, hyp.bits()),
       theorems=("step_pos", "step_mul_levels", "step_eq_two_mul_div", "levels_cast_pos",
                 "intCast_levels"))
def _step(ex):
    a, b = ex
    s = step(a, b)
    L = quantizer.levels(b)
    return _first([("step_pos", s > 0), ("step_mul_levels", s * L == a),
                   ("step_eq_two_mul_div", s == 2 * a / (2 ** b - 2)),
                   ("levels_cast_pos", F(L) > 0), ("intCast_levels", F(int(L)) == F(L))])


@_prop("prop.div", "0 < s: c ≤ s·L → c/s ≤ L and s·L ≤ c → L ≤ c/s",
       st.tuples(_r, _pos, _r),
       theorems=("div_le_of_le_mul_of_pos", "le_div_of_mul_le_of_pos"))
def _div(ex):
    c, s, L = ex
    return _first([("div_le_of_le_mul_of_pos", not (c <= s * L) or c / s <= L),
                   ("le_div_of_mul_le_of_pos", not (s * L <= c) or L <= c / s)])


_qc = hyp.quant_cases()


@_prop("prop.quantize.grid", "Q x = k·step with |k| ≤ levels; grid points are fixed; "
       "-α ≤ Q x ≤ α; Q 0 = 0", _qc,
       theorems=("quantize_mem_grid", "quantize_grid_point", "quantize_mem_range",
                 "quantize_zero"))
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
       "Q x = α·roundS(x/α)", _qc,
       theorems=("abs_sub_quantize_le", "quantize_two_of_abs_le"))
def _q_err(ex):
    x, a, b = ex
    if not -a <= x <= a:
        return None
    q = quantize(a, b, x)
    out = [("abs_sub_quantize_le", abs_s(x - q) <= step(a, b) / 2)]
    if b == 2:
        out.append(("quantize_two_of_abs_le", q == a * round_s(x / a)))
    return _first(out)


@_prop("prop.quantize.saturation", "α ≤ x → Q x = α; x ≤ -α → Q x = -α", _qc,
       theorems=("quantize_of_alpha_le", "quantize_of_le_neg_alpha"))
def _q_sat(ex):
    x, a, b = ex
    q = quantize(a, b, x)
    return _first([("quantize_of_alpha_le", not (a <= x) or q == a),
                   ("quantize_of_le_neg_alpha", not (x <= -a) or q == -a)])


@_prop("prop.quantize.order", "Q (Q x) = Q x; x ≤ y → Q x ≤ Q y",
       st.tuples(_qc, _r),
       theorems=("quantize_idempotent", "quantize_mono"))
def _q_order(ex):
    (x, a, b), y = ex
    q = quantize(a, b, x)
    lo, hi = min(x, y), max(x, y)
    return _first([("quantize_idempotent", quantize(a, b, q) == q),
                   ("quantize_mono", quantize(a, b, lo) <= quantize(a, b, hi))])


@_prop("prop.quantize.homogeneous", "0 < c: Q_{c·α}(c·x) = c · Q_α(x)",
       st.tuples(_qc, _pos),
       theorems=("quantize_homogeneous",))
def _q_hom(ex):
    (x, a, b), c = ex
    return _first([("quantize_homogeneous", quantize(c * a, b, c * x) == c * quantize(a, b, x))])


@_prop("prop.quantize.odd_off_ties", "clip α x / step not a half-integer → Q (-x) = -Q x",
       _qc,
       theorems=("quantize_neg",))
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
       "(2^(B-1) - 1) (seed 000's formula)", _qc,
       theorems=("quantize_eq_seed",))
def _q_seed(ex):
    x, a, b = ex
    L = quantizer.levels(b)
    seed = a * round_s(clip(a, x) / a * L) / L
    return _first([("quantize_eq_seed", quantize(a, b, x) == seed)])


@_exhaustive("exh.quantizer", "B = 2..6, α = 1, x on every multiple of step/2 in "
             "[-α - step, α + step]: grid of 2^B - 1 points, range, saturation, error bound, "
             "idempotence, monotonicity, oddness off ties",
             theorems=("two_mul_levels_add_one", "quantize_mem_grid", "quantize_grid_point",
                       "quantize_mem_range", "abs_sub_quantize_le", "quantize_of_alpha_le",
                       "quantize_of_le_neg_alpha", "quantize_mono", "quantize_neg",
                       "quantize_eq_seed", "quantize_zero", "quantize_two_of_abs_le"))
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
