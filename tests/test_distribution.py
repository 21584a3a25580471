"""Laws of weights: closed forms pinned against quadrature and scipy.stats, exact finite laws."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy import integrate, stats

from laaciq.theory.distribution import (ExactFiniteDist, FiniteDist, GenGaussian, Gaussian, Laplace,
                                 Mixture, StudentT, Uniform)

#: Magnitudes for finite laws: tiny and huge ones probe under/overflow of the moments.
SCALES = [1e-150, 1e-9, 1.0, 3.0, 1e9, 1e150]


@st.composite
def finite_laws(draw, max_size: int = 10):
    """``(values, counts)``: float values on a 1/64 lattice times a scale (ties and zeros are
    frequent), integer counts (some 0) giving the weights ``counts/sum``. Shared with test_mse."""
    n = draw(st.integers(1, max_size))
    scale = draw(st.sampled_from(SCALES))
    ks = draw(st.lists(st.one_of(st.integers(-4, 4), st.integers(-512, 512)),
                       min_size=n, max_size=n))
    counts = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n).filter(any))
    return [k / 64 * scale for k in ks], counts

ASYM = Mixture([0.3, 0.5, 0.2], [Gaussian(1.0, 0.5), StudentT(6, -0.4, 1.3), Laplace(3.0, 0.2)])
LAWS = [
    Gaussian(0.3, 1.2), Laplace(-0.2, 0.7), StudentT(3.5, 0.1, 0.8), StudentT(7, 0.0, 2.0),
    GenGaussian(0.7, 0.2, 1.1), GenGaussian(3.0, -0.5, 0.9), Uniform(-0.5, 2.0), ASYM,
    Mixture([0.6, 0.4], [ASYM, Uniform(-3, -1)]),
]
IDS = [repr(d)[:40] for d in LAWS]


def breaks(d) -> list[float]:
    """Points where the density is not smooth (uniform ends) or mass concentrates."""
    if isinstance(d, Uniform):
        return [d.lo, d.hi]
    if isinstance(d, Mixture):
        return sorted({p for c in d.components for p in breaks(c)})
    return [d.loc]


def quad(d, g, a, b) -> float:
    """``∫_a^b g(x) f(x) dx``, split at the law's break points and at ±(1, 5, 20)."""
    pts = sorted({a, b, *(p for p in breaks(d) + [-20, -5, -1, 1, 5, 20] if a < p < b)})
    return math.fsum(integrate.quad(lambda x: g(x) * d.pdf(x), lo, hi, epsabs=0,
                                    epsrel=1e-12, limit=200)[0]
                     for lo, hi in zip(pts[:-1], pts[1:]))


def finite_orders(d) -> int:
    """Highest central moment that is finite and whose quadrature converges well."""
    if isinstance(d, StudentT):
        return 4 if d.nu > 6 else 2
    return 4


@pytest.mark.parametrize("d", LAWS, ids=IDS)
def test_moments_match_quadrature(d):
    mu = d.mean()
    assert quad(d, lambda x: 1.0, -np.inf, np.inf) == pytest.approx(1, rel=1e-10)
    assert quad(d, lambda x: x, -np.inf, np.inf) == pytest.approx(mu, rel=1e-9, abs=1e-12)
    for k in range(2, finite_orders(d) + 1):
        want = quad(d, lambda x: (x - mu) ** k, -np.inf, np.inf)
        assert d.central_moment(k) == pytest.approx(want, rel=1e-8, abs=1e-12), k
    assert d.std() == pytest.approx(math.sqrt(d.var()))
    assert d.second_moment() == pytest.approx(d.var() + mu**2)


@pytest.mark.parametrize("d, kurt", [
    (Gaussian(2, 3), 0.0), (Laplace(0, 5), 3.0), (Uniform(-1, 4), -1.2),
    (StudentT(9, 1, 2), 6 / 5), (StudentT(4.0), math.inf), (StudentT(2.5), math.inf),
    (GenGaussian(0.5), float(stats.gennorm(0.5).stats(moments="k"))),
    (GenGaussian(8.0, 1, 2), float(stats.gennorm(8.0).stats(moments="k"))),
])
def test_kurtosis_closed_forms(d, kurt):
    assert d.excess_kurtosis() == pytest.approx(kurt, rel=1e-12)
    assert d.excess_kurtosis() >= -2


def test_student_t_low_nu_moments():
    assert math.isnan(StudentT(3.0).skewness())  # E|T|³ diverges for ν ≤ 3
    assert StudentT(3.5).skewness() == 0.0
    assert StudentT(4.0).central_moment(4) == math.inf
    assert StudentT(2.5).var() == pytest.approx(5.0)
    assert Mixture([0.5, 0.5], [Gaussian(), StudentT(3.5)]).excess_kurtosis() == math.inf


INTERVALS = [(-np.inf, 0.3), (0.5, 1.7), (-3.0, -2.5), (2.0, np.inf), (-1.0, 4.0), (6.0, 30.0),
             (-30.0, -6.0), (-np.inf, np.inf), (1.0, 1.0)]


@pytest.mark.parametrize("d", LAWS, ids=IDS)
def test_partial_moments_match_quadrature(d):
    a = np.array([i[0] for i in INTERVALS])
    b = np.array([i[1] for i in INTERVALS])
    got = d.partial_moments(a, b)
    for k in range(3):
        want = [quad(d, lambda x: x**k, lo, hi) for lo, hi in INTERVALS]
        np.testing.assert_allclose(got[k], want, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("d", LAWS, ids=IDS)
@pytest.mark.parametrize("alpha", [0.3, 1.5, 4.0])
def test_tails_match_quadrature(d, alpha):
    t2 = quad(d, lambda x: (x - alpha) ** 2, alpha, np.inf) + \
        quad(d, lambda x: (x + alpha) ** 2, -np.inf, -alpha)
    t1 = quad(d, lambda x: x - alpha, alpha, np.inf) + \
        quad(d, lambda x: -x - alpha, -np.inf, -alpha)
    assert d.tail_moment(alpha) == pytest.approx(t2, rel=1e-9)
    assert d.tail_first_moment(alpha) == pytest.approx(t1, rel=1e-9)
    assert d.prob_inside(alpha) == pytest.approx(quad(d, lambda x: 1.0, -alpha, alpha), rel=1e-10)


@pytest.mark.parametrize("d, ref", [
    (Gaussian(0.3, 1.2), stats.norm(0.3, 1.2)), (Laplace(-0.2, 0.7), stats.laplace(-0.2, 0.7)),
    (StudentT(3.5, 0.1, 0.8), stats.t(3.5, 0.1, 0.8)),
    (GenGaussian(0.7, 0.2, 1.1), stats.gennorm(0.7, 0.2, 1.1)),
    (Uniform(-0.5, 2.0), stats.uniform(-0.5, 2.5)),
])
def test_cdf_pdf_match_scipy(d, ref):
    x = np.array([-40.0, -7.0, -1.0, 0.0, 0.4, 1.9, 8.0, 45.0])
    np.testing.assert_allclose(d.cdf(x), ref.cdf(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(d.pdf(x), ref.pdf(x), rtol=1e-12, atol=1e-300)
    # far tails keep relative accuracy: P(X > x) is computed directly, not as 1 - F(x)
    up = d.partial_moments(x, np.inf)[0]
    np.testing.assert_allclose(up, ref.sf(x), rtol=1e-10, atol=1e-300)


def test_extreme_endpoints_no_overflow():
    for d in (Gaussian(), Laplace(), StudentT(3), GenGaussian(2.5), Uniform()):
        p, m, s = d.partial_moments([-np.inf, -1e300, 1e200], [-1e300, -1e200, np.inf])
        assert np.all(np.isfinite(p)) and np.all(np.isfinite(m)) and np.all(np.isfinite(s))
        assert np.all(p >= 0)
        assert d.cdf(-np.inf) == 0 and d.cdf(np.inf) == 1
    # Student-t tails are polynomial: P(T > 1e6) = stats.t.sf
    assert StudentT(3).partial_moments(1e6, np.inf)[0] == pytest.approx(stats.t(3).sf(1e6),
                                                                      rel=1e-10)


def test_gen_gaussian_special_cases():
    g, n = GenGaussian(2.0, 0.4, 1.3 * math.sqrt(2)), Gaussian(0.4, 1.3)
    lap, g1 = Laplace(-1.0, 0.6), GenGaussian(1.0, -1.0, 0.6)
    a, b = np.array([-np.inf, -2.0, 0.5, 3.0]), np.array([-2.0, 0.5, 3.0, np.inf])
    for x, y in ((g, n), (g1, lap)):
        np.testing.assert_allclose(x.partial_moments(a, b), y.partial_moments(a, b), rtol=1e-12,
                                   atol=1e-16)
        for k in range(5):
            assert x.central_moment(k) == pytest.approx(y.central_moment(k), rel=1e-12)
        assert x.tail_moment(1.7) == pytest.approx(y.tail_moment(1.7), rel=1e-12)


def test_mixture_kurtosis_matches_seed004_formula():
    """Seed 004's κ_eff = [Σwᵢ(κᵢ+3)σᵢ⁴ + 6Σwᵢσᵢ²δᵢ² + Σwᵢδᵢ⁴]/σ⁴ - 3 (symmetric components)."""
    comps = [Gaussian(-1.0, 0.5), Laplace(0.5, 1.2), StudentT(9, 2.0, 0.7), Uniform(-4, 1)]
    w = np.array([0.1, 0.4, 0.3, 0.2])
    m = Mixture(w, comps)
    mu = sum(wi * c.mean() for wi, c in zip(w, comps))
    d = np.array([c.mean() - mu for c in comps])
    s2 = np.array([c.var() for c in comps])
    k = np.array([c.excess_kurtosis() for c in comps])
    var = w @ s2 + w @ d**2
    kappa = (w @ ((k + 3) * s2**2) + 6 * w @ (s2 * d**2) + w @ d**4) / var**2 - 3
    assert m.var() == pytest.approx(var, rel=1e-13)
    assert m.excess_kurtosis() == pytest.approx(kappa, rel=1e-12)
    assert m.skewness() != 0  # asymmetric


def test_mixture_asymmetric_skewness_by_quadrature():
    mu, m2 = ASYM.mean(), ASYM.var()
    m3 = quad(ASYM, lambda x: (x - mu) ** 3, -np.inf, np.inf)
    assert ASYM.skewness() == pytest.approx(m3 / m2**1.5, rel=1e-8)


@given(st.lists(st.tuples(st.floats(0.05, 1), st.floats(-5, 5), st.floats(0.1, 3),
                          st.sampled_from(["g", "l", "t", "gg", "u"]), st.floats(0.3, 9)),
                min_size=1, max_size=4))
def test_kurtosis_at_least_minus_two_continuous(spec):
    make = {"g": lambda m, s, p: Gaussian(m, s), "l": lambda m, s, p: Laplace(m, s),
            "t": lambda m, s, p: StudentT(4.5 + p, m, s),
            "gg": lambda m, s, p: GenGaussian(p, m, s),
            "u": lambda m, s, p: Uniform(m - s, m + s)}
    w = np.array([x[0] for x in spec])
    law = Mixture(w / w.sum(), [make[kind](m, s, p) for _, m, s, kind, p in spec])
    assert law.excess_kurtosis() >= -2 - 1e-12
    assert law.var() > 0


@given(st.sampled_from(LAWS), st.lists(st.floats(-50, 50), min_size=3, max_size=3))
def test_partial_moments_additive(d, pts):
    a, b, c = sorted(pts)
    for x, y, z in zip(d.partial_moments(a, b), d.partial_moments(b, c), d.partial_moments(a, c)):
        assert x + y == pytest.approx(z, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# finite laws


def test_finite_moments_match_numpy_scipy():
    rng = np.random.default_rng(1)
    v = rng.standard_t(5, size=1000)
    w = rng.random(1000)
    w /= w.sum()
    d = FiniteDist(v, w)
    mu = w @ v
    assert d.mean() == pytest.approx(mu, rel=1e-12)
    for k in range(6):
        assert d.central_moment(k) == pytest.approx(w @ (v - mu) ** k, rel=1e-10)
    u = FiniteDist(v)  # uniform weights
    assert u.skewness() == pytest.approx(stats.skew(v), rel=1e-10)
    assert u.excess_kurtosis() == pytest.approx(stats.kurtosis(v), rel=1e-10)
    assert u.std() == pytest.approx(np.std(v), rel=1e-12)


def test_finite_weights_normalized_and_zero_weights_dropped():
    d = FiniteDist([1.0, 2.0, 7.0, 3.0], [0.5, 0.5 + 5e-10, 0.0, 0.0])
    assert d.values.tolist() == [1.0, 2.0]
    assert d.weights.sum() == pytest.approx(1, abs=1e-15)
    assert FiniteDist([[1.0, 2.0], [3.0, 4.0]]).values.size == 4  # tensors are flattened


def test_finite_partial_moments_tails_cdf():
    v = np.array([-3.0, -1.0, -1.0, 0.0, 0.5, 2.0, 2.0, 4.0])
    w = np.array([1, 2, 1, 3, 1, 2, 1, 1]) / 12
    d = FiniteDist(v, w)
    for a, b in [(-np.inf, -1.0), (-1.0, 2.0), (0.5, 0.5), (-10.0, 10.0), (2.0, np.inf)]:
        m = (v > a) & (v <= b)
        assert d.partial_moments(a, b) == pytest.approx((w @ m, w @ (m * v), w @ (m * v * v)))
    assert d.cdf(np.array([-1.0, 1.9])).tolist() == pytest.approx([4 / 12, 8 / 12])
    for alpha in (0.5, 1.0, 2.0, 5.0):
        out = np.abs(v) > alpha
        assert d.prob_inside(alpha) == pytest.approx(w @ ~out)
        assert d.tail_first_moment(alpha) == pytest.approx(w @ (out * (np.abs(v) - alpha)))
        assert d.tail_moment(alpha) == pytest.approx(w @ (out * (np.abs(v) - alpha) ** 2))
    alphas = np.array([0.5, 1.0, 2.0, 5.0])
    np.testing.assert_allclose(d.tail_moment(alphas), [d.tail_moment(a) for a in alphas])


def test_exact_finite_law():
    e = FiniteDist.exact([1, Fraction(1, 3), 2.5, 1], [Fraction(1, 4), Fraction(1, 2),
                                                        Fraction(1, 8), Fraction(1, 8)])
    assert isinstance(e, ExactFiniteDist)
    assert e.mean() == Fraction(1, 4) + Fraction(1, 6) + Fraction(5, 16) + Fraction(1, 8)
    assert e.var() == e.central_moment(2) > 0
    assert e.tail_moment(1) == Fraction(1, 8) * Fraction(9, 4)
    assert e.prob_inside(1) == Fraction(7, 8)
    f = e.to_float()
    assert float(e.excess_kurtosis()) == pytest.approx(f.excess_kurtosis(), rel=1e-12)
    assert e.skewness() == pytest.approx(f.skewness(), rel=1e-12)
    # two equally weighted points: the Pearson bound κ = -2 is attained exactly
    assert ExactFiniteDist([-3, 5]).excess_kurtosis() == -2
    with pytest.raises(ValueError, match="point mass"):
        ExactFiniteDist([2, 2]).excess_kurtosis()
    assert math.isnan(FiniteDist([0.1, 0.1, 0.1]).excess_kurtosis())
    assert FiniteDist([0.1, 0.1, 0.1]).var() == 0


@given(finite_laws())
def test_finite_float_matches_exact(law):
    values, counts = law
    exact = ExactFiniteDist([Fraction(v) for v in values],
                            [Fraction(c, sum(counts)) for c in counts])
    fl = FiniteDist(values, np.array(counts) / sum(counts))
    scale = max(abs(v) for v in values) or 1.0
    assert fl.mean() == pytest.approx(float(exact.mean()), rel=1e-12, abs=1e-14 * scale)
    if exact.var() == 0:
        assert math.isnan(fl.excess_kurtosis())
        return
    kappa = exact.excess_kurtosis()
    assert kappa >= -2  # exact: the bound itself, no tolerance
    assert fl.excess_kurtosis() >= -2 - 1e-12
    assert fl.excess_kurtosis() == pytest.approx(float(kappa), rel=1e-9, abs=1e-9)
    assert fl.skewness() == pytest.approx(exact.skewness(), rel=1e-9, abs=1e-9)
    assert fl.std() == pytest.approx(exact.std(), rel=1e-9)
    alpha = scale * 0.37
    assert fl.tail_moment(alpha) == pytest.approx(float(exact.tail_moment(Fraction(alpha))),
                                                  rel=1e-9, abs=1e-300)
    assert fl.prob_inside(alpha) == pytest.approx(float(exact.prob_inside(Fraction(alpha))))
