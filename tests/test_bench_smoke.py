"""`python -m laaciq.tensor.bench --smoke`: every benchmark case runs end to end on small sizes
(the code paths of `make bench`, not its numbers), and what it reports is consistent."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    r = subprocess.run([sys.executable, "-m", "laaciq.tensor.bench", "--smoke", "--out",
                        str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(out.read_text()), r.stderr, out


def test_every_case_runs_and_is_labelled(smoke):
    doc, err, _ = smoke
    assert doc["smoke"] is True and doc["commit"] and doc["time"]
    for case in ("per_channel_vs_sort", "checkpoint", "optimality", "speed",
                 "surrogate_vs_sort", "per_channel_4096", "memory", "torch_observer",
                 "weighted_vs_unweighted", "output_rows", "solver_results"):
        assert case in doc, case
    assert "per channel 4b" in err and "wrote" in err


def test_ratios_are_the_measured_quotients(smoke):
    doc, _, _ = smoke
    for b in ("4b", "8b"):
        e = doc["per_channel_vs_sort"][b]
        assert e["over_sort"] == pytest.approx(e["seconds"] / e["np_sort_seconds"])
        assert e["compiled_speedup"] == pytest.approx(e["numpy_engine_seconds"] / e["seconds"])
        assert e["target_met"] == (e["over_sort"] <= e["target"])
        w = doc["weighted_vs_unweighted"][b]
        assert w["ratio"] == pytest.approx(w["weighted_seconds"] / w["unweighted_seconds"])
        assert w["target_met"] == (w["ratio"] <= w["target"])


def test_no_peer_beats_the_exact_optimum(smoke):
    """The exact optimum is a lower bound of every peer's true MSE (up to float rounding)."""
    doc, _, _ = smoke
    for where in ("per_tensor", "per_channel"):
        for key, peers in doc["optimality"][where].items():
            for name, r in peers.items():
                low = r if isinstance(r, float) else r["min"]
                assert low >= 1 - 1e-9, (where, key, name, low)


def test_torch_observer_and_its_port_agree(smoke):
    """The port of PyTorch's HistogramObserver search gives the real observer's α (float32 vs
    float64 histograms: within 1e-5), and neither beats the exact optimum."""
    doc, _, _ = smoke
    t = doc["torch_observer"]
    if "skipped" in t:
        pytest.skip(t["skipped"])
    assert len(t["laws"]) == 4
    for law, e in t["laws"].items():
        assert e["alpha_rel_diff"] < 1e-5, law
        assert e["mse_over_exact_torch"] >= 1 - 1e-9 and e["mse_over_exact_port"] >= 1 - 1e-9


def test_checkpoint_case_within_its_memory_bound(smoke):
    doc, _, _ = smoke
    c = doc["checkpoint"]
    assert c["weights"] == 2 * 256 * 256 and c["within_memory_bound"]
    assert c["weights_per_second_per_core"] == pytest.approx(
        c["weights"] / c["wall_seconds"] / c["jobs"])


def _true_mse(x, alpha, bits):
    """The round-half-up quantizer's MSE, written here: step α/L, codes ⌊clip(x)/step + ½⌋."""
    x = np.asarray(x, dtype=np.float64)
    L = 2 ** (bits - 1) - 1
    s = alpha / L
    q = s * np.floor(np.clip(x, -alpha, alpha) / s + 0.5)
    return float(np.mean((x - q) ** 2))


def test_solver_results_are_exact_optima(smoke):
    """The recorded errors are the true MSE at the recorded α (recomputed here); the two
    engines agree per channel; the true optimum is below every surrogate's true MSE."""
    from laaciq.tensor import bench
    cases = _solver_cases(smoke)
    assert len(cases) == 70
    for key, c in cases.items():
        if c["kind"] == "tensor":
            x = bench.sample(c["law"], tuple(c["shape"]), c["seed"])
            assert c["error"][0] == pytest.approx(_true_mse(x, c["alpha"][0], c["bits"]),
                                                  rel=1e-9), key
        if key.startswith("channel/true/compiled/"):
            other = cases[key.replace("/compiled/", "/numpy/")]
            np.testing.assert_allclose(c["error"], other["error"], rtol=1e-12, err_msg=key)
        if key.startswith("tensor/") and not key.startswith("tensor/true/"):
            best = cases["tensor/true/" + key.split("/", 2)[2]]["error"][0]
            assert best <= c["error"][0] * (1 + 1e-12), key


def test_a_second_run_gives_the_same_solver_results(smoke, tmp_path, capsys):
    """``--against`` on the smoke output: a second run (this process) matches case by case."""
    from laaciq.tensor import bench
    _, _, first = smoke
    out = tmp_path / "again.json"
    code = bench.main(["--smoke", "--only", "solver_results", "--against", str(first),
                       "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err[-2000:]
    assert "70 of 70 cases give the same errors" in err
    doc = json.loads(out.read_text())
    assert doc["solver_results_against"]["ok"] and doc["solver_results_against"]["file"] == \
        str(first)


def _solver_cases(smoke):
    doc, _, _ = smoke
    sr = doc["solver_results"]
    assert len(sr["digest"]) == 64
    return sr["cases"]
