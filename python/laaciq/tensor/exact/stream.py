"""The streaming path: one large tensor, or a weighted pool of tensors, without sorting the
data (``PROOF.md`` §7, *Streaming*).

A histogram of ``|x|`` gives the atoms of the branch and bound; the breakpoints of the final
bracket are generated in batches of at most ``PARAMS.trans_block`` by streaming passes.
"""

from __future__ import annotations

import math

import numpy as np

from laaciq.argcheck import check_bits, check_choice
from laaciq.tensor.exact.bounds import (_Atoms, _branch_and_bound, _clip_bound, _noise_floor,
                                        _prefix)
from laaciq.tensor.exact import params
from laaciq.tensor.exact.scan import _initial, _lloyd, _narrow, _near_filter, _scan_states, \
    _transitions
from laaciq.tensor.exact.slices import _bits_of, _sq_err_stream, check_input
from laaciq.tensor.exact.surrogate import _surrogate_rows, _surrogate_stream
from laaciq.theory import quantizer
from laaciq.theory.mse import noise_coefficient

__all__ = ["exact_alpha_weighted"]



def _src_chunks(src):
    """``(|x| chunk as float64, weight)`` over weighted sources ``[(x1d, w), ...]``."""
    for x1, wt in src:
        for lo in range(0, x1.size, params.PARAMS.chunk):
            yield np.abs(x1[lo:lo + params.PARAMS.chunk]).astype(np.float64), wt


def _lloyd_stream(src, s, L, iters=6):
    """:func:`_lloyd` on weighted 1-D sources (one row; sums over chunks)."""
    def moments(s):
        sv = float(s[0])
        fs, s1s, s2s = [], [], []
        for ac, wt in _src_chunks(src):
            k = np.minimum(np.floor(ac / sv + 0.5), L)
            e = ac - k * sv
            fs.append(wt * float(e @ e))
            s1s.append(wt * float(ac @ k))
            s2s.append(wt * float(k @ k))
        return (np.array([math.fsum(fs)]), np.array([math.fsum(s1s)]),
                np.array([math.fsum(s2s)]))
    f, sb = _lloyd(moments, np.array([float(s)]), iters)
    return float(f[0]), float(sb[0])


def _histogram_atoms(src, w, amax):
    """Atoms of a (weighted) histogram of ``|x|`` with bins of width ``w`` (empty bins
    dropped)."""
    B = int(amax / w) + 1
    inv = 1.0 / w
    cnt = np.zeros(B)
    terms = np.zeros(B)
    s1 = np.zeros(B)
    s2 = np.zeros(B)
    chunks = 0
    for ac, wt in _src_chunks(src):
        idx = (ac * inv).astype(np.int64)
        np.minimum(idx, B - 1, out=idx)
        c = np.bincount(idx, minlength=B)
        terms += c
        cnt += wt * c
        s1 += wt * np.bincount(idx, ac, B)
        s2 += wt * np.bincount(idx, ac * ac, B)
        chunks += 1
    keep = np.flatnonzero(terms)
    c, p1, p2 = cnt[keep], s1[keep], s2[keep]
    kf = keep.astype(np.float64)
    lo = np.maximum(0.0, (kf - 1e-6) * w)
    hi = (kf + 1 + 1e-6) * w
    hi[-1] = max(hi[-1], amax * (1 + 1e-12))
    P0, e0 = _prefix(c[None])
    P1, _ = _prefix(p1[None])
    P2, _ = _prefix(p2[None])
    err = e0 + float(terms.max()) + 2 * chunks
    return _Atoms(lo[None], hi[None], P0, P1, P2, err)


def _true_stream(x1, L, rounding, stats):
    """Exact true-MSE minimizer of one large 1-D tensor (streaming; no sort of the data)."""
    c_u = noise_coefficient(_bits_of(L), "uniform")
    guess, _ = _surrogate_stream(x1, c_u, False, {}) if np.any(x1) else (1.0, 0.0)
    alpha, err = _true_sources([(x1, 1.0)], L, rounding, stats, guess)
    return alpha, err / x1.size


def _true_sources(src, L, rounding, stats, guess=None):
    """Exact minimizer of the weighted true error ``Σ_sources w Σ (x - Q(x))²`` over weighted
    1-D sources (streaming); returns ``(alpha, weighted error sum)``. ``guess``: a starting
    threshold for Lloyd (else the "uniform" surrogate of a subsample)."""
    n = sum(int(x.size) for x, _ in src)
    amax, amin, sq = 0.0, math.inf, []
    for ac, wt in _src_chunks(src):
        if ac.size:
            amax = max(amax, float(np.max(ac)))
            pos = ac[ac > 0]
            if pos.size:
                amin = min(amin, float(pos.min()))
        sq.append(wt * float(ac @ ac))
    if amax == 0:
        return 1.0, 0.0
    A2 = np.array([math.fsum(sq)])
    if guess is None:
        sub = np.concatenate([np.abs(x[::max(1, x.size >> 14)]) for x, _ in src])
        c_u = noise_coefficient(_bits_of(L), "uniform")
        guess = float(_surrogate_rows(sub.astype(np.float64)[None], c_u, False)[0][0])
        if not guess > 0:
            guess = amax
    U, s_U = _lloyd_stream(src, guess / L, L, iters=3)
    box = {"s": s_U}
    w = min(s_U / 64, amax / 1024)
    w = max(w, amax / (1 << 20))
    at = _histogram_atoms(src, w, amax)
    m = at.m
    P0 = at.P0[0]
    alpha_lo = float(_clip_bound(at, np.array([U]))[0])
    alpha_lo = max(alpha_lo, amin)
    s_hi = np.array([2 * amax * (1 + 1e-12)])
    s_lo = np.minimum(np.array([alpha_lo / L]), s_hi * 0.5)
    Uarr = np.array([U])

    def improve(rows, s):
        f, s_new = _lloyd_stream(src, float(s[0]), L, iters=1)
        if f < Uarr[0]:
            Uarr[0], box["s"] = f, s_new

    gr, g1, g2 = _branch_and_bound(at, Uarr, s_lo, s_hi, L, n, improve, stats, A2)
    gr, g1, g2 = _narrow(gr, g1, g2, L)
    st, vlo, vhi = _scan_stream(src, g1, g2, L, at.total1[0] / max(P0[-1], 1e-300) * n,
                                stats)
    keep = _near_filter(np.zeros(st.size, dtype=np.int64), vlo, vhi,
                        np.array([Uarr[0] * (1 + 1e-13)]), _noise_floor(Uarr, A2), stats)
    stats["near_max"] = max(stats.get("near_max", 0), int(keep.sum()))
    cands = np.r_[box["s"], st[keep]] * L
    errs = _sq_err_stream(src, cands, L, rounding)
    j = int(np.argmin(errs))
    if "_low" in stats:
        _, low = stats.pop("_low")
        got = float(errs[j])
        stats["certified_gap"] = max(stats.get("certified_gap", 0.0),
                                     (got - float(low[0])) / got if got > 0 else 0.0)
    stats["candidates"] = stats.get("candidates", 0) + int(cands.size)
    return float(cands[j]), float(errs[j])


def _scan_stream(src, g1, g2, L, total1, stats):
    """Scan the intervals of weighted sources: intervals are cut so that each batch generates
    at most ``PARAMS.trans_block`` breakpoints (one streaming pass per batch)."""
    n = sum(int(x.size) for x, _ in src)
    # memory ≈ 190 bytes per breakpoint
    block = min(params.PARAMS.trans_block, max(1 << 14, n // 32))
    s1l, s2l = [], []
    for a1, a2 in zip(g1, g2):
        est = total1 * (1 / a1 - 1 / a2)
        parts = max(1, int(math.ceil(est / block)))
        e = a1 * (a2 / a1) ** np.linspace(0, 1, parts + 1)
        e[0], e[-1] = a1, a2
        s1l.extend(e[:-1])
        s2l.extend(e[1:])
    s1a, s2a = np.array(s1l), np.array(s2l)
    est = total1 * (1 / s1a - 1 / s2a)
    out = []
    i = 0
    scanned = 0
    while i < s1a.size:
        j = i + 1
        tot = est[i]
        while j < s1a.size and tot + est[j] <= block:
            tot += est[j]
            j += 1
        G = j - i
        a1, a2 = s1a[i:j], s2a[i:j]
        T = [[[] for _ in range(G)] for _ in range(3)]
        trans = []
        for ac, wt in _src_chunks(src):
            A = ac[None]
            for q in range(G):
                s0, jh, jl, t0, t1, t2 = _initial(A, a1[q:q + 1], a2[q:q + 1], L)
                for k, t in enumerate((t0, t1, t2)):
                    T[k][q].append(wt * float(t[0]))
                tr = _transitions(A, jh, jl, s0)
                trans.append((tr[0] + q,) + tuple(wt * d for d in tr[2:]) + (tr[1],))
        s0 = np.sqrt(a1 * a2)
        g = np.concatenate([t[0] for t in trans])
        order = np.argsort(g, kind="stable")          # group-contiguous, chunk order kept
        g = g[order]
        d0, d1, d2, b = (np.concatenate([t[k] for t in trans])[order] for k in range(1, 5))
        scanned += g.size
        Ts = [np.array([math.fsum(t) for t in Tk]) for Tk in T]
        _, st, vlo, vhi, _ = _scan_states(*Ts, g, b, d0, d1, d2, s0, G, n)
        out.append((st, vlo, vhi))
        i = j
    stats["breakpoints"] = stats.get("breakpoints", 0) + scanned
    if not out:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    return tuple(np.concatenate([o[q] for o in out]) for q in range(3))


def exact_alpha_weighted(sources, bits: int = 4, rounding: str = "half_up"):
    """The exact true-MSE minimizer of a *weighted pool* of tensors: ``sources`` is a sequence
    of ``(array, weight)`` and the objective is ``Σ_j w_j Σ_{x ∈ array_j} (x - Q_α(x))²`` — e.g.
    a language's effective law ``P_λ = Σ_l ā_l(λ) P_l`` with ``w_l = ā_l/n_l``. Same algorithm
    as the streaming path of :func:`exact_alpha`. Returns ``(alpha, objective value)``."""
    bits = check_bits(bits)
    check_choice(rounding, "rounding", quantizer.ROUNDINGS)
    src = []
    for i, (arr, wt) in enumerate(sources):
        a = check_input(arr).reshape(-1)
        wt = float(wt)
        if not math.isfinite(wt) or wt < 0:
            raise ValueError(f"sources[{i}] weight must be finite and >= 0, got {wt!r}")
        if wt > 0:
            src.append((a, wt))
    if not src:
        raise ValueError("sources is empty: need at least one array with a positive weight")
    stats: dict = {}
    return _true_sources(src, quantizer.levels(bits), rounding, stats)
