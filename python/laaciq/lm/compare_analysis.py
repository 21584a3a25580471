"""The head-to-head's statistics and decision rules (``report/compare.json``'s analysis part).

Input: per language and method the per-chunk columns parsed from llama-perplexity (``kld``,
``nll``) and the base model's per-chunk ``nll``. Output: per language and method the mean KL
divergence and the perplexity increase with paired bootstrap CIs, and the comparisons below,
each per language (95% and Bonferroni-adjusted over the languages) and pooled over languages
(chunks resampled within each language).

The decision rules are fixed text (:data:`DECISION_RULES`); ``compare.json`` carries their
SHA-256, and they were committed before the first full run.
"""

from __future__ import annotations

import hashlib

import numpy as np

from laaciq.lm.paired import bonferroni, bootstrap, mean_diff, ppl_diff, ppl_increase, stratified

__all__ = ["DECISION_RULES", "RULES_SHA256", "COMPARISONS", "per_method", "comparisons",
           "answers"]

DECISION_RULES = """\
Unit: a chunk of 256 tokens (its second half, 127 tokens, is scored, as llama-perplexity does);
4 chunks per language, 12 languages (the machine's budget: 2 cores shared with other jobs, ~9 s
per chunk and method). Methods run by default: llama.cpp and laaciq Q4_0 with the English and
the all-language imatrix; the others when time allows. Own-language imatrices for hi, ar, ja
only (chosen before any number: three non-Latin scripts). Every imatrix: 8 chunks of 256
tokens of the calibration split. Paired statistic: the per-chunk
difference between two methods of the mean KL divergence from the F32 model (primary) and of
the mean negative log-likelihood (perplexity, secondary). CIs: percentile bootstrap over chunks,
10,000 resamples; pooled = mean over languages, chunks resampled within each language.
R1 (laaciq ahead at equal format and calibration): for each calibration (none, en, all, own) at
Q4_0 and for Q8_0, laaciq is AHEAD in a language if the Bonferroni-adjusted (over the languages
compared) CI of mean KLD(laaciq) - KLD(llama.cpp) lies below 0, BEHIND if above 0, else TIE;
"ahead in every language" needs AHEAD in all 12. Pooled: the same with the 95% pooled CI.
R2 (English-only calibration hurts other languages): for each tool, in each non-English
language, HURTS if the Bonferroni-adjusted (over the 11 languages) CI of KLD(+en imatrix) -
KLD(+all-language imatrix) lies above 0. Answer: the number of languages where it hurts and
the pooled CI over the 11 non-English languages.
R3 (per-language calibration fixes it): for each tool, in each non-English language, FIXES if
the adjusted CI of KLD(+own imatrix) - KLD(+en imatrix) lies below 0; BEATS-ALL if the adjusted
CI of KLD(+own) - KLD(+all) lies below 0. Same pooled.
R4 (objective for --imatrix, block formats): between laaciq's exact optimum of the
imatrix-weighted error (c_i = imatrix_i) and of llama.cpp's weighting (c_i = imatrix_i *
sqrt(sigma2_row + x_i^2)), with the same imatrix, the default is the one whose pooled KLD is
lower with the pooled 95% CI of the difference excluding 0, judged with the en and the
all-language imatrix; if they disagree or a CI contains 0 the imatrix-weighted error stays.
"""
RULES_SHA256 = hashlib.sha256(DECISION_RULES.encode()).hexdigest()

#: (id, method a, method b, languages: "all" | "non-en", question)
COMPARISONS = [
    ("laaciq-vs-llama-q4", "laaciq-q4", "llama-q4", "all", "R1, no imatrix"),
    ("laaciq-vs-llama-q4-en", "laaciq-q4-en", "llama-q4-en", "all", "R1, English imatrix"),
    ("laaciq-vs-llama-q4-all", "laaciq-q4-all", "llama-q4-all", "all", "R1, all-language imatrix"),
    ("laaciq-vs-llama-q4-own", "laaciq-q4-own", "llama-q4-own", "all", "R1, own-language imatrix"),
    ("laaciq-vs-llama-q8", "laaciq-q8", "llama-q8", "all", "R1, Q8_0"),
    ("llama-en-vs-all", "llama-q4-en", "llama-q4-all", "non-en", "R2, llama.cpp"),
    ("laaciq-en-vs-all", "laaciq-q4-en", "laaciq-q4-all", "non-en", "R2, laaciq"),
    ("llama-own-vs-en", "llama-q4-own", "llama-q4-en", "non-en", "R3 fixes, llama.cpp"),
    ("laaciq-own-vs-en", "laaciq-q4-own", "laaciq-q4-en", "non-en", "R3 fixes, laaciq"),
    ("llama-own-vs-all", "llama-q4-own", "llama-q4-all", "non-en", "R3 beats-all, llama.cpp"),
    ("laaciq-own-vs-all", "laaciq-q4-own", "laaciq-q4-all", "non-en", "R3 beats-all, laaciq"),
    ("llama-en-vs-none", "llama-q4-en", "llama-q4", "all", "imatrix vs none, llama.cpp"),
    ("laaciq-en-vs-none", "laaciq-q4-en", "laaciq-q4", "all", "imatrix vs none, laaciq"),
    ("llw-vs-imatrix-en", "laaciq-llw-q4-en", "laaciq-q4-en", "all", "R4, English imatrix"),
    ("llw-vs-imatrix-all", "laaciq-llw-q4-all", "laaciq-q4-all", "all",
     "R4, all-language imatrix"),
    ("llw-vs-llama-en", "laaciq-llw-q4-en", "llama-q4-en", "all",
     "llama.cpp's objective solved exactly vs llama.cpp's search"),
]


def _verdict(ci, below="ahead", above="behind") -> str:
    if ci[1] < 0:
        return below
    if ci[0] > 0:
        return above
    return "tie"


def per_method(runs: dict, base: dict, B: int, seed: int) -> dict:
    """``{method: {lang: {kld, kld_ci, ppl, ppl_increase, ppl_increase_ci, dnll, dnll_ci}}}``.

    ``runs[method][lang]`` = ``{"kld": [...], "nll": [...]}``; ``base[lang]`` = ``{"nll": [...]}``
    (per chunk)."""
    out: dict = {}
    for m, by_lang in runs.items():
        out[m] = {}
        for l, r in by_lang.items():
            k = bootstrap(lambda a: a.mean(axis=-1), [r["kld"]], B, seed=seed)
            p = bootstrap(ppl_increase, [r["nll"], base[l]["nll"]], B, seed=seed)
            d = bootstrap(mean_diff, [r["nll"], base[l]["nll"]], B, seed=seed)
            out[m][l] = {"kld": k["value"], "kld_ci": k["ci"],
                         "ppl": float(np.exp(np.mean(r["nll"]))),
                         "ppl_increase": p["value"], "ppl_increase_ci": p["ci"],
                         "dnll": d["value"], "dnll_ci": d["ci"]}
    return out


def _compare(ra: dict, rb: dict, langs: list, B: int, seed: int) -> dict:
    level = bonferroni(0.95, len(langs))
    per_lang = {}
    for l in langs:
        k = bootstrap(mean_diff, [ra[l]["kld"], rb[l]["kld"]], B, seed=seed)
        ka = bootstrap(mean_diff, [ra[l]["kld"], rb[l]["kld"]], B, level=level, seed=seed)
        p = bootstrap(ppl_diff, [ra[l]["nll"], rb[l]["nll"]], B, seed=seed)
        per_lang[l] = {"dkld": k["value"], "dkld_ci": k["ci"], "dkld_ci_adj": ka["ci"],
                       "verdict": _verdict(ka["ci"]), "dppl": p["value"], "dppl_ci": p["ci"]}
    pk = stratified(mean_diff, [[ra[l]["kld"], rb[l]["kld"]] for l in langs], B, seed=seed)
    pp = stratified(ppl_diff, [[ra[l]["nll"], rb[l]["nll"]] for l in langs], B, seed=seed)
    return {"languages": langs, "level_adj": level, "per_language": per_lang,
            "pooled": {"dkld": pk["value"], "dkld_ci": pk["ci"], "verdict": _verdict(pk["ci"]),
                       "dppl": pp["value"], "dppl_ci": pp["ci"]},
            "counts": {v: sum(x["verdict"] == v for x in per_lang.values())
                       for v in ("ahead", "tie", "behind")}}


def comparisons(runs: dict, langs: list, B: int, seed: int) -> dict:
    """Every comparison of :data:`COMPARISONS` whose two methods were run, over the languages
    both were run on (own-language imatrices exist for a subset)."""
    out = {}
    for cid, a, b, which, question in COMPARISONS:
        if a not in runs or b not in runs:
            continue
        ls = [l for l in langs if (which == "all" or l != "en") and l in runs[a]
              and l in runs[b]]
        if not ls:
            continue
        out[cid] = {"a": a, "b": b, "question": question, **_compare(runs[a], runs[b], ls, B,
                                                                     seed)}
    return out


def _r2r3(cmp: dict, tool: str) -> dict | None:
    hurt, fix, beat = (cmp.get(f"{tool}-en-vs-all"), cmp.get(f"{tool}-own-vs-en"),
                       cmp.get(f"{tool}-own-vs-all"))
    if hurt is None:
        return None
    n = len(hurt["languages"])
    res = {"hurts_in": hurt["counts"]["behind"], "of": n, "hurts_pooled": hurt["pooled"]}
    if fix is not None:
        res["own_fixes_in"] = fix["counts"]["ahead"]
        res["own_vs_en_pooled"] = fix["pooled"]
    if beat is not None:
        res["own_beats_all_in"] = beat["counts"]["ahead"]
        res["own_vs_all_pooled"] = beat["pooled"]
    return res


def answers(cmp: dict) -> dict:
    """The rules' answers, read off the comparisons (R1 per calibration, R2/R3 per tool, R4)."""
    r1 = {cid: {"ahead_in": c["counts"]["ahead"], "behind_in": c["counts"]["behind"],
                "of": len(c["languages"]), "every_language": c["counts"]["ahead"] ==
                len(c["languages"]), "pooled": c["pooled"]["verdict"],
                "pooled_dkld": c["pooled"]["dkld"], "pooled_dkld_ci": c["pooled"]["dkld_ci"]}
          for cid, c in cmp.items() if cid.startswith("laaciq-vs-llama")}
    out = {"R1": r1, "R2R3": {t: v for t in ("llama", "laaciq")
                              if (v := _r2r3(cmp, t)) is not None}}
    r4 = [cmp.get("llw-vs-imatrix-en"), cmp.get("llw-vs-imatrix-all")]
    if all(r4):
        v = {r["pooled"]["verdict"] for r in r4}
        default = "llama-weighting" if v == {"ahead"} else "imatrix-weighted"
        out["R4"] = {"default": default, "verdicts": [r["pooled"]["verdict"] for r in r4],
                     "pooled_dkld": [r["pooled"]["dkld"] for r in r4],
                     "pooled_dkld_ci": [r["pooled"]["dkld_ci"] for r in r4]}
    return out
