"""The compiled engine of the weighted objective ``Σ_i c_i (w_i - Q_α(w_i))²`` (numba, one row at
a time; ``PROOF.md`` §8, with the bracket of §4 and the bounds of §5 carried over to weights).

The same design as the true-MSE kernel (:mod:`laaciq.tensor.exact.compiled`), with weights:
an upper value ``U`` (the error at a few thresholds and at the optional hint, then weighted Lloyd
steps, none of which increases the error), the bracket ``[s_lo, s_hi]`` from the weighted clip and
zero bounds, branch and bound on ``s``-intervals with the weighted value-by-value bound
``Σ c·dist(a, G(I))²`` (values below the last non-empty gap one by one, the clipped tail from
weighted prefix sums, minus a rounding margin), then every breakpoint of the intervals left is
generated, bucket-sorted (stable; O(n) for breakpoints spread evenly over a run) and scanned with
the running sums ``S1 = Σ c a k``, ``S2 = Σ c k²``. Each piece's vertex is clamped to its closed
interval (at a breakpoint both codes give the same error); the pieces within rounding of the best
and the Lloyd point are evaluated with the quantizer's own arithmetic and the best is returned. The error, the Lloyd steps and the float32 value-by-value
bound are the true-MSE kernels' own (``_sse``, ``_lloyd``, ``_direct_sum32``), called with the
weights. Constants: :data:`~laaciq.tensor.exact.params.PARAMS`.
"""

from __future__ import annotations

import numpy as np

from laaciq.tensor.exact.compiled import _CAP, _FINAL, _ROUNDS, _SCAN_NS, _SPLIT, _START, \
    _bucket_insert, _lloyd, _sse
from laaciq.tensor.exact.compiled_bounds import _EPS, _count_le, _direct_sum32, \
    _gap_cut, _jit, _jit_sum, _merge_runs, _push_interval, _split_interval


@_jit
def _wprefix(a, c, P):
    """Exclusive prefix sums of ``c``, ``c a``, ``c a²`` (sequential) into ``P`` (3, m+1)."""
    P[0, 0] = 0.0
    P[1, 0] = 0.0
    P[2, 0] = 0.0
    for i in range(a.size):
        P[0, i + 1] = P[0, i] + c[i]
        P[1, i + 1] = P[1, i] + c[i] * a[i]
        P[2, i + 1] = P[2, i] + c[i] * a[i] * a[i]


@_jit
def _wregion(P, i, j, t):
    """``Σ c (a - t)²`` over sorted values ``i..j-1`` and the magnitude of its rounding."""
    if j <= i:
        return 0.0, 0.0
    p0 = P[0, j] - P[0, i]
    p1 = P[1, j] - P[1, i]
    p2 = P[2, j] - P[2, i]
    return p2 - 2.0 * t * p1 + t * t * p0, P[2, j] + 2.0 * t * P[1, j] + t * t * P[0, j]


@_jit
def _wbracket(a, P, U, L):
    """``[s_lo, s_hi]``: the weighted clip bound (the last value whose clip error exceeds
    ``U``, by bisection; the clip error is non-increasing) and the zero bound (the first value
    whose prefix of ``c a²`` exceeds ``U``: every value below ``s/2`` rounds to 0)."""
    m = a.size
    g = 2.0 * (m + 8.0) * _EPS
    lo_i, hi_i = 0, m
    while lo_i < hi_i:
        mid = (lo_i + hi_i) >> 1
        C, mg = _wregion(P, mid, m, a[mid])
        if C - g * mg > U:
            lo_i = mid + 1
        else:
            hi_i = mid
    a_lo = a[lo_i - 1] if lo_i > 0 else 0.0
    k0 = _count_le(a, 0.0)
    vpos = a[k0] if k0 < m else a[m - 1]
    s_hi = 2.0 * a[m - 1] * (1.0 + 1e-12)
    for i in range(m):
        if P[2, i + 1] - g * P[2, m] > U * (1.0 + 1e-12):
            s_hi = min(s_hi, 2.0 * a[i] * (1.0 + 1e-9))
            break
    return min(max(a_lo, vpos) / L, 0.5 * s_hi), s_hi


@_jit_sum
def _wbound(a, c, a32, c32, P, s1, s2, L):
    """A lower bound of ``E(s)`` over ``s ∈ [s1, s2]`` (``PROOF.md`` §5 with weights) and its
    cost: ``Σ c·dist(a, ∪_k [k s1, k s2])²`` value by value below the last non-empty gap, the
    clipped tail ``Σ c (a - L s2)²`` from the prefix sums, minus the rounding of both; the
    first part in float32 (:func:`~laaciq.tensor.exact.compiled_bounds._direct_sum32` with the
    weights) when the row's values are float32 numbers (``a32``, ``c32`` non-empty) and at most
    2^16 of them."""
    m = a.size
    ngap, ct, cut, it = _gap_cut(a, s1, s2, L)
    tail, tmag = _wregion(P, it, m, ct)
    if a32.size == m and m <= 65536:
        tot = _direct_sum32(a32, cut, s1, s2, L, c32)
        lb = tot + tail - (2.0 * (m + 8.0) * _EPS * tmag + 4.0 * _EPS * abs(tail))
        return lb, 0.2 * cut + 20.0
    sl = 8.0 * _EPS * (2.0 * ct + s2)
    tot = 0.0
    for i in range(cut):
        k = np.floor(a[i] / s2)
        d = min(a[i] - k * s2, (k + 1.0) * s1 - a[i]) - (sl + 8.0 * _EPS * a[i])
        d = max(d, 0.0)
        tot += c[i] * d * d
    tot *= 1.0 - 4.0 * (cut + 4.0) * _EPS
    lb = tot + tail - (2.0 * (m + 8.0) * _EPS * tmag + 4.0 * _EPS * abs(tail))
    return lb, 0.4 * cut + 20.0


@_jit
def _wbranch(a, c, a32, c32, P, L, s_lo, s_hi, U, Bf, stats):
    """Branch and bound on ``[s_lo, s_hi]``: intervals whose bound exceeds ``U`` are dropped,
    survivors split in ``_SPLIT`` until scanning them costs less than bounding their parts.
    Returns the intervals to scan ``(f1, f2, nf)``."""
    m = a.size
    cap = Bf.shape[1]
    c1, c2, n1, n2, f1, f2 = Bf[0], Bf[1], Bf[2], Bf[3], Bf[4], Bf[5]
    nf = 0
    ratio = s_hi / s_lo
    for q in range(_START):
        c1[q] = s_lo * ratio ** (q / _START)
        c2[q] = s_lo * ratio ** ((q + 1) / _START)
    c1[0] = s_lo
    c2[_START - 1] = s_hi
    ncur = _START
    asum = 0.0
    for i in range(m):
        asum += a[i]
    for rnd in range(_ROUNDS):
        nn = 0
        for q in range(ncur):
            a1, a2 = c1[q], c2[q]
            lb, cost = _wbound(a, c, a32, c32, P, a1, a2, L)
            stats[1] += 1.0
            if lb > U * (1.0 + 1e-10):
                continue
            est = asum * (1.0 / a1 - 1.0 / a2)
            if _SCAN_NS * est <= _FINAL * _SPLIT * cost or rnd == _ROUNDS - 1 \
                    or nn + _SPLIT > cap:
                f1, f2, nf = _push_interval(f1, f2, nf, a1, a2)
            else:
                nn = _split_interval(n1, n2, nn, a1, a2, _SPLIT)
        if nn == 0:
            break
        c1, n1 = n1, c1
        c2, n2 = n2, c2
        ncur = nn
    return f1, f2, nf


@_jit
def _wsort(a, K0, JL, S1, S2, nev, eb, ei, ej):
    """The ``nev`` breakpoints ``a_i/(j+½)``, ``JL[i] ≤ j < K0[i]``, sorted into ``eb`` (with
    their value index ``ei`` and level ``ej``) by one bucket pass over ``[S1, S2]`` (about one
    per bucket) with insertion inside a bucket. Stable: equal breakpoints keep the order they
    are generated in (``i`` ascending, then ``j``), so the scan's sums do not depend on a sort's
    tie order. O(nev) for breakpoints spread evenly over a run (the compiled true-MSE kernel's
    ``_bucket_sort``, here on weighted values; the insertion is its ``_bucket_insert``)."""
    m = a.size
    tb = np.empty(nev)
    tq = np.empty(nev, np.int64)
    cnt = np.zeros(nev + 1, np.int64)
    span = S2 - S1
    scale = nev / span if span > 0.0 else 0.0
    if not scale < 1e300:
        scale = 0.0
    top = nev - 1.0
    e = 0
    for i in range(m):                          # generate: one division per breakpoint
        j = JL[i]
        while j < K0[i]:
            b = a[i] / (j + 0.5)
            q = int(min(max((b - S1) * scale, 0.0), top))     # non-decreasing in b
            tb[e] = b
            tq[e] = q
            cnt[q + 1] += 1
            e += 1
            j += 1.0
    for q in range(nev):
        cnt[q + 1] += cnt[q]
    first = cnt[:nev].copy()
    e = 0
    for i in range(m):                          # place, in generation order
        j = JL[i]
        while j < K0[i]:
            _bucket_insert(tb[e], i, j, tq[e], cnt, first, eb, ei, ej)
            e += 1
            j += 1.0


@_jit
def _wscan(a, c, A0, S1, S2, L, cand, ncand, best, stats, K0, JL):
    """Scan the pieces of ``s ∈ [S1, S2]``: codes just above ``S1``, then one code down at each
    breakpoint ``a/(j+½)`` in ``(S1, S2]`` (sorted by :func:`_wsort`); each piece's vertex
    ``Σcak/Σck²`` clamped to its closed interval. Pieces within rounding of the best go into
    ``cand`` (s, value). ``K0``, ``JL`` (m,): work buffers (each value's codes at ``S1``, ``S2``)."""
    m = a.size
    S1a = 0.0
    S2a = 0.0
    nev = 0
    for i in range(m):
        k0 = min(L, max(0.0, np.ceil(a[i] / S1 - 0.5)))
        jl = min(L, max(0.0, np.ceil(a[i] / S2 - 0.5)))
        if k0 > jl:
            nev += int(k0 - jl)
        K0[i] = k0
        JL[i] = jl
        S1a += c[i] * a[i] * k0
        S2a += c[i] * k0 * k0
    stats[0] += nev
    eb = np.empty(nev)
    ei = np.empty(nev, np.int64)
    ej = np.empty(nev)
    if nev:
        _wsort(a, K0, JL, S1, S2, nev, eb, ei, ej)
    left = S1
    tolf = 8.0 * (m + nev + 8.0) * _EPS
    for t in range(nev + 1):
        right = S2 if t == nev else min(max(eb[t], S1), S2)
        if S2a > 0.0:
            s = S1a / S2a
            s = min(max(s, left), right)
            if s > 0.0:
                val = A0 - 2.0 * s * S1a + s * s * S2a
                tol = tolf * (A0 + 2.0 * s * abs(S1a) + s * s * S2a)
                if val - tol <= best[0]:
                    if val + tol < best[0]:
                        best[0] = val + tol
                    if ncand < cand.shape[1]:
                        cand[0, ncand] = s
                        cand[1, ncand] = val - tol
                        ncand += 1
                    else:                     # full: replace the worst lower value
                        w = 0
                        for q in range(1, ncand):
                            if cand[1, q] > cand[1, w]:
                                w = q
                        if val - tol < cand[1, w]:
                            cand[0, w] = s
                            cand[1, w] = val - tol
        if t < nev:
            i = ei[t]
            j = ej[t]
            S1a -= c[i] * a[i]
            S2a -= c[i] * (2.0 * j + 1.0)
            left = right
    return ncand


@_jit
def weighted_rows(Araw, Craw, O, f32, L, hint, alpha, err, stats):
    """The exact weighted optimum of every row of magnitudes ``Araw`` (R, m) with weights
    ``Craw`` (R, m) (or (1, m): the same weights for every row), ``O`` (R, m) the ascending order of each row; ``f32``: the values are
    float32 numbers (then the bounds run in float32, weights rounded down); ``hint`` (R,) thresholds (≤ 0: none); writes ``alpha`` and the error
    ``err`` (R,) (the quantizer's half-up arithmetic on magnitudes);
    ``stats`` (3,) accumulates ``[breakpoints, intervals bounded, candidates evaluated]``."""
    R, m = Araw.shape
    P = np.empty((3, m + 1))
    a = np.empty(m)
    c = np.empty(m)
    a32 = np.empty(m if f32 else 0, np.float32)
    c32 = np.empty(m if f32 else 0, np.float32)
    Bf = np.empty((6, _START * _SPLIT ** 5 + 16))
    cand = np.empty((2, _CAP))
    K0 = np.empty(m)
    JL = np.empty(m)
    fr = np.array([0.45, 0.6, 0.7, 0.8, 0.9, 1.0])
    for r in range(R):
        rc = r if Craw.shape[0] == R else 0
        for i in range(m):                  # the row sorted, weights of zero values set to 0
            a[i] = Araw[r, O[r, i]]
            c[i] = Craw[rc, O[r, i]] if a[i] > 0.0 else 0.0
        if f32:
            for i in range(m):
                a32[i] = np.float32(a[i])
                c32[i] = np.float32(c[i])
                if np.float64(c32[i]) > c[i]:
                    c32[i] = np.nextafter(c32[i], np.float32(0.0))
        amax = a[m - 1]
        _wprefix(a, c, P)
        A0 = P[2, m]
        if not A0 > 0.0:
            alpha[r] = amax if amax > 0.0 else 1.0
            err[r] = 0.0
            continue
        U = np.inf
        sU = amax / L
        for f in fr:
            e = _sse(a, f * amax, L, c)
            if e < U:
                U, sU = e, f * amax / L
        if hint[r] > 0.0:
            e = _sse(a, hint[r], L, c)
            if e < U:
                U, sU = e, hint[r] / L
        U, sU = _lloyd(a, sU, L, 4, U, sU, c)
        s_lo, s_hi = _wbracket(a, P, U, L)
        f1, f2, nf = _wbranch(a, c, a32, c32, P, L, s_lo, s_hi, U, Bf, stats)
        R1, R2, nr = _merge_runs(f1, f2, nf)     # adjacent intervals are scanned as one run
        best = np.array([U * (1.0 + 1e-12)])
        ncand = 0
        for q in range(nr):
            ncand = _wscan(a, c, A0, R1[q], R2[q], L, cand, ncand, best, stats, K0, JL)
        best_a = sU * L
        best_e = _sse(a, best_a, L, c)
        for k in range(ncand):
            if cand[1, k] <= best[0]:
                al = cand[0, k] * L
                e = _sse(a, al, L, c)
                stats[2] += 1.0
                if e < best_e:
                    best_e, best_a = e, al
        alpha[r] = best_a
        err[r] = best_e
