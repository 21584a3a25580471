"""The head-to-head with llama.cpp (``report/compare.json``, written by ``make compare``) as
tables, a figure and the answers, for ``_compare.md.j2`` / ``_compare.html.j2``.

Every number shown is read from ``compare.json`` of that run; only the figure is drawn here.
"""

from __future__ import annotations

__all__ = ["view", "answer_sentences", "peers_view", "objectives_view"]


def _fmt(v, digits=4) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _ci(c, digits=4) -> str:
    return "–" if not c else f"[{_fmt(c[0], digits)}, {_fmt(c[1], digits)}]"


def answer_sentences(cmp: dict, answers: dict) -> list[str]:
    """The answers of the decision rules in words, every number from the document."""
    out = []
    names = {"llama": "llama.cpp", "laaciq": "laaciq"}
    for tool, a in (answers.get("R2R3") or {}).items():
        s = (f"{names[tool]}: the English imatrix is worse than the all-language one (same token "
             f"count) in {a['hurts_in']} of {a['of']} non-English languages (KLD, "
             f"Bonferroni-adjusted 95% CI above 0); pooled ΔKLD {_fmt(a['hurts_pooled']['dkld'])}"
             f" {_ci(a['hurts_pooled']['dkld_ci'])}.")
        own = cmp.get(f"{tool}-own-vs-en")
        n_own = len(own["languages"]) if own else 0
        if "own_fixes_in" in a:
            s += (f" Each language's own imatrix ({', '.join(own['languages'])}) beats the "
                  f"English one in {a['own_fixes_in']} of {n_own} (pooled ΔKLD "
                  f"{_fmt(a['own_vs_en_pooled']['dkld'])} "
                  f"{_ci(a['own_vs_en_pooled']['dkld_ci'])})")
        if "own_beats_all_in" in a:
            s += (f" and the all-language one in {a['own_beats_all_in']} of {n_own} (pooled "
                  f"{_fmt(a['own_vs_all_pooled']['dkld'])} "
                  f"{_ci(a['own_vs_all_pooled']['dkld_ci'])}).")
        out.append(s)
    for cid, r in (answers.get("R1") or {}).items():
        c = cmp[cid]
        out.append(f"{c['question'].replace('R1, ', 'laaciq vs llama.cpp, ')}: laaciq ahead in "
                   f"{r['ahead_in']}, behind in {r['behind_in']} of {r['of']} languages; pooled "
                   f"ΔKLD {_fmt(r['pooled_dkld'])} {_ci(r['pooled_dkld_ci'])} ({r['pooled']}).")
    if "R4" in answers:
        r = answers["R4"]
        out.append(f"Objective with --imatrix (R4): llama.cpp's weighting solved exactly minus the "
                   f"imatrix-weighted error, pooled ΔKLD (en, all): "
                   f"{', '.join(_fmt(v) + ' ' + _ci(c) for v, c in zip(r['pooled_dkld'], r['pooled_dkld_ci']))}"
                   f" → default: {r['default']}.")
    return out


def _figure(doc: dict) -> list[dict]:
    import base64
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = doc["languages"]
    res = doc["results"]
    meths = [m for m in doc["methods"] if doc["methods"][m]["format"] == "Q4_0"]
    fig, axes = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
    w = 0.8 / max(1, len(meths))
    for i, m in enumerate(meths):
        xs = [j + (i - (len(meths) - 1) / 2) * w for j in range(len(langs))]
        have = [j for j, l in enumerate(langs) if l in res[m]]
        xs = [xs[j] for j in have]
        for ax, key in zip(axes, ("kld", "ppl_increase")):
            r = [res[m][langs[j]] for j in have]
            v = [x[key] for x in r]
            lo = [x[key] - x[key + "_ci"][0] for x in r]
            hi = [x[key + "_ci"][1] - x[key] for x in r]
            ax.errorbar(xs, v, yerr=[lo, hi], fmt="o", ms=3, capsize=2,
                        label=doc["methods"][m]["label"] if key == "kld" else None)
    axes[0].set_ylabel("mean KLD from F32")
    axes[1].set_ylabel("PPL increase")
    for ax in axes:
        ax.set_yscale("log")
    axes[1].set_xticks(range(len(langs)), langs)
    axes[0].legend(fontsize=6, ncol=2)
    axes[0].set_title(f"{doc['model'].split(' (')[0]}, Q4_0: KLD and perplexity increase "
                      f"per language (95% chunk-bootstrap CIs)", fontsize=9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return [{"name": "compare-q4", "b64": base64.b64encode(buf.getvalue()).decode("ascii"),
             "caption": "Mean KL divergence from the F32 model and perplexity increase per "
                        "language and Q4_0 method, paired chunk-bootstrap 95% CIs."}]


def view(doc: dict | None) -> dict | None:
    """Template data for the comparison section, or ``None`` without a comparison."""
    if not doc or "results" not in doc or not doc.get("methods"):
        return None
    langs = doc["languages"]
    res = doc["results"]
    def mean(m, key):
        v = [res[m][l][key] for l in langs if l in res[m]]
        return sum(v) / len(v)

    methods = [{"id": m, **v, "kld_mean": mean(m, "kld"), "ppl_inc_mean": mean(m, "ppl_increase"),
                "n_lang": len(res[m])} for m, v in doc["methods"].items()]
    ids = [m["id"] for m in methods]
    cell = lambda m, l, key: res[m][l][key] if l in res[m] else None  # noqa: E731
    rows = [{"lang": l, "ppl_base": doc["base"]["ppl"].get(l),
             "kld": [cell(m, l, "kld") for m in ids],
             "ppl_inc": [cell(m, l, "ppl_increase") for m in ids]} for l in langs]
    comps = [{"id": cid, "question": c["question"], "a": c["a"], "b": c["b"],
              "counts": c["counts"], "n": len(c["languages"]),
              "dkld": c["pooled"]["dkld"], "dkld_ci": _ci(c["pooled"]["dkld_ci"]),
              "dppl": c["pooled"]["dppl"], "dppl_ci": _ci(c["pooled"]["dppl_ci"], 3)}
             for cid, c in doc["comparisons"].items()]
    try:
        figures = _figure(doc)
    except ImportError:
        figures = []
    return {"model": doc["model"], "commit": doc.get("commit"),
            "llama_commit": (doc.get("llama_cpp") or {}).get("llama_cpp_commit"),
            "config": doc.get("config") or {}, "methods": methods, "ids": ids, "rows": rows,
            "comparisons": comps, "answers": answer_sentences(doc["comparisons"],
                                                              doc.get("answers") or {}),
            "lossless": doc["base"].get("lossless_share") or {},
            "not_run": doc.get("not_run") or {}, "rules_sha": doc.get("decision_rules_sha256"),
            "timings": doc.get("timings") or {}, "figures": figures,
            "peers": peers_view(doc.get("peers")),
            "objectives": objectives_view(doc.get("objectives"))}


def peers_view(p: dict | None) -> dict | None:
    """The ``peers`` section (``make peers``): calibration-free peers at equal bits per weight
    and the bits-per-character cross-check, every number read from the document."""
    if not p or not p.get("methods"):
        return None
    langs, res = p["languages"], p["results"]

    def mean(m, key):
        v = [res[m][l][key] for l in langs if l in res.get(m, {})]
        return sum(v) / len(v) if v else None

    methods = [{"id": m, "label": v["label"], "bpw": v["bpw"], "quantize_s": v["quantize_s"],
                "rel_err": v["rel_weight_error"], "ppl": mean(m, "ppl"),
                "ppl_inc": mean(m, "ppl_increase"), "bpc": mean(m, "bpc")}
               for m, v in p["methods"].items()]
    ids = ["f32"] + [m["id"] for m in methods]
    rows = [{"lang": l, "ppl": [res[m][l]["ppl"] if l in res.get(m, {}) else None
                                for m in ids]} for l in langs]
    comps = [{"id": cid, "a": c["a"], "b": c["b"], "counts": c["counts"],
              "n": len(c["languages"]), "dnll": c["pooled"]["dnll"],
              "dnll_ci": _ci(c["pooled"]["dnll_ci"]), "dppl": c["pooled"]["dppl"],
              "dppl_ci": _ci(c["pooled"]["dppl_ci"], 3)} for cid, c in p["comparisons"].items()]
    x = p.get("crosscheck")
    cross = None
    if x:
        cross = {"languages": x["languages"],
                 "rows": [{"id": m, "llama": v["llama_bpc"], "probe": v["probe_bpc"],
                           **x["probe_minus_llama"][m]} for m, v in x["mean"].items()],
                 "same_pooled": x.get("same_ranking_pooled"),
                 "same_langs": x.get("same_ranking_languages"), "gap": x.get("gap"),
                 "gap_diff": x.get("gap_difference"), "methods": x.get("methods")}
    return {"commit": p.get("commit"), "config": p.get("config") or {}, "langs": langs,
            "versions": p.get("versions") or {}, "rules_sha": p.get("decision_rules_sha256"),
            "methods": methods, "ids": ids, "rows": rows, "comparisons": comps,
            "cross": cross, "not_run": p.get("not_run") or {},
            "base_diff": (p.get("base") or {}).get("max_abs_diff_probe_vs_f32_gguf")}


def objectives_view(o: dict | None) -> dict | None:
    """The ``objectives`` section (``make objectives``): weighted against layer-output
    objective on the probe's perplexity, every number read from the document."""
    if not o or not o.get("results"):
        return None
    langs, res = o["languages"], o["results"]
    ids = list(res)

    def mean(m, key):
        v = [res[m][l][key] for l in langs if l in res[m] and res[m][l].get(key) is not None]
        return sum(v) / len(v) if v else None

    methods = [{"id": m, "ppl": mean(m, "ppl"), "ppl_inc": mean(m, "ppl_increase"),
                "objective": None, "calibration": None, "quantize_s": None,
                **(o.get("methods") or {}).get(m, {})} for m in ids]     # f32: no method
    comps = [{"rule": rule, "a": c["a"], "b": c["b"], "counts": c["counts"],
              "n": len(c["languages"]), "dnll": c["pooled"]["dnll"],
              "dnll_ci": _ci(c["pooled"]["dnll_ci"]), "verdict": c["pooled"]["verdict"],
              "dppl": c["pooled"]["dppl"], "dppl_ci": _ci(c["pooled"]["dppl_ci"], 3)}
             for rule, part in (("O1", o.get("o1") or {}), ("O2", o.get("o2") or {}))
             for c in part.values() if c]
    return {"model": o.get("model"), "commit": o.get("commit"), "config": o.get("config") or {},
            "langs": langs, "rules_sha": o.get("decision_rules_sha256"), "methods": methods,
            "comparisons": comps, "recommendation": o.get("recommendation")}
