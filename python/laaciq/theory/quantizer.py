"""The symmetric uniform quantizer of seed 000 (Lean twin: ``LaAciq/Quantizer.lean``).

For a bit-width ``B`` (2..16) and a clipping threshold ``alpha > 0``::

    levels(B)      = 2**(B-1) - 1                       positive levels
    step(alpha, B) = alpha / levels(B)                  the grid spacing Δ
    clip(x, alpha) = max(-alpha, min(alpha, x))
    quantize(x)    = step * round(clip(x, alpha) / step)

which is seed 000's ``Q_α(x) = α · round(clip(x)/α · (2^{B-1}-1)) / (2^{B-1}-1)``. The grid
``{k · step : |k| ≤ levels}`` has ``2**B - 1`` points (not ``2**B``), and ``step`` equals
``2α/(2^B - 2)`` (not seed 000's ``2α/(2^B - 1)``).

Two arithmetics:

* float (numpy, vectorized) — :func:`clip`, :func:`quantize`;
* exact (``fractions.Fraction``) — :func:`clip_exact`, :func:`quantize_exact`, used to check
  the exact theorems (oddness, homogeneity, idempotence), which floats break: ``floor(y + 0.5)``
  sends ``y = 0.49999999999999994`` to 1 but ``-y`` to 0.

Lean ↔ Python: ``clip α x`` is ``clip(x, alpha)`` (arrays first, numpy style);
``quantize α B x`` is ``quantize(x, alpha, bits)``; ``roundS`` is ``round_half_up``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from laaciq.argcheck import check_alpha, check_array, check_bits, check_choice

#: Rounding rules: ``half_up`` is Mathlib's ``round`` (⌊y + ½⌋, the Lean ``roundS``);
#: ``half_even`` is numpy's ``np.round``; ``half_away`` is C's ``round``.
ROUNDINGS = ("half_up", "half_even", "half_away")


def levels(bits: int) -> int:
    """Number of positive levels, ``2**(bits-1) - 1``."""
    bits = check_bits(bits)
    return 2 ** (bits - 1) - 1


def grid_size(bits: int) -> int:
    """Number of grid points ``2*levels + 1 = 2**bits - 1``."""
    return 2 * levels(bits) + 1


def step(alpha, bits: int):
    """Grid spacing ``Δ = alpha / levels(bits)`` (exact when ``alpha`` is a Fraction)."""
    alpha = check_alpha(alpha)
    L = levels(bits)
    return alpha / L if not isinstance(alpha, Fraction) else alpha / Fraction(L)


def clip(x, alpha):
    """``clip(x, alpha) = max(-alpha, min(alpha, x))``, elementwise (float64)."""
    alpha = float(check_alpha(alpha))
    arr = check_array(x, "x", allow_empty=True)
    return np.clip(arr, -alpha, alpha)


def round_half_up(y: np.ndarray) -> np.ndarray:
    """⌊y + ½⌋ computed without the float error of ``floor(y + 0.5)``.

    ``r = floor(y)``; round up iff ``y - r >= 0.5`` (``y - r`` is exact for floats by Sterbenz).
    """
    r = np.floor(y)
    return r + (y - r >= 0.5)


def _round(y: np.ndarray, rounding: str) -> np.ndarray:
    if rounding == "half_up":
        return round_half_up(y)
    if rounding == "half_even":
        return np.round(y)
    a = np.abs(y)
    return np.copysign(round_half_up(a), y)


def _alpha_like(alpha, arr: np.ndarray):
    """A scalar threshold (checked by :func:`check_alpha`), or an array of thresholds aligned
    with the *leading* axes of ``arr`` ("per row"): ``alpha.shape == arr.shape[:alpha.ndim]``,
    returned reshaped to broadcast against ``arr``. Every entry must be finite and > 0."""
    if np.ndim(alpha) == 0 and not isinstance(alpha, np.ndarray):
        return float(check_alpha(alpha))
    a = np.asarray(alpha, dtype=np.float64)
    if a.ndim == 0:
        return float(check_alpha(float(a)))
    if a.shape != arr.shape[:a.ndim]:
        raise ValueError(f"alpha of shape {a.shape} does not match the leading axes of x "
                         f"{arr.shape}: one threshold per row needs alpha.shape == "
                         f"x.shape[:alpha.ndim]")
    if not (np.all(np.isfinite(a)) and np.all(a > 0)):
        raise ValueError("alpha must be finite and > 0 everywhere: a clipping threshold is "
                         "positive")
    return a.reshape(a.shape + (1,) * (arr.ndim - a.ndim))


def quantize(x, alpha, bits: int, rounding: str = "half_up") -> np.ndarray:
    """``Q(x) = step · round(clip(x, alpha) / step)``, elementwise (float64).

    Formula (seed 000): ``α · round(clip(x, -α, α)/α · (2^{B-1}-1)) / (2^{B-1}-1)``.
    ``alpha``: one threshold, or an array of thresholds per row (``alpha.shape ==
    x.shape[:alpha.ndim]``, e.g. shape ``(C,)`` for ``x`` of shape ``(C, m)``).
    """
    check_choice(rounding, "rounding", ROUNDINGS)
    bits = check_bits(bits)
    arr = check_array(x, "x", allow_empty=True)
    alpha = _alpha_like(alpha, arr)
    L = levels(bits)
    s = alpha / L
    k = _round(np.clip(arr, -alpha, alpha) / s, rounding)
    k = np.clip(k, -L, L)  # guards the float edge |clip/step| = L(1+ε); no-op in exact math
    return k * s


def quantize_index(x, alpha, bits: int, rounding: str = "half_up") -> np.ndarray:
    """The integer level ``k`` with ``quantize(x) = k * step`` (int64); ``alpha`` as in
    :func:`quantize`."""
    check_choice(rounding, "rounding", ROUNDINGS)
    L = levels(bits)
    arr = check_array(x, "x", allow_empty=True)
    alpha = _alpha_like(alpha, arr)
    k = _round(np.clip(arr, -alpha, alpha) / (alpha / L), rounding)
    return np.clip(k, -L, L).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Exact (Fraction) reference


def _frac(v, name: str) -> Fraction:
    if isinstance(v, bool):
        raise TypeError(f"{name} must be a rational number, got {v!r}")
    if isinstance(v, Fraction):
        return v
    if isinstance(v, int):
        return Fraction(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
        return Fraction(v)
    raise TypeError(f"{name} must be an int, float or Fraction, got {type(v).__name__}")


def clip_exact(x, alpha) -> Fraction:
    """Exact ``max(-alpha, min(alpha, x))`` for one rational ``x`` (any sign of ``alpha``,
    as in Lean's ``clip``)."""
    x, a = _frac(x, "x"), _frac(alpha, "alpha")
    return max(-a, min(a, x))


def floor_exact(y: Fraction) -> int:
    """⌊y⌋ for a Fraction (Python's ``//`` floors)."""
    return y.numerator // y.denominator


def round_exact(y: Fraction, rounding: str = "half_up") -> int:
    """Exact rounding of a Fraction under one of :data:`ROUNDINGS`."""
    check_choice(rounding, "rounding", ROUNDINGS)
    if rounding == "half_up":
        return floor_exact(y + Fraction(1, 2))
    if rounding == "half_even":
        return round(y)  # Fraction.__round__ rounds half to even
    r = floor_exact(abs(y) + Fraction(1, 2))
    return r if y >= 0 else -r


def step_exact(alpha, bits: int) -> Fraction:
    """Exact ``alpha / levels(bits)``."""
    a = _frac(alpha, "alpha")
    if a <= 0:
        raise ValueError(f"alpha must be > 0, got {a}")
    return a / levels(bits)


def quantize_exact(x, alpha, bits: int, rounding: str = "half_up") -> Fraction:
    """Exact ``step · round(clip(x, alpha) / step)`` for one rational ``x``."""
    s = step_exact(alpha, bits)
    return s * round_exact(clip_exact(x, alpha) / s, rounding)


def quantize_index_exact(x, alpha, bits: int, rounding: str = "half_up") -> int:
    """Exact integer level ``k`` with ``quantize_exact(x) = k * step``."""
    s = step_exact(alpha, bits)
    return round_exact(clip_exact(x, alpha) / s, rounding)
