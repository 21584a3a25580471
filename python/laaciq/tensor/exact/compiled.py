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

import numpy as np

from laaciq.tensor.exact.compiled_bounds import _EPS, _bound, _count_le, _jit, _jit_sum, \
    _merge_runs, _prefix, _push_interval, _region, _split_interval
from laaciq.tensor.exact.params import PARAMS
from laaciq.tensor.exact.slices import _sq_err

# compile-time constants of the kernels, all read from the one parameter set
_START = PARAMS.start_intervals
_SPLIT = PARAMS.split
_ROUNDS = PARAMS.max_rounds
_FINAL = PARAMS.final
_SCAN_NS = PARAMS.scan_ns
_CAP = PARAMS.compiled_cap
_WMAX = PARAMS.compiled_wmax


# The error, moment and Lloyd kernels below serve the true-MSE rows and, with weights ``c``, the
# weighted rows (:mod:`laaciq.tensor.exact.weighted_compiled`). ``c is None`` is decided when
# numba compiles (a None argument has its own type): the unweighted kernel has no weight term.


@_jit_sum
def _sse(v, alpha, L, c=None):
    """``Σ c (a - Q_α(a))²`` (``c = 1`` when None) with :func:`quantizer.quantize`'s operations
    (half-up rounding, on magnitudes)."""
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
        if c is None:
            tot += e * e
        else:
            tot += c[i] * e * e
    return tot


@_jit_sum
def _moments(v, s, L, c=None):
    """``(E, Σ c a k, Σ c k²)`` at the rounding codes of step ``s`` (a Lloyd step's inputs;
    ``c = 1`` when None)."""
    e2 = 0.0
    sak = 0.0
    skk = 0.0
    for i in range(v.size):
        a = v[i]
        k = np.floor(a / s + 0.5)
        if k > L:
            k = float(L)
        e = a - k * s
        if c is None:
            e2 += e * e
            sak += a * k
            skk += k * k
        else:
            e2 += c[i] * e * e
            sak += c[i] * a * k
            skk += c[i] * k * k
    return e2, sak, skk


@_jit
def _lloyd(v, s, L, iters, best_f, best_s, c=None):
    """Lloyd iterations from ``s`` (``s ← Σcak/Σck²``: neither step increases ``E``); returns the
    best ``(E, s)`` seen, starting from ``(best_f, best_s)``."""
    for _ in range(iters):
        f, sak, skk = _moments(v, s, L, c)
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
def _bucket_sort(v, lo, hi, L, S1, S2, nev, eb, ea, ej, cnt, first):
    """The ``nev`` breakpoints ``b = a/(q+½)`` of the values ``lo[q]..hi[q]-1`` per level ``q``,
    sorted into ``eb`` (with their value ``ea`` and level ``ej``) by one bucket pass over
    ``(S1, S2]`` (about one per bucket) with insertion inside a bucket."""
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
            _bucket_insert(b, v[i], q, min(nev - 1, max(0, int((b - S1) * scale))),
                           cnt, first, eb, ea, ej)


@_jit
def _bucket_insert(b, x, j, c, cnt, first, eb, ex, ej):
    """Place breakpoint ``b`` (payloads ``x``, ``j``) in bucket ``c``: by insertion into the
    bucket's filled part ``first[c]..cnt[c]-1``, after any equal breakpoint (stable). Sorted
    overall because the bucket index is non-decreasing in ``b``: a lower bucket holds only
    smaller breakpoints. The one insertion step of both engines' bucket sorts."""
    p = cnt[c]
    cnt[c] = p + 1
    while p > first[c] and eb[p - 1] > b:
        eb[p] = eb[p - 1]
        ex[p] = ex[p - 1]
        ej[p] = ej[p - 1]
        p -= 1
    eb[p] = b
    ex[p] = x
    ej[p] = j


@_jit
def _scan_run(v, S1, S2, L, U, floor_, cand_lo, cand_hi, cand_s, ncand, H, stats, lo, hi,
              wf, wi):
    """Scan the pieces of ``s ∈ (S1, S2]`` (``L·log(S2/S1) ≤ _WMAX``) in shifted sums around
    ``s0 = √(S1 S2)``; near-best pieces go into the candidate buffer. ``lo``, ``hi`` (L,),
    ``wf`` (2, K) and ``wi`` (2, K) are work buffers (larger ones are made when K is short).
    Returns the new candidate count and the running best upper value ``H``. (One function of
    ~85 lines: the code walk, the breakpoint sort and the scan share the per-level ranges and
    the work buffers; the sort is :func:`_bucket_sort`.)"""
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
        _bucket_sort(v, lo, hi, L, S1, S2, nev, eb, ea, ej, cnt, first)
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
def _bracket(v, P1, P2, err, U, L):
    """``[s_lo, s_hi]`` (``PROOF.md`` §4): the clip bound (``α ≥ α_lo``, by bisection on the last
    value whose clip error exceeds ``U``; and ``α ≥`` the smallest positive value) and the zero
    bound (``s ≤ s_hi``)."""
    m = v.size
    amax = v[m - 1]
    A2 = P2[m]
    lo_i, hi_i = 0, m
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
    return min(max(a_lo, vpos) / L, 0.5 * s_hi), s_hi


@_jit
def _floor(U, A2):
    """The float noise of an evaluated error sum ``U`` (``A2 = Σa²``), ``PROOF.md`` §6."""
    return 4.0 * _EPS * np.sqrt(max(U, 0.0) * A2) + 4.0 * _EPS * _EPS * A2


@_jit
def _branch(v, v32, P1, P2, err, L, s_lo, s_hi, U, sU, final, Bf, stats):
    """Branch and bound on ``s``-intervals of ``[s_lo, s_hi]`` (``PROOF.md`` §5): an interval
    whose bound exceeds ``U`` (up to the float floor) is dropped, a survivor is split in
    ``_SPLIT`` until scanning it costs less than bounding its parts. Returns the intervals to
    scan ``(f1, f2, nf)`` and the improved upper value ``(U, sU)`` (Lloyd from the best
    interval of the first rounds)."""
    m = v.size
    A2 = P2[m]
    floor_ = _floor(U, A2)
    cap = Bf.shape[1]
    c1, c2, n1, n2, f1, f2 = Bf[0], Bf[1], Bf[2], Bf[3], Bf[4], Bf[5]
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
                f1, f2, nf = _push_interval(f1, f2, nf, a1, a2)
            else:
                nn = _split_interval(n1, n2, nn, a1, a2, _SPLIT)
        if rnd < 3 and best_q >= 0:
            U, sU = _lloyd(v, np.sqrt(c1[best_q] * c2[best_q]), L, 2, U, sU)
            floor_ = _floor(U, A2)
        if nn == 0:
            break
        c1, n1 = n1, c1
        c2, n2 = n2, c2
        ncur = nn
    return f1, f2, nf, U, sU


@_jit
def _scan_intervals(v, f1, f2, nf, L, U, floor_, cand, stats, lo, hi, wf, wi):
    """Scan the intervals left (``PROOF.md`` §6): adjacent ones merged into runs, runs cut so
    that ``L·log(s2/s1) ≤ _WMAX``. Returns the candidate count and the best upper value."""
    R1, R2, nr = _merge_runs(f1, f2, nf)
    ncand = 0
    H = U
    for q in range(nr):
        S1 = R1[q]
        S2 = R2[q]
        parts = max(1, int(np.ceil(np.log(S2 / S1) * L / _WMAX)))
        r = S2 / S1
        prev = S1
        for t in range(parts):
            nxt = S2 if t == parts - 1 else S1 * r ** ((t + 1) / parts)
            ncand, H = _scan_run(v, prev, nxt, L, U, floor_, cand[0], cand[1], cand[2],
                                 ncand, H, stats, lo, hi, wf, wi)
            prev = nxt
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
    U, sU = _lloyd(v, _uniform_start(v, L) / L, L, 6, np.inf, 1.0)
    U, sU = _lloyd(v, amax / L, L, 3, U, sU)
    s_lo, s_hi = _bracket(v, P1, P2, err, U, L)
    f1, f2, nf, U, sU = _branch(v, v32, P1, P2, err, L, s_lo, s_hi, U, sU, final, Bf, stats)
    ncand, H = _scan_intervals(v, f1, f2, nf, L, U, _floor(U, P2[m]), cand, stats, lo, hi,
                               wf, wi)
    # exact evaluation: the Lloyd point first, then every piece within rounding of the best
    best_a = sU * L
    best_e = _sse(v, best_a, L)
    nev = 1
    for c in range(ncand):
        if cand[0, c] <= H:
            al = cand[2, c] * L
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
