"""Argument checks shared by every public function.

Each check raises one ``ValueError`` or ``TypeError`` whose message names the argument, the
value, the violated condition and, where there is one, the fix.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

#: Bit-widths the quantizer supports.
MIN_BITS, MAX_BITS = 2, 16

#: Tolerance for "weights sum to 1" in float arithmetic (exact for Fractions).
WEIGHT_SUM_TOL = 1e-9


def check_bits(bits) -> int:
    """An integer bit-width in 2..16 (bool and non-integers are rejected)."""
    if isinstance(bits, bool) or not isinstance(bits, numbers.Integral):
        raise TypeError(f"bits must be an integer in {MIN_BITS}..{MAX_BITS}, "
                        f"got {bits!r} of type {type(bits).__name__}")
    bits = int(bits)
    if not MIN_BITS <= bits <= MAX_BITS:
        raise ValueError(f"bits must be in {MIN_BITS}..{MAX_BITS}, got {bits}: "
                         f"a {bits}-bit symmetric quantizer has "
                         f"{'no positive level' if bits < 2 else 'more levels than supported'}")
    return bits


def check_alpha(alpha, name: str = "alpha"):
    """A finite clipping threshold > 0 (float, int or Fraction; returned unchanged)."""
    if isinstance(alpha, bool) or not isinstance(alpha, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number > 0, got {alpha!r}")
    if isinstance(alpha, Fraction):
        if alpha <= 0:
            raise ValueError(f"{name} must be > 0, got {alpha}")
        return alpha
    a = float(alpha)
    if not math.isfinite(a):
        raise ValueError(f"{name} must be finite and > 0, got {alpha!r}")
    if a <= 0:
        raise ValueError(f"{name} must be > 0, got {alpha!r}: a clipping threshold is positive")
    return a


def _finite(x, name: str, positive: bool) -> float:
    """A finite real number (and > 0 if ``positive``) as a float."""
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a {'real number > 0' if positive else 'finite real number'}"
                        f", got {x!r}")
    v = float(x)
    if not math.isfinite(v) or (positive and v <= 0):
        raise ValueError(f"{name} must be finite{' and > 0' if positive else ''}, got {x!r}")
    return v


def check_positive(x, name: str) -> float:
    """A finite real number > 0."""
    return _finite(x, name, positive=True)


def check_finite_real(x, name: str) -> float:
    """A finite real number."""
    return _finite(x, name, positive=False)


def check_array(x, name: str = "x", allow_empty: bool = False) -> np.ndarray:
    """A float64 array of finite values (non-empty unless ``allow_empty``)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of real numbers, got {type(x).__name__}") from None
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty: need at least one value")
    if arr.size and not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].ravel()[0]
        raise ValueError(f"{name} must be finite, found {bad!r}: drop or replace NaN/inf values first")
    return arr


def check_weights(w, n: int | None = None, name: str = "weights") -> np.ndarray:
    """Non-negative finite weights summing to 1 within ``WEIGHT_SUM_TOL``."""
    arr = check_array(w, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has {arr.size} entries but there are {n} values: lengths must match")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative, found {arr[arr < 0][0]!r}")
    s = float(arr.sum())
    if abs(s - 1.0) > WEIGHT_SUM_TOL:
        raise ValueError(f"{name} must sum to 1 (within {WEIGHT_SUM_TOL:g}), got {s!r}: "
                         f"normalize them first")
    return arr


def check_choice(value, name: str, choices) -> str:
    """One of a fixed set of names."""
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}: choose one of {', '.join(map(repr, choices))}")
    return value
