"""The claims ledger: verbatim quotes, known kinds, existing checks and theorems, computed
verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from laaciq.verify import checks
from laaciq.verify import claims
from laaciq.verify import lean
from laaciq.verify import registry
from laaciq.verify import symbolic
from laaciq.errors import LaaciqError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ledger():
    return claims.load()


def test_ledger_is_large_and_covers_every_seed(ledger):
    assert len(ledger) >= 60
    seeds = claims.seeds_dir(ROOT)
    files = sorted(p.name for p in seeds.glob("[0-9][0-9][0-9]_*.txt"))
    assert len(files) == 5, f"expected 5 seed files in {seeds}"
    assert {c.seed for c in ledger} == set(files)
    kinds = {c.kind for c in ledger}
    for k in ("definition", "theorem", "approximation", "conjecture", "empirical", "prediction",
              "arithmetic", "citation", "contradiction"):
        assert k in kinds, f"no claim of kind {k}"


def test_every_quote_is_verbatim(ledger):
    problems = claims.check_quotes(ledger, claims.seeds_dir(ROOT))
    assert not problems, "\n".join(problems)


def test_ledger_names_existing_checks_and_theorems(ledger):
    ids = set(checks.load_all()) | {r["id"] for r in symbolic.run_all()}
    decls, _ = lean.scan_tree(ROOT)
    names = {d.name for d in decls}
    for c in ledger:
        assert set(c.checks) <= ids, f"{c.id}: unknown checks {set(c.checks) - ids}"
        assert set(c.lean) <= names, f"{c.id}: unknown Lean names {set(c.lean) - names}"


def test_ledger_has_no_verdict_field():
    doc = json.loads(claims.default_path().read_text(encoding="utf-8"))
    assert all("verdict" not in c for c in doc["claims"])


def _write(tmp_path, entries) -> Path:
    p = tmp_path / "claims.json"
    p.write_text(json.dumps({"claims": entries}), encoding="utf-8")
    return p


_GOOD = {"id": "X-1", "seed": "000_95cb99ed5640d9c1.txt", "quote": "Symmetric around 0",
         "kind": "theorem", "scope": "s", "lean": [], "checks": [], "note": ""}


def e(**kw):
    d = dict(_GOOD)
    for k, v in kw.items():
        if v is ...:
            del d[k]
        else:
            d[k] = v
    return d


@pytest.mark.parametrize("entries, message", [
    pytest.param([e(verdict="proved")], "verdicts are computed", id="verdict-field"),
    pytest.param([e(kind="lemma")], "unknown kind 'lemma'", id="bad-kind"),
    pytest.param([e(quote=...)], "lacks field(s) quote", id="missing-quote"),
    pytest.param([e(), e()], "repeated", id="duplicate-id"),
    pytest.param([e(checks="prop.x")], "field 'checks' must be a list", id="checks-not-list"),
    pytest.param([e(extra=1)], "unknown field(s) extra", id="extra-field"),
    pytest.param([e(quote="  ")], "quote is empty", id="empty-quote"),
    pytest.param([e(lean=[""])], "must list non-empty names", id="empty-lean-name"),
])
def test_ledger_errors_name_the_fix(tmp_path, entries, message):
    with pytest.raises(LaaciqError, match=message.replace("(", r"\(").replace(")", r"\)")):
        claims.load(_write(tmp_path, entries))


def test_ledger_not_json(tmp_path):
    p = tmp_path / "claims.json"
    p.write_text("{", encoding="utf-8")
    with pytest.raises(LaaciqError, match="not valid JSON"):
        claims.load(p)


def test_bad_quote_is_reported(tmp_path):
    c = claims.load(_write(tmp_path, [e(quote="Symmetric around zero")]))
    assert claims.check_quotes(c, claims.seeds_dir(ROOT))


# --- verdicts ---------------------------------------------------------------------------------


def _claim(kind="theorem", lean=(), checks_=()):
    return claims.Claim("C", "000_95cb99ed5640d9c1.txt", "q", kind, "s", tuple(lean),
                        tuple(checks_), "")


def _rec(i, kind, result, cx=None):
    r = {"id": i, "kind": kind, "result": result, "detail": ""}
    if cx:
        r["counterexample"] = cx
    return r


R = {"p": _rec("p", "property", "pass"), "pf": _rec("pf", "property", "fail"),
     "r": _rec("r", "refutation", "refutation-verified", {"x": 1, "verified": "exact"}),
     "rf": _rec("rf", "refutation", "fail"), "re": _rec("re", "refutation", "error"),
     "a": _rec("a", "approximation", "pass"), "af": _rec("af", "arithmetic", "fail"),
     "ap": _rec("ap", "arithmetic", "pass"), "s": _rec("s", "simulation", "pass"),
     "u": _rec("u", "simulation", "unknown"), "sym": _rec("sym", "symbolic", "pass")}
TC = {"LaAciq.t": ["p"], "LaAciq.claim_x_false": ["r"]}


@pytest.mark.parametrize("kind, lean_, ids, status, expected", [
    ("theorem", ["LaAciq.t"], ["p"], "checked", "proved"),
    ("theorem", ["LaAciq.t"], ["p"], "written", "holds"),
    ("theorem", ["LaAciq.t"], ["p"], "failed", "holds"),
    ("theorem", [], ["r"], "checked", "refuted"),
    ("theorem", ["LaAciq.claim_x_false"], [], "checked", "refuted"),
    ("theorem", ["LaAciq.claim_x_false"], [], "written", "conjecture"),
    ("theorem", [], ["pf"], "checked", "refuted"),
    ("theorem", [], ["rf"], "checked", "empirical-unverifiable"),
    ("theorem", [], ["re"], "checked", "empirical-unverifiable"),
    ("approximation", [], ["a"], "checked", "approximate"),
    ("arithmetic", [], ["af"], "checked", "inconsistent"),
    ("arithmetic", [], ["ap"], "checked", "holds"),
    ("contradiction", [], ["af"], "checked", "inconsistent"),
    ("contradiction", [], ["r"], "checked", "inconsistent"),
    ("contradiction", [], ["ap"], "checked", "holds"),
    ("definition", [], ["r"], "checked", "definition"),
    ("empirical", [], ["ap"], "checked", "empirical-unverifiable"),
    ("empirical", [], ["af"], "checked", "inconsistent"),
    ("citation", [], [], "checked", "empirical-unverifiable"),
    ("conjecture", [], [], "checked", "conjecture"),
    ("conjecture", [], ["r"], "checked", "refuted"),
    ("prediction", [], ["s"], "checked", "holds"),
    ("prediction", [], ["u"], "checked", "empirical-unverifiable"),
    ("prediction", [], [], "checked", "empirical-unverifiable"),
    ("modelling", [], ["u"], "checked", "empirical-unverifiable"),
    ("theorem", [], ["p", "u"], "checked", "empirical-unverifiable"),
    ("theorem", [], ["sym"], "checked", "holds"),
])
def test_verdict_table(kind, lean_, ids, status, expected):
    st = {t: status for t in ("LaAciq.t", "LaAciq.claim_x_false")}
    v = claims.verdict(_claim(kind, lean_, ids), R, st, TC)
    assert v["verdict"] == expected, v


def test_refuted_verdict_carries_the_counterexample():
    v = claims.verdict(_claim("theorem", (), ("r",)), R, {}, TC)
    assert v["counterexample"] == {"check": "r", "x": 1, "verified": "exact"}


def test_simulation_basis_is_labelled():
    v = claims.verdict(_claim("prediction", (), ("s",)), R, {}, TC)
    assert "not a real model" in v["basis"]


def test_proved_needs_the_theorems_checks_to_pass():
    recs = dict(R, p=_rec("p", "property", "unknown"))
    v = claims.verdict(_claim("theorem", ("LaAciq.t",), ()), recs, {"LaAciq.t": "checked"}, TC)
    assert v["verdict"] != "proved"


def test_refutation_names_match_registry():
    assert registry.is_refutation("LaAciq.claim_x_false")
