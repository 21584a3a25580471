"""The checks name every Lean theorem, and name nothing that does not exist.

A check names the theorems it covers where it is registered (``theorems=…``);
``registry.coverage_gaps`` compares those names with the theorems ``leanscan.scan_tree`` finds
in ``LaAciq/``. The tests on a modified mapping show that both kinds of gap are reported.
"""

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
def mapping() -> dict[str, tuple[str, ...]]:
    return registry.check_theorems()


@pytest.fixture(scope="module")
def check_ids() -> set[str]:
    return set(checks.load_all()) | {s.id for s in symbolic.specs()}


def test_every_theorem_has_a_check(theorems, mapping):
    missing, _ = registry.coverage_gaps(theorems, mapping)
    assert not missing, (f"{len(missing)} Lean theorem(s) are named by no check (add them to "
                         f"the theorems=… of the check that tests them): {', '.join(missing)}")


def test_checks_name_only_existing_theorems(theorems, mapping):
    _, ghosts = registry.coverage_gaps(theorems, mapping)
    assert not ghosts, f"checks name theorem(s) not in LaAciq/: {', '.join(ghosts)}"


def test_a_made_up_theorem_is_reported(theorems, mapping):
    fake = dict(mapping)
    fake["prop.made_up"] = ("clip_le_alpha", "no_such_theorem_anywhere")
    missing, ghosts = registry.coverage_gaps(theorems, fake)
    assert ghosts == ["LaAciq.no_such_theorem_anywhere"] and not missing


def test_a_theorem_whose_only_check_is_removed_is_reported(theorems, mapping):
    # a theorem named by exactly one check, found by counting here (not by the registry)
    counts: dict[str, list[str]] = {}
    for cid, names in mapping.items():
        for n in names:
            counts.setdefault(n, []).append(cid)
    lone = sorted(n for n, cids in counts.items() if len(cids) == 1)
    assert lone
    for name in (lone[0], lone[-1]):
        (cid,) = counts[name]
        fake = dict(mapping)
        fake[cid] = tuple(n for n in mapping[cid] if n != name)
        missing, ghosts = registry.coverage_gaps(theorems, fake)
        assert missing == [f"{registry.NAMESPACE}.{name}"] and not ghosts
        # dropping the whole check reports every theorem only it named
        del fake[cid]
        only_here = {f"{registry.NAMESPACE}.{n}" for n in mapping[cid] if len(counts[n]) == 1}
        assert set(registry.coverage_gaps(theorems, fake)[0]) == only_here


def test_theorem_checks_inverts_the_mapping():
    got = registry.theorem_checks({"a": ("x", "y"), "b": ("y",)})
    assert got == {"LaAciq.x": ["a"], "LaAciq.y": ["a", "b"]}


def test_registry_names_only_existing_checks(check_ids):
    unknown = sorted(registry.check_ids() - check_ids)
    assert not unknown, f"registry names unknown check id(s): {', '.join(unknown)}"


@pytest.mark.parametrize("bad", ["clip_le_alpha", ("clip_le_alpha", "clip_le_alpha"),
                                 ("clip_le_alpha", "")])
def test_registration_refuses_malformed_theorem_lists(bad):
    with pytest.raises(ValueError, match="theorem"):
        checks.check("prop.test_only_malformed", "property", "test", theorems=bad)
    with pytest.raises(ValueError, match="theorem"):
        symbolic.Spec("z3.test_only", "z3", "test", lambda: ("pass", ""), bad)
    assert "prop.test_only_malformed" not in checks.CHECKS


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
