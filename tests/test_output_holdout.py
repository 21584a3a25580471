"""``--damp`` and ``--holdout-hessian`` of ``laaciq quantize|clip --objective output``: bad values
are one error line; the damping used is the stated one (brute force over thresholds); the
held-out report's numbers recomputed here from the written codes and from weighted/unweighted
optima found by an independent candidate search."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

from laaciq import cli
from laaciq.theory import quantizer

NAMES = {"model.layers.0.self_attn.q_proj.weight": "blk.0.attn_q.weight",
         "model.layers.0.mlp.down_proj.weight": "blk.0.ffn_down.weight"}


def _run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def ckpt(tmp_path):
    """Two (out, in) weights, calibration and held-out sums of x xᵀ over 30 tokens each."""
    rng = np.random.default_rng(5)
    sd = {"model.layers.0.self_attn.q_proj.weight": rng.standard_t(3, (5, 16)),
          "model.layers.0.mlp.down_proj.weight": rng.laplace(size=(4, 12))}
    save_file({k: v.astype(np.float32) for k, v in sd.items()}, str(tmp_path / "m.safetensors"))
    Hs = {}
    for kind in ("cal", "ho"):
        tens = {}
        for hf, g in NAMES.items():
            n = sd[hf].shape[1]
            X = rng.standard_normal((30, n)) * np.linspace(0.3, 2.5, n) + rng.standard_normal(
                (30, 1))                                         # correlated columns
            tens[g], tens[g + ".count"] = X.T @ X, np.array(30.0)
        save_file(tens, str(tmp_path / f"{kind}.safetensors"))
        Hs[kind] = {g: tens[g] / 30.0 for g in NAMES.values()}
    return tmp_path, {k: v.astype(np.float32).astype(np.float64) for k, v in sd.items()}, Hs


@pytest.mark.parametrize("damp,msg", [("-0.1", "[0, 1)"), ("nan", "[0, 1)"), ("1", "[0, 1)"),
                                      ("inf", "[0, 1)"), ("x", "invalid float value")])
def test_bad_damp_is_one_error_line(ckpt, capsys, damp, msg):
    d, _, _ = ckpt
    rc, o, err = _run(capsys, "quantize", d / "m.safetensors", "--hessian", d / "cal.safetensors",
                      "--per-channel", "0", "--damp", damp, "--out", d / "q")
    assert rc == 2 and o == "" and err.count("\n") == 1 and err.startswith("laaciq: error: ")
    assert msg in err, err
    assert not (d / "q").exists()


def test_damp_and_holdout_need_the_output_objective(ckpt, capsys):
    d, _, _ = ckpt
    for extra in (["--damp", "0.1"], ["--holdout-hessian", d / "ho.safetensors"]):
        rc, o, err = _run(capsys, "clip", d / "m.safetensors", "--per-channel", "0", *extra)
        assert rc == 2 and err.count("\n") == 1 and "apply to --objective output" in err


def _codes_q(path, name):
    with safe_open(str(path), framework="np") as f:
        return f.get_tensor(name).astype(np.float64) * f.get_tensor(name + ".scale")[:, None]


def test_stated_damping_is_the_one_minimized(ckpt, capsys):
    """--damp 0.3: the written codes' (w-q)ᵀH_d(w-q) with H_d = H + 0.3·mean(diag H)·I is at
    most the value at each of 401 thresholds with the quantizer's rounding, and the
    documented default 0.01 is recorded when --damp is absent."""
    d, sd, Hs = ckpt
    rc, o, err = _run(capsys, "quantize", d / "m.safetensors", "--hessian", d / "cal.safetensors",
                      "--per-channel", "0", "--damp", "0.3", "--codes", "--jobs", "1",
                      "--out", d / "q", "--format", "json")
    assert rc == 0, err
    assert json.loads(o)["damp"] == 0.3
    for hf, g in NAMES.items():
        H = Hs["cal"][g] + 0.3 * np.mean(np.diag(Hs["cal"][g])) * np.eye(Hs["cal"][g].shape[0])
        q = _codes_q(d / "q" / "codes.safetensors", hf)
        for w, qr in zip(sd[hf], q):
            got = (w - qr) @ H @ (w - qr)
            for a in np.linspace(0.05, 1.3, 401) * np.abs(w).max():
                r = w - quantizer.quantize(w, a, 4)
                assert got <= (r @ H @ r) * (1 + 1e-9) + 1e-12
    rc, o, err = _run(capsys, "quantize", d / "m.safetensors", "--hessian", d / "cal.safetensors",
                      "--per-channel", "0", "--jobs", "1", "--out", d / "q2", "--format", "json")
    assert rc == 0 and json.loads(o)["damp"] == 0.01


def _weighted_argmin(w, c, bits):
    """α minimizing Σ c (w - Q_α(w))² over every breakpoint and every piece's clamped vertex
    (the candidate list of the weighted objective), evaluated with the quantizer."""
    L = quantizer.levels(bits)
    a = np.abs(w)
    bp = np.unique((a[:, None] / (np.arange(L) + 0.5)[None, :]).ravel())
    edges = np.r_[bp[0] / 4, bp, bp[-1] * 2]
    cands = list(bp)
    for lo, hi in zip(edges[:-1], edges[1:]):
        k = np.minimum(np.floor(a / ((lo + hi) / 2) + 0.5), L)
        if (c * k * k).sum() > 0:
            cands.append(min(max((c * a * k).sum() / (c * k * k).sum(), lo), hi))
    errs = [float(np.sum(c * (w - quantizer.quantize(w, s * L, bits)) ** 2)) for s in cands]
    return cands[int(np.argmin(errs))] * L


def test_holdout_report_recomputed(ckpt, capsys):
    d, sd, Hs = ckpt
    rc, o, err = _run(capsys, "quantize", d / "m.safetensors", "--hessian", d / "cal.safetensors",
                      "--holdout-hessian", d / "ho.safetensors", "--per-channel", "0",
                      "--damp", "0", "--codes", "--jobs", "1", "--out", d / "q", "--format", "json")
    assert rc == 0, err
    doc = json.loads(o)
    assert doc["holdout_hessian"] == str(d / "ho.safetensors")
    recs = {t["name"]: t["layer_output"] for t in doc["tensors"]}
    means = {m: {h: [] for h in ("calibration", "holdout")}
             for m in ("output", "weighted", "unweighted")}
    for hf, g in NAMES.items():
        W = sd[hf]
        H = {"calibration": Hs["cal"][g], "holdout": Hs["ho"][g]}
        qs = {"output": _codes_q(d / "q" / "codes.safetensors", hf),
              "weighted": np.array([quantizer.quantize(w, _weighted_argmin(
                  w, np.diag(H["calibration"]), 4), 4) for w in W]),
              "unweighted": np.array([quantizer.quantize(w, _weighted_argmin(
                  w, np.ones_like(w), 4), 4) for w in W])}
        for m, q in qs.items():
            for h, M in H.items():
                want = np.einsum("ri,ij,rj->", W - q, M, W - q) / np.einsum(
                    "ri,ij,rj->", W, M, W)
                assert recs[hf][m][h] == pytest.approx(want, rel=1e-7), (hf, m, h)
                means[m][h].append(want)
    for m, d_ in means.items():
        for h, v in d_.items():
            assert doc["layer_output"]["mean"][m][h] == pytest.approx(np.mean(v), rel=1e-7)
    # undamped, on its own calibration H the output objective is never above the other two
    for r in recs.values():
        assert r["output"]["calibration"] <= min(r["weighted"]["calibration"],
                                                 r["unweighted"]["calibration"]) * (1 + 1e-9)
    assert doc["layer_output"]["output_below_weighted"]["holdout"] == sum(
        r["output"]["holdout"] < r["weighted"]["holdout"] for r in recs.values())


_TORCH_THEN_POOL = r"""
import sys
import numpy as np
from safetensors.numpy import save_file
if sys.argv[1] == "torch":
    import torch
    torch.set_num_threads(2)
    a = torch.randn(256, 256)
    float((a @ a).sum())                       # torch's thread pools are live in this process
rng = np.random.default_rng(0)
save_file({f"model.layers.{i}.mlp.up_proj.weight": rng.standard_normal((32, 128)).astype(
    np.float32) for i in range(4)}, "m.safetensors")
H = {}
for i in range(4):
    X = rng.standard_normal((200, 128)).astype(np.float32)
    H[f"blk.{i}.ffn_up.weight"] = X.T @ X
    H[f"blk.{i}.ffn_up.weight.count"] = np.array(200.0)
save_file(H, "h.safetensors")
from laaciq.cli import main
sys.exit(main(["quantize", "m.safetensors", "--per-channel", "0", "--jobs", "2", "--quiet",
               "--hessian", "h.safetensors", "--objective", "output", "--out", sys.argv[1]]))
"""


def test_quantize_jobs_after_torch_in_the_same_process_does_not_hang(tmp_path):
    """A process that has run torch and then quantizes with --jobs 2 (the layer-output
    objective's workers hung there when forked): it finishes, with the thresholds of a process
    without torch."""
    pytest.importorskip("torch")
    import os
    import subprocess
    import sys

    from safetensors.numpy import load_file

    (tmp_path / "t.py").write_text(_TORCH_THEN_POOL)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for arg in ("torch", "plain"):
        r = subprocess.run([sys.executable, "t.py", arg], cwd=tmp_path, env=env, timeout=300,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr[-2000:]
    a = load_file(str(tmp_path / "torch" / "thresholds.safetensors"))
    b = load_file(str(tmp_path / "plain" / "thresholds.safetensors"))
    assert a.keys() == b.keys() and len(a) == 4
    assert all(np.array_equal(a[k], b[k]) for k in a)
