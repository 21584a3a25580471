"""Mean squared quantization error (Lean twin: ``LaAciq/MSE.lean``).

For a law ``X``, a threshold ``α > 0`` and ``B`` bits, with ``Q = quantizer.quantize``::

    mse_exact(α)   = E[(X - Q(X))²]                       the true error
    clip_error(α)  = E[(|X| - α)²; |X| > α]               seed 004's E_clip
    inner_error(α) = E[(X - Q(X))²; |X| ≤ α]
    mse_exact      = clip_error + inner_error             (exact: Q(x) = ±α when |x| > α)

and the seeds' noise models, which replace ``inner_error`` by ``Δ²/12`` for various ``Δ``::

    "banner"   Δ = 2α/2^B                 Δ²/12 = α²/(3·4^B)     (Banner et al. 2019)
    "seed001"  Δ = 2α/(2^B - 1)           Δ²/12                   (seeds 001, 002)
    "seed004"  Δ = α/(2^{B-1} - 1)        Δ²/12 · P(|X| ≤ α)      (seed 004's quantizationNoise;
               with seed004_delta="seed001": Δ = 2α/(2^B - 1))
    "uniform"  Δ = α/(2^{B-1} - 1)        Δ²/12                   (the quantizer's real step)

    mse_model(α) = clip_error(α) + noise(α)

Continuous laws: ``mse_exact`` is a sum over the quantization cells (:func:`quantization_cells`)
of closed-form partial moments, ``E[(X-q)²; cell] = E[X²;cell] - 2q·E[X;cell] + q²·P(cell)``
(a tie — ``X`` on a cell boundary — has probability 0, so ``rounding`` does not matter).
Each cell term cancels ``q²·P`` against ``E[X²;cell]``, so the relative rounding error of the
sum is about ``12·L²·eps·E[X²]/α²`` (``L = 2^{B-1}-1``): ~1e-11 at 8 bits, ~1e-7 at 16 bits.
Finite laws: the weighted sum ``Σ w_i (v_i - Q(v_i))²``. The float functions take a scalar
``α`` or an array of them (then return an array); the ``*_fraction`` functions are the exact
``Fraction`` reference on finite laws, built on ``quantizer.quantize_exact``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from laaciq.theory import quantizer
from laaciq.theory.distribution import (ContinuousDist, Distribution, ExactFiniteDist, FiniteDist,
                           check_alphas, _out)
from laaciq.argcheck import check_bits, check_choice

__all__ = [
    "MODELS", "SEED004_DELTAS", "quantization_cells", "mse_exact", "clip_error", "inner_error",
    "mse_exact_fraction", "clip_error_fraction", "inner_error_fraction", "model_step",
    "noise_coefficient", "noise", "mse_model",
]

#: Noise models, each named after its source.
MODELS = ("banner", "seed001", "seed004", "uniform")
#: Step sizes the "seed004" model can use: the quantizer's own, or seed 001's ``2α/(2^B-1)``.
SEED004_DELTAS = ("quantizer", "seed001")

_CHUNK = 1 << 20  # cells evaluated at once when α is an array


def _check_dist(dist, exact_ok: bool = False):
    kinds = (Distribution, ExactFiniteDist) if exact_ok else Distribution
    if not isinstance(dist, kinds):
        raise TypeError(f"dist must be a law from laaciq.theory.distribution (FiniteDist, Gaussian, ..."
                        f"), got {type(dist).__name__}")
    return dist


def quantization_cells(alpha, bits: int, extend: bool = False):
    """The cells of the quantizer: ``(lo, hi, q)``, arrays of shape ``alpha.shape + (2L+1,)``.

    For ``k = -L..L`` (``L = levels(bits)``, ``Δ = α/L``) the grid point ``q_k = kΔ`` owns
    ``((k-½)Δ, (k+½)Δ]`` (up to the boundary points, which the rounding rule assigns) intersected
    with ``[-α, α]``; with ``extend=True`` the outer cells reach ``±∞`` (where ``Q = ±α``).
    The cells partition ``[-α, α]`` (``ℝ`` with ``extend``).
    """
    a, _ = check_alphas(alpha)
    L = quantizer.levels(bits)
    k = np.arange(-L, L + 1, dtype=np.float64)
    s = (a / L)[..., None]
    q = k * s
    lo, hi = (k - 0.5) * s, (k + 0.5) * s
    lo[..., 0] = -np.inf if extend else -a
    hi[..., -1] = np.inf if extend else a
    return lo, hi, q


def _cell_sum(dist: ContinuousDist, alpha: np.ndarray, bits: int, extend: bool) -> np.ndarray:
    """``Σ_k E[(X - q_k)²; cell_k]`` for each ``α`` (the one cell decomposition)."""
    flat = alpha.ravel()
    rows = max(1, _CHUNK // quantizer.grid_size(bits))
    out = np.empty(flat.size)
    for i in range(0, flat.size, rows):  # chunks of thresholds, never single elements
        lo, hi, q = quantization_cells(flat[i:i + rows], bits, extend)
        p, m1, m2 = (np.asarray(x) for x in dist.partial_moments(lo, hi))
        out[i:i + rows] = np.maximum(m2 - 2 * q * m1 + q * q * p, 0.0).sum(axis=-1)
    return out.reshape(alpha.shape)


def _finite_sq_err(dist: FiniteDist, alpha: np.ndarray, bits: int, rounding: str,
                   inside_only: bool) -> np.ndarray:
    """``Σ w_i (v_i - Q(v_i))²`` (over ``|v_i| ≤ α`` if ``inside_only``) for each ``α``."""
    v, w = dist.values, dist.weights
    out = np.empty(alpha.size)
    with np.errstate(over="ignore"):
        for j, a in enumerate(alpha.ravel()):  # loop over thresholds; elements vectorized
            e2 = (v - quantizer.quantize(v, a, bits, rounding)) ** 2
            out[j] = w @ (e2 * (np.abs(v) <= a) if inside_only else e2)
    return out.reshape(alpha.shape)


def _sq_err(dist, alpha, bits: int, rounding: str, inside_only: bool):
    """``E[(X - Q(X))²]`` (``inside_only``: restricted to ``|X| ≤ α``) for every kind of law."""
    if isinstance(_check_dist(dist, exact_ok=True), ExactFiniteDist):
        exact_fn = inner_error_fraction if inside_only else mse_exact_fraction
        return exact_fn(dist.values, dist.weights, alpha, bits, rounding)
    check_choice(rounding, "rounding", quantizer.ROUNDINGS)
    bits = check_bits(bits)
    a, _ = check_alphas(alpha)
    if isinstance(dist, FiniteDist):
        return _out(_finite_sq_err(dist, a, bits, rounding, inside_only=inside_only))
    return _out(_cell_sum(dist, a, bits, extend=not inside_only))


def mse_exact(dist, alpha, bits: int, rounding: str = "half_up"):
    """``E[(X - Q(X))²]``, ``Q = quantizer.quantize(·, alpha, bits, rounding)``.

    Finite law: ``Σ w_i (v_i - Q(v_i))²``. Continuous law: ``Σ_k E[(X - q_k)²; cell_k]`` over
    the extended cells of :func:`quantization_cells`. :class:`ExactFiniteDist`: the exact
    Fraction (:func:`mse_exact_fraction`).
    """
    return _sq_err(dist, alpha, bits, rounding, inside_only=False)


def inner_error(dist, alpha, bits: int, rounding: str = "half_up"):
    """``E[(X - Q(X))²; |X| ≤ α]``: the cells of :func:`quantization_cells` (not extended)."""
    return _sq_err(dist, alpha, bits, rounding, inside_only=True)


def clip_error(dist, alpha):
    """``E[(|X| - α)²; |X| > α]`` (seed 004's ``E_clip``): ``dist.tail_moment(alpha)``."""
    return _check_dist(dist, exact_ok=True).tail_moment(alpha)


# ---------------------------------------------------------------------------------------------
# exact reference


def _exact_args(values, weights, alpha, bits, rounding):
    check_choice(rounding, "rounding", quantizer.ROUNDINGS)
    bits = check_bits(bits)
    law = ExactFiniteDist(values, weights)
    a = law._alpha(alpha)
    return law, a, bits


def _exact_sq_err(values, weights, alpha, bits, rounding, inside_only: bool) -> Fraction:
    law, a, bits = _exact_args(values, weights, alpha, bits, rounding)
    return sum((w * (v - quantizer.quantize_exact(v, a, bits, rounding)) ** 2
                for w, v in zip(law.weights, law.values) if not inside_only or abs(v) <= a),
               Fraction(0))


def mse_exact_fraction(values, weights, alpha, bits: int, rounding: str = "half_up") -> Fraction:
    """Exact ``Σ w_i (v_i - Q(v_i))²`` with ``Q = quantizer.quantize_exact`` (``weights=None``:
    uniform; otherwise rationals summing to exactly 1)."""
    return _exact_sq_err(values, weights, alpha, bits, rounding, inside_only=False)


def inner_error_fraction(values, weights, alpha, bits: int, rounding: str = "half_up") -> Fraction:
    """Exact ``Σ_{|v_i| ≤ α} w_i (v_i - Q(v_i))²``."""
    return _exact_sq_err(values, weights, alpha, bits, rounding, inside_only=True)


def clip_error_fraction(values, weights, alpha) -> Fraction:
    """Exact ``Σ_{|v_i| > α} w_i (|v_i| - α)²``."""
    return ExactFiniteDist(values, weights).tail_moment(alpha)


# ---------------------------------------------------------------------------------------------
# noise models


def model_step(alpha, bits: int, model: str, seed004_delta: str = "quantizer"):
    """The step ``Δ`` a noise model assumes: "banner" ``2α/2^B``; "seed001" ``2α/(2^B-1)``;
    "uniform" and "seed004" ``α/(2^{B-1}-1)`` (quantizer step; "seed004" with
    ``seed004_delta="seed001"``: ``2α/(2^B-1)``)."""
    a, _ = check_alphas(alpha)
    return _out(a * _step_ratio(bits, model, seed004_delta))


def _step_ratio(bits, model, seed004_delta) -> float:
    bits = check_bits(bits)
    check_choice(model, "model", MODELS)
    check_choice(seed004_delta, "seed004_delta", SEED004_DELTAS)
    if seed004_delta != "quantizer" and model != "seed004":
        raise ValueError(f"seed004_delta applies only to model 'seed004', not {model!r}")
    if model == "banner":
        return 2 / 2**bits
    if model == "seed001" or seed004_delta == "seed001":
        return 2 / (2**bits - 1)
    return 1 / quantizer.levels(bits)


def noise_coefficient(bits: int, model: str, seed004_delta: str = "quantizer") -> float:
    """``c = (Δ/α)²/12``, so that ``noise = c·α²`` (times ``P(|X| ≤ α)`` for "seed004")."""
    return _step_ratio(bits, model, seed004_delta) ** 2 / 12


def noise(alpha, bits: int, model: str, dist=None, *, seed004_delta: str = "quantizer"):
    """A seed's quantization-noise model ``Δ²/12`` (see the module table; "seed004" multiplies
    by ``P(|X| ≤ α)`` and so needs ``dist``)."""
    c = noise_coefficient(bits, model, seed004_delta)
    a, _ = check_alphas(alpha)
    value = c * a * a
    if model == "seed004":
        if dist is None:
            raise ValueError("dist is required for model 'seed004': its noise is "
                             "Δ²/12 · P(|X| ≤ α)")
        value = value * np.asarray(_check_dist(dist).prob_inside(a), dtype=np.float64)
    return _out(value)


def mse_model(dist, alpha, bits: int, model: str = "seed004", *,
              seed004_delta: str = "quantizer"):
    """``clip_error(α) + noise(α)`` under a seed's noise model (:data:`MODELS`)."""
    _check_dist(dist)
    n = noise(alpha, bits, model, dist, seed004_delta=seed004_delta)
    return _out(np.asarray(dist.tail_moment(alpha)) + n)
