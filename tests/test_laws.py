"""Checks of the theorems about every law: they pass, they can fail, and every theorem has a scope."""

from __future__ import annotations

from pathlib import Path

import pytest

from laaciq.verify import checks, leanscan, registry
from laaciq.verify.checks import laws

ROOT = Path(__file__).resolve().parent.parent
LAW_CHECKS = ("law.continuous.mse_decomposition", "law.continuous.inner_bound",
              "law.continuous.convexity", "law.continuous.fixed_point",
              "law.continuous.moments", "law.continuous.mixture", "prop.law.domination",
              "prop.law.measurable_forms", "prop.law.mixture_n")


@pytest.fixture(scope="module")
def records():
    return {r["id"]: r for r in checks.run_checks(ids=LAW_CHECKS, budget=checks.Budget.for_run(True))}


@pytest.mark.parametrize("cid", LAW_CHECKS)
def test_law_checks_pass(records, cid):
    assert records[cid]["result"] == "pass", records[cid]["detail"]
    assert records[cid]["examples"] > 0


def test_decomposition_check_fails_for_a_wrong_quantizer(monkeypatch):
    """Negative control: with Q x = x the MSE is 0 while the clipping error is not."""
    laws._parts.cache_clear()
    monkeypatch.setattr(laws, "_q", lambda x, a, b: x)
    try:
        out = checks.CHECKS["law.continuous.mse_decomposition"].fn(checks.Budget.for_run(True))
    finally:
        laws._parts.cache_clear()
    assert out["result"] == "fail"


def test_fixed_point_check_fails_off_the_minimizer(monkeypatch):
    """Negative control: a point 10% above the minimizer does not satisfy c·α = E[(|X|-α)₊]."""
    real = laws.optimize.minimize_scalar

    class Off:
        def __init__(self, res):
            self.x = res.x * 1.1

    monkeypatch.setattr(laws.optimize, "minimize_scalar", lambda *a, **k: Off(real(*a, **k)))
    out = checks.CHECKS["law.continuous.fixed_point"].fn(checks.Budget.for_run(True))
    assert out["result"] == "fail"


def test_mixture_check_fails_without_the_m3_term(monkeypatch):
    """Negative control: dropping the third central moment breaks the fourth-moment formula."""
    real = laws.P.cmoment
    monkeypatch.setattr(laws.P, "cmoment", lambda law, k: 0 if k == 3 else real(law, k))
    out = checks.CHECKS["prop.law.mixture_n"].fn(checks.Budget.for_run(True))
    assert out["result"] == "fail"


def test_every_theorem_has_a_law_scope():
    decls, _ = leanscan.scan_tree(ROOT)
    thms = [d for d in decls if d.kind in ("theorem", "lemma") and d.name]
    scopes = {d.name: registry.law_scope(d.name, d.module) for d in thms}
    assert set(scopes.values()) <= set(registry.SCOPES)
    assert scopes["LaAciq.Law.mse_eq_clipError_add_innerError"] == "every law"
    assert scopes["LaAciq.Law.cmoment_four_mixture_eq_seed004_add"] == "every law"
    assert scopes["LaAciq.mse_eq_clipError_add_innerError"] == "finite laws"
    assert scopes["LaAciq.modelMSE_minimizer_fixed_point"] == "finite laws"
    assert scopes["LaAciq.variance_eq"] == "finite laws"
    assert scopes["LaAciq.clip_le_alpha"] == "no law"
    short = {n[len("LaAciq."):] for n in scopes}
    named = registry._POINTWISE | registry._FINITE_COROLLARIES
    assert named <= short, f"scope lists name missing theorems: {sorted(named - short)}"


def test_law_theorems_are_checked_on_finite_and_continuous_laws():
    by = registry.theorem_checks()
    for name in ("Law.mse_eq_clipError_add_innerError", "Law.innerError_le",
                 "Law.convexOn_clipError", "Law.modelMSE_minimizer_fixed_point",
                 "Law.variance_mixture", "Law.sq_variance_le_fourth"):
        ids = by[f"LaAciq.{name}"]
        assert any(i.startswith("law.continuous.") for i in ids), (name, ids)
        assert any(i.startswith("prop.") and not i.startswith("prop.law.") for i in ids), (name, ids)
