"""Checks of the optimal-clip theorems: ``LaAciq/Existence.lean`` (model MSE),
``LaAciq/Candidates.lean`` (true MSE: nearest point, frozen codes, finite candidate set,
bit-width) and ``LaAciq/RefutationsOptimal.lean`` (refutations at the laws' own optima).

Every quantity is recomputed in exact ``Fraction`` arithmetic from the definitions; the global
optimum of the true MSE is cross-checked against an independent method
(``exact_arith.inf_mse``: every piece between breakpoints ``|x|·L/(j + ½)``).
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from laaciq.theory import candidates
from laaciq.theory import quantizer
from laaciq.verify.checks import check, exact_arith as exact, hyp, outcome
from laaciq.verify.checks.properties import (_exhaustive, _first, _prop, abs_s, expect, mix,
                                             quantize, round_s, step)

F = Fraction


def _pp(u, a):
    return max(u - a, F(0))


def _post(law, a):
    return expect(law, lambda x: _pp(abs_s(x), a))


def _tail(law, t):
    return (expect(law, lambda x: F(0) if abs_s(x) <= t else abs_s(x)),
            expect(law, lambda x: F(0) if abs_s(x) <= t else F(1)))


def _model(law, c, a):
    return exact.clip_error(law, a) + c * a * a


_small = hyp.finite_laws(max_atoms=3, values=st.integers(-6, 6).map(lambda k: F(k, 2)))
_cpos = st.integers(1, 12).map(lambda k: F(k, 8))
_apos = st.integers(1, 24).map(lambda k: F(k, 4))

# ---------------------------------------------------------------------------------------------
# Existence.lean


@_prop("prop.existence.model", "Model MSE E[((|X|-α)₊)²] + c·α² (c > 0) of a finite law: the "
       "fixed point c·α = E[(|X|-α)₊] is one of E[|X|; |X|>t]/(c + P(|X|>t)), t ∈ {0} ∪ {|xᵢ|}, "
       "positive iff P(X ≠ 0) > 0; f(α*) + c(β-α*)² ≤ f(β) for every β; the positive minimizer "
       "is unique; for X ≡ 0 f(α/2) < f(α) for every α > 0",
       st.tuples(_small, _cpos, _apos, hyp.rationals(-6, 6)),
       theorems=("absS_nonneg", "absS_pos", "div_pos_of_pos", "tailMass_nonneg", "posPart_ge_tail",
                 "tail_le_posPartMean", "posPartMean_eq_tail", "tailSum_zero", "sq_posPart_ge",
                 "modelMSE_growth", "expect_abs_pos_of_atom", "expect_eq_zero_of",
                 "modelMSE_exists_minimizer_iff", "exists_max_of_pred",
                 "modelMSE_fixed_point_exists", "fixed_point_of_candidate",
                 "modelMSE_le_of_fixed_point", "modelMSE_exists_minimizer",
                 "eq_of_modelMSE_le_fixed_point", "modelMSE_isMinOn_pos_iff",
                 "modelMSE_minimizer_pos_unique", "modelMSE_no_minimizer_of_zero"))
def _existence(ex):
    law, c, a, b = ex
    values, weights = law
    pt = candidates.model_fixed_point(values, weights, c)
    off0 = any(v != 0 and w > 0 for v, w in zip(values, weights))
    ea = expect(law, abs_s)
    s, p = _tail(law, a)
    cond = all((abs_s(v) > a or abs_s(v) <= b) and (abs_s(v) <= a or b <= abs_s(v))
               for v in values)
    u = values[0]
    checks = [
        ("absS_nonneg", abs_s(b) >= 0),
        ("absS_pos", b == 0 or abs_s(b) > 0),
        ("div_pos_of_pos", c / a > 0),
        ("tailMass_nonneg", p >= 0),
        ("posPart_ge_tail", (F(0) if u <= a else u) - b * (F(0) if u <= a else F(1))
         <= _pp(u, b)),
        ("tail_le_posPartMean", s - b * p <= _post(law, b)),
        ("posPartMean_eq_tail", not cond or _post(law, b) == s - b * p),
        ("tailSum_zero", _tail(law, F(0))[0] == ea),
        ("sq_posPart_ge", _pp(u, a) ** 2 - 2 * (b - a) * _pp(u, a) <= _pp(u, b) ** 2),
        ("modelMSE_growth", _model(law, c, a) + 2 * (b - a) * (c * a - _post(law, a))
         + c * (b - a) ** 2 <= _model(law, c, b)),
        ("expect_abs_pos_of_atom", not off0 or ea > 0),
        ("expect_eq_zero_of", expect(law, lambda x: F(0) if x != 0 else x * x) == 0),
        ("modelMSE_exists_minimizer_iff", (pt is not None) == off0),
        ("exists_max_of_pred", max([F(0)] + [abs_s(v) for v in values if c * abs_s(v)
                                              <= _post(law, abs_s(v))])
         in [F(0)] + [abs_s(v) for v in values]),
    ]
    if pt is not None:
        checks += [
            ("modelMSE_fixed_point_exists", pt > 0 and c * pt == _post(law, pt)),
            ("fixed_point_of_candidate", pt in candidates.model_candidates(values, weights, c)),
            ("modelMSE_le_of_fixed_point", _model(law, c, pt) + c * (b - pt) ** 2
             <= _model(law, c, b)),
            ("modelMSE_exists_minimizer", _model(law, c, pt) <= _model(law, c, a)),
            ("eq_of_modelMSE_le_fixed_point", a == pt or _model(law, c, a) > _model(law, c, pt)),
            ("modelMSE_isMinOn_pos_iff", (c * a == _post(law, a)) == (a == pt)),
            ("modelMSE_minimizer_pos_unique", sum(1 for t in candidates.model_candidates(
                values, weights, c) if t > 0 and c * t == _post(law, t)) >= 1
             and all(t == pt for t in candidates.model_candidates(values, weights, c)
                     if t > 0 and c * t == _post(law, t))),
        ]
    else:
        checks.append(("modelMSE_no_minimizer_of_zero", _model(law, c, a / 2) < _model(law, c, a)))
    return _first(checks)


# ---------------------------------------------------------------------------------------------
# Candidates.lean


@_prop("prop.candidates.nearest", "Rounding and the quantizer are nearest-point maps: "
       "(y - round y)² ≤ (y - j)², (x - Q_α x)² ≤ (x - j·step)² for |j| ≤ L; Q = step·code with "
       "|code| ≤ L; step·code² ≤ 2·x·code", st.tuples(hyp.rationals(-8, 8), _apos, hyp.bits(2, 5),
                                                       st.integers(-20, 20)),
       theorems=("sq_sub_roundS_le", "sq_sub_mul_roundS_le", "quantize_eq_code", "code_mem",
                 "sq_sub_quantize_le_grid", "code_mul_le"))
def _nearest(ex):
    x, a, b, j = ex
    L = quantizer.levels(b)
    s = step(a, b)
    k = candidates.code_vector([x], a, b)[0]
    y = x / s
    jj = max(-L, min(L, j))
    return _first([
        ("sq_sub_roundS_le", (y - round_s(y)) ** 2 <= (y - j) ** 2),
        ("sq_sub_mul_roundS_le", (x - s * round_s(y)) ** 2 <= (x - s * j) ** 2),
        ("quantize_eq_code", quantize(a, b, x) == s * k),
        ("code_mem", -L <= k <= L),
        ("sq_sub_quantize_le_grid", (x - quantize(a, b, x)) ** 2 <= (x - s * jj) ** 2),
        ("code_mul_le", s * k * k <= 2 * x * k)])


@_prop("prop.candidates.breakpoints", "Codes are constant between breakpoints: round y ≤ round "
       "y' when every half-integer at or below y is at or below y' (= when the same ones are); "
       "code_α(x) = code_α'(x) for x inside both clipping ranges when no breakpoint x/(j+½) "
       "separates step_α and step_α'; x ≥ α has code L; c ≤ y/s ⇒ c·s ≤ y (s > 0)",
       st.tuples(st.fractions(-8, 8, max_denominator=64), _apos, st.integers(0, 64),
                 hyp.bits(2, 5)),
       theorems=("roundS_le_of_halves", "roundS_eq_of_halves", "code_eq_of_no_breakpoint",
                 "code_of_alpha_le", "mul_le_of_le_div_of_pos"))
def _breakpoints(ex):
    import math
    x, a, r, b = ex
    L = quantizer.levels(b)
    a2 = a * (1 + F(r, 4096))              # a nearby threshold: often no breakpoint between
    s, s2 = step(a, b), step(a2, b)
    y, y2 = x / s, x / s2
    half = F(1, 2)
    # every integer j outside this range has the same truth values at y and y2
    js = range(math.floor(min(y, y2)) - 2, math.ceil(max(y, y2)) + 3)
    up = all(not (j + half <= y) or j + half <= y2 for j in js)
    same = all((j + half <= y) == (j + half <= y2) for j in js)
    inside = -a <= x <= a and -a2 <= x <= a2
    k, k2 = candidates.code_vector([x], a, b)[0], candidates.code_vector([x], a2, b)[0]
    c = y - F(r, 97)
    return _first([
        ("roundS_le_of_halves", not up or round_s(y) <= round_s(y2)),
        ("roundS_eq_of_halves", not same or round_s(y) == round_s(y2)),
        ("code_eq_of_no_breakpoint", not (inside and same) or k == k2),
        ("code_of_alpha_le", x < a or k == L),
        ("mul_le_of_le_div_of_pos", c * s <= x)])


def _codes_all(n, L):
    import itertools
    return itertools.product(range(-L, L + 1), repeat=n)


@_prop("prop.candidates.frozen", "Frozen codes: E[(X - s·k)²] = E[X²] - 2s·E[Xk] + s²·E[k²]; "
       "MSE(β) ≤ E[(X - step_β·k)²] for |k| ≤ L, with equality for the own codes; the vertex "
       "E[Xk]/E[k²] minimizes it; MSE(L·E[Xk_α]/E[k_α²]) ≤ MSE(α); E[k²] = 0 ⇒ E[Xk] = 0 and "
       "MSE(β) ≤ MSE(α)", st.tuples(_small, _apos, _apos, st.sampled_from([2, 3])),
       theorems=("gridErr_eq", "mse_eq_gridErr_code", "mse_le_gridErr", "codeSq_mul_le",
                 "gridErr_vertex_le", "mse_codeVertex_le", "codeDot_eq_zero_of_codeSq",
                 "mse_le_of_codeSq_eq_zero"))
def _frozen(ex):
    law, a, beta, b = ex
    values, weights = law
    L = quantizer.levels(b)
    x2 = expect(law, lambda x: x * x)

    def grid_err(codes, s):
        return sum((w * (v - s * k) ** 2 for v, w, k in zip(values, weights, codes)), F(0))

    def dot(codes):
        return sum((w * v * k for v, w, k in zip(values, weights, codes)), F(0))

    def sq(codes):
        return sum((w * k * k for v, w, k in zip(values, weights, codes)), F(0))

    own = candidates.code_vector(values, a, b)
    other = candidates.code_vector(values, beta, b)
    sa = step(a, b)
    out = [
        ("gridErr_eq", grid_err(other, sa) == x2 - 2 * sa * dot(other) + sa * sa * sq(other)),
        ("mse_eq_gridErr_code", exact.mse(law, a, b) == grid_err(own, sa)),
        ("mse_le_gridErr", all(exact.mse(law, beta, b) <= grid_err(k, step(beta, b))
                               for k in _codes_all(len(values), L))),
        ("codeSq_mul_le", sa * sq(own) <= 2 * dot(own)),
    ]
    if sq(own) > 0:
        v = candidates.code_vertex(values, weights, own, b)
        out += [("gridErr_vertex_le", grid_err(own, dot(own) / sq(own)) <= grid_err(own, beta)),
                ("mse_codeVertex_le", v is not None and v > 0
                 and exact.mse(law, v, b) <= exact.mse(law, a, b))]
    else:
        out += [("codeDot_eq_zero_of_codeSq", dot(own) == 0),
                ("mse_le_of_codeSq_eq_zero", exact.mse(law, beta, b) <= exact.mse(law, a, b))]
    return _first(out)


@_prop("prop.candidates.existence", "The finite list trueCandidates (1 and the vertex "
       "L·E[Xk]/E[k²] of every code vector k ∈ [-L, L]^n) holds, for every α > 0, a β > 0 with "
       "MSE(β) ≤ MSE(α), and a global minimizer over α > 0: its best value equals the exact "
       "infimum computed independently over all pieces between breakpoints, and is attained",
       st.tuples(_small, _apos, st.sampled_from([2, 3])),
       theorems=("mem_codeRange", "mem_codeSums", "mse_le_candidate", "exists_min_of_list",
                 "mse_exists_minimizer"))
def _cand_exist(ex):
    law, a, b = ex
    values, weights = law
    L = quantizer.levels(b)
    cands = candidates.true_candidates(values, weights, b)
    best_a, best = candidates.optimal_by_candidates(values, weights, b)
    inf, _, attained = exact.inf_mse(law, b)
    own = candidates.code_vector(values, a, b)
    v = candidates.code_vertex(values, weights, own, b)
    beat = v if v is not None else F(1)
    return _first([
        ("mem_codeRange", sorted(set(range(-L, L + 1))) == list(range(-L, L + 1))),
        ("mem_codeSums", v is None or v in cands),
        ("mse_le_candidate", beat in cands and exact.mse(law, beat, b) <= exact.mse(law, a, b)),
        ("exists_min_of_list", all(best <= exact.mse(law, c, b) for c in cands)),
        ("mse_exists_minimizer", best_a > 0 and best == inf and attained
         and best <= exact.mse(law, a, b))])


@_prop("prop.bits.monotone", "α' = α·L_{B+1}/L_B: step_{B+1}(α') = step_B(α), "
       "(x - Q'x)² ≤ (x - Qx)² pointwise, MSE_{B+1}(α') ≤ MSE_B(α), and the optimal MSE does not "
       "increase with B", st.tuples(_small, _apos, hyp.bits(2, 4)),
       theorems=("levels_le_levels_succ", "step_bit_up", "bit_up_pos", "sq_sub_quantize_bit_up",
                 "mse_bit_up", "mse_exists_bit_up", "optimal_mse_antitone_bits"))
def _bits(ex):
    law, a, b = ex
    values, _ = law
    a2 = a * quantizer.levels(b + 1) / quantizer.levels(b)
    opt = lambda bb: exact.inf_mse(law, bb)[0]  # noqa: E731
    return _first([
        ("levels_le_levels_succ", quantizer.levels(b) <= quantizer.levels(b + 1)),
        ("step_bit_up", step(a2, b + 1) == step(a, b)),
        ("bit_up_pos", a2 > 0),
        ("sq_sub_quantize_bit_up", all((v - quantize(a2, b + 1, v)) ** 2
                                       <= (v - quantize(a, b, v)) ** 2 for v in values)),
        ("mse_bit_up", exact.mse(law, a2, b + 1) <= exact.mse(law, a, b)),
        ("mse_exists_bit_up", exact.mse(law, a2, b + 1) <= exact.mse(law, a, b)),
        ("optimal_mse_antitone_bits", opt(b + 1) <= opt(b))])


@_exhaustive("exh.bits.fixed_alpha", "A point mass at 1/3 with α = 1: MSE 0 at B = 3 "
             "(step 1/3) and 1/441 at B = 4 (step 1/7); levels 3 = 3, levels 4 = 7, round(7/3) = 2",
             theorems=("mse_fixed_alpha_bits_up", "step_of_levels_eq", "natCast_three",
                       "natCast_seven", "intCast_two"))
def _fixed_alpha():
    law = ((F(1, 3),), (F(1),))
    cases = [("mse_fixed_alpha_bits_up", exact.mse(law, 1, 3) == 0
              and exact.mse(law, 1, 4) == F(1, 441)),
             ("step_of_levels_eq", step(F(1), 3) == F(1, 3) and step(F(1), 4) == F(1, 7)),
             ("natCast_three", quantizer.levels(3) == 3),
             ("natCast_seven", quantizer.levels(4) == 7),
             ("intCast_two", round_s(F(7, 3)) == 2)]
    return len(cases), [name for name, ok in cases if not ok]


# ---------------------------------------------------------------------------------------------
# RefutationsOptimal.lean: helpers


@_prop("prop.refopt.helpers", "e² = 0 ⇒ e = 0; |y| ≥ 1 ⇒ y² ≥ 1; 2-bit codes are -1, 0, 1; at "
       "B = 2 and β ≥ 2 the points ±1 cost ≥ 1; the optimal MSE of c·X is c² times that of X; "
       "the MSE of {1, 2} at B = 2 is positive",
       st.tuples(hyp.rationals(-8, 8), _apos, st.integers(1, 4).map(F)),
       theorems=("eq_zero_of_sq_eq_zero", "one_le_sq_of", "code_two_cases",
                 "one_le_sq_sub_quantize_two", "mse_scale_optimal", "mse_one_two_pos"))
def _refopt(ex):
    y, beta, c = ex
    law = ((F(1), F(2)), (F(1, 2), F(1, 2)))
    scaled = ((c * 1, c * 2), law[1])
    return _first([
        ("eq_zero_of_sq_eq_zero", y * y != 0 or y == 0),
        ("one_le_sq_of", not (abs(y) >= 1) or y * y >= 1),
        ("code_two_cases", candidates.code_vector([y], beta, 2)[0] in (-1, 0, 1)),
        ("one_le_sq_sub_quantize_two", all((x - quantize(beta + 2, 2, x)) ** 2 >= 1
                                           for x in (F(1), F(-1)))),
        ("mse_scale_optimal", exact.inf_mse(scaled, 2)[0] == c * c * exact.inf_mse(law, 2)[0]),
        ("mse_one_two_pos", exact.mse(law, beta, 2) > 0)])


# ---------------------------------------------------------------------------------------------
# refutations at the laws' own optima (pinned Lean witnesses, re-verified exactly)


def _fixed(id_: str, statement: str, theorems=()):
    def deco(fn):
        @check(id_, "refutation", statement, theorems)
        def run(budget):
            ok, detail, cx, n = fn()
            if not ok:
                return outcome("error", f"the witness did not survive re-verification: {detail}",
                               n, hyp.jsonable(cx))
            cx = dict(cx)
            cx["verified"] = "exact"
            return outcome("refutation-verified", detail, n, hyp.jsonable(cx))
        return fn
    return deco


_MONO1 = ((F(0), F(-2), F(2)), (F(3, 4), F(1, 8), F(1, 8)))
_MONO2 = ((F(0), F(-1), F(1), F(-4), F(4)), (F(15, 64), F(3, 8), F(3, 8), F(1, 128), F(1, 128)))


@_fixed("ref.alpha_monotone_finite", "Seed 004: ∂α*/∂κ > 0 — at equal σ some optimum of the "
        "lower-kurtosis law is at most some optimum of the other (B = 2, finite laws)",
        theorems=("claim_optimal_alpha_monotone_false", "monoLaw₁_optimum_ge", "monoLaw₂_mse_one",
                  "monoLaw₂_mse_ge"))
def _mono():
    v1, k1 = exact.moments(_MONO1)[1], exact.kurtosis(_MONO1)
    v2, k2 = exact.moments(_MONO2)[1], exact.kurtosis(_MONO2)
    m1, a1, _ = exact.inf_mse(_MONO1, 2)
    m2, a2, _ = exact.inf_mse(_MONO2, 2)
    c1 = candidates.optimal_by_candidates(*_MONO1, 2)
    c2 = candidates.optimal_by_candidates(*_MONO2, 2)
    mse1_at_2 = exact.mse(_MONO1, 2, 2)
    mse2_at_1 = exact.mse(_MONO2, 1, 2)
    # every optimum of law 1 is ≥ 2 (MSE 0 needs Q(2) = 2 ≤ α); every optimum of law 2 is < 2
    # (MSE ≥ 3/4 on α ≥ 2: the points ±1 cost ≥ 1 there), checked on a grid of α ≥ 2
    grid_ok = all(exact.mse(_MONO2, F(k, 8), 2) >= F(3, 4) for k in range(16, 81))
    ok = (v1 == v2 == 1 and k1 == 1 and k2 == F(7, 4) and mse1_at_2 == 0 and m1 == 0
          and c1[1] == 0 and mse2_at_1 == F(9, 64) and m2 == c2[1] and m2 <= F(9, 64)
          and a2 < 2 and c2[0] < 2 and grid_ok)
    text = (f"law 1 {hyp.fmt_law(_MONO1)} (σ² = {v1}, κ = {k1}) has MSE 0 only at α = 2; law 2 "
            f"{hyp.fmt_law(_MONO2)} (σ² = {v2}, κ = {k2}) has MSE(1) = {mse2_at_1} < 3/4 ≤ "
            f"MSE(α) for α ≥ 2, optimum α* = {c2[0]} (MSE {c2[1]}): larger κ, smaller α*")
    return ok, text, {"law1": hyp.law_json(_MONO1), "law2": hyp.law_json(_MONO2), "bits": 2,
                      "alpha1": a1, "alpha2": c2[0], "kurtosis": [k1, k2]}, 2


@_fixed("ref.disparity_bound_optimal", "Seed 004: max_λ MSE(λ) - min_λ MSE(λ) ≤ "
        "C·√Var_λ[κ_eff(λ)]·2^(-B) at each law's own optimum (B = 2)",
        theorems=("claim_disparity_bound_optimal_false", "mse_scale_optimal", "mse_one_two_pos"))
def _disp_opt():
    law = ((F(1), F(2)), (F(1, 2), F(1, 2)))
    scaled = ((F(2), F(4)), law[1])
    m1 = candidates.optimal_by_candidates(*law, 2)
    m2 = candidates.optimal_by_candidates(*scaled, 2)
    i1, i2 = exact.inf_mse(law, 2)[0], exact.inf_mse(scaled, 2)[0]
    k1, k2 = exact.kurtosis(law), exact.kurtosis(scaled)
    ok = k1 == k2 and m1[1] == i1 > 0 and m2[1] == i2 == 4 * i1
    text = (f"X = {hyp.fmt_law(law)} and 2X: κ = {k1} for both, optimal MSEs {i1} (α* = {m1[0]}) "
            f"and {i2} (α* = {m2[0]}): disparity {i2 - i1} > 0 = C·√Var[κ] for every C")
    return ok, text, {"law": hyp.law_json(law), "scaled_by": 2, "bits": 2,
                      "optimal_mse": [i1, i2], "kurtosis": k1}, 2


@_fixed("ref.kappa_eff_linear_pm12", "Seeds 001/002: κ_eff = Σ ā κ is the kurtosis of the "
        "mixture ½·{±1} + ½·{±2}",
        theorems=("claim_kappa_eff_linear_false",))
def _kappa_pm12():
    l1 = ((F(-1), F(1)), (F(1, 2), F(1, 2)))
    l2 = ((F(-2), F(2)), (F(1, 2), F(1, 2)))
    m = mix(F(1, 2), l1, l2)
    true = exact.kurtosis(m)
    lin = F(1, 2) * exact.kurtosis(l1) + F(1, 2) * exact.kurtosis(l2)
    ok = true == F(-41, 25) and lin == -2
    return ok, (f"κ(½·{{±1}} + ½·{{±2}}) = {true}, the linear ½κ₁ + ½κ₂ = {lin}"), \
        {"kurtosis_of_mixture": true, "linear_kappa_eff": lin}, 1
