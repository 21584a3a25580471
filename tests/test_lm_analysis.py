"""The probe's statistics and decision rules on constructed measurements (no model needed):
the outcome of a prediction follows from the data, in both directions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from laaciq.lm.model import SegmentStats
from laaciq.lm.probe import ProbeConfig, _analyse, excess_kurtosis, moments, solve_alpha

LANGS = [f"l{i}" for i in range(12)]
NB = 18


def _stats(nll_per_tok, norms, nseg=8, tok=255, rng=None):
    noise = rng.normal(0, 1e-4, nseg) if rng is not None else np.zeros(nseg)
    nll = (nll_per_tok + noise) * tok
    return SegmentStats(nll=nll, count=np.full(nseg, float(tok)),
                        norm_sum=np.tile(norms, (nseg, 1)) * (1 + np.abs(noise)[:, None]),
                        tokens=nseg * (tok + 1))


def _measure(sign, blowup=1.0):
    """12 languages; language i puts share w_i of its activation into block 0 (κ = 20, the only
    outlier block) and degrades by D_i = 0.1 + sign·0.2·w_i at 4 bits (twice that at 3 bits;
    ``blowup`` multiplies the first language's 3-bit degradation)."""
    rng = np.random.default_rng(0)
    kappa = np.zeros(NB)
    kappa[0] = 20.0
    mom = [(0.0, 1.0, 0.0, (k + 3.0)) for k in kappa]
    w = np.linspace(0.05, 0.30, len(LANGS))
    fp, shuf, run4, run3 = {}, {}, {}, {}
    for l, wi in zip(LANGS, w):
        norms = np.full(NB, (1 - wi) / (NB - 1))
        norms[0] = wi
        base = 2.0
        fp[l] = _stats(base, norms, rng=rng)
        shuf[l] = _stats(base + 3, norms)
        d = 0.1 + sign * 0.2 * wi
        run4[l] = _stats(base + math.log1p(d), norms, rng=rng)
        run3[l] = _stats(base + math.log1p(2 * d * (blowup if l == LANGS[0] else 1.0)), norms,
                         rng=rng)
    cfg = ProbeConfig(languages=tuple(LANGS), bits=(3, 4), bootstrap=200, permutations=500)
    outliers = {"5.0": [0], "50.0": [], "100.0": []}
    return _analyse(cfg, LANGS, fp, shuf, {"exact-4": run4, "exact-3": run3}, kappa, mom,
                    outliers, [0, 1, 2], [], [0], [1], np.random.default_rng(1)), w


def test_negative_relation_is_supported():
    doc, w = _measure(-1)
    c = doc["claims"]["S001-empirical-r"]
    assert c["outcome"] == "supported" and c["value"] < -0.99 and c["p"] < 0.05
    assert doc["claims"]["S001-r-outlier"]["outcome"] == "supported"
    # κ_eff (linear) is Σ ā κ = 20·w exactly
    got = [doc["per_language"][l]["kappa_eff_linear"] for l in LANGS]
    np.testing.assert_allclose(got, 20 * w, rtol=1e-9)
    # with one component of kurtosis 20 and 17 Gaussian ones of equal variance the mixture's
    # excess kurtosis is also Σ w κ (equal means and variances)
    got_true = [doc["per_language"][l]["kappa_eff_true"] for l in LANGS]
    np.testing.assert_allclose(got_true, 20 * w, rtol=1e-9)
    # the seeds' D: relative perplexity increase
    assert doc["per_language"]["l0"]["D"]["exact-4"] == pytest.approx(0.1 - 0.2 * w[0], abs=1e-3)
    assert doc["strategies"]["exact-4"]["disparity"] == pytest.approx(0.2 * (w[-1] - w[0]),
                                                                      abs=1e-3)
    assert doc["B_star"] == 4  # D differs across languages far beyond the noise at 3 and 4 bits


def test_positive_relation_is_contradicted():
    doc, _ = _measure(+1)
    c = doc["claims"]["S001-empirical-r"]
    assert c["outcome"] == "contradicted" and c["value"] > 0.99 and c["ci"][0] > -0.5


def test_disparity_bound_informative_or_vacuous():
    """The bound fitted on half the languages is tested on the other half; when it lies above
    every D(λ) of the test half at every bit-width it could not have failed: inconclusive."""
    doc, _ = _measure(+1)
    b = doc["bounds"]
    assert not b["vacuous_002"] and not b["vacuous_004"]
    for cid in ("S002-conjecture-1", "S004-disparity-bound"):
        assert doc["claims"][cid]["outcome"] in ("supported", "contradicted")
    # one fit language 1e6 times worse at 3 bits: C becomes huge, the bound vacuous
    doc, _ = _measure(+1, blowup=1e6)
    b = doc["bounds"]
    assert b["vacuous_002"] and b["holds_002"]
    assert all(r["bound_002"] >= r["max_D_test_half"] for r in b["rows"])
    c = doc["claims"]["S002-conjecture-1"]
    assert c["outcome"] == "inconclusive" and "vacuous" in c["statistic"]


def test_helpers():
    x = np.random.default_rng(2).standard_t(5, 200000)
    mu, v, m3, m4 = moments(x)
    assert excess_kurtosis(x) == pytest.approx(m4 / v ** 2 - 3)
    W = np.random.default_rng(3).normal(size=(4, 256))
    assert solve_alpha(W, 4, "exact-g128").shape == (4, 2)
    assert solve_alpha(W, 4, "rule") == pytest.approx(
        W.std(axis=1) * (2.5 + 0.3 * np.log1p(np.maximum(0, [excess_kurtosis(r) for r in W]))))
