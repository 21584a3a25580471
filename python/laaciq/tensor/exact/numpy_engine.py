"""The numpy engine: exact true-MSE rows in padded batches, and the surrogates' rows
(``PROOF.md`` §3–§6; the compiled engine, :mod:`laaciq.tensor.exact.compiled`, runs the same
algorithm one row at a time).
"""

from __future__ import annotations

import numpy as np

from laaciq.tensor.exact.bounds import (_Atoms, _branch_and_bound, _clip_bound, _noise_floor,
                                        _prefix, _zero_bound)
from laaciq.tensor.exact import params
from laaciq.tensor.exact.scan import _lloyd_rows, _near_filter, _scan_rows
from laaciq.tensor.exact.slices import _bits_of, _sq_err
from laaciq.tensor.exact.surrogate import _pieces, _surrogate_rows, surrogate_coefficient
from laaciq.theory import quantizer
from laaciq.theory.mse import noise_coefficient



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
    step = max(1, params.PARAMS.row_block // m)
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


def _rows_numpy(rows, bits, objective, rounding, evaluate, stats, alpha, mse, value):
    """The numpy engine on rows ``(R, m)`` in blocks: the true-MSE rows (:func:`_true_rows`) or
    a surrogate's exact optimum (evaluated with the true MSE when ``evaluate``); fills
    ``alpha``, ``mse``, ``value`` (R,)."""
    R, m = rows.shape
    L = quantizer.levels(bits)
    step = max(1, params.PARAMS.row_block // m)
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
