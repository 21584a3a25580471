"""Arithmetic checks: the seeds' own numbers, recomputed.

Every number used here is copied from a seed (the seed is named in the statement). A check
passes when the seed's stated result follows from the seed's own inputs at the precision the
seed states it (its last printed digit), and fails when it does not — or, for a check comparing
two seeds, when they disagree. ``unknown`` means the inputs needed are not in the seeds.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from laaciq.verify.checks import check, outcome

#: Seed 002 §2.4's table: language, ā_outlier(λ), κ_eff(λ), D(λ).
TABLE_002 = (("eng", 0.205, 43.0, 0.005), ("fra", 0.202, 43.0, 0.007),
             ("hin", 0.172, 37.5, 0.021), ("ara", 0.177, 38.8, 0.025))


def table_columns():
    """``(languages, ā_outlier, κ_eff, D)`` as numpy arrays."""
    langs = [r[0] for r in TABLE_002]
    a, k, d = (np.array([r[i] for r in TABLE_002]) for i in (1, 2, 3))
    return langs, a, k, d


def _p_two_sided(r: float, n: int) -> float:
    t = r * math.sqrt(n - 2) / math.sqrt(1 - r * r)
    return float(2 * stats.t.sf(abs(t), n - 2))


def _rounds_to(value: float, stated: float, decimals: int) -> bool:
    return round(value, decimals) == round(stated, decimals)


def _arith(id_: str, statement: str):
    def deco(fn):
        @check(id_, "arithmetic", statement)
        def run(budget):
            res, detail = fn()
            return outcome(res, detail, 1)
        return fn
    return deco


def _ok(b: bool) -> str:
    return "pass" if b else "fail"


@_arith("arith.s002_predicted_disparity", "Seed 002 §5.3: 0.009 × √5.1 ≈ 0.020")
def _a1():
    v = 0.009 * math.sqrt(5.1)
    return _ok(_rounds_to(v, 0.020, 3)), f"0.009 × √5.1 = {v:.5f}, which rounds to 0.020"


@_arith("arith.s002_marchisio_disparity", "Seed 002 §5.1: Disparity = 0.025 − 0.005 = 0.020")
def _a2():
    v = 0.025 - 0.005
    return _ok(_rounds_to(v, 0.020, 3)), f"0.025 − 0.005 = {v:.3f}"


@_arith("arith.s002_ratio", "Seed 002 §2.1: D(ara)/D(eng) = 0.025/0.005, 'Ratio: 5x difference'")
def _a3():
    v = 0.025 / 0.005
    return _ok(_rounds_to(v, 5, 6)), f"0.025 / 0.005 = {v:g}"


def _table_r(column: str) -> float:
    """Pearson r of seed 002's table column ("kappa": κ_eff, "outlier": ā_outlier) with D."""
    _, a, k, d = table_columns()
    return float(np.corrcoef(k if column == "kappa" else a, d)[0, 1])


def _table_r_check(id_: str, statement: str, column: str, stated: float) -> None:
    """Register: the Pearson r of a table column with D rounds to the seed's ``stated`` r."""
    label, col = {"kappa": ("κ_eff", 2), "outlier": ("ā_outlier", 1)}[column]

    @_arith(id_, statement)
    def _r():
        r = _table_r(column)
        ok = _rounds_to(r, stated, 3)
        values = ", ".join(str(row[col]) for row in TABLE_002)
        ds = ", ".join(str(row[3]) for row in TABLE_002)
        return (_ok(ok), f"Pearson r of the table's {label} ({values}) and D ({ds}) is "
                         f"{r:.3f}{'' if ok else f', not {stated}'}")


_table_r_check("arith.s002_table_r_kappa", "Seed 002 §2.4: r(κ_eff, D) = -0.838 from the "
               "table's κ_eff and D columns", "kappa", -0.838)


@_arith("arith.s002_table_p", "Seed 002 §2.4: p < 0.001 for the correlation of the table "
        "(n = 4 languages)")
def _a5():
    r = _table_r("kappa")
    p_tab, p_stated = _p_two_sided(r, 4), _p_two_sided(-0.838, 4)
    return (_ok(p_stated < 0.001 and p_tab < 0.001),
            f"with n = 4 (2 degrees of freedom) the two-sided p-value of r = -0.838 is "
            f"{p_stated:.3f} and of the table's r = {r:.3f} is {p_tab:.3f}: p < 0.001 is "
            f"impossible with 4 languages (it needs |r| > 0.999)")


_table_r_check("arith.s002_table_r_outlier", "Seed 002 §3.4: r(R̂, D) = -0.834 with R̂ the "
               "table's ā_outlier column", "outlier", -0.834)


@_arith("arith.s002_rhat_values", "Seed 002 §3.4: R̂(eng) = 0.205 and R̂(ara) = 0.177 are the "
        "table's ā_outlier values")
def _a7():
    row = {r[0]: r[1] for r in TABLE_002}
    return _ok(row["eng"] == 0.205 and row["ara"] == 0.177), \
        f"table: ā_outlier(eng) = {row['eng']}, ā_outlier(ara) = {row['ara']}"


@_arith("arith.s002_var_kappa", "Seed 002 §5.3: Var[κ_eff] across languages ≈ 5.1 (from the "
        "table's κ_eff column)")
def _a8():
    _, _, k, _ = table_columns()
    pop, samp = float(np.var(k)), float(np.var(k, ddof=1))
    return (_ok(_rounds_to(pop, 5.1, 1) or _rounds_to(samp, 5.1, 1)),
            f"the table's κ_eff (43.0, 43.0, 37.5, 38.8) has variance {pop:.2f} (population) "
            f"or {samp:.2f} (sample), not 5.1; with them C = 0.020/√Var = "
            f"{0.020 / math.sqrt(pop):.4f} or {0.020 / math.sqrt(samp):.4f}")


@_arith("arith.s003_bound_product", "Seed 003 §4.5: 0.1 × 0.001 × 0.01 = 0.000001")
def _a9():
    v = 0.1 * 0.001 * 0.01
    return _ok(math.isclose(v, 1e-6, rel_tol=1e-12)), f"0.1 × 0.001 × 0.01 = {v:.1e}"


@_arith("arith.s003_empirical_bound", "Seed 003 §4.5: 0.01 × 0.834 × 0.03 × 160 ≈ 0.04")
def _a10():
    v = 0.01 * 0.834 * 0.03 * 160
    return _ok(_rounds_to(v, 0.04, 2)), f"0.01 × 0.834 × 0.03 × 160 = {v:.5f}"


@_arith("arith.s003_factor_two", "Seed 003 §4.5: predicted 0.04 against observed 0.020 is a "
        "'factor of 2 error'")
def _a11():
    v = 0.04 / 0.020
    return _ok(_rounds_to(v, 2, 6)), f"0.04 / 0.020 = {v:g}"


@_arith("arith.s003_spread", "Seed 003 §2.1/§2.2: eng 20.5% and ara 17.7% in outlier layers, a "
        "'3+ percentage point spread' (against seed 002's table)")
def _a12():
    _, a, _, _ = table_columns()
    spread = 100 * float(a.max() - a.min())
    pair = 100 * (0.205 - 0.177)
    return (_ok(spread >= 3),
            f"over the 4 languages of seed 002's table the spread is {spread:.1f} points "
            f"(eng − hin); eng − ara alone is {pair:.1f} points")


@_arith("arith.s003_range_a", "Seed 003 §4.5: Range[ā] ≈ 0.03 (seed 002's table)")
def _a13():
    _, a, _, _ = table_columns()
    v = float(a.max() - a.min())
    return _ok(_rounds_to(v, 0.03, 2)), f"max − min of ā_outlier = {v:.3f}"


@_arith("arith.s003_degradation_percent", "Seed 003 §2.1: eng 0.5%, ara 2.5% degradation, "
        "against seed 002's D(eng) = 0.005, D(ara) = 0.025")
def _a14():
    return _ok(math.isclose(0.005 * 100, 0.5) and math.isclose(0.025 * 100, 2.5)), \
        "0.005 = 0.5% and 0.025 = 2.5%"


@_arith("arith.s003_range_kappa", "Seed 003 §4.5: Range[κ] ≈ 160")
def _a15():
    _, _, k, _ = table_columns()
    return "unknown", (f"the per-layer κ range needs BLOOM's minimum layer kurtosis, which no "
                       f"seed gives (max κ = 164 is stated); the κ_eff range of seed 002's "
                       f"table is {float(k.max() - k.min()):.1f}")


@_arith("arith.s003_mt5_threshold", "Seed 003 §3.1/§3.3 against §5.4/§7.2: mT5 (κ = 45) counts "
        "as a model with outliers that should show r < -0.5, while the screening rule expects "
        "r < -0.5 only for max κ > 50 and §7.2 treats max κ < 50 as needing no special handling")
def _a16():
    k = 45
    return _ok(not (k < 50)), (f"κ = {k} < 50: §3.1 marks mT5 ✓ outliers and §3.3 predicts "
                               f"r < -0.5 if (C2) holds, but §5.4's screening applies only "
                               f"above κ = 50 and §7.2 puts κ = 45 in the 'standard PTQ with "
                               f"per-language eval' branch: the thresholds disagree")


@_arith("arith.s003_xglm_kappa", "Seed 003: XGLM 'κ < 2 everywhere', 'κ=1.9', 'max κ = 1.9' and "
        "'For XGLM (κ=2)'")
def _a17():
    max_k, bound, label = 1.9, 2, 2          # 'max κ = 1.9' (= 'κ=1.9'), 'κ < 2', 'κ=2'
    ok = max_k < bound and _rounds_to(max_k, label, 0)
    return _ok(ok), (f"max κ = {max_k} < {bound}, and {max_k} rounds to {label} at the label's "
                     f"precision (no decimals): the four statements agree, 'κ=2' only as a "
                     f"rounded label (read literally, 2 < 2 is false)")


@_arith("arith.s003_bloom_kappa", "Seed 003: BLOOM 'κ > 100 in layers 5,21,22' and 'κ=164'")
def _a18():
    return _ok(164 > 100), "164 > 100: consistent"


@_arith("arith.s004_r_between_seeds", "Seed 004 T-009 r(κ_eff, D) = -0.991 against seeds "
        "001/002 r(κ_eff, D) = -0.838")
def _a19():
    return _ok(_rounds_to(-0.991, -0.838, 3)), \
        "-0.991 ≠ -0.838: the seeds report different correlations for the same quantity"


@_arith("arith.s004_ln2_half", "Seed 004 T-010: ln(2)/2 ≈ 0.347")
def _a20():
    v = math.log(2) / 2
    return _ok(_rounds_to(v, 0.347, 3)), f"ln(2)/2 = {v:.5f}"


@_arith("arith.s004_t010_derivation", "Seed 004 T-010: log(D) = log(σ²) − 2R·log(2) = const − "
        "R·ln(2), so the slope is −ln(2)/2")
def _a21():
    return "fail", ("d/dR of log(σ²) − 2R·ln 2 is −2·ln 2 ≈ −1.386 per bit, not −ln 2 "
                    "(the middle step drops the factor 2) nor the claimed −ln(2)/2 ≈ −0.347 "
                    "(a factor 4 smaller); the seed's own next line says −2·ln(2) for MSE")


@_arith("arith.s004_C_between_seeds", "Seed 004 C ≈ 0.015 (observed disparity / √Var[κ_eff]) "
        "against seed 002 C ≈ 0.009")
def _a22():
    c002 = 0.020 / math.sqrt(5.1)
    return (_ok(_rounds_to(0.015, c002, 3)),
            f"seed 002's numbers give 0.020/√5.1 = {c002:.4f} ≈ 0.009; seed 004's 0.015 would "
            f"need Var[κ_eff] = {(0.020 / 0.015) ** 2:.2f}, not 5.1")


@_arith("arith.s004_nine_theorems", "Seed 004: '9 theorems PROVED' in the clipping table")
def _a23():
    names = ["clip_le_alpha", "neg_alpha_le_clip", "clip_in_range", "clip_of_in_range",
             "clip_idempotent", "clip_abs_le", "clip_mono_x", "clip_mono_alpha", "clip_nonneg"]
    return _ok(len(names) == 9), f"the table lists {len(names)} theorems: {', '.join(names)}"


@_arith("arith.s001_pvalue_n", "Seed 001: r(outlier_frac, D) = -0.834 with p = 0.0002 (how "
        "many languages that needs)")
def _a24():
    n = next(n for n in range(4, 200) if _p_two_sided(-0.834, n) <= 0.0002)
    return "pass", (f"p = 0.0002 for r = -0.834 needs about n = {n} languages (two-sided t test); "
                    f"seed 002's table has 4 (p = {_p_two_sided(-0.834, 4):.3f} there)")
