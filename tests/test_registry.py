"""The registry maps every Lean theorem to checks, and names nothing that does not exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from laaciq.verify import checks
from laaciq.verify import leanscan
from laaciq.verify import registry
from laaciq.verify import symbolic

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def theorems() -> set[str]:
    decls, _ = leanscan.scan_tree(ROOT)
    return {d.name for d in decls if d.kind in ("theorem", "lemma") and d.name}


@pytest.fixture(scope="module")
def check_ids() -> set[str]:
    return set(checks.load_all()) | {r["id"] for r in symbolic.run_all()}


def test_every_theorem_has_a_check(theorems):
    mapped = set(registry.theorem_checks())
    missing = sorted(theorems - mapped)
    assert not missing, (f"{len(missing)} Lean theorem(s) have no check in "
                         f"laaciq/registry.py: {', '.join(missing)}")


def test_registry_names_only_existing_theorems(theorems):
    mapped = set(registry.theorem_checks())
    ghosts = sorted(mapped - theorems)
    assert not ghosts, (f"laaciq/registry.py names theorem(s) not in LaAciq/: "
                        f"{', '.join(ghosts)}")


def test_registry_names_only_existing_checks(check_ids):
    unknown = sorted(registry.check_ids() - check_ids)
    assert not unknown, f"registry names unknown check id(s): {', '.join(unknown)}"


def test_refutation_theorems_have_refutation_checks(theorems):
    by = registry.theorem_checks()
    kinds = {i: c.kind for i, c in checks.load_all().items()}
    for t in sorted(theorems):
        if registry.is_refutation(t):
            ks = {kinds.get(c, "symbolic") for c in by[t]}
            assert ks & {"refutation", "symbolic"}, f"{t} has no refutation search: {by[t]}"


@pytest.mark.parametrize("name, expected", [
    ("LaAciq.claim_step_false", True), ("LaAciq.not_convex", True),
    ("LaAciq.step_eq_two_mul_div", False), ("LaAciq.claim_step", False),
    ("LaAciq.Foo.not_bar", True), ("LaAciq.knot_x", False)])
def test_is_refutation(name, expected):
    assert registry.is_refutation(name) is expected


def test_name_map_covers_the_core_definitions():
    keys = " ".join(registry.NAME_MAP)
    for lean_name in ("clip", "quantize", "roundS", "step", "mse", "clipError", "innerError",
                      "expect", "mix", "kurtosis"):
        assert f"LaAciq.{lean_name}" in keys, lean_name
