"""Comparing two bench outputs' exact-solver results (``bench --against``): made-up records,
each difference checked in both directions; the digest; bad ``--against`` input.

Cost: about a second (no solver runs: the command-line tests stop before the bench runs)."""

from __future__ import annotations

import copy
import hashlib
import json
import numpy as np
import pytest

from laaciq.errors import LaaciqError
from laaciq.tensor import benchdigest


def _doc(**cases) -> dict:
    return {"commit": "x", "solver_results": {"cases": cases}}


def _case(alpha, error, seconds=1.0, **spec):
    return dict({"kind": "channel", "law": "t3", "bits": 4, "shape": [len(alpha), 8],
                 "seed": 1}, **spec, alpha=list(alpha), error=list(error), seconds=seconds)


BASE = _doc(a=_case([1.5, 2.0], [0.25, 0.125], 2.0), b=_case([3.0], [1e-30], 4.0))


def _status(cmp):
    return {r["case"]: r["status"] for r in cmp["rows"]}


def test_identical_runs_are_equal_and_time_ratios_are_quotients():
    after = copy.deepcopy(BASE)
    after["solver_results"]["cases"]["a"]["seconds"] = 3.0
    for x, y, ratio in ((BASE, after, 1.5), (after, BASE, 2.0 / 3.0)):
        cmp = benchdigest.compare(x, y)
        assert cmp["ok"] and _status(cmp) == {"a": "equal", "b": "equal"}
        row = next(r for r in cmp["rows"] if r["case"] == "a")
        assert row["time_ratio"] == pytest.approx(ratio)
        assert row["max_rel_error_diff"] == 0.0


@pytest.mark.parametrize("rel, same", [(1e-14, True), (5e-13, True), (1e-11, False),
                                       (1e-6, False)])
def test_errors_equal_to_1e12_relative(rel, same):
    after = copy.deepcopy(BASE)
    after["solver_results"]["cases"]["a"]["error"][1] = 0.125 * (1 + rel)
    for x, y in ((BASE, after), (after, BASE)):
        cmp = benchdigest.compare(x, y)
        assert cmp["ok"] is same
        assert _status(cmp)["a"] == ("equal" if same else "differs")
        got = next(r for r in cmp["rows"] if r["case"] == "a")["max_rel_error_diff"]
        assert got == pytest.approx(abs(0.125 * rel) / (0.125 * (1 + max(rel, 0))), rel=1e-3)


def test_tiny_errors_are_compared_relatively():
    after = copy.deepcopy(BASE)
    after["solver_results"]["cases"]["b"]["error"] = [2e-30]
    assert _status(benchdigest.compare(BASE, after))["b"] == "differs"


def test_another_threshold_at_equal_error_is_a_tie():
    after = copy.deepcopy(BASE)
    after["solver_results"]["cases"]["a"]["alpha"][0] = 1.75
    for x, y in ((BASE, after), (after, BASE)):
        cmp = benchdigest.compare(x, y)
        assert cmp["ok"] and _status(cmp)["a"] == "tie"
        assert next(r for r in cmp["rows"] if r["case"] == "a")["alpha_slices_differ"] == 1
    assert "ties) in: a" in benchdigest.comparison_lines(benchdigest.compare(BASE, after))[-1]


def test_a_missing_case_or_other_input_is_not_equal():
    fewer = copy.deepcopy(BASE)
    del fewer["solver_results"]["cases"]["b"]
    assert _status(benchdigest.compare(BASE, fewer, names=("old", "new")))["b"] == "only in old"
    assert _status(benchdigest.compare(fewer, BASE, names=("old", "new")))["b"] == "only in new"
    assert not benchdigest.compare(BASE, fewer)["ok"]
    assert not benchdigest.compare(fewer, BASE)["ok"]
    other = copy.deepcopy(BASE)
    other["solver_results"]["cases"]["b"]["seed"] = 2
    for x, y in ((BASE, other), (other, BASE)):
        cmp = benchdigest.compare(x, y)
        assert not cmp["ok"] and _status(cmp)["b"] == "other input"
    assert "NOT the same: b" in benchdigest.comparison_lines(benchdigest.compare(BASE, other))[-1]


def test_digest_is_the_sha256_of_the_exact_values():
    cases = BASE["solver_results"]["cases"]
    h = hashlib.sha256()
    for key in ("a", "b"):       # sorted keys, float64 bits as hex
        h.update(json.dumps([key, [float(v).hex() for v in cases[key]["alpha"]],
                             [float(v).hex() for v in cases[key]["error"]]]).encode())
    assert benchdigest.digest(cases) == h.hexdigest()
    assert benchdigest.digest(dict(reversed(list(cases.items())))) == h.hexdigest()
    moved = copy.deepcopy(cases)
    moved["a"]["error"][0] = float(np.nextafter(0.25, 1.0))    # one ulp
    moved["a"]["seconds"] = 99.0
    assert benchdigest.digest(moved) != h.hexdigest()


@pytest.mark.parametrize("doc", [{}, {"solver_results": {}}, _doc(a={"alpha": [1.0]}),
                                 _doc(a=_case([1.0], [1.0, 2.0])),
                                 _doc(a=dict(_case([1.0], [1.0]), seconds="fast"))])
def test_malformed_outputs_are_refused(doc):
    with pytest.raises(LaaciqError):
        benchdigest.compare(BASE, doc)


def _bench(capsys, *args):
    """``python -m laaciq.tensor.bench ARGS`` in this process: (exit code, stderr)."""
    from laaciq.tensor import bench
    code = bench.main(list(args))
    return code, capsys.readouterr().err


@pytest.mark.parametrize("content", [None, "{not json", json.dumps({"commit": "x"})])
def test_bad_against_file_is_one_error_line_before_anything_runs(tmp_path, capsys, content):
    old = tmp_path / "old.json"
    if content is not None:
        old.write_text(content)
    out = tmp_path / "new.json"
    code, err = _bench(capsys, "--against", str(old), "--out", str(out))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("laaciq: error:"), err
    assert not out.exists()


def test_against_needs_the_solver_results_case(tmp_path, capsys):
    old = tmp_path / "old.json"
    old.write_text(json.dumps(BASE))
    code, err = _bench(capsys, "--only", "speed", "--against", str(old), "--out",
                       str(tmp_path / "n.json"))
    assert code == 2 and err.startswith("laaciq: error: --against")
    assert not (tmp_path / "n.json").exists()
