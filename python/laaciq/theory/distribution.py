"""Probability laws of weights: finite (empirical) laws and continuous families with exact formulas.

(Over 600 lines on purpose: one class per law family, each with the same closed-form interface;
split up, a reader would have to open seven files to compare two families' formulas.)

Every law ``X`` offers what the MSE of the quantizer needs (seed 004, "MSE DECOMPOSITION"):

* moments: ``mean()``, ``var()``, ``std()``, ``central_moment(k)``, ``skewness()``,
  ``excess_kurtosis()`` (``κ = E[(X-μ)⁴]/σ⁴ - 3``, seed 001);
* ``partial_moments(a, b) = (P(a<X≤b), E[X; a<X≤b], E[X²; a<X≤b])``, vectorized over arrays of
  interval endpoints (``±inf`` allowed) — the per-cell pieces of the exact MSE;
* ``tail_moment(α) = E[(|X|-α)²; |X|>α]`` (the clipping error),
  ``tail_first_moment(α) = E[|X|-α; |X|>α]`` (``-½ d/dα`` of it) and
  ``prob_inside(α) = P(|X| ≤ α)``, each for a scalar ``α > 0`` or an array of them.

Laws:

* :class:`FiniteDist` — the empirical law of a weight tensor (float64, vectorized);
  :class:`ExactFiniteDist` (or ``FiniteDist.exact``) — the same with ``Fraction`` values and
  weights, the exact reference;
* :class:`Gaussian`, :class:`Laplace`, :class:`StudentT`, :class:`GenGaussian`, :class:`Uniform`
  — location–scale families ``X = loc + scale·Z`` with ``Z`` symmetric; every quantity is a closed
  form in ``scipy.special`` functions (no Monte Carlo, no quadrature);
* :class:`Mixture` — finite mixtures of continuous laws with arbitrary means and scales (so
  possibly asymmetric), seed 000's effective distribution ``P_λ = Σ_l ā_l(λ) P_l``.

Excess kurtosis is ``≥ -2`` for every law (``E[D⁴] ≥ E[D²]²`` by Jensen, ``D = X - μ``); it is
``+inf`` when the fourth moment diverges (Student-t with ``ν ≤ 4``) and ``nan`` for a point mass
(variance 0).

Numerics. Lower tails ``E[Z^k; Z ≤ z]`` (``z ≤ 0``) are computed directly and the upper tails by
symmetry, so tail probabilities keep their relative accuracy far out (``P(Z > 30)`` is not
``1 - 1``). Differences ``E[X²;·] - 2αE[X;·] + α²P(·)`` (tail moments, cell errors) lose about
``log10((α/scale)²)`` digits; that is harmless for the thresholds of interest (``α ≲ 50·scale``).
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import special

from laaciq.theory.quantizer import _frac
from laaciq.argcheck import (WEIGHT_SUM_TOL, check_alpha, check_array, check_finite_real,
                       check_positive, check_weights)

__all__ = [
    "Distribution", "ContinuousDist", "FiniteDist", "ExactFiniteDist", "Gaussian", "Laplace",
    "StudentT", "GenGaussian", "Uniform", "Mixture", "check_alphas",
]

#: Highest order ``k`` of ``central_moment(k)`` for continuous laws (enough for the kurtosis).
MAX_CONTINUOUS_ORDER = 4


# ---------------------------------------------------------------------------------------------
# argument helpers


def check_alphas(alpha) -> tuple[np.ndarray, bool]:
    """A threshold ``α > 0`` or an array of them, as ``(float64 array, is_scalar)``.

    Scalars go through :func:`validate.check_alpha` (so Fractions are accepted); arrays must be
    non-empty, finite and ``> 0`` everywhere.
    """
    if np.ndim(alpha) == 0 and not isinstance(alpha, np.ndarray):
        return np.asarray(float(check_alpha(alpha))), True
    arr = check_array(alpha, "alpha")
    if np.any(arr <= 0):
        raise ValueError(f"alpha must be > 0, found {arr[arr <= 0].ravel()[0]!r}: "
                         f"a clipping threshold is positive")
    return arr, False


def _out(x):
    """0-d arrays become Python floats; arrays are returned as they are."""
    return float(x) if np.ndim(x) == 0 else x


def _check_endpoints(x, name: str) -> np.ndarray:
    """Interval endpoints: real numbers, ``±inf`` allowed, NaN rejected."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be real numbers (±inf allowed), "
                        f"got {type(x).__name__}") from None
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} must not contain NaN")
    return arr


def _check_interval(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.broadcast_arrays(_check_endpoints(a, "a"), _check_endpoints(b, "b"))
    if np.any(a > b):
        i = np.argmax((a > b).ravel())
        raise ValueError(f"a must be <= b elementwise, got a={a.ravel()[i]!r} > "
                         f"b={b.ravel()[i]!r}")
    return a, b


def _check_order(k, max_k: int | None = None) -> int:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k must be a non-negative integer, got {k!r}")
    k = int(k)
    if k < 0 or (max_k is not None and k > max_k):
        top = f"0..{max_k}" if max_k is not None else ">= 0"
        raise ValueError(f"k must be in {top}, got {k}")
    return k


# ---------------------------------------------------------------------------------------------
# base classes


class Distribution(ABC):
    """A law of a real random variable ``X`` with finite variance."""

    @abstractmethod
    def mean(self) -> float:
        """``μ = E[X]``."""

    @abstractmethod
    def central_moment(self, k: int) -> float:
        """``E[(X - μ)^k]``."""

    @abstractmethod
    def partial_moments(self, a, b):
        """``(P(a<X≤b), E[X; a<X≤b], E[X²; a<X≤b])`` elementwise over broadcast ``a ≤ b``."""

    @abstractmethod
    def _tails(self, alpha: np.ndarray):
        """``(P(|X|≤α), E[|X|-α; |X|>α], E[(|X|-α)²; |X|>α])`` for an array of ``α > 0``."""

    def var(self) -> float:
        """``σ² = E[(X - μ)²]``."""
        return self.central_moment(2)

    def std(self) -> float:
        """``σ = sqrt(var)``."""
        return math.sqrt(self.var())

    def second_moment(self) -> float:
        """``E[X²] = σ² + μ²`` (the scale that matters for clipping at 0)."""
        return self.var() + self.mean() ** 2

    def skewness(self) -> float:
        """``E[(X-μ)³] / σ³`` (``nan`` when undefined)."""
        m2 = self.central_moment(2)
        return self.central_moment(3) / m2 ** 1.5 if m2 > 0 else math.nan

    def excess_kurtosis(self) -> float:
        """``κ = E[(X-μ)⁴] / σ⁴ - 3`` (≥ -2; ``+inf`` if the fourth moment diverges)."""
        m2 = self.central_moment(2)
        return self.central_moment(4) / m2 ** 2 - 3.0 if m2 > 0 else math.nan

    def cdf(self, x):
        """``F(x) = P(X ≤ x)``, elementwise."""
        x = _check_endpoints(x, "x")
        return _out(self.partial_moments(np.full_like(x, -np.inf), x)[0])

    def prob_inside(self, alpha):
        """``P(|X| ≤ α)``."""
        a, _ = check_alphas(alpha)
        return _out(self._tails(a)[0])

    def tail_first_moment(self, alpha):
        """``E[|X| - α; |X| > α]`` (so ``d/dα tail_moment = -2·tail_first_moment``)."""
        a, _ = check_alphas(alpha)
        return _out(self._tails(a)[1])

    def tail_moment(self, alpha):
        """``E[(|X| - α)²; |X| > α]``: seed 004's clipping error ``E_clip(α)``."""
        a, _ = check_alphas(alpha)
        return _out(self._tails(a)[2])


class ContinuousDist(Distribution):
    """A law with a density; ties (``X`` on a cell boundary) have probability 0."""

    @abstractmethod
    def pdf(self, x):
        """The density ``f(x)``, elementwise."""

    def _tails(self, alpha):
        inf = np.full_like(alpha, np.inf)
        p_in = self.partial_moments(-alpha, alpha)[0]
        pr, mr, sr = self.partial_moments(alpha, inf)      # X > α
        pl, ml, sl = self.partial_moments(-inf, -alpha)    # X < -α  (closed end: measure 0)
        t1 = (mr - alpha * pr) + (-ml - alpha * pl)
        t2 = (sr - 2 * alpha * mr + alpha**2 * pr) + (sl + 2 * alpha * ml + alpha**2 * pl)
        return p_in, np.maximum(t1, 0.0), np.maximum(t2, 0.0)


class _LocScale(ContinuousDist):
    """``X = loc + scale·Z`` with ``Z`` symmetric about 0 with density ``_zpdf``.

    A family supplies the lower-tail partial moments ``F_k(z) = E[Z^k; Z ≤ z]`` for finite
    ``z ≤ 0`` (``_lower``) and ``E[Z^k]`` for ``k = 2, 3, 4`` (``_zmoment``); everything else is
    derived here, upper tails by ``E[Z^k; Z > z] = (-1)^k F_k(-z)``.
    """

    loc: float
    scale: float

    @abstractmethod
    def _lower(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(F_0, F_1, F_2)(z)`` for finite ``z ≤ 0``."""

    @abstractmethod
    def _zpdf(self, z: np.ndarray) -> np.ndarray:
        """Density of ``Z``."""

    @abstractmethod
    def _zmoment(self, k: int) -> float:
        """``E[Z^k]`` for ``k`` in 2, 3, 4."""

    def _lower_ext(self, z):
        fin = np.isfinite(z)  # only -inf reaches here
        parts = self._lower(np.where(fin, z, 0.0))
        return tuple(np.where(fin, p, 0.0) for p in parts)

    def _zpartial(self, za, zb):
        """``E[Z^k; za < Z ≤ zb]`` for ``k = 0, 1, 2`` (``za ≤ zb``, ``±inf`` allowed).

        Intervals in ``[0, ∞]`` are reflected to ``[-zb, -za]`` so that both ends are lower tails.
        """
        right = za >= 0
        lo = np.where(right, -zb, za)
        hi = np.where(right, -za, zb)
        pos = hi > 0
        f_lo = self._lower_ext(lo)
        f_hi = self._lower_ext(np.where(pos, -hi, hi))
        totals = (1.0, 0.0, self._zmoment(2))
        out = []
        for k, (fl, fh, m) in enumerate(zip(f_lo, f_hi, totals)):
            c_hi = np.where(pos, m - (-1) ** k * fh, fh)  # E[Z^k; Z ≤ hi]
            out.append(c_hi - fl)
        out[0] = np.maximum(out[0], 0.0)
        out[2] = np.maximum(out[2], 0.0)
        out[1] = np.where(right, -out[1], out[1])
        return out

    def partial_moments(self, a, b):
        """``(P, E[X;·], E[X²;·])`` on ``(a, b]`` from the family's closed forms.

        With ``z = (x - loc)/scale`` and ``p_k = E[Z^k; za<Z≤zb]``: ``P = p_0``,
        ``E[X;·] = loc·p_0 + scale·p_1``, ``E[X²;·] = loc²·p_0 + 2·loc·scale·p_1 + scale²·p_2``.
        """
        a, b = _check_interval(a, b)
        with np.errstate(over="ignore", under="ignore"):
            p0, p1, p2 = self._zpartial((a - self.loc) / self.scale, (b - self.loc) / self.scale)
            m, s = self.loc, self.scale
            return (_out(p0), _out(m * p0 + s * p1),
                    _out(m * m * p0 + 2 * m * s * p1 + s * s * p2))

    def cdf(self, x):
        """``F(x) = P(Z ≤ (x - loc)/scale)``."""
        x = _check_endpoints(x, "x")
        with np.errstate(over="ignore", under="ignore"):
            z = (x - self.loc) / self.scale
            return _out(self._zpartial(np.full_like(z, -np.inf), z)[0])

    def pdf(self, x):
        """``f(x) = f_Z((x - loc)/scale) / scale``."""
        x = _check_endpoints(x, "x")
        with np.errstate(over="ignore", under="ignore"):
            return _out(self._zpdf((x - self.loc) / self.scale) / self.scale)

    def mean(self) -> float:
        """``E[X] = loc`` (``Z`` is symmetric)."""
        return self.loc

    def central_moment(self, k: int) -> float:
        """``E[(X - loc)^k] = scale^k · E[Z^k]`` for ``k`` in 0..4 (odd ``k``: 0)."""
        k = _check_order(k, MAX_CONTINUOUS_ORDER)
        if k == 0:
            return 1.0
        if k == 1:
            return 0.0
        return self.scale**k * self._zmoment(k)


def _set(obj, name, value):
    object.__setattr__(obj, name, value)


# ---------------------------------------------------------------------------------------------
# continuous families

_SQRT_2PI = math.sqrt(2 * math.pi)


@dataclass(frozen=True)
class Gaussian(_LocScale):
    """``N(mu, sigma²)``: ``F_0 = Φ(z)``, ``F_1 = -φ(z)``, ``F_2 = Φ(z) - z·φ(z)``; κ = 0."""

    mu: float = 0.0
    sigma: float = 1.0

    def __post_init__(self):
        _set(self, "mu", check_finite_real(self.mu, "mu"))
        _set(self, "sigma", check_positive(self.sigma, "sigma"))

    loc = property(lambda self: self.mu)
    scale = property(lambda self: self.sigma)

    def _zpdf(self, z):
        return np.exp(-0.5 * z * z) / _SQRT_2PI

    def _lower(self, z):
        phi, cdf = self._zpdf(z), special.ndtr(z)
        return cdf, -phi, cdf - z * phi

    def _zmoment(self, k):
        return (0.0, 1.0, 0.0, 3.0)[k - 1]


@dataclass(frozen=True)
class Laplace(_LocScale):
    """Laplace ``f(x) = exp(-|x-mu|/b)/(2b)``: for ``z ≤ 0``, ``F_0 = e^z/2``,
    ``F_1 = (z-1)e^z/2``, ``F_2 = (z²-2z+2)e^z/2``; ``E[Z²] = 2``, ``E[Z⁴] = 24``, κ = 3."""

    mu: float = 0.0
    b: float = 1.0

    def __post_init__(self):
        _set(self, "mu", check_finite_real(self.mu, "mu"))
        _set(self, "b", check_positive(self.b, "b"))

    loc = property(lambda self: self.mu)
    scale = property(lambda self: self.b)

    def _zpdf(self, z):
        return 0.5 * np.exp(-np.abs(z))

    def _lower(self, z):
        z = np.maximum(z, -800.0)  # e^-800 underflows to 0: the tails are exactly 0 beyond
        e = 0.5 * np.exp(z)
        return e, (z - 1) * e, (z * z - 2 * z + 2) * e

    def _zmoment(self, k):
        return (0.0, 2.0, 0.0, 24.0)[k - 1]


@dataclass(frozen=True)
class StudentT(_LocScale):
    """Student-t with ``nu > 2`` degrees of freedom, ``X = mu + scale·T``.

    With ``g(z) = (1 + z²/ν)·f(z) = c·(1 + z²/ν)^{-(ν-1)/2}``: ``F_0 = stdtr(ν, z)``,
    ``F_1 = -ν/(ν-1)·g(z)``, ``F_2 = ν·(F_0 - z·g(z))/(ν-2)`` (integration by parts).
    ``E[T²] = ν/(ν-2)``; ``E[T⁴] = 3ν²/((ν-2)(ν-4))`` for ``ν > 4`` and ``+inf`` for ``ν ≤ 4``
    (so κ = 6/(ν-4), or ``+inf``); the third moment (and the skewness) is ``nan`` for ``ν ≤ 3``,
    where ``E|T|³`` diverges. ``ν ≤ 2`` is rejected: the variance is infinite.
    """

    nu: float
    mu: float = 0.0
    scale: float = 1.0

    def __post_init__(self):
        nu = check_positive(self.nu, "nu")
        if nu <= 2:
            raise ValueError(f"nu must be > 2, got {self.nu!r}: a Student-t law with nu <= 2 has "
                             f"infinite variance, so no MSE or kurtosis")
        _set(self, "nu", nu)
        _set(self, "mu", check_finite_real(self.mu, "mu"))
        _set(self, "scale", check_positive(self.scale, "scale"))

    loc = property(lambda self: self.mu)

    @property
    def _log_c(self):
        nu = self.nu
        return (special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2)
                - 0.5 * math.log(nu * math.pi))

    def _log1p_z2(self, z):
        """``log(1 + z²/ν)`` without overflow for huge ``|z|``."""
        return 2 * np.log(np.hypot(1.0, z / math.sqrt(self.nu)))

    def _zpdf(self, z):
        return np.exp(self._log_c - (self.nu + 1) / 2 * self._log1p_z2(z))

    def _lower(self, z):
        nu = self.nu
        g = np.exp(self._log_c - (nu - 1) / 2 * self._log1p_z2(z))
        f0 = special.stdtr(nu, z)
        return f0, -nu / (nu - 1) * g, nu * (f0 - z * g) / (nu - 2)

    def _zmoment(self, k):
        nu = self.nu
        if k == 2:
            return nu / (nu - 2)
        if k == 3:
            return 0.0 if nu > 3 else math.nan
        return 3 * nu * nu / ((nu - 2) * (nu - 4)) if nu > 4 else math.inf


@dataclass(frozen=True)
class GenGaussian(_LocScale):
    """Generalized normal, shape ``beta > 0``: ``f(z) = β/(2Γ(1/β))·exp(-|z|^β)``.

    For ``z ≤ 0``, ``u = |z|^β``: ``F_k = (-1)^k·Γ((k+1)/β)/(2Γ(1/β))·Q((k+1)/β, u)``
    (``Q`` the regularized upper incomplete gamma); ``E[Z^{2j}] = Γ((2j+1)/β)/Γ(1/β)``, so
    ``κ = Γ(5/β)Γ(1/β)/Γ(3/β)² - 3``. ``β = 2``, ``scale = σ√2`` is ``N(mu, σ²)``; ``β = 1`` is
    Laplace.
    """

    beta: float
    mu: float = 0.0
    scale: float = 1.0

    def __post_init__(self):
        _set(self, "beta", check_positive(self.beta, "beta"))
        _set(self, "mu", check_finite_real(self.mu, "mu"))
        _set(self, "scale", check_positive(self.scale, "scale"))

    loc = property(lambda self: self.mu)

    def _ratio(self, p):
        """``Γ(p/β)/Γ(1/β)``."""
        return math.exp(special.gammaln(p / self.beta) - special.gammaln(1 / self.beta))

    def _zpdf(self, z):
        b = self.beta
        return np.exp(math.log(b / 2) - special.gammaln(1 / b) - np.abs(z) ** b)

    def _lower(self, z):
        b = self.beta
        u = np.abs(z) ** b
        return tuple((-1) ** k * 0.5 * self._ratio(k + 1) * special.gammaincc((k + 1) / b, u)
                     for k in range(3))

    def _zmoment(self, k):
        return 0.0 if k % 2 else self._ratio(k + 1)


@dataclass(frozen=True)
class Uniform(_LocScale):
    """Uniform on ``[lo, hi]``: ``Z`` uniform on ``[-1, 1]``, ``loc = (lo+hi)/2``,
    ``scale = (hi-lo)/2``; for ``-1 ≤ z ≤ 0``: ``F_0 = (z+1)/2``, ``F_1 = (z²-1)/4``,
    ``F_2 = (z³+1)/6``; ``E[Z²] = 1/3``, ``E[Z⁴] = 1/5``, κ = -6/5."""

    lo: float = -1.0
    hi: float = 1.0

    def __post_init__(self):
        lo, hi = check_finite_real(self.lo, "lo"), check_finite_real(self.hi, "hi")
        if not lo < hi:
            raise ValueError(f"lo must be < hi, got lo={self.lo!r}, hi={self.hi!r}")
        if not math.isfinite(hi - lo):
            raise ValueError(f"hi - lo must be finite, got lo={self.lo!r}, hi={self.hi!r}")
        _set(self, "lo", lo)
        _set(self, "hi", hi)

    loc = property(lambda self: (self.lo + self.hi) / 2)
    scale = property(lambda self: (self.hi - self.lo) / 2)

    def _zpdf(self, z):
        return np.where(np.abs(z) <= 1, 0.5, 0.0)

    def _lower(self, z):
        z = np.clip(z, -1.0, 0.0)
        return (z + 1) / 2, (z * z - 1) / 4, (z**3 + 1) / 6

    def _zmoment(self, k):
        return (0.0, 1 / 3, 0.0, 1 / 5)[k - 1]


@dataclass(frozen=True)
class Mixture(ContinuousDist):
    """``Σ_i w_i·P_i`` of continuous laws (seed 000's ``P_λ = Σ_l ā_l(λ) P_l``).

    ``μ = Σ w_i μ_i``; with ``δ_i = μ_i - μ`` and ``m_{i,j}`` the central moments of component
    ``i`` (``m_{i,0} = 1``, ``m_{i,1} = 0``):
    ``E[(X-μ)^k] = Σ_i w_i Σ_j C(k,j)·m_{i,j}·δ_i^{k-j}``. For symmetric components this is seed
    004's ``κ_eff = [Σwᵢ(κᵢ+3)σᵢ⁴ + 6Σwᵢσᵢ²δᵢ² + Σwᵢδᵢ⁴]/σ⁴ - 3``; in general the term
    ``4·Σwᵢ m_{i,3} δᵢ`` is added. CDF, density and partial moments are the weighted sums.
    ``weights`` are ≥ 0 and sum to 1 within ``WEIGHT_SUM_TOL`` (then renormalized).
    """

    weights: tuple
    components: tuple

    def __post_init__(self):
        comps = tuple(self.components) if isinstance(self.components, (list, tuple)) else None
        if not comps:
            raise ValueError("components must be a non-empty list of continuous laws")
        for i, c in enumerate(comps):
            if not isinstance(c, ContinuousDist):
                raise TypeError(f"components[{i}] must be a continuous law (Gaussian, Laplace, "
                                f"StudentT, GenGaussian, Uniform, Mixture), got {type(c).__name__}")
        w = check_weights(self.weights, len(comps))
        w = w / w.sum()
        _set(self, "weights", tuple(float(x) for x in w))
        _set(self, "components", comps)

    def _active(self):
        return [(w, c) for w, c in zip(self.weights, self.components) if w > 0]

    def mean(self) -> float:
        """``μ = Σ w_i μ_i``."""
        return math.fsum(w * c.mean() for w, c in self._active())

    def central_moment(self, k: int) -> float:
        """``E[(X-μ)^k] = Σ_i w_i Σ_j C(k,j) m_{i,j} δ_i^{k-j}``, ``k`` in 0..4."""
        k = _check_order(k, MAX_CONTINUOUS_ORDER)
        mu = self.mean()
        active = self._active()
        if any(math.isinf(c.central_moment(k)) for _, c in active):
            return math.inf  # a divergent even moment: the mixture's diverges too
        terms = []
        for w, c in active:
            d = c.mean() - mu
            terms.extend(w * math.comb(k, j) * c.central_moment(j) * d ** (k - j)
                         for j in range(k + 1) if j != 1)
        return math.fsum(terms)

    def partial_moments(self, a, b):
        """``Σ_i w_i·(P_i, E_i[X;·], E_i[X²;·])`` on ``(a, b]``."""
        a, b = _check_interval(a, b)
        acc = [np.zeros(a.shape) for _ in range(3)]
        for w, c in self._active():
            for s, part in zip(acc, c.partial_moments(a, b)):
                s += w * np.asarray(part)
        return tuple(_out(s) for s in acc)

    def pdf(self, x):
        """``f(x) = Σ w_i f_i(x)``."""
        x = _check_endpoints(x, "x")
        return _out(sum(w * np.asarray(c.pdf(x)) for w, c in self._active()))


# ---------------------------------------------------------------------------------------------
# finite laws


class FiniteDist(Distribution):
    """The law ``P(X = v_i) = w_i`` of a (flattened) weight tensor, float64.

    ``values``: finite, non-empty (any shape; flattened). ``weights``: ``None`` (uniform
    ``1/n``) or a 1-D array of ``n`` non-negative finite numbers summing to 1 within
    ``validate.WEIGHT_SUM_TOL`` (``1e-9``); they are renormalized to sum to 1 and the entries of
    weight 0 are dropped. Moments are computed on rescaled data (``(v - μ)/max|v - μ|``), so
    huge and tiny magnitudes neither overflow nor underflow the skewness and kurtosis.
    """

    def __init__(self, values, weights=None):
        v = check_array(values, "values").ravel()
        if weights is None:
            w = np.full(v.size, 1.0 / v.size)
        else:
            w = check_weights(weights, v.size)
            w = w / w.sum()
        keep = w > 0
        self.values, self.weights = v[keep], w[keep]
        self.values.flags.writeable = False
        self.weights.flags.writeable = False
        self._cache = None

    @classmethod
    def exact(cls, values, weights=None) -> ExactFiniteDist:
        """The exact (``Fraction``) version: :class:`ExactFiniteDist`."""
        return ExactFiniteDist(values, weights)

    def __repr__(self):
        return f"FiniteDist(n={self.values.size}, mean={self.mean():.6g}, std={self.std():.6g})"

    def _scaled(self):
        """``(c, μ, r, e)``: ``c = max|v|``, the mean ``μ``, ``r = max|v - μ|/c`` and
        ``e = (v - μ)/(c·r)`` in ``[-1, 1]`` (``r = 0`` for a point mass)."""
        if self._cache is None:
            v, w = self.values, self.weights
            c = float(np.max(np.abs(v)))
            if c == 0 or np.ptp(v) == 0:
                self._cache = (c, float(v[0]), 0.0, np.zeros_like(v))
            else:
                u = v / c
                mu_u = min(max(float(w @ u), float(u.min())), float(u.max()))
                d = u - mu_u
                r = float(np.max(np.abs(d)))
                self._cache = (c, c * mu_u, r, d / r)
        return self._cache

    def _emoment(self, k):
        return float(self.weights @ self._scaled()[3] ** k)

    def mean(self) -> float:
        """``μ = Σ w_i v_i``."""
        return self._scaled()[1]

    def central_moment(self, k: int) -> float:
        """``E[(X-μ)^k] = Σ w_i (v_i - μ)^k`` for any integer ``k ≥ 0`` (``inf`` on overflow)."""
        k = _check_order(k)
        if k == 0:
            return 1.0
        c, _, r, _ = self._scaled()
        m = self._emoment(k)
        if r == 0 or m == 0:
            return 0.0
        with np.errstate(over="ignore", under="ignore"):
            return float(math.copysign(np.float64(c * r * abs(m) ** (1 / k)) ** k, m))

    def std(self) -> float:
        """``σ = max|v|·r·sqrt(E[e²])`` (no overflow of the variance)."""
        c, _, r, _ = self._scaled()
        return c * (r * math.sqrt(self._emoment(2))) if r else 0.0

    def skewness(self) -> float:
        """``E[e³]/E[e²]^{3/2}`` on the rescaled ``e`` (``nan`` for a point mass)."""
        return self._emoment(3) / self._emoment(2) ** 1.5 if self._scaled()[2] else math.nan

    def excess_kurtosis(self) -> float:
        """``E[e⁴]/E[e²]² - 3`` on the rescaled ``e`` (``nan`` for a point mass).

        ``≥ -2`` in exact arithmetic (``= -2`` for two equally weighted points); float rounding
        may put it a few ulps below.
        """
        return self._emoment(4) / self._emoment(2) ** 2 - 3.0 if self._scaled()[2] else math.nan

    def partial_moments(self, a, b):
        """``(Σ w_i, Σ w_i v_i, Σ w_i v_i²)`` over ``a < v_i ≤ b``, from sorted prefix sums."""
        a, b = _check_interval(a, b)
        order = np.argsort(self.values, kind="stable")
        v, w = self.values[order], self.weights[order]
        with np.errstate(over="ignore"):
            prefix = [np.concatenate(([0.0], np.cumsum(w * v**k))) for k in range(3)]
        ia, ib = np.searchsorted(v, a, side="right"), np.searchsorted(v, b, side="right")
        return tuple(_out(p[ib] - p[ia]) for p in prefix)

    def _tails(self, alpha):
        av, w = np.abs(self.values), self.weights
        out = np.empty((3, alpha.size))
        with np.errstate(over="ignore"):
            for j, a in enumerate(alpha.ravel()):  # loop over thresholds; elements vectorized
                excess = np.where(av > a, av - a, 0.0)
                out[:, j] = (w @ (av <= a), w @ excess, w @ excess**2)
        return tuple(o.reshape(alpha.shape) for o in out)


class ExactFiniteDist:
    """The law ``P(X = v_i) = w_i`` with ``Fraction`` values and weights (the exact reference).

    ``values``: non-empty, ints/floats/Fractions (finite; floats converted exactly).
    ``weights``: ``None`` (uniform ``1/n``) or as many non-negative rationals summing to exactly 1.
    Moments are exact Fractions except ``std`` and ``skewness`` (square roots: floats).
    """

    def __init__(self, values, weights=None):
        vals = list(np.ravel(np.asarray(values, dtype=object)))
        if not vals:
            raise ValueError("values is empty: need at least one value")
        self.values = tuple(_frac(v, f"values[{i}]") for i, v in enumerate(vals))
        n = len(self.values)
        if weights is None:
            self.weights = (Fraction(1, n),) * n
        else:
            ws = list(np.ravel(np.asarray(weights, dtype=object)))
            if len(ws) != n:
                raise ValueError(f"weights has {len(ws)} entries but there are {n} values: "
                                 f"lengths must match")
            ws = tuple(_frac(x, f"weights[{i}]") for i, x in enumerate(ws))
            if any(x < 0 for x in ws):
                raise ValueError(f"weights must be non-negative, found {min(ws)}")
            if sum(ws) != 1:
                raise ValueError(f"weights must sum to exactly 1, got {sum(ws)}: exact weights "
                                 f"allow no tolerance (float weights: WEIGHT_SUM_TOL="
                                 f"{WEIGHT_SUM_TOL:g})")
            self.weights = ws

    def __repr__(self):
        return f"ExactFiniteDist(n={len(self.values)}, mean={self.mean()})"

    def to_float(self) -> FiniteDist:
        """The float64 :class:`FiniteDist` nearest to this law."""
        return FiniteDist([float(v) for v in self.values], [float(w) for w in self.weights])

    def mean(self) -> Fraction:
        """``μ = Σ w_i v_i`` (exact)."""
        return sum((w * v for w, v in zip(self.weights, self.values)), Fraction(0))

    def central_moment(self, k: int) -> Fraction:
        """``Σ w_i (v_i - μ)^k`` (exact), integer ``k ≥ 0``."""
        k = _check_order(k)
        mu = self.mean()
        return sum((w * (v - mu) ** k for w, v in zip(self.weights, self.values)), Fraction(0))

    def var(self) -> Fraction:
        """``σ² = E[(X-μ)²]`` (exact)."""
        return self.central_moment(2)

    def std(self) -> float:
        """``σ`` (float: a square root)."""
        return math.sqrt(self.var())

    def skewness(self) -> float:
        """``sign(m₃)·sqrt(m₃²/m₂³)`` (float, the ratio inside exact); ``nan`` for a point mass."""
        m2, m3 = self.var(), self.central_moment(3)
        if not m2:
            return math.nan
        return math.sqrt(m3 * m3 / m2**3) * (1 if m3 >= 0 else -1)

    def excess_kurtosis(self) -> Fraction:
        """``κ = m₄/m₂² - 3`` (exact, ≥ -2); a point mass raises ValueError (``0/0``)."""
        m2 = self.var()
        if m2 == 0:
            raise ValueError("excess kurtosis is undefined for a point mass (variance 0)")
        return self.central_moment(4) / m2**2 - 3

    def _alpha(self, alpha) -> Fraction:
        a = _frac(alpha, "alpha")
        if a <= 0:
            raise ValueError(f"alpha must be > 0, got {a}")
        return a

    def prob_inside(self, alpha) -> Fraction:
        """``P(|X| ≤ α) = Σ_{|v_i| ≤ α} w_i`` (exact)."""
        a = self._alpha(alpha)
        return sum((w for w, v in zip(self.weights, self.values) if abs(v) <= a), Fraction(0))

    def tail_first_moment(self, alpha) -> Fraction:
        """``E[|X| - α; |X| > α]`` (exact)."""
        a = self._alpha(alpha)
        return sum((w * (abs(v) - a) for w, v in zip(self.weights, self.values) if abs(v) > a),
                   Fraction(0))

    def tail_moment(self, alpha) -> Fraction:
        """``E[(|X| - α)²; |X| > α]`` (exact)."""
        a = self._alpha(alpha)
        return sum((w * (abs(v) - a) ** 2 for w, v in zip(self.weights, self.values)
                    if abs(v) > a), Fraction(0))
