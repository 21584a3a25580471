"""The probe's clipping strategies for the linear matrices of a model's blocks: thresholds from
the rules of the lower layers, quantization by :func:`laaciq.tensor.api.fake_quantize`.

Each matrix ``W`` is (out, in); a threshold per output channel (a row) unless said:

* ``max``: ``max|w|``; ``exact``: the exact true-MSE optimum (language-blind); ``exact-tensor``
  one per tensor; ``exact-g128`` one per group of 128 inputs (shape (out, in/128));
* ``rule``: the seeds' kurtosis rule per channel (:func:`laaciq.tensor.baselines.kurtosis_rule`);
* ``seeds``: the seeds' LA-ACIQ as written, ``σ_row·f(κ)`` with one language-level
  ``κ = κ_eff(λ)`` for every channel, ``f`` from :func:`laaciq.theory.aciq.alpha_kurtosis_rule`;
* ``weighted``: the exact minimizer of ``Σ_j c_j (w_ij − Q(w_ij))²`` per row
  (:func:`laaciq.tensor.exact.weighted_exact_alpha`), ``c_j = E[x_j²]``; ``weighted-g128``
  the same per group of 128 inputs.
"""

from __future__ import annotations

import hashlib

import numpy as np

from laaciq.tensor import api, baselines
from laaciq.tensor import exact as solver
from laaciq.tensor.exact import weighted_exact_alpha
from laaciq.theory.aciq import alpha_kurtosis_rule

__all__ = ["thresholds", "quantize", "quantize_jobs", "matrix_errors", "GROUP"]

GROUP = 128


def _group(W) -> int:
    return GROUP if W.shape[1] % GROUP == 0 else W.shape[1]


def _fallback(alpha, W):
    amax = np.abs(W).max(axis=1)
    return np.where((alpha > 0) & np.isfinite(alpha), alpha, np.where(amax > 0, amax, 1.0))


def thresholds(W: np.ndarray, bits: int, how: str, c=None, kappa=None, hint=None) -> np.ndarray:
    """The thresholds of strategy ``how`` for ``W`` (module docstring): (out,) or, for the
    group strategies, (out, in/128)."""
    if how == "max":
        return _fallback(np.abs(W).max(axis=1), W)
    if how == "exact":
        return solver.exact_alpha(W, bits, "true", axis=0).alpha
    if how == "exact-tensor":
        return np.full(W.shape[0], float(solver.exact_alpha(W, bits, "true").alpha))
    if how == "exact-g128":
        return solver.exact_alpha(W, bits, "true", axis=1, group=_group(W)).alpha.reshape(
            W.shape[0], -1)
    if how == "rule":
        return baselines.kurtosis_rule(W, bits)
    if how == "seeds":
        f = alpha_kurtosis_rule(1.0, float(kappa), bits)
        return _fallback(baselines.row_moments(W)["std"] * f, W)
    if how == "weighted":
        return weighted_exact_alpha(W, c, bits, hint=hint)[0]
    if how == "weighted-g128":
        g = _group(W)
        R, n = W.shape
        C = np.broadcast_to(np.asarray(c, float), W.shape).reshape(R * (n // g), g)
        return weighted_exact_alpha(W.reshape(R * (n // g), g), C, bits)[0].reshape(R, -1)
    raise ValueError(f"unknown clipping strategy {how!r}")


def quantize(W: np.ndarray, alpha: np.ndarray, bits: int) -> np.ndarray:
    """``W`` fake-quantized at ``alpha`` (per row, or per group of inputs when 2-D)."""
    if np.ndim(alpha) == 2:
        return api.fake_quantize(W, alpha, bits, axis=1, group=W.shape[1] // alpha.shape[1])
    return api.fake_quantize(W, alpha, bits, axis=0)


def matrix_errors(W: np.ndarray, Q: np.ndarray, c) -> tuple[float, float]:
    """(weight MSE mean (w − q)², activation-weighted error Σ_ij c_j (w_ij − q_ij)²)."""
    e2 = (W - Q) ** 2
    return float(e2.mean()), float(e2.sum(axis=0) @ np.asarray(c, float))


def memo_key(i, bits, how, c=None, kappa=None) -> str:
    """The memo/cache key of one matrix's thresholds: the strategy, bits, matrix, and a digest
    of the activation weights or the κ it depends on."""
    extra = ""
    if c is not None:
        extra = hashlib.sha256(np.ascontiguousarray(c, dtype=np.float64).tobytes()).hexdigest()[:16]
    elif kappa is not None:
        extra = repr(float(kappa))
    return f"{how}|{bits}|{i}|{extra}"


_SHARED: dict = {}  # matrices seen by forked solver workers (copy-on-write)


def _job(args):
    i, bits, how, c, kappa, hint = args
    return thresholds(_SHARED[i], bits, how, c, kappa, hint)


def quantize_jobs(W0: dict, jobs, memo: dict, workers: int) -> dict:
    """Quantized matrices for ``jobs`` = [(i, bits, how, c, kappa)], solved in ``workers`` forked
    processes (the solvers are single-threaded); thresholds are kept in ``memo`` by
    :func:`memo_key` and reused (the exact optimum is also the weighted solver's hint)."""
    todo, alphas = [], {}
    for i, bits, how, c, kappa in jobs:
        mk = memo_key(i, bits, how, c, kappa)
        if mk in memo:
            alphas[mk] = memo[mk]
        else:
            todo.append((i, bits, how, c, kappa,
                         memo.get(memo_key(i, bits, "exact")) if how == "weighted" else None))
    if todo:
        if workers > 1 and len(todo) > 1:
            import multiprocessing as mp
            _SHARED.clear()
            _SHARED.update(W0)
            try:
                with mp.get_context("fork").Pool(workers) as pool:
                    res = pool.map(_job, todo, chunksize=1)
            finally:
                _SHARED.clear()
        else:
            res = [thresholds(W0[t[0]], *t[1:]) for t in todo]
        for t, a in zip(todo, res):
            memo[memo_key(*t[:5])] = alphas[memo_key(*t[:5])] = a
    return {i: quantize(W0[i], alphas[memo_key(i, bits, how, c, kappa)], bits)
            for i, bits, how, c, kappa in jobs}
