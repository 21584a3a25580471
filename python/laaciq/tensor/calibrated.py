"""Calibrated clipping of a checkpoint: importance matched to tensors, the weighted objective.

Names (:func:`canonical_name`): a checkpoint names its weights either like GGUF
(``blk.0.attn_q.weight``) or like Hugging Face (``model.layers.0.self_attn.q_proj.weight``);
an importance matrix from ``llama-imatrix`` or ``laaciq calibrate`` uses GGUF names. Both sides
are mapped to the GGUF name with gguf-py's tensor name map (:func:`gguf.get_tensor_name_map`,
tried for the llama-style architectures in :data:`ARCHES`; a leading ``language_model.`` or
similar wrapper prefix is dropped) and matched on it. An imatrix entry that matches no tensor of
the checkpoint is an error; a selected tensor without an entry is clipped with the unweighted
(true-MSE) optimum and listed as such.

Shapes: a linear layer's weight is ``(out, in)`` in numpy order (HF ``nn.Linear`` and GGUF
read by :mod:`laaciq.tensor.checkpoint` alike), and the importance ``c`` has one value per input
column, i.e. along the **last axis**; a 3-D (experts, out, in) weight takes one row of ``c`` per
expert. A size that differs from the last dimension is an error naming the tensor.

Objectives: ``weighted`` minimizes ``Σ_j c_j (w_j - Q_α(w_j))²`` exactly per slice (per tensor,
per channel or per group; the weight of a value is the importance of its input column), through
:func:`weighted_alpha`, the one call of the weighted solver. ``output`` (per output row the
exact minimum of ``(w - q)ᵀ H (w - q)``) goes through :func:`output_alpha`, the one call of that
solver; H comes from ``laaciq calibrate --full`` (:func:`read_hessian`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from laaciq.errors import LaaciqError
from laaciq.tensor import exact as solver

__all__ = ["ARCHES", "canonical_name", "match_importance", "read_hessian", "match_hessian",
           "weighted_alpha", "output_alpha", "output_report", "block_weights",
           "weighted_sq", "codes_times_steps", "resolve", "DAMP", "DAMP_MAX", "check_damp"]

#: gguf-py architectures whose HF → GGUF tensor names are tried, in this order
ARCHES = ("GEMMA3", "GEMMA2", "GEMMA", "LLAMA", "QWEN2", "QWEN3", "PHI3", "GPT2", "BLOOM")
_BLK = re.compile(r"(?:^|\.)(?:layers|h|blocks|blk)\.(\d+)\.")
_maps: dict = {}


def _name_maps(n_blocks: int):
    import gguf

    if n_blocks not in _maps:
        _maps[n_blocks] = [gguf.get_tensor_name_map(getattr(gguf.MODEL_ARCH, a), n_blocks)
                           for a in ARCHES if hasattr(gguf.MODEL_ARCH, a)]
    return _maps[n_blocks]


def canonical_name(name: str, n_blocks: int = 512) -> str:
    """The GGUF name of a weight named either way (module docstring); unknown names unchanged."""
    parts = name.split(".")
    for drop in range(min(3, len(parts) - 1)):
        cand = ".".join(parts[drop:])
        for m in _name_maps(n_blocks):
            got = m.get_name(cand, try_suffixes=(".weight", ".bias"))
            if got is not None:
                return got
        if cand.startswith("blk."):
            return cand
    return name


def _n_blocks(names) -> int:
    idx = [int(m.group(1)) for n in names for m in [_BLK.search(n)] if m]
    return max(idx, default=0) + 1


def _index(ck_names, where_ck):
    """GGUF name → checkpoint name (two tensors mapping to one name is an error)."""
    nb = _n_blocks(ck_names)
    out = {}
    for n in ck_names:
        g = canonical_name(n, nb)
        if g in out:
            raise LaaciqError(f"{where_ck}: tensors {out[g]!r} and {n!r} both map to {g!r}")
        out[g] = n
    return out, nb


def match_importance(entries, selected, im, where_im, where_ck):
    """``(importance per selected tensor name, names without data)``: the importance ``c``
    shaped to broadcast against the tensor (``(in,)``, or ``(experts, 1, in)``)."""
    ck, nb = _index([e.name for e in entries], where_ck)
    shapes = {e.name: tuple(e.shape) for e in entries}
    found = {}
    for name in im.names():
        g = canonical_name(name, nb)
        if g not in ck:
            raise LaaciqError(f"{where_im}: tensor {name!r} matches no tensor of {where_ck} "
                              f"(compared as {g!r}, GGUF and Hugging Face names both)")
        tn = ck[g]
        c = im.importance(name)
        shape = shapes[tn]
        if len(shape) < 2 or c.shape[1] != shape[-1]:
            raise LaaciqError(f"{where_im}: tensor {name!r} has {c.shape[1]} importances but "
                              f"{tn!r} of shape {list(shape)} has {shape[-1] if shape else 0} "
                              f"input columns (its last dimension)")
        if c.shape[0] == 1:
            found[tn] = c[0]
        elif len(shape) == 3 and shape[0] == c.shape[0]:
            found[tn] = c[:, None, :]
        else:
            raise LaaciqError(f"{where_im}: tensor {name!r} has {c.shape[0]} rows of importance "
                              f"(experts) but {tn!r} has shape {list(shape)}")
    sel = [e.name for e in selected]
    return {n: found[n] for n in sel if n in found}, [n for n in sel if n not in found]


# =============================================================================================
# second moments H = E[x xᵀ] (laaciq calibrate --full)


def read_hessian(path):
    """``{layer: H (in, in) float64}`` from a ``calibrate --full`` safetensors file: per layer
    ``NAME`` the sum ``Σ x xᵀ`` and ``NAME.count``; H = sum / count, checked square, symmetric,
    finite, with a non-negative, not all-zero diagonal."""
    from safetensors import safe_open

    p = Path(path)
    if not p.is_file():
        raise LaaciqError(f"{p}: no such second-moment (--hessian) file")
    try:
        with safe_open(str(p), framework="np") as f:
            keys = list(f.keys())
            raw = {k: f.get_tensor(k) for k in keys}
    except Exception as exc:                 # the library raises its own error types
        raise LaaciqError(f"{p}: not a readable safetensors file: {type(exc).__name__}") \
            from None
    out = {}
    for k in sorted(k for k in keys if not k.endswith(".count")):
        S = np.asarray(raw[k], dtype=np.float64)
        cnt = raw.get(k + ".count")
        if cnt is None or np.size(cnt) != 1 or not float(np.asarray(cnt).reshape(-1)[0]) > 0:
            raise LaaciqError(f"{p}: tensor {k!r} has no positive {k}.count")
        if S.ndim != 2 or S.shape[0] != S.shape[1] or S.size == 0:
            raise LaaciqError(f"{p}: tensor {k!r} of shape {list(S.shape)} is not a square "
                              f"matrix")
        if not np.isfinite(S).all():
            raise LaaciqError(f"{p}: tensor {k!r} has a non-finite value")
        d = np.diag(S)
        if (d < 0).any() or not (d > 0).any():
            raise LaaciqError(f"{p}: tensor {k!r}: the diagonal (sums of squares) must be >= 0 "
                              f"and not all zero")
        if not np.allclose(S, S.T, rtol=1e-6, atol=1e-12 * float(d.max())):
            raise LaaciqError(f"{p}: tensor {k!r} is not symmetric")
        out[k] = S / float(np.asarray(cnt).reshape(-1)[0])
    if not out:
        raise LaaciqError(f"{p}: no second-moment matrix in it")
    return out


def match_hessian(entries, selected, H, where_h, where_ck):
    """``(H per selected 2-D tensor name, names without H)``; sizes checked like
    :func:`match_importance`."""
    ck, nb = _index([e.name for e in entries], where_ck)
    shapes = {e.name: tuple(e.shape) for e in entries}
    found = {}
    for name, h in H.items():
        g = canonical_name(name, nb)
        if g not in ck:
            raise LaaciqError(f"{where_h}: tensor {name!r} matches no tensor of {where_ck}")
        shape = shapes[ck[g]]
        if len(shape) != 2 or shape[-1] != h.shape[0]:
            raise LaaciqError(f"{where_h}: tensor {name!r} is {h.shape[0]}x{h.shape[0]} but "
                              f"{ck[g]!r} of shape {list(shape)} has {shape[-1]} input columns")
        found[ck[g]] = h
    sel = [e.name for e in selected]
    return {n: found[n] for n in sel if n in found}, [n for n in sel if n not in found]


# =============================================================================================
# the solver calls


def block_weights(c, shape, index, axis, group) -> np.ndarray:
    """The importance of every value of block ``index`` of a tensor of ``shape``, laid out as
    the block's slices (:func:`solver.as_slices`): rows aligned with the value rows."""
    full = np.broadcast_to(np.asarray(c, dtype=np.float64), shape)
    blk = full if index is None else full[index]
    return solver.as_slices(np.ascontiguousarray(blk), axis, group)[0]


def weighted_alpha(rows: np.ndarray, weights: np.ndarray, bits: int) -> np.ndarray:
    """The exact minimizer α per row of ``Σ_j weights_j (row_j - Q_α(row_j))²``.

    The one place the checkpoint tools call the weighted solver
    (:func:`laaciq.tensor.exact.weighted_exact_alpha`, compiled or numpy by the package's engine
    rule). Rows whose weights are all zero get the unweighted optimum (every α is optimal for
    them)."""
    al = solver.weighted_exact_alpha(rows, weights, bits)[0]
    dead = ~(weights > 0).any(axis=1)
    if dead.any():
        al[dead] = np.asarray(solver.exact_alpha_trusted(
            np.ascontiguousarray(rows[dead]), bits, "true", axis=0, evaluate=False).alpha)
    return al


#: The default damping of H for the output objective (``--damp``): this fraction of H's mean
#: diagonal is added to its diagonal, GPTQ's convention (its ``percdamp = .01``); H from ~1k
#: tokens is singular for wide layers
DAMP = 0.01
#: ``--damp`` must lie in ``[0, DAMP_MAX)``: at 1 the added term equals the mean diagonal and the
#: objective is no longer mostly the layer's output error
DAMP_MAX = 1.0


def check_damp(damp) -> float:
    """``--damp``: a finite fraction in ``[0, DAMP_MAX)`` (one ``LaaciqError`` otherwise)."""
    try:
        d = float(damp)
    except (TypeError, ValueError):
        d = float("nan")
    if not (d >= 0 and d < DAMP_MAX):          # NaN fails both
        raise LaaciqError(f"--damp must be a fraction of H's mean diagonal in [0, {DAMP_MAX:g})"
                          f" (default {DAMP:g}, GPTQ's), got {damp!r}")
    return d


def output_alpha(W: np.ndarray, H: np.ndarray, bits: int, group=None, damp: float = DAMP):
    """``(α, codes)`` minimizing ``(w - q)ᵀ H (w - q)`` exactly per row of ``W`` (out, in), H
    damped by ``damp`` (default :data:`DAMP`): the one call of the layer-output solver.
    ``α = L·step`` per row (per group: one per block of ``group`` columns, rows-major as :func:`solver.as_slices` lays
    them out); ``codes`` (out, in) are the solver's: at a tie it picks the better of the two
    nearest codes, so the weights must be written from these codes (:func:`codes_times_steps`),
    not re-rounded at α."""
    from laaciq.theory import quantizer

    steps, codes, _ = solver.optimal_codes_output(np.asarray(W, dtype=np.float64), H, bits, group,
                                                  damp)
    return quantizer.levels(bits) * np.asarray(steps, dtype=np.float64).reshape(-1), codes


def _quadsum(E, H) -> float:
    """``Σ_r e_rᵀ H e_r`` over the rows of ``E``."""
    return float(np.einsum("ri,ri->", E @ H, E))


def output_report(x, q_output, H, holdout, bits, axis, group) -> dict:
    """The layer-output error of a block of rows ``x`` (out, in) on the calibration second
    moment ``H`` and on the held-out one (both undamped: ``E[(eᵀx)²]`` over each token set),
    for three quantizations of the same slices: the output objective's ``q_output``, the
    weighted optimum with importance ``diag(H)`` (the same calibration's imatrix) and the
    unweighted (true-MSE) optimum. Sums over rows, so blocks add up: ``{"norm": {"calibration":
    Σ wᵀHw, "holdout": …}, "output": {"calibration": Σ eᵀHe, "holdout": …}, "weighted": …,
    "unweighted": …}``; the relative error is a sum divided by its norm."""
    from laaciq.theory import quantizer

    L = quantizer.levels(bits)
    rows, _ = solver.as_slices(x, axis, group)
    cw = block_weights(np.diag(H), x.shape, None, axis, group)
    al = {"weighted": weighted_alpha(rows, cw, bits),
          "unweighted": np.asarray(solver.exact_alpha_trusted(
              x, bits, "true", axis=axis, group=group, evaluate=False).alpha).reshape(-1)}
    qs = {"output": np.asarray(q_output, dtype=np.float64).reshape(x.shape)}
    for name, a in al.items():
        k, st = solver.level_rows(rows.astype(np.float64), a, L)
        qs[name] = (k * st).reshape(x.shape)         # (per row or row-major groups: x's layout)
    Hs = {"calibration": H, "holdout": holdout}
    out = {"norm": {h: _quadsum(x, M) for h, M in Hs.items()}}
    for name, q in qs.items():
        out[name] = {h: _quadsum(x - q, M) for h, M in Hs.items()}
    return out


def codes_times_steps(codes, alpha, bits, group=None) -> np.ndarray:
    """``q = codes · α/L`` (float64, the codes' (out, in) layout) for :func:`output_alpha`."""
    from laaciq.theory import quantizer

    R, n = codes.shape
    steps = (np.asarray(alpha, dtype=np.float64) / quantizer.levels(bits)).reshape(R, -1)
    return codes * np.repeat(steps, n // steps.shape[1], axis=1)


def weighted_sq(rows, weights, alpha, bits, q_rows=None) -> float:
    """``Σ weights · (rows - q)²`` over all rows, ``q`` the real quantizer's ``Q_α(rows)`` (or
    ``q_rows`` when the codes are given)."""
    from laaciq.theory import quantizer

    if q_rows is None:
        k, s = solver.level_rows(rows.astype(np.float64), alpha, quantizer.levels(bits))
        q_rows = k * s
    e = rows - q_rows
    return float(np.einsum("ij,ij,ij->", weights, e, e))


# =============================================================================================
# the command line's options


def resolve(objective, imatrix, hessian, ck, entries, axis, group, damp=None, holdout=None):
    """Check ``--objective`` against ``--imatrix`` / ``--hessian`` / ``--damp`` /
    ``--holdout-hessian`` and load them, before any output is written. Returns ``(objective,
    method or None, job data per tensor name, doc)``: ``method`` is ``exact-weighted`` /
    ``exact-output`` (None without calibration), the job data ``{"importance": c}`` or
    ``{"hessian": H, "damp": d}`` (and ``"holdout": H'`` for the held-out report,
    :func:`output_report`), and ``doc`` what goes into the output json."""
    if objective is None:
        objective = "weighted" if imatrix else "output" if hessian else "true"
    if objective != "output" and (damp is not None or holdout is not None):
        raise LaaciqError("--damp and --holdout-hessian apply to --objective output (with "
                          "--hessian FILE)")
    if objective not in ("weighted", "output"):
        if imatrix or hessian:
            raise LaaciqError(f"--imatrix/--hessian need --objective weighted or output, not "
                              f"{objective!r}")
        return objective, None, {}, {}
    if objective == "weighted" and not imatrix:
        raise LaaciqError("--objective weighted needs --imatrix FILE (an importance matrix "
                          "from laaciq calibrate or llama-imatrix)")
    if objective == "output" and not hessian:
        raise LaaciqError("--objective output needs --hessian FILE (from laaciq calibrate "
                          "--full)")
    if objective == "output" and group is None and axis not in (0, -2):
        raise LaaciqError("--objective output works per output row: use --per-channel 0 or "
                          "--group G")
    from laaciq.tensor.imatrix import read_imatrix

    doc, data = {"objective": objective}, {}
    if imatrix:
        im = read_imatrix(imatrix)
        c, missing = match_importance(ck.entries, entries, im, imatrix, ck.path)
        data.update({n: {"importance": v} for n, v in c.items()})
        doc.update({"imatrix": str(imatrix), "imatrix_datasets": im.datasets,
                    "imatrix_chunks": im.chunk_count})
    if objective == "output":
        d = DAMP if damp is None else check_damp(damp)
        H, missing = match_hessian(ck.entries, entries, read_hessian(hessian), hessian, ck.path)
        for n, h in H.items():
            data.setdefault(n, {}).update(hessian=h, damp=d)
        doc.update(hessian=str(hessian), damp=d)
        if holdout is not None:
            Ho, _ = match_hessian(ck.entries, entries, read_hessian(holdout), holdout, ck.path)
            lost = sorted(set(H) - set(Ho))
            if lost:
                raise LaaciqError(f"{holdout}: no held-out second moments for {lost[0]!r} "
                                  f"(and {len(lost) - 1} more tensors of --hessian)")
            for n in H:
                data[n]["holdout"] = Ho[n]
            doc["holdout_hessian"] = str(holdout)
    doc["calibrated"] = sorted(data)
    doc["unweighted_fallback"] = missing
    return objective, f"exact-{objective}", data, doc
