"""The claims ledger: verbatim quotes, known kinds, existing checks and theorems, computed
verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from laaciq.verify import checks
from laaciq.verify import claims
from laaciq.verify import leanscan
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
    ids = set(checks.load_all()) | {s.id for s in symbolic.specs()}
    decls, _ = leanscan.scan_tree(ROOT)
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
         "kind": "theorem", "domain": {"laws": "none"}, "lean": [], "checks": [], "note": ""}


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
    pytest.param([e(), e(id="X-2")], "one quote, one claim, one verdict", id="duplicate-quote"),
    pytest.param([e(domain={"laws": "gaussians"})], "domain laws must be one of",
                 id="bad-laws"),
    pytest.param([e(domain={"laws": "finite", "bits": [1]})], "domain bits", id="bad-bits"),
    pytest.param([e(domain={"laws": "finite", "alpha": "<0"})], "domain alpha", id="bad-alpha"),
    pytest.param([e(depends_on=["nowhere"])], "depends_on names nowhere", id="bad-dependency"),
    pytest.param([e(depends_on=["X-2"]), e(id="X-2", quote="Range: [-α, α]",
                                          depends_on=["X-1"])], "cycle", id="cycle"),
    pytest.param([e(corrected={"statement": ""})], "'corrected' must be", id="bad-corrected"),
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


def _claim(kind="theorem", lean=(), checks_=(), domain=None, hypothesis=""):
    return claims.Claim("C", "000_95cb99ed5640d9c1.txt", "q", kind,
                        domain or {"alpha": ">0", "bits": [2, 3, 4, 8, 16], "laws": "finite"},
                        tuple(lean), tuple(checks_), "", hypothesis=hypothesis)


def _rec(i, kind, result, cx=None):
    r = {"id": i, "kind": kind, "result": result, "detail": ""}
    if cx:
        r["counterexample"] = cx
    return r


_IN = {"alpha": "1/2", "bits": 4, "law": {"values": ["1"], "weights": ["1"]}, "verified": "exact"}
R = {"p": _rec("p", "property", "pass"), "pf": _rec("pf", "property", "fail"),
     "r": _rec("r", "refutation", "refutation-verified", {"x": 1, **_IN}),
     "rout": _rec("rout", "refutation", "refutation-verified", {"alpha": "-1", "x": "0"}),
     "rf": _rec("rf", "refutation", "fail"), "re": _rec("re", "refutation", "error"),
     "a": _rec("a", "approximation", "pass"), "af": _rec("af", "arithmetic", "fail"),
     "ap": _rec("ap", "arithmetic", "pass"), "s": _rec("s", "simulation", "pass"),
     "u": _rec("u", "simulation", "unknown"), "sym": _rec("sym", "symbolic", "pass"),
     "pu": _rec("pu", "property", "unknown")}
TC = {"LaAciq.t": ["p"], "LaAciq.claim_x_false": ["r"], "LaAciq.claim_out_false": ["rout"]}
REAL = {"laws": "real-models"}


@pytest.mark.parametrize("kind, lean_, ids, status, expected", [
    ("theorem", ["LaAciq.t"], ["p"], "checked", "proved"),
    ("theorem", ["LaAciq.t"], ["p"], "written", "holds"),
    ("theorem", ["LaAciq.t"], ["p"], "failed", "holds"),
    ("theorem", [], ["r"], "checked", "refuted"),
    ("theorem", ["LaAciq.claim_x_false"], [], "checked", "refuted"),
    ("theorem", ["LaAciq.claim_x_false"], [], "written", "open"),
    ("theorem", [], ["pf"], "checked", "refuted"),
    ("theorem", [], ["rf"], "checked", "open"),
    ("theorem", [], ["re"], "checked", "open"),
    ("approximation", [], ["a"], "checked", "approximate"),
    ("arithmetic", [], ["af"], "checked", "inconsistent"),
    ("arithmetic", [], ["ap"], "checked", "holds"),
    ("contradiction", [], ["af"], "checked", "inconsistent"),
    ("contradiction", [], ["r"], "checked", "inconsistent"),
    ("contradiction", [], ["ap"], "checked", "holds"),
    ("definition", [], ["r"], "checked", "definition"),
    ("empirical", [], ["ap"], "checked", "not-testable-here"),
    ("empirical", [], ["af"], "checked", "inconsistent"),
    ("citation", [], [], "checked", "not-testable-here"),
    ("conjecture", [], [], "checked", "open"),
    ("conjecture", [], ["r"], "checked", "refuted"),
    ("theorem", [], ["p", "pu"], "checked", "open"),
    ("theorem", [], ["sym"], "checked", "holds"),
    # a witness outside the domain decides nothing
    ("theorem", [], ["rout"], "checked", "open"),
    ("theorem", ["LaAciq.claim_out_false", "LaAciq.t"], ["p"], "checked", "proved"),
    # the synthetic model never decides
    ("theorem", [], ["s"], "checked", "open"),
])
def test_verdict_table(kind, lean_, ids, status, expected):
    st = {t: status for t in ("LaAciq.t", "LaAciq.claim_x_false", "LaAciq.claim_out_false")}
    v = claims.verdict(_claim(kind, lean_, ids), R, st, TC)
    assert v["verdict"] == expected, v


def test_outside_witness_is_reported_as_boundary():
    v = claims.verdict(_claim("theorem", (), ("rout", "p")), R, {}, TC)
    assert v["verdict"] == "holds"
    assert v["boundary"] == [{"check": "rout", "why": "alpha = -1 is outside α > 0"}]


def test_holds_if_names_the_hypothesis():
    v = claims.verdict(_claim("theorem", ("LaAciq.t",), ("p",), hypothesis="P(|X| > α) > 0"),
                       R, {"LaAciq.t": "checked"}, TC)
    assert v["verdict"] == "holds-if" and "P(|X| > α) > 0" in v["basis"]


def test_real_model_claims_are_measured_only_from_experiment_json():
    c = _claim("prediction", (), ("s",), domain=REAL)
    v = claims.verdict(c, R, {}, TC)
    assert v["verdict"] == "not-testable-here" and "make experiment" in v["basis"]
    exp = {"C": {"outcome": "contradicted", "statistic": "r", "value": 0.1, "ci": [-0.2, 0.4],
                 "p": 0.6, "test": "permutation", "model": "bloom-560m"}}
    v = claims.verdict(c, R, {}, TC, exp)
    assert v["verdict"] == "measured" and v["measurement"]["model"] == "bloom-560m"
    assert "contradicted on bloom-560m" in v["basis"]
    # a refutation by a model of ours never decides a claim about real models
    v = claims.verdict(_claim("prediction", (), ("r",), domain=REAL), R, {}, TC)
    assert v["verdict"] == "not-testable-here"


@pytest.mark.parametrize("body, message", [
    ({"claims": []}, "no 'claims' object"),
    ({"claims": {"S001-empirical-r": {"outcome": "yes", "model": "m"}}}, "needs an 'outcome'"),
    ({"claims": {"S001-empirical-r": {"outcome": "supported"}}}, "a 'model' name"),
])
def test_experiment_file_errors(tmp_path, body, message):
    p = tmp_path / "experiment.json"
    p.write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(LaaciqError, match=message):
        claims.load_experiment(p)


@pytest.mark.parametrize("domain, cx, ok", [
    ({"alpha": ">0", "laws": "finite"}, {"alpha": "0"}, False),
    ({"alpha": ">=0", "laws": "finite"}, {"alpha": "0"}, True),
    ({"alpha": ">0", "laws": "finite"}, {"alpha_star": ["1", "-1/2"]}, False),
    ({"bits": [2, 3, 4, 8, 16], "laws": "finite"}, {"bits": 5}, False),
    ({"bits": [4], "laws": "arbitrary"}, {"rows": [{"bits": 4, "bits_hi": 8}]}, False),
    ({"laws": "continuous"}, {"law": {"values": ["1"], "weights": ["1"]}}, False),
    ({"laws": "arbitrary"}, {"law": {"values": ["1"], "weights": ["1"]}}, True),
    ({"laws": "gaussian"}, {"law": "N(0,1)"}, True),
    ({"laws": "gaussian"}, {"law": "Laplace"}, False),
    ({"laws": "finite", "ties": ["half_even", "half_away"]}, {"x": "1/2"}, False),
    ({"laws": "none", "ties": ["half_even", "half_away"]}, {"rounding": "half_up"}, False),
    ({"laws": "none", "ties": ["half_even", "half_away"]}, {"rounding": "half_even"}, True),
    ({"laws": "finite"}, None, False),
])
def test_witness_in_domain(domain, cx, ok):
    assert claims.witness_in_domain(domain, cx)[0] is ok


def test_refuted_verdict_carries_the_counterexample():
    v = claims.verdict(_claim("theorem", (), ("r",)), R, {}, TC)
    assert v["counterexample"] == {"check": "r", "x": 1, **_IN}


def test_proved_needs_the_theorems_checks_to_pass():
    recs = dict(R, p=_rec("p", "property", "unknown"))
    v = claims.verdict(_claim("theorem", ("LaAciq.t",), ()), recs, {"LaAciq.t": "checked"}, TC)
    assert v["verdict"] != "proved"


def test_refutation_names_match_registry():
    assert registry.is_refutation("LaAciq.claim_x_false")


def test_one_claim_per_quote(ledger):
    seen = {}
    for c in ledger:
        assert (c.seed, c.quote) not in seen, f"{c.id} repeats the quote of {seen[(c.seed, c.quote)]}"
        seen[(c.seed, c.quote)] = c.id


def test_simulation_never_decides_a_claim(ledger):
    kinds = {i: c.kind for i, c in checks.load_all().items()}
    for c in ledger:
        assert not [k for k in c.checks if kinds.get(k) == "simulation"], (
            f"{c.id}: a simulation check decides it; move it to see_also")


def test_theorem_docstrings_quote_only_claims_they_decide(ledger):
    """A theorem's docstring quotes a seed only where the ledger links that theorem to the claim
    quoted (as its evidence, its corrected statement or a see-also): the ledger is the one link
    from claims to theorems, and a quote never decorates a helper lemma."""
    norm = lambda s: " ".join(s.split())  # noqa: E731
    linked: dict[str, list[str]] = {}
    for c in ledger:
        names = list(c.lean) + list((c.corrected or {}).get("lean", [])) + list(
            (c.see_also or {}).get("lean", []))
        for n in names:
            linked.setdefault(n, []).append(norm(c.quote))
    decls, _ = leanscan.scan_tree(ROOT)
    assert sum(1 for d in decls if d.kind == "theorem" and d.quote) >= 10  # the scanner sees them
    stray = []
    for d in decls:
        if d.kind not in ("theorem", "lemma") or not d.quote:
            continue
        q = norm(d.quote)
        if not any(q in quote or quote in q for quote in linked.get(d.name, [])):
            stray.append(f"{d.name} ({d.file}:{d.line}) quotes «{d.quote}»")
    assert not stray, "\n".join(stray)
