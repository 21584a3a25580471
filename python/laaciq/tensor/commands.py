"""``laaciq clip``, ``laaciq quantize`` and ``laaciq assess``: exact clipping thresholds,
quantized checkpoints and seed 003's pre-quantization checklist on real weights.

Inputs (:mod:`laaciq.tensor.checkpoint`): a ``.safetensors`` file, a folder, a sharded checkpoint
(``model.safetensors.index.json``), ``.npy``, ``.npz`` or ``.gguf`` (dequantized); tensors are
read one at a time (bf16/fp16/fp8 kept in their dtype). By default the floating tensors with at
least 2 dimensions (the weight matrices); ``--all`` adds 1-D ones; ``--tensor PATTERN``
(shell-style, repeatable) selects by name. ``--per-channel AXIS`` / ``--group G`` apply to every
selected tensor: one that lacks the axis (or whose last dimension G does not divide) is an error,
never a silent fallback. ``--jobs N`` worker processes (default: all cores) over tensors and
blocks of rows; a progress bar with ETA on a terminal unless ``--quiet``.

``clip FILE`` — per tensor: ``n``, σ (population), excess kurtosis κ, then for every method its
threshold α, the TRUE MSE of the project's quantizer at α (:func:`exact.slice_mse`), the ratio to
the exact optimum and the seconds it took. Methods: ``exact-true`` (the global minimizer of the
true round-to-nearest MSE, :mod:`laaciq.tensor.solver`), ``exact-uniform`` (exact minimizer of the
clip + Δ²/12 surrogate with the real step; ``--objective banner|seed001|seed004`` adds that
surrogate too), ``banner-gauss`` / ``banner-laplace`` (ACIQ closed forms ``k_B·σ`` and
``k_B·mean|x-μ|``), ``octav`` (fixed point), ``kurtosis-rule`` (seeds'
``σ·(2.5 + 0.3 ln(1+max(0,κ)))``, 4 bits only); ``--peers`` adds the grid searches of
:mod:`laaciq.tensor.baselines`. ``--objective`` names the method reported as ``selected`` ("surrogate"
means "uniform"). Per-channel/group MSEs are over the whole tensor. ``--out DIR``: the full per-slice thresholds
(``thresholds.safetensors`` for the selected method, ``thresholds-METHOD.safetensors`` for the
others; one float64 tensor per weight, named like it), ``tensors.csv`` / ``tensors.jsonl`` (one
row per tensor and method) and ``clip.json``.

``quantize FILE --out DIR`` — see ``laaciq quantize --help``.

``assess FILE [--activations acts.json]`` — per-layer (= per selected tensor) excess kurtosis,
seed 003 §7.2's strategy rule on ``max κ`` and, with activations, §7.1's checklist, per-language
effective kurtosis, the exact per-language threshold ``α*(λ)`` and §7.3's fairness record.
The activations JSON::

    {
      "layers": ["encoder.layer.0.attention.self.query.weight", "..."],
      "norms":  {"eng": [12.0, 3.5, ...], "fra": [11.1, 4.0, ...]}
    }

``norms``: per language, one non-negative activation norm ``a_l(λ)`` per layer (not all zero);
``ā_l(λ) = a_l/Σa`` (seed 000 §4). ``layers`` (optional): the tensor names the norms refer to, in
order; without it the norms follow the selected tensors in file order. A language's effective
law is the pool ``P_λ = Σ_l ā_l(λ)·(empirical law of tensor l)``; ``κ_eff`` is its excess
kurtosis (``linear``: seeds 001/002's ``Σ ā κ_l``); ``α*(λ)`` minimizes its true MSE exactly
(:func:`exact.exact_alpha_weighted`); the language-blind α pools the languages uniformly. The
fairness record's degradation ``D(λ)`` is language λ's relative weight MSE
``MSE_λ(α_blind)/E_λ[x²]`` at the language-blind threshold.

Errors (missing file, unknown format or dtype, a shard missing, NaN, empty tensor, bad option,
an existing output folder without ``--force``) print one line ``laaciq: error: ...`` and exit 2;
outputs are built in a temporary folder renamed into place, so nothing is half-written.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from laaciq.tensor import baselines, calibrated, checkpoint, pipeline
from laaciq.tensor import solver as exact
from laaciq.theory import quantizer
from laaciq.errors import LaaciqError

__all__ = ["register", "load_tensors", "clip_report", "quantize_checkpoint", "assess_report"]

_QUANTIZE_DOC = """Quantize a checkpoint at the exact optimal thresholds (objective "true": the
global minimizer of the real round-to-nearest MSE, per tensor, per channel or per group).

DIR gets:
  * the checkpoint with the selected tensors fake-quantized (Q_a(w), computed in float64 and
    rounded once to the tensor's own dtype), every other tensor copied, with the input's file
    names, sharding and index (.npy/.npz stay .npy/.npz; GGUF becomes STEM.safetensors with the
    dequantized float32 weights). In bf16/fp16 a grid point k*a/L is generally not representable:
    the stored value is its nearest bf16/fp16, not the grid point; the codes below are exact.
  * thresholds.safetensors: one float64 tensor of thresholds a per quantized weight (same name;
    shape () per tensor, (C,) per channel, the weight's shape with the last axis divided by G
    for groups); metadata: bits, objective, layout.
  * with --codes, codes.safetensors: NAME = integer codes k in [-L, L] (int8 up to 8 bits, else
    int16; L = 2^(bits-1) - 1), the weight's shape; NAME.scale = float64 step a/L, threshold
    shape. Dequantize: w = k * scale per slice (laaciq.dequantize), rounded once to the dtype:
    bit-identical to the fake-quantized weights.
  * quantize.json: the run (per tensor: granularity, true MSE; wall time, peak memory).

--format gguf:Q4_0|gguf:Q5_0|gguf:Q8_0 (a GGUF input) writes instead DIR/model.gguf in
llama.cpp's block format, every block at the exact optimum over fp16 scales and codes
(laaciq.tensor.blockfmt), metadata and tokenizer copied, llama-quantize --pure's tensor policy
(laaciq.tensor.ggufout), and DIR/quantize.json; --imatrix FILE weights each block's error by
llama.cpp's per-column importances; --token-embedding-type same|f32|f16|q8_0.
"""

SURROGATE_CHOICES = ("true", "surrogate", "banner", "seed001", "uniform", "seed004")
#: objectives that need calibration data (--imatrix, --hessian)
CALIBRATED_CHOICES = ("weighted", "output")


# =============================================================================================
# loading (assess) and output folders


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


class OutputDir:
    """Build an output folder in a temporary sibling, renamed into place on success (the old
    folder replaced only with ``force``); removed on any failure: nothing half-written."""

    def __init__(self, path, force: bool):
        self.path = Path(path)
        if self.path.exists() and not force:
            raise LaaciqError(f"{self.path}: already exists: pass --force to replace it, or "
                              f"choose another --out")
        if self.path.exists() and not self.path.is_dir():
            raise LaaciqError(f"{self.path}: exists and is not a folder")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.tmp-",
                                         dir=self.path.parent))

    def commit(self):
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o777 & ~umask)       # mkdtemp makes 0700; outputs are for reading
        for f in self.tmp.iterdir():
            os.chmod(f, 0o666 & ~umask)
        old = None
        if self.path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.old-", dir=self.path.parent))
            os.replace(self.path, old / "d")
        os.replace(self.tmp, self.path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


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
                force=False, imatrix=None, hessian=None) -> dict:
    """The ``clip`` document (see the module docstring); ``out``: a folder for the full
    thresholds and the per-tensor tables; ``imatrix`` / ``hessian``: calibrated objectives
    (:func:`calibrated.resolve`)."""
    bits, jobs = _check_common(bits, axis, group, jobs)
    ck = checkpoint.open_checkpoint(path)
    entries, skipped = pipeline.select(ck, patterns, all_tensors)
    objective, _, calib, cdoc = calibrated.resolve(objective, imatrix, hessian, ck, entries,
                                                    axis, group)
    names, selected = _methods(bits, objective, peers)
    tasks, labels, gran = pipeline.make_tasks(entries, axis, group, jobs)
    odir = OutputDir(out, force) if out is not None else None
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
        if odir is not None:
            _write_clip_out(odir.tmp, doc, entries, acc, names, selected)
            odir.commit()
            doc["out"] = str(odir.path)
        return doc
    except BaseException:
        if odir is not None:
            odir.discard()
        raise


def _table_rows(doc):
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


def _write_clip_out(tmp: Path, doc, entries, acc, names, selected):
    from safetensors.numpy import save_file

    meta = {"bits": str(doc["bits"]), "granularity": doc["granularity"]}
    for m in names:
        tens = {e.name: np.array(a["alpha"][m], dtype=np.float64)
                for e, a in zip(entries, acc)}
        fname = "thresholds.safetensors" if m == selected else f"thresholds-{m}.safetensors"
        save_file(tens, str(tmp / fname), metadata={**meta, "method": m})
    rows = list(_table_rows(doc))
    with open(tmp / "tensors.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with open(tmp / "tensors.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(_json_safe(r), allow_nan=False) + "\n")
    (tmp / "clip.json").write_text(json.dumps(_json_safe(doc), indent=1, allow_nan=False)
                                   + "\n", encoding="utf-8")


# =============================================================================================
# quantize


def _plan_outputs(tmp: Path, ck, entries, bits, codes: bool):
    """Pre-size every output file; returns ``(plan per selected name, copies, finish)``:
    ``copies`` the unselected tensors to copy verbatim, ``finish()`` completes the layout."""
    sel = {e.name for e in entries}
    plan: dict = {e.name: {} for e in entries}
    copies = []
    finish = []
    if ck.layout == "safetensors":
        for f in ck.files:
            ents = [e for e in ck.entries if e.file == f]
            offs = checkpoint.plan_safetensors(tmp / f.name, [(e.name, e.dtype, e.shape)
                                                              for e in ents], ck.metadata.get(f))
            for e in ents:
                if e.name in sel:
                    plan[e.name]["weights"] = (tmp / f.name, offs[e.name])
                else:
                    copies.append((e, tmp / f.name, offs[e.name]))
        if ck.index is not None:
            idx_name = next(iter(Path(ck.path).glob("*.safetensors.index.json")), None)
            name = idx_name.name if idx_name else "model.safetensors.index.json"
            (tmp / name).write_text(json.dumps(ck.index, indent=2) + "\n", encoding="utf-8")
    elif ck.layout == "npy":
        e = ck.entries[0]
        dst = tmp / Path(ck.path).name
        mm = np.lib.format.open_memmap(dst, mode="w+", dtype=e.dtype, shape=e.shape)
        off = mm.offset
        del mm
        plan[e.name]["weights"] = (dst, (off, e.dtype, e.shape))
    else:       # npz (members assembled at the end) and gguf (float safetensors)
        parts = tmp / ".parts"
        parts.mkdir()
        if ck.layout == "gguf":
            dst = tmp / (Path(ck.path).stem + ".safetensors")
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
            for e in ck.entries:
                dst = parts / f"{len(finish)}.npy"
                mm = np.lib.format.open_memmap(dst, mode="w+", dtype=e.dtype, shape=e.shape)
                off = mm.offset
                del mm
                finish.append((e.name, dst))
                if e.name in sel:
                    plan[e.name]["weights"] = (dst, (off, e.dtype, e.shape))
                else:
                    copies.append((e, dst, (off, e.dtype, e.shape)))
    code_offs = None
    if codes:
        cdt = "int8" if bits <= 8 else "int16"
        specs = []
        for e in entries:
            specs.append((e.name, cdt, e.shape))
        code_offs = checkpoint.plan_safetensors(tmp / ".codes.partial", specs)
        for e in entries:
            plan[e.name]["codes"] = (tmp / ".codes.partial", code_offs[e.name])

    def done():
        if finish:
            with zipfile.ZipFile(tmp / Path(ck.path).name, "w", zipfile.ZIP_STORED,
                                 allowZip64=True) as z:
                for name, src in finish:
                    z.write(src, f"{name}.npy")
        shutil.rmtree(tmp / ".parts", ignore_errors=True)
    return plan, copies, done


def _write_codes(tmp: Path, entries, acc, gran, bits, method):
    """``codes.safetensors``: per weight ``NAME`` its int codes (from the partial file) and
    ``NAME.scale`` (float64 steps α/L, threshold shape); metadata: bits, layout."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    L = quantizer.levels(bits)
    tens = {}
    layout = {}
    with safe_open(str(tmp / ".codes.partial"), framework="np") as f:
        for e, a, (ax, gr) in zip(entries, acc, gran):
            tens[e.name] = f.get_tensor(e.name)
            tens[e.name + ".scale"] = np.array(
                np.asarray(a["alpha"][method], dtype=np.float64) / L)
            layout[e.name] = {"axis": ax, "group": gr}
    save_file(tens, str(tmp / "codes.safetensors"),
              metadata={"format": "laaciq-codes", "bits": str(bits), "levels": str(L),
                        "layout": json.dumps(layout),
                        "dequantize": "w = codes * scale per slice (laaciq.dequantize), "
                                      "float64, then rounded once to the weight dtype"})
    os.unlink(tmp / ".codes.partial")


def quantize_checkpoint(path, out, bits=4, objective=None, axis=None, group=None,
                        patterns=None, all_tensors=False, jobs=None, codes=False, force=False,
                        quiet=True, imatrix=None, hessian=None) -> dict:
    """``laaciq quantize`` (module docstring): fake-quantized checkpoint, thresholds, codes;
    ``imatrix`` / ``hessian``: calibrated objectives (:func:`calibrated.resolve`)."""
    bits, jobs = _check_common(bits, axis, group, jobs)
    ck = checkpoint.open_checkpoint(path)
    entries, skipped = pipeline.select(ck, patterns, all_tensors)
    objective, _, calib, cdoc = calibrated.resolve(objective, imatrix, hessian, ck, entries,
                                                    axis, group)
    obj = "uniform" if objective == "surrogate" else objective
    tasks, labels, gran = pipeline.make_tasks(entries, axis, group, jobs)
    odir = OutputDir(out, force)
    try:
        plan, copies, finish = _plan_outputs(odir.tmp, ck, entries, bits, codes)
        for e, dst, (off, dt, shape) in copies:
            checkpoint.write_block(dst, off, dt, shape, None, checkpoint.read_entry(e))
        method = f"exact-{obj}"
        t0 = time.perf_counter()
        jl = _jobs_for(entries, tasks, gran, bits, [method], plan, moments=False, calib=calib)
        acc, rss = pipeline.assemble(entries, pipeline.run(jl, jobs, quiet, "quantize"),
                                     [method])
        wall = time.perf_counter() - t0
        finish()
        from safetensors.numpy import save_file

        save_file({e.name: np.array(a["alpha"][method], dtype=np.float64)
                   for e, a in zip(entries, acc)}, str(odir.tmp / "thresholds.safetensors"),
                  metadata={"bits": str(bits), "objective": obj,
                            "layout": json.dumps({e.name: {"axis": g[0], "group": g[1]}
                                                  for e, g in zip(entries, gran)})})
        if codes:
            _write_codes(odir.tmp, entries, acc, gran, bits, method)
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
        (odir.tmp / "quantize.json").write_text(json.dumps(_json_safe(doc), indent=1) + "\n",
                                                encoding="utf-8")
        odir.commit()
        return doc
    except BaseException:
        odir.discard()
        raise


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
    """The ``assess`` document (see the module docstring)."""
    from laaciq.theory import calibration
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
    dec = calibration.strategy_rule(kmax)
    doc["strategy"] = {"max_kappa": kmax, "layer": layers[int(np.argmax(kappas))]["name"],
                       "branch": dec.branch, "action": dec.action,
                       "options": list(dec.options), "note": dec.note}
    outliers = [i for i, k in enumerate(kappas) if k > calibration.KAPPA_CAUTION]
    doc["outlier_layers"] = [layers[i]["name"] for i in outliers]
    if act is None:
        doc["checklist"] = None
        doc["note"] = ("activation items of the checklist, per-language κ_eff, α*(λ) and the "
                       "fairness record need --activations")
        return doc
    items = calibration.pre_quantization_checklist(kappas, {k: list(v) for k, v in act.items()})
    doc["checklist"] = [{"item": it.item, "value": it.value, "threshold": it.threshold,
                         "flagged": it.flagged, "note": it.note} for it in items]
    arrays = [by_name[d["name"]].reshape(-1) for d in layers]
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
    rec = calibration.fairness_record(degradation, doc["outlier_layers"], bits)
    doc["languages"] = langs
    doc["alpha_blind"] = a_blind
    doc["fairness"] = rec.as_dict()
    doc["fairness"]["degradation"] = "relative weight MSE at the language-blind α"
    doc["seconds_exact"] = total_s
    return doc


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


# =============================================================================================
# argparse


def _emit(doc, fmt, table):
    """Print the document; a closed pipe (``| head``) ends quietly."""
    text = json.dumps(_json_safe(doc), indent=1, allow_nan=False, default=float) \
        if fmt == "json" else table(doc)
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())       # no second error at interpreter exit
        return


def _cmd_clip(args) -> int:
    doc = clip_report(args.file, args.bits, args.objective, args.per_channel, args.group,
                      args.tensor, args.peers, args.quiet, args.all, args.jobs, args.out,
                      args.force, args.imatrix, args.hessian)
    _emit(doc, args.format, clip_table)
    return 0


def quantize_gguf(path, out, fmt="gguf:Q4_0", imatrix=None, token_embedding_type="same",
                  force=False, quiet=True, importances=None) -> dict:
    """``laaciq quantize --format gguf:…`` (:mod:`laaciq.tensor.ggufout`): ``out/model.gguf``
    and ``out/quantize.json``; ``importances`` (a dict) instead of an ``imatrix`` file."""
    from laaciq.tensor import ggufout

    bf = ggufout.parse_format(fmt)
    if imatrix is not None:
        importances = ggufout.load_importances(imatrix, None)
    odir = OutputDir(out, force)
    try:
        t0 = time.perf_counter()
        rec = ggufout.write_gguf(path, odir.tmp / "model.gguf", bf, importances,
                                 token_embedding_type, quiet)
        recs = rec["tensors"]
        q = [r for r in recs if r["action"] == "quantized"]
        doc = {"command": "quantize", "file": str(path), "out": str(odir.path), "format": fmt,
               "imatrix": None if imatrix is None else str(imatrix),
               "token_embedding_type": token_embedding_type, **rec,
               "bits_per_weight": 8 * sum(r["bytes"] for r in recs)
               / max(1, sum(r["elements"] for r in recs)),
               "bits_per_quantized_weight": 8 * sum(r["bytes"] for r in q)
               / max(1, sum(r["elements"] for r in q)),
               "wall_seconds": time.perf_counter() - t0}
        (odir.tmp / "quantize.json").write_text(json.dumps(_json_safe(doc), indent=1,
                                                           allow_nan=False) + "\n")
        odir.commit()
        return doc
    except BaseException:
        odir.discard()
        raise


def _cmd_quantize(args) -> int:
    if args.format not in ("table", "json"):
        from laaciq.tensor import ggufout

        if args.per_channel is not None or args.group is not None or args.codes:
            raise LaaciqError("--format gguf:… fixes the layout (blocks of 32 along rows): "
                              "drop --per-channel/--group/--codes")
        doc = quantize_gguf(args.file, args.out, args.format, args.imatrix,
                            args.token_embedding_type, args.force, args.quiet)
        _emit(doc, "table", ggufout.gguf_table)
        return 0
    doc = quantize_checkpoint(args.file, args.out, args.bits, args.objective, args.per_channel,
                              args.group, args.tensor, args.all, args.jobs, args.codes,
                              args.force, args.quiet, args.imatrix, args.hessian)
    _emit(doc, args.format, quantize_table)
    return 0


def _cmd_assess(args) -> int:
    doc = assess_report(args.file, args.activations, args.bits, args.tensor, args.quiet)
    _emit(doc, args.format, assess_table)
    return 0


def _json_safe(o):
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _json_safe(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_json_safe(v) for v in o]
    return o


def _common_args(c, formats=("table", "json")) -> None:
    c.add_argument("file", help=".safetensors file, folder, sharded index, .npy, .npz or .gguf")
    c.add_argument("--bits", type=int, default=4, help="bit-width 2..16 (default 4)")
    c.add_argument("--objective", choices=SURROGATE_CHOICES + CALIBRATED_CHOICES,
                   help="objective of the exact thresholds (surrogate = uniform; default: "
                        "true, or weighted with --imatrix, output with only --hessian)")
    c.add_argument("--imatrix", metavar="FILE", help="importance matrix (llama.cpp GGUF or "
                   ".dat, from laaciq calibrate or llama-imatrix): minimize the activation-"
                   "weighted error sum_j c_j (w_j - q_j)^2")
    c.add_argument("--hessian", metavar="FILE", help="second moments H = E[x x^T] per layer "
                   "(laaciq calibrate --full) for --objective output")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--per-channel", type=int, metavar="AXIS", dest="per_channel",
                   help="one threshold per index of AXIS (every selected tensor must have it)")
    g.add_argument("--group", type=int, metavar="G", help="one threshold per block of G values "
                                                          "along the last axis")
    c.add_argument("--tensor", action="append", metavar="PATTERN",
                   help="only tensors whose name matches (shell pattern; repeatable; 1-D "
                        "tensors included)")
    c.add_argument("--all", action="store_true", help="every floating tensor, 1-D included "
                                                      "(default: the >= 2-D weight matrices)")
    c.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes (default: all cores)")
    if formats is None:         # quantize: also gguf:Q4_0|gguf:Q5_0|gguf:Q8_0, checked when run
        c.add_argument("--format", default="table", metavar="FORMAT",
                       help="table or json (the printed summary), or gguf:Q4_0, gguf:Q5_0, "
                            "gguf:Q8_0: write DIR/model.gguf in llama.cpp's block format at the "
                            "exact per-block optimum (GGUF input)")
    else:
        c.add_argument("--format", choices=formats, default="table")
    c.add_argument("--force", action="store_true", help="replace an existing --out folder")
    c.add_argument("--quiet", action="store_true", help="no progress bar on stderr")


def register(subparsers) -> None:
    """Add ``clip`` and ``assess`` to the ``laaciq`` sub-command parser."""
    doc = __doc__.split("``assess FILE")[0]
    c = subparsers.add_parser("clip", help="exact clipping thresholds of the tensors of a "
                                           "checkpoint, against other methods",
                              description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common_args(c)
    c.add_argument("--peers", action="store_true",
                   help="also run the grid searches of NVIDIA, Intel, ModelOpt, GPTQ, PyTorch "
                        "(numpy ports)")
    c.add_argument("--out", metavar="DIR", help="write every per-slice threshold "
                   "(thresholds*.safetensors) and tensors.csv / tensors.jsonl / clip.json here")
    c.set_defaults(func=_cmd_clip)

    q = subparsers.add_parser("quantize", help="quantize a checkpoint at the exact optimal "
                                               "thresholds: fake-quantized weights, thresholds, "
                                               "codes", description=_QUANTIZE_DOC,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    _common_args(q, formats=None)
    # --imatrix (from _common_args) also weighs each block's error per column with gguf:…
    q.add_argument("--token-embedding-type", default="same", dest="token_embedding_type",
                   choices=("same", "f32", "f16", "q8_0"),
                   help="with gguf:…: type of token_embd.weight (default: the format)")
    q.add_argument("--out", metavar="DIR", required=True, help="output folder (must not exist "
                                                                "unless --force)")
    q.add_argument("--codes", action="store_true",
                   help="also write codes.safetensors (integer codes + float64 scales)")
    q.set_defaults(func=_cmd_quantize)

    a = subparsers.add_parser(
        "assess", help="seed 003's pre-quantization checklist, strategy rule and fairness "
                       "record on a weights file",
        description="``assess FILE" + __doc__.split("``assess FILE", 1)[1].split("Errors (")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("file", help=".npy, .npz or .safetensors weights file")
    a.add_argument("--activations", metavar="JSON",
                   help='per-language activation norms: {"layers": [...], "norms": '
                        '{"lang": [norm per layer]}}')
    a.add_argument("--bits", type=int, default=4, help="bit-width 2..16 (default 4)")
    a.add_argument("--tensor", action="append", metavar="PATTERN",
                   help="only tensors whose name matches (shell pattern; repeatable)")
    a.add_argument("--format", choices=("table", "json"), default="table")
    a.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    a.set_defaults(func=_cmd_assess)
