"""The breakpoint scan of the numpy engine and the Lloyd upper value (``PROOF.md`` §3,
*Candidates*, and §6, *Scan*).

Only the breakpoints ``a/(j + ½)`` inside the surviving intervals are generated, sorted and
scanned in shifted sums around ``s0 = √(s1 s2)``; every piece value carries a rigorous rounding
bound, and every piece that may be within it of the best is kept for an exact evaluation.
"""

from __future__ import annotations

import math

import numpy as np

from laaciq.tensor.exact.bounds import _EPS, _prefix
from laaciq.tensor.exact import params


def _transitions(A, jh, jl, s0):
    """Breakpoints of values ``A`` (G, m) between levels ``jh`` and ``jl`` (per value, ``jh ≥
    jl``): ``(group, b, dT0, dT1, dT2)`` in generation order (per value, increasing b)."""
    G, m = A.shape
    cnt = (jh - jl).astype(np.int64).reshape(-1)
    nz = np.flatnonzero(cnt)
    c = cnt[nz]
    T = int(c.sum())
    if T == 0:
        z = np.zeros(0)
        return np.zeros(0, dtype=np.int64), z, z, z, z
    starts = np.cumsum(c) - c
    elem = np.repeat(nz, c)
    t = np.arange(T, dtype=np.int64) - np.repeat(starts, c)
    j = jh.reshape(-1)[elem] - 1 - t
    av = A.reshape(-1)[elem]
    g = elem // m
    so = s0[g]
    o = 2 * j + 1
    b = av / (j + 0.5)
    return g, b, so * (2 * av - o * so), o * so - av, -o


def _scan_states(T0, T1, T2, g, b, d0, d1, d2, s0, G, m):
    """Scan the breakpoints of ``G`` groups (sorted per group by ``b``) from the initial sums.

    Every state is a real assignment; its piece minimum ``T0 - T1²/T2`` at ``s0 + T1/T2`` is
    computed with a rounding bound ``tol`` (sequential sums of ``M`` terms, initial sums of ``m``).
    Returns the candidates ``(group, s*)``: every state whose value may be within rounding of the
    group's best (``val - tol ≤ min(val + tol)``), at most ``PARAMS.near_cap`` per group.
    """
    tot = np.bincount(g, minlength=G) if g.size else np.zeros(G, dtype=np.int64)
    M = int(tot.max(initial=0))
    C = [T0[:, None], T1[:, None], T2[:, None]]
    A = [np.abs(T0)[:, None], np.abs(T1)[:, None], np.abs(T2)[:, None]]
    if M:
        gstart = np.cumsum(tot) - tot
        pos = np.arange(g.size) - gstart[g]
        key = np.full((G, M), np.inf)
        key[g, pos] = b
        order = np.argsort(key, axis=1, kind="stable")
        for q, d in enumerate((d0, d1, d2)):
            arr = np.zeros((G, M))
            arr[g, pos] = d
            arr = np.take_along_axis(arr, order, 1)
            P, kp = _prefix(arr)
            C[q] = C[q] + P
            # magnitudes (only for the bound): a plain running sum of non-negative terms is
            # below the true sum by at most a factor 1 - M·eps, so it is inflated by 2M·eps
            Ab = np.zeros((G, M + 1))
            np.cumsum(np.abs(arr), axis=1, out=Ab[:, 1:])
            A[q] = A[q] + Ab * (1 + 2 * M * _EPS)
    C0, C1, C2 = C
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pos2 = C2 > 1e-9 * np.abs(T2)[:, None]      # unweighted: integers, 0 or ≥ 1
        den = np.where(pos2, C2, 1.0)
        q = C1 * C1 / den
        val = np.where(pos2, C0 - q, np.inf)
        st = np.where(pos2, s0[:, None] + C1 / den, np.nan)
        # rounding bound: blocked prefix sums (2√M + 2 roundings), initial sums pairwise
        # (≤ 64 + log2 m roundings, chunk totals added exactly), 6 more for the formula
        k = 2 * math.isqrt(M) + 72 + int(m).bit_length()
        tol = _EPS * (k * A[0] + 2 * k * np.abs(C1) * A[1] / den + k * q * A[2] / den
                      + 6 * (np.abs(C0) + q))
    bad = ~(st > 0) | ~np.isfinite(st)
    val[bad] = np.inf
    hi = np.min(val + tol, axis=1)
    near = (val - tol <= hi[:, None]) & ~bad
    cnt = near.sum(axis=1)
    if cnt.max(initial=0) > params.PARAMS.near_cap:          # keep the near_cap lowest values
        lowv = np.where(near, val - tol, np.inf)
        kth = np.partition(lowv, params.PARAMS.near_cap - 1, axis=1)[:, params.PARAMS.near_cap - 1]
        near &= lowv <= kth[:, None]
    gi, si = np.nonzero(near)
    return gi, st[gi, si], val[gi, si] - tol[gi, si], val[gi, si] + tol[gi, si], \
        int(cnt.max(initial=0))


def _near_filter(row, lo, hi, U, floor, stats):
    """The candidates worth an exact evaluation: those whose value may be below the Lloyd value
    ``U`` of their row by more than the float ``floor``, and within rounding of the best.

    At most ``PARAMS.row_cap`` per row (the lowest scanned values): a row beyond that (a
    near-perfect fit, where the scan's rounding exceeds the error itself) is counted in
    ``stats["near_capped"]`` and ``stats["certified_gap"]`` bounds its loss: the returned error
    minus the lowest value any scanned piece may have, relative to the returned error (0 when
    no row is capped)."""
    rel = lo < (U - floor)[row]
    best = U.astype(np.float64).copy()
    np.minimum.at(best, row[rel], hi[rel])
    keep = rel & (lo <= best[row])
    cnt = np.bincount(row[keep], minlength=U.size)
    capped = np.flatnonzero(cnt > params.PARAMS.row_cap)
    if capped.size:
        mid = 0.5 * (lo + hi)
        idx = np.flatnonzero(keep)
        order = np.lexsort((mid[idx], row[idx]))
        idx = idx[order]
        rk = row[idx]
        first = np.searchsorted(rk, rk, side="left")
        rank = np.arange(idx.size) - first
        keep[idx[rank >= params.PARAMS.row_cap]] = False
        low = np.full(U.size, np.inf)
        np.minimum.at(low, row, lo)
        stats["near_capped"] = stats.get("near_capped", 0) + int(capped.size)
        stats["_low"] = (capped, np.maximum(low[capped], 0.0))
    return keep


def _initial(A, s1, s2, L):
    s0 = np.sqrt(s1 * s2)
    jh = np.minimum(np.floor(A / s1[:, None] + 0.5), L)
    jl = np.minimum(np.floor(A / s2[:, None] + 0.5), L)
    np.minimum(jl, jh, out=jl)
    r0 = A - jh * s0[:, None]
    return s0, jh, jl, np.sum(r0 * r0, axis=1), np.sum(jh * r0, axis=1), \
        np.sum(jh * jh, axis=1)


def _narrow(gr, g1, g2, L, wmax=params.PARAMS.numpy_wmax):
    """Cut intervals so that ``L·log(s2/s1) ≤ wmax``: then ``|a - k s0| ≲ (½ + wmax/2)·s`` for the
    states of an interval, which keeps the shifted sums well conditioned."""
    parts = np.maximum(1, np.ceil(np.log(g2 / g1) * L / wmax)).astype(np.int64)
    if parts.max(initial=1) == 1:
        return gr, g1, g2
    idx = np.repeat(np.arange(gr.size), parts)
    t = np.arange(idx.size) - np.repeat(np.cumsum(parts) - parts, parts)
    p = parts[idx].astype(np.float64)
    ratio = g2[idx] / g1[idx]
    lo = g1[idx] * ratio ** (t / p)
    hi = g1[idx] * ratio ** ((t + 1) / p)
    first, last = t == 0, t == parts[idx] - 1
    lo[first], hi[last] = g1[idx][first], g2[idx][last]
    nl = np.flatnonzero(~last)
    hi[nl] = lo[nl + 1]
    return gr[idx], lo, hi


def _scan_rows(a, gr, g1, g2, L, stats):
    """Scan every interval (row ``gr``, ``[g1, g2]``) of the rows ``a`` (R, m); returns the
    candidates ``(row, s*)``."""
    gr, g1, g2 = _narrow(gr, g1, g2, L)
    G = gr.size
    m = a.shape[1]
    est = a.sum(axis=1)[gr] * (1 / g1 - 1 / g2) + m
    # intervals of similar breakpoint counts are scanned together (a batch is a dense array of
    # its largest count); the candidates do not depend on the order
    order = np.argsort(est, kind="stable")
    gr, g1, g2, est = gr[order], g1[order], g2[order], est[order]
    i = 0
    scanned = 0
    out_g, out_s = [], []
    while i < G:
        j = i + 1
        tot = est[i]
        while j < G and (j - i) * m < params.PARAMS.row_block and \
                tot + est[j] <= params.PARAMS.trans_block:
            tot += est[j]
            j += 1
        A = a[gr[i:j]]
        s0, jh, jl, T0, T1, T2 = _initial(A, g1[i:j], g2[i:j], L)
        g, b, d0, d1, d2 = _transitions(A, jh, jl, s0)
        scanned += b.size
        gi, st, vlo, vhi, _ = _scan_states(T0, T1, T2, g, b, d0, d1, d2, s0, j - i, m)
        out_g.append(gr[gi + i])
        out_s.append((st, vlo, vhi))
        i = j
    stats["breakpoints"] = stats.get("breakpoints", 0) + scanned
    if not out_g:
        z = np.zeros(0)
        return np.zeros(0, dtype=np.int64), z, z, z
    return (np.concatenate(out_g),) + tuple(np.concatenate([o[q] for o in out_s])
                                            for q in range(3))


def _lloyd(moments, s, iters):
    """Lloyd iterations (``k ← round(a/s)``, ``s ← Σak/Σk²``; neither step increases ``E``) from
    steps ``s`` (R,); ``moments(s)`` returns ``(E, Σak, Σk²)`` per row at the rounding of ``s``.
    Returns the best ``(E, s)`` seen per row (an upper bound of the minimum, never a claim of
    optimality)."""
    best_f = np.full(s.shape, np.inf)
    best_s = s.copy()
    for _ in range(iters):
        f, S1, S2 = moments(s)
        better = f < best_f
        best_f[better], best_s[better] = f[better], s[better]
        s_new = np.where(S2 > 0, S1 / np.where(S2 > 0, S2, 1.0), s)
        s_new = np.where(s_new > 0, s_new, s)
        if np.all(np.abs(s_new - s) <= 1e-13 * s):
            break
        s = s_new
    return best_f, best_s


def _lloyd_rows(a, s, L, iters=6):
    """:func:`_lloyd` on rows of ``|x|`` values ``a`` (R, m)."""
    def moments(s):
        k = np.minimum(np.floor(a / s[:, None] + 0.5), L)
        e = a - k * s[:, None]
        return (np.einsum("ij,ij->i", e, e), np.einsum("ij,ij->i", a, k),
                np.einsum("ij,ij->i", k, k))
    return _lloyd(moments, s, iters)
