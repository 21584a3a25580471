"""The compiled engine (numba): the exact per-slice true-MSE optimum one row at a time
(``PROOF.md`` §3–§6; the numpy engine, :mod:`laaciq.tensor.exact.numpy_engine`, is the same
algorithm in padded batches).

An upper value ``U`` from Lloyd iterations, the bracket ``[s_lo, s_hi]`` from the clip and zero
bounds, branch and bound on ``s``-intervals with the gap-sum lower bound ``Σ dist(a, G(I))²``
(prefix sums, minus a rigorous rounding margin), then a scan of every breakpoint left in shifted
sums with a rounding bound ``tol`` per piece. Every piece whose value may be within ``tol`` of the
best, and the Lloyd point, is evaluated with the quantizer's own arithmetic
(``k = ⌊t⌋ + [t - ⌊t⌋ ≥ ½]`` of ``t = min(a, α)/s``, ``s = α/L``, as
:func:`laaciq.theory.quantizer.quantize`) and the best is returned.

What differs from the numpy engine is the bookkeeping, not the mathematics: intervals are handled
per row with scalar loops (no padded batches); the breakpoints of a run of adjacent intervals are
found by one merged walk of the row and the levels' thresholds and bucket-sorted; the
value-by-value bound, the Lloyd moments and the error sums run in vector lanes (additions in any
order: every rounding bound used holds for any order), the bound in float32 for float32 rows
(margins as the numpy engine's ``_direct32``).

Inputs are rows of sorted magnitudes ``|x|`` (float64, ascending; finite: the caller's check).
The error of a signed value equals that of its magnitude under half-up rounding (at a tie both
neighbouring levels are equally far), so the returned sums are those of the signed rows, added
in another order. Constants: :data:`laaciq.tensor.exact.params.PARAMS` (read at import).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from laaciq.tensor.exact.params import PARAMS
from laaciq.tensor.exact.slices import _sq_err

_EPS = float(np.finfo(np.float64).eps)
# compile-time constants of the kernels, all read from the one parameter set
_START = PARAMS.start_intervals
_SPLIT = PARAMS.split
_ROUNDS = PARAMS.max_rounds
_FINAL = PARAMS.final
_SCAN_NS = PARAMS.scan_ns
_CAP = PARAMS.compiled_cap
_WMAX = PARAMS.compiled_wmax

_jit = nb.njit(cache=True, nogil=True)
# sums of many terms may be added in any order (vector lanes); nothing else is relaxed. Every
# bound on such a sum used here holds for any order of the additions.
_jit_sum = nb.njit(cache=True, nogil=True, fastmath={"reassoc"})


@_jit
def _count_le(v, q):
    """Number of entries of sorted ``v`` that are ``≤ q``."""
    lo, hi = 0, v.size
    while lo < hi:
        mid = (lo + hi) >> 1
        if v[mid] <= q:
            lo = mid + 1
        else:
            hi = mid
    return lo


@_jit
def _count_lt(v, q):
    """Number of entries of sorted ``v`` that are ``< q``."""
    lo, hi = 0, v.size
    while lo < hi:
        mid = (lo + hi) >> 1
        if v[mid] < q:
            lo = mid + 1
        else:
            hi = mid
    return lo


@_jit_sum
def _sse(v, alpha, L):
    """``Σ (a - Q_α(a))²`` with :func:`quantizer.quantize`'s operations (half-up rounding)."""
    s = alpha / L
    tot = 0.0
    for i in range(v.size):
        a = v[i]
        t = (a if a < alpha else alpha) / s
        r = np.floor(t)
        k = r + 1.0 if t - r >= 0.5 else r
        if k > L:
            k = float(L)
        e = a - k * s
        tot += e * e
    return tot


@_jit_sum
def _moments(v, s, L):
    """``(E, Σ a k, Σ k²)`` at the rounding codes of step ``s`` (a Lloyd step's inputs)."""
    e2 = 0.0
    sak = 0.0
    skk = 0.0
    for i in range(v.size):
        a = v[i]
        k = np.floor(a / s + 0.5)
        if k > L:
            k = float(L)
        e = a - k * s
        e2 += e * e
        sak += a * k
        skk += k * k
    return e2, sak, skk


@_jit
def _lloyd(v, s, L, iters, best_f, best_s):
    """Lloyd iterations from ``s`` (neither step increases ``E``); returns the best ``(E, s)``
    seen, starting from ``(best_f, best_s)``."""
    for _ in range(iters):
        f, sak, skk = _moments(v, s, L)
        if f < best_f:
            best_f, best_s = f, s
        if skk <= 0.0:
            break
        s_new = sak / skk
        if not s_new > 0.0 or abs(s_new - s) <= 1e-13 * s:
            break
        s = s_new
    return best_f, best_s


@_jit
def _prefix(v, P1, P2):
    """Exclusive prefix sums of ``v`` and ``v²`` in blocks of ``b ≈ √m`` (each entry carries at
    most ``b + m/b + 2`` roundings); returns that count."""
    m = v.size
    b = max(1, int(np.sqrt(m)))
    off1 = 0.0
    off2 = 0.0
    P1[0] = 0.0
    P2[0] = 0.0
    i = 0
    nb_ = 0
    while i < m:
        in1 = 0.0
        in2 = 0.0
        j = i
        while j < m and j < i + b:
            in1 += v[j]
            in2 += v[j] * v[j]
            P1[j + 1] = off1 + in1
            P2[j + 1] = off2 + in2
            j += 1
        off1 += in1
        off2 += in2
        nb_ += 1
        i = j
    return float(b + nb_ + 2)


@_jit
def _region(P1, P2, i, j, c):
    """``Σ (a - c)²`` over sorted values ``i..j-1`` and the magnitude its rounding scales with."""
    if j <= i:
        return 0.0, 0.0
    p0 = float(j - i)
    p1 = P1[j] - P1[i]
    p2 = P2[j] - P2[i]
    return p2 - 2.0 * c * p1 + c * c * p0, P2[j] + 2.0 * c * P1[j] + c * c * float(j)


@_jit_sum
def _direct_sum(v, cut, s1, s2, sl):
    """``Σ_{i<cut} max(0, min(a - k s2, (k+1) s1 - a) - sl - 8 eps a)²`` with ``k = ⌊a/s2⌋``:
    the bound on a sum of ``cut`` non-negative terms is the same in any order of additions."""
    tot = 0.0
    e8 = 8.0 * _EPS
    for i in range(cut):
        a = v[i]
        k = np.floor(a / s2)
        d = min(a - k * s2, (k + 1.0) * s1 - a) - (sl + e8 * a)
        d = max(d, 0.0)
        tot += d * d
    return tot


_EPS32 = float(np.finfo(np.float32).eps)


@_jit_sum
def _direct_sum32(v32, cut, s1, s2, L):
    """:func:`_direct_sum` in float32 arithmetic (twice the vector lanes) for float32 values:
    the interval is widened outward to float32 ends (a wider interval only lowers the bound),
    each distance is lowered by ``8·eps32·(a_cut + (2L+1)·s2)`` (its float32 rounding: ``a``,
    ``k·s2`` and ``(k+1)·s1`` are all below that sum) and the float32 sum of ``cut`` squares by
    the factor ``1 - 4(cut + 4)·eps32``. Returns a float64 lower bound."""
    a1 = np.float32(s1)
    if np.float64(a1) > s1:
        a1 = np.nextafter(a1, np.float32(-np.inf))
    a2 = np.float32(s2)
    if np.float64(a2) < s2:
        a2 = np.nextafter(a2, np.float32(np.inf))
    top = np.float64(v32[cut - 1]) if cut > 0 else 0.0
    mg = np.float32(8.0 * _EPS32 * (top + (2.0 * L + 1.0) * np.float64(a2)) * 1.01)
    zero = np.float32(0.0)
    one = np.float32(1.0)
    tot = np.float32(0.0)
    for i in range(cut):
        a = v32[i]
        k = np.floor(a / a2)
        d = min(a - k * a2, (k + one) * a1 - a) - mg
        d = max(d, zero)
        tot += d * d
    return np.float64(tot) * (1.0 - 4.0 * (cut + 4.0) * _EPS32)


@_jit
def _bound(v, v32, P1, P2, err, s1, s2, L, logm, mode=0):
    """A rigorous lower bound of ``E(s)`` over ``s ∈ [s1, s2]`` and its cost (ns, measured):
    every value costs at least its squared distance to ``G = ∪_k [k s1, k s2]``, a value above
    ``L s2`` at least ``(a - L s2)²``. Only the gaps ``(k s2, (k+1) s1)`` with
    ``k < s1/(s2 - s1)`` are non-empty (+2 for the rounding of the ratio): either their sums
    from the prefix sums (two searches a gap), or the distances value by value over the values
    below the last non-empty gap, whichever is cheaper (``mode`` 1: gap sums, 2: value by
    value, for the tests), the latter in float32 when the row's values are float32 numbers
    (``v32`` the same sorted row, empty otherwise) and short enough for the float32 margin
    (``≤ 2^16`` values). The rounding margins are subtracted."""
    m = v.size
    if s2 - s1 > 0.0:
        g = s1 / (s2 - s1)
        ngap = L if g >= L else min(L, int(g) + 2)
    else:
        ngap = L
    ct = L * s2
    cut = _count_lt(v, min(ngap + 1, L) * s2)          # values a < (ngap+1)·s2
    it = max(_count_le(v, ct), cut)                     # values a > L·s2 from it
    tail, tmag = _region(P1, P2, it, m, ct)
    gap_cost = 2.0 * (3.0 * ngap + 1.0) * logm
    f32 = v32.size == m and m <= 65536
    direct_cost = (0.2 if f32 else 0.4) * cut
    if mode == 2 or (mode == 0 and direct_cost < gap_cost):
        if f32:
            tot = _direct_sum32(v32, cut, s1, s2, L)
            lb = tot + tail - ((2.0 * err + 16.0) * _EPS * tmag + 4.0 * _EPS * abs(tail))
            return lb, direct_cost + 20.0
        # value by value: dist = min(a - k s2, (k+1) s1 - a), k = ⌊a/s2⌋ (a wrong floor by one
        # only lowers it), lowered by 8 eps (a + 2 L s2 + s2) before squaring; the sequential
        # sum of ``cut`` squares is lowered by the factor 1 - 2(cut + 4) eps
        tot = _direct_sum(v, cut, s1, s2, 8.0 * _EPS * (2.0 * ct + s2))
        tot *= 1.0 - 2.0 * (cut + 4.0) * _EPS
        lb = tot + tail - ((2.0 * err + 16.0) * _EPS * tmag + 4.0 * _EPS * abs(tail))
        return lb, direct_cost + 20.0
    tot = tail
    mag = tmag
    for k in range(ngap):
        cl = k * s2
        cr = (k + 1) * s1
        if cl < cr:
            mid = 0.5 * (cl + cr)
            ia = _count_le(v, cl)
            ib = _count_le(v, mid)
            idd = _count_lt(v, cr)
            x, y = _region(P1, P2, ia, ib, cl)
            tot += x
            mag += y
            x, y = _region(P1, P2, ib, idd, cr)
            tot += x
            mag += y
    return tot - ((2.0 * err + 16.0) * _EPS * mag + 4.0 * _EPS * abs(tot)), gap_cost + 20.0


@_jit
def _uniform_start(v, L):
    """The exact optimum of the convex "uniform" surrogate ``Σ_{a>α}(a-α)²/m + α²/(12 L²)``: the
    piece (top ``k`` values above ``α``) whose stationary point ``S_k/(k + c m)`` lies in it."""
    m = v.size
    c = 1.0 / (12.0 * L * L)
    S = 0.0
    for k in range(1, m + 1):
        S += v[m - k]
        al = S / (k + c * m)
        lower = v[m - k - 1] if k < m else 0.0
        if lower <= al <= v[m - k]:
            return al
    return v[m - 1]


@_jit
def _take(cand_lo, cand_hi, cand_s, ncand, vlo, vhi, st, H, stats):
    """Add a near-best piece to the candidate buffer (full: drop what the running best ``H``
    excludes, then the highest lower value, recording the lowest value dropped)."""
    if ncand == cand_lo.size:
        w = 0
        for c in range(ncand):
            if cand_lo[c] <= H:
                cand_lo[w] = cand_lo[c]
                cand_hi[w] = cand_hi[c]
                cand_s[w] = cand_s[c]
                w += 1
        ncand = w
        if ncand == cand_lo.size:
            worst = 0
            for c in range(1, ncand):
                if cand_lo[c] > cand_lo[worst]:
                    worst = c
            stats[3] = 1.0
            if vlo >= cand_lo[worst]:
                stats[4] = min(stats[4], vlo)
                return ncand
            stats[4] = min(stats[4], cand_lo[worst])
            ncand -= 1
            cand_lo[worst] = cand_lo[ncand]
            cand_hi[worst] = cand_hi[ncand]
            cand_s[worst] = cand_s[ncand]
    cand_lo[ncand] = vlo
    cand_hi[ncand] = vhi
    cand_s[ncand] = st
    return ncand + 1


@_jit
def _scan_run(v, S1, S2, L, U, floor_, cand_lo, cand_hi, cand_s, ncand, H, stats, lo, hi,
              wf, wi):
    """Scan the pieces of ``s ∈ (S1, S2]`` (``L·log(S2/S1) ≤ _WMAX``) in shifted sums around
    ``s0 = √(S1 S2)``; near-best pieces go into the candidate buffer. ``lo``, ``hi`` (L,),
    ``wf`` (2, K) and ``wi`` (2, K) are work buffers (larger ones are made when K is short).
    Returns the new candidate count and the running best upper value ``H``."""
    m = v.size
    s0 = np.sqrt(S1 * S2)
    # initial codes just above S1, k_i = #{q < L : a_i > (q+½)·S1}, and per level q the range
    # lo[q]..hi[q]-1 of the values with a breakpoint in (S1, S2]: (q+½)·S1 < a ≤ (q+½)·S2
    # (one merged walk of the sorted values and both increasing threshold lists)
    T0 = 0.0
    T1 = 0.0
    T2 = 0.0
    A1 = 0.0
    j = 0
    tj = 0.5 * S1
    jh = 0
    th = 0.5 * S2
    for i in range(m):
        a = v[i]
        while j < L and a > tj:
            lo[j] = i
            j += 1
            tj = (j + 0.5) * S1
        while jh < L and a > th:
            hi[jh] = i
            jh += 1
            th = (jh + 0.5) * S2
        r = a - j * s0
        T0 += r * r
        T1 += j * r
        T2 += j * j
        A1 += abs(j * r)
    A0 = T0
    nev = 0
    for q in range(L):
        if q >= j:
            lo[q] = m
        if q >= jh:
            hi[q] = m
        if hi[q] < lo[q]:
            hi[q] = lo[q]
        nev += hi[q] - lo[q]
    # breakpoints b = a/(q+½), sorted by one bucket pass (about one per bucket) with insertion
    if nev + 1 > wf.shape[1]:
        wf = np.empty((2, 2 * nev + 2))
        wi = np.empty((3, 2 * nev + 2), np.int64)
    eb = wf[0]
    ea = wf[1]
    ej = wi[0]
    cnt = wi[1]
    first = wi[2]
    if nev:
        for c in range(nev + 1):
            cnt[c] = 0
        scale = nev / (S2 - S1)
        for q in range(L):
            inv = 1.0 / (q + 0.5)
            for i in range(lo[q], hi[q]):
                c = min(nev - 1, max(0, int((v[i] * inv - S1) * scale)))
                cnt[c + 1] += 1
        for c in range(nev):
            cnt[c + 1] += cnt[c]
        for c in range(nev):
            first[c] = cnt[c]
        for q in range(L):
            inv = 1.0 / (q + 0.5)
            for i in range(lo[q], hi[q]):
                b = v[i] * inv
                c = min(nev - 1, max(0, int((b - S1) * scale)))
                p = cnt[c]
                cnt[c] = p + 1
                # insertion into the bucket's filled part first[c]..p-1 (the bucket index
                # is non-decreasing in b: a lower bucket holds only smaller breakpoints)
                while p > first[c] and eb[p - 1] > b:
                    eb[p] = eb[p - 1]
                    ea[p] = ea[p - 1]
                    ej[p] = ej[p - 1]
                    p -= 1
                eb[p] = b
                ea[p] = v[i]
                ej[p] = q
    stats[0] += nev
    base = m + 8
    for t in range(nev + 1):
        if t > 0:
            a = ea[t - 1]
            o = 2 * ej[t - 1] + 1
            d0 = s0 * (2.0 * a - o * s0)
            d1 = o * s0 - a
            T0 += d0
            T1 += d1
            T2 -= o
            A0 += abs(d0)
            A1 += abs(d1)
            if t < nev and eb[t] == eb[t - 1]:
                continue                  # equal breakpoints: one piece after all of them
        if T2 <= 0.0:
            continue
        inv = 1.0 / T2
        q_ = T1 * T1 * inv
        val = T0 - q_
        g = (base + t) * _EPS
        e1 = g * A1
        tol = g * A0 + (2.0 * abs(T1) + e1) * e1 * inv + 6.0 * _EPS * (abs(T0) + q_)
        vlo = val - tol
        if vlo < U - floor_ and vlo <= H:
            st = s0 + T1 * inv
            if st > 0.0:
                ncand = _take(cand_lo, cand_hi, cand_s, ncand, vlo, val + tol, st, H, stats)
                H = min(H, val + tol)
    return ncand, H


@_jit
def _solve_row(v, v32, L, final, out, stats, P, Bf, lo, hi, wf, wi, cand):
    """The exact true-MSE optimum of one row of sorted magnitudes ``v``: writes
    ``(α, Σ(a - Q_α(a))², candidates evaluated)`` into ``out``; ``stats``: ``[breakpoints,
    intervals bounded, rounds, capped, lowest value dropped]``."""
    m = v.size
    amax = v[m - 1]
    if not amax > 0.0:
        out[0] = 1.0
        out[1] = 0.0
        out[2] = 0.0
        return
    P1 = P[0]
    P2 = P[1]
    err = _prefix(v, P1, P2)
    A2 = P2[m]
    U, sU = _lloyd(v, _uniform_start(v, L) / L, L, 6, np.inf, 1.0)
    U, sU = _lloyd(v, amax / L, L, 3, U, sU)
    floor_ = 4.0 * _EPS * np.sqrt(max(U, 0.0) * A2) + 4.0 * _EPS * _EPS * A2

    # bracket: the clip bound (α ≥ α_lo) and the zero bound (s ≤ s_hi)
    lo_i, hi_i = 0, m          # the last index whose clip error exceeds U, by bisection
    while lo_i < hi_i:
        mid = (lo_i + hi_i) >> 1
        c = v[mid]
        C, mg = _region(P1, P2, mid, m, c)
        if C - (2.0 * err + 16.0) * _EPS * mg > U:
            lo_i = mid + 1
        else:
            hi_i = mid
    a_lo = v[lo_i - 1] if lo_i > 0 else 0.0
    vpos = amax
    k0 = _count_le(v, 0.0)
    if k0 < m:
        vpos = v[k0]
    s_hi = 2.0 * amax * (1.0 + 1e-12)
    for i in range(m):
        if P2[i + 1] - (2.0 * err + 16.0) * _EPS * A2 > U * (1.0 + 1e-12):
            s_hi = min(s_hi, 2.0 * v[i] * (1.0 + 1e-9))
            break
    s_lo = min(max(a_lo, vpos) / L, 0.5 * s_hi)

    # branch and bound
    cap = Bf.shape[1]
    c1 = Bf[0]
    c2 = Bf[1]
    n1 = Bf[2]
    n2 = Bf[3]
    f1 = Bf[4]
    f2 = Bf[5]
    nf = 0
    ratio = s_hi / s_lo
    ncur = _START
    for q in range(_START):
        c1[q] = s_lo * ratio ** (q / _START)
        c2[q] = s_lo * ratio ** ((q + 1) / _START)
    c1[0] = s_lo
    c2[_START - 1] = s_hi
    logm = np.log2(m + 1.0)
    for rnd in range(_ROUNDS):
        stats[2] = max(stats[2], rnd + 1.0)
        nn = 0
        best_lb = np.inf
        best_q = -1
        for q in range(ncur):
            a1, a2 = c1[q], c2[q]
            lb, cost = _bound(v, v32, P1, P2, err, a1, a2, L, logm)
            stats[1] += 1.0
            if lb > U * (1.0 + 1e-10) or lb >= U - floor_:
                continue
            if lb < best_lb:
                best_lb, best_q = lb, q
            est = P1[m] * (1.0 / a1 - 1.0 / a2)      # breakpoints in the interval, about
            if _SCAN_NS * est <= final * _SPLIT * cost or rnd == _ROUNDS - 1 or nn + _SPLIT > cap:
                if nf == f1.size:
                    g1 = np.empty(2 * nf)
                    g2 = np.empty(2 * nf)
                    g1[:nf] = f1
                    g2[:nf] = f2
                    f1, f2 = g1, g2
                f1[nf] = a1
                f2[nf] = a2
                nf += 1
            else:
                r = a2 / a1
                for t in range(_SPLIT):
                    n1[nn + t] = a1 * r ** (t / _SPLIT)
                    n2[nn + t] = a1 * r ** ((t + 1) / _SPLIT)
                n1[nn] = a1
                n2[nn + _SPLIT - 1] = a2
                nn += _SPLIT
        if rnd < 3 and best_q >= 0:
            U, sU = _lloyd(v, np.sqrt(c1[best_q] * c2[best_q]), L, 2, U, sU)
            floor_ = 4.0 * _EPS * np.sqrt(max(U, 0.0) * A2) + 4.0 * _EPS * _EPS * A2
        if nn == 0:
            break
        c1, n1 = n1, c1
        c2, n2 = n2, c2
        ncur = nn

    # scan: adjacent intervals merged into runs, runs cut so that L·log(s2/s1) ≤ _WMAX
    order = np.argsort(f1[:nf])
    cand_lo = cand[0]
    cand_hi = cand[1]
    cand_s = cand[2]
    ncand = 0
    H = U
    q = 0
    while q < nf:
        S1 = f1[order[q]]
        S2 = f2[order[q]]
        q += 1
        while q < nf and f1[order[q]] <= S2:
            S2 = max(S2, f2[order[q]])
            q += 1
        parts = max(1, int(np.ceil(np.log(S2 / S1) * L / _WMAX)))
        r = S2 / S1
        prev = S1
        for t in range(parts):
            nxt = S2 if t == parts - 1 else S1 * r ** ((t + 1) / parts)
            ncand, H = _scan_run(v, prev, nxt, L, U, floor_, cand_lo, cand_hi, cand_s,
                                 ncand, H, stats, lo, hi, wf, wi)
            prev = nxt

    # exact evaluation: the Lloyd point first, then every piece within rounding of the best
    best_a = sU * L
    best_e = _sse(v, best_a, L)
    nev = 1
    for c in range(ncand):
        if cand_lo[c] <= H:
            al = cand_s[c] * L
            e = _sse(v, al, L)
            nev += 1
            if e < best_e:
                best_e, best_a = e, al
    out[0] = best_a
    out[1] = best_e
    out[2] = nev


@_jit
def true_rows(V, V32, L, alpha, sse, stats, final=_FINAL):
    """:func:`_solve_row` for every row of ``V`` (R, m) (``V32``: the same rows in float32 when
    they are float32 numbers, else an array of shape (R, 0)): ``alpha``, ``sse`` (R,) are written;
    ``stats`` (6,) accumulates ``[breakpoints, intervals bounded, rounds (max), rows capped,
    candidates evaluated, certified gap (max)]``."""
    out = np.empty(3)
    st = np.empty(5)
    m = V.shape[1]
    # work buffers, made once for all rows
    P = np.empty((2, m + 1))
    Bf = np.empty((6, _START * _SPLIT ** 5 + 16))
    lo = np.empty(L, np.int64)
    hi = np.empty(L, np.int64)
    wf = np.empty((2, 4 * m + 2))
    wi = np.empty((3, 4 * m + 2), np.int64)
    cand = np.empty((3, _CAP))
    for r in range(V.shape[0]):
        st[0] = 0.0
        st[1] = 0.0
        st[2] = 0.0
        st[3] = 0.0
        st[4] = np.inf
        _solve_row(V[r], V32[r] if V32.shape[0] == V.shape[0] else V32[0, :0], L, final,
                   out, st, P, Bf, lo, hi, wf, wi, cand)
        alpha[r] = out[0]
        sse[r] = out[1]
        stats[0] += st[0]
        stats[1] += st[1]
        stats[2] = max(stats[2], st[2])
        stats[4] += out[2]
        if st[3] > 0.0:
            stats[3] += 1.0
            low = max(st[4], 0.0)
            gap = (out[1] - low) / out[1] if out[1] > 0.0 else 0.0
            stats[5] = max(stats[5], gap)


def true_rows_compiled(rows, L, rounding, stats):
    """The exact true-MSE optimum of every row of ``rows`` (R, m) with the compiled kernel
    (:func:`true_rows`, the same algorithm as the numpy engine's ``_true_rows``): blocks of rows are
    sorted by magnitude in the input's precision (exact), widened to float64 and solved row by
    row. The kernel's error sums use :func:`quantizer.quantize`'s half-up arithmetic on
    magnitudes (the same error per value for signed data); another ``rounding`` rule is
    evaluated here with the real quantizer (the optimum does not depend on it: at a tie both
    levels are equally far)."""
    R, m = rows.shape
    alpha = np.empty(R)
    sse = np.empty(R)
    st = np.zeros(6)
    step = max(1, PARAMS.row_block // m)
    for i in range(0, R, step):
        raw = rows[i:i + step]
        v32 = np.sort(np.abs(raw), axis=1)
        v = v32.astype(np.float64)
        if v32.dtype != np.float32:
            v32 = np.zeros((v.shape[0], 0), np.float32)
        true_rows(v, v32, L, alpha[i:i + step], sse[i:i + step], st)
        if rounding != "half_up":
            sse[i:i + step] = _sq_err(raw.astype(np.float64), alpha[i:i + step], L, rounding)
    stats["breakpoints"] = stats.get("breakpoints", 0) + int(st[0])
    stats["bounds"] = stats.get("bounds", 0) + int(st[1])
    stats["rounds"] = max(stats.get("rounds", 0), int(st[2]))
    stats["candidates"] = stats.get("candidates", 0) + int(st[4])
    if st[3]:
        stats["near_capped"] = stats.get("near_capped", 0) + int(st[3])
        stats["certified_gap"] = max(stats.get("certified_gap", 0.0), float(st[5]))
    return alpha, sse / m
