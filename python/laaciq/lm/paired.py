"""Paired bootstrap confidence intervals over evaluation chunks.

Two quantized models evaluated on the same text chunks give paired values (per chunk: the mean
KL divergence from the base model, the mean negative log-likelihood). Their difference is judged
on per-chunk differences, resampling chunks (the unit that is independent enough: tokens inside a
chunk share context), never with the tools' unpaired ± that treat tokens as independent.

* :func:`bootstrap` — percentile CI of any statistic of aligned per-chunk columns, one language;
* :func:`stratified` — the same pooled over languages: chunks are resampled within each language
  (strata), the statistic is the mean over languages of the per-language statistic;
* :func:`ppl_increase` — ``exp(mean nll_Q) − exp(mean nll_base)``: the perplexity increase as a
  statistic of per-chunk nll columns, so it is resampled paired too.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bootstrap", "stratified", "mean_diff", "ppl_increase", "ppl_diff", "bonferroni"]


def mean_diff(a, b):
    """Per resample: mean of ``a − b`` over the chunk axis (last)."""
    return (a - b).mean(axis=-1)


def ppl_increase(nll_q, nll_base):
    """``exp(mean nll_q) − exp(mean nll_base)`` over the chunk axis (last)."""
    return np.exp(nll_q.mean(axis=-1)) - np.exp(nll_base.mean(axis=-1))


def ppl_diff(nll_a, nll_b):
    """``exp(mean nll_a) − exp(mean nll_b)``: the perplexity difference of two models."""
    return ppl_increase(nll_a, nll_b)


def bonferroni(level: float, m: int) -> float:
    """The per-test confidence level that keeps the family-wise level over ``m`` tests."""
    return 1.0 - (1.0 - level) / max(1, m)


def _indices(rng, n: int, B: int) -> np.ndarray:
    return rng.integers(0, n, size=(B, n))


def bootstrap(stat, cols, B: int = 10000, level: float = 0.95, seed: int = 0) -> dict:
    """``{"value", "ci"}``: ``stat`` (a function of the columns, vectorized over a leading
    resample axis) on the data and its percentile CI over ``B`` resamples of the chunks.

    ``cols``: equal-length 1-D per-chunk arrays, resampled with the same indices (paired)."""
    cols = [np.asarray(c, dtype=np.float64) for c in cols]
    n = cols[0].shape[0]
    if n == 0 or any(c.shape != (n,) for c in cols):
        raise ValueError("columns must be non-empty 1-D arrays of one length")
    idx = _indices(np.random.default_rng(seed), n, B)
    samples = stat(*[c[idx] for c in cols])
    q = (1.0 - level) / 2
    lo, hi = np.quantile(samples, [q, 1.0 - q])
    return {"value": float(stat(*[c[None, :] for c in cols])[0]), "ci": [float(lo), float(hi)]}


def stratified(stat, strata, B: int = 10000, level: float = 0.95, seed: int = 0) -> dict:
    """Like :func:`bootstrap`, pooled: ``strata`` is a list (one per language) of column lists;
    chunks are resampled within each stratum and the statistic is averaged over strata."""
    rng = np.random.default_rng(seed)
    total = np.zeros(B)
    point = 0.0
    for cols in strata:
        cols = [np.asarray(c, dtype=np.float64) for c in cols]
        idx = _indices(rng, cols[0].shape[0], B)
        total += stat(*[c[idx] for c in cols])
        point += float(stat(*[c[None, :] for c in cols])[0])
    k = len(strata)
    q = (1.0 - level) / 2
    lo, hi = np.quantile(total / k, [q, 1.0 - q])
    return {"value": point / k, "ci": [float(lo), float(hi)]}
