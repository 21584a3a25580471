"""Mixture moments and effective kurtosis (python/laaciq/mixture.py, twin of LaAciq/Mixture.lean).

Exact identities are checked in Fraction arithmetic; the closed forms are compared with the
moments of the pooled finite law (the actual mixture) computed atom by atom.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

from laaciq.theory import mixture as mx

# ---------------------------------------------------------------------------------------------
# strategies

small_q = st.fractions(min_value=-20, max_value=20, max_denominator=12)
pos_q = st.fractions(min_value=F(1, 10), max_value=20, max_denominator=12)


@st.composite
def fraction_weights(draw, n):
    raw = draw(st.lists(st.integers(1, 30), min_size=n, max_size=n))
    s = sum(raw)
    return [F(r, s) for r in raw]


@st.composite
def components(draw, min_n=1, max_n=4):
    """Weights, means, variances, m3s, kappas — exact, κ ≥ −2."""
    n = draw(st.integers(min_n, max_n))
    w = draw(fraction_weights(n))
    mu = draw(st.lists(small_q, min_size=n, max_size=n))
    var = draw(st.lists(pos_q, min_size=n, max_size=n))
    m3 = draw(st.lists(small_q, min_size=n, max_size=n))
    k = draw(st.lists(st.fractions(min_value=-2, max_value=50, max_denominator=10),
                      min_size=n, max_size=n))
    return w, mu, var, m3, k


@st.composite
def finite_law(draw):
    """A finite law: distinct rational atoms with rational probabilities."""
    vals = draw(st.lists(st.fractions(min_value=-10, max_value=10, max_denominator=6),
                         min_size=1, max_size=5, unique=True))
    p = draw(fraction_weights(len(vals)))
    return vals, p


def finite_moments(vals, p):
    """Exact (mean, variance, m3, m4) of a finite law, atom by atom."""
    m = sum(a * x for a, x in zip(p, vals))
    c = [sum(a * (x - m) ** k for a, x in zip(p, vals)) for k in (2, 3, 4)]
    return (m, *c)


# ---------------------------------------------------------------------------------------------
# exact identities


@given(components())
def test_seed004_defect_is_exact_difference(c):
    w, mu, var, m3, k = c
    exact = mx.mixture_excess_kurtosis(w, mu, var, m3s=m3, kappas=k)
    seed = mx.seed004_kurtosis_formula(w, mu, var, k)
    defect = mx.seed004_formula_defect(w, mu, var, m3)
    assert isinstance(exact, F) and isinstance(seed, F) and isinstance(defect, F)
    assert exact - seed == defect


@given(components(), st.sampled_from(["random", "symmetric", "equal_means"]))
def test_seed004_equals_exact_iff_sum_w_m3_delta_zero(c, mode):
    w, mu, var, m3, k = c
    if mode == "symmetric":
        m3 = [F(0)] * len(w)
    elif mode == "equal_means":
        mu = [mu[0]] * len(w)
    m = sum(a * b for a, b in zip(w, mu))
    s = sum(a * t * (x - m) for a, t, x in zip(w, m3, mu))
    exact = mx.mixture_excess_kurtosis(w, mu, var, m3s=m3, kappas=k)
    seed = mx.seed004_kurtosis_formula(w, mu, var, k)
    assert (exact == seed) == (s == 0)
    if mode != "random":
        assert exact == seed


@given(components())
def test_fourth_central_and_kurtosis_consistent(c):
    w, mu, var, m3, k = c
    m4 = mx.fourth_from_kurtosis(var, k)
    assert m4 == [(kk + 3) * v * v for v, kk in zip(var, k)]
    v = mx.mixture_variance(w, mu, var)
    m4mix = mx.mixture_fourth_central(w, mu, var, m3, m4)
    assert mx.mixture_excess_kurtosis(w, mu, var, m3s=m3, m4s=m4) == m4mix / v ** 2 - 3
    assert mx.mixture_excess_kurtosis(w, mu, var, m3s=m3, kappas=k) == m4mix / v ** 2 - 3
    # law of total variance: Var ≥ E[Var | component]
    assert v >= sum(a * s for a, s in zip(w, var))


@given(st.lists(finite_law(), min_size=1, max_size=4).flatmap(
    lambda laws: st.tuples(st.just(laws), fraction_weights(len(laws)))))
def test_closed_forms_match_pooled_finite_mixture(arg):
    """The closed forms equal the moments of the actual mixture (the pooled finite law)."""
    laws, w = arg
    comp = [finite_moments(v, p) for v, p in laws]
    mu, var, m3, m4 = (list(t) for t in zip(*comp))
    pooled_v = [x for v, _ in laws for x in v]
    pooled_p = [wi * pi for wi, (_, p) in zip(w, laws) for pi in p]
    pm, pv, p3, p4 = finite_moments(pooled_v, pooled_p)
    assert mx.mixture_mean(w, mu) == pm
    assert mx.mixture_variance(w, mu, var) == pv
    assert mx.mixture_third_central(w, mu, var, m3) == p3
    assert mx.mixture_fourth_central(w, mu, var, m3, m4) == p4
    if pv > 0 and all(v > 0 for v in var):
        kappas = [q / s ** 2 - 3 for q, s in zip(m4, var)]
        assert mx.mixture_excess_kurtosis(w, mu, var, m3s=m3, kappas=kappas) == p4 / pv ** 2 - 3
        seed = mx.seed004_kurtosis_formula(w, mu, var, kappas)
        assert p4 / pv ** 2 - 3 - seed == mx.seed004_formula_defect(w, mu, var, m3)


@given(components())
def test_float_agrees_with_exact(c):
    w, mu, var, m3, k = c
    exact = mx.mixture_excess_kurtosis(w, mu, var, m3s=m3, kappas=k)
    fl = mx.mixture_excess_kurtosis([float(t) for t in w], [float(t) for t in mu],
                                    [float(t) for t in var], m3s=[float(t) for t in m3],
                                    kappas=[float(t) for t in k])
    assert isinstance(fl, float)
    assert math.isclose(fl, float(exact), rel_tol=1e-9, abs_tol=1e-9)


def test_spec_example_equal_means():
    w, mu, var, k = [F(1, 2), F(1, 2)], [0, 0], [1, 2], [F(6, 5), 0]
    assert mx.mixture_excess_kurtosis(w, mu, var, kappas=k) == F(3, 5)
    assert mx.effective_kurtosis_linear(w, k) == F(3, 5)
    assert mx.seed004_kurtosis_formula(w, mu, var, k) == F(3, 5)
    assert mx.mixture_excess_kurtosis([.5, .5], [0., 0.], [1., 2.],
                                      kappas=[1.2, 0.]) == pytest.approx(0.6, abs=1e-12)


def test_linear_differs_from_true_in_general():
    # ½N(0,1) + ½N(0,4): linear Σwκ = 0, true κ = 27/25
    w = [F(1, 2), F(1, 2)]
    assert mx.mixture_excess_kurtosis(w, [0, 0], [1, 4], kappas=[0, 0]) == F(27, 25)
    assert mx.effective_kurtosis_linear(w, [0, 0]) == 0


@given(components(), pos_q)
def test_linear_equals_true_with_equal_means_and_variances(c, s):
    w, mu, _, m3, k = c
    n = len(w)
    assert (mx.mixture_excess_kurtosis(w, [mu[0]] * n, [s] * n, m3s=m3, kappas=k)
            == mx.effective_kurtosis_linear(w, k))


# ---------------------------------------------------------------------------------------------
# activation fractions and effective kurtosis


@given(st.lists(st.integers(0, 100), min_size=1, max_size=8))
def test_activation_fractions_exact(norms):
    assume(sum(norms) > 0)
    a = mx.activation_fractions(norms)
    assert sum(a) == 1 and all(x >= 0 for x in a)
    assert all(x == F(n, sum(norms)) for x, n in zip(a, norms))
    fl = mx.activation_fractions([float(n) for n in norms])
    np.testing.assert_allclose(fl, [float(x) for x in a], rtol=1e-12)


@pytest.mark.parametrize("bad,exc", [
    ([], ValueError), ([0, 0, 0], ValueError), ([1, -1, 2], ValueError),
    ([1.0, float("nan")], ValueError), ([1.0, float("inf")], ValueError),
    (3.0, TypeError), ("abc", TypeError), ([[1, 2], [3, 4]], ValueError),
    ([1, "a"], TypeError), ([True, 1], TypeError),
])
def test_activation_fractions_rejects(bad, exc):
    with pytest.raises(exc, match="norms"):
        mx.activation_fractions(bad)


class _Law:
    """A minimal duck-typed law (mean/var/central_moment)."""

    def __init__(self, mean, var, m3, m4):
        self._m = (mean, var, m3, m4)

    def mean(self):
        return self._m[0]

    def var(self):
        return self._m[1]

    def central_moment(self, k):
        return {2: self._m[1], 3: self._m[2], 4: self._m[3]}[k]


class _SkewKurtLaw:
    def __init__(self, mean, var, skew, kurt):
        self.mean, self.var, self.skew, self.excess_kurtosis = mean, var, skew, kurt


@given(st.lists(finite_law(), min_size=1, max_size=4).flatmap(
    lambda laws: st.tuples(st.just(laws), fraction_weights(len(laws)))))
def test_effective_kurtosis_true_is_pooled_kurtosis(arg):
    laws, a = arg
    objs = [_Law(*finite_moments(v, p)) for v, p in laws]
    pooled = finite_moments([x for v, _ in laws for x in v],
                            [wi * pi for wi, (_, p) in zip(a, laws) for pi in p])
    assume(pooled[1] > 0)
    assert mx.effective_kurtosis_true(a, objs) == pooled[3] / pooled[1] ** 2 - 3


def test_effective_kurtosis_true_scipy_and_skewkurt_laws():
    from scipy import stats

    a = [0.25, 0.75]
    laws = [stats.norm(0, 1), stats.laplace(0, 1)]  # κ = 0, 3; var 1, 2
    want = mx.mixture_excess_kurtosis(a, [0, 0], [1, 2], kappas=[0, 3])
    assert mx.effective_kurtosis_true(a, laws) == pytest.approx(want, rel=1e-12)
    laws2 = [_SkewKurtLaw(0.0, 1.0, 0.0, 0.0), _SkewKurtLaw(0.0, 2.0, 0.0, 3.0)]
    assert mx.effective_kurtosis_true(a, laws2) == pytest.approx(want, rel=1e-12)
    # infinite fourth moment with positive weight → inf; with zero weight → ignored
    t3 = stats.t(3)
    assert mx.effective_kurtosis_true([0.5, 0.5], [stats.norm(), t3]) == math.inf
    assert mx.effective_kurtosis_true([1.0, 0.0], [stats.norm(), t3]) == pytest.approx(0.0)


def test_effective_kurtosis_true_with_library_laws():
    dist = pytest.importorskip("laaciq.theory.distribution")
    a = [0.2, 0.3, 0.5]
    # finite layer laws: the effective law is the pooled FiniteDist
    vals = [[-1.0, 0.0, 3.0], [0.5, 2.5], [-2.0, 1.0, 4.0, 7.0]]
    probs = [[0.3, 0.4, 0.3], [0.5, 0.5], [0.1, 0.2, 0.3, 0.4]]
    laws = [dist.FiniteDist(v, p) for v, p in zip(vals, probs)]
    pooled = dist.FiniteDist(sum(vals, []), [ai * pi for ai, p in zip(a, probs) for pi in p])
    assert mx.effective_kurtosis_true(a, laws) == pytest.approx(pooled.excess_kurtosis(),
                                                                rel=1e-9)
    # continuous layer laws (skewed by location shifts): the effective law is dist.Mixture
    claws = [dist.Gaussian(0.0, 1.0), dist.Laplace(0.5, 1.0), dist.StudentT(6.0, -1.0, 0.5)]
    mix = dist.Mixture(a, claws)
    assert mx.effective_kurtosis_true(a, claws) == pytest.approx(mix.excess_kurtosis(), rel=1e-9)
    mom = [mx.layer_law_moments(law) for law in claws]
    mu, var, m3, m4 = (list(t) for t in zip(*mom))
    assert mx.mixture_excess_kurtosis(a, mu, var, m3s=m3, m4s=m4) == pytest.approx(
        mix.excess_kurtosis(), rel=1e-9)


# ---------------------------------------------------------------------------------------------
# argument checks


@pytest.mark.parametrize("call,exc,name", [
    (lambda: mx.mixture_mean([0.5, 0.4], [0, 1]), ValueError, "weights"),
    (lambda: mx.mixture_mean([F(1, 2), F(1, 3)], [0, 1]), ValueError, "weights"),
    (lambda: mx.mixture_mean([1.5, -0.5], [0, 1]), ValueError, "weights"),
    (lambda: mx.mixture_mean([0.5, 0.5], [0, 1, 2]), ValueError, "means"),
    (lambda: mx.mixture_mean([0.5, 0.5], [0, float("nan")]), ValueError, "means"),
    (lambda: mx.mixture_mean(0.5, [0]), TypeError, "weights"),
    (lambda: mx.mixture_variance([1], [0], [-1]), ValueError, "variances"),
    (lambda: mx.mixture_excess_kurtosis([1], [0], [1], kappas=[-3]), ValueError, "kappas"),
    (lambda: mx.mixture_excess_kurtosis([1], [0], [1]), ValueError, "m4s= or kappas="),
    (lambda: mx.mixture_excess_kurtosis([1], [0], [1], m4s=[3], kappas=[0]), ValueError,
     "m4s= or kappas="),
    (lambda: mx.mixture_excess_kurtosis([1], [0], [2], m4s=[3]), ValueError, "m4s"),
    (lambda: mx.mixture_excess_kurtosis([.5, .5], [0, 1], [1, 1], kappas=[0, 0]), ValueError,
     "m3s"),
    (lambda: mx.mixture_excess_kurtosis([1], [0], [0], kappas=[0]), ValueError, "variance"),
    (lambda: mx.effective_kurtosis_linear([0.5, 0.6], [1, 2]), ValueError, "a_bar"),
    (lambda: mx.effective_kurtosis_linear([0.5, 0.5], [1]), ValueError, "kappas"),
    (lambda: mx.effective_kurtosis_true([1.0], []), ValueError, "layer_laws"),
    (lambda: mx.effective_kurtosis_true([0.5, 0.5], [_Law(0, 1, 0, 3)]), ValueError, "a_bar"),
    (lambda: mx.effective_kurtosis_true([1.0], [3.0]), TypeError, "layer law"),
    (lambda: mx.effective_kurtosis_true([1.0], "ab"), TypeError, "layer_laws"),
])
def test_bad_inputs_raise(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


def test_m3s_optional_with_equal_means():
    assert mx.mixture_fourth_central([F(1, 2), F(1, 2)], [1, 1], [1, 2], None, [3, 12]) == F(15, 2)
