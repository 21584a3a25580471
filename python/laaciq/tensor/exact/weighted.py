"""The weighted objective: the exact minimizer of a per-element-weighted round-to-nearest error,
one α per row (``PROOF.md`` §8, *Weighted objective*); the numpy engine and the entry point
(the compiled engine: :mod:`laaciq.tensor.exact.weighted_compiled`). The error is the true MSE
of the finite law with atoms ``w_i`` and weights ``c_i ≥ 0``, so the candidate theorems
(``mse_codeVertex_le``, ``mse_exists_minimizer`` in ``LaAciq/Candidates.lean``, stated for
non-negative weights) apply as they are.

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
``PARAMS.weighted_events`` breakpoints. The returned α is re-evaluated with the real quantizer
(:func:`weighted_error`), so the reported error is the quantizer's, not the scan's.

Rows whose weighted values are all zero (``c·a = 0``) have every α optimal; ``max|w|`` (or 1
for an all-zero row) is returned for them.
"""

from __future__ import annotations

import numpy as np

from laaciq.argcheck import check_bits
from laaciq.tensor.exact import params
from laaciq.tensor.exact.solve import choose_engine
from laaciq.theory import quantizer

__all__ = ["weighted_exact_alpha", "weighted_error"]



def _rows_and_weights(w, c):
    W = np.asarray(w, dtype=np.float64)
    if W.ndim == 1:
        W = W[None, :]
    if W.ndim != 2 or W.size == 0:
        raise ValueError(f"w must be a non-empty 1-D or 2-D array, got shape {np.shape(w)}")
    C0 = np.asarray(c, dtype=np.float64)
    if not (np.isfinite(W).all() and np.isfinite(C0).all()):
        raise ValueError("w and c must be finite")
    if (C0 < 0).any():
        raise ValueError("c must be non-negative (they are weights)")
    C = np.broadcast_to(C0, W.shape) if C0.ndim < 2 else C0
    if C.shape != W.shape:
        raise ValueError(f"c has shape {C.shape} but w has {W.shape}: give one weight per value "
                         f"(or one per column)")
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


def _bracket(A, Cw, L, hint=None):
    """A proven bracket ``[s_lo, s_hi]`` of the optimal step per row.

    ``U``: the error at 6 thresholds ``α = f·max|w|`` and at ``hint`` if given (an upper bound
    of the minimum).
    Every value above ``α = L s`` costs at least ``(a - α)²``: ``E(s) ≥ C(s)``, non-increasing
    in ``s``, so ``C(s) > U`` excludes every smaller ``s``; every value below ``s/2`` rounds to 0:
    ``E(s) ≥ G(s) = Σ_{a < s/2} c a²``, non-decreasing, so ``G(s) > U`` excludes every larger
    ``s``. Both are evaluated at the data values (prefix sums over the sorted row)."""
    R, n = A.shape
    amax = A[:, -1]
    f = np.array([0.45, 0.6, 0.7, 0.8, 0.9, 1.0])
    s_try = (amax[:, None] * f[None, :]) / L                       # (R, 6)
    if hint is not None:  # e.g. the unweighted optimum: a tighter upper value U
        s_try = np.concatenate([s_try, hint[:, None] / L], axis=1)
    k = np.minimum(L, np.floor(A[:, None, :] / s_try[:, :, None] + 0.5))
    e = A[:, None, :] - k * s_try[:, :, None]
    U = np.einsum("rj,rtj->rt", Cw, e * e).min(axis=1) * (1 + 1e-9) + 1e-300
    # C at α = a_(m) (ascending order): values above index m contribute (a - α)²
    ca, ca2 = Cw * A, Cw * A * A
    rc = lambda v: np.cumsum(v[:, ::-1], axis=1)[:, ::-1]  # suffix sums, inclusive
    Sc, Sca, Sca2 = rc(Cw), rc(ca), rc(ca2)
    # suffix from m+1: shift by one
    pad = np.zeros((R, 1))
    Sc1, Sca1, Sca21 = (np.concatenate([x[:, 1:], pad], axis=1) for x in (Sc, Sca, Sca2))
    Cv = Sca21 - 2 * A * Sca1 + A * A * Sc1
    ok = Cv > U[:, None]                       # α = a_m excluded (and everything below)
    idx = np.where(ok.any(axis=1), n - 1 - np.argmax(ok[:, ::-1], axis=1), -1)
    alpha_lo = np.where(idx >= 0, A[np.arange(R), np.maximum(idx, 0)], 0.0)
    s_lo = alpha_lo / L
    # G at s = 2·a_m: values strictly below a_m round to 0
    G = np.cumsum(ca2, axis=1) - ca2           # Σ_{a < a_m} (ties: a lower bound, still valid)
    bad = G > U[:, None]
    first = np.where(bad.any(axis=1), np.argmax(bad, axis=1), -1)
    s_hi = np.where(first >= 0, 2 * A[np.arange(R), np.maximum(first, 0)], 2 * amax + 1e-300)
    s_hi = np.maximum(s_hi, s_lo * (1 + 1e-12) + 1e-300)
    return s_lo, s_hi


def _solve_block(A, C, L, hint=None):
    """Exact minimizing step ``s`` per row of ``A = |w|`` (R, n) with weights ``C``: only the
    breakpoints inside the proven bracket of :func:`_bracket` are generated."""
    R, n = A.shape
    o = np.argsort(A, axis=1)
    A = np.take_along_axis(A, o, axis=1)
    C = np.take_along_axis(C, o, axis=1)
    Cw = np.where(A > 0, C, 0.0)
    A0 = np.einsum("ij,ij,ij->i", Cw, A, A)
    amax = A[:, -1]
    out = np.where(amax > 0, amax / L, 1.0 / L)
    live = A0 > 0
    if not live.any():
        return out
    rows = np.nonzero(live)[0]
    A, Cw, A0 = A[rows], Cw[rows], A0[rows]
    Rl = len(rows)
    s_lo, s_hi = _bracket(A, Cw, L, None if hint is None else hint[rows])
    # levels just above s_lo and the breakpoints inside (s_lo, s_hi]
    with np.errstate(divide="ignore", invalid="ignore"):
        top = np.where(s_lo[:, None] > 0, np.ceil(A / s_lo[:, None] - 0.5), L)
    k0 = np.clip(top, 0, L)
    jlo = np.clip(np.ceil(A / s_hi[:, None] - 0.5), 0, L)   # first j with bp <= s_hi
    cnt = np.maximum(k0 - jlo, 0).astype(np.int64)            # events j = jlo .. k0-1
    ca = Cw * A
    S1_0 = np.einsum("ij,ij->i", ca, k0)
    S2_0 = np.einsum("ij,ij->i", Cw, k0 * k0)
    flat_cnt = cnt.ravel()
    tot = int(flat_cnt.sum())
    el = np.repeat(np.arange(Rl * n), flat_cnt)
    start = np.repeat(np.cumsum(flat_cnt) - flat_cnt, flat_cnt)
    j = jlo.ravel()[el] + (np.arange(tot) - start)
    a_e = A.ravel()[el]
    bp = a_e / (j + 0.5)
    row = el // n
    key = row + np.clip(bp / s_hi[row], 0.0, 1.0) * 0.999999     # sort by (row, bp)
    order = np.argsort(key, kind="stable")
    bp, row, j, el = bp[order], row[order], j[order], el[order]
    d1 = -ca.ravel()[el]
    d2 = -Cw.ravel()[el] * (2 * j + 1)
    c1, c2 = np.cumsum(d1), np.cumsum(d2)
    per_row = np.bincount(row, minlength=Rl)
    first = np.cumsum(per_row) - per_row                      # first event of each row
    base1 = np.where(per_row > 0, c1[np.minimum(first, max(tot - 1, 0))] - d1[
        np.minimum(first, max(tot - 1, 0))] if tot else 0.0, 0.0)
    base2 = np.where(per_row > 0, c2[np.minimum(first, max(tot - 1, 0))] - d2[
        np.minimum(first, max(tot - 1, 0))] if tot else 0.0, 0.0)
    S1 = S1_0[row] + c1 - base1[row]                          # state after each event
    S2 = S2_0[row] + c2 - base2[row]
    nxt = np.append(bp[1:], np.inf)
    last = np.append(row[1:] != row[:-1], True)
    right = np.where(last, s_hi[row], nxt)
    # pieces: the first one of each row [s_lo, first bp or s_hi], then one after each event
    right0 = np.where(per_row > 0, bp[np.minimum(first, max(tot - 1, 0))] if tot else s_hi,
                      s_hi)
    P_left = np.concatenate([s_lo, bp])
    P_right = np.concatenate([right0, right])
    P_S1 = np.concatenate([S1_0, S1])
    P_S2 = np.concatenate([S2_0, S2])
    P_row = np.concatenate([np.arange(Rl), row])
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(P_S2 > 0, P_S1 / P_S2, P_left)
    s = np.clip(v, P_left, P_right)
    s = np.where(np.isfinite(s), s, P_left)
    E = A0[P_row] - 2 * s * P_S1 + s * s * P_S2
    E = np.where(s > 0, E, np.inf)
    # the best piece per row
    order2 = np.lexsort((E, P_row))
    firsts = np.searchsorted(P_row[order2], np.arange(Rl))
    best = order2[firsts]
    sb = s[best]
    good = np.isfinite(E[best])
    out[rows] = np.where(good, sb, out[rows])
    return out


def weighted_exact_alpha(w, c, bits: int = 4, rounding: str = "half_up", hint=None,
                         engine: str = "auto"):
    """Exact per-row minimizer α of ``Σ_i c_i (w_i - Q_α(w_i))²`` (see the module docstring).

    ``w``: (R, n) rows (or one 1-D row); ``c``: weights of the same shape, or one per column
    (n,). ``hint``: optional thresholds (R,) > 0 (e.g. the unweighted optimum) that tighten the
    search bracket; the result is exact with or without it. ``engine``: "auto", "compiled" or
    "numpy" (:func:`laaciq.tensor.exact.solve.choose_engine`, the rule of every objective); both
    are exact and tested against a brute force and each other. Returns ``(alpha, error)``: arrays
    (R,), the error evaluated with the real quantizer.
    """
    bits = check_bits(bits)
    W, C = _rows_and_weights(w, c)
    L = quantizer.levels(bits)
    R, n = W.shape
    A = np.abs(W)
    w32 = np.asarray(w).dtype == np.float32          # sort keys: float32 sorts faster, same order
    H = None if hint is None else np.broadcast_to(np.asarray(hint, dtype=np.float64), (R,))
    if H is not None and not (np.isfinite(H).all() and (H > 0).all()):
        raise ValueError("hint must be finite thresholds > 0")
    alpha = np.empty(R)
    if choose_engine(engine, bits) == "compiled":
        err = _compiled_rows(A, C, L, H, alpha, w32)
        if rounding == "half_up":          # the kernel's sums are the quantizer's arithmetic
            return alpha, err
    else:
        step = max(1, params.PARAMS.weighted_events // (n * L))
        for i in range(0, R, step):
            alpha[i:i + step] = L * _solve_block(A[i:i + step], C[i:i + step], L,
                                                 None if H is None else H[i:i + step])
    return alpha, weighted_error(W, C, alpha, bits, rounding)


def _compiled_rows(A, C, L, H, alpha, w32=False):
    """The compiled engine on blocks of rows: each row sorted by magnitude with its weights
    (zero values get weight 0); fills ``alpha`` and returns the errors (R,)."""
    from laaciq.tensor.exact.weighted_compiled import weighted_rows
    R, n = A.shape
    err = np.empty(R)
    step = max(1, params.PARAMS.row_block // n)
    st = np.zeros(3)
    for i in range(0, R, step):
        blk = A[i:i + step]
        o = np.argsort(blk.astype(np.float32) if w32 else blk, axis=1)
        h = np.zeros(blk.shape[0]) if H is None else np.ascontiguousarray(H[i:i + step])
        cb = C[i:i + step]
        if cb.strides[0] == 0:                  # one weight per column: pass the one row
            cb = cb[:1]
        f32 = bool(w32 and cb.max(initial=0.0) < 1e30)
        weighted_rows(np.ascontiguousarray(blk), np.ascontiguousarray(cb), o, f32, L,
                      h, alpha[i:i + step], err[i:i + step], st)
    return err
