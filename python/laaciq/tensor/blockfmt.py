"""llama.cpp's legacy block formats Q4_0, Q5_0 and Q8_0, written byte for byte, with the exact
per-block optimum over representable fp16 scales.

Layouts (ggml-common.h ``block_q4_0`` / ``block_q5_0`` / ``block_q8_0``; gguf-py
``gguf.quants`` dequantizes them the same way). A row is cut into blocks of 32 consecutive
values; each block stores a little-endian IEEE fp16 scale ``d`` (either sign) and 32 integer
codes ``q``; the block dequantizes to ``q·d``.

* Q4_0, 18 bytes: ``d``, then ``qs[16]``: value ``j`` (``j < 16``) in the low nibble of ``qs[j]``,
  value ``j + 16`` in its high nibble, stored as ``q + 8`` (codes −8…7).
* Q5_0, 22 bytes: ``d``, ``qh`` (uint32, bit ``j`` = bit 4 of value ``j``'s stored code), then
  ``qs[16]`` as Q4_0 for the low four bits; stored ``q + 16`` (codes −16…15).
* Q8_0, 34 bytes: ``d``, then 32 int8 codes. llama.cpp's reference quantizer uses −127…127; the
  format holds −128…127 and we use the full range (−128 only ever multiplies a weight; the
  activations' own Q8_0 codes stay within ±127 in llama.cpp, and the SIMD dot products are exact
  for a −128 on one side).

Grids are asymmetric: codes ``lo…hi`` with ``lo = −hi − 1``, so the sign of ``d`` decides which side
gets the extra level.

The optimum (:func:`solve_blocks`). Per block, with weights ``c_i ≥ 0`` (1: the weight error; or
an importance per column, llama.cpp's imatrix restricted to the block's columns), find an fp16
``d`` and codes ``q_i ∈ [lo, hi]`` minimizing ``E = Σ c_i (x_i − q_i·d)²``.

1. For a fixed ``d`` the best codes are the nearest points of the clamped grid,
   ``q_i = clamp(round(x_i/d), lo, hi)`` (``sq_sub_roundS_le``, ``sq_sub_quantize_le_grid`` in
   ``LaAciq/Candidates.lean``, stated there for the symmetric grid ``|q| ≤ L``; the argument is
   the same one-dimensional nearest-point fact for any interval of integers). At a tie both
   neighbours are equally far, so either choice is optimal; the file stores codes, so that freedom
   costs nothing.
2. Take ``d > 0`` (``d < 0`` is ``d > 0`` on ``−x``: ``x − q·d = (−x) − q·(−d)`` with the same code
   range). As ``d`` decreases, the code of ``x_i`` moves away from 0 by one at each breakpoint
   ``|x_i|/(k + ½)``, ``k = 0 … K_i − 1`` (``K_i = hi`` for ``x_i > 0``, ``−lo`` for ``x_i < 0``);
   the codes are constant between consecutive breakpoints (``code_eq_of_no_breakpoint``,
   ``code_of_alpha_le``), and at a breakpoint both neighbouring code vectors give the same ``E``,
   so ``E`` is continuous.
3. On a piece ``[l, r]`` between breakpoints, ``E(d) = A − 2·B·d + C·d²`` with ``B = Σ c q x``,
   ``C = Σ c q²`` (``gridErr_eq``): a convex quadratic with vertex ``B/C``
   (``gridErr_vertex_le``). Its minimum over the fp16 numbers in ``[l, r]`` is therefore at the
   largest fp16 ``≤ v`` or the smallest fp16 ``≥ v`` where ``v = clamp(B/C, l, r)`` (whichever of
   them lie in ``[l, r]``): moving toward ``v`` never increases a convex function. Every fp16
   ``d`` lies in some closed piece, so the minimum over all fp16 ``d > 0`` is among these ≤ 2 per
   piece candidates, plus ``d = 0`` (all codes 0, ``E = Σ c x²``), which is also the value of
   ``E`` beyond the largest breakpoint.
4. Only a window ``[D_lo, D_hi]`` of scales can beat an incumbent error ``E₀`` (the best of the
   fp16 scales that map the largest value onto an end of the grid, then Lloyd steps):
   for ``d > D_hi``, every value with ``|x| < D_hi`` has code 0 or ±1, so
   ``E ≥ Σ_{|x|<D_hi} c·min(x², (D_hi − |x|)²) ≥ E₀`` (the sum is non-decreasing in ``D_hi``
   and equals ``Σ c x² ≥ E₀`` at ``2·max|x|``: ``D_hi`` by bisection down from there);
   for ``d < D_lo``, ``E ≥ Σ c_i (|x_i| − K_i·d)₊² ≥ E₀`` (``|x_i − q·d| ≥ |x_i| − K_i·d`` for
   ``|q| ≤ K_i``; ``D_lo`` from the best single term and two Newton steps on this convex
   decreasing bound, which stay left of its root). The sweep
   starts from the codes just below ``D_hi``, sorts the breakpoints in the window and walks them
   in decreasing order, keeping ``B`` and ``C`` up to date (a step of ``x_i`` from ``k`` to
   ``k + 1`` adds ``c_i·|x_i|`` to ``B`` and ``c_i·(2k + 1)`` to ``C``); a piece is only looked at
   when its real minimum ``−B²/C`` beats the best so far. Both signs of ``d`` share the walk
   (their breakpoints coincide except each value's last one, toward the extra level, which only
   one sign has), each with its own ``B`` and ``C``; the best candidate wins, and its codes are
   the nearest clamped ones at that ``d``.

The fp16 candidates are exact: the binade of ``v`` gives the fp16 spacing (``2^-24`` for
subnormals), ``⌊v/step⌋·step`` and ``⌈v/step⌉·step`` are computed exactly in float64, and values
above the largest finite fp16 (65504) are not candidates. Candidate values are compared in float64
(``C·d² − 2·B·d`` from float64 sums): two candidates closer than that rounding (~1e-15 of
``Σ c x²``) may be confused, nothing else; the stored codes are recomputed at the chosen ``d``.

What is checked where. The steps above are a proof on paper. Lean
(``LaAciq/Candidates.lean``) checks the symmetric-grid version over real scales, for weighted
lists of values: the nearest-point lemmas, the frozen-code quadratic (``gridErr_eq``,
``gridErr_vertex_le``, ``mse_codeVertex_le``) and the finite candidate set (``trueCandidates``,
``mse_exists_minimizer``); ``LaAciq/AsymGrid.lean`` checks the asymmetric grids used here
(``gridQ M N s`` with codes in ``[−M, N]`` and a step of either sign: the nearest-grid-point
property ``sq_sub_gridQ_le``, int8's −128…127 in ``sq_sub_gridQ_int8_le``, the weighted
candidate set ``gridMse_le_candidate``/``gridMse_exists_minimizer`` over real steps, the formats'
ranges ``fmt_ends``). Not proved in Lean: the restriction of the scale to a finite set (fp16) with
the floor/ceil-of-the-clamped-vertex candidates of step 3, and the window bounds of step 4. The tests check the whole result against an
exhaustive search over every finite fp16 scale (``tests/test_blockfmt.py``; ~2000 blocks with
``LAACIQ_SLOW=1``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba as nb
import numpy as np

from laaciq.errors import LaaciqError

__all__ = ["BlockFormat", "FORMATS", "BLOCK", "solve_blocks", "quantize_matrix", "pack_blocks",
           "unpack_blocks", "block_errors", "fp16_down", "fp16_up"]

BLOCK = 32
FP16_MAX = 65504.0
_FP16_NORMAL = 2.0 ** -14        # smallest normal fp16
_FP16_TINY = 2.0 ** -24          # subnormal spacing


@dataclass(frozen=True)
class BlockFormat:
    """One llama.cpp block type: its ``gguf.GGMLQuantizationType`` name, code range, bytes."""

    name: str
    lo: int
    hi: int
    type_size: int

    @property
    def qtype(self):
        from gguf import GGMLQuantizationType

        return GGMLQuantizationType[self.name]


FORMATS = {"Q4_0": BlockFormat("Q4_0", -8, 7, 18),
           "Q5_0": BlockFormat("Q5_0", -16, 15, 22),
           "Q8_0": BlockFormat("Q8_0", -128, 127, 34)}

_jit = nb.njit(cache=True, nogil=True)


@_jit
def fp16_down(v):
    """The largest finite fp16 value ``≤ v`` (``v > 0``, finite)."""
    if v >= FP16_MAX:
        return FP16_MAX
    if v < _FP16_NORMAL:
        step = _FP16_TINY
    else:
        e = math.frexp(v)[1]                 # v ∈ [2^(e-1), 2^e): spacing 2^(e-1-10)
        step = math.ldexp(1.0, e - 11)
    return math.floor(v / step) * step


@_jit
def fp16_up(v):
    """The smallest fp16 value ``≥ v`` (``v > 0``); ``inf`` above the largest finite one."""
    if v > FP16_MAX:
        return math.inf
    if v < _FP16_NORMAL:
        step = _FP16_TINY
    else:
        e = math.frexp(v)[1]
        step = math.ldexp(1.0, e - 11)
    return math.ceil(v / step) * step


@_jit
def _err_bc(x, c, d, lo, hi):
    """``(Σ c (x − q·d)², Σ c q x, Σ c q²)`` with the nearest clamped codes ``q`` at ``d``."""
    s = 0.0
    B = 0.0
    C = 0.0
    for i in range(x.size):
        q = 0.0
        if d != 0.0:
            q = min(max(math.floor(x[i] / d + 0.5), lo), hi)
        r = x[i] - q * d
        s += c[i] * r * r
        B += c[i] * q * x[i]
        C += c[i] * q * q
    return s, B, C


@_jit
def _nearest16(v):
    """The fp16 value nearest to ``v`` (signed; ``|v|`` beyond the largest finite: the largest)."""
    a = abs(v)
    dn = fp16_down(a)
    up = fp16_up(a)
    r = dn if (a - dn <= up - a or up > FP16_MAX) else up
    return r if v > 0 else -r


@_jit
def _incumbent(x, c, lo, hi, amax_signed):
    """A good fp16 scale and its error, to bound the sweep's window: the best of ``d = 0``, the
    fp16 scales mapping the largest value onto either end of the grid, and up to two Lloyd steps
    (codes → vertex ``B/C`` → nearest fp16)."""
    best_d = 0.0
    best, B, C = _err_bc(x, c, 0.0, lo, hi)
    if amax_signed == 0.0:
        return best_d, best
    for k in (lo, hi):
        dd = _nearest16(amax_signed / k)
        if dd != 0.0:
            e, b2, c2 = _err_bc(x, c, dd, lo, hi)
            if e < best:
                best, best_d, B, C = e, dd, b2, c2
    for _ in range(2):
        if best_d == 0.0 or C <= 0.0 or B == 0.0:
            break
        dd = _nearest16(B / C)
        if dd == 0.0 or dd == best_d:
            break
        e, b2, c2 = _err_bc(x, c, dd, lo, hi)
        if e >= best:
            break
        best, best_d, B, C = e, dd, b2, c2
    return best_d, best


@_jit
def _window_hi(ax, c, e0, d_inc, halvings):
    """``D``: every ``d > D`` has ``E ≥ e0``. Values with ``|x| < D ≤ d`` have code 0 or ±1 there,
    error ``≥ min(x², (D − |x|)²)``; the sum ``LB(D)`` of these is non-decreasing in ``D`` and
    ``LB(2·max|x|) = Σ c x² ≥ e0``: bisect ``[|d_inc|, 2·max|x|]`` for a ``D`` with
    ``LB(D) ≥ e0`` (``halvings`` steps: the range is about ``2·K`` scales wide)."""
    n = ax.size
    amax = 0.0
    for i in range(n):
        amax = max(amax, ax[i])
    top = 2.0 * amax
    bot = abs(d_inc)
    if bot > 0.0 and bot < top:
        for _ in range(halvings):
            mid = 0.5 * (bot + top)
            lb = 0.0
            for i in range(n):
                g = min(ax[i], max(mid - ax[i], 0.0))
                lb += c[i] * g * g
            if lb >= e0:
                top = mid
            else:
                bot = mid
    return top * (1.0 + 1e-12)


@_jit
def _window_lo(ax, c, kmax, e0):
    """``D``: every ``0 < d < D`` has ``E ≥ e0``, from the decreasing convex lower bound
    ``f(D) = Σ c (|x| − K·D)₊²`` (``|x − q·d| ≥ |x| − K·d`` for ``|q| ≤ K``): the best single-term
    root, then two Newton steps (from the left of the root of a convex decreasing function they
    stay left of it)."""
    D = 0.0
    for i in range(ax.size):
        if c[i] > 0.0:
            t = (ax[i] - math.sqrt(e0 / c[i])) / kmax[i]
            if t > D:
                D = t
    if D <= 0.0:
        return 0.0
    for _ in range(2):
        f = -e0
        g = 0.0
        for i in range(ax.size):
            h = ax[i] - kmax[i] * D
            if h > 0.0:
                f += c[i] * h * h
                g += c[i] * kmax[i] * h
        if f <= 0.0 or g <= 0.0:
            break
        D += f / (2.0 * g)
    return D * (1.0 - 1e-12)


@_jit
def _sort_desc(ts, ti, ne, t_hi, t_lo, bt, bi, cnt):
    """Sort the first ``ne`` events (all in ``[t_lo, t_hi]``) by ``ts`` descending: a bucket pass
    (``ne`` equal buckets of the range, scratch ``bt``, ``bi``, ``cnt``), then insertion sort,
    which only has the few inversions inside buckets left to undo."""
    if ne > 8 and t_hi > t_lo:
        scale = ne / (t_hi - t_lo)
        for k in range(ne + 1):
            cnt[k] = 0
        for j in range(ne):
            k = min(max(int((t_hi - ts[j]) * scale), 0), ne - 1)
            cnt[k + 1] += 1
        for k in range(ne):
            cnt[k + 1] += cnt[k]
        for j in range(ne):
            k = min(max(int((t_hi - ts[j]) * scale), 0), ne - 1)
            bt[cnt[k]] = ts[j]
            bi[cnt[k]] = ti[j]
            cnt[k] += 1
        for j in range(ne):
            ts[j] = bt[j]
            ti[j] = bi[j]
    for j in range(1, ne):
        t = ts[j]
        i = ti[j]
        k = j
        while k > 0 and ts[k - 1] < t:
            ts[k] = ts[k - 1]
            ti[k] = ti[k - 1]
            k -= 1
        ts[k] = t
        ti[k] = i


@_jit
def _piece(B, C, l, r, best, bd):
    """The best fp16 ``d`` of the piece ``[l, r]`` (codes fixed: ``C·d² − 2·B·d``) if it beats
    ``best``: the fp16 neighbours of the clamped vertex (the module docstring, step 3)."""
    # min over all real d of the quadratic is −B²/C: test it without dividing first
    if C > 0.0 and B * B > -best * C:
        v = B / C
        if v < l:
            v = l
        elif v > r:
            v = r
        # the real minimum of the piece bounds its fp16 ones: look further only below best
        if v > 0.0 and (C * v - 2.0 * B) * v < best:
            for cand in (fp16_down(v), fp16_up(v)):
                if cand > 0.0 and cand >= l and cand <= r:
                    val = (C * cand - 2.0 * B) * cand
                    if val < best:
                        best = val
                        bd = cand
    return best, bd


@_jit
def _sweep(x, c, lo, hi, best, d_hi, ts, ti, step, ax, kp, kn, bt, bi, cnt):
    """Best ``(value, d)`` over fp16 ``d`` with ``0 < |d| ≤ d_hi`` of ``C·d² − 2·B·d``
    (``E − Σ c x²``) below the incumbent ``best`` (the module docstring, steps 2–4), both signs
    of ``d`` in one pass: a breakpoint moves the code of ``x_i`` for both signs, except the last
    one (to ``hi + 1 = −lo``), which exists only for the sign giving ``x_i``'s side the extra
    level (``kp``, ``kn``: the largest code magnitude of each value for ``d > 0`` and ``d < 0``).
    The codes start just below ``d_hi``; the breakpoints down to the window's lower end are
    sorted and every piece between them tried. ``d = 0``: none beat ``best``."""
    n = x.size
    a2 = 0.0
    for i in range(n):
        ax[i] = abs(x[i])
        kp[i] = hi if x[i] > 0 else -lo
        kn[i] = -lo if x[i] > 0 else hi
        a2 += c[i] * x[i] * x[i]
    d_lo = min(_window_lo(ax, c, kp, best + a2), _window_lo(ax, c, kn, best + a2))
    bd = 0.0
    if d_hi < d_lo:
        return best, bd
    K = -lo
    Bp = 0.0
    Cp = 0.0
    Bn = 0.0
    Cn = 0.0
    ne = 0
    l_end = 0.0
    for i in range(n):                       # codes just below d_hi, breakpoints in the window
        m = 0
        if ax[i] > 0.0:
            m = min(max(int(math.floor(ax[i] / d_hi + 0.5)), 0), K)
            while m > 0 and ax[i] / (m - 0.5) < d_hi:
                m -= 1
            while m < K and ax[i] / (m + 0.5) >= d_hi:
                m += 1
            k = m
            while k < K:
                t = ax[i] / (k + 0.5)
                if t < d_lo:
                    if t > l_end:
                        l_end = t
                    break
                ts[ne] = t
                ti[ne] = i
                ne += 1
                k += 1
        step[i] = m
        mp = min(m, kp[i])
        mn = min(m, kn[i])
        Bp += c[i] * mp * ax[i]
        Cp += c[i] * mp * mp
        Bn += c[i] * mn * ax[i]
        Cn += c[i] * mn * mn
    _sort_desc(ts, ti, ne, d_hi, d_lo, bt, bi, cnt)
    r = d_hi
    for j in range(ne + 1):
        l = ts[j] if j < ne else l_end
        best, dd = _piece(Bp, Cp, l, r, best, 0.0)
        if dd > 0.0:
            bd = dd
        best, dd = _piece(Bn, Cn, l, r, best, 0.0)
        if dd > 0.0:
            bd = -dd
        if j == ne:
            break
        i = ti[j]
        k = step[i]
        if k < kp[i]:
            Bp += c[i] * ax[i]
            Cp += c[i] * (2 * k + 1)
        if k < kn[i]:
            Bn += c[i] * ax[i]
            Cn += c[i] * (2 * k + 1)
        step[i] = k + 1
        r = l
    return best, bd


_CHUNK = 256


@nb.njit(cache=True, nogil=True, parallel=True)
def _solve(xs, cs, lo, hi):
    nb_ = xs.shape[0]
    n = xs.shape[1]
    d = np.zeros(nb_, dtype=np.float64)
    q = np.zeros((nb_, n), dtype=np.int16)
    err = np.zeros((nb_, 2), dtype=np.float64)
    kk = max(hi, -lo)
    nhalf = int(math.log2(2 * kk)) + 4
    for ch in nb.prange((nb_ + _CHUNK - 1) // _CHUNK):
        ts = np.empty(n * kk, dtype=np.float64)
        ti = np.empty(n * kk, dtype=np.int64)
        bt = np.empty(n * kk, dtype=np.float64)
        bi = np.empty(n * kk, dtype=np.int64)
        cnt = np.empty(n * kk + 1, dtype=np.int64)
        step = np.empty(n, dtype=np.int64)
        ax = np.empty(n, dtype=np.float64)
        kp = np.empty(n, dtype=np.float64)
        kn = np.empty(n, dtype=np.float64)
        x = np.empty(n, dtype=np.float64)
        c = np.empty(n, dtype=np.float64)
        for b in range(ch * _CHUNK, min(nb_, (ch + 1) * _CHUNK)):
            am = 0.0
            a2 = 0.0
            for i in range(n):
                x[i] = xs[b, i]
                c[i] = cs[b, i]
                ax[i] = abs(x[i])
                a2 += c[i] * x[i] * x[i]
                if ax[i] > abs(am):
                    am = x[i]
            db, e0 = _incumbent(x, c, lo, hi, am)
            d_hi = _window_hi(ax, c, e0, db, nhalf)
            best, dd = _sweep(x, c, lo, hi, e0 - a2, d_hi, ts, ti, step, ax, kp, kn, bt, bi,
                              cnt)
            if dd != 0.0:
                db = dd
            d[b] = db
            e_w = 0.0
            e_1 = 0.0
            for i in range(n):
                qi = 0
                if db != 0.0:
                    qi = min(max(math.floor(xs[b, i] / db + 0.5), lo), hi)
                q[b, i] = qi
                r = xs[b, i] - qi * db
                e_w += c[i] * r * r
                e_1 += r * r
            err[b, 0] = e_w
            err[b, 1] = e_1
    return d, q, err


def solve_blocks(x, fmt: BlockFormat, c=None, errors=False):
    """``(d, q)`` (with ``errors``: ``(d, q, e)``, ``e[:, 0]`` the weighted and ``e[:, 1]`` the
    plain squared error per block): per row of ``x`` (blocks × 32) the fp16-exact scale ``d``
    (float64 holding an fp16 value, either sign) and the int16 codes in ``[fmt.lo, fmt.hi]``
    minimizing ``Σ c (x − q·d)²`` (the module docstring); ``c``: non-negative weights of ``x``'s
    shape, or None for 1."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != BLOCK:
        raise ValueError(f"blocks must be an (n, {BLOCK}) array, got shape {x.shape}")
    c = np.ones_like(x) if c is None else np.ascontiguousarray(c, dtype=np.float32)
    if c.shape != x.shape:
        raise ValueError(f"weights of shape {c.shape} for blocks of shape {x.shape}")
    if x.shape[0] == 0:
        out = np.zeros(0), np.zeros((0, BLOCK), dtype=np.int16), np.zeros((0, 2))
    else:
        out = _solve(x, c, fmt.lo, fmt.hi)
    return out if errors else out[:2]


def pack_blocks(d, q, fmt: BlockFormat) -> np.ndarray:
    """The llama.cpp bytes of blocks with scales ``d`` (fp16 values) and codes ``q``:
    a ``(n, fmt.type_size)`` uint8 array (the module docstring's layouts)."""
    n = q.shape[0]
    d16 = np.asarray(d, dtype=np.float64).astype(np.float16)
    if not np.array_equal(d16.astype(np.float64), np.asarray(d, dtype=np.float64)):
        raise ValueError("scales must be fp16 values")
    if q.min(initial=0) < fmt.lo or q.max(initial=0) > fmt.hi:
        raise ValueError(f"codes outside {fmt.lo}…{fmt.hi}")
    db = d16.reshape(n, 1).view(np.uint8)
    if fmt.name == "Q8_0":
        return np.concatenate([db, q.astype(np.int8).view(np.uint8)], axis=1)
    u = (q - fmt.lo).astype(np.uint8)
    qs = (u[:, :16] & 0x0F) | ((u[:, 16:] & 0x0F) << 4)
    if fmt.name == "Q4_0":
        return np.concatenate([db, qs], axis=1)
    bits = (u >> 4).astype(np.uint32) << np.arange(BLOCK, dtype=np.uint32)
    qh = bits.sum(axis=1, dtype=np.uint32).astype("<u4").reshape(n, 1).view(np.uint8)
    return np.concatenate([db, qh, qs], axis=1)


def unpack_blocks(raw, fmt: BlockFormat):
    """``(d, q)`` of packed blocks (the inverse of :func:`pack_blocks`, written from the layout,
    not from gguf-py)."""
    raw = np.ascontiguousarray(raw, dtype=np.uint8).reshape(-1, fmt.type_size)
    d = raw[:, :2].copy().view("<f2").astype(np.float64).ravel()
    if fmt.name == "Q8_0":
        return d, raw[:, 2:].view(np.int8).astype(np.int16)
    qs = raw[:, -16:]
    u = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int16)
    if fmt.name == "Q5_0":
        qh = raw[:, 2:6].copy().view("<u4").ravel()
        u |= (((qh[:, None] >> np.arange(BLOCK, dtype=np.uint32)) & 1) << 4).astype(np.int16)
    return d, u + fmt.lo


def block_errors(x, d, q, c=None) -> np.ndarray:
    """``Σ c (x − q·d)²`` per block, in float64."""
    x = np.asarray(x, dtype=np.float64)
    r = x - np.asarray(q, dtype=np.float64) * np.asarray(d, dtype=np.float64)[:, None]
    w = 1.0 if c is None else np.asarray(c, dtype=np.float64)
    return (w * r * r).sum(axis=1)


def quantize_matrix(w, fmt: BlockFormat, importance=None, value_weighted: bool = False):
    """``(bytes, sse)``: a weight ``w`` (rows along its last axis) in ``fmt`` as gguf-py's writer
    wants it, uint8 of shape ``(..., cols // 32 · type_size)``, and its error sums
    ``[Σ c (x − q·d)², Σ (x − q·d)²]``.

    ``importance``: one non-negative weight per column (llama.cpp's imatrix of the tensor), or
    None for the weight error. ``value_weighted``: the weight of value ``x_i`` of a row is
    ``importance_i · sqrt(σ² + x_i²)`` with ``σ²`` the row's mean square — llama.cpp's weighting
    in ``quantize_row_q4_0_impl`` (ggml-quants.c), here solved exactly."""
    w = np.asarray(w, dtype=np.float32)
    cols = w.shape[-1]
    if cols % BLOCK:
        raise LaaciqError(f"row length {cols} is not a multiple of {BLOCK}")
    xb = w.reshape(-1, BLOCK)
    c = None
    if importance is not None:
        imp = np.asarray(importance, dtype=np.float32).reshape(-1)
        if imp.size != cols:
            raise LaaciqError(f"importances of size {imp.size} for rows of length {cols}")
        c = np.broadcast_to(imp.reshape(1, cols), (xb.size // cols, cols)).reshape(-1, BLOCK)
        if value_weighted:
            x2 = np.square(w.reshape(-1, cols))
            sigma2 = x2.mean(axis=1, keepdims=True, dtype=np.float32)
            c = (imp.reshape(1, cols) * np.sqrt(sigma2 + x2)).reshape(-1, BLOCK)
    d, q, e = solve_blocks(xb, fmt, c, errors=True)
    raw = pack_blocks(d, q, fmt).reshape(*w.shape[:-1], cols // BLOCK * fmt.type_size)
    return raw, e.sum(axis=0)
