"""The output engine's pruning (``PROOF.md`` §9, *Pruning*) changes nothing: on rows with many
tied magnitudes (as in weights dequantized from a block format) and correlated positive
semi-definite H, the pruned solver returns exactly the steps, codes and errors of the unpruned
scan, at several bit-widths and with groups, while the bound did rule out tie enumerations
(the comparison is not vacuous). The Fraction brute force of ``test_output.py`` runs the pruned
solver (the default)."""

from __future__ import annotations

import numpy as np
import pytest

from laaciq.tensor.exact import optimal_codes_output


def _tied_rows(rng, R, n):
    """Rows built from a handful of magnitudes of either sign (ties at every breakpoint)."""
    levels = rng.uniform(0.05, 1.0, size=5) * rng.choice([1, 4], size=5)
    W = rng.choice(levels, size=(R, n)) * rng.choice([-1.0, 1.0], size=(R, n))
    W[rng.random((R, n)) < 0.1] = 0.0
    return W


def _corr_h(rng, n, tokens):
    X = rng.standard_normal((tokens, n)) * rng.lognormal(0, 1, n) + rng.standard_normal(
        (tokens, 1)) * 2.0                                     # a shared component
    return X.T @ X / tokens


@pytest.mark.parametrize("bits,group,damp", [(2, None, 0.0), (3, None, 0.01), (4, None, 0.01),
                                             (4, 8, 0.01), (8, None, 0.1)])
def test_pruned_equals_unpruned(bits, group, damp):
    rng = np.random.default_rng(bits * 7 + (group or 0))
    n = 32
    W = _tied_rows(rng, 8, n)
    H = _corr_h(rng, n, 20)                                    # rank 20 < 32: singular
    sp, sn = {}, {}
    got = optimal_codes_output(W, H, bits, group=group, damp=damp, stats=sp)
    ref = optimal_codes_output(W, H, bits, group=group, damp=damp, stats=sn, prune=False)
    for a, b in zip(got, ref):
        np.testing.assert_array_equal(a, b)
    assert sp["ties_pruned"] > 0 and sn["ties_pruned"] == 0
    assert sp["tie_choices"] < sn["tie_choices"]
    assert sp["ties_unenumerated"] <= sn["ties_unenumerated"]


def test_pruned_equals_unpruned_on_generic_rows():
    """Random heavy-tailed rows with a few exact duplicates, H = I + a rank-2 term."""
    rng = np.random.default_rng(3)
    W = rng.standard_t(3, (16, 40))
    W[:, :6] = W[:, 6:12] * rng.choice([-1.0, 1.0], size=(16, 6))
    U = rng.standard_normal((40, 2))
    H = np.eye(40) + U @ U.T
    st = {}
    got = optimal_codes_output(W, H, 3, stats=st)
    ref = optimal_codes_output(W, H, 3, prune=False)
    for a, b in zip(got, ref):
        np.testing.assert_array_equal(a, b)
    assert st["ties_pruned"] > 0
