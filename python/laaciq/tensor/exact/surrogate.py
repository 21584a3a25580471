"""Exact minimizers of the seeds' surrogate objectives (``PROOF.md`` §2, *Surrogates*).

``f(α) = (1/n) Σ_{a_i > α} (a_i - α)² + c·α²`` (times ``P(a ≤ α)`` on the noise, "seed004"):
on the piece with the top ``k`` values above ``α`` it is a quadratic with stationary point
``S_k/(k + c·n)``; rows are sorted and scanned piece by piece, one large tensor is bracketed from
a subsample and certified on its tail (no sort of the data).
"""

from __future__ import annotations

import numpy as np

from laaciq.argcheck import check_bits, check_choice
from laaciq.tensor.exact import params
from laaciq.theory.mse import noise_coefficient

__all__ = ["SURROGATES", "surrogate_coefficient"]

#: The surrogate objectives (clip error + a noise model).
SURROGATES = ("banner", "seed001", "uniform", "seed004")


def surrogate_coefficient(bits: int, objective: str) -> float:
    """``c`` of a surrogate: noise ``= c·α²`` (times ``P(|X| ≤ α)`` for "seed004")."""
    check_choice(objective, "objective", SURROGATES)
    return noise_coefficient(check_bits(bits), "uniform" if objective == "seed004" else objective)


def _pieces(vd, n, c, weighted, K0=None, S0=None, Q0=None, lo=None, hi=None, top=3):
    """Candidate minimizers of a surrogate from the descending values ``vd`` (R, m) of the region
    searched; ``K0, S0, Q0`` count, sum and sum of squares of the values above it (already
    clipped), ``lo``/``hi`` its ends. Returns ``(alpha (R, top), approx value (R, top))``:
    convex models put the consistent piece's stationary point first."""
    R, m = vd.shape
    z = np.zeros(R)
    K0 = z if K0 is None else K0
    S0 = z if S0 is None else S0
    Q0 = z if Q0 is None else Q0
    lo = z if lo is None else lo
    hi = np.full(R, np.inf) if hi is None else hi
    S = np.zeros((R, m + 1))
    np.cumsum(vd, axis=1, out=S[:, 1:])
    Q = np.zeros((R, m + 1))
    np.cumsum(vd * vd, axis=1, out=Q[:, 1:])
    k = np.arange(m + 1, dtype=np.float64)
    K = K0[:, None] + k
    S += S0[:, None]
    Q += Q0[:, None]
    upper = np.concatenate([hi[:, None], vd], axis=1)
    lower = np.concatenate([vd, lo[:, None]], axis=1)
    if weighted:
        inside = n - K
        denom = K + c * inside
        top_end = upper.copy()
        top_end[:, 1:] = np.nextafter(upper[:, 1:], 0.0)
        valid = lower < upper
        valid[:, 0] = lower[:, 0] <= upper[:, 0]
        noise = c * inside
    else:
        denom = K + c * n
        top_end = upper
        valid = np.ones_like(upper, dtype=bool)
        noise = c * n
    with np.errstate(divide="ignore", invalid="ignore"):
        ak = S / denom
    ac = np.clip(ak, lower, np.maximum(lower, top_end))
    val = (Q - 2 * ac * S + K * ac * ac + noise * ac * ac) / n
    val[~valid | ~(ac > 0) | ~np.isfinite(ac)] = np.inf
    rr = np.arange(R)[:, None]
    if not weighted:        # the stationary point inside its own piece (else the best clamp)
        ok = valid & (ak >= lower) & (ak <= upper) & (ak > 0)
        first = np.where(ok.any(axis=1), np.argmax(ok, axis=1), np.argmin(val, axis=1))
        cand = np.where(ok.any(axis=1), ak[rr[:, 0], first], ac[rr[:, 0], first])[:, None]
        return cand, val[rr[:, 0], first][:, None]
    t = min(top, m + 1)
    idx = np.argpartition(val, t - 1, axis=1)[:, :t] if m + 1 > t else \
        np.tile(np.arange(m + 1), (R, 1))
    idx = np.take_along_axis(idx, np.argsort(val[rr, idx], axis=1, kind="stable"), 1)
    return ac[rr, idx], val[rr, idx]


def _surrogate_value_rows(a, alpha, c, weighted):
    """Exact ``f(α)`` per row of ``|x|`` values ``a`` (R, m) for thresholds ``alpha`` (R,)."""
    m = a.shape[1]
    ex = np.maximum(a - alpha[:, None], 0.0)
    clip = np.einsum("ij,ij->i", ex, ex)
    if weighted:
        return (clip + c * alpha * alpha * np.count_nonzero(a <= alpha[:, None], axis=1)) / m
    return clip / m + c * alpha * alpha


def _surrogate_rows(a, c, weighted, sort_done=False):
    """Exact surrogate minimizer for each row of ``a = |x|`` (R, m), float64."""
    R, m = a.shape
    v = a if sort_done else np.sort(a, axis=1)
    cand, _ = _pieces(v[:, ::-1], m, c, weighted)
    if not weighted:
        alpha = cand[:, 0]
        return alpha, _surrogate_value_rows(a, alpha, c, weighted)
    vals = np.stack([_surrogate_value_rows(a, cand[:, j], c, weighted)
                     for j in range(cand.shape[1])], axis=1)
    vals[~np.isfinite(cand) | ~(cand > 0)] = np.inf
    j = np.argmin(vals, axis=1)
    r = np.arange(R)
    return cand[r, j], vals[r, j]


def _chunks(x1):
    for lo in range(0, x1.size, params.PARAMS.chunk):
        yield np.abs(x1[lo:lo + params.PARAMS.chunk])


def _surrogate_stream(x1, c, weighted, stats):
    """Exact surrogate minimizer of one large 1-D tensor without sorting it (module docstring)."""
    n = x1.size
    stride = max(1, n >> 16)
    sub = np.abs(x1[::stride]).astype(np.float64)
    guess, _ = _surrogate_rows(sub[None], c, weighted)
    g = float(guess[0])
    d_lo, d_hi = (0.03, 0.03) if not weighted else (0.4, 0.1)
    if weighted and g > 0:      # seed004: the subsample's own bracket, with a 3% margin
        sv = np.sort(sub)[::-1]
        ns = sv.size
        k = np.arange(ns, dtype=np.float64)
        S = np.r_[0.0, np.cumsum(sv)[:-1]]
        Q = np.r_[0.0, np.cumsum(sv * sv)[:-1]]
        Cs = (Q - 2 * sv * S + k * sv * sv) / ns          # C(sv_k): the k values above
        Us = float(_surrogate_value_rows(sv[None], np.array([g]), c, True)[0])
        lo_ok = np.flatnonzero(Cs >= 1.05 * Us)
        hi_ok = np.flatnonzero(c * sv * sv * (ns - k) / ns >= 1.05 * Us)
        if lo_ok.size:
            d_lo = min(1.0, max(0.03, 1 - 0.97 * float(sv[lo_ok[0]]) / g))
        if hi_ok.size:
            d_hi = max(0.03, 1.03 * float(sv[hi_ok[-1]]) / g - 1)
    if not g > 0:
        d_lo = 1.0
    passes = 0
    while True:
        t_lo = g * (1 - d_lo) if d_lo < 1 else 0.0
        tail = np.concatenate([ch[ch > t_lo] for ch in _chunks(x1)]).astype(np.float64)
        passes += 1
        if tail.size == 0:
            if t_lo == 0:
                return 1.0, 0.0                 # all zeros: every α is optimal
            d_lo = min(1.0, 4 * d_lo)
            continue
        amax = float(tail.max())                # the tail holds the largest value
        if not g > 0:
            g = amax
        if not weighted and t_lo > 0 and c * n * t_lo > (1 - 1e-9) * float(np.sum(tail - t_lo)):
            d_lo = min(1.0, 4 * d_lo)          # f'(t_lo+) > 0: the optimum is below t_lo
            continue
        while True:
            t_hi = max(g * (1 + d_hi), t_lo * (1 + 1e-9))
            above = tail > t_hi
            ta = tail[above]
            if not weighted and t_hi < amax and \
                    c * n * t_hi < (1 + 1e-9) * float(np.sum(ta - t_hi)):
                d_hi *= 4                       # f'(t_hi) < 0: the optimum is above t_hi
                continue
            mid = np.sort(tail[~above])[::-1]
            cand, _ = _pieces(mid[None], n, c, weighted, np.array([float(ta.size)]),
                              np.array([float(np.sum(ta))]), np.array([float(ta @ ta)]),
                              np.array([t_lo]), np.array([t_hi]))
            cand = cand[0][np.isfinite(cand[0]) & (cand[0] > 0)]
            vals = np.array([_tail_value(tail, n, al, c, weighted) for al in cand])
            j = int(np.argmin(vals))
            alpha, U = float(cand[j]), float(vals[j])
            if not weighted:
                stats.update(tail=int(tail.size), bracketed=int(mid.size), passes=passes)
                return alpha, U
            ok_hi = t_hi >= amax or c * t_hi * t_hi * (n - ta.size) / n >= U
            if not ok_hi:
                d_hi *= 4
                continue
            break
        ex = tail - t_lo
        if t_lo == 0 or float(ex @ ex) / n >= U:
            stats.update(tail=int(tail.size), bracketed=int(mid.size), passes=passes)
            return alpha, U
        d_lo = min(1.0, 4 * d_lo)


def _tail_value(tail, n, alpha, c, weighted):
    """``f(α)`` from the values above the bracket's lower end (``α`` is inside the bracket)."""
    ex = tail[tail > alpha] - alpha
    clip = float(ex @ ex) / n
    if weighted:
        return clip + c * alpha * alpha * (n - ex.size) / n
    return clip + c * alpha * alpha
