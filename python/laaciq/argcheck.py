"""Argument checks shared by every public function.

Each check raises one ``ValueError`` or ``TypeError`` whose message names the argument, the
value, the violated condition and, where there is one, the fix.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
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


def _is_real(x) -> bool:
    return not isinstance(x, bool) and isinstance(x, (numbers.Real, np.floating, np.integer))


def check_instance(x, kind, name: str, what: str):
    """``x`` if it is an instance of ``kind`` (a class or tuple of classes); ``what`` describes
    the expected kind in the message."""
    if not isinstance(x, kind):
        raise TypeError(f"{name} must be {what}, got {type(x).__name__}")
    return x


def check_sequence(x, name: str, what: str, item=None, allow_empty: bool = False) -> tuple:
    """A sequence (not a string) as a tuple, each element passed through ``item(value, name)``
    when given; non-empty unless ``allow_empty``."""
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"{name} must be a sequence of {what}, got {type(x).__name__}")
    if not x and not allow_empty:
        raise ValueError(f"{name} is empty: need at least one of {what}")
    return tuple(x) if item is None else tuple(item(v, f"{name}[{i}]") for i, v in enumerate(x))


def check_mapping(m, name: str) -> Mapping:
    """A non-empty mapping keyed by non-empty strings (language names)."""
    if not isinstance(m, Mapping):
        raise TypeError(f"{name} must be a mapping (dict) keyed by language, got "
                        f"{type(m).__name__}")
    if not m:
        raise ValueError(f"{name} is empty: need at least one language")
    for k in m:
        if not isinstance(k, str) or not k:
            raise TypeError(f"{name} keys must be non-empty language names (str), got {k!r}")
    return m


def check_real_values(m, name: str, allow_inf: bool = False) -> dict:
    """A :func:`check_mapping` whose values are real numbers (finite unless ``allow_inf``; never
    NaN), as ``{key: float}``."""
    out = {}
    for k, v in check_mapping(m, name).items():
        if not _is_real(v):
            raise TypeError(f"{name}[{k!r}] must be a real number, got {v!r}")
        f = float(v)
        if math.isnan(f) or (math.isinf(f) and not allow_inf):
            raise ValueError(f"{name}[{k!r}] must be finite, got {v!r}")
        out[k] = f
    return out


def check_key_weights(w, keys, name: str = "pi") -> dict:
    """One non-negative weight per key of ``keys``, summing to 1 (``None``: uniform)."""
    keys = list(keys)
    if w is None:
        return {k: 1.0 / len(keys) for k in keys}
    vals = check_real_values(w, name)
    if set(vals) != set(keys):
        raise ValueError(f"{name} must give one weight per language {sorted(keys)}, got keys "
                         f"{sorted(vals)}")
    check_weights([vals[k] for k in keys], name=name)
    return {k: vals[k] for k in keys}


def check_excess_kurtosis(k, name: str) -> float:
    """A real number ≥ −2 (an excess kurtosis; ``inf`` allowed, NaN not)."""
    if not _is_real(k):
        raise TypeError(f"{name} must be a real number (an excess kurtosis), got {k!r}")
    f = float(k)
    if math.isnan(f):
        raise ValueError(f"{name} must not be NaN")
    if f < -2:
        raise ValueError(f"{name} must be >= -2 (excess kurtosis), got {k!r}")
    return f


def check_kurtosis_array(x, name: str = "layer_kappas") -> np.ndarray:
    """A non-empty 1-D array of excess kurtoses (≥ −2, ``inf`` allowed, NaN not)."""
    if isinstance(x, (str, bytes)) or np.ndim(x) != 1:
        raise TypeError(f"{name} must be a one-dimensional sequence of excess kurtoses")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must contain real numbers") from None
    if arr.size == 0:
        raise ValueError(f"{name} is empty: need one kurtosis per layer")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} must not contain NaN")
    if np.any(arr < -2):
        raise ValueError(f"{name} must be >= -2 (excess kurtosis), found {arr[arr < -2][0]!r}")
    return arr


def check_indices(ids, n: int, name: str) -> tuple[int, ...]:
    """A collection of integer indices in ``0..n-1``, sorted without repeats."""
    if isinstance(ids, (str, bytes)) or not isinstance(ids, (Sequence, set, frozenset,
                                                             np.ndarray)):
        raise TypeError(f"{name} must be a collection of layer indices, got {type(ids).__name__}")
    out = set()
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, (numbers.Integral, np.integer)):
            raise TypeError(f"{name} must contain integer layer indices, found {i!r}")
        if not 0 <= int(i) < n:
            raise ValueError(f"{name} index {i} is out of range 0..{n - 1}")
        out.add(int(i))
    return tuple(sorted(out))


def check_count(n, name: str, minimum: int = 1) -> int:
    """An integer ≥ ``minimum`` (bool rejected)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)
