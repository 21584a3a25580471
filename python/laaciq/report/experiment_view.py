"""The real-model experiment (``report/experiment.json``, written by ``laaciq probe``) as tables
and figures for the report templates (``_experiment.md.j2``, ``_experiment.html.j2``).

Every number shown comes from ``experiment.json`` of that run; nothing is recomputed here except
the figures drawn from it. The section leads with the controlled comparisons (each strategy
against the control that differs from it in one ingredient), then the correlations, the
verdicts, the per-language tables of both corpora, the spread of the seeds' α across languages
and the mechanism (per matrix kind) with the one-kind ablation. It names the model it measured.
"""

from __future__ import annotations

import base64
import io

from laaciq.lm import stats

__all__ = ["view"]

_COLS = ["max-4", "exact-4", "exact-5", "rule-4", "seeds-pooled-4", "seeds-4", "pooled-4",
         "language-4", "mixed-control", "mixed", "exact-g128-4", "pooled-g128-4",
         "language-g128-4"]
_LABEL = {"max-4": "max (no clipping)", "rule-4": "seeds' kurtosis rule (per channel)",
          "seeds-4": "seeds' LA-ACIQ: σ·f(κ_eff(λ))", "seeds-pooled-4":
          "σ·f(κ_eff pooled) (control)", "pooled-4": "weighted proxy, pooled (control)",
          "language-4": "weighted proxy, per language", "mixed": "κ>5 blocks 8 b, rest 4 b",
          "mixed-control": "as many lowest-κ blocks 8 b (control)",
          "exact-tensor-4": "exact, per tensor", "exact-g128-4": "exact, group 128",
          "pooled-g128-4": "weighted proxy, pooled, group 128",
          "language-g128-4": "weighted proxy, per language, group 128"}


def _label(k: str) -> str:
    if k in _LABEL:
        return _LABEL[k]
    if k.startswith("exact-") or k.startswith("max-") or k.startswith("pooled-"):
        h, b = k.rsplit("-", 1)
        return f"{h}, per channel, {b} b"
    return k


def _png(fig) -> str:
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _comparison_figure(rows: list, model: str) -> dict | None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = [r for r in rows if r["delta"] is not None and r["ci"] and r["ci"][0] is not None]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(rows) + 1.2))
    y = range(len(rows))
    d = [r["delta"] for r in rows]
    err = [[r["delta"] - r["ci"][0] for r in rows], [r["ci"][1] - r["delta"] for r in rows]]
    ax.errorbar(d, y, xerr=err, fmt="o", capsize=3)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(list(y), [f"{r['strategy']} vs {r['control']} ({r['corpus']})"
                            for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("Δ = Disparity(control) − Disparity(strategy)  (> 0: strategy helps)")
    ax.set_title(f"{model}: controlled comparisons, 95% page-bootstrap CI", fontsize=9)
    return {"name": "experiment-controls", "b64": _png(fig),
            "caption": "Each strategy against the control that differs in one ingredient."}


def _corpus_rows(c: dict) -> dict:
    pl = c["per_language"]
    langs = c["languages"]
    cols = [k for k in _COLS if any(k in pl[l]["D"] for l in langs)]
    rows = [{"lang": l, "chars": v["characters"], "tokens": v["tokens"],
             "tpc": v["tokens_per_char"], "ppl": v["ppl_fp"], "bpc": v["bpc_fp"],
             "keff": v["kappa_eff_linear"], "keff_bos": v.get("kappa_eff_linear_with_bos"),
             "D": [v["D"].get(k) for k in cols],
             "dbpc": v["delta_bpc"].get("exact-4")} for l, v in pl.items()]
    st = c.get("strategies") or {}
    disp = [{"key": k, "label": _label(k), **st[k]} for k in
            [k for k in _COLS if k in st] + sorted(k for k in st if k not in _COLS
                                                   and not k.startswith("ablate"))]
    left_out = [{"lang": l, **r} for l, r in (c.get("coverage") or {}).items()
                if not r.get("entered")]
    return {"cols": cols, "rows": rows, "disparity": disp, "left_out": left_out,
            "seeds_alpha": c.get("seeds_alpha") or {}, "scored": c.get("scored_paragraphs")}


def _mechanism(c: dict) -> dict:
    """Per matrix kind (rows) and 4-bit strategy (columns): weight MSE and activation-weighted
    error, as two pivoted tables."""
    mech = c.get("mechanism") or {}
    cfgs = [k for k in _COLS if k in mech] + ["exact-tensor-4"] * ("exact-tensor-4" in mech)
    kinds = list(dict.fromkeys(k for cfg in cfgs for k in mech[cfg]))
    rows = [{"kind": k,
             "mse": [mech[cfg].get(k, {}).get("weight_mse") for cfg in cfgs],
             "act": [mech[cfg].get(k, {}).get("act_error") for cfg in cfgs]} for k in kinds]
    return {"configs": cfgs, "rows": rows} if rows else {}


def _with_loo(r: dict, corpus: dict) -> dict:
    """A comparison with its leave-one-language-out range: as the run stored it, or (a run
    older than that statistic) recomputed from the per-language D it stored."""
    if "loo_delta" in r:
        return r
    pl = corpus.get("per_language") or {}
    langs = [l for l in pl if all(pl[l].get("D", {}).get(k) is not None
                                  for k in (r["strategy"], r["control"]))]
    if len(langs) != len(pl):
        return {**r, "loo_delta": [None, None], "loo_pivot": None}
    return {**r, **stats.disparity_loo([pl[l]["D"][r["strategy"]] for l in langs],
                                       [pl[l]["D"][r["control"]] for l in langs], langs)}


def view(exp: dict | None) -> dict | None:
    """Template data for the experiment section, or ``None`` without an experiment."""
    if not exp or "corpora" not in exp:
        return None
    model = exp["model"]
    comps, corrs = [], []
    for name, c in exp["corpora"].items():
        a = c.get("analysis") or {}
        ph = a.get("p_holm") or {}
        for key, r in (a.get("comparisons") or {}).items():
            if r:
                comps.append({"key": key, "p_holm": ph.get(key), "primary":
                              name == exp.get("primary_corpus"), **_with_loo(r, c)})
        for r in a.get("reported_comparisons") or []:
            comps.append({"key": "reported", "p_holm": None, "primary": False,
                          **_with_loo(r, c)})
        for key, r in (a.get("correlations") or {}).items():
            if r and r.get("rho") is not None:
                corrs.append({"key": key, "corpus": name, "p_holm": ph.get(key), **r})
    figures = []
    try:
        f = _comparison_figure([r for r in comps if r["key"] != "reported"], model)
        figures = [f] if f else []
    except ImportError:
        pass
    primary = (exp["corpora"].get(exp.get("primary_corpus")) or {}).get("analysis", {})
    return {"model": model, "commit": exp.get("commit"), "plan": exp.get("plan") or {},
            "primary_corpus": exp.get("primary_corpus"),
            "primary_config": primary.get("primary"), "comparisons": comps,
            "correlations": corrs, "claims": exp.get("claims") or {},
            "corpora": {n: _corpus_rows(c) for n, c in exp["corpora"].items()},
            "mechanism": _mechanism(exp["corpora"].get("handbook") or
                                    next(iter(exp["corpora"].values()))),
            "ablation": (exp["corpora"].get("handbook") or {}).get("ablation") or {},
            "caveats": exp.get("caveats") or [], "kappa_l": exp.get("kappa_l") or [],
            "outliers": exp.get("outlier_blocks") or {}, "B_star":
            (exp.get("bit_sweep") or {}).get("B_star"), "timings": exp.get("timings") or {},
            "manifest": exp.get("manifest") or {}, "figures": figures,
            "tests": exp.get("prediction_tests") or {}}
