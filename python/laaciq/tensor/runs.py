"""The documents of ``laaciq clip``, ``laaciq quantize`` and ``laaciq assess`` and the files
they write (what each holds: :mod:`laaciq.tensor.commands`): the selected tensors run through
:mod:`laaciq.tensor.pipeline`, the outputs built in a locked temporary folder
(:class:`laaciq.fsguard.OutputDir`) that replaces ``out`` in one step."""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from laaciq.fsguard import OutputDir, reserve
from laaciq.tensor import baselines, calibrated, checkpoint, pipeline, tables
from laaciq.tensor import exact
from laaciq.theory import quantizer
from laaciq.errors import LaaciqError

__all__ = ["load_tensors", "clip_report", "quantize_checkpoint", "quantize_gguf",
           "assess_report"]


# =============================================================================================
# loading (assess)


def load_tensors(path, patterns=None, all_tensors=False):
    """``([(name, float array)], skipped)``: the selected tensors of a checkpoint, each read
    once and checked finite (assess holds them all; clip and quantize stream them)."""
    ck = checkpoint.open_checkpoint(path)
    entries, skipped = pipeline.select(ck, patterns, all_tensors)
    out = []
    for e in entries:
        x = checkpoint.to_float(checkpoint.read_entry(e))
        checkpoint.check_finite(x, e)
        out.append((e.name, x))
    return out, skipped


# =============================================================================================
# clip


def _methods(bits, objective, peers):
    obj = "uniform" if objective == "surrogate" else objective
    names = ["exact-true", "exact-uniform"]
    if obj not in ("true", "uniform"):
        names.append(f"exact-{obj}")
    names += ["banner-gauss", "banner-laplace", "octav"]
    if bits == 4:
        names.append("kurtosis-rule")
    if peers:
        names += ["nvidia-hist-1920", "intel-40", "modelopt-39", "gptq-80", "pytorch-hist"]
    selected = "exact-true" if obj == "true" else f"exact-{obj}"
    return names, selected


def _alpha_summary(al: np.ndarray):
    al = np.asarray(al)
    if al.ndim == 0:
        return float(al)
    d = {"count": int(al.size), "mean": float(al.mean()), "min": float(al.min()),
         "max": float(al.max())}
    if al.size <= 64:
        d["values"] = [float(v) for v in al.ravel()]
    return d


def _check_common(bits, axis, group, jobs):
    from laaciq.argcheck import check_bits

    try:
        bits = check_bits(bits)
    except (TypeError, ValueError) as exc:
        raise LaaciqError(str(exc)) from None
    if group is not None and group < 1:
        raise LaaciqError(f"--group must be a positive integer, got {group}")
    if jobs is not None and jobs < 1:
        raise LaaciqError(f"--jobs must be a positive integer, got {jobs}")
    return bits, jobs or pipeline.default_jobs()


def _open(path, bits, objective, axis, group, patterns, all_tensors, jobs, imatrix, hessian,
          damp=None, holdout=None):
    """What ``clip`` and ``quantize`` start from: checked options, the checkpoint, the selected
    entries (and those skipped), the objective with its calibration data and document part
    (:func:`calibrated.resolve`), and the work split ``(tasks, labels, granularities)``."""
    bits, jobs = _check_common(bits, axis, group, jobs)
    ck = checkpoint.open_checkpoint(path)
    entries, skipped = pipeline.select(ck, patterns, all_tensors)
    objective, _, calib, cdoc = calibrated.resolve(objective, imatrix, hessian, ck, entries,
                                                    axis, group, damp, holdout)
    return (bits, jobs, ck, entries, skipped, objective, calib, cdoc,
            pipeline.make_tasks(entries, axis, group, jobs))


def _jobs_for(entries, tasks, gran, bits, methods, plan=None, moments=True, calib=None):
    out = []
    for (i, sa, r0, r1) in tasks:
        e = entries[i]
        n = e.size if sa is None else e.size // e.shape[sa] * (r1 - r0)
        j = {"i": i, "entry": e, "sa": sa, "r0": r0, "r1": r1, "axis": gran[i][0],
             "group": gran[i][1], "bits": bits, "methods": methods, "moments": moments,
             "n_values": n}
        if plan is not None:
            j["plan"] = plan[e.name]
        j.update((calib or {}).get(e.name, {}))       # importance / H (--imatrix, --hessian)
        out.append(j)
    return out


def clip_report(path, bits=4, objective=None, axis=None, group=None, patterns=None,
                peers=False, quiet=True, all_tensors=False, jobs=1, out=None,
                force=False, imatrix=None, hessian=None, damp=None, holdout=None) -> dict:
    """The ``clip`` document (:mod:`laaciq.tensor.commands`); ``out``: a folder for the full
    thresholds and the per-tensor tables; ``imatrix`` / ``hessian`` / ``damp`` / ``holdout``:
    calibrated objectives (:func:`calibrated.resolve`)."""
    bits, jobs, ck, entries, skipped, objective, calib, cdoc, (tasks, labels, gran) = _open(
        path, bits, objective, axis, group, patterns, all_tensors, jobs, imatrix, hessian, damp,
        holdout)
    names, selected = _methods(bits, objective, peers)
    odir = OutputDir(out, force, protect=ck.files) if out is not None else None
    try:
        t0 = time.perf_counter()
        acc, rss = pipeline.assemble(entries, pipeline.run(
            _jobs_for(entries, tasks, gran, bits, names, calib=calib), jobs, quiet, "clip"),
            names)
        wall = time.perf_counter() - t0
        total = sum(e.size for e in entries)
        recs, sums, secs = [], dict.fromkeys(names, 0.0), dict.fromkeys(names, 0.0)
        for e, a, label in zip(entries, acc, labels):
            mo = a["moments"]
            k = mo["kurt"]
            rec = {"name": e.name, "shape": list(e.shape), "dtype": e.dtype,
                   "granularity": label, "n": e.size, "sigma": mo["std"],
                   "kurtosis": None if math.isnan(k) else k, "methods": {}}
            ref = a["sq"]["exact-true"]
            for m in names:
                sq = a["sq"][m]
                ratio = sq / ref if ref > 0 else (1.0 if sq == 0 else math.inf)
                rec["methods"][m] = {"alpha": _alpha_summary(a["alpha"][m]), "mse": sq / e.size,
                                     "ratio": None if math.isinf(ratio) else ratio,
                                     "seconds": a["sec"][m]}
                if "wsq" in a:                     # Σ c_j (w - Q(w))² / n with --imatrix
                    rec["methods"][m]["weighted_mse"] = a["wsq"][m] / e.size
                sums[m] += sq
                secs[m] += a["sec"][m]
            recs.append(rec)
        ref_total = sums["exact-true"]
        summary = {m: {"mse": sums[m] / total,
                       "ratio": sums[m] / ref_total if ref_total > 0 else
                       (1.0 if sums[m] == 0 else None), "seconds": secs[m]} for m in names}
        doc = {"command": "clip", "file": str(path), "bits": bits, "objective": objective,
               "selected": selected,
               "granularity": (f"group {group}" if group else f"per channel (axis {axis})"
                               if axis is not None else "per tensor"),
               "values": int(total), "tensors": recs, "skipped": skipped, "summary": summary,
               "jobs": jobs, "wall_seconds": wall, "peak_rss_bytes": rss, **cdoc}
        _add_layer_output(doc, recs, acc)
        if odir is not None:
            _write_clip_out(odir, doc, entries, acc, names, selected)
            odir.commit()
            doc["out"] = str(odir.path)
        return doc
    except BaseException as exc:
        if odir is not None:
            odir.abort(exc)
        raise


def _add_layer_output(doc, recs, acc) -> None:
    """With ``--holdout-hessian``: per tensor record ``layer_output`` = the relative output
    error ``Σ eᵀHe / Σ wᵀHw`` of the output objective and of the weighted and unweighted optima,
    on the calibration and the held-out H (:func:`calibrated.output_report`); ``doc``'s
    ``layer_output`` = their mean over the tensors, and for how many tensors the output
    objective is below the weighted optimum on each H."""
    recs_lo = []
    for rec, a in zip(recs, acc):
        lo = a.get("layer_output")
        if lo is None:
            continue
        rel = {m: {h: (lo[m][h] / lo["norm"][h] if lo["norm"][h] > 0 else None)
                   for h in ("calibration", "holdout")}
               for m in ("output", "weighted", "unweighted")}
        rec["layer_output"] = rel
        recs_lo.append(rel)
    if not recs_lo:
        return
    tot = {m: {h: float(np.mean([r[m][h] for r in recs_lo if r[m][h] is not None]))
               for h in ("calibration", "holdout")} for m in ("output", "weighted", "unweighted")}
    wins = {h: sum(1 for r in recs_lo if r["output"][h] is not None
                   and r["output"][h] < r["weighted"][h]) for h in ("calibration", "holdout")}
    doc["layer_output"] = {
        "what": "relative layer-output error sum (w-q)^T H (w-q) / sum w^T H w per tensor "
                "(H undamped: calibration tokens, held-out tokens); mean over tensors",
        "tensors": len(recs_lo), "mean": tot, "output_below_weighted": wins}


def _write_clip_out(odir: OutputDir, doc, entries, acc, names, selected):
    meta = {"bits": str(doc["bits"]), "granularity": doc["granularity"]}
    for m in names:
        tens = {e.name: np.array(a["alpha"][m], dtype=np.float64)
                for e, a in zip(entries, acc)}
        fname = "thresholds.safetensors" if m == selected else f"thresholds-{m}.safetensors"
        checkpoint.save_safetensors(odir.file(fname), tens, metadata={**meta, "method": m})
    rows = list(tables.table_rows(doc))
    with open(odir.file("tensors.csv"), "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with open(odir.file("tensors.jsonl"), "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(tables.json_safe(r), allow_nan=False) + "\n")
    odir.file("clip.json").write_text(json.dumps(tables.json_safe(doc), indent=1, allow_nan=False)
                                   + "\n", encoding="utf-8")


# =============================================================================================
# quantize


def _npy_slot(dst: Path, e):
    """A pre-sized (space reserved) ``.npy`` for ``e``: ``(offset, dtype, shape)``."""
    mm = np.lib.format.open_memmap(dst, mode="w+", dtype=e.dtype, shape=e.shape)
    off = mm.offset
    del mm
    reserve(dst, dst.stat().st_size)
    return off, e.dtype, e.shape


def _plan_outputs(odir: OutputDir, ck, entries, bits, codes: bool):
    """Pre-size every output file (names checked by ``odir.file``); returns ``(plan per
    selected name, copies, finish)``: ``copies`` the unselected tensors to copy verbatim,
    ``finish()`` completes the layout."""
    tmp = odir.tmp
    sel = {e.name for e in entries}
    plan: dict = {e.name: {} for e in entries}
    copies = []
    finish = []
    if ck.layout == "safetensors":
        for f in ck.files:
            ents = [e for e in ck.entries if e.file == f]
            dst = odir.file(ck.rel(f))
            offs = checkpoint.plan_safetensors(dst, [(e.name, e.dtype, e.shape)
                                                     for e in ents], ck.metadata.get(f))
            for e in ents:
                if e.name in sel:
                    plan[e.name]["weights"] = (dst, offs[e.name])
                else:
                    copies.append((e, dst, offs[e.name]))
        if ck.index is not None:
            idx_name = next(iter(Path(ck.path).glob("*.safetensors.index.json")), None)
            name = idx_name.name if idx_name else "model.safetensors.index.json"
            # the written index names the files written, nothing else
            index = {**ck.index, "weight_map": {e.name: ck.rel(e.file) for e in ck.entries}}
            odir.file(name).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    elif ck.layout == "npy":
        e = ck.entries[0]
        dst = odir.file(Path(ck.path).name)
        plan[e.name]["weights"] = (dst, _npy_slot(dst, e))
    else:       # npz (members assembled at the end) and gguf (float safetensors)
        if ck.layout == "gguf":
            dst = odir.file(Path(ck.path).stem + ".safetensors")
            offs = checkpoint.plan_safetensors(dst, [(e.name, e.dtype, e.shape)
                                                     for e in ck.entries if e.floating])
            for e in ck.entries:
                if not e.floating:
                    continue
                if e.name in sel:
                    plan[e.name]["weights"] = (dst, offs[e.name])
                else:
                    copies.append((e, dst, offs[e.name]))
        else:
            npz = odir.file(Path(ck.path).name)
            for e in ck.entries:
                dst = odir.file(f".parts/{len(finish)}.npy")
                slot = _npy_slot(dst, e)
                finish.append((e.name, dst))
                if e.name in sel:
                    plan[e.name]["weights"] = (dst, slot)
                else:
                    copies.append((e, dst, slot))
    code_offs = None
    if codes:
        cdt = "int8" if bits <= 8 else "int16"
        specs = []
        for e in entries:
            specs.append((e.name, cdt, e.shape))
        partial = odir.file(".codes.partial")
        code_offs = checkpoint.plan_safetensors(partial, specs)
        for e in entries:
            plan[e.name]["codes"] = (partial, code_offs[e.name])

    def done():
        if finish:
            with zipfile.ZipFile(npz, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
                for name, src in finish:    # a fixed date: the same bytes every run
                    info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                    with open(src, "rb") as fh, z.open(info, "w", force_zip64=True) as dst:
                        shutil.copyfileobj(fh, dst, 1 << 20)
        shutil.rmtree(tmp / ".parts", ignore_errors=True)
    return plan, copies, done


def _write_codes(tmp: Path, dst: Path, entries, acc, gran, bits, method):
    """``codes.safetensors``: per weight ``NAME`` its int codes (from the partial file) and
    ``NAME.scale`` (float64 steps α/L, threshold shape); metadata: bits, layout."""
    from safetensors import safe_open

    L = quantizer.levels(bits)
    tens = {}
    layout = {}
    with safe_open(str(tmp / ".codes.partial"), framework="np") as f:
        for e, a, (ax, gr) in zip(entries, acc, gran):
            tens[e.name] = f.get_tensor(e.name)
            tens[e.name + ".scale"] = np.array(
                np.asarray(a["alpha"][method], dtype=np.float64) / L)
            layout[e.name] = {"axis": ax, "group": gr}
    checkpoint.save_safetensors(dst, tens, metadata={
        "format": "laaciq-codes", "bits": str(bits), "levels": str(L),
        "layout": json.dumps(layout),
        "dequantize": "w = codes * scale per slice (laaciq.dequantize), "
                      "float64, then rounded once to the weight dtype"})
    os.unlink(tmp / ".codes.partial")


def quantize_checkpoint(path, out, bits=4, objective=None, axis=None, group=None,
                        patterns=None, all_tensors=False, jobs=None, codes=False, force=False,
                        quiet=True, imatrix=None, hessian=None, damp=None,
                        holdout=None) -> dict:
    """``laaciq quantize`` (:mod:`laaciq.tensor.commands`): fake-quantized checkpoint,
    thresholds, codes; ``imatrix`` / ``hessian`` / ``damp`` / ``holdout``: calibrated
    objectives (:func:`calibrated.resolve`)."""
    bits, jobs, ck, entries, skipped, objective, calib, cdoc, (tasks, labels, gran) = _open(
        path, bits, objective, axis, group, patterns, all_tensors, jobs, imatrix, hessian, damp,
        holdout)
    obj = "uniform" if objective == "surrogate" else objective
    odir = OutputDir(out, force, protect=ck.files)
    try:
        own = {n: odir.file(n) for n in ("thresholds.safetensors", "quantize.json")
               + (("codes.safetensors",) if codes else ())}    # before any input name
        plan, copies, finish = _plan_outputs(odir, ck, entries, bits, codes)
        for e, dst, (off, dt, shape) in copies:
            checkpoint.write_block(dst, off, dt, shape, None, checkpoint.read_entry(e))
        method = f"exact-{obj}"
        t0 = time.perf_counter()
        jl = _jobs_for(entries, tasks, gran, bits, [method], plan, moments=False, calib=calib)
        acc, rss = pipeline.assemble(entries, pipeline.run(jl, jobs, quiet, "quantize"),
                                     [method])
        wall = time.perf_counter() - t0
        finish()
        checkpoint.save_safetensors(
            own["thresholds.safetensors"], {e.name: np.array(a["alpha"][method], dtype=np.float64)
                                            for e, a in zip(entries, acc)},
            metadata={"bits": str(bits), "objective": obj,
                      "layout": json.dumps({e.name: {"axis": g[0], "group": g[1]}
                                            for e, g in zip(entries, gran)})})
        if codes:
            _write_codes(odir.tmp, own["codes.safetensors"], entries, acc, gran, bits, method)
        total = sum(e.size for e in entries)
        doc = {"command": "quantize", "file": str(path), "out": str(odir.path), "bits": bits,
               "objective": obj, "values": total, "jobs": jobs, "wall_seconds": wall,
               "values_per_second": total / wall if wall > 0 else None,
               "peak_rss_bytes": rss, "skipped": skipped,
               "tensors": [{"name": e.name, "shape": list(e.shape), "dtype": e.dtype,
                            "granularity": lab, "mse": a["sq"][method] / e.size,
                            "slices": a["slices"], "seconds": a["sec"][method],
                            **({"weighted_mse": a["wsq"][method] / e.size} if "wsq" in a
                               else {})}
                           for e, a, lab in zip(entries, acc, labels)],
               "copied": [e.name for e, _, _ in copies], **cdoc}
        _add_layer_output(doc, doc["tensors"], acc)
        own["quantize.json"].write_text(json.dumps(tables.json_safe(doc), indent=1) + "\n",
                                         encoding="utf-8")
        odir.commit()
        return doc
    except BaseException as exc:
        odir.abort(exc)
        raise


def quantize_gguf(path, out, fmt="gguf:Q4_0", imatrix=None, token_embedding_type="same",
                  force=False, quiet=True, importances=None, value_weighted=False) -> dict:
    """``laaciq quantize --format gguf:…`` (:mod:`laaciq.tensor.ggufout`): ``out/model.gguf``
    and ``out/quantize.json``; ``importances`` (a dict) instead of an ``imatrix`` file;
    ``value_weighted``: ``--weighting llama``."""
    from laaciq.tensor import ggufout

    bf = ggufout.parse_format(fmt)
    if imatrix is not None:
        importances = ggufout.load_importances(imatrix, None)
    odir = OutputDir(out, force, protect=(path,))
    try:
        t0 = time.perf_counter()
        own = {n: odir.file(n) for n in ("model.gguf", "quantize.json")}
        rec = ggufout.write_gguf(path, own["model.gguf"], bf, importances,
                                 token_embedding_type, quiet, value_weighted)
        recs = rec["tensors"]
        q = [r for r in recs if r["action"] == "quantized"]
        doc = {"command": "quantize", "file": str(path), "out": str(odir.path), "format": fmt,
               "imatrix": None if imatrix is None else str(imatrix),
               "weighting": None if importances is None else
               ("llama" if value_weighted else "imatrix"),
               "token_embedding_type": token_embedding_type, **rec,
               "bits_per_weight": 8 * sum(r["bytes"] for r in recs)
               / max(1, sum(r["elements"] for r in recs)),
               "bits_per_quantized_weight": 8 * sum(r["bytes"] for r in q)
               / max(1, sum(r["elements"] for r in q)),
               "wall_seconds": time.perf_counter() - t0}
        own["quantize.json"].write_text(json.dumps(tables.json_safe(doc), indent=1,
                                                   allow_nan=False) + "\n", encoding="utf-8")
        odir.commit()
        return doc
    except BaseException as exc:
        odir.abort(exc)
        raise


# =============================================================================================
# assess


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(f"laaciq: {msg}", file=sys.stderr, flush=True)


def _load_activations(path, names) -> tuple[list[str], dict]:
    p = Path(path)
    if not p.exists():
        raise LaaciqError(f"{p}: no such activations file")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LaaciqError(f"{p}: not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("norms"), dict) or not doc["norms"]:
        raise LaaciqError(f"{p}: expected an object with \"norms\": {{language: [norm per "
                          f"layer]}} (see laaciq assess --help)")
    layers = doc.get("layers")
    if layers is None:
        layers = list(names)
    elif not isinstance(layers, list) or not all(isinstance(s, str) for s in layers):
        raise LaaciqError(f"{p}: \"layers\" must be a list of tensor names")
    missing = [s for s in layers if s not in names]
    if missing:
        raise LaaciqError(f"{p}: layer {missing[0]!r} is not a selected floating tensor of "
                          f"the weights file")
    norms = {}
    for lang, v in doc["norms"].items():
        if not isinstance(v, list) or len(v) != len(layers) or not all(
                isinstance(t, (int, float)) and not isinstance(t, bool) for t in v):
            raise LaaciqError(f"{p}: norms[{lang!r}] must be {len(layers)} numbers (one per "
                              f"layer)")
        a = np.asarray(v, dtype=np.float64)
        if not np.all(np.isfinite(a)) or np.any(a < 0) or not a.sum() > 0:
            raise LaaciqError(f"{p}: norms[{lang!r}] must be finite, >= 0 and not all zero")
        norms[str(lang)] = a
    return layers, norms


def assess_report(path, activations=None, bits=4, patterns=None, quiet=True) -> dict:
    """The ``assess`` document (:mod:`laaciq.tensor.commands`)."""
    from laaciq.theory import practice
    from laaciq.argcheck import check_bits

    try:
        bits = check_bits(bits)
    except (TypeError, ValueError) as exc:
        raise LaaciqError(str(exc)) from None
    tensors, skipped = load_tensors(path, patterns)
    by_name = dict(tensors)
    layers_all = []
    for name, arr in tensors:
        mo = baselines.merge_moments(baselines.row_moments(arr.reshape(1, -1)))
        k = mo["kurt"]
        layers_all.append({"name": name, "n": int(arr.size), "sigma": mo["std"],
                           "kurtosis": None if math.isnan(k) else k, "_m": mo})
    usable = [d for d in layers_all if d["kurtosis"] is not None]
    if not usable:
        raise LaaciqError(f"{path}: every selected tensor is constant: no kurtosis to assess")
    doc = {"command": "assess", "file": str(path), "bits": bits, "skipped": skipped,
           "constant_tensors": [d["name"] for d in layers_all if d["kurtosis"] is None]}
    act = None
    if activations is not None:
        layer_names, norms = _load_activations(activations, [d["name"] for d in usable])
        layers = [next(d for d in usable if d["name"] == s) for s in layer_names]
        act = norms
    else:
        layers = usable
    kappas = [d["kurtosis"] for d in layers]
    doc["layers"] = [{k: v for k, v in d.items() if k != "_m"} for d in layers]
    kmax = max(kappas)
    dec = practice.strategy_rule(kmax)
    doc["strategy"] = {"max_kappa": kmax, "layer": layers[int(np.argmax(kappas))]["name"],
                       "branch": dec.branch, "action": dec.action,
                       "options": list(dec.options), "note": dec.note}
    outliers = [i for i, k in enumerate(kappas) if k > practice.KAPPA_CAUTION]
    doc["outlier_layers"] = [layers[i]["name"] for i in outliers]
    if act is None:
        doc["checklist"] = None
        doc["note"] = ("activation items of the checklist, per-language κ_eff, α*(λ) and the "
                       "fairness record need --activations")
        return doc
    items = practice.pre_quantization_checklist(kappas, {k: list(v) for k, v in act.items()})
    doc["checklist"] = [{"item": it.item, "value": it.value, "threshold": it.threshold,
                         "flagged": it.flagged, "note": it.note} for it in items]
    _per_language(doc, [by_name[d["name"]].reshape(-1) for d in layers], layers, kappas, act,
                  bits, quiet)
    return doc


def _per_language(doc, arrays, layers, kappas, act, bits, quiet) -> None:
    """Fill ``doc`` (the ``assess`` document) with the per-language records: κ_eff, the exact
    ``α*(λ)``, the error at the language-blind α and seed 003 §7.3's fairness record;
    ``arrays[i]`` holds the values of ``layers[i]``, ``act`` the norms per language."""
    from laaciq.theory import practice

    sizes = np.array([a.size for a in arrays], dtype=np.float64)
    moms = {k: np.array([d["_m"][k] for d in layers]) for k in ("n", "mean", "m2", "m3", "m4")}
    langs = {}
    pooled = np.zeros(len(layers))
    total_s = 0.0
    for lang, norm in act.items():
        abar = norm / norm.sum()
        pooled += abar / len(act)
        t0 = time.perf_counter()
        _log(f"assess: exact α*({lang}) over {int(sizes[abar > 0].sum())} values", quiet)
        src = [(a, w / s) for a, w, s in zip(arrays, abar, sizes) if w > 0]
        a_star, err = exact.exact_alpha_weighted(src, bits)
        total_s += time.perf_counter() - t0
        mix = baselines.merge_moments(moms, abar)
        langs[lang] = {"a_bar": [float(v) for v in abar],
                       "kappa_eff": mix["kurt"],
                       "kappa_eff_linear": float(abar @ np.asarray(kappas)),
                       "sigma_eff": mix["std"],
                       "alpha_star": a_star, "mse_at_alpha_star": err,
                       "second_moment": mix["m2"] + mix["mean"] ** 2}
    src = [(a, w / s) for a, w, s in zip(arrays, pooled, sizes) if w > 0]
    a_blind, _ = exact.exact_alpha_weighted(src, bits)
    per_layer_blind = np.array([exact.slice_mse(a, a_blind, bits) for a in arrays])
    degradation = {}
    for lang, d in langs.items():
        abar = np.asarray(d["a_bar"])
        d["mse_at_blind_alpha"] = float(abar @ per_layer_blind)
        d["excess_error_of_blind"] = (d["mse_at_blind_alpha"] / d["mse_at_alpha_star"] - 1
                                      if d["mse_at_alpha_star"] > 0 else 0.0)
        degradation[lang] = d["mse_at_blind_alpha"] / d["second_moment"] \
            if d["second_moment"] > 0 else 0.0
    rec = practice.fairness_record(degradation, doc["outlier_layers"], bits)
    doc["languages"] = langs
    doc["alpha_blind"] = a_blind
    doc["fairness"] = rec.as_dict()
    doc["fairness"]["degradation"] = "relative weight MSE at the language-blind α"
    doc["seconds_exact"] = total_s
