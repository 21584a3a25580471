"""Input checks, slices and the real quantizer's squared error (``PROOF.md`` §1, *Objective*).

A *slice* gets one threshold: the whole tensor, one index of an axis (per channel) or a block of
``g`` consecutive values along an axis (groups). Every error here is evaluated with exactly the
operations of :func:`laaciq.theory.quantizer.quantize`, so a reported MSE is the quantizer's.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from laaciq.argcheck import check_bits, check_choice
from laaciq.tensor.exact import params
from laaciq.theory import quantizer

__all__ = ["check_input", "as_slices", "level_rows", "slice_mse", "slice_mse_trusted"]



def check_input(x) -> np.ndarray:
    """The boundary check of the public functions (real, non-empty, finite; float32/float64
    out). Every inner function trusts its caller on these points."""
    if isinstance(x, (str, bytes)):
        raise TypeError("x must be an array of real numbers, got a string")
    arr = np.asarray(x)
    if arr.dtype.name == "bfloat16" or arr.dtype.name.startswith("float8"):
        arr = arr.astype(np.float32)                 # ml_dtypes floats (numpy kind "V")
    if arr.dtype == object or arr.dtype.kind not in "fiub":
        raise TypeError(f"x must be an array of real numbers, got dtype {arr.dtype}")
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    elif arr.dtype.itemsize < 4:
        arr = arr.astype(np.float32)
    elif arr.dtype.itemsize > 8:
        arr = arr.astype(np.float64)
    if arr.size == 0:
        raise ValueError("x is empty: need at least one value")
    for lo in range(0, arr.size, 1 << 22):
        blk = arr.reshape(-1)[lo:lo + (1 << 22)]
        if not np.isfinite(blk).all():
            bad = blk[~np.isfinite(blk)][0]
            raise ValueError(f"x must be finite, found {bad!r}: drop or replace NaN/inf values")
    return arr


def _check_axis(axis, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    if ndim == 0:
        raise ValueError("axis needs an array with at least one dimension, got a scalar")
    if not -ndim <= int(axis) < ndim:
        raise ValueError(f"axis {axis} is out of range for an array with {ndim} dimensions")
    return int(axis) % ndim


def as_slices(x, axis=None, group=None) -> tuple[np.ndarray, tuple]:
    """The slices of ``x`` that get one threshold each, as rows ``(R, m)``, and the shape of the
    threshold array: per tensor ``(1, n)`` and ``()``; ``axis=a``: one row per index of axis
    ``a`` and ``(x.shape[a],)``; ``group=g``: blocks of ``g`` consecutive values along ``axis``
    (default the last), shape ``x.shape`` with that axis moved last and divided by ``g``."""
    arr = np.asarray(x)
    if group is None:
        if axis is None:
            return arr.reshape(1, -1), ()
        ax = _check_axis(axis, arr.ndim)
        moved = np.moveaxis(arr, ax, 0)
        if moved.shape[0] == 0 or moved.size == 0:
            raise ValueError("x is empty along the channel axis")
        return moved.reshape(moved.shape[0], -1), (moved.shape[0],)
    if isinstance(group, bool) or not isinstance(group, numbers.Integral) or group < 1:
        raise ValueError(f"group must be a positive integer, got {group!r}")
    ax = _check_axis(-1 if axis is None else axis, arr.ndim)
    d = arr.shape[ax]
    if d % int(group):
        raise ValueError(f"group {group} does not divide the length {d} of axis {ax}: "
                         f"choose a divisor of {d}")
    moved = np.moveaxis(arr, ax, -1)
    shape = moved.shape[:-1] + (d // int(group),)
    return moved.reshape(-1, int(group)), shape


def _sq_err(x, alpha, L: int, rounding: str) -> np.ndarray:
    """``Σ (x - Q(x))²`` along the last axis of float64 rows ``x`` (R, m) for thresholds
    ``alpha`` (R,), with exactly the operations of :func:`quantizer.quantize`."""
    k, s = level_rows(x, alpha, L, rounding)
    e = x - k * s
    return np.einsum("ij,ij->i", e, e)


def level_rows(x, alpha, L: int, rounding: str = "half_up"):
    """The levels ``k`` (float64, ``|k| ≤ L``) and steps ``s = α/L`` (R, 1) of float64 rows ``x``
    (R, m) at thresholds ``alpha`` (R,): :func:`quantizer.quantize` is ``k * s``. No checks
    (finite rows, positive thresholds: the caller's)."""
    a = np.asarray(alpha, dtype=np.float64)[:, None]
    s = a / L
    k = quantizer._round(np.clip(x, -a, a) / s, rounding)
    np.clip(k, -L, L, out=k)
    return k, s


def _sq_err_stream(src, alphas, L: int, rounding: str) -> np.ndarray:
    """``Σ w Σ (x - Q(x))²`` over weighted 1-D sources ``[(x1d, w), ...]`` for several
    thresholds, in chunks (a bare array is one source of weight 1)."""
    if isinstance(src, np.ndarray):
        src = [(src, 1.0)]
    alphas = np.asarray(alphas, dtype=np.float64)
    parts = []
    for x1, wt in src:
        for lo in range(0, x1.size, params.PARAMS.chunk):
            xc = x1[lo:lo + params.PARAMS.chunk].astype(np.float64)
            xr = np.broadcast_to(xc, (1, xc.size))
            parts.append([wt * _sq_err(xr, np.array([al]), L, rounding)[0] for al in alphas])
    return np.array([math.fsum(p[i] for p in parts) for i in range(alphas.size)])


def slice_mse(x, alpha, bits: int, axis=None, group=None, rounding: str = "half_up"):
    """The true MSE ``mean((x - Q_α(x))²)`` of every slice (see :func:`as_slices`) at the
    thresholds ``alpha`` (broadcast to the threshold shape), with :func:`quantizer.quantize`'s
    arithmetic. Returns an array of the threshold shape (a float per tensor)."""
    bits = check_bits(bits)
    check_choice(rounding, "rounding", quantizer.ROUNDINGS)
    arr = check_input(x)
    rows, shape = as_slices(arr, axis, group)
    al = np.broadcast_to(np.asarray(alpha, dtype=np.float64), shape).reshape(-1)
    if not np.all(np.isfinite(al)) or np.any(al <= 0):
        raise ValueError("alpha must be finite and > 0")
    return slice_mse_trusted(rows, shape, al, bits, rounding)


def slice_mse_trusted(rows: np.ndarray, shape: tuple, al: np.ndarray, bits: int,
                      rounding: str = "half_up"):
    """:func:`slice_mse` on the rows of :func:`as_slices` without checks: finite rows, ``al``
    one finite positive threshold per row (the caller checked them)."""
    L = quantizer.levels(bits)
    R, m = rows.shape
    if R == 1 and m > params.PARAMS.big:
        out = _sq_err_stream(rows[0], al, L, rounding) / m
        return float(out[0])
    out = np.empty(R)
    step = max(1, params.PARAMS.row_block // m)
    for i in range(0, R, step):
        out[i:i + step] = _sq_err(rows[i:i + step].astype(np.float64), al[i:i + step], L,
                                  rounding) / m
    return out.reshape(shape) if shape else float(out[0])


def _bits_of(L: int) -> int:
    return int(L + 1).bit_length()
