"""The layer-output objective: per output row, the exact minimum of ``(w - s k)ᵀ H (w - s k)`` over
the step ``s`` and the nearest codes ``k`` at ``s``, with a free choice at ties (``PROOF.md`` §9).

The codes of a row are constant between breakpoints ``s = |w_i|/(j + ½)``; on each piece the
objective is ``c0 - 2s·kᵀHw + s²·kᵀHk``, minimized at its vertex clamped to the piece's closed
interval (at an end, a tied value takes that side's code: still a nearest code). The scan visits
every breakpoint in increasing ``s`` from the codes ``±L`` of a tiny step: crossing one moves one
code one level towards 0, which updates ``kᵀHw`` and ``kᵀHk`` in ``O(n)`` from one column of
``H`` (``v = Hk`` is carried along and recomputed from scratch every
``PARAMS.output_reset·n`` breakpoints, so the rounding does not accumulate). Where ``T ≥ 2``
values tie at the same breakpoint, their mixed choices (some codes from the left piece, some
from the right) are enumerated in Gray order (``O(T)`` each), up to ``2^PARAMS.output_tie_enum``
choices, after the scan and only where a lower bound over all of them (:func:`_tie_bound`,
``PROOF.md`` §9 *Pruning*) does not exceed the best value found. The lowest pieces (within a
rounding margin of the best, at most ``PARAMS.compiled_cap``) are re-evaluated directly from
their codes, and the best is returned with its codes.

Engines: the compiled kernel (numba) below; a numpy engine is not provided (the scan is a
sequential walk); :func:`laaciq.tensor.exact.solve.choose_engine` falls back to an error when
numba is missing. Tests: ``tests/test_output.py`` (Fraction brute force with every tie choice,
``H = diag(c)`` against the weighted objective, ``H = I`` against the true MSE).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from laaciq.argcheck import check_bits
from laaciq.tensor.exact import params
from laaciq.tensor.exact.compiled_bounds import _EPS, _jit, _jit_sum
from laaciq.theory import quantizer

__all__ = ["optimal_codes_output", "output_error", "damped", "STATS"]

_CAP = params.PARAMS.compiled_cap
_TIE_ENUM = params.PARAMS.output_tie_enum
_RESET = params.PARAMS.output_reset
#: relative rounding margin of the tie bound (far above the float error of its sums)
_BOUND_MARGIN = 1e-9
#: the solver's counters (``stats=`` of :func:`optimal_codes_output`)
STATS = ("breakpoints", "tie_choices", "ties_unenumerated", "candidates_evaluated",
         "ties_pruned")


@_jit_sum
def _state_sums(w, H, k, v):
    """``v = Hk``, ``kᵀHw`` and ``kᵀHk`` from scratch (``O(n²)``)."""
    n = w.size
    b = 0.0
    q = 0.0
    for i in range(n):
        t = 0.0
        for j in range(n):
            t += H[i, j] * k[j]
        v[i] = t
    for i in range(n):
        b += v[i] * w[i]
        q += v[i] * k[i]
    return b, q


@_jit_sum
def _direct(w, H, s, k):
    """``(w - s k)ᵀ H (w - s k)`` directly."""
    n = w.size
    e = np.empty(n)
    for i in range(n):
        e[i] = w[i] - s * k[i]
    tot = 0.0
    for i in range(n):
        t = 0.0
        for j in range(n):
            t += H[i, j] * e[j]
        tot += e[i] * t
    return tot


@_jit
def _keep(cand, ncand, val, tol, s, t, mask, best):
    """Add candidate ``(s, events applied t, tie mask)`` when ``val - tol`` may beat the best;
    full buffer: the candidate with the highest lower value is replaced."""
    if val - tol > best[0]:
        return ncand
    if val + tol < best[0]:
        best[0] = val + tol
    if ncand < cand.shape[1]:
        w = ncand
        ncand += 1
    else:
        w = 0
        for q in range(1, ncand):
            if cand[1, q] > cand[1, w]:
                w = q
        if val - tol >= cand[1, w]:
            return ncand
    cand[0, w] = s
    cand[1, w] = val - tol
    cand[2, w] = t
    cand[3, w] = mask
    return ncand


@_jit
def _tie_bound(Hw, sg, ev, order, vt, habs, t0, T, s, b, q, c0):
    """``(lower bound, its rounding margin)`` of ``F`` over every mixed choice at a tie
    (PROOF.md §9, *Pruning*): from the state after the events (codes ``k_A``, ``e_A = w - s
    k_A``), moving the subset ``S`` back up gives ``F(S) = F_A - 2s·Σ_S σ_j (H e_A)_j +
    s²·‖Σ_S σ_j u_j‖²_H`` and the last term is ``≥ 0`` (``H`` positive semi-definite), so
    ``F(S) ≥ F_A - 2s·Σ_j max(0, σ_j (Hw_j - s v_j))``."""
    fa = c0 - 2.0 * s * b + s * s * q
    dec = 0.0
    mag = abs(c0) + 2.0 * s * abs(b) + s * s * abs(q)
    for m in range(T):
        i = ev[order[t0 + m]]
        g = sg[i] * (Hw[i] - s * vt[t0 + m])
        if g > 0.0:
            dec += g
        mag += 2.0 * s * (abs(Hw[i]) + s * habs[i])
    return fa - 2.0 * s * dec, _BOUND_MARGIN * mag


@_jit
def _ties(w, H, Hw, sg, ev, order, t0, T, s, b, q, vt, c0, cand, ncand, best, stats):
    """The mixed tie choices at breakpoint ``s`` where events ``order[t0:t0+T]`` coincide, from
    the state *after* them (every tied value on its lower code; ``vt[t0+m]`` the entry of
    ``v = Hk`` of the m-th tied value there): Gray-code enumeration of the subsets moved back up
    (the empty and the full subset are the two pieces' ends)."""
    if T > _TIE_ENUM:
        stats[2] += 1.0
        return ncand
    idx = np.empty(T, np.int64)
    for m in range(T):
        idx[m] = ev[order[t0 + m]]
    u = np.zeros(T)                     # u[m] = Σ_{j in S} σ_j H[idx m, idx j]
    inS = np.zeros(T, np.bool_)
    bb = b
    qq = q
    scale = 64.0 * (w.size + 8.0) * _EPS
    for g in range(1, 1 << T):
        m = 0                            # Gray order: flip the lowest set bit of g
        while not (g >> m) & 1:
            m += 1
        i = idx[m]
        d = sg[i] if not inS[m] else -sg[i]
        # k_i += d: kᵀHw += d (Hw)_i ; kᵀHk += 2d (v_i + u_m) + H_ii
        bb += d * Hw[i]
        qq += 2.0 * d * (vt[t0 + m] + u[m]) + H[i, i]
        for r in range(T):
            u[r] += d * H[idx[r], i]
        inS[m] = not inS[m]
        full = True
        for r in range(T):
            if not inS[r]:
                full = False
        if full:
            continue
        mask = 0
        for r in range(T):
            if inS[r]:
                mask |= 1 << r
        val = c0 - 2.0 * s * bb + s * s * qq
        tol = scale * (abs(c0) + 2.0 * s * abs(bb) + s * s * abs(qq))
        ncand = _keep(cand, ncand, val, tol, s, t0 + T, mask, best)
        stats[1] += 1.0
    return ncand


@_jit
def _piece(c0, b, q, left, right, t, cand, ncand, best, scale):
    """The piece ``[left, right]`` with codes after ``t`` events: its vertex clamped."""
    if q <= 0.0:
        return ncand
    s = b / q
    if s < left:
        s = left
    if s > right:
        s = right
    if not s > 0.0:
        return ncand
    val = c0 - 2.0 * s * b + s * s * q
    tol = scale * (abs(c0) + 2.0 * s * abs(b) + s * s * abs(q))
    return _keep(cand, ncand, val, tol, s, t, 0, best)


@_jit
def _codes_at(sg, a, L, bp, ev, order, t, T, mask, k):
    """Codes after the first ``t`` events, with the tied events ``order[t-T:t]`` named in
    ``mask`` moved back up one level."""
    for i in range(a.size):
        k[i] = sg[i] * L if a[i] > 0.0 else 0.0
    for e in range(t):
        i = ev[order[e]]
        k[i] -= sg[i]
    for r in range(T):
        if (mask >> r) & 1:
            i = ev[order[t - T + r]]
            k[i] += sg[i]


@_jit
def _best_of(w, H, a, sg, L, bp, ev, order, cand, ncand, best, k, k_out, stats):
    """Re-evaluate the near-best candidates directly from their codes; the best step and error
    are returned and its codes written into ``k_out``."""
    n = w.size
    nev = bp.size
    best_s = 1.0
    best_e = np.inf
    for c in range(ncand):
        if cand[1, c] <= best[0]:
            t = int(cand[2, c])
            mask = int(cand[3, c])
            T = 0
            if mask:
                T = 1
                while t - T - 1 >= 0 and bp[order[t - T - 1]] == bp[order[t - 1]]:
                    T += 1
            _codes_at(sg, a, L, bp, ev, order, t, T, mask, k)
            s = cand[0, c]
            if t == nev and mask == 0:                # every code 0: any step
                s = 2.0 * np.max(a) + 1.0 if np.max(a) > 0.0 else 1.0
            val = _direct(w, H, s, k)
            stats[3] += 1.0
            if val < best_e:
                best_e, best_s = val, s
                for i in range(n):
                    k_out[i] = k[i]
    return best_s, best_e


@_jit
def _start(w, H, k, v, Hw):
    """One pass over ``H``: ``Hw``, ``v = Hk`` and ``(wᵀHw, kᵀHw, kᵀHk)``."""
    n = w.size
    for i in range(n):
        t1 = 0.0
        t2 = 0.0
        for j in range(n):
            t1 += H[i, j] * w[j]
            t2 += H[i, j] * k[j]
        Hw[i] = t1
        v[i] = t2
    c0 = 0.0
    b = 0.0
    q = 0.0
    for i in range(n):
        c0 += w[i] * Hw[i]
        b += k[i] * Hw[i]
        q += k[i] * v[i]
    return c0, b, q


@_jit
def output_row(w, H, L, k_out, stats, habs, prune):
    """The exact minimum over ``s`` and nearest codes (free at ties) of ``(w - s k)ᵀH(w - s k)``
    for one row ``w`` (n,) and symmetric ``H`` (n, n); writes the codes into ``k_out`` and returns
    ``(s, error)``. ``habs`` (n,): ``L·Σ_j |H_ij|`` (a bound on ``|v_i|``'s terms, for the
    rounding margin). The mixed tie choices are enumerated after the scan, once every piece has
    lowered the best value, and with ``prune`` only at ties whose lower bound
    (:func:`_tie_bound`) does not exceed it. ``stats`` (5,): ``[breakpoints, tie choices, ties
    not enumerated, candidates evaluated, ties proved useless by the bound]``. (Over 80 lines:
    the scan's running state lives in this kernel's locals; the steps it calls are split out.)"""
    n = w.size
    a = np.abs(w)
    sg = np.sign(w)
    nev = 0
    for i in range(n):
        if a[i] > 0.0:
            nev += L
    bp = np.empty(nev)
    ev = np.empty(nev, np.int64)
    e = 0
    for i in range(n):
        if a[i] > 0.0:
            for j in range(L - 1, -1, -1):          # level j+1 -> j at a/(j+½)
                bp[e] = a[i] / (j + 0.5)
                ev[e] = i
                e += 1
    order = np.argsort(bp, kind="mergesort")
    stats[0] += nev
    k = np.empty(n)
    v = np.empty(n)
    Hw = np.empty(n)
    for i in range(n):
        k[i] = sg[i] * L if a[i] > 0.0 else 0.0
    c0, b, q = _start(w, H, k, v, Hw)
    cand = np.empty((4, _CAP))
    best = np.array([c0 * (1.0 + 1e-12) + 1e-300])
    scale = 64.0 * (n + 8.0) * _EPS
    ncand = _keep(cand, 0, c0, scale * abs(c0), 1.0, nev, 0, best)   # every code 0
    vt = np.empty(nev)                  # v at the tied events, after them
    gi = np.empty((2, nev // 2 + 1), np.int64)      # tie groups: first event, count
    gf = np.empty((3, nev // 2 + 1))                # and their s, kᵀHw, kᵀHk
    ng = 0
    left = 0.0
    t = 0
    since = 0
    while t < nev:
        right = bp[order[t]]
        ncand = _piece(c0, b, q, left, right, t, cand, ncand, best, scale)
        t0 = t
        while t < nev and bp[order[t]] == right:      # every event at this breakpoint
            i = ev[order[t]]
            d = -sg[i]
            b += d * Hw[i]
            q += 2.0 * d * v[i] + H[i, i]
            for j in range(n):
                v[j] += d * H[i, j]          # H is symmetric: row i, contiguous
            k[i] += d
            t += 1
            since += 1
        if since >= _RESET * n:                       # reset the running sums
            b, q = _state_sums(w, H, k, v)
            since = 0
        if t - t0 >= 2:
            for m in range(t - t0):
                vt[t0 + m] = v[ev[order[t0 + m]]]
            gi[0, ng] = t0
            gi[1, ng] = t - t0
            gf[0, ng] = right
            gf[1, ng] = b
            gf[2, ng] = q
            ng += 1
        left = right
    for g in range(ng):
        t0, T, s = gi[0, g], gi[1, g], gf[0, g]
        if prune:
            lb, tol = _tie_bound(Hw, sg, ev, order, vt, habs, t0, T, s, gf[1, g], gf[2, g], c0)
            if lb - tol > best[0]:
                stats[4] += 1.0
                continue
        ncand = _ties(w, H, Hw, sg, ev, order, t0, T, s, gf[1, g], gf[2, g], vt, c0, cand,
                      ncand, best, stats)
    return _best_of(w, H, a, sg, L, bp, ev, order, cand, ncand, best, k, k_out, stats)


@nb.njit(cache=True, nogil=True, parallel=True)
def output_rows(W, H, L, steps, codes, err, stats, prune=True):
    """:func:`output_row` for every row of ``W`` (R, n) with the same ``H``, rows in parallel
    (numba threads; each row is independent); ``stats`` (5,) accumulates the rows' counters.
    ``prune=False``: every mixed tie choice enumerated (the reference the tests compare with)."""
    R, n = W.shape
    habs = np.empty(n)
    for i in range(n):
        t = 0.0
        for j in range(n):
            t += abs(H[i, j])
        habs[i] = L * t
    rs = np.zeros((R, 5))
    for r in nb.prange(R):
        k = np.empty(n)
        s, e = output_row(W[r], H, L, k, rs[r], habs, prune)
        steps[r] = s
        err[r] = e
        for i in range(n):
            codes[r, i] = k[i]
    for r in range(R):
        for q in range(5):
            stats[q] += rs[r, q]


def damped(H, damp: float) -> np.ndarray:
    """``H + damp·mean(diag H)·I`` (GPTQ's damping: a stated fraction of the mean diagonal)."""
    H = np.asarray(H, dtype=np.float64)
    if damp:
        H = H + float(damp) * float(np.mean(np.diag(H))) * np.eye(H.shape[0])
    return H


def output_error(w, H, steps, codes) -> np.ndarray:
    """``(w - s k)ᵀ H (w - s k)`` per row (numpy; ``steps`` (R,), ``codes`` (R, n))."""
    W = np.atleast_2d(np.asarray(w, dtype=np.float64))
    E = W - np.asarray(steps, dtype=np.float64).reshape(-1, 1) * np.asarray(codes, np.float64)
    return np.einsum("ri,ij,rj->r", E, np.asarray(H, dtype=np.float64), E)


def _check_h(H, n: int) -> np.ndarray:
    Hm = np.asarray(H, dtype=np.float64)
    if Hm.shape != (n, n):
        raise ValueError(f"H has shape {Hm.shape}; the rows have {n} columns: need ({n}, {n})")
    if not np.isfinite(Hm).all():
        raise ValueError("H must be finite")
    if not np.allclose(Hm, Hm.T, rtol=1e-10, atol=0.0):
        raise ValueError("H must be symmetric (a second-moment matrix)")
    if np.any(np.diag(Hm) < 0):
        raise ValueError("H must have a non-negative diagonal (a second-moment matrix)")
    return np.ascontiguousarray((Hm + Hm.T) * 0.5)


def optimal_codes_output(w, H, bits: int = 4, group=None, damp: float = 0.0, stats=None,
                         prune: bool = True):
    """Per row of ``w`` (R, n) (a 1-D ``w`` is one row), the exact minimum of
    ``(w - s k)ᵀ H (w - s k)`` over the step ``s`` and the nearest codes ``k`` at ``s`` (free at
    ties), ``H`` (n, n) symmetric positive semi-definite (e.g. ``E[x xᵀ]`` of the layer's
    inputs), damped by ``damp·mean(diag H)`` first. ``group=g``: blocks of ``g`` consecutive
    columns, each with its diagonal block of ``H``. Returns ``(steps, codes, error)``: steps
    (R,) or (R, n/g), codes int8/int16 (R, n) with ``|k| ≤ L`` (``w ≈ steps·codes``), and the
    error per row (or per row and group) evaluated directly from the codes. Why the codes are
    returned (free tie choice: with round-half-up fixed the minimum need not be attained,
    Lean ``claim_outErr_exists_minimizer_false``) and the theorems it rests on (with the free
    tie choice the minimum exists among finitely many candidates,
    ``outErr_tie_exists_minimizer``; ``outGridErr_pieces_exists_min``,
    ``outErr_diag_exists_minimizer``): PROOF.md §9. ``stats``: a dict that receives the counters
    of :data:`STATS` (``ties_unenumerated`` > 0: ties of more than ``2^PARAMS.output_tie_enum``
    choices that the bound did not rule out were skipped, and exactness is not guaranteed).
    ``prune=False`` enumerates every mixed tie choice (the unpruned reference; same result).
    """
    bits = check_bits(bits)
    W = np.asarray(w, dtype=np.float64)
    one = W.ndim == 1
    W = np.atleast_2d(W)
    if W.ndim != 2 or W.size == 0:
        raise ValueError(f"w must be a non-empty 1-D or 2-D array, got shape {np.shape(w)}")
    if not np.isfinite(W).all():
        raise ValueError("w must be finite")
    damp = float(damp)
    if not (np.isfinite(damp) and damp >= 0):
        raise ValueError(f"damp must be a finite fraction >= 0, got {damp!r}")
    R, n = W.shape
    Hm = damped(_check_h(H, n), damp)
    g = n if group is None else int(group)
    if g < 1 or n % g:
        raise ValueError(f"group {group} does not divide the row length {n}")
    from laaciq.tensor.exact.solve import choose_engine
    choose_engine("compiled", bits)                   # numba is required (ValueError otherwise)
    L = quantizer.levels(bits)
    G = n // g
    steps = np.empty((R, G))
    err = np.empty((R, G))
    codes = np.empty((R, n))
    st = np.zeros(len(STATS))
    for q in range(G):
        sl = slice(q * g, (q + 1) * g)
        Wq = np.ascontiguousarray(W[:, sl])
        Hq = np.ascontiguousarray(Hm[sl, sl])
        cq = np.empty((R, g))
        output_rows(Wq, Hq, L, steps[:, q], cq, err[:, q], st, bool(prune))
        codes[:, sl] = cq
    if stats is not None:
        stats.update({k: int(v) for k, v in zip(STATS, st)})
    codes = codes.astype(np.int8 if L <= 127 else np.int16)
    if group is None:
        steps, err = steps[:, 0], err[:, 0]
    if one:
        return steps[0], codes[0], err[0]
    return steps, codes, err
