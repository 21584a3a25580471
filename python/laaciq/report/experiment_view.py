"""The real-model experiment (``report/experiment.json``, written by ``laaciq probe``) as tables
and figures for the report templates (``_experiment.md.j2``, ``_experiment.html.j2``).

Every number shown comes from ``experiment.json`` of that run; nothing is recomputed here except
the figures drawn from it. The section says which model it measured — never BLOOM.
"""

from __future__ import annotations

import base64
import io

__all__ = ["view"]

_ORDER = ["max-4", "rule-4", "exact-3", "exact-4", "exact-5", "exact-6", "exact-8",
          "exact-tensor-4", "exact-g128-4", "pooled-4", "language-4", "mixed", "mixed-control"]
_LABEL = {"max-4": "max (no clipping), 4 b", "rule-4": "seeds' kurtosis rule, 4 b",
          "exact-tensor-4": "exact blind, per tensor, 4 b",
          "exact-g128-4": "exact blind, group 128, 4 b", "pooled-4":
          "weighted proxy, pooled languages, 4 b", "language-4":
          "weighted proxy, per language, 4 b", "mixed": "strategy B: κ>5 blocks 8 b, rest 4 b",
          "mixed-control": "control: same number of lowest-κ blocks at 8 b"}


def _label(k: str) -> str:
    if k in _LABEL:
        return _LABEL[k]
    if k.startswith("exact-"):
        return f"exact blind, per channel, {k.split('-')[1]} b"
    return k


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figures(exp: dict) -> list[dict]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    figs = []
    langs = exp["languages"]
    pl = exp["per_language"]
    key = "exact-4" if all("exact-4" in pl[l]["D"] for l in langs) else None
    if key:
        fig, ax = plt.subplots(figsize=(5.5, 3.8))
        x = [pl[l]["kappa_eff_linear"] for l in langs]
        y = [pl[l]["D"][key] for l in langs]
        lo = [pl[l]["D"][key] - (pl[l]["D_ci"][key][0] or pl[l]["D"][key]) for l in langs]
        hi = [(pl[l]["D_ci"][key][1] or pl[l]["D"][key]) - pl[l]["D"][key] for l in langs]
        ax.errorbar(x, y, yerr=[lo, hi], fmt="o", capsize=3)
        for xi, yi, l in zip(x, y, langs):
            ax.annotate(l, (xi, yi), textcoords="offset points", xytext=(4, 3), fontsize=8)
        ax.set_xlabel("κ_eff(λ) = Σ ā_l(λ) κ_l")
        ax.set_ylabel("D(λ), exact per channel, 4 bits")
        ax.set_title(f"{exp['model']}: D vs κ_eff (95% CI)", fontsize=9)
        figs.append({"name": "experiment-d-vs-kappa", "b64": _png(fig),
                     "caption": "D(λ) against κ_eff(λ), with segment-bootstrap 95% CIs."})
    A = np.array([pl[l]["a_bar"] for l in langs])
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(langs) + 1.2))
    im = ax.imshow(A, aspect="auto", cmap="viridis")
    ax.set_yticks(range(len(langs)), langs)
    ax.set_xlabel("block l")
    ax.set_title("ā_l(λ) = E‖h_l‖ / Σ_j E‖h_j‖", fontsize=9)
    fig.colorbar(im, ax=ax)
    figs.append({"name": "experiment-abar", "b64": _png(fig),
                 "caption": "Activation fractions ā_l(λ) per language and block."})
    st = exp.get("strategies") or {}
    names = [k for k in _ORDER if k in st] + [k for k in st if k not in _ORDER]
    if names:
        fig, ax = plt.subplots(figsize=(6.5, 0.3 * len(names) + 1.2))
        v = [st[k]["disparity"] for k in names]
        lo = [st[k]["disparity"] - (st[k]["disparity_ci"][0] or st[k]["disparity"])
              for k in names]
        hi = [(st[k]["disparity_ci"][1] or st[k]["disparity"]) - st[k]["disparity"]
              for k in names]
        ax.barh(range(len(names)), v, xerr=[lo, hi], capsize=3)
        ax.set_yticks(range(len(names)), [_label(k) for k in names], fontsize=8)
        ax.invert_yaxis()
        if min(v) > 0 and max(v) / min(v) > 100:
            ax.set_xscale("log")  # 3-bit disparities dwarf the rest
        ax.set_xlabel("disparity max D − min D (95% CI)")
        figs.append({"name": "experiment-disparity", "b64": _png(fig),
                     "caption": "Disparity per strategy (segment-bootstrap 95% CIs)."})
    return figs


def view(exp: dict | None) -> dict | None:
    """Template data for the experiment section, or ``None`` without an experiment."""
    if not exp or "per_language" not in exp:
        return None
    langs = exp["languages"]
    pl = exp["per_language"]
    st = exp.get("strategies") or {}
    cols = [k for k in _ORDER if any(k in pl[l]["D"] for l in langs)]
    rows = [{"lang": l, "ppl_fp": pl[l]["ppl_fp"], "ppl_fp_ci": pl[l]["ppl_fp_ci"],
             "ppl_shuffled": pl[l]["ppl_shuffled"], "tokens": pl[l]["tokens"],
             "kappa_lin": pl[l]["kappa_eff_linear"], "kappa_true": pl[l]["kappa_eff_true"],
             "r_hat": pl[l]["r_hat"],
             "D": [pl[l]["D"].get(k) for k in cols]} for l in langs]
    strategies = [{"key": k, "label": _label(k), **st[k]}
                  for k in [k for k in _ORDER if k in st] + [k for k in st if k not in _ORDER]]
    try:
        figures = _figures(exp)
    except ImportError:
        figures = []
    return {"model": exp["model"], "commit": exp.get("commit"), "rows": rows, "cols": cols,
            "strategies": strategies, "claims": exp.get("claims") or {},
            "tests": exp.get("prediction_tests") or {}, "caveats": exp.get("caveats") or [],
            "checklist": exp.get("checklist") or {}, "B_star": exp.get("B_star"),
            "correlations": exp.get("correlations") or {}, "kappa_l": exp.get("kappa_l") or [],
            "outliers": exp.get("outlier_blocks") or {}, "timings": exp.get("timings") or {},
            "manifest": exp.get("manifest") or {}, "bounds": exp.get("bounds") or {},
            "config": exp.get("config") or {}, "figures": figures}
