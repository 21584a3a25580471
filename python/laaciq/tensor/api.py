"""The Python API: :func:`optimal_clip`, :func:`fake_quantize`, :func:`quantize_codes`,
:func:`dequantize` on numpy arrays and, when torch is installed, torch tensors (the result comes
back with the input's dtype and device; the work is done in numpy on the CPU).

Granularity everywhere (see :func:`exact.as_slices`): ``axis=None, group=None`` one threshold
per tensor; ``axis=a`` one per index of axis ``a`` (per channel); ``group=g`` one per block of
``g`` consecutive values along ``axis`` (default the last one). Thresholds have the shape
:func:`exact.as_slices` gives.

Precision: ``Q_α(w)`` is computed in float64 from the input's values and rounded *once* to the
input's dtype. For float32 that rounding is below the grid's resolution, but for bfloat16/float16
``k·α/L`` is generally not representable, so a fake-quantized bf16 tensor holds the nearest bf16
of each grid point, not the grid point itself: the codes and scales of :func:`quantize_codes`
are the exact representation (dequantized in float64 and rounded the same way, they give the
fake-quantized tensor bit for bit).
"""

from __future__ import annotations

import numpy as np

from laaciq.argcheck import check_bits, check_choice
from laaciq.theory import quantizer
from laaciq.tensor import exact

__all__ = ["round_once", "optimal_clip", "optimal_codes_output", "fake_quantize",
           "quantize_codes", "dequantize", "from_slices", "fake_quantize_trusted",
           "codes_trusted"]

_BLOCK = 1 << 18


def round_once(x: np.ndarray, dtype) -> np.ndarray:
    """float64 ``x`` rounded once (to nearest, ties to even) to ``dtype``. numpy rounds float64
    to float32/float16 directly; ``ml_dtypes`` goes to bfloat16/float8 through float32, which
    would round twice, so the float32 step rounds to odd (truncate, then set the last bit when
    inexact): float32 keeps more than two extra bits, so the second rounding is then exact."""
    dt = np.dtype(dtype)
    if dt.kind != "V" and dt.name in ("float64", "float32", "float16"):
        return x.astype(dt)
    f = x.astype(np.float32)
    back = f.astype(np.float64)
    over = np.abs(back) > np.abs(x)
    f[over] = np.nextafter(f[over], np.float32(0))
    inexact = f.astype(np.float64) != x
    bits = f.view(np.uint32)
    bits[inexact] |= np.uint32(1)
    return f.astype(dt)


def _from_torch(w):
    """``(numpy array, restore)``: ``restore(np_array)`` gives a torch tensor on ``w``'s
    device and dtype (identity for numpy input)."""
    mod = type(w).__module__
    if mod.startswith("torch"):
        import torch

        t = w.detach()
        dt, dev = t.dtype, t.device
        if dt == torch.bfloat16:
            t = t.float()
        arr = t.cpu().numpy()

        def restore(a, keep_dtype=True):
            out = torch.from_numpy(np.ascontiguousarray(a))
            return out.to(device=dev, dtype=dt if keep_dtype else out.dtype)
        return arr, restore
    return w, lambda a, keep_dtype=True: a


def from_slices(rows: np.ndarray, shape: tuple, axis=None, group=None) -> np.ndarray:
    """Inverse of :func:`exact.as_slices`: the rows ``(R, m)`` back to the tensor ``shape``."""
    nd = len(shape)
    if group is None and axis is None:
        return rows.reshape(shape)
    ax = (-1 if axis is None else axis) % nd if group is not None else axis % nd
    if group is None:
        moved = (shape[ax],) + tuple(d for i, d in enumerate(shape) if i != ax)
        return np.moveaxis(rows.reshape(moved), 0, ax)
    moved = tuple(d for i, d in enumerate(shape) if i != ax) + (shape[ax],)
    return np.moveaxis(rows.reshape(moved), -1, ax)


def optimal_clip(w, bits: int, axis=None, group=None, objective: str = "true", weights=None,
                 H=None, damp: float = 0.0):
    """The exact minimizer ``α`` of ``objective`` per slice of ``w``: a float per tensor, else an
    array of the threshold shape (torch in, torch float64 out on the same device).

    ``objective``: "true" (the real round-to-nearest MSE), a surrogate of
    :data:`exact.SURROGATES`, or "output" (below). ``weights`` (with "true"): the weighted error
    ``Σ c_j (w_j - q_j)²`` per slice, ``c`` broadcast to ``w``'s shape (one importance per
    input column: shape ``(in_features,)`` for an ``(out, in)`` weight) and sliced as ``w``.
    "output": per output row of a 2-D ``(out, in)`` weight, the exact minimum of
    ``(w - q)ᵀ H (w - q)`` over the step and the nearest codes (free at ties), ``H`` the
    ``(in, in)`` second moment of the layer's inputs damped by ``damp·mean(diag H)``; ``axis=0``
    (one α per row) or ``axis=1, group=g`` (blocks of ``g`` input columns, each with its
    diagonal block of ``H``). The codes of that optimum: :func:`optimal_codes_output`.
    """
    arr, restore = _from_torch(w)
    if objective == "output":
        steps, _, _ = _output(arr, bits, axis, group, H, damp)
        return restore(steps * quantizer.levels(bits), keep_dtype=False)
    if H is not None:
        raise ValueError('H is used by objective="output" only')
    if weights is not None:
        if objective != "true":
            raise ValueError(f'weights need objective="true" (the weighted error), got '
                             f'{objective!r}')
        return _weighted_clip(arr, bits, axis, group, weights, restore)
    r = exact.exact_alpha(arr, bits, objective, axis=axis, group=group)
    if np.ndim(r.alpha) == 0:
        return float(r.alpha)
    return restore(np.asarray(r.alpha), keep_dtype=False)


def _weighted_clip(arr, bits, axis, group, weights, restore):
    """:func:`optimal_clip` with per-element importances (exact:
    :func:`exact.weighted_exact_alpha`)."""
    x = exact.check_input(arr)
    c, _ = _from_torch(weights)
    c = np.asarray(c, dtype=np.float64)
    try:
        c = np.broadcast_to(c, x.shape)
    except ValueError:
        raise ValueError(f"weights of shape {c.shape} do not broadcast to w's shape {x.shape}: "
                         f"give one per input column or one per value") from None
    rows, tshape = exact.as_slices(x, axis, group)
    crow, _ = exact.as_slices(c, axis, group)
    alpha, _ = exact.weighted_exact_alpha(rows, crow, bits)
    if not tshape:
        return float(alpha[0])
    return restore(alpha.reshape(tshape), keep_dtype=False)


def _output(arr, bits, axis, group, H, damp):
    """Steps, codes and errors of the "output" objective, rows along ``w``'s first axis."""
    x = exact.check_input(arr)
    if x.ndim != 2:
        raise ValueError(f'objective="output" needs a 2-D (out, in) weight, got shape {x.shape}')
    if H is None:
        raise ValueError('objective="output" needs H, the (in, in) second moment of the inputs')
    ok = (group is None and axis is not None and axis % 2 == 0) or \
        (group is not None and (axis is None or axis % 2 == 1))
    if not ok:
        raise ValueError('objective="output": use axis=0 (one α per output row) or axis=1 with '
                         'group=g (blocks of g input columns)')
    Hm, _ = _from_torch(H)
    return exact.optimal_codes_output(x, Hm, bits, group=group, damp=damp)


def optimal_codes_output(w, bits: int, H, group=None, damp: float = 0.0):
    """The optimum of the "output" objective with its codes (so a writer can store them):
    ``(steps, codes, error)`` for a 2-D ``(out, in)`` weight — steps ``(out,)`` (or
    ``(out, in/g)`` with ``group=g``), integer codes of ``w``'s shape (``w ≈ steps·codes``; at a
    tie the code is the better of the two nearest), and ``(w - q)ᵀ H (w - q)`` per row (and
    group). numpy arrays."""
    arr, _ = _from_torch(w)
    return _output(arr, bits, 0 if group is None else 1, group, H, damp)


def _prepare(w, alpha, bits, axis, group):
    bits = check_bits(bits)
    arr = exact.check_input(w)
    _, tshape = exact.as_slices(arr, axis, group)
    a = np.asarray(alpha, dtype=np.float64)
    try:
        a = np.broadcast_to(a, tshape)
    except ValueError:
        raise ValueError(f"alpha of shape {a.shape} does not fit the threshold shape {tshape} "
                         f"of this granularity (axis={axis}, group={group})") from None
    if not (np.all(np.isfinite(a)) and np.all(a > 0)):
        raise ValueError("alpha must be finite and > 0 everywhere")
    return arr, a.reshape(-1), bits


def fake_quantize_trusted(arr, alpha_flat, bits, axis=None, group=None,
                          rounding: str = "half_up") -> np.ndarray:
    """``Q_α(arr)`` in float64 without checks (finite ``arr``, positive ``alpha_flat`` with one
    threshold per slice: the caller's), computed in blocks of rows."""
    rows, _ = exact.as_slices(arr, axis, group)
    L = quantizer.levels(bits)
    out = np.empty(rows.shape, dtype=np.float64)
    step = max(1, _BLOCK // rows.shape[1])
    for i in range(0, rows.shape[0], step):
        k, s = exact.level_rows(rows[i:i + step].astype(np.float64), alpha_flat[i:i + step], L,
                                 rounding)
        out[i:i + step] = k * s
    return from_slices(out, arr.shape, axis, group)


def codes_trusted(arr, alpha_flat, bits, axis=None, group=None, rounding: str = "half_up"):
    """Integer levels (int8 up to 8 bits, else int16) of ``arr``, without checks."""
    rows, _ = exact.as_slices(arr, axis, group)
    L = quantizer.levels(bits)
    out = np.empty(rows.shape, dtype=np.int8 if bits <= 8 else np.int16)
    step = max(1, _BLOCK // rows.shape[1])
    for i in range(0, rows.shape[0], step):
        k, _ = exact.level_rows(rows[i:i + step].astype(np.float64), alpha_flat[i:i + step], L,
                                 rounding)
        out[i:i + step] = k
    return from_slices(out, arr.shape, axis, group)


def fake_quantize(w, alpha, bits: int, axis=None, group=None, rounding: str = "half_up"):
    """``Q_α(w)`` with one threshold per slice (``alpha`` broadcast to the threshold shape),
    computed in float64 and rounded once to ``w``'s dtype (module docstring); numpy or torch."""
    check_choice(rounding, "rounding", quantizer.ROUNDINGS)
    arr, restore = _from_torch(w)
    dtype = np.asarray(arr).dtype
    a, al, bits = _prepare(arr, alpha, bits, axis, group)
    q = fake_quantize_trusted(a, al, bits, axis, group, rounding)
    if arr is not w:                     # torch: one rounding float64 -> w.dtype, by torch
        return restore(q)
    return round_once(q, dtype) if dtype.kind != "i" else q


def quantize_codes(w, alpha, bits: int, axis=None, group=None, rounding: str = "half_up"):
    """``(codes, scale)``: integer levels ``k`` (int8 up to 8 bits, else int16) of ``w``'s shape
    and the float64 steps ``α/L`` of the threshold shape, so that :func:`dequantize` gives
    ``Q_α(w)`` exactly (numpy arrays)."""
    check_choice(rounding, "rounding", quantizer.ROUNDINGS)
    arr, _ = _from_torch(w)
    a, al, bits = _prepare(arr, alpha, bits, axis, group)
    _, tshape = exact.as_slices(a, axis, group)
    return codes_trusted(a, al, bits, axis, group, rounding), \
        (al / quantizer.levels(bits)).reshape(tshape)


def dequantize(codes, scale, axis=None, group=None, dtype=None) -> np.ndarray:
    """``codes · scale`` in float64 (one scale per slice, the layout of :func:`quantize_codes`),
    rounded once to ``dtype`` when given."""
    c = np.asarray(codes)
    rows, tshape = exact.as_slices(c, axis, group)
    s = np.broadcast_to(np.asarray(scale, dtype=np.float64), tshape).reshape(-1, 1)
    out = from_slices(rows.astype(np.float64) * s, c.shape, axis, group)
    return out if dtype is None else round_once(out, dtype)
