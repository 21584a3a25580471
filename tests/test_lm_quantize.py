"""The probe's clipping strategies (laaciq.lm.quantize) against references written here: the
seeds' rules from their formulas, the quantizer from its definition, the weighted group
thresholds by a brute-force scan. They reuse the lower layers' rules (one kurtosis rule, one
fake-quantizer) — checked by identity too."""

from __future__ import annotations

import numpy as np
import pytest

from laaciq.lm import quantize as qz
from laaciq.tensor import baselines

RNG = np.random.default_rng(3)
W = RNG.standard_t(4, size=(6, 256))


def _kurt(r):
    d = r - r.mean()
    return np.mean(d ** 4) / np.mean(d ** 2) ** 2 - 3


def _grid(w, a, bits):
    L = 2 ** (bits - 1) - 1
    s = a / L
    return np.clip(np.floor(np.clip(w, -a, a) / s + 0.5), -L, L) * s


def test_rules_follow_the_seeds_formulas():
    sd = W.std(axis=1)
    k = np.array([_kurt(r) for r in W])
    np.testing.assert_allclose(qz.thresholds(W, 4, "rule"),
                               sd * (2.5 + 0.3 * np.log1p(np.maximum(0, k))), rtol=1e-12)
    np.testing.assert_allclose(qz.thresholds(W, 4, "rule"), baselines.kurtosis_rule(W, 4))
    # LA-ACIQ as written: one language-level κ_eff for every channel
    np.testing.assert_allclose(qz.thresholds(W, 4, "seeds", kappa=6.5),
                               sd * (2.5 + 0.3 * np.log(7.5)), rtol=1e-12)
    np.testing.assert_allclose(qz.thresholds(W, 4, "seeds", kappa=-1.5), sd * 2.5, rtol=1e-12)
    with pytest.raises(ValueError):
        qz.thresholds(W, 3, "seeds", kappa=1.0)      # the seeds give constants for 4 bits only


def test_quantize_is_the_grid_per_row_and_per_group():
    a = np.abs(W).max(axis=1) * 0.7
    np.testing.assert_allclose(qz.quantize(W, a, 4), _grid(W, a[:, None], 4), atol=1e-15)
    ag = np.abs(W).reshape(6, 2, 128).max(axis=2) * 0.6
    ref = _grid(W, np.repeat(ag, 128, axis=1), 4)
    np.testing.assert_allclose(qz.quantize(W, ag, 4), ref, atol=1e-15)


def test_weighted_group_thresholds_are_optimal_by_brute_force():
    c = RNG.uniform(0.1, 2.0, 256)
    ag = qz.thresholds(W, 4, "weighted-g128", c=c)
    assert ag.shape == (6, 2)
    for r in range(2):
        for g in range(2):
            w, cc = W[r, g * 128:(g + 1) * 128], c[g * 128:(g + 1) * 128]
            err = lambda a: float(cc @ (w - _grid(w, a, 4)) ** 2)  # noqa: E731
            grid = np.linspace(0.05, 1.0, 4000) * np.abs(w).max()
            assert err(ag[r, g]) <= min(err(a) for a in grid) + 1e-12


def test_memo_key_separates_weights_and_kappa():
    c1, c2 = np.ones(4), np.ones(4) * 2
    assert qz.memo_key(0, 4, "weighted", c1) != qz.memo_key(0, 4, "weighted", c2)
    assert qz.memo_key(0, 4, "seeds", kappa=1.0) != qz.memo_key(0, 4, "seeds", kappa=2.0)
    assert qz.memo_key(0, 4, "exact") == qz.memo_key(0, 4, "exact")
