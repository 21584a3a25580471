"""Numpy re-implementations of the clip thresholds other tools pick (the peers of
:mod:`laaciq.tensor.exact`), each on the rows ``(R, m)`` of :func:`exact.as_slices` (one α per row).

Sources: ``/work/shared/reference/quantization-anchors.md``. Every method returns thresholds only;
benchmarks and ``laaciq clip`` then evaluate the *true* MSE of the project's quantizer
(:func:`quantizer.quantize`, grid ``±(2^(B-1)-1)·α/L``) at those thresholds, so the methods are
compared on one deployed grid ("grid convention" differences show up as ratios > 1).

* :func:`banner` — ACIQ closed form: ``α = k_B·σ`` (Gaussian constants) or ``α = k_B·b`` with
  ``b = mean|x - μ|`` (Laplace). ``k_B`` minimizes Banner's model ``clip + α²/(3·4^B)``
  (:func:`aciq.optimal_alpha` on ``N(0,1)`` / ``Laplace(0,1)``: 1.71/2.15/2.56 and
  2.83/3.90/5.03 at 2/3/4 bits, as in Banner's code). ``σ`` is the unbiased std, as in
  ``torch.std``.
* :func:`octav` — OCTAV's fixed point ``s ← Σ_{|x|>s}|x| / ((4^{-B}/3)·#{|x|≤s} + #{|x|>s})``,
  10 iterations with early stop (``rtol 1e-6``), from ``s₀ = mean|x|``.
* :func:`kurtosis_rule` — the seeds' ``σ·(2.5 + 0.3·ln(1 + max(0, κ)))`` (4 bits only).
* :func:`nvidia_hist` — pytorch-quantization ``_compute_amax_mse``: histogram of ``|x|`` in 2048
  bins on ``[0, max|x|]``; every bin centre from bin 128 on is a candidate (1920); each is scored
  by fake-quantizing the 2048 bin centres (``torch.round``: half-even) weighted by the counts.
* :func:`intel_ratios` — Intel Neural Compressor ``search_clip``: ``α = r·max|x|`` for
  ``r = 1.0, 0.995, …, 0.805`` (40 ratios), full quantize–dequantize MSE (per row here; INC keeps
  one ratio per layer).
* :func:`modelopt_mse` — ModelOpt ``MseCalibrator``: ``α = m·max|x|`` for 39 multipliers
  ``linspace(0.25, 4.0, 39)``, full fake-quant MSE.
* :func:`gptq_shrink` — GPTQ ``find_params(mse=True)``: ``α = p·max|x|``, ``p = 1 - i/100``,
  ``i < 80``, scored by ``Σ|x - Q(x)|^2.4`` (GPTQ's norm, not the MSE).
* :func:`pytorch_hist` — PyTorch ``HistogramObserver._non_linear_param_search``: 2048-bin histogram
  of ``x`` on ``[min, max]``, greedy quantile walk (step ``1e-5``) stopping at the first increase
  of the error model ``_compute_quantization_error`` (``dst_nbins = 2^B``), symmetric
  ``α = max(-min', max')``. Per tensor in PyTorch; applied per row here.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from laaciq.theory import quantizer
from laaciq.argcheck import check_bits

__all__ = ["banner_constant", "banner", "octav", "kurtosis_rule", "nvidia_hist", "intel_ratios",
           "modelopt_mse", "gptq_shrink", "pytorch_hist", "row_moments",
           "merge_moments", "excess_kurtosis"]

_BLOCK = 1 << 21


@lru_cache(maxsize=None)
def banner_constant(bits: int, law: str) -> float:
    """``k_B`` of Banner's closed form for ``law`` "gauss" (``α/σ``) or "laplace" (``α/b``)."""
    from laaciq.theory import aciq
    from laaciq.theory.distribution import Gaussian, Laplace

    dist = Gaussian(0.0, 1.0) if law == "gauss" else Laplace(0.0, 1.0)
    return float(aciq.optimal_alpha(dist, check_bits(bits), "banner").alpha)


def _blocks(rows):
    step = max(1, _BLOCK // max(1, rows.shape[1]))
    for i in range(0, rows.shape[0], step):
        yield i, rows[i:i + step].astype(np.float64)


def row_moments(rows) -> dict:
    """Per row (the one moments implementation of the package): ``n``, mean, central moments
    ``m2, m3, m4`` (population), std, unbiased std ``std1``, ``mad`` = mean|x - μ|, excess
    kurtosis (``nan`` for a constant row), max|x|. Two passes per block of rows (float64)."""
    R, m = rows.shape
    out = {k: np.empty(R) for k in ("mean", "m2", "m3", "m4", "mad", "amax")}
    for i, x in _blocks(rows):
        mu = x.mean(axis=1)
        d = x - mu[:, None]
        d2 = d * d
        sl = slice(i, i + x.shape[0])
        out["mean"][sl] = mu
        out["m2"][sl] = np.mean(d2, axis=1)
        out["m3"][sl] = np.mean(d2 * d, axis=1)
        out["m4"][sl] = np.mean(d2 * d2, axis=1)
        out["mad"][sl] = np.mean(np.abs(d), axis=1)
        out["amax"][sl] = np.max(np.abs(x), axis=1)
    out["n"] = np.full(R, float(m))
    _derived(out)
    return out


def _derived(mo: dict) -> dict:
    m2, n = mo["m2"], mo["n"]
    mo["std"] = np.sqrt(m2)
    mo["std1"] = np.where(n > 1, np.sqrt(m2 * n / np.maximum(n - 1, 1)), 0.0)
    mo["kurt"] = excess_kurtosis(m2, mo["m4"])
    return mo


def excess_kurtosis(m2, m4):
    """``m4/m2² - 3`` (``nan`` where ``m2 = 0``)."""
    m2, m4 = np.asarray(m2, dtype=np.float64), np.asarray(m4, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m2 > 0, m4 / (m2 * m2) - 3.0, np.nan)


def merge_moments(mo: dict, weights=None) -> dict:
    """Moments of the pooled law of several parts (rows of :func:`row_moments`, or blocks):
    weights ``p_i = n_i/N`` by default, or the mixture ``weights`` (summing to 1). Exact
    algebra: ``Σ(x - μ)^k = Σ((x - μ_i) + δ_i)^k`` with ``δ_i = μ_i - μ``. Returns scalars
    ``n, mean, m2, m3, m4, std, kurt``."""
    n = np.asarray(mo["n"], dtype=np.float64)
    p = n / n.sum() if weights is None else np.asarray(weights, dtype=np.float64)
    mu_i, m2, m3, m4 = (np.asarray(mo[k], dtype=np.float64) for k in ("mean", "m2", "m3", "m4"))
    mu = float(p @ mu_i)
    d = mu_i - mu
    M2 = float(p @ (m2 + d * d))
    M3 = float(p @ (m3 + 3 * d * m2 + d ** 3))
    M4 = float(p @ (m4 + 4 * d * m3 + 6 * d * d * m2 + d ** 4))
    k = float(excess_kurtosis(M2, M4))
    return {"n": float(n.sum()), "mean": mu, "m2": M2, "m3": M3, "m4": M4,
            "std": math.sqrt(max(M2, 0.0)), "kurt": k}


def _positive(alpha, rows_amax):
    """Thresholds must be > 0: a zero row gets 1.0 (every α is optimal there)."""
    a = np.asarray(alpha, dtype=np.float64)
    bad = ~(a > 0) | ~np.isfinite(a)
    return np.where(bad, np.where(rows_amax > 0, rows_amax, 1.0), a)


def banner(rows, bits: int, law: str = "gauss", moments=None) -> np.ndarray:
    mo = moments or row_moments(rows)
    k = banner_constant(bits, law)
    return _positive(k * (mo["std1"] if law == "gauss" else mo["mad"]), mo["amax"])


def octav(rows, bits: int, iters: int = 10, rtol: float = 1e-6, moments=None) -> np.ndarray:
    c = 4.0 ** (-check_bits(bits)) / 3.0
    out = np.empty(rows.shape[0])
    for i, x in _blocks(rows):
        a = np.abs(x)
        s = a.mean(axis=1)
        for _ in range(iters):
            above = a > s[:, None]
            num = np.where(above, a, 0.0).sum(axis=1)
            k = above.sum(axis=1)
            s_new = num / (c * (a.shape[1] - k) + k)
            done = np.allclose(s_new, s, rtol=rtol, atol=0)
            s = np.where(s_new > 0, s_new, s)
            if done:
                break
        out[i:i + x.shape[0]] = s
    amax = moments["amax"] if moments is not None else \
        np.max(np.abs(rows), axis=1).astype(np.float64)
    return _positive(out, amax)


def kurtosis_rule(rows, bits: int = 4, moments=None) -> np.ndarray:
    """The seeds' kurtosis rule per row (:func:`laaciq.theory.aciq.alpha_kurtosis_rule`, form
    "004", population σ and excess kurtosis of :func:`row_moments`). A row with ``σ = 0`` is
    constant: it gets ``max|x|``, where every value is a grid point (error 0; a fixed ``α``
    such as 1.0 would clip or round a constant row needlessly); an all-zero row gets 1.0
    (every ``α`` is optimal)."""
    from laaciq.theory import aciq

    if check_bits(bits) != 4:
        raise ValueError("the kurtosis rule is defined for 4 bits only")
    mo = moments or row_moments(rows)
    r = np.asarray(rows)
    # a constant row has σ = 0 (its computed σ may be a rounding residue of the mean)
    live = (mo["std"] > 0) & ~np.all(r == r[:, :1], axis=1)
    alpha = np.zeros(live.shape)
    if live.any():
        # float rounding may put a two-point row a hair below the bound κ ≥ -2
        kappa = np.maximum(mo["kurt"][live], -2.0)
        alpha[live] = aciq.alpha_kurtosis_rule(mo["std"][live], kappa, 4)
    return _positive(alpha, mo["amax"])


def _grid_search(rows, bits, factors, score):
    """Best ``α = f·max|x|`` per row over ``factors`` under ``score(err)`` (first on ties)."""
    L = quantizer.levels(bits)
    out = np.empty(rows.shape[0])
    for i, x in _blocks(rows):
        amax = np.max(np.abs(x), axis=1)
        best = np.full(x.shape[0], np.inf)
        arg = np.ones(x.shape[0])
        for f in factors:
            al = np.where(amax > 0, f * amax, 1.0)
            s = al[:, None] / L
            k = quantizer.round_half_up(np.clip(x, -al[:, None], al[:, None]) / s)
            np.clip(k, -L, L, out=k)
            v = score(np.abs(x - k * s)).sum(axis=1)
            better = v < best
            best[better], arg[better] = v[better], f
        out[i:i + x.shape[0]] = np.where(amax > 0, arg * amax, 1.0)
    return out


def intel_ratios(rows, bits: int) -> np.ndarray:
    return _grid_search(rows, bits, 1.0 - 0.005 * np.arange(40), np.square)


def modelopt_mse(rows, bits: int) -> np.ndarray:
    return _grid_search(rows, bits, np.linspace(0.25, 4.0, 39), np.square)


def gptq_shrink(rows, bits: int) -> np.ndarray:
    return _grid_search(rows, bits, 1.0 - np.arange(80) / 100.0, lambda e: e ** 2.4)


def nvidia_hist(rows, bits: int, bins: int = 2048, start_bin: int = 128) -> np.ndarray:
    """One numpy ``histogram`` and a (1920 × 2048) candidate matrix per row."""
    L = quantizer.levels(bits)
    out = np.empty(rows.shape[0])
    for r in range(rows.shape[0]):
        a = np.abs(rows[r].astype(np.float64))
        amax = float(a.max())
        if amax == 0:
            out[r] = 1.0
            continue
        counts, edges = np.histogram(a, bins=bins, range=(0.0, amax))
        centers = (edges[1:] + edges[:-1]) / 2
        cand = centers[start_bin:]
        scale = L / cand[:, None]
        q = np.clip(np.round(centers[None, :] * scale), -L, L) / scale
        mse = ((q - centers[None, :]) ** 2 * counts[None, :]).mean(axis=1)
        out[r] = cand[int(np.argmin(mse))]
    return out


def _torch_quant_error(hist, bin_width, start, end, dst_nbins):
    """``HistogramObserver._compute_quantization_error`` (uniform density per source bin)."""
    bins = hist.size
    dst_w = bin_width * (end - start + 1) / dst_nbins
    if dst_w == 0.0:
        return 0.0
    src = np.arange(bins)
    beg = (src - start) * bin_width
    end_ = beg + bin_width
    db = np.clip(np.floor(beg / dst_w), 0, dst_nbins - 1)
    db_center = (db + 0.5) * dst_w
    de = np.clip(np.floor(end_ / dst_w), 0, dst_nbins - 1)
    density = hist / bin_width

    def norm(d0, d1):
        return density * (d1 ** 3 - d0 ** 3) / 3

    tot = norm(beg - db_center, np.full(bins, dst_w / 2))
    tot += (de - db - 1) * norm(np.array(-dst_w / 2), np.array(dst_w / 2))
    de_center = de * dst_w + dst_w / 2
    tot += norm(np.array(-dst_w / 2), end_ - de_center)
    return float(tot.sum())


def pytorch_hist(rows, bits: int, bins: int = 2048) -> np.ndarray:
    dst = 2 ** check_bits(bits)
    out = np.empty(rows.shape[0])
    for r in range(rows.shape[0]):
        x = rows[r].astype(np.float64)
        lo, hi = float(x.min()), float(x.max())
        if hi == lo:
            out[r] = abs(hi) if hi != 0 else 1.0
            continue
        hist, _ = np.histogram(x, bins=bins, range=(lo, hi))
        hist = hist.astype(np.float64)
        bw = (hi - lo) / bins
        total = hist.sum()
        csum = np.cumsum(hist)
        alpha, beta, step = 0.0, 1.0, 1e-5
        start, end = 0, bins - 1
        norm_min = math.inf
        while alpha < beta:
            na, nb = alpha + step, beta - step
            left = int(np.searchsorted(csum, na * total, side="left"))
            left = min(max(left, start), end)
            right = int(np.searchsorted(csum, nb * total, side="right")) - 1
            right = max(min(right, end), start)
            ns, ne = start, end
            if (left - start) > (end - right):
                ns, alpha = left, na
            else:
                ne, beta = right, nb
            if ns == start and ne == end:
                continue
            nrm = _torch_quant_error(hist, bw, ns, ne, dst)
            if nrm > norm_min:
                break
            norm_min = nrm
            start, end = ns, ne
        new_min, new_max = lo + bw * start, lo + bw * (end + 1)
        out[r] = max(-new_min, new_max, 1e-300)
    return out
