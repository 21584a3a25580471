"""The exact minimizer of a per-element-weighted round-to-nearest error, one α per row.

For a row ``w`` (``n`` values), non-negative weights ``c`` (one per value) and ``B`` bits
(``L = 2^(B-1) - 1`` positive levels, step ``s = α/L``)::

    E(α) = Σ_i c_i (w_i - Q_α(w_i))²,     Q_α of :func:`laaciq.theory.quantizer.quantize`.

With ``a_i = |w_i|`` the error of value ``i`` is ``(a_i - k_i s)²`` where ``k_i`` is the level
rounding picks (``min(L, nearest integer to a_i/s)``; at a tie both neighbours give the same
error, so the rounding rule does not matter). As ``s`` grows from 0, ``k_i`` steps from ``j+1``
down to ``j`` at the *breakpoint* ``s = a_i/(j + ½)`` (``0 ≤ j < L``), i.e.
``α = L·a_i/(j + ½)``. Between two consecutive breakpoints every ``k_i`` is fixed and

    E(s) = A - 2 s S1 + s² S2,    A = Σ c a²,  S1 = Σ c a k,  S2 = Σ c k²,

a quadratic whose minimum on the piece is at its vertex ``S1/S2`` clamped to the piece. The
global minimum is therefore the smallest of these piece minima — every breakpoint and every
vertex is a candidate, and nothing else can be better: the solution is exact, not a grid search.
Past the last breakpoint (``s > 2·max a``) every value rounds to 0 and ``E = A``; that is never
better than the last piece's clamped minimum, which includes its right end.

Vectorized: the ``n·L`` breakpoints of a block of rows are sorted once per row and the running
``S1``, ``S2`` are cumulative sums of the per-breakpoint changes (``ΔS1 = -c a``,
``ΔS2 = -c (2j + 1)``). Memory is bounded by processing rows in blocks of at most
``_EVENTS`` breakpoints. The returned α is re-evaluated with the real quantizer
(:func:`weighted_error`), so the reported error is the quantizer's, not the scan's.

Rows whose weighted values are all zero (``c·a = 0``) have every α optimal; ``max|w|`` (or 1
for an all-zero row) is returned for them.
"""

from __future__ import annotations

import numpy as np

from laaciq.argcheck import check_bits
from laaciq.theory import quantizer

__all__ = ["weighted_exact_alpha", "weighted_error"]

_EVENTS = 1 << 22  # breakpoints held at once (per block of rows)


def _rows_and_weights(w, c):
    W = np.asarray(w, dtype=np.float64)
    if W.ndim == 1:
        W = W[None, :]
    if W.ndim != 2 or W.size == 0:
        raise ValueError(f"w must be a non-empty 1-D or 2-D array, got shape {np.shape(w)}")
    C = np.asarray(c, dtype=np.float64)
    C = np.broadcast_to(C, W.shape) if C.ndim < 2 else C
    if C.shape != W.shape:
        raise ValueError(f"c has shape {C.shape} but w has {W.shape}: give one weight per value "
                         f"(or one per column)")
    if not (np.isfinite(W).all() and np.isfinite(C).all()):
        raise ValueError("w and c must be finite")
    if (C < 0).any():
        raise ValueError("c must be non-negative (they are weights)")
    return W, C


def weighted_error(w, c, alpha, bits: int, rounding: str = "half_up") -> np.ndarray:
    """``Σ_i c_i (w_i - Q_α(w_i))²`` per row, with the real quantizer's arithmetic."""
    bits = check_bits(bits)
    W, C = _rows_and_weights(w, c)
    al = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (W.shape[0],))
    L = quantizer.levels(bits)
    s = (al / L)[:, None]
    a = al[:, None]
    k = quantizer._round(np.clip(W, -a, a) / s, rounding)
    np.clip(k, -L, L, out=k)
    e = W - k * s
    return np.einsum("ij,ij,ij->i", C, e, e)


def _solve_block(A, C, L):
    """Exact minimizing step ``s`` per row of ``A = |w|`` (R, n) with weights ``C``."""
    R, n = A.shape
    o = np.argsort(A, axis=1)  # each j's breakpoints are then sorted runs: the stable
    A = np.take_along_axis(A, o, axis=1)  # (merge) sort below only merges L runs
    C = np.take_along_axis(C, o, axis=1)
    Cw = np.where(A > 0, C, 0.0)
    A0 = np.einsum("ij,ij,ij->i", Cw, A, A)
    ca = Cw * A
    S1_0 = L * ca.sum(axis=1)
    S2_0 = float(L * L) * Cw.sum(axis=1)
    j = np.arange(L, dtype=np.float64)
    # breakpoints s = a/(j+1/2), deltas when s passes them upwards
    bp = (A[:, None, :] / (j + 0.5)[:, None]).reshape(R, L * n)
    d1 = np.broadcast_to(-ca[:, None, :], (R, L, n)).reshape(R, L * n)
    d2 = (-Cw[:, None, :] * (2 * j + 1)[:, None]).reshape(R, L * n)
    order = np.argsort(bp, axis=1, kind="stable")
    bp = np.take_along_axis(bp, order, axis=1)
    S1 = S1_0[:, None] + np.concatenate(
        [np.zeros((R, 1)), np.cumsum(np.take_along_axis(d1, order, axis=1), axis=1)], axis=1)
    S2 = S2_0[:, None] + np.concatenate(
        [np.zeros((R, 1)), np.cumsum(np.take_along_axis(d2, order, axis=1), axis=1)], axis=1)
    # piece p (p = 0..nL) spans [left_p, right_p]; the last one has every k = 0 (E = A0)
    left = np.concatenate([np.zeros((R, 1)), bp], axis=1)
    right = np.concatenate([bp, np.full((R, 1), np.inf)], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(S2 > 0, S1 / S2, left)
    s = np.clip(v, left, right)
    s = np.where(np.isfinite(s), s, left)
    E = A0[:, None] - 2 * s * S1 + s * s * S2
    E = np.where(s > 0, E, np.inf)  # α must be > 0 (pieces of zero length at s = 0)
    best = np.argmin(E, axis=1)
    s_best = s[np.arange(R), best]
    amax = A.max(axis=1)
    degenerate = ~np.isfinite(E[np.arange(R), best]) | (A0 == 0)
    fallback = np.where(amax > 0, amax / L, 1.0 / L)
    return np.where(degenerate, fallback, s_best)


def weighted_exact_alpha(w, c, bits: int = 4, rounding: str = "half_up"):
    """Exact per-row minimizer α of ``Σ_i c_i (w_i - Q_α(w_i))²`` (see the module docstring).

    ``w``: (R, n) rows (or one 1-D row); ``c``: weights of the same shape, or one per column
    (n,). Returns ``(alpha, error)``: arrays (R,), the error evaluated with the real quantizer.
    """
    bits = check_bits(bits)
    W, C = _rows_and_weights(w, c)
    L = quantizer.levels(bits)
    R, n = W.shape
    A = np.abs(W)
    alpha = np.empty(R)
    step = max(1, _EVENTS // (n * L))
    for i in range(0, R, step):
        alpha[i:i + step] = L * _solve_block(A[i:i + step], C[i:i + step], L)
    return alpha, weighted_error(W, C, alpha, bits, rounding)
