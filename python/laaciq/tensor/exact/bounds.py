"""Lower bounds of the true error over a step interval, and branch and bound
(``PROOF.md`` §4, *Bracket*, and §5, *Interval bounds*).

Atoms are the sorted values of a row (or the bins of a histogram, streaming path) with prefix
sums of count, sum and square; every bound subtracts a rigorous margin for its own rounding.
"""

from __future__ import annotations

import math

import numpy as np

from laaciq.tensor.exact import params

_EPS = float(np.finfo(np.float64).eps)
_EPS32 = float(np.finfo(np.float32).eps)


def _prefix(v: np.ndarray) -> tuple[np.ndarray, float]:
    """Exclusive prefix sums ``P[:, j] = Σ_{i<j} v[:, i]`` (shape (R, m+1)) computed in blocks of
    ``b ≈ √m`` (so each entry has at most ``b + m/b`` roundings), and that count."""
    R, m = v.shape
    b = max(1, int(math.isqrt(m)))
    nb = -(-m // b)
    pad = np.zeros((R, nb * b))
    pad[:, :m] = v
    blocks = pad.reshape(R, nb, b)
    inner = np.cumsum(blocks, axis=2)
    offs = np.zeros((R, nb))
    np.cumsum(inner[:, :-1, -1], axis=1, out=offs[:, 1:])
    out = np.zeros((R, m + 1))
    out[:, 1:] = (inner + offs[:, :, None]).reshape(R, nb * b)[:, :m]
    return out, float(b + nb + 2)


class _Atoms:
    """Sorted atoms per row: ``lo``/``hi`` (R, m) (the same array for single values) and
    exclusive prefix sums ``P0, P1, P2`` (R, m+1) of count, sum and sum of squares; ``err`` bounds
    the relative rounding of a prefix entry (in units of eps)."""

    def __init__(self, lo, hi, P0, P1, P2, err, v32=None):
        self.lo, self.hi, self.P0, self.P1, self.P2, self.err = lo, hi, P0, P1, P2, err
        self.points = hi is lo
        self.R, self.m = lo.shape
        self.total1 = P1[:, -1]
        # single values that are all float32 numbers (``v32``: the same sorted rows in float32):
        # one global sorted int64 key per value, ``row·2³² + bits(v)``, so that the searches of
        # all rows are one C call (non-negative float32 bit patterns are ordered as the values)
        self.keys = None
        self.v32 = v32 if (v32 is not None and self.points) else None
        if v32 is not None and self.points and self.R > 1:
            bits = v32.view(np.int32).astype(np.int64)
            self.keys = (bits + (np.arange(self.R, dtype=np.int64) << 32)[:, None]).reshape(-1)

    def search(self, arr, rows, q, right: bool):
        """Per query, the number of entries of ``arr[row]`` ``≤ q`` (right) or ``< q``."""
        side = "right" if right else "left"
        if self.R == 1:
            return np.searchsorted(arr[0], q, side=side)
        if self.keys is not None:
            return _search_f32(self.keys, self.m, rows, q, right)
        # rows are sorted (see _lower_bounds): one C binary search per row
        out = np.empty(q.shape, dtype=np.int64)
        cut = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1], True])
        for i0, i1 in zip(cut[:-1], cut[1:]):
            out[i0:i1] = np.searchsorted(arr[rows[i0]], q[i0:i1], side=side)
        return out

    def gather(self, P, rows, idx):
        if self.R == 1:
            return P[0][idx]
        base = (rows * P.shape[1]).reshape((-1,) + (1,) * (idx.ndim - 1))
        return P.reshape(-1)[base + idx]

    def region(self, rows, i, j, c):
        """``Σ (a - c)²`` over atoms ``i..j-1`` and a bound on its absolute magnitude terms."""
        p0j, p1j, p2j = (self.gather(P, rows, j) for P in (self.P0, self.P1, self.P2))
        p0 = p0j - self.gather(self.P0, rows, i)
        p1 = p1j - self.gather(self.P1, rows, i)
        p2 = p2j - self.gather(self.P2, rows, i)
        has = j > i
        val = np.where(has, p2 - 2 * c * p1 + c * c * p0, 0.0)
        mag = np.where(has, p2j + 2 * c * p1j + c * c * p0j, 0.0)
        return val, mag


def _f32_floor(q, strict: bool):
    """The largest float32 ``≤ q`` (``< q`` if ``strict``) of float64 ``q`` (as float32); a
    float32 value ``v`` has ``v ≤ q`` (``v < q``) iff ``v ≤`` that number."""
    with np.errstate(over="ignore"):
        f = q.astype(np.float32)
    q64 = f.astype(np.float64)
    down = (q64 >= q) if strict else (q64 > q)
    if down.any():
        f[down] = np.nextafter(f[down], np.float32(-np.inf))
    f[f == 0] = 0.0                                  # -0.0 → +0.0 (same value, ordered bits)
    return f


def _search_f32(keys, m, rows, q, right: bool):
    """Counts of the float32 values of row ``rows`` that are ``≤ q`` (right) or ``< q`` from the
    global keys of :class:`_Atoms` (exact: the comparison is done on float32 numbers)."""
    f = _f32_floor(np.asarray(q, dtype=np.float64), not right)
    bits = np.maximum(f.view(np.int32).astype(np.int64), -1)   # negative: below every value
    base = (rows.astype(np.int64) << 32).reshape((-1,) + (1,) * (f.ndim - 1))
    return np.searchsorted(keys, bits + base, side="right") - \
        (rows.astype(np.int64) * m).reshape(base.shape)


def _gaps_cheaper(m: int, ngap) -> bool:
    """Gap sums (searched in one call) cost about 0.6 breakpoints a gap plus 2, a direct bound
    ``m/30`` (measured on MiniLM-L6 rows): the cheaper one is used; both are rigorous."""
    return m / 30.0 > 0.6 * float(np.mean(ngap)) + 2.0


def _lower_bounds(at: _Atoms, r, s1, s2, L: int):
    """Rigorous lower bounds of ``E(s)`` over ``s ∈ [s1, s2]`` (module docstring)."""
    Q = r.size
    # the gap between levels k·s2 and (k+1)·s1 is empty once k ≥ s1/(s2 - s1): only the first
    # ``ngap`` gaps of an interval can contribute (+2: a margin for the rounding of the ratio)
    with np.errstate(divide="ignore", over="ignore"):
        ngap = np.minimum(L, np.floor(s1 / (s2 - s1)) + 2)
    ngap = np.where(np.isfinite(ngap), ngap, L).astype(np.int64)
    if at.keys is not None:       # one search call for all rows: choose by the gaps left
        if not _gaps_cheaper(at.m, ngap):
            return _lower_bounds_direct(at, r, s1, s2, L, ngap)
        order = np.argsort(ngap, kind="stable")   # blocks of intervals with similar gap counts
    else:
        if _use_direct(at, L):
            return _lower_bounds_direct(at, r, s1, s2, L, ngap)
        order = np.argsort(r, kind="stable")      # row by row searches
    if not np.array_equal(order, np.arange(Q)):
        r, s1, s2, ngap = r[order], s1[order], s2[order], ngap[order]
    lb = np.empty(Q)
    mg = np.empty(Q)
    step = max(1, (1 << 15) // L)
    m = at.m
    for i0 in range(0, Q, step):
        rr = r[i0:i0 + step]
        a1 = s1[i0:i0 + step, None]
        a2 = s2[i0:i0 + step, None]
        k = np.arange(int(ngap[i0:i0 + step].max()), dtype=np.float64)
        cl = k * a2
        cr = (k + 1) * a1
        gap = cl < cr
        mid = 0.5 * (cl + cr)
        ia = at.search(at.lo, rr, cl, True)
        ib = at.search(at.hi, rr, mid, True)
        ic = ib if at.points else at.search(at.lo, rr, mid, True)
        idd = at.search(at.hi, rr, cr, False)
        vl, ml = at.region(rr, ia, ib, cl)
        vr, mr = at.region(rr, ic, idd, cr)
        tot = vl + vr
        mag = ml + mr
        if not at.points:
            j = np.minimum(ib, m - 1)
            loj = at.gather(at.lo, rr, j)
            hij = at.gather(at.hi, rr, j)
            cnt = at.gather(at.P0, rr, j + 1) - at.gather(at.P0, rr, j)
            dist = np.maximum(0.0, np.minimum(loj - cl, cr - hij))
            tot = tot + np.where(ic > ib, cnt * dist * dist, 0.0)
        b = np.where(gap, tot, 0.0).sum(axis=1)
        g = np.where(gap, mag, 0.0).sum(axis=1)
        ct = L * a2
        it = at.search(at.lo, rr, ct, True)
        vt, mt = at.region(rr, it, np.full_like(it, m), ct)
        lb[i0:i0 + step] = b + vt[:, 0]
        mg[i0:i0 + step] = g + mt[:, 0]
    mg = (2 * at.err + 16) * _EPS * mg + 4 * _EPS * np.abs(lb)
    if not np.array_equal(order, np.arange(Q)):
        out_lb, out_mg = np.empty(Q), np.empty(Q)
        out_lb[order], out_mg[order] = lb, mg
        return out_lb, out_mg
    return lb, mg


def _lower_bounds_direct(at: _Atoms, r, s1, s2, L: int, ngap=None):
    """The same bound computed value by value (cheaper when there are fewer values than levels):
    ``dist(a, G(I)) = max(0, min(a - k s2, (k+1) s1 - a))`` with ``k = floor(a/s2)``, or
    ``a - L s2`` above ``L s2``; a wrong ``floor`` by one only lowers the bound. Each distance is
    lowered by a bound on its rounding before squaring.

    Only two parts of a sorted row can contribute: the values below ``(ngap + 1)·s2`` (above,
    every gap ``[k s2, (k+1) s1]`` is empty, see :func:`_lower_bounds`: a value there lies in a
    covered ``[k s1, k s2]``) and the values above ``L s2``, whose ``Σ (a - L s2)²`` comes from
    the prefix sums. The first part is computed value by value on the columns it needs."""
    Q = r.size
    m = at.m
    if ngap is None:
        ngap = np.full(Q, L, dtype=np.int64)
    top = L * s2
    cut = at.search(at.lo, r, np.minimum(ngap + 1, L) * s2, False)      # a < (ngap+1)·s2
    it = np.maximum(at.search(at.lo, r, top, True), cut)                   # a > L·s2 from it
    vt, mt = at.region(r, it, np.full_like(it, m), top)
    order = np.argsort(cut, kind="stable")       # blocks of intervals with similar prefixes
    cs = np.maximum(cut[order], 1)
    lb = np.empty(Q)
    i0 = 0
    budget = 1 << 18
    while i0 < Q:
        n = min(Q - i0, max(1, budget // int(cs[i0])))
        if n * int(cs[i0 + n - 1]) > budget:    # cs is sorted: one step makes n·max ≤ budget
            n = max(1, budget // int(cs[i0 + n - 1]))
        i1 = i0 + n
        sel = order[i0:i1]
        w = int(cs[i1 - 1])
        if at.v32 is not None and L <= 127:    # float32 values, ≤ 8 bits: float32 arithmetic
            lb[sel] = _direct32(at.v32[r[sel], :w], s1[sel], s2[sel], L, cut[sel])
            i0 = i1
            continue
        V = at.lo[r[sel], :w]
        a1 = s1[sel, None]
        a2 = s2[sel, None]
        tp = top[sel, None]
        # the prefix holds values below min(ngap+1, L)·s2 ≤ L·s2 only: no clipped value; each
        # distance is lowered by 8 eps (a + (k+1)·s2 + L·s2) ≤ 8 eps (a_w + 2 L s2 + s2), a_w
        # the block's largest value (one constant per interval)
        t = _grid_distance(V, a1, a2)
        t -= 8 * _EPS * (V[:, -1:] + 2 * tp + a2)
        np.maximum(t, 0.0, out=t)
        t[np.arange(w)[None, :] >= cut[sel, None]] = 0.0   # beyond the prefix: counted below
        lb[sel] = np.einsum("ij,ij->i", t, t)
        i0 = i1
    mg = 2 * (m + 4) * _EPS * lb + (2 * at.err + 16) * _EPS * mt
    lb = lb + vt
    return lb, mg + 4 * _EPS * np.abs(lb)


def _grid_distance(V, a1, a2):
    """Each value's distance to the nearest grid point over steps in ``[a1, a2]`` (rows): for
    ``a`` between levels ``k·a2`` and ``(k+1)·a1``, ``min(a - k·a2, (k+1)·a1 - a)``, computed in
    ``V``'s dtype and in place (the shared kernel of both direct lower bounds)."""
    k = np.floor(V / a2)
    t = k * a2
    np.subtract(V, t, out=t)                          # a - k s2
    k += 1
    k *= a1
    k -= V                                            # (k+1) s1 - a
    np.minimum(t, k, out=t)
    return t


def _direct32(V, s1, s2, L, cut):
    """:func:`_lower_bounds_direct`'s prefix sums in float32 (twice the numbers per vector op)
    for float32 values ``V`` (Q, w): the interval is widened outward to float32 ends (a wider
    interval only lowers the bound), each distance is lowered by ``8·eps32·(a_w + 2 L s2 + s2)``
    (its float32 rounding) and the float32 sum of ``w`` squares by the factor
    ``1 - 4 (w + 4) eps32``. The margins cost ~0.1–1% of the bound at ≤ 8 bits (used there
    only: at more bits they approach the distances themselves). Returns float64 bounds (Q,)."""
    a1 = _f32_floor(s1, False)[:, None]
    a2 = s2.astype(np.float32)
    up = a2.astype(np.float64) < s2
    a2[up] = np.nextafter(a2[up], np.float32(np.inf))
    a2 = a2[:, None]
    w = V.shape[1]
    t = _grid_distance(V, a1, a2)
    t -= (8 * _EPS32 * (V[:, -1:].astype(np.float64) + (2 * L + 1) * a2.astype(np.float64))
          ).astype(np.float32)
    np.maximum(t, 0.0, out=t)
    t[np.arange(w)[None, :] >= cut[:, None]] = 0.0
    return np.einsum("ij,ij->i", t, t).astype(np.float64) * (1 - 4 * (w + 4) * _EPS32)


def _merge(r, s1, s2, R):
    """Merge adjacent intervals of each row (sorted by row, then s1); at most 8 per row (the
    hull of a row's intervals replaces them beyond that)."""
    if r.size == 0:
        return r, s1, s2
    order = np.lexsort((s1, r))
    r, s1, s2 = r[order], s1[order], s2[order]
    new = np.ones(r.size, dtype=bool)
    new[1:] = (r[1:] != r[:-1]) | (s1[1:] != s2[:-1])
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], r.size] - 1
    r, s1, s2 = r[starts], s1[starts], s2[ends]
    cnt = np.bincount(r, minlength=R)
    if cnt.max(initial=0) > 8:
        many = cnt[r] > 8
        hull_r = np.flatnonzero(cnt > 8)
        lo = np.full(R, np.inf)
        hi = np.zeros(R)
        np.minimum.at(lo, r[many], s1[many])
        np.maximum.at(hi, r[many], s2[many])
        r = np.r_[r[~many], hull_r]
        s1 = np.r_[s1[~many], lo[hull_r]]
        s2 = np.r_[s2[~many], hi[hull_r]]
    return r, s1, s2


def _use_direct(at, L: int) -> bool:
    """Value-by-value bounds for short rows of single values, gap sums otherwise (with one
    search call for all rows, gap sums win unless the rows are shorter than ~2.5 L)."""
    if at.keys is not None:
        return False              # chosen per call by :func:`_lower_bounds`
    return at.points and at.m <= max(512, 4 * L)


def _interval_cost(at, L: int) -> float:
    """Work of one interval bound, in units of one breakpoint scanned (measured: a breakpoint
    costs about as much as 30 value-operations of a direct bound, or 3 gaps of a gap bound
    searched row by row, 1.6 gaps searched in one call)."""
    if _use_direct(at, L):
        return at.m / 30.0
    if at.keys is not None:
        return min(at.m / 30.0, 0.6 * L + 2.0)
    return L / 3.0 + 4.0


def _noise_floor(U, A2):
    """Float noise of an evaluated error sum ``U`` (``A2 = Σx²``): each ``x - Q(x)`` carries about
    an ulp of ``x``, so ``|Σe² - Σê²| ≲ 4 eps sqrt(U·A2) + 4 eps² A2``. No threshold can be
    *shown* better than ``U`` by less than this; the search ignores such gains."""
    return 4 * _EPS * np.sqrt(np.maximum(U, 0.0) * A2) + 4 * _EPS * _EPS * A2


def _branch_and_bound(at, U, s_lo, s_hi, L, n_row, improve, stats, A2):
    """Intervals of ``s`` (row, s1, s2) that may hold a global minimizer of each row's ``E``.
    ``U`` (R,) is updated in place by ``improve(rows, s)``. A row stops splitting when its
    breakpoints left are few, when the bound stops shrinking its bracket, or when one more round
    would cost more than half the scan it could save."""
    R = U.size
    K = params.PARAMS.start_intervals
    t = np.linspace(0.0, 1.0, K + 1)
    ratio = s_hi / s_lo
    edges = s_lo[:, None] * ratio[:, None] ** t
    edges[:, 0], edges[:, -1] = s_lo, s_hi
    r = np.repeat(np.arange(R), K)
    s1 = edges[:, :-1].reshape(-1)
    s2 = edges[:, 1:].reshape(-1)
    done = np.zeros(R, dtype=bool)
    prev = np.full(R, np.inf)
    budget = params.PARAMS.budget * n_row + 256
    unit = _interval_cost(at, L)
    rounds = 0
    for rnd in range(params.PARAMS.max_rounds):
        rounds += 1
        lb, mg = _lower_bounds(at, r, s1, s2, L)
        floor = _noise_floor(U, A2)
        # an interval is kept while it may beat U by more than the float noise of U
        keep = (lb - mg <= U[r] * (1 + 1e-10)) & (lb - mg < U[r] - floor[r])
        r, s1, s2, lb = r[keep], s1[keep], s2[keep], lb[keep]
        width = np.log(s2 / s1)
        measure = np.bincount(r, width, R)
        est = np.bincount(r, at.total1[r] * (1 / s1 - 1 / s2), R)
        wmax = np.zeros(R)
        np.maximum.at(wmax, r, width)
        narrow = wmax * L <= 0.1
        stall = narrow & (measure > 0.8 * prev)
        dear = params.PARAMS.split * np.bincount(r, minlength=R) * unit > params.PARAMS.dear * est
        done |= (est <= budget) | stall | dear | (rnd == params.PARAMS.max_rounds - 1)
        prev = measure
        todo = np.flatnonzero(~done)
        if todo.size and improve is not None and rnd < 3:
            best = np.full(R, np.inf)
            np.minimum.at(best, r, lb)
            pick = np.full(R, -1, dtype=np.int64)
            hit = lb == best[r]
            pick[r[hit]] = np.flatnonzero(hit)
            todo = todo[pick[todo] >= 0]
            sel = pick[todo]
            if todo.size:
                improve(todo, np.sqrt(s1[sel] * s2[sel]))
        if done.all():
            break
        sp = ~done[r]
        f = np.linspace(0.0, 1.0, params.PARAMS.split + 1)
        a1, a2 = s1[sp], s2[sp]
        e = a1[:, None] * (a2 / a1)[:, None] ** f
        e[:, 0], e[:, -1] = a1, a2
        r = np.r_[r[~sp], np.repeat(r[sp], params.PARAMS.split)]
        s1 = np.r_[s1[~sp], e[:, :-1].reshape(-1)]
        s2 = np.r_[s2[~sp], e[:, 1:].reshape(-1)]
    stats["rounds"] = max(stats.get("rounds", 0), rounds)
    return _merge(r, s1, s2, R)


def _clip_bound(at: "_Atoms", U):
    """Per row, the largest atom start ``α_lo`` such that every ``α ≤ α_lo`` has clip error
    ``C(α) ≥ Σ_{atoms ≥ α}(a - α)² > U`` (module docstring), 0 when there is none. Atoms are the
    sorted values of a row (then ``C`` is exact) or histogram bins (a lower bound)."""
    lo = at.lo
    P0, P1, P2 = at.P0, at.P1, at.P2
    n0, n1, n2 = P0[:, -1:], P1[:, -1:], P2[:, -1:]
    C = (n2 - P2[:, :-1]) - 2 * lo * (n1 - P1[:, :-1]) + lo * lo * (n0 - P0[:, :-1])
    mag = n2 + 2 * lo * n1 + lo * lo * n0
    excl = C - (2 * at.err + 16) * _EPS * mag > U[:, None]
    m = lo.shape[1]
    last = np.where(excl.any(axis=1), m - 1 - np.argmax(excl[:, ::-1], axis=1), -1)
    return np.where(last >= 0, lo[np.arange(lo.shape[0]), np.maximum(last, 0)], 0.0)


def _zero_bound(v, P2, err, U):
    """Per row of sorted values ``v`` (prefix sums of squares ``P2``, rounding count ``err``), a
    step ``s_hi`` above which ``E(s) > U``: every value below ``s/2`` rounds to 0, so
    ``E(s) ≥ Σ_{a < s/2} a²``, non-decreasing in ``s``; ``s_hi`` is twice (plus 1e-9 for the
    quantizer's rounding of ``a/s``) the first value whose prefix of squares exceeds ``U`` by
    more than the prefix's rounding. At most ``2·max a`` (beyond, every value rounds to 0)."""
    R = v.shape[0]
    s_hi = 2 * v[:, -1] * (1 + 1e-12)
    over = P2[:, 1:] - (2 * err + 16) * _EPS * P2[:, -1:] > U[:, None] * (1 + 1e-12)
    has = over.any(axis=1)
    first = np.argmax(over, axis=1)
    return np.where(has, np.minimum(s_hi, 2 * v[np.arange(R), first] * (1 + 1e-9)), s_hi)
