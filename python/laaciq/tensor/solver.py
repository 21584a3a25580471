"""Exact clipping thresholds of an empirical tensor: the true round-to-nearest MSE and the seeds'
surrogate objectives, each minimized globally, per tensor, per channel or per group.

Notation: ``a_i = |x_i|`` (``n`` values), ``B`` bits, ``L = 2^(B-1) - 1`` positive levels,
``α = L·s`` (``s`` the step). Every objective below is a *sum over the data*, never a grid.

Surrogates (``objective`` = "banner", "seed001", "uniform"; ``c`` = :func:`mse.noise_coefficient`)::

    f(α) = (1/n) Σ_{a_i > α} (a_i - α)² + c·α²

``c = 1/(3·4^B)`` (Banner), ``1/(3(2^B-1)²)`` (seed 001), ``1/(12 L²)`` (the quantizer's own step).
``f`` is strictly convex (``f'' = 2P(a > α) + 2c > 0``). If the top ``k`` values (sum ``S_k``)
are the ones above ``α``, ``f`` is the quadratic ``(Q_k - 2αS_k + kα²)/n + cα²`` whose minimizer
is ``α_k = S_k/(k + c·n)`` — the OCTAV fixed point ``α ← E[a; a > α]/(c + P(a > α))`` solved on
that piece. The global minimizer is the ``α_k`` that lies in its own piece
``[a_(k+1), a_(k)]`` (descending order). "seed004" weights the noise by ``P(a ≤ α)``:
``f = (1/n)Σ_{a>α}(a-α)² + c α² (n-k)/n`` on the piece with ``k`` values above ``α``, which jumps
*up* by ``cα²/n`` where ``α`` crosses a data value: it is not convex and not continuous. Every
piece ``[a_(k+1), a_(k))`` is scanned; when a piece's quadratic still decreases at its open right
end the infimum is not attained and the largest float below ``a_(k)`` is returned (its value is
the infimum up to one ulp of ``α``).

Speed (surrogates, one large tensor, ``n > 2^18``): no sort of the data. The optimum of a 1/256
subsample gives a guess ``α̂``; one streaming pass keeps the values above ``t_lo = α̂(1-δ)``; the
guess is *certified* on that tail — convex models: ``f'(t_lo+) ≤ 0 ≤ f'(t_hi)``, i.e.
``c·n·t ≤ Σ_{a>t}(a-t)`` at ``t_lo`` and the reverse at ``t_hi``; seed004: ``C(t_lo) ≥ U`` and
``c·t_hi²·P(a ≤ t_hi) ≥ U`` for the best value ``U`` found (both bounds are monotone, so no
``α`` outside ``[t_lo, t_hi]`` beats ``U``) — and only the values in ``(t_lo, t_hi]`` are sorted
(``δ`` is widened ×4 and the pass redone when a certificate fails). Smaller inputs and rows of a
per-channel/group call are sorted (vectorized over rows).

True MSE (``objective="true"``). With every ``k_i ∈ {0..L}`` fixed the error
``Σ (a_i - k_i s)²`` is a quadratic in ``s``; the round-to-nearest error
``E(s) = Σ_i min_k (a_i - k s)²`` is the minimum over all assignments, hence

    min_s E(s) = min over assignments k of ( Σa² - (Σ a_i k_i)² / Σ k_i² )           (1)

Lean (``LaAciq/Candidates.lean``, checked): for a finite law, every ``α > 0`` and the rounding
codes ``k_α`` at ``α``, the vertex ``β = L·Σ a k_α / Σ k_α²`` has ``MSE(β) ≤ MSE(α)``
(``mse_codeVertex_le``; if every code is 0, ``MSE(β) ≤ Σa² = MSE(α)`` for every ``β``), so a
global minimizer over ``α > 0`` exists among the vertices of the code assignments
(``mse_exists_minimizer``, candidate list ``trueCandidates``): (1) taken over rounding
assignments only is exact. ``tests/test_candidates.py`` checks this solver's optimum against
that candidate list. Codes are constant between breakpoints (``code_eq_of_no_breakpoint``,
checked: a value inside both clipping ranges gets the same code at two steps that no breakpoint
``x/(j+½)`` separates; ``code_of_alpha_le``: a clipped value has code ``L``), so the codes of
every piece scanned are the rounding codes of every step inside it; on a breakpoint the tied
value has the same error with either neighbouring code, so each piece's vertex value is at most
the MSE at any step in its closure.

and the minimum of (1) is attained by the assignment that rounding produces on one of the
pieces between *breakpoints* ``s = a_i/(j + ½)`` (``0 ≤ j < L``, where ``a_i`` moves from level
``j+1`` to ``j``). Every assignment scanned is a real assignment, so every value scanned is an
upper bound of ``E`` at its own ``s* = Σak/Σk²``; the scan of all pieces in a bracket that
contains a global minimizer therefore returns the global minimum, whatever the order of
breakpoints that coincide. Ties need no rule: at ``a = (j+½)s`` both neighbours give the same error
(half-up, half-even and half-away all give the same MSE; the value returned is evaluated with the
real :func:`quantizer.quantize` formula and the requested ``rounding``).

Bracket (proved, never a heuristic):

* an upper value ``U``: Lloyd iterations (``k ← round``, ``s ← Σak/Σk²``, each never increases
  ``E``) from the exact "uniform" surrogate optimum, improved during the search;
* ``α ≥ α_lo``: every value above ``α`` costs at least ``(a - α)²``, so ``E ≥ C(α)`` (the clip
  error), non-increasing in ``α``; ``α`` with ``C(α) > U`` is excluded. Below the smallest nonzero
  value ``E = C`` is decreasing, so ``α ≥ min{a > 0}`` also holds;
* ``s ≤ s_hi``: every value below ``s/2`` rounds to 0, so ``E(s) ≥ Σ_{a < s/2} a²``, which is
  non-decreasing in ``s``; ``s_hi`` is twice the first sorted value whose prefix of squares
  exceeds ``U`` (at most ``2·max a``, where every value rounds to 0);
* branch and bound on ``s``-intervals ``I = [s1, s2]``: for ``s ∈ I`` the levels ``k s`` sweep
  ``G(I) = ∪_k [k s1, k s2]``, so ``E(s) ≥ Σ_i dist(a_i, G(I))²`` (and ``≥ (a - L s2)²`` above
  ``L s2``). That sum is computed from prefix sums of ``(1, a, a²)`` over the sorted values (rows)
  or over a fine histogram of ``a`` (one large tensor; a bin straddling a gap midpoint counts
  ``cnt·(distance from its edges)²``), minus a rigorous rounding margin. Only the gaps
  ``k < s1/(s2 - s1)`` are non-empty; for rows the bound is either these gap sums (float32 rows:
  the searches of all rows are one ``searchsorted`` on int64 keys ``row·2³² + bits(a)``) or the
  same sum value by value over the values below the last non-empty gap plus the clipped tail
  from prefix sums, whichever is cheaper for the interval batch. Intervals with
  bound ``> U`` are dropped, survivors split ×4, until the breakpoints left are few (``≈ 2n``)
  or the bound stops shrinking the bracket.

Only the breakpoints inside the surviving intervals are generated (never an ``n × L`` array),
sorted and scanned with running sums. The scan is carried in a shifted form around
``s0 = sqrt(s1·s2)`` over sub-intervals with ``L·log(s2/s1) ≤ 2`` (``T0 = Σ(a - k s0)²``,
``T1 = Σk(a - k s0)``, ``T2 = Σk²``, piece minimum ``T0 - T1²/T2`` at ``s0 + T1/T2``) so the values
keep their relative accuracy at 8–16 bits. Each piece value carries a rigorous rounding bound
``tol`` (blocked prefix sums); every piece that may be within ``tol`` of the best, and the Lloyd
point, is evaluated with the real quantizer and the best is returned: **the returned α is never
worse than any candidate evaluated**.

Float limits (documented, tested): an evaluated error sum ``U`` is itself only known to
``4·eps·sqrt(U·Σx²) + 4·eps²·Σx²`` (each ``x - Q(x)`` carries an ulp of ``x``); gains below that
are not pursued. For near-perfect fits (data on a grid, where the scan's rounding exceeds the error
itself) at most 256 near-best pieces per slice are evaluated; ``stats["near_capped"]`` counts such
slices and ``stats["certified_gap"]`` bounds their relative loss (returned error minus the lowest
value any scanned piece may have, over the returned error).

Ties: a value exactly on a breakpoint is equidistant from two levels, so the error does not
depend on the rounding rule; the returned α is evaluated with ``rounding`` (default half-up, the
quantizer's rule). Zero slices: every α is optimal; ``α = 1`` is returned.

Cost: rows — one sort per row plus ``O(n)`` passes, in blocks of ``2^18`` values; one large
tensor — streaming passes in chunks of ``2^18`` values (no copy of the tensor), a histogram of
``≤ 2^20`` bins and the breakpoints of the final bracket (``≈ 0.3·n·L·w`` for a bracket of
relative width ``w``), generated ``≤ n/32`` at a time (~190 bytes each: ≤ 6 bytes per value).

API: :func:`exact_alpha` (``axis``: one α per index of that axis; ``group=g``: blocks of ``g``
consecutive values along ``axis``, default the last one), :func:`exact_alpha_weighted` (the true
MSE of a weighted pool of tensors, e.g. a language's effective law), :func:`slice_mse` (the true
MSE per slice at given thresholds), :func:`as_slices`, :func:`surrogate_coefficient`.

Engines of the true-MSE rows (``engine=``): the compiled kernel (:mod:`laaciq.tensor.kernels`,
numba; the default) runs the same algorithm one row at a time — scalar loops instead of padded
batches, the breakpoints of a run bucket-sorted, the value-by-value bound and the error sums in
vector lanes — and the numpy engine is the batched code of this module. Both are exact and the
tests hold them to the same brute force and to each other. Measured per channel on MiniLM-L6's
encoder matrices (10.6 M float32 values, ``python -m laaciq.tensor.bench --only
per_channel_vs_sort``, one core of a 2-core machine, best of 2, in one run): compiled 0.28 s at
4 bits and 1.25 s at 8 bits, 13× and 63× one ``np.sort(w, axis=-1)`` of the same matrices
(0.020 s; 0.018–0.031 s from run to run); the numpy engine 4.0 s and 12.4 s (10–14× slower).

Measured (``python -m laaciq.tensor.bench``, 2 cores, float32 N(0,1)): exact surrogate optimum
at ``n = 2^24`` in 0.17–1.9× one ``np.sort`` (convex models; seed004 at 2 bits ~8×: its bracket
holds ~30% of the data); exact true optimum of a 4096×4096 per-channel 4-bit tensor in 0.5 s
(compiled engine), ~120-135× faster than NVIDIA's 1920-candidate histogram search (numpy port).
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from laaciq.theory import quantizer
from laaciq.theory.mse import noise_coefficient
from laaciq.argcheck import check_bits, check_choice

try:                                   # the compiled row kernel (numba, a core dependency)
    from laaciq.tensor import kernels as _kernels
except ImportError:                    # pragma: no cover - numba missing: the numpy rows path
    _kernels = None

__all__ = ["OBJECTIVES", "SURROGATES", "ENGINES", "ExactResult", "exact_alpha", "exact_alpha_trusted",
           "exact_alpha_weighted", "slice_mse", "slice_mse_trusted", "surrogate_coefficient",
           "as_slices", "level_rows"]

#: What :func:`exact_alpha` minimizes: the true MSE or a seed's surrogate.
OBJECTIVES = ("true", "banner", "seed001", "uniform", "seed004")
#: The surrogate objectives (clip error + a noise model).
SURROGATES = OBJECTIVES[1:]
#: How the true-MSE rows are solved: "compiled" (:mod:`laaciq.tensor.kernels`) or "numpy"
#: (this module's batched row path); "auto" takes the compiled kernel when numba imports, up to
#: :data:`COMPILED_MAX_BITS` bits.
ENGINES = ("auto", "compiled", "numpy")
#: Above this many bits "auto" takes the numpy engine. Measured on 64 MiniLM-L6 rows of 384
#: values, per channel: compiled/numpy 0.08/0.60 s at 12 bits, 0.71/2.25 s at 14, 3.5/5.0 s at
#: 15, 17.9/10.7 s at 16 (the kernel's interval budget runs out before its bounds, which need
#: intervals of relative width ~1/L, prune near the optimum, and it scans 3x more breakpoints).
COMPILED_MAX_BITS = 15

_EPS = float(np.finfo(np.float64).eps)
_CHUNK = 1 << 18          # values per streaming chunk
_BIG = 1 << 18            # one tensor larger than this takes the streaming path
_ROW_BLOCK = 1 << 18      # values per block of rows
_MAX_ROUNDS = 14          # branch-and-bound rounds
_SPLIT = 4                # each surviving interval is split in 4
_DEAR = 1.0               # a row stops splitting when the next round costs more than this share
                          # of the breakpoints it could save (measured: flat between 0.5 and 2)
_BUDGET = 0.25            # a row stops splitting below this many breakpoints per value
_START_INTERVALS = 16
_TRANS_BLOCK = 1 << 20    # breakpoints generated at once
_NEAR_CAP = 1024          # near-best pieces kept per interval by the scan
_ROW_CAP = 256            # near-best pieces evaluated exactly per slice (see _near_filter)


@dataclass(frozen=True)
class ExactResult:
    """Result of :func:`exact_alpha`.

    ``alpha``: the thresholds (shape ``()`` per tensor, ``(C,)`` per channel, the block shape for
    groups); ``mse``: the true MSE of the real quantizer at ``alpha`` per slice (same shape);
    ``value``: the objective minimized at ``alpha`` (``= mse`` for "true"); ``seconds``: wall time;
    ``stats``: work counters (breakpoints scanned, branch-and-bound rounds, candidates evaluated).
    """

    alpha: np.ndarray
    mse: np.ndarray
    value: np.ndarray
    bits: int
    objective: str
    axis: int | None
    group: int | None
    seconds: float
    stats: dict = field(default_factory=dict)

    @property
    def mse_total(self) -> float:
        """The MSE over the whole tensor (every slice has the same size)."""
        return float(np.mean(self.mse))


def surrogate_coefficient(bits: int, objective: str) -> float:
    """``c`` of a surrogate: noise ``= c·α²`` (times ``P(|X| ≤ α)`` for "seed004")."""
    check_choice(objective, "objective", SURROGATES)
    return noise_coefficient(check_bits(bits), "uniform" if objective == "seed004" else objective)


# =============================================================================================
# input handling


def _check_input(x) -> np.ndarray:
    """The boundary check of the public functions (real, non-empty, finite; float32/float64
    out). Every inner function trusts its caller on these points."""
    if isinstance(x, (str, bytes)):
        raise TypeError("x must be an array of real numbers, got a string")
    arr = np.asarray(x)
    if arr.dtype.name == "bfloat16" or arr.dtype.name.startswith("float8"):
        arr = arr.astype(np.float32)                 # ml_dtypes floats (numpy kind "V")
    if arr.dtype == object or arr.dtype.kind not in "fiub":
        raise TypeError(f"x must be an array of real numbers, got dtype {arr.dtype}")
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    elif arr.dtype.itemsize < 4:
        arr = arr.astype(np.float32)
    elif arr.dtype.itemsize > 8:
        arr = arr.astype(np.float64)
    if arr.size == 0:
        raise ValueError("x is empty: need at least one value")
    for lo in range(0, arr.size, 1 << 22):
        blk = arr.reshape(-1)[lo:lo + (1 << 22)]
        if not np.isfinite(blk).all():
            bad = blk[~np.isfinite(blk)][0]
            raise ValueError(f"x must be finite, found {bad!r}: drop or replace NaN/inf values")
    return arr


def _check_axis(axis, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    if ndim == 0:
        raise ValueError("axis needs an array with at least one dimension, got a scalar")
    if not -ndim <= int(axis) < ndim:
        raise ValueError(f"axis {axis} is out of range for an array with {ndim} dimensions")
    return int(axis) % ndim


def as_slices(x, axis=None, group=None) -> tuple[np.ndarray, tuple]:
    """The slices of ``x`` that get one threshold each, as rows ``(R, m)``, and the shape of the
    threshold array: per tensor ``(1, n)`` and ``()``; ``axis=a``: one row per index of axis
    ``a`` and ``(x.shape[a],)``; ``group=g``: blocks of ``g`` consecutive values along ``axis``
    (default the last), shape ``x.shape`` with that axis moved last and divided by ``g``."""
    arr = np.asarray(x)
    if group is None:
        if axis is None:
            return arr.reshape(1, -1), ()
        ax = _check_axis(axis, arr.ndim)
        moved = np.moveaxis(arr, ax, 0)
        if moved.shape[0] == 0 or moved.size == 0:
            raise ValueError("x is empty along the channel axis")
        return moved.reshape(moved.shape[0], -1), (moved.shape[0],)
    if isinstance(group, bool) or not isinstance(group, numbers.Integral) or group < 1:
        raise ValueError(f"group must be a positive integer, got {group!r}")
    ax = _check_axis(-1 if axis is None else axis, arr.ndim)
    d = arr.shape[ax]
    if d % int(group):
        raise ValueError(f"group {group} does not divide the length {d} of axis {ax}: "
                         f"choose a divisor of {d}")
    moved = np.moveaxis(arr, ax, -1)
    shape = moved.shape[:-1] + (d // int(group),)
    return moved.reshape(-1, int(group)), shape


# =============================================================================================
# the real quantizer's squared error


def _sq_err(x, alpha, L: int, rounding: str) -> np.ndarray:
    """``Σ (x - Q(x))²`` along the last axis of float64 rows ``x`` (R, m) for thresholds
    ``alpha`` (R,), with exactly the operations of :func:`quantizer.quantize`."""
    k, s = level_rows(x, alpha, L, rounding)
    e = x - k * s
    return np.einsum("ij,ij->i", e, e)


def level_rows(x, alpha, L: int, rounding: str = "half_up"):
    """The levels ``k`` (float64, ``|k| ≤ L``) and steps ``s = α/L`` (R, 1) of float64 rows ``x``
    (R, m) at thresholds ``alpha`` (R,): :func:`quantizer.quantize` is ``k * s``. No checks
    (finite rows, positive thresholds: the caller's)."""
    a = np.asarray(alpha, dtype=np.float64)[:, None]
    s = a / L
    k = quantizer._round(np.clip(x, -a, a) / s, rounding)
    np.clip(k, -L, L, out=k)
    return k, s


def _sq_err_stream(src, alphas, L: int, rounding: str) -> np.ndarray:
    """``Σ w Σ (x - Q(x))²`` over weighted 1-D sources ``[(x1d, w), ...]`` for several
    thresholds, in chunks (a bare array is one source of weight 1)."""
    if isinstance(src, np.ndarray):
        src = [(src, 1.0)]
    alphas = np.asarray(alphas, dtype=np.float64)
    parts = []
    for x1, wt in src:
        for lo in range(0, x1.size, _CHUNK):
            xc = x1[lo:lo + _CHUNK].astype(np.float64)
            xr = np.broadcast_to(xc, (1, xc.size))
            parts.append([wt * _sq_err(xr, np.array([al]), L, rounding)[0] for al in alphas])
    return np.array([math.fsum(p[i] for p in parts) for i in range(alphas.size)])


def slice_mse(x, alpha, bits: int, axis=None, group=None, rounding: str = "half_up"):
    """The true MSE ``mean((x - Q_α(x))²)`` of every slice (see :func:`as_slices`) at the
    thresholds ``alpha`` (broadcast to the threshold shape), with :func:`quantizer.quantize`'s
    arithmetic. Returns an array of the threshold shape (a float per tensor)."""
    bits = check_bits(bits)
    check_choice(rounding, "rounding", quantizer.ROUNDINGS)
    arr = _check_input(x)
    rows, shape = as_slices(arr, axis, group)
    al = np.broadcast_to(np.asarray(alpha, dtype=np.float64), shape).reshape(-1)
    if not np.all(np.isfinite(al)) or np.any(al <= 0):
        raise ValueError("alpha must be finite and > 0")
    return slice_mse_trusted(rows, shape, al, bits, rounding)


def slice_mse_trusted(rows: np.ndarray, shape: tuple, al: np.ndarray, bits: int,
                      rounding: str = "half_up"):
    """:func:`slice_mse` on the rows of :func:`as_slices` without checks: finite rows, ``al``
    one finite positive threshold per row (the caller checked them)."""
    L = quantizer.levels(bits)
    R, m = rows.shape
    if R == 1 and m > _BIG:
        out = _sq_err_stream(rows[0], al, L, rounding) / m
        return float(out[0])
    out = np.empty(R)
    step = max(1, _ROW_BLOCK // m)
    for i in range(0, R, step):
        out[i:i + step] = _sq_err(rows[i:i + step].astype(np.float64), al[i:i + step], L,
                                  rounding) / m
    return out.reshape(shape) if shape else float(out[0])


# =============================================================================================
# prefix sums with a rounding bound


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


# =============================================================================================
# surrogates


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
    for lo in range(0, x1.size, _CHUNK):
        yield np.abs(x1[lo:lo + _CHUNK])


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


# =============================================================================================
# true MSE: atoms (sorted values or histogram bins) and interval lower bounds


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


_EPS32 = float(np.finfo(np.float32).eps)


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
    K = _START_INTERVALS
    t = np.linspace(0.0, 1.0, K + 1)
    ratio = s_hi / s_lo
    edges = s_lo[:, None] * ratio[:, None] ** t
    edges[:, 0], edges[:, -1] = s_lo, s_hi
    r = np.repeat(np.arange(R), K)
    s1 = edges[:, :-1].reshape(-1)
    s2 = edges[:, 1:].reshape(-1)
    done = np.zeros(R, dtype=bool)
    prev = np.full(R, np.inf)
    budget = _BUDGET * n_row + 256
    unit = _interval_cost(at, L)
    rounds = 0
    for rnd in range(_MAX_ROUNDS):
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
        dear = _SPLIT * np.bincount(r, minlength=R) * unit > _DEAR * est
        done |= (est <= budget) | stall | dear | (rnd == _MAX_ROUNDS - 1)
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
        f = np.linspace(0.0, 1.0, _SPLIT + 1)
        a1, a2 = s1[sp], s2[sp]
        e = a1[:, None] * (a2 / a1)[:, None] ** f
        e[:, 0], e[:, -1] = a1, a2
        r = np.r_[r[~sp], np.repeat(r[sp], _SPLIT)]
        s1 = np.r_[s1[~sp], e[:, :-1].reshape(-1)]
        s2 = np.r_[s2[~sp], e[:, 1:].reshape(-1)]
    stats["rounds"] = max(stats.get("rounds", 0), rounds)
    return _merge(r, s1, s2, R)


# =============================================================================================
# true MSE: breakpoint scan


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
    group's best (``val - tol ≤ min(val + tol)``), at most ``_NEAR_CAP`` per group.
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
    if cnt.max(initial=0) > _NEAR_CAP:          # keep the _NEAR_CAP lowest values
        lowv = np.where(near, val - tol, np.inf)
        kth = np.partition(lowv, _NEAR_CAP - 1, axis=1)[:, _NEAR_CAP - 1]
        near &= lowv <= kth[:, None]
    gi, si = np.nonzero(near)
    return gi, st[gi, si], val[gi, si] - tol[gi, si], val[gi, si] + tol[gi, si], \
        int(cnt.max(initial=0))


def _near_filter(row, lo, hi, U, floor, stats):
    """The candidates worth an exact evaluation: those whose value may be below the Lloyd value
    ``U`` of their row by more than the float ``floor``, and within rounding of the best.

    At most ``_ROW_CAP`` per row (the lowest scanned values): a row beyond that (a near-perfect
    fit, where the scan's rounding exceeds the error itself) is counted in
    ``stats["near_capped"]`` and ``stats["certified_gap"]`` bounds its loss: the returned error
    minus the lowest value any scanned piece may have, relative to the returned error (0 when
    no row is capped)."""
    rel = lo < (U - floor)[row]
    best = U.astype(np.float64).copy()
    np.minimum.at(best, row[rel], hi[rel])
    keep = rel & (lo <= best[row])
    cnt = np.bincount(row[keep], minlength=U.size)
    capped = np.flatnonzero(cnt > _ROW_CAP)
    if capped.size:
        mid = 0.5 * (lo + hi)
        idx = np.flatnonzero(keep)
        order = np.lexsort((mid[idx], row[idx]))
        idx = idx[order]
        rk = row[idx]
        first = np.searchsorted(rk, rk, side="left")
        rank = np.arange(idx.size) - first
        keep[idx[rank >= _ROW_CAP]] = False
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


def _narrow(gr, g1, g2, L, wmax=2.0):
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
        while j < G and (j - i) * m < _ROW_BLOCK and tot + est[j] <= _TRANS_BLOCK:
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


def _true_rows(xr, L, rounding, stats, v=None, v32=None):
    """Exact true-MSE minimizer for every row of ``xr`` (R, m) (float64); ``v``: the sorted
    ``|xr|`` rows if already known, ``v32``: the same as float32 when the input was float32."""
    R, m = xr.shape
    a = np.abs(xr)
    v = np.sort(a, axis=1) if v is None else v
    amax = v[:, -1]
    alpha = np.ones(R)
    mse = np.zeros(R)
    live = np.flatnonzero(amax > 0)
    if live.size == 0:
        return alpha, mse
    a, v, xl = a[live], v[live], xr[live]
    if v32 is not None and live.size < v32.shape[0]:
        v32 = v32[live]
    R = live.size
    c_u = noise_coefficient(_bits_of(L), "uniform")
    cand, _ = _pieces(v[:, ::-1], m, c_u, False)
    U, s_U = _lloyd_rows(a, cand[:, 0] / L, L)
    f2, s2_ = _lloyd_rows(a, v[:, -1] / L, L, iters=3)
    better = f2 < U
    U[better], s_U[better] = f2[better], s2_[better]

    P1, e1 = _prefix(v)
    P2, _ = _prefix(v * v)
    P0 = np.broadcast_to(np.arange(m + 1, dtype=np.float64), (R, m + 1)).copy()
    at = _Atoms(v, v, P0, P1, P2, e1, v32)
    vpos = np.where(v > 0, v, np.inf).min(axis=1)        # E = C below the smallest value
    s_lo = np.maximum(_clip_bound(at, U), vpos) / L
    s_hi = _zero_bound(v, P2, e1, U)
    s_lo = np.minimum(s_lo, s_hi * 0.5)

    def improve(rows, s):
        f, s_new = _lloyd_rows(a[rows], s, L, iters=2)
        b = f < U[rows]
        U[rows[b]], s_U[rows[b]] = f[b], s_new[b]

    A2 = P2[:, -1]
    gr, g1, g2 = _branch_and_bound(at, U, s_lo, s_hi, L, m, improve, stats, A2)
    cr, st, vlo, vhi = _scan_rows(a, gr, g1, g2, L, stats)
    # candidates: the Lloyd point of every row and the pieces that may be within rounding of
    # the row's best
    keep = _near_filter(cr, vlo, vhi, U * (1 + 1e-13), _noise_floor(U, A2), stats)
    cr, st = cr[keep], st[keep]
    if cr.size:
        stats["near_max"] = max(stats.get("near_max", 0), int(np.bincount(cr).max()))
    crow = np.r_[np.arange(R), cr]
    cal = np.r_[s_U, st] * L
    err = np.empty(crow.size)
    step = max(1, _ROW_BLOCK // m)
    for i in range(0, crow.size, step):
        err[i:i + step] = _sq_err(xl[crow[i:i + step]], cal[i:i + step], L, rounding)
    order = np.lexsort((err, crow))          # per row, the smallest error first (ties: first)
    first = order[np.r_[True, crow[order][1:] != crow[order][:-1]]]
    rows_best = crow[first]
    alpha[live[rows_best]] = cal[first]
    mse[live[rows_best]] = err[first] / m
    if "_low" in stats:
        capped, low = stats.pop("_low")
        got = np.zeros(R)
        got[rows_best] = err[first]
        g = got[capped]
        gap = np.where(g > 0, (g - low) / np.where(g > 0, g, 1.0), 0.0)
        stats["certified_gap"] = max(stats.get("certified_gap", 0.0), float(gap.max()))
    stats["candidates"] = stats.get("candidates", 0) + int(crow.size)
    return alpha, mse


def _true_rows_compiled(rows, L, rounding, stats):
    """The exact true-MSE optimum of every row of ``rows`` (R, m) with the compiled kernel
    (:mod:`laaciq.tensor.kernels`, the same algorithm as :func:`_true_rows`): blocks of rows are
    sorted by magnitude in the input's precision (exact), widened to float64 and solved row by
    row. The kernel's error sums use :func:`quantizer.quantize`'s half-up arithmetic on
    magnitudes (the same error per value for signed data); another ``rounding`` rule is
    evaluated here with the real quantizer (the optimum does not depend on it: at a tie both
    levels are equally far)."""
    R, m = rows.shape
    alpha = np.empty(R)
    sse = np.empty(R)
    st = np.zeros(6)
    step = max(1, _ROW_BLOCK // m)
    for i in range(0, R, step):
        raw = rows[i:i + step]
        v32 = np.sort(np.abs(raw), axis=1)
        v = v32.astype(np.float64)
        if v32.dtype != np.float32:
            v32 = np.zeros((v.shape[0], 0), np.float32)
        _kernels.true_rows(v, v32, L, alpha[i:i + step], sse[i:i + step], st)
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


def _bits_of(L: int) -> int:
    return int(L + 1).bit_length()


# --------------------------------------------------------------------------------------------
# true MSE, one large tensor (streaming)


def _src_chunks(src):
    """``(|x| chunk as float64, weight)`` over weighted sources ``[(x1d, w), ...]``."""
    for x1, wt in src:
        for lo in range(0, x1.size, _CHUNK):
            yield np.abs(x1[lo:lo + _CHUNK]).astype(np.float64), wt


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
    at most ``_TRANS_BLOCK`` breakpoints (one streaming pass per batch)."""
    n = sum(int(x.size) for x, _ in src)
    block = min(_TRANS_BLOCK, max(1 << 14, n // 32))   # memory ≈ 190 bytes per breakpoint
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
        a = _check_input(arr).reshape(-1)
        wt = float(wt)
        if not math.isfinite(wt) or wt < 0:
            raise ValueError(f"sources[{i}] weight must be finite and >= 0, got {wt!r}")
        if wt > 0:
            src.append((a, wt))
    if not src:
        raise ValueError("sources is empty: need at least one array with a positive weight")
    stats: dict = {}
    return _true_sources(src, quantizer.levels(bits), rounding, stats)


# =============================================================================================
# public entry point


def exact_alpha(x, bits: int = 4, objective: str = "true", axis=None, group=None,
                rounding: str = "half_up", evaluate: bool = True,
                engine: str = "auto") -> ExactResult:
    """The exact minimizer ``α`` of ``objective`` for every slice of ``x``.

    ``objective``: "true" (the real round-to-nearest MSE of :func:`quantizer.quantize`),
    "banner", "seed001", "uniform" (convex surrogates) or "seed004" (noise weighted by
    ``P(|X| ≤ α)``); see the module docstring for the algorithms and their proofs.
    ``axis``/``group``: see :func:`as_slices`. Rows of zeros have every ``α`` optimal; ``1.0`` is
    returned for them. ``evaluate=False`` skips the true-MSE evaluation of a surrogate's
    optimum (``mse`` is then NaN; "true" always has it). ``engine`` (:data:`ENGINES`): how the
    true-MSE rows (per channel, per group, a tensor of at most 2^18 values) are solved — the
    compiled kernel or the numpy row path; both are exact, the compiled one is ~5-10× faster.
    Returns an :class:`ExactResult`.
    """
    t0 = time.perf_counter()
    bits = check_bits(bits)
    check_choice(objective, "objective", OBJECTIVES)
    check_choice(rounding, "rounding", quantizer.ROUNDINGS)
    check_choice(engine, "engine", ENGINES)
    return exact_alpha_trusted(_check_input(x), bits, objective, axis, group, rounding,
                               evaluate, t0, engine)


def _rows_numpy(rows, bits, objective, rounding, evaluate, stats, alpha, mse, value):
    """The numpy engine on rows ``(R, m)`` in blocks: the true-MSE rows (:func:`_true_rows`) or
    a surrogate's exact optimum (evaluated with the true MSE when ``evaluate``); fills
    ``alpha``, ``mse``, ``value`` (R,)."""
    R, m = rows.shape
    L = quantizer.levels(bits)
    step = max(1, _ROW_BLOCK // m)
    for i in range(0, R, step):
        raw = rows[i:i + step]
        xr = raw.astype(np.float64)
        if objective == "true":    # sort in the input's precision (exact), then widen
            stats["engine"] = "numpy"
            v32 = np.sort(np.abs(raw), axis=1)
            v = v32.astype(np.float64)
            al, ms = _true_rows(xr, L, rounding, stats, v,
                                v32 if v32.dtype == np.float32 else None)
            alpha[i:i + step], mse[i:i + step], value[i:i + step] = al, ms, ms
        else:
            c = surrogate_coefficient(bits, objective)
            a = np.abs(xr)
            al, val = _surrogate_rows(a, c, objective == "seed004")
            zero = ~(al > 0)
            al[zero] = 1.0
            val[zero] = 0.0
            alpha[i:i + step], value[i:i + step] = al, val
            mse[i:i + step] = _sq_err(xr, al, L, rounding) / m if evaluate else np.nan


def exact_alpha_trusted(arr: np.ndarray, bits: int, objective: str = "true", axis=None,
                        group=None, rounding: str = "half_up", evaluate: bool = True,
                        t0: float | None = None, engine: str = "auto") -> ExactResult:
    """:func:`exact_alpha` without the input checks: the caller guarantees a finite, non-empty
    float32/float64 array and valid ``bits``/``objective``/``rounding`` (the checkpoint
    pipeline checks every tensor once when it loads it). ``engine`` (:data:`ENGINES`) chooses
    the solver of the true-MSE rows; both are exact and are tested against each other."""
    t0 = time.perf_counter() if t0 is None else t0
    check_choice(engine, "engine", ENGINES)
    if engine == "compiled" and _kernels is None:
        raise ValueError("engine 'compiled' needs numba, which does not import here")
    compiled = _kernels is not None and (engine == "compiled" or
                                         (engine == "auto" and bits <= COMPILED_MAX_BITS))
    rows, shape = as_slices(arr, axis, group)
    R, m = rows.shape
    L = quantizer.levels(bits)
    stats: dict = {"slices": int(R), "slice_size": int(m)}
    alpha = np.empty(R)
    mse = np.empty(R)
    value = np.empty(R)
    if R == 1 and m > _BIG:
        x1 = rows.reshape(-1)
        stats["path"] = "stream"
        if objective == "true":
            alpha[0], mse[0] = _true_stream(x1, L, rounding, stats)
            value[0] = mse[0]
        else:
            c = surrogate_coefficient(bits, objective)
            alpha[0], value[0] = _surrogate_stream(x1, c, objective == "seed004", stats)
            mse[0] = _sq_err_stream(x1, alpha[:1], L, rounding)[0] / m if evaluate else np.nan
    else:
        stats["path"] = "rows"
        if objective == "true" and compiled:
            stats["engine"] = "compiled"
            alpha, mse = _true_rows_compiled(rows, L, rounding, stats)
            value = mse
        else:
            _rows_numpy(rows, bits, objective, rounding, evaluate, stats, alpha, mse, value)
    out = (lambda v: v.reshape(shape)) if shape else (lambda v: np.asarray(v[0]))
    return ExactResult(out(alpha), out(mse), out(value), bits, objective,
                       None if axis is None else int(axis), group,
                       time.perf_counter() - t0, stats)
