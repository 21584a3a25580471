"""Optimal clipping thresholds (ACIQ, Banner et al. 2019) and the seeds' kurtosis rule.

``optimal_alpha(dist, bits, objective)`` minimizes over ``α > 0`` either the true error
(``objective="exact"``: :func:`mse.mse_exact`) or a seed's model (``objective`` in
:data:`mse.MODELS`: ``clip_error + noise``):

* continuous law, model objective — the first-order condition
  ``d/dα [E_clip + c·α²·W(α)] = -2·E[|X|-α; |X|>α] + 2cα·W + cα²·W' = 0``
  (``W = 1``, or ``W = P(|X| ≤ α)`` and ``W' = f(α) + f(-α)`` for "seed004") is solved by
  ``brentq`` to ``1e-12`` relative. For "banner", "seed001", "uniform" the objective is convex
  (``E_clip'' = 2P(|X|>α) ≥ 0``) and the root is unique; for "seed004", every sign change of
  the derivative on a log grid is solved and the best root kept.
* continuous law, exact objective — ``mse_exact`` is not convex in ``α``: a dense log-spaced
  grid, then bounded Brent refinement around the best local minima of the grid (see
  :func:`optimal_alpha` for the bracket).
* finite law — :func:`oracle_alpha`, the reference oracle (grid + refinement).

``alpha_kurtosis_rule`` is the seeds' closed-form guess ``σ·(2.5 + 0.3·ln(1 + max(0, κ)))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from laaciq.theory import quantizer
from laaciq.theory.distribution import ContinuousDist, Distribution, FiniteDist
from laaciq.theory.mse import MODELS, SEED004_DELTAS, mse_exact, mse_model, noise_coefficient
from laaciq.argcheck import check_bits, check_choice, check_finite_real, check_positive

__all__ = ["OBJECTIVES", "KURTOSIS_RULE_FORMS", "ClipResult", "optimal_alpha", "oracle_alpha",
           "alpha_kurtosis_rule"]

#: What :func:`optimal_alpha` can minimize: the true MSE or one of the seeds' models.
OBJECTIVES = ("exact",) + MODELS
#: Forms of the seeds' kurtosis rule: seeds 000/004 (``max(0, κ)``) and seed 001 (``κ``).
KURTOSIS_RULE_FORMS = ("004", "001")

_FOC_RTOL = 1e-12      # brentq relative tolerance on the root (≥ 4·eps)
_REFINE_RTOL = 1e-10   # bounded Brent: requested relative tolerance on α
_N_REFINE = 3          # grid local minima refined
_SCAN_POINTS = 256     # derivative scan for the first-order condition


@dataclass(frozen=True)
class ClipResult:
    """A minimizer: ``alpha``, the objective ``value`` there, ``alpha / dist.std()``
    (``nan`` for a point mass), the number of ``evaluations`` (thresholds at which the objective
    or its derivative was computed) and the ``method`` used."""

    alpha: float
    value: float
    alpha_over_sigma: float
    evaluations: int
    method: str


def _objective(dist, bits, objective, rounding, seed004_delta):
    """The objective as a vectorized function of ``α``."""
    if objective == "exact":
        return lambda a: np.asarray(mse_exact(dist, a, bits, rounding), dtype=np.float64)
    return lambda a: np.asarray(mse_model(dist, a, bits, objective, seed004_delta=seed004_delta),
                                dtype=np.float64)


def _check_common(dist, bits, objective, rounding, seed004_delta):
    if not isinstance(dist, Distribution):
        raise TypeError(f"dist must be a law from laaciq.theory.distribution (FiniteDist, Gaussian, ..."
                        f"), got {type(dist).__name__}")
    bits = check_bits(bits)
    check_choice(objective, "objective", OBJECTIVES)
    check_choice(rounding, "rounding", quantizer.ROUNDINGS)
    check_choice(seed004_delta, "seed004_delta", SEED004_DELTAS)
    if seed004_delta != "quantizer" and objective != "seed004":
        raise ValueError(f"seed004_delta applies only to objective 'seed004', not {objective!r}")
    return bits


def _result(dist, alpha, value, evaluations, method) -> ClipResult:
    sd = dist.std()
    return ClipResult(float(alpha), float(value), float(alpha) / sd if sd > 0 else math.nan,
                      int(evaluations), method)


def _grid_refine(f, grid: np.ndarray):
    """Minimize ``f`` on a sorted grid, then refine the best local minima by bounded Brent.

    Returns ``(alpha, value, evaluations, best_index)``; ``best_index`` is the grid index of
    the best grid point (an edge index means the bracket may be too narrow).
    """
    vals = f(grid)
    evals = grid.size
    n = grid.size
    left = np.r_[np.inf, vals[:-1]]
    right = np.r_[vals[1:], np.inf]
    minima = np.flatnonzero((vals <= left) & (vals <= right))
    minima = minima[np.argsort(vals[minima], kind="stable")][:_N_REFINE]
    best_i = int(np.argmin(vals))
    best_a, best_v = float(grid[best_i]), float(vals[best_i])
    for i in minima:
        lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, n - 1)]
        if hi <= lo:
            continue
        r = optimize.minimize_scalar(lambda a: float(f(np.asarray(a))), bounds=(lo, hi),
                                     method="bounded",
                                     options={"xatol": _REFINE_RTOL * grid[i]})
        evals += r.nfev
        if r.fun < best_v:
            best_a, best_v = float(r.x), float(r.fun)
    return best_a, best_v, evals, best_i


def _check_grid(grid, lo, hi) -> np.ndarray:
    if isinstance(grid, (int, np.integer)) and not isinstance(grid, bool):
        if grid < 3:
            raise ValueError(f"grid must be >= 3 points, got {grid}")
        return np.geomspace(lo, hi, int(grid))
    try:
        g = np.asarray(grid, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"grid must be a number of points or an array of thresholds, "
                        f"got {type(grid).__name__}") from None
    if g.ndim != 1 or g.size < 3 or not np.all(np.isfinite(g)) or np.any(g <= 0):
        raise ValueError("grid must be a 1-D array of at least 3 finite thresholds > 0")
    return np.unique(g)


def oracle_alpha(dist, bits: int, objective: str = "exact", grid=2000,
                 rounding: str = "half_up", *, seed004_delta: str = "quantizer") -> ClipResult:
    """REFERENCE ORACLE for a finite law: ``argmin_α`` of the objective by brute force.

    The objective (``mse_exact`` or ``mse_model``) is evaluated on ``grid`` (a number of
    log-spaced points, or an explicit array of thresholds), then the best few grid local minima
    are refined by bounded Brent. This is the slow, simple reference that a faster exact solver
    is tested against: its ``value`` is an upper bound on the true minimum (a dip narrower than
    the grid spacing can be missed), so a correct solver must reach ``value`` or lower.

    Default bracket ``[α_lo, α_hi]`` (``m``/``M`` the smallest nonzero/largest ``|v_i|``,
    ``p₀ = P(X = 0)``, ``c`` the model's noise coefficient, ``L = levels(bits)``):

    * exact: ``[m, 2L·M]``. Below ``m`` every nonzero value is clipped, so ``mse = E_clip`` is
      decreasing; above ``2L·M`` every value rounds to 0, so ``mse = E[X²]``, which ``α = M``
      already matches or beats.
    * models: ``[(1-p₀)·m/(c+1-p₀), M]``. Above ``M`` nothing is clipped and the noise grows;
      below the lower end the derivative ``-2E[|X|-α;|X|>α] + 2cα·W`` is negative.
    """
    bits = _check_common(dist, bits, objective, rounding, seed004_delta)
    if not isinstance(dist, FiniteDist):
        raise TypeError(f"dist must be a FiniteDist for the oracle, got {type(dist).__name__}")
    av = np.abs(dist.values)
    nz = av > 0
    if not nz.any():
        raise ValueError("dist is a point mass at 0: every alpha gives zero error")
    m, M = float(av[nz].min()), float(av.max())
    if objective == "exact":
        lo, hi = m, 2 * quantizer.levels(bits) * M
    else:
        p0 = float(dist.weights @ ~nz)
        lo, hi = (1 - p0) * m / (noise_coefficient(bits, objective, seed004_delta) + 1 - p0), M
    if lo == hi:
        hi = lo * (1 + 1e-9)
    g = _check_grid(grid, lo, hi)
    f = _objective(dist, bits, objective, rounding, seed004_delta)
    a, v, evals, _ = _grid_refine(f, g)
    return _result(dist, a, v, evals,
                   f"oracle: {g.size}-point grid on [{g[0]:.6g}, {g[-1]:.6g}] + bounded Brent")


def _foc_alpha(dist: ContinuousDist, bits, model, seed004_delta):
    """Roots of ``d/dα mse_model = 0`` for a continuous law (brentq), best one returned."""
    c = noise_coefficient(bits, model, seed004_delta)
    weighted = model == "seed004"

    def g(a):
        a = np.asarray(a, dtype=np.float64)
        d = -2 * np.asarray(dist.tail_first_moment(a))
        if weighted:
            p_in = np.asarray(dist.prob_inside(a))
            dens = np.asarray(dist.pdf(a)) + np.asarray(dist.pdf(-a))
            return d + 2 * c * a * p_in + c * a * a * dens
        return d + 2 * c * a

    rms = math.sqrt(dist.second_moment())
    lo, hi = rms * 1e-6, rms * 10
    evals = 1
    while g(hi) <= 0:  # the noise derivative 2cα·W eventually dominates -2E[|X|-α; |X|>α]
        hi *= 2
        evals += 1
        if not math.isfinite(hi):
            raise ArithmeticError(f"no upper bracket for the first-order condition of {dist!r}")
    grid = np.geomspace(lo, hi, _SCAN_POINTS)
    gv = g(grid)  # gv[0] ≈ -2E|X| < 0 and gv[-1] > 0: at least one sign change
    evals += grid.size
    brackets = np.flatnonzero((gv[:-1] < 0) & (gv[1:] >= 0))
    roots = [grid[0]] if gv[0] >= 0 else []
    for i in brackets:
        r, info = optimize.brentq(lambda a: float(g(a)), grid[i], grid[i + 1], xtol=1e-300,
                                  rtol=_FOC_RTOL, full_output=True)
        evals += info.function_calls
        roots.append(r)
    f = _objective(dist, bits, model, "half_up", seed004_delta)
    vals = f(np.asarray(roots))
    evals += len(roots)
    i = int(np.argmin(vals))
    return roots[i], float(vals[i]), evals, len(brackets)


def optimal_alpha(dist, bits: int, objective: str = "exact", rounding: str = "half_up", *,
                  seed004_delta: str = "quantizer", grid=None) -> ClipResult:
    """``argmin_{α>0}`` of ``mse_exact`` (``objective="exact"``) or ``mse_model``.

    Continuous law, model objective: root of the first-order condition (module docstring).

    Continuous law, exact objective: ``grid`` (default 400) log-spaced points on
    ``[min(R/100, α_u/10), max(10·R, 4·α_u)]``, ``R = sqrt(E[X²])`` and ``α_u`` the optimum of the
    "uniform" model, then bounded Brent around the best grid minima. Why this bracket: for a
    density that is smooth on the scale of the step, the inner error is ``≈ Δ²/12·P(|X|≤α)``
    (seed 004's model, itself ``≤`` the "uniform" one), so the exact optimum sits near ``α_u``;
    the factors 10 and 4 leave room for the error of that approximation at 2–3 bits, and
    ``R/100``, ``10·R`` keep the bracket wide when ``α_u`` is extreme. If the best grid point is
    an end of the bracket, that end is moved out (``×/÷ 10``, at most 10 times) and the search is
    repeated. ``rounding`` only matters on ties, which a continuous law never hits.

    Finite law: :func:`oracle_alpha` (the reference oracle, with its own ``grid``, default
    2000; a faster exact solver will replace it here).
    """
    bits = _check_common(dist, bits, objective, rounding, seed004_delta)
    if isinstance(dist, FiniteDist):
        return oracle_alpha(dist, bits, objective, 2000 if grid is None else grid,
                            rounding, seed004_delta=seed004_delta)
    if objective != "exact":
        a, v, evals, n_roots = _foc_alpha(dist, bits, objective, seed004_delta)
        return _result(dist, a, v, evals,
                       f"brentq on the first-order condition ({n_roots} sign change"
                       f"{'s' if n_roots != 1 else ''})")
    grid = 400 if grid is None else grid
    if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or grid < 3:
        raise ValueError(f"grid must be an integer >= 3 for a continuous law, got {grid!r}")
    a_u, _, evals, _ = _foc_alpha(dist, bits, "uniform", "quantizer")
    rms = math.sqrt(dist.second_moment())
    lo, hi = min(rms / 100, a_u / 10), max(10 * rms, 4 * a_u)
    f = _objective(dist, bits, "exact", rounding, seed004_delta)
    for _ in range(10):
        g = np.geomspace(lo, hi, grid)
        a, v, n, best = _grid_refine(f, g)
        evals += n
        if best == 0:
            lo /= 10
        elif best == grid - 1:
            hi *= 10
        else:
            break
    return _result(dist, a, v, evals, f"{grid}-point log grid on [{lo:.6g}, {hi:.6g}] "
                                      f"+ bounded Brent")


def alpha_kurtosis_rule(sigma, kappa, bits: int = 4, form: str = "004"):
    """The seeds' rule of thumb for the optimal threshold, 4 bits only — the one implementation
    (the tensor tool's per-row rule, :func:`laaciq.tensor.baselines.kurtosis_rule`, calls it).

    ``form="004"`` (seeds 000, 004): ``σ·(2.5 + 0.3·ln(1 + max(0, κ)))``.
    ``form="001"`` (seed 001): ``σ·(2.5 + 0.3·ln(1 + κ))``, undefined for ``κ ≤ -1``.
    ``κ`` is an excess kurtosis, so ``κ < -2`` is rejected. The seeds give the constants
    ``2.5, 0.3`` only for ``bits = 4``; other bit-widths raise ValueError. ``sigma`` and
    ``kappa`` are numbers (a float back) or arrays of one shape (an array back); ``σ > 0``
    everywhere (a law with ``σ = 0`` is a point mass: the caller decides, see the tensor rule).
    """
    bits = check_bits(bits)
    check_choice(form, "form", KURTOSIS_RULE_FORMS)
    if bits != 4:
        raise ValueError(f"bits must be 4 for the kurtosis rule, got {bits}: the seeds give "
                         f"constants (2.5, 0.3) only for 4-bit quantization")
    if np.ndim(sigma) == 0 and np.ndim(kappa) == 0:
        sigma = check_positive(sigma, "sigma")
        kappa = check_finite_real(kappa, "kappa")
    else:
        sigma = np.asarray(sigma, dtype=np.float64)
        kappa = np.asarray(kappa, dtype=np.float64)
        if not (np.all(np.isfinite(sigma)) and np.all(sigma > 0)):
            raise ValueError("sigma must be finite and > 0 everywhere")
        if not np.all(np.isfinite(kappa)):
            raise ValueError("kappa must be finite everywhere")
    if np.any(np.asarray(kappa) < -2):
        raise ValueError(f"kappa must be >= -2, got {np.min(kappa)!r}: no law has excess "
                         f"kurtosis below -2")
    if form == "004":
        out = sigma * (2.5 + 0.3 * np.log1p(np.maximum(0.0, kappa)))
    else:
        if np.any(np.asarray(kappa) <= -1):
            raise ValueError(f"kappa must be > -1 for form '001', got {np.min(kappa)!r}: "
                             f"ln(1 + kappa) is undefined for kappa <= -1 (form '004' uses "
                             f"max(0, kappa))")
        out = sigma * (2.5 + 0.3 * np.log1p(kappa))
    return float(out) if np.ndim(out) == 0 else out
