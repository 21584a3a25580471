"""The compiled engine's lower bounds (``PROOF.md`` §5, *Interval bounds*): prefix sums with a
rounding count, region sums, the gap-sum and value-by-value bounds (float64 and float32), and
the searches they use. Shared by the compiled true-MSE and weighted kernels.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_EPS = float(np.finfo(np.float64).eps)
_EPS32 = float(np.finfo(np.float32).eps)

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

@_jit
def _f32_interval(s1, s2, top, L):
    """The float32 interval ``[a1, a2] ⊇ [s1, s2]`` (ends rounded outward) and the float32 margin
    ``8·eps32·(top + (2L+1)·a2)`` by which each float32 distance to the grid is lowered: the
    shared first step of the float32 direct bounds (unweighted and weighted)."""
    a1 = np.float32(s1)
    if np.float64(a1) > s1:
        a1 = np.nextafter(a1, np.float32(-np.inf))
    a2 = np.float32(s2)
    if np.float64(a2) < s2:
        a2 = np.nextafter(a2, np.float32(np.inf))
    mg = np.float32(8.0 * _EPS32 * (top + (2.0 * L + 1.0) * np.float64(a2)) * 1.01)
    return a1, a2, mg


@_jit
def _push_interval(f1, f2, nf, a1, a2):
    """Append ``[a1, a2]`` to the growing interval list ``(f1, f2)`` holding ``nf`` entries
    (doubled when full); returns the lists and the new count."""
    if nf == f1.size:
        g1 = np.empty(2 * nf)
        g2 = np.empty(2 * nf)
        g1[:nf] = f1
        g2[:nf] = f2
        f1, f2 = g1, g2
    f1[nf] = a1
    f2[nf] = a2
    return f1, f2, nf + 1


@_jit
def _split_interval(n1, n2, nn, a1, a2, split):
    """Write the ``split`` geometric sub-intervals of ``[a1, a2]`` (ends exact) at ``nn``;
    returns the new count."""
    r = a2 / a1
    for t in range(split):
        n1[nn + t] = a1 * r ** (t / split)
        n2[nn + t] = a1 * r ** ((t + 1) / split)
    n1[nn] = a1
    n2[nn + split - 1] = a2
    return nn + split


@_jit_sum
def _direct_sum32(v32, cut, s1, s2, L, c32=None):
    """:func:`_direct_sum` in float32 arithmetic (twice the vector lanes) for float32 values:
    the interval is widened outward to float32 ends (a wider interval only lowers the bound),
    each distance is lowered by ``8·eps32·(a_cut + (2L+1)·s2)`` (its float32 rounding: ``a``,
    ``k·s2`` and ``(k+1)·s1`` are all below that sum) and the float32 sum of ``cut`` squares by
    the factor ``1 - 4(cut + 4)·eps32``. With float32 weights ``c32`` (rounded down) the sum is
    ``Σ c·dist²``, lowered by ``1 - 4(cut + 6)·eps32`` (two more roundings per term: the
    weight's product); ``c32 is None`` is decided when numba compiles. Returns a float64 lower
    bound."""
    a1, a2, mg = _f32_interval(s1, s2, np.float64(v32[cut - 1]) if cut > 0 else 0.0, L)
    zero = np.float32(0.0)
    one = np.float32(1.0)
    tot = np.float32(0.0)
    for i in range(cut):
        a = v32[i]
        k = np.floor(a / a2)
        d = min(a - k * a2, (k + one) * a1 - a) - mg
        d = max(d, zero)
        if c32 is None:
            tot += d * d
        else:
            tot += c32[i] * (d * d)
    if c32 is None:
        return np.float64(tot) * (1.0 - 4.0 * (cut + 4.0) * _EPS32)
    return np.float64(tot) * (1.0 - 4.0 * (cut + 6.0) * _EPS32)

@_jit
def _merge_runs(f1, f2, nf):
    """The surviving intervals ``[f1, f2]`` (first ``nf``) sorted and merged where they touch:
    arrays of run starts and ends, and their count."""
    order = np.argsort(f1[:nf])
    R1 = np.empty(max(nf, 1))
    R2 = np.empty(max(nf, 1))
    nr = 0
    q = 0
    while q < nf:
        S1 = f1[order[q]]
        S2 = f2[order[q]]
        q += 1
        while q < nf and f1[order[q]] <= S2:
            S2 = max(S2, f2[order[q]])
            q += 1
        R1[nr] = S1
        R2[nr] = S2
        nr += 1
    return R1, R2, nr


@_jit
def _gap_cut(v, s1, s2, L):
    """For steps in ``[s1, s2]`` over the sorted row ``v``: how many gaps between code levels
    can be non-empty (``ngap``), the clipping point ``ct = L·s2``, ``cut`` = the values below
    ``(ngap+1)·s2`` and ``it`` = the first value above ``ct`` (from ``cut`` on). Shared by the
    true-MSE and the weighted bounds."""
    if s2 - s1 > 0.0:
        g = s1 / (s2 - s1)
        ngap = L if g >= L else min(L, int(g) + 2)
    else:
        ngap = L
    ct = L * s2
    cut = _count_lt(v, min(ngap + 1, L) * s2)
    return ngap, ct, cut, max(_count_le(v, ct), cut)


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
    ngap, ct, cut, it = _gap_cut(v, s1, s2, L)
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
