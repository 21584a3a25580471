"""``laaciq clip`` and ``laaciq assess``: exact clipping thresholds and seed 003's
pre-quantization checklist on real weight files.

Files: ``.npy`` (one tensor, named after the file), ``.npz`` (every array) and ``.safetensors``
(every tensor, read with the safetensors numpy backend; ``BF16`` is widened to float32 from the
raw bytes, since numpy has no bfloat16). Non-floating tensors (token ids, masks) are skipped and
listed; ``--tensor PATTERN`` (shell-style, repeatable) selects tensors by name.

``clip FILE`` — per tensor: ``n``, σ (population), excess kurtosis κ, then for every method its
threshold α, the TRUE MSE of the project's quantizer at α (:func:`exact.slice_mse`), the ratio to
the exact optimum and the seconds it took. Methods: ``exact-true`` (the global minimizer of the
true round-to-nearest MSE, :mod:`laaciq.tensor.solver`), ``exact-uniform`` (exact minimizer of the
clip + Δ²/12 surrogate with the real step; ``--objective banner|seed001|seed004`` adds that
surrogate too), ``banner-gauss`` / ``banner-laplace`` (ACIQ closed forms ``k_B·σ`` and
``k_B·mean|x-μ|``), ``octav`` (fixed point), ``kurtosis-rule`` (seeds'
``σ·(2.5 + 0.3 ln(1+max(0,κ)))``, 4 bits only); ``--peers`` adds the grid searches of
:mod:`laaciq.tensor.baselines`. ``--objective`` names the method reported as ``selected`` ("surrogate"
means "uniform"). ``--per-channel AXIS``: one α per index of AXIS (tensors with fewer
dimensions: per tensor); ``--group G``: blocks of G along the last axis (tensors whose last
dimension G does not divide: per tensor). Per-channel/group MSEs are over the whole tensor.

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

Errors (missing file, unknown format, NaN, empty tensor, bad option) print one line
``laaciq: error: ...`` and exit 2.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import struct
import sys
import time
from pathlib import Path

import numpy as np

from laaciq.tensor import baselines
from laaciq.tensor import solver as exact
from laaciq.errors import LaaciqError

__all__ = ["register", "load_tensors", "clip_report", "assess_report"]

SURROGATE_CHOICES = ("true", "surrogate", "banner", "seed001", "uniform", "seed004")
_PROGRESS_VALUES = 1 << 20      # progress lines on stderr when a run has more values


# =============================================================================================
# loading


def _read_bf16(path: Path, name: str) -> np.ndarray:
    with open(path, "rb") as fh:
        (hlen,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(hlen))
        info = header[name]
        lo, hi = info["data_offsets"]
        fh.seek(8 + hlen + lo)
        raw = np.frombuffer(fh.read(hi - lo), dtype="<u2")
    return (raw.astype(np.uint32) << 16).view(np.float32).reshape(info["shape"])


def load_tensors(path, patterns=None) -> tuple[list[tuple[str, np.ndarray]], list[str]]:
    """``([(name, array)], skipped)`` from a .npy, .npz or .safetensors file; only floating
    tensors are kept (``skipped`` names the others, with their dtype)."""
    p = Path(path)
    if not p.exists():
        raise LaaciqError(f"{p}: no such file")
    if p.is_dir():
        raise LaaciqError(f"{p}: is a folder, expected a .npy, .npz or .safetensors file")
    suffix = p.suffix.lower()
    items: list[tuple[str, np.ndarray]] = []
    try:
        if suffix == ".npy":
            items = [(p.stem, np.load(p, allow_pickle=False))]
        elif suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                items = [(k, z[k]) for k in z.files]
        elif suffix == ".safetensors":
            from safetensors import safe_open

            with safe_open(str(p), framework="np") as f:
                for k in f.keys():
                    try:
                        items.append((k, f.get_tensor(k)))
                    except TypeError:           # bfloat16: numpy has no such dtype
                        items.append((k, _read_bf16(p, k)))
        else:
            raise LaaciqError(f"{p}: unknown format {suffix or '(no extension)'!r}: use .npy, "
                              f".npz or .safetensors")
    except LaaciqError:
        raise
    except Exception as exc:  # noqa: BLE001 — any reader failure is a malformed file
        raise LaaciqError(f"{p}: cannot read it as {suffix}: {type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    if patterns:
        items = [(k, v) for k, v in items if any(fnmatch.fnmatchcase(k, pt) for pt in patterns)]
        if not items:
            raise LaaciqError(f"{p}: no tensor matches {', '.join(patterns)}")
    kept, skipped = [], []
    for k, v in items:
        v = np.asarray(v)
        if v.dtype.kind != "f":
            skipped.append(f"{k} ({v.dtype})")
            continue
        if v.size == 0:
            raise LaaciqError(f"{p}: tensor {k!r} is empty")
        if not np.isfinite(v).all():
            bad = v[~np.isfinite(v)].ravel()[0]
            raise LaaciqError(f"{p}: tensor {k!r} has a non-finite value ({bad}): drop or "
                              f"replace NaN/inf first")
        kept.append((k, v))
    if not kept:
        raise LaaciqError(f"{p}: no floating-point tensor to quantize"
                          + (f" (skipped: {', '.join(skipped)})" if skipped else ""))
    return kept, skipped


# =============================================================================================
# clip


def _granularity(arr, axis, group):
    """``(axis, group, label)`` actually used for one tensor."""
    if group is not None:
        if arr.ndim >= 1 and arr.shape[-1] % group == 0:
            return None, group, f"group {group}"
        return None, None, f"per tensor (last dimension not divisible by {group})"
    if axis is not None:
        if arr.ndim > axis >= -arr.ndim:
            return axis, None, f"per channel (axis {axis})"
        return None, None, f"per tensor (no axis {axis})"
    return None, None, "per tensor"


def _stats(arr) -> dict:
    x = arr.reshape(1, -1)
    mo = baselines.row_moments(x)
    k = float(mo["kurt"][0])
    return {"n": int(arr.size), "sigma": float(mo["std"][0]),
            "kurtosis": None if math.isnan(k) else k}


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


def _alpha_for(method, arr, bits, axis, group):
    """Thresholds (threshold shape) of one method for one tensor, and its seconds."""
    if method.startswith("banner-"):      # the constants are solved once per bit-width
        baselines.banner_constant(bits, method[len("banner-"):].replace("laplace", "laplace"))
    t0 = time.perf_counter()
    if method.startswith("exact-"):
        obj = method[len("exact-"):]
        r = exact.exact_alpha(arr, bits, obj, axis=axis, group=group)
        return np.asarray(r.alpha, dtype=np.float64), time.perf_counter() - t0
    rows, shape = exact.as_slices(arr, axis, group)
    fn = {"banner-gauss": lambda r: baselines.banner(r, bits, "gauss"),
          "banner-laplace": lambda r: baselines.banner(r, bits, "laplace"),
          "octav": lambda r: baselines.octav(r, bits),
          "kurtosis-rule": lambda r: baselines.kurtosis_rule(r, bits),
          "nvidia-hist-1920": lambda r: baselines.nvidia_hist(r, bits),
          "intel-40": lambda r: baselines.intel_ratios(r, bits),
          "modelopt-39": lambda r: baselines.modelopt_mse(r, bits),
          "gptq-80": lambda r: baselines.gptq_shrink(r, bits),
          "pytorch-hist": lambda r: baselines.pytorch_hist(r, bits)}[method]
    al = fn(rows)
    return al.reshape(shape) if shape else np.asarray(al[0]), time.perf_counter() - t0


def _alpha_summary(al: np.ndarray):
    if al.ndim == 0:
        return float(al)
    d = {"count": int(al.size), "mean": float(al.mean()), "min": float(al.min()),
         "max": float(al.max())}
    if al.size <= 4096:
        d["values"] = [float(v) for v in al.ravel()]
    return d


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(f"laaciq: {msg}", file=sys.stderr, flush=True)


def clip_report(path, bits=4, objective="true", axis=None, group=None, patterns=None,
                peers=False, quiet=True) -> dict:
    """The ``clip`` document (see the module docstring)."""
    from laaciq.argcheck import check_bits

    try:
        bits = check_bits(bits)
    except (TypeError, ValueError) as exc:
        raise LaaciqError(str(exc)) from None
    if group is not None and group < 1:
        raise LaaciqError(f"--group must be a positive integer, got {group}")
    tensors, skipped = load_tensors(path, patterns)
    names, selected = _methods(bits, objective, peers)
    total = sum(v.size for _, v in tensors)
    verbose = not quiet and (total > _PROGRESS_VALUES or len(tensors) > 20)
    out = []
    sums = {m: 0.0 for m in names}
    secs = {m: 0.0 for m in names}
    for i, (name, arr) in enumerate(tensors):
        t0 = time.perf_counter()
        ax, gr, label = _granularity(arr, axis, group)
        rec = {"name": name, "shape": list(arr.shape), "dtype": str(arr.dtype),
               "granularity": label, **_stats(arr), "methods": {}}
        ref = None
        for m in names:
            try:
                al, sec = _alpha_for(m, arr, bits, ax, gr)
            except (TypeError, ValueError) as exc:
                raise LaaciqError(f"tensor {name!r}: {m}: {exc}") from None
            mse = float(np.mean(exact.slice_mse(arr, al, bits, axis=ax, group=gr)))
            if m == "exact-true":
                ref = mse
            ratio = (mse / ref if ref > 0 else (1.0 if mse == 0 else math.inf))
            rec["methods"][m] = {"alpha": _alpha_summary(al), "mse": mse,
                                 "ratio": None if math.isinf(ratio) else ratio,
                                 "seconds": sec}
            sums[m] += mse * arr.size
            secs[m] += sec
        out.append(rec)
        if verbose:
            _log(f"[{i + 1}/{len(tensors)}] {name} {tuple(arr.shape)} "
                 f"({time.perf_counter() - t0:.2f} s)", quiet)
    ref_total = sums["exact-true"]
    summary = {}
    for m in names:
        r = sums[m] / ref_total if ref_total > 0 else (1.0 if sums[m] == 0 else None)
        summary[m] = {"mse": sums[m] / total, "ratio": r, "seconds": secs[m]}
    return {"command": "clip", "file": str(path), "bits": bits, "objective": objective,
            "selected": selected, "granularity": (f"group {group}" if group else
                                                  f"per channel (axis {axis})"
                                                  if axis is not None else "per tensor"),
            "values": int(total), "tensors": out, "skipped": skipped, "summary": summary}


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
        lines.append(f"  {'method':<18}{'alpha':>28}{'true MSE':>14}{'ratio':>12}"
                     f"{'seconds':>10}")
        for m, d in t["methods"].items():
            lines.append(f"  {m:<18}{_fmt_alpha(d['alpha']):>28}{d['mse']:>14.6g}"
                         f"{_fmt_ratio(d['ratio']):>12}{d['seconds']:>10.3f}")
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


def _raw_moments(arr) -> np.ndarray:
    x = arr.reshape(-1)
    out = np.zeros(5)
    out[0] = 1.0
    for lo in range(0, x.size, 1 << 20):
        c = x[lo:lo + (1 << 20)].astype(np.float64)
        c2 = c * c
        out[1:] += [c.sum(), c2.sum(), (c2 * c).sum(), (c2 * c2).sum()]
    out[1:] /= x.size
    return out


def _kurtosis(m) -> float:
    mu = m[1]
    m2 = m[2] - mu * mu
    m4 = m[4] - 4 * mu * m[3] + 6 * mu * mu * m[2] - 3 * mu ** 4
    return m4 / (m2 * m2) - 3.0 if m2 > 0 else math.nan


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
        m = _raw_moments(arr)
        k = _kurtosis(m)
        layers_all.append({"name": name, "n": int(arr.size),
                           "sigma": math.sqrt(max(m[2] - m[1] ** 2, 0.0)),
                           "kurtosis": None if math.isnan(k) else k, "_m": m})
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
    moms = np.stack([d["_m"] for d in layers])
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
        mix = abar @ moms
        langs[lang] = {"a_bar": [float(v) for v in abar],
                       "kappa_eff": _kurtosis(mix),
                       "kappa_eff_linear": float(abar @ np.asarray(kappas)),
                       "sigma_eff": math.sqrt(max(mix[2] - mix[1] ** 2, 0.0)),
                       "alpha_star": a_star, "mse_at_alpha_star": err,
                       "second_moment": float(mix[2])}
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
    if fmt == "json":
        print(json.dumps(doc, indent=1, allow_nan=False, default=float))
    else:
        print(table(doc))


def _cmd_clip(args) -> int:
    doc = clip_report(args.file, args.bits, args.objective, args.per_channel, args.group,
                      args.tensor, args.peers, args.quiet)
    _emit(doc, args.format, clip_table)
    return 0


def _cmd_assess(args) -> int:
    doc = assess_report(args.file, args.activations, args.bits, args.tensor, args.quiet)
    _emit(_json_safe(doc), args.format, assess_table)
    return 0


def _json_safe(o):
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _json_safe(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_json_safe(v) for v in o]
    return o


def register(subparsers) -> None:
    """Add ``clip`` and ``assess`` to the ``laaciq`` sub-command parser."""
    doc = __doc__.split("``assess FILE")[0]
    c = subparsers.add_parser("clip", help="exact clipping thresholds of the tensors of a "
                                           ".npy/.npz/.safetensors file, against other methods",
                              description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("file", help=".npy, .npz or .safetensors file")
    c.add_argument("--bits", type=int, default=4, help="bit-width 2..16 (default 4)")
    c.add_argument("--objective", choices=SURROGATE_CHOICES, default="true",
                   help="objective of the selected exact method (surrogate = uniform)")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--per-channel", type=int, metavar="AXIS", dest="per_channel",
                   help="one threshold per index of AXIS")
    g.add_argument("--group", type=int, metavar="G", help="one threshold per block of G values "
                                                          "along the last axis")
    c.add_argument("--tensor", action="append", metavar="PATTERN",
                   help="only tensors whose name matches (shell pattern; repeatable)")
    c.add_argument("--peers", action="store_true",
                   help="also run the grid searches of NVIDIA, Intel, ModelOpt, GPTQ, PyTorch")
    c.add_argument("--format", choices=("table", "json"), default="table")
    c.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    c.set_defaults(func=_cmd_clip)

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
