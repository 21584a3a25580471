"""Convexity of the clipping objectives (Lean twin: ``LaAciq/Convexity.lean``).

Lean proves, for a finite law with weights ``w_i`` on values ``x_i``:

* ``clipError(α) = Σ w_i ((|x_i| - α)₊)²`` is convex and antitone (``convexOn_clipError``,
  ``clipError_antitone``);
* the Banner-type model ``clipError(α) + c·α²`` is convex, strictly for ``c > 0``, so it has at
  most one minimizer (``modelMSE_minimizer_unique``);
* the true MSE is **not** convex (``claim_mse_convex_false``).

This module gives the numeric side: the chord test of a function on a grid, and the exact
minimizer of the model objective of a finite law. Between consecutive sorted ``|x_i|`` the model
is a quadratic in ``α``; setting its derivative ``-2 Σ_{|x|>α} w (|x| - α) + 2cα`` to zero gives
the fixed-point equation

    α = Σ_{|x|>α} w |x| / (c + Σ_{|x|>α} w)

(OCTAV's iteration for this objective; ``LaAciq/LawTheory.lean`` proves that every global
minimizer satisfies it, ``Law.modelMSE_minimizer_fixed_point'``, read off for atom lists as
``modelMSE_minimizer_fixed_point'``). Because the objective is strictly convex the unique
piece whose stationary point lies inside it is the minimizer; :func:`model_minimizer_exact` finds
it with one sort and suffix sums, in exact arithmetic.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, Sequence

from laaciq.argcheck import check_positive

__all__ = ["chord_gap", "convexity_violations", "model_minimizer_exact", "model_objective_exact"]


def chord_gap(f: Callable, x, y, t):
    """``f(t·x + (1-t)·y) - (t·f(x) + (1-t)·f(y))``: ``≤ 0`` on every chord iff ``f`` is convex.

    Exact when ``f``, ``x``, ``y`` and ``t`` are (Fraction-valued) exact.
    """
    return f(t * x + (1 - t) * y) - (t * f(x) + (1 - t) * f(y))


def convexity_violations(f: Callable, grid: Sequence, tol=0) -> list[tuple]:
    """Triples ``(a, b, c)`` of consecutive grid points where ``f(b)`` lies above the chord from
    ``a`` to ``c`` by more than ``tol``: ``[(a, b, c, excess), ...]`` (empty for a convex ``f``
    on the grid). The grid is sorted first."""
    pts = sorted(grid)
    if len(pts) < 3:
        raise ValueError(f"grid needs at least 3 points, got {len(pts)}")
    vals = [f(p) for p in pts]
    out = []
    for (a, fa), (b, fb), (c, fc) in zip(zip(pts, vals), zip(pts[1:], vals[1:]),
                                         zip(pts[2:], vals[2:])):
        if c == a:
            continue
        t = (c - b) / (c - a)
        excess = fb - (t * fa + (1 - t) * fc)
        if excess > tol:
            out.append((a, b, c, excess))
    return out


def _law(values, weights) -> list[tuple[Fraction, Fraction]]:
    vs = [Fraction(v) for v in values]
    if not vs:
        raise ValueError("values is empty: need at least one value")
    ws = [Fraction(1, len(vs))] * len(vs) if weights is None else [Fraction(w) for w in weights]
    if len(ws) != len(vs):
        raise ValueError(f"weights has {len(ws)} entries but there are {len(vs)} values")
    if any(w < 0 for w in ws) or sum(ws) != 1:
        raise ValueError("weights must be non-negative rationals summing to exactly 1")
    return list(zip(vs, ws))


def model_objective_exact(values, weights, c, alpha) -> Fraction:
    """``Σ w ((|x| - α)₊)² + c·α²`` exactly (Lean ``modelMSE``)."""
    a = Fraction(alpha)
    return sum((w * max(abs(v) - a, Fraction(0)) ** 2 for v, w in _law(values, weights)),
               Fraction(0)) + Fraction(c) * a * a


def model_minimizer_exact(values, weights, c) -> Fraction:
    """The unique minimizer over ``α ≥ 0`` of ``Σ w ((|x| - α)₊)² + c·α²`` for ``c > 0``.

    Sort ``|x|`` descending; with ``S_k = Σ`` of the ``k`` largest ``w|x|`` and ``W_k`` of their
    weights, the stationary point of the piece where exactly those ``k`` values exceed ``α`` is
    ``α_k = S_k / (c + W_k)``; the minimizer is the ``α_k`` that lies in its piece
    ``[|x|_(k+1), |x|_(k)]`` (it exists and is unique by strict convexity).
    """
    check_positive(float(c), "c")
    c = Fraction(c)
    law = sorted(((abs(v), w) for v, w in _law(values, weights)), reverse=True)
    s = wsum = Fraction(0)
    for k in range(len(law) + 1):
        upper = law[k - 1][0] if k else None     # the k-th largest |x| (piece's upper end)
        lower = law[k][0] if k < len(law) else Fraction(0)
        a = s / (c + wsum)
        if a >= lower and (upper is None or a <= upper):
            return a
        if k < len(law):
            s += law[k][1] * law[k][0]
            wsum += law[k][1]
    raise AssertionError("no stationary piece: the objective is not strictly convex")
