"""Deciding: the pre-registered prediction tests (``experiment/plan.json``) applied to the
probe's measurements, one verdict per claim id of the ledger.

Input is a :class:`CorpusMeasure` per corpus (D per configuration and language, its paired
page-bootstrap replicates, the per-language x variables, the script of each language) and the
model-level facts (:class:`ModelFacts`). Nothing here runs a model: every rule can be, and is,
tested on made-up numbers whose right answer is known (``tests/test_lm_decide.py``).

Every verdict names the model, the corpus and the control it was decided against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from laaciq.lm import stats

__all__ = ["CorpusMeasure", "ModelFacts", "primary_bits", "correlation", "correlation_outcome",
           "comparison", "difference_outcome", "decide", "COMPARISONS", "MIN_LANGUAGES"]

MIN_LANGUAGES = 6
#: prediction -> (strategy, its one-ingredient control, claim ids)
COMPARISONS = {
    "seeds_vs_pooled": ("seeds-4", "seeds-pooled-4", ("S001-prediction-1",)),
    "language_vs_pooled": ("language-4", "pooled-4", ("S002-prediction",)),
    "mixed_vs_control": ("mixed", "mixed-control", ("S003-layer-ablation",)),
}
#: reported beside the controlled comparisons, never deciding a claim
REPORTED = (("seeds-4", "exact-4"), ("rule-4", "exact-4"), ("language-4", "exact-4"),
            ("pooled-4", "exact-4"), ("language-g128-4", "pooled-g128-4"))
CORRELATIONS = {"r_kappa": ("kappa_eff_linear", ("S001-empirical-r", "S001-r-kappa",
                                                 "S004-t009")),
                "r_rhat": ("r_hat", ("S001-r-outlier", "S003-core-result"))}


@dataclass
class CorpusMeasure:
    """What the measuring side hands over for one corpus."""

    name: str
    langs: list
    scripts: dict                       # lang -> script name
    D: dict                             # config -> lang -> D
    Dboot: dict                         # config -> lang -> (B,) paired replicates
    x: dict = field(default_factory=dict)   # variable -> lang -> value

    def has(self, cfg: str) -> bool:
        return cfg in self.D and all(l in self.D[cfg] for l in self.langs)

    def point(self, cfg):
        return np.array([self.D[cfg][l] for l in self.langs])

    def boot(self, cfg):
        return np.stack([self.Dboot[cfg][l] for l in self.langs])


@dataclass
class ModelFacts:
    kappa_l: list
    outliers: dict                      # str(tau) -> block list
    top3: list
    mixed_8: list

    @property
    def tau_used(self):
        return next((t for t in ("5.0", "50.0", "100.0") if self.outliers.get(t)), None)


# ---------------------------------------------------------------------------------------------
# primary configuration


def primary_bits(cm: CorpusMeasure, candidates=(6, 5, 4)) -> dict:
    """The plan's rule: the largest ``b`` whose exact per-channel D has a page-bootstrap 95% CI
    above 0 in every language; none → ``b = 4`` with ``above_noise = False``."""
    for b in candidates:
        key = f"exact-{b}"
        if cm.has(key) and all((stats.ci(cm.Dboot[key][l])[0] or 0) > 0 for l in cm.langs):
            return {"bits": b, "config": key, "above_noise": True}
    return {"bits": 4, "config": "exact-4", "above_noise": False}


# ---------------------------------------------------------------------------------------------
# correlations


def correlation(cm: CorpusMeasure, xname: str, cfg: str, rng, B: int, n_perm: int) -> dict:
    """The plan's statistics of ``x`` (a per-language variable) against ``D`` of ``cfg``."""
    langs = [l for l in cm.langs if cm.x.get(xname, {}).get(l) is not None]
    x = np.array([cm.x[xname][l] for l in langs], float)
    if len(langs) < 3 or not cm.has(cfg) or np.std(x) == 0:
        return {"x": xname, "config": cfg, "n_languages": len(langs), "rho": None,
                "note": "fewer than 3 languages, or x constant/undefined"}
    d = np.array([cm.D[cfg][l] for l in langs])
    Db = np.stack([cm.Dboot[cfg][l] for l in langs])
    scripts = [cm.scripts.get(l, "?") for l in langs]
    latin = [i for i, s in enumerate(scripts) if s == "Latin"]
    j = rng.integers(0, len(langs), size=(B, len(langs)))
    return {
        "x": xname, "config": cfg, "n_languages": len(langs), "languages": langs,
        "rho": stats.spearman(x, d),
        "pearson_log1p": stats.pearson(x, np.log1p(d)),
        "loo_rho": stats.loo_range(x, d),
        "rho_latin": stats.spearman(x[latin], d[latin]) if len(latin) >= 3 else None,
        "n_latin": len(latin),
        "rho_partial_script": stats.partial_spearman(x, d, scripts),
        "ci_languages": stats.ci([stats.spearman(x[r], d[r]) for r in j]),
        "ci_pages": stats.ci([stats.spearman(x, Db[:, b]) for b in range(Db.shape[1])]),
        "p_permutation": stats.permutation_p(x, d, n_perm, rng),
    }


def correlation_outcome(c: dict, p_holm, min_languages: int = MIN_LANGUAGES) -> str:
    """supported: Holm p < 0.05, ρ < 0, Pearson(log1p D) < 0, script-partial ρ < 0;
    contradicted: the language CI of ρ lies above −0.5; else inconclusive."""
    if c.get("rho") is None or c.get("n_languages", 0) < min_languages:
        return "inconclusive"
    part = c.get("rho_partial_script")
    if (p_holm is not None and p_holm < 0.05 and c["rho"] < 0 and c["pearson_log1p"] < 0
            and part is not None and math.isfinite(part) and part < 0):
        return "supported"
    lo = c["ci_languages"][0]
    if lo is not None and lo > -0.5:
        return "contradicted"
    return "inconclusive"


# ---------------------------------------------------------------------------------------------
# controlled comparisons


def comparison(cm: CorpusMeasure, strategy: str, control: str) -> dict | None:
    """Δ = Disparity(control) − Disparity(strategy) with its paired bootstrap CI and p."""
    if not (cm.has(strategy) and cm.has(control)) or len(cm.langs) < 2:
        return None
    r = stats.disparity_difference(cm.boot(strategy), cm.boot(control), cm.point(strategy),
                                   cm.point(control))
    loo = stats.disparity_loo(cm.point(strategy), cm.point(control), cm.langs)
    return {"strategy": strategy, "control": control, "corpus": cm.name, **r, **loo}


def difference_outcome(delta, p_holm) -> str:
    """supported: Δ > 0 and Holm p < 0.05; contradicted: Δ < 0 and Holm p < 0.05."""
    if delta is None or p_holm is None or p_holm >= 0.05:
        return "inconclusive"
    return "supported" if delta > 0 else "contradicted" if delta < 0 else "inconclusive"


# ---------------------------------------------------------------------------------------------
# the model-level rules (screening, B*, bounds, checklist)


def _screening(c: dict | None, max_k: float) -> str:
    if not c or c.get("rho") is None or c.get("n_languages", 0) < MIN_LANGUAGES:
        return "inconclusive"
    lo, hi = c["ci_languages"]
    if max_k > 50:
        return "supported" if hi < -0.5 else "contradicted" if lo > -0.5 else "inconclusive"
    if max_k < 5:
        return ("supported" if (lo > -0.3 and hi < 0.3) else
                "contradicted" if (lo > 0.3 or hi < -0.3) else "inconclusive")
    return "inconclusive"


def bit_sweep(cm: CorpusMeasure, bits) -> dict:
    """Cochran's Q over languages of exact-b D (page-bootstrap SEs) per bit-width, and B*."""
    rows = {}
    for b in bits:
        key = f"exact-{b}"
        if not cm.has(key):
            continue
        q = stats.cochran_q(cm.point(key), cm.boot(key).std(axis=1))
        if q is not None:
            rows[b] = {"Q": q[0], "p": q[1], "differ": q[1] < 0.05}
    differing = [b for b, v in rows.items() if v["differ"]]
    return {"rows": rows, "B_star": max(differing) if differing else None}


def _bstar_outcome(bstar, max_k) -> str:
    if bstar is None or bstar >= 6:
        return "inconclusive"
    if (max_k < 5 and bstar <= 3) or (max_k > 100 and 5 <= bstar <= 6):
        return "supported"
    return "contradicted" if (max_k < 5 and bstar >= 4) else "inconclusive"


def bounds(cm: CorpusMeasure, bits) -> dict:
    """Seeds 002/004 bounds: C fitted on the even-indexed languages, tested on the odd ones."""
    half_a, half_b = cm.langs[0::2], cm.langs[1::2]
    if "kappa_eff_linear" not in cm.x:
        return {}
    sdk = {h: float(np.std([cm.x["kappa_eff_linear"][l] for l in g]))
           for h, g in (("a", half_a), ("b", half_b))} if len(half_b) >= 2 else {}
    fit = []
    for b in bits:
        key = f"exact-{b}"
        if cm.has(key) and sdk:
            da = [cm.D[key][l] for l in half_a]
            db = [cm.D[key][l] for l in half_b]
            fit.append((b, max(da) - min(da), max(db) - min(db), max(max(db), 0.0)))
    if not fit or sdk["a"] <= 0:
        return {}
    C = {"002": max(da / sdk["a"] for _, da, _, _ in fit),
         "004": max(da / (sdk["a"] * 2.0 ** -b) for b, da, _, _ in fit)}
    rows = [{"bits": b, "disparity_fit_half": da, "disparity_test_half": db,
             "max_D_test_half": top, "bound_002": C["002"] * sdk["b"],
             "bound_004": C["004"] * sdk["b"] * 2.0 ** -b} for b, da, db, top in fit]
    out = {"fit_languages": half_a, "test_languages": half_b, "C_002": C["002"],
           "C_004": C["004"], "rows": rows}
    for k in ("002", "004"):
        out[f"holds_{k}"] = all(r["disparity_test_half"] <= r[f"bound_{k}"] for r in rows)
        out[f"vacuous_{k}"] = all(r[f"bound_{k}"] >= r["max_D_test_half"] for r in rows)
    return out


def _bound_outcome(b: dict, k: str) -> str:
    if not b:
        return "inconclusive"
    if b[f"holds_{k}"] and b[f"vacuous_{k}"]:
        return "inconclusive"
    return "supported" if b[f"holds_{k}"] else "contradicted"


# ---------------------------------------------------------------------------------------------
# all verdicts


def _verdict(outcome, statistic, value, ci, p, p_holm, test, model, corpus, control):
    return {"outcome": outcome, "statistic": f"{statistic} [{corpus}; control: {control}]",
            "value": value, "ci": ci, "p": p, "p_holm": p_holm, "test": test, "model": model,
            "corpus": corpus, "control": control}


def decide(corpora: dict, facts: ModelFacts, tests: dict, model: str, rng, B: int,
           n_perm: int, primary: str = "libreoffice", sweep: str = "handbook",
           bits=(3, 4, 5, 6, 8)) -> dict:
    """Verdicts per claim id plus the statistics behind them (module docstring).

    ``corpora``: name -> :class:`CorpusMeasure`; ``primary``: the corpus that decides the
    correlations and comparisons (the other corpora get the same statistics, reported only);
    ``sweep``: the corpus with the bit sweep (B*, bounds). A missing corpus falls back to
    whichever is present, and the verdict names the corpus it used.
    """
    names = list(corpora)
    pkey = primary if primary in corpora else names[0]
    pc = corpora[pkey]
    sc = corpora.get(sweep) or pc
    max_k = float(np.max(facts.kappa_l))
    analyses = {}
    for name, cm in corpora.items():
        prim = primary_bits(cm)
        tau = facts.tau_used
        corr = {"r_kappa": correlation(cm, "kappa_eff_linear", prim["config"], rng, B, n_perm)}
        corr["r_rhat"] = correlation(cm, "r_hat", prim["config"], rng, B, n_perm) if tau \
            else {"x": "r_hat", "rho": None, "note": "no block has κ > 5"}
        corr["r_rhat_top3"] = correlation(cm, "r_hat_top3", prim["config"], rng, B, n_perm)
        comps = {k: comparison(cm, s, c) for k, (s, c, _) in COMPARISONS.items()}
        reported = [r for r in (comparison(cm, s, c) for s, c in REPORTED) if r]
        fam = {"r_kappa": corr["r_kappa"].get("p_permutation"),
               "r_rhat": corr["r_rhat"].get("p_permutation"),
               **{k: (v or {}).get("p") for k, v in comps.items()}}
        if not facts.mixed_8:
            fam["mixed_vs_control"] = None
        analyses[name] = {"primary": prim, "correlations": corr, "comparisons": comps,
                          "reported_comparisons": reported, "p_holm": stats.holm(fam)}
    A = analyses[pkey]
    out = {}
    for key, (_, cids) in CORRELATIONS.items():
        c = A["correlations"][key]
        ph = A["p_holm"].get(key)
        oc = correlation_outcome(c, ph) if A["primary"]["above_noise"] else "inconclusive"
        v = _verdict(oc, f"Spearman ρ({c['x']}, D {A['primary']['config']})", c.get("rho"),
                     c.get("ci_languages"), c.get("p_permutation"), ph, tests.get(key),
                     model, pc.name, "permutation of D over languages")
        for cid in cids:
            out[cid] = v
    for key, (s, ctl, cids) in COMPARISONS.items():
        r = A["comparisons"][key]
        ph = A["p_holm"].get(key)
        oc = difference_outcome(r["delta"], ph) if r and (key != "mixed_vs_control"
                                                          or facts.mixed_8) else "inconclusive"
        v = _verdict(oc, f"Disparity({ctl}) − Disparity({s})", r and r["delta"],
                     r and r["ci"], r and r["p"], ph, tests.get(key), model, pc.name, ctl)
        for cid in cids:
            out[cid] = v
    scr_c = A["correlations"]["r_rhat" if facts.tau_used else "r_rhat_top3"]
    scr = _verdict(_screening(scr_c, max_k), f"ρ(ā_outlier, D), max κ = {max_k:.2f}",
                   scr_c.get("rho"), scr_c.get("ci_languages"), scr_c.get("p_permutation"),
                   None, tests.get("screening"), model, pc.name, "expected region of ρ")
    out["S003-screening"] = scr
    if max_k < 5:
        out["S003-xglm-prediction"] = dict(scr)
    sw = bit_sweep(sc, bits)
    out["S003-bit-threshold"] = _verdict(
        _bstar_outcome(sw["B_star"], max_k), "B* (largest bits with significantly different "
        "D(λ))", sw["B_star"], None, sw["rows"].get(sw["B_star"], {}).get("p"), None,
        tests.get("bstar"), model, sc.name, "no difference between languages (Cochran Q)")
    bd = bounds(sc, bits)
    for cid, k in (("S002-conjecture-1", "002"), ("S004-disparity-bound", "004")):
        out[cid] = _verdict(_bound_outcome(bd, k), "bound with C fitted on half the languages, "
                            "tested on the other half", bd.get(f"C_{k}"), None, None, None,
                            tests.get("bounds"), model, sc.name, "held-out half of languages")
    out["S003-checklist"] = _checklist(pc, facts, tests, model)
    return {"claims": out, "analyses": analyses, "bit_sweep": sw, "bounds": bd,
            "max_kappa": max_k}


def _checklist(cm: CorpusMeasure, facts: ModelFacts, tests, model) -> dict:
    s = facts.outliers.get(facts.tau_used) if facts.tau_used else facts.top3
    a = [sum(cm.x["a_bar"][l][b] for b in s) for l in cm.langs] if "a_bar" in cm.x else []
    var = float(np.var(a)) if a else None
    lo = None
    if cm.has("exact-4"):
        b = cm.boot("exact-4")
        lo = stats.ci(b.max(0) - b.min(0))[0]
    oc = "inconclusive" if var is None or lo is None else \
        "supported" if (var > 0.001) == (lo > 0.01) else "contradicted"
    return _verdict(oc, "C2 (Var ā_outlier > 0.001) vs exact-4 disparity CI above 1%", var,
                    None, None, None, tests.get("checklist"), model, cm.name,
                    "the disparity it should predict")
