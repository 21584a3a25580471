"""The finite candidate sets of ``LaAciq/Existence.lean`` and ``LaAciq/Candidates.lean``, and the
exact solver's optimum tied to ``mse_exists_minimizer``."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from laaciq.tensor import exact as solver
from laaciq.theory import candidates, convexity
from laaciq.theory.mse import mse_exact_fraction
from laaciq.verify.checks import exact_arith

F = Fraction

_vals = st.lists(st.integers(-12, 12).map(lambda k: F(k, 4)), min_size=1, max_size=4)


def _uniform(values):
    return tuple(values), tuple(F(1, len(values)) for _ in values)


@given(_vals, st.sampled_from([2, 3]))
def test_solver_optimum_is_the_candidate_optimum(values, bits):
    """mse_exists_minimizer: the best of the theorem's finite candidate list is the global
    minimum over α > 0; the exact solver must return that value (its α may differ on ties)."""
    law = _uniform(values)
    if all(v == 0 for v in values):
        return  # every α is optimal (MSE 0): nothing to compare
    a_c, m_c = candidates.optimal_by_candidates(*law, bits)
    res = solver.exact_alpha(np.array([float(v) for v in values]), bits=bits)
    got = float(res.mse)
    assert got == pytest.approx(float(m_c), rel=1e-9, abs=1e-12)
    # the solver's α, evaluated exactly, is not worse than the candidate optimum
    m_solver = mse_exact_fraction(*law, F(float(res.alpha)), bits)
    assert float(m_solver) <= float(m_c) * (1 + 1e-9) + 1e-12


@given(_vals, st.sampled_from([2, 3]))
def test_candidate_optimum_equals_independent_infimum(values, bits):
    """The candidate list's best value equals the infimum over all pieces between breakpoints
    (an independent exact method), and it is attained."""
    law = _uniform(values)
    _, m_c = candidates.optimal_by_candidates(*law, bits)
    inf, _, attained = exact_arith.inf_mse(law, bits)
    assert m_c == inf
    assert attained or inf == 0


@given(_vals, st.integers(1, 40).map(lambda k: F(k, 8)), st.sampled_from([2, 3]))
def test_vertex_of_own_codes_is_no_worse(values, alpha, bits):
    """mse_codeVertex_le / mse_le_of_codeSq_eq_zero: for every α the vertex of the rounding codes
    at α (or 1 when they all vanish) is in the list and at least as good as α."""
    law = _uniform(values)
    codes = candidates.code_vector(values, alpha, bits)
    v = candidates.code_vertex(*law, codes, bits)
    beta = v if v is not None else F(1)
    assert beta in candidates.true_candidates(*law, bits)
    assert mse_exact_fraction(*law, beta, bits) <= mse_exact_fraction(*law, alpha, bits)


def test_candidate_list_is_not_vacuous():
    """A law where the optimum is a vertex strictly between data values, not a data value."""
    law = ((F(1), F(2)), (F(1, 2), F(1, 2)))
    a, m = candidates.optimal_by_candidates(*law, 2)
    assert (a, m) == (F(3, 2), F(1, 4))


@given(_vals, st.integers(1, 16).map(lambda k: F(k, 8)))
def test_model_fixed_point_is_the_model_minimizer(values, c):
    """modelMSE_fixed_point_exists / modelMSE_isMinOn_pos_iff: the fixed point among the
    candidates E[|X|; |X|>t]/(c + P(|X|>t)) is the exact minimizer found by sorting."""
    law = _uniform(values)
    pt = candidates.model_fixed_point(*law, c)
    if all(v == 0 for v in values):
        assert pt is None
        return
    assert pt is not None and pt > 0
    assert pt == convexity.model_minimizer_exact(*law, c)


def test_bit_width_fixed_alpha_counterexample():
    """mse_fixed_alpha_bits_up: at α = 1 a point mass at 1/3 is exact at 3 bits, not at 4."""
    law = ((F(1, 3),), (F(1),))
    assert mse_exact_fraction(*law, F(1), 3) == 0
    assert mse_exact_fraction(*law, F(1), 4) == F(1, 441)
