"""Exact re-verification: Fractions for finite laws, mpmath (50 digits) for continuous ones.

Finite laws are ``(values, weights)`` tuples of Fractions (weights summing to exactly 1). The
functions here recompute what a counterexample claims from the definitions, independently of the
float library:

* :func:`mse`, :func:`clip_error`, :func:`inner_error`, :func:`prob_inside`,
  :func:`seed004_model` — exact values at one threshold (the quantizer is
  ``quantizer.quantize_exact``, Lean's ``quantize``);
* :func:`inf_mse` — the exact infimum of the true MSE over all ``α > 0``: the MSE is a quadratic
  in ``α`` between consecutive breakpoints ``|v|`` and ``|v|·L/(n + ½)``, so the infimum is the
  least of the pieces' minima on their closures and the values at the breakpoints;
* :func:`kurtosis`, :func:`moments` — exact moments.

Continuous laws (generalized Gaussian incl. Gaussian and Laplace, in closed form through the
incomplete gamma function; Student-t by quadrature) at ``mp.dps = 50``: :func:`mp_mse`,
:func:`mp_is_local_min`.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath

from laaciq.theory import mse as mse_mod
from laaciq.theory import quantizer

__all__ = ["DPS", "mse", "clip_error", "inner_error", "prob_inside", "seed004_model",
           "moments", "kurtosis", "inf_mse", "mp_mse", "mp_is_local_min", "mp_law_std", "mp_mse_law", "mp_law_of", "mp_prob"]

#: Decimal digits of every mpmath re-verification.
DPS = 50


# ---------------------------------------------------------------------------------------------
# finite laws, exact


def _pairs(law):
    values, weights = law
    return [(Fraction(v), Fraction(w)) for v, w in zip(values, weights)]


def mse(law, a, bits: int) -> Fraction:
    """``Σ w (v - Q(v))²`` exactly (Lean ``mse``): the library's Fraction reference."""
    values, weights = law
    return mse_mod.mse_exact_fraction(values, weights, Fraction(a), bits)


def clip_error(law, a) -> Fraction:
    """``Σ w ((|v| - α)₊)²`` exactly (Lean ``clipError``, defined for every ``α``, where the
    library's ``clip_error_fraction`` requires ``α > 0``)."""
    a = Fraction(a)
    return sum((w * max(abs(v) - a, Fraction(0)) ** 2 for v, w in _pairs(law)), Fraction(0))


def inner_error(law, a, bits: int) -> Fraction:
    """``Σ_{|v| ≤ α} w (v - Q(v))²`` exactly (Lean ``innerError``)."""
    values, weights = law
    return mse_mod.inner_error_fraction(values, weights, Fraction(a), bits)


def prob_inside(law, a) -> Fraction:
    """``P(|X| ≤ α)`` exactly (Lean ``probInside``)."""
    a = Fraction(a)
    return sum((w for v, w in _pairs(law) if abs(v) <= a), Fraction(0))


def seed004_model(law, a, bits: int, step=None) -> Fraction:
    """Seed 004's ``E_clip + Δ²/12 · P(|X| ≤ α)`` with ``Δ`` the quantizer's step (or ``step``).
    Lean ``seed004MSE``."""
    a = Fraction(a)
    d = quantizer.step_exact(a, bits) if step is None else Fraction(step)
    return clip_error(law, a) + d * d / 12 * prob_inside(law, a)


def moments(law) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """``(mean, m2, m3, m4)`` (central moments), exactly."""
    p = _pairs(law)
    mu = sum((w * v for v, w in p), Fraction(0))
    m = [sum((w * (v - mu) ** k for v, w in p), Fraction(0)) for k in (2, 3, 4)]
    return mu, m[0], m[1], m[2]


def kurtosis(law) -> Fraction:
    """Excess kurtosis ``m4/m2² - 3`` exactly (``ValueError`` for a point mass)."""
    _, m2, _, m4 = moments(law)
    if m2 == 0:
        raise ValueError("excess kurtosis is undefined for a point mass")
    return m4 / (m2 * m2) - 3


def _breakpoints(law, bits: int) -> list[Fraction]:
    L = quantizer.levels(bits)
    bps = set()
    for v, _ in _pairs(law):
        if v != 0:
            bps.add(abs(v))
            for n in range(L):
                bps.add(abs(v) * L / Fraction(2 * n + 1, 2))
    return sorted(bps)


def _piece(law, bits: int, probe: Fraction):
    """Coefficients ``(A, B, C)`` with ``MSE(α) = Aα² + Bα + C`` on the open piece holding
    ``probe`` (rounding indices and inside/outside fixed there)."""
    L = quantizer.levels(bits)
    A = Bc = C = Fraction(0)
    for v, w in _pairs(law):
        C += w * v * v
        if abs(v) <= probe:
            k = quantizer.round_exact(v * L / probe)
            A += w * Fraction(k * k, L * L)
            Bc += -2 * w * v * Fraction(k, L)
        else:
            A += w
            Bc += -2 * w * abs(v)
    return A, Bc, C


def inf_mse(law, bits: int) -> tuple[Fraction, Fraction, bool]:
    """``(inf_{α>0} MSE(α), where, attained)`` exactly.

    ``where`` is the minimizing ``α`` (``0`` if the infimum is only approached as ``α → 0``);
    ``attained`` says whether some ``α > 0`` has ``MSE(α)`` equal to the infimum.
    """
    bps = _breakpoints(law, bits)
    edges = [Fraction(0)] + bps
    best: tuple[Fraction, Fraction, bool] | None = None

    def consider(val, a, attained):
        nonlocal best
        if best is None or val < best[0] or (val == best[0] and attained and not best[2]):
            best = (val, a, attained)

    for i, lo in enumerate(edges):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        probe = (lo + hi) / 2 if hi is not None else lo + 1
        A, Bc, C = _piece(law, bits, probe)
        cands = [probe]
        if A > 0:
            cands.append(-Bc / (2 * A))
        for a in cands:
            a = max(a, lo)
            if hi is not None:
                a = min(a, hi)
            val = A * a * a + Bc * a + C
            inside = a > lo and (hi is None or a < hi)
            consider(val, a, inside and a > 0)
    for b in bps:  # the value at a breakpoint may be neither neighbour's limit (ties)
        consider(mse(law, b, bits), b, True)
    return best


# ---------------------------------------------------------------------------------------------
# continuous laws, mpmath


def _gg_partial(beta, s, a, b, k):
    """``∫_a^b x^k f(x) dx`` for the generalized Gaussian of shape ``beta``, scale ``s``,
    ``0 ≤ a < b ≤ ∞``."""
    beta = mpmath.mpf(beta)
    z = (k + 1) / beta
    ta = (a / s) ** beta
    tb = mpmath.inf if b == mpmath.inf else (b / s) ** beta
    return s ** k / (2 * mpmath.gamma(1 / beta)) * mpmath.gammainc(z, ta, tb)


def _t_partial(nu, s, a, b, k):
    nu = mpmath.mpf(nu)
    c = mpmath.gamma((nu + 1) / 2) / (mpmath.sqrt(nu * mpmath.pi) * mpmath.gamma(nu / 2) * s)
    return mpmath.quad(lambda x: x ** k * c * (1 + (x / s) ** 2 / nu) ** (-(nu + 1) / 2),
                       [a, b])


def _partial(law: tuple, a, b, k):
    fam = law[0]
    if fam == "gg":
        return _gg_partial(law[1], mpmath.mpf(law[2]), a, b, k)
    if fam == "t":
        return _t_partial(law[1], mpmath.mpf(law[2]), a, b, k)
    raise ValueError(f"unknown law family {fam!r}: use ('gg', beta, scale) or ('t', nu, scale)")


def mp_law_std(law: tuple):
    """The standard deviation of a symmetric law ``('gg', beta, scale)`` / ``('t', nu, scale)``."""
    with mpmath.workdps(DPS):
        fam, p, s = law[0], mpmath.mpf(law[1]), mpmath.mpf(law[2])
        if fam == "gg":
            return s * mpmath.sqrt(mpmath.gamma(3 / p) / mpmath.gamma(1 / p))
        return s * mpmath.sqrt(p / (p - 2))


def mp_mse(law: tuple, alpha, bits: int):
    """The true MSE of a centred symmetric law at ``alpha`` with 50-digit arithmetic.

    ``law``: ``("gg", beta, scale)`` (``beta = 2``: Gaussian with ``σ = scale/√2``; ``beta = 1``:
    Laplace with ``b = scale``) or ``("t", nu, scale)``. Sum over the quantizer's cells of
    ``E[X²;cell] - 2q·E[X;cell] + q²·P(cell)``, by symmetry twice the positive side plus the
    centre cell.
    """
    with mpmath.workdps(DPS):
        L = quantizer.levels(bits)
        a = mpmath.mpf(alpha)
        d = a / L
        total = 2 * _partial(law, mpmath.mpf(0), d / 2, 2)  # centre cell, q = 0
        side = mpmath.mpf(0)
        for k in range(1, L + 1):
            lo = (k - mpmath.mpf(1) / 2) * d
            hi = mpmath.inf if k == L else (k + mpmath.mpf(1) / 2) * d
            q = k * d
            side += (_partial(law, lo, hi, 2) - 2 * q * _partial(law, lo, hi, 1)
                     + q * q * _partial(law, lo, hi, 0))
        return +(total + 2 * side)


def mp_is_local_min(law: tuple, alpha, bits: int, rel: float = 1e-3):
    """``(ok, values)``: whether ``MSE(α(1-rel)) > MSE(α) < MSE(α(1+rel))`` at 50 digits, so a
    local minimum lies in ``[α(1-rel), α(1+rel)]``."""
    with mpmath.workdps(DPS):
        a = mpmath.mpf(alpha)
        r = mpmath.mpf(rel)
        v = [mp_mse(law, a * (1 - r), bits), mp_mse(law, a, bits), mp_mse(law, a * (1 + r), bits)]
        return bool(v[0] > v[1] < v[2]), v


# ---------------------------------------------------------------------------------------------
# general laws (shifted Gaussians, mixtures), mpmath


def _sym_partial(law, a, b, k):
    """``∫_a^b x^k f`` for a law symmetric about 0, any ``a < b`` (``±inf`` allowed)."""
    if a >= 0:
        return _partial(law, a, b, k)
    if b <= 0:
        return (-1) ** k * _partial(law, -b, -a, k)
    return (-1) ** k * _partial(law, mpmath.mpf(0), -a, k) + _partial(law, mpmath.mpf(0), b, k)


def _gauss_partial(mu, s, a, b, k):
    """``∫_a^b x^k φ((x-μ)/s)/s dx`` for ``k = 0, 1, 2`` in closed form."""
    za = -mpmath.inf if a == -mpmath.inf else (a - mu) / s
    zb = mpmath.inf if b == mpmath.inf else (b - mu) / s
    npdf = lambda z: mpmath.mpf(0) if mpmath.isinf(z) else mpmath.npdf(z)  # noqa: E731
    zf = lambda z: mpmath.mpf(0) if mpmath.isinf(z) else z * mpmath.npdf(z)  # noqa: E731
    p = mpmath.ncdf(zb) - mpmath.ncdf(za)
    e1 = npdf(za) - npdf(zb)             # E[Z; cell]
    e2 = p + zf(za) - zf(zb)             # E[Z²; cell]
    if k == 0:
        return p
    if k == 1:
        return mu * p + s * e1
    return mu * mu * p + 2 * mu * s * e1 + s * s * e2


def _any_partial(law, a, b, k):
    fam = law[0]
    if fam == "gauss":
        return _gauss_partial(mpmath.mpf(law[1]), mpmath.mpf(law[2]), a, b, k)
    if fam == "mix":
        return mpmath.fsum(mpmath.mpf(w) * _any_partial(c, a, b, k) for w, c in law[1])
    return _sym_partial(law, a, b, k)


def mp_mse_law(law: tuple, alpha, bits: int, dps: int = DPS, inside_only: bool = False):
    """The true MSE at ``alpha`` of a general law, every cell summed, at ``dps`` digits.

    ``law``: ``("gauss", mu, sigma)``, ``("gg", beta, scale)``, ``("t", nu, scale)`` (centred)
    or ``("mix", [(weight, law), ...])``. ``inside_only``: only ``|X| ≤ α`` (the inner error).
    """
    with mpmath.workdps(dps):
        L = quantizer.levels(bits)
        a = mpmath.mpf(alpha)
        d = a / L
        total = mpmath.mpf(0)
        outer = -a if inside_only else -mpmath.inf
        for k in range(-L, L + 1):
            lo = outer if k == -L else (k - mpmath.mpf(1) / 2) * d
            hi = -outer if k == L else (k + mpmath.mpf(1) / 2) * d
            q = k * d
            total += (_any_partial(law, lo, hi, 2) - 2 * q * _any_partial(law, lo, hi, 1)
                      + q * q * _any_partial(law, lo, hi, 0))
        return +total


def mp_prob(law: tuple, lo, hi, dps: int = DPS):
    """``P(lo < X ≤ hi)`` at ``dps`` digits."""
    with mpmath.workdps(dps):
        return _any_partial(law, mpmath.mpf(lo), mpmath.mpf(hi), 0)


def mp_law_of(dist) -> tuple:
    """The mpmath description of a ``laaciq.theory.distribution`` law (Gaussian, Laplace, Student-t,
    GenGaussian centred at 0 or Gaussian anywhere, and mixtures of them)."""
    from laaciq.theory import distribution as D
    if isinstance(dist, D.Gaussian):
        return ("gauss", dist.mu, dist.sigma)
    if isinstance(dist, D.Mixture):
        return ("mix", [(w, mp_law_of(c)) for w, c in zip(dist.weights, dist.components)])
    if getattr(dist, "mu", 0.0) != 0.0:
        raise ValueError(f"mp_law_of: only Gaussians may be off-centre, got {dist!r}")
    if isinstance(dist, D.Laplace):
        return ("gg", 1, dist.b)
    if isinstance(dist, D.GenGaussian):
        return ("gg", dist.beta, dist.scale)
    if isinstance(dist, D.StudentT):
        return ("t", dist.nu, dist.scale)
    raise ValueError(f"mp_law_of: no mpmath form for {type(dist).__name__}")
