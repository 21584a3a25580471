"""Formatting of the ``laaciq clip``, ``quantize`` and ``assess`` documents
(:mod:`laaciq.tensor.runs`): the printed tables, the per-tensor rows of ``clip --out``, JSON
without NaN or infinity, and printing that ends quietly on a closed pipe."""

from __future__ import annotations

import json
import math
import os
import sys


def json_safe(o):
    """``o`` with every non-finite float replaced by ``None`` (strict JSON)."""
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: json_safe(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [json_safe(v) for v in o]
    return o


def emit(doc, fmt, table):
    """Print the document; a closed pipe (``| head``) ends quietly."""
    text = json.dumps(json_safe(doc), indent=1, allow_nan=False, default=float) \
        if fmt == "json" else table(doc)
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())       # no second error at interpreter exit
        return


def table_rows(doc):
    """One flat row per tensor and method: ``tensors.csv`` / ``tensors.jsonl`` of ``clip --out``."""
    for t in doc["tensors"]:
        for m, d in t["methods"].items():
            a = d["alpha"]
            al = a if not isinstance(a, dict) else None
            yield {"tensor": t["name"], "shape": "x".join(map(str, t["shape"])),
                   "dtype": t["dtype"], "granularity": t["granularity"], "n": t["n"],
                   "sigma": t["sigma"], "kurtosis": t["kurtosis"], "method": m,
                   "slices": 1 if al is not None else a["count"],
                   "alpha_mean": al if al is not None else a["mean"],
                   "alpha_min": al if al is not None else a["min"],
                   "alpha_max": al if al is not None else a["max"],
                   "mse": d["mse"], "ratio": d["ratio"], "seconds": d["seconds"]}


def quantize_table(doc: dict) -> str:
    lines = [f"{doc['file']} -> {doc['out']}: {doc['bits']} bits ({doc['objective']}), "
             f"{len(doc['tensors'])} tensor(s), {doc['values']} values, {doc['jobs']} job(s), "
             f"{doc['wall_seconds']:.2f} s"]
    lines.append(f"  {'tensor':<52}{'dtype':>10}{'granularity':>22}{'true MSE':>14}")
    for t in doc["tensors"]:
        lines.append(f"  {t['name'][:51]:<52}{t['dtype']:>10}{t['granularity']:>22}"
                     f"{t['mse']:>14.6g}")
    if doc["copied"]:
        lines.append(f"copied unchanged: {len(doc['copied'])} tensor(s)")
    lo = doc.get("layer_output")
    if lo:
        lines.append(f"relative layer-output error, mean over {lo['tensors']} tensor(s) "
                     f"(calibration H / held-out H):")
        for m, d in lo["mean"].items():
            lines.append(f"  {m:<12}{d['calibration']:>14.6g}{d['holdout']:>14.6g}")
    return "\n".join(lines)


def _fmt_alpha(a) -> str:
    if isinstance(a, dict):
        return f"{a['mean']:.6g} (mean of {a['count']})"
    return f"{a:.6g}"


def _fmt_ratio(r) -> str:
    return "inf" if r is None else f"{r:.6f}"


def clip_table(doc: dict) -> str:
    lines = [f"{doc['file']}: {doc['bits']} bits, {doc['granularity']}, "
             f"{len(doc['tensors'])} tensor(s), {doc['values']} values; ratio = true MSE / "
             f"exact optimum; selected: {doc['selected']}"]
    for t in doc["tensors"]:
        k = "nan" if t["kurtosis"] is None else f"{t['kurtosis']:.4g}"
        lines.append("")
        lines.append(f"{t['name']}  shape {'x'.join(map(str, t['shape'])) or '()'}  "
                     f"n {t['n']}  σ {t['sigma']:.6g}  κ {k}  {t['granularity']}")
        wcol = "weighted_mse" in next(iter(t["methods"].values()))   # with --imatrix
        lines.append(f"  {'method':<18}{'alpha':>28}{'true MSE':>14}{'ratio':>12}"
                     f"{'seconds':>10}" + (f"{'weighted MSE':>14}" if wcol else ""))
        for m, d in t["methods"].items():
            lines.append(f"  {m:<18}{_fmt_alpha(d['alpha']):>28}{d['mse']:>14.6g}"
                         f"{_fmt_ratio(d['ratio']):>12}{d['seconds']:>10.3f}"
                         + (f"{d['weighted_mse']:>14.6g}" if wcol else ""))
    lines.append("")
    lines.append("summary (all tensors)")
    lines.append(f"  {'method':<18}{'true MSE':>14}{'ratio':>12}{'seconds':>10}")
    for m, d in doc["summary"].items():
        lines.append(f"  {m:<18}{d['mse']:>14.6g}{_fmt_ratio(d['ratio']):>12}"
                     f"{d['seconds']:>10.3f}")
    if doc["skipped"]:
        lines.append(f"skipped (not floating point): {', '.join(doc['skipped'])}")
    return "\n".join(lines)


def assess_table(doc: dict) -> str:
    lines = [f"{doc['file']}: {len(doc['layers'])} layer(s), {doc['bits']} bits"]
    lines.append(f"  {'layer':<48}{'n':>10}{'σ':>12}{'κ':>12}")
    for d in doc["layers"]:
        lines.append(f"  {d['name'][:47]:<48}{d['n']:>10}{d['sigma']:>12.5g}"
                     f"{d['kurtosis']:>12.5g}")
    s = doc["strategy"]
    lines.append(f"strategy rule (seed 003 §7.2): max κ = {s['max_kappa']:.6g} "
                 f"({s['layer']}) → {s['branch']}: {s['action']}"
                 + (f" [{'; '.join(s['options'])}]" if s["options"] else ""))
    lines.append(f"outlier layers (κ > 50): {', '.join(doc['outlier_layers']) or 'none'}")
    if doc["checklist"] is None:
        lines.append(f"note: {doc['note']}")
        return "\n".join(lines)
    lines.append("checklist (seed 003 §7.1):")
    for it in doc["checklist"]:
        flag = "" if it["flagged"] is None else (" [FLAG]" if it["flagged"] else " [ok]")
        val = it["value"]
        if isinstance(val, float):
            val = f"{val:.6g}"
        elif isinstance(val, (list, dict)):
            val = f"({len(val)} values)"
        lines.append(f"  - {it['item']}: {val}{flag}  {it['note']}")
    lines.append(f"per language (α_blind = {doc['alpha_blind']:.6g}):")
    lines.append(f"  {'language':<12}{'κ_eff':>10}{'κ_lin':>10}{'α*(λ)':>12}"
                 f"{'MSE(α*)':>13}{'MSE(α_blind)':>14}{'excess':>10}")
    for lang, d in doc["languages"].items():
        lines.append(f"  {lang:<12}{d['kappa_eff']:>10.4g}{d['kappa_eff_linear']:>10.4g}"
                     f"{d['alpha_star']:>12.6g}{d['mse_at_alpha_star']:>13.5g}"
                     f"{d['mse_at_blind_alpha']:>14.5g}{d['excess_error_of_blind']:>10.3%}")
    f = doc["fairness"]
    lines.append(f"fairness record (seed 003 §7.3): disparity {f['disparity']:.5g}, ratio "
                 f"{f['ratio']:.5g}, worst {f['worst']}, best {f['best']}, bits {f['bits']}")
    return "\n".join(lines)
