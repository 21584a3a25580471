"""``laaciq quantize`` and the checkpoint pipeline (laaciq.tensor.checkpoint/pipeline/api)."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc

import ml_dtypes
import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

import laaciq
from laaciq import cli
from laaciq.tensor import api, checkpoint, pipeline
from laaciq.tensor import exact as solver
from laaciq.theory import quantizer

BF16 = ml_dtypes.bfloat16


def _run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _one_error(rc, out, err, msg):
    assert rc == 2 and out == "", (rc, out, err)
    assert err.count("\n") == 1 and err.startswith("laaciq: error: ") and msg in err, err


def _read_all(path):
    with safe_open(str(path), framework="np") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata()


@pytest.fixture
def weights():
    rng = np.random.default_rng(7)
    return {"a.weight": rng.standard_t(4, size=(24, 40)).astype(np.float32),
            "b.weight": rng.laplace(size=(16, 32)).astype(np.float32).astype(BF16),
            "c.weight": rng.standard_normal((8, 32)).astype(np.float16),
            "a.bias": rng.standard_normal(24).astype(np.float32),
            "ids": np.arange(5, dtype=np.int64)}


@pytest.fixture
def sharded(tmp_path, weights):
    d = tmp_path / "ck"
    d.mkdir()
    names = list(weights)
    shards = {"model-00001-of-00002.safetensors": names[:2],
              "model-00002-of-00002.safetensors": names[2:]}
    wmap = {}
    for f, ns in shards.items():
        save_file({n: weights[n] for n in ns}, str(d / f), metadata={"format": "pt"})
        wmap.update({n: f for n in ns})
    (d / "model.safetensors.index.json").write_text(json.dumps(
        {"metadata": {"total_size": 0}, "weight_map": wmap}))
    return d


@pytest.mark.parametrize("bits, gran", [(4, ["--per-channel", "0"]), (3, ["--group", "8"]),
                                        (8, [])])
def test_quantize_sharded_codes_match_fake_quant_and_q_alpha(capsys, tmp_path, sharded,
                                                             weights, bits, gran):
    out = tmp_path / "out"
    rc, o, err = _run(capsys, "quantize", sharded, "--bits", bits, *gran, "--out", out,
                      "--codes", "--jobs", "1", "--quiet", "--format", "json")
    assert rc == 0, err
    doc = json.loads(o)
    assert [t["name"] for t in doc["tensors"]] == ["a.weight", "b.weight", "c.weight"]
    assert sorted(p.name for p in out.iterdir()) == [
        "codes.safetensors", "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors", "model.safetensors.index.json", "quantize.json",
        "thresholds.safetensors"]
    assert json.loads((out / "model.safetensors.index.json").read_text())["weight_map"] == \
        json.loads((sharded / "model.safetensors.index.json").read_text())["weight_map"]
    fq = {}
    for f in ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"):
        t, meta = _read_all(out / f)
        assert meta == {"format": "pt"}
        fq.update(t)
    assert sorted(fq) == sorted(weights)
    np.testing.assert_array_equal(fq["a.bias"], weights["a.bias"])      # 1-D: copied
    np.testing.assert_array_equal(fq["ids"], weights["ids"])
    al, ameta = _read_all(out / "thresholds.safetensors")
    codes, cmeta = _read_all(out / "codes.safetensors")
    assert cmeta["bits"] == str(bits) and json.loads(ameta["layout"])["a.weight"]
    L = quantizer.levels(bits)
    axis = 0 if "--per-channel" in gran else None
    group = 8 if "--group" in gran else None
    for name in ("a.weight", "b.weight", "c.weight"):
        w = weights[name]
        assert fq[name].dtype == w.dtype
        a = al[name]
        ref = solver.exact_alpha(w.astype(np.float32), bits, axis=axis, group=group)
        np.testing.assert_array_equal(a, np.asarray(ref.alpha))      # the exact optimum
        k = codes[name]
        assert k.dtype == np.int8 and k.shape == w.shape and np.abs(k).max() <= L
        np.testing.assert_array_equal(codes[name + ".scale"], a / L)
        deq = api.dequantize(k, codes[name + ".scale"], axis=axis, group=group, dtype=w.dtype)
        rows, tshape = solver.as_slices(w.astype(np.float64), axis, group)
        q_rows = quantizer.quantize(rows, np.broadcast_to(a, tshape).reshape(-1), bits)
        q = api.round_once(api.from_slices(q_rows, w.shape, axis, group), w.dtype)
        # all three, rounded once to the weight's dtype in the same way: bit for bit equal
        np.testing.assert_array_equal(deq.view(np.uint8), fq[name].view(np.uint8))
        np.testing.assert_array_equal(q.view(np.uint8), fq[name].view(np.uint8))
        if w.dtype != np.float32:       # bf16/fp16: the stored value is not on the grid
            grid = api.dequantize(k, codes[name + ".scale"], axis=axis, group=group)
            assert np.any(fq[name].astype(np.float64) != grid)


def test_quantize_parallel_row_blocks_equal_serial(capsys, tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    f = tmp_path / "m.safetensors"
    save_file({"w": rng.standard_t(5, size=(64, 96)).astype(np.float32),
               "v": rng.standard_normal((96, 64)).astype(np.float32)}, str(f))
    monkeypatch.setattr(pipeline, "BLOCK_VALUES", 1000)      # many row blocks per tensor
    monkeypatch.setattr(pipeline, "MIN_BLOCK_VALUES", 1000)
    tasks, _, _ = pipeline.make_tasks(checkpoint.open_checkpoint(f).entries, 1, None, 2)
    assert len(tasks) > 4 and all(t[1] == 1 for t in tasks)   # split along the channel axis
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"o{jobs}"
        rc, _, err = _run(capsys, "quantize", f, "--per-channel", "1", "--out", out, "--jobs",
                          jobs, "--quiet", "--codes")
        assert rc == 0, err
        outs.append(out)
    for fn in ("m.safetensors", "thresholds.safetensors", "codes.safetensors"):
        a, _ = _read_all(outs[0] / fn)
        b, _ = _read_all(outs[1] / fn)
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    al, _ = _read_all(outs[0] / "thresholds.safetensors")
    w = _read_all(f)[0]["w"]
    np.testing.assert_array_equal(al["w"], solver.exact_alpha(w, 4, axis=1).alpha)


def test_quantize_npy_npz_gguf_fp8(capsys, tmp_path):
    rng = np.random.default_rng(2)
    w = rng.standard_normal((12, 16)).astype(np.float32)
    np.save(tmp_path / "w.npy", w)
    np.savez(tmp_path / "m.npz", w=w, b=w[0])
    import gguf

    g = gguf.GGUFWriter(str(tmp_path / "m.gguf"), "llama")
    g.add_tensor("blk.0.w", w)
    g.add_tensor("blk.0.h", w.astype(np.float16))
    g.write_header_to_file()
    g.write_kv_data_to_file()
    g.write_tensors_to_file()
    g.close()
    f8 = tmp_path / "f8.safetensors"
    w8 = w.astype(ml_dtypes.float8_e4m3fn)
    checkpoint.plan_safetensors(f8, [("w8", "float8_e4m3fn", w8.shape)])
    with open(f8, "r+b") as fh:                        # header by the writer, data appended
        fh.seek(-w8.nbytes, 2)
        fh.write(w8.tobytes())
    ref = solver.exact_alpha(w, 4, axis=0)
    for src, fn in (("w.npy", "w.npy"), ("m.npz", "m.npz"), ("m.gguf", "m.safetensors"),
                    ("f8.safetensors", "f8.safetensors")):
        out = tmp_path / ("o-" + src)
        rc, _, err = _run(capsys, "quantize", tmp_path / src, "--per-channel", "0", "--out",
                          out, "--quiet", "--jobs", "1")
        assert rc == 0, (src, err)
        assert (out / fn).exists()
        al, _ = _read_all(out / "thresholds.safetensors")
        if src in ("w.npy", "m.npz"):
            key = "w"
            np.testing.assert_array_equal(al[key], ref.alpha)
            got = np.load(out / fn) if fn.endswith(".npy") else np.load(out / fn)["w"]
            np.testing.assert_array_equal(got, api.fake_quantize(w, ref.alpha, 4, axis=0))
        elif src == "m.gguf":
            assert sorted(al) == ["blk.0.h", "blk.0.w"]
            np.testing.assert_array_equal(al["blk.0.w"], ref.alpha)
            t, _ = _read_all(out / fn)
            assert t["blk.0.h"].dtype == np.float16 and t["blk.0.w"].shape == (12, 16)
        else:
            t, _ = _read_all(out / fn)
            assert t["w8"].dtype == ml_dtypes.float8_e4m3fn
            np.testing.assert_array_equal(
                al["w8"], solver.exact_alpha(w8.astype(np.float32), 4, axis=0).alpha)


def test_bad_input_one_line_nothing_written(capsys, tmp_path, sharded):
    out = tmp_path / "out"
    # a shard listed in the index but missing
    (sharded / "model-00002-of-00002.safetensors").rename(tmp_path / "moved")
    rc, o, err = _run(capsys, "quantize", sharded, "--out", out)
    _one_error(rc, o, err, "missing")
    assert not out.exists() and not list(tmp_path.glob(".out.*"))
    (tmp_path / "moved").rename(sharded / "model-00002-of-00002.safetensors")
    # axis out of range; per channel on a 1-D tensor; group not dividing
    for argv, msg in ((["--per-channel", "2"], "no axis 2"),
                      (["--per-channel", "0", "--all"], "one threshold per value"),
                      (["--group", "7"], "does not divide"), (["--jobs", "0"], "--jobs")):
        rc, o, err = _run(capsys, "quantize", sharded, "--out", out, *argv)
        _one_error(rc, o, err, msg)
        assert not out.exists() and not list(tmp_path.glob(".out.*"))
    # unknown dtype
    bad = tmp_path / "bad.safetensors"
    hdr = json.dumps({"x": {"dtype": "Q9", "shape": [2], "data_offsets": [0, 2]}}).encode()
    bad.write_bytes(len(hdr).to_bytes(8, "little") + hdr + b"\0\0")
    for cmd in ("quantize", "clip"):
        rc, o, err = _run(capsys, cmd, bad, "--out", out)
        _one_error(rc, o, err, "bad.safetensors")
    # existing output folder: error without --force, replaced with it
    out.mkdir()
    (out / "old").write_text("x")
    rc, o, err = _run(capsys, "quantize", sharded, "--out", out)
    _one_error(rc, o, err, "already exists")
    assert (out / "old").exists()
    rc, o, err = _run(capsys, "quantize", sharded, "--out", out, "--force", "--quiet")
    assert rc == 0, err
    assert not (out / "old").exists() and (out / "thresholds.safetensors").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_clip_out_full_thresholds_and_tables(capsys, tmp_path):
    rng = np.random.default_rng(3)
    f = tmp_path / "m.safetensors"
    w = rng.standard_normal((300, 16)).astype(np.float32)      # 300 channels: > any summary
    save_file({"w": w, "bias": w[:, 0].copy()}, str(f))
    out = tmp_path / "clip"
    rc, o, err = _run(capsys, "clip", f, "--per-channel", "0", "--out", out, "--quiet",
                      "--jobs", "1", "--format", "json")
    assert rc == 0, err
    doc = json.loads(o)
    assert [t["name"] for t in doc["tensors"]] == ["w"]
    assert doc["skipped"] == ["bias (1-D; --all includes it)"]
    al, meta = _read_all(out / "thresholds.safetensors")
    assert meta["method"] == "exact-true" and al["w"].shape == (300,)
    np.testing.assert_array_equal(al["w"], solver.exact_alpha(w, 4, axis=0).alpha)
    g, _ = _read_all(out / "thresholds-banner-gauss.safetensors")
    assert g["w"].shape == (300,)
    lines = (out / "tensors.jsonl").read_text().splitlines()
    rows = [json.loads(s) for s in lines]
    assert [r["method"] for r in rows][:2] == ["exact-true", "exact-uniform"]
    assert rows[0]["slices"] == 300 and rows[0]["ratio"] == 1.0
    csv_lines = (out / "tensors.csv").read_text().splitlines()
    assert len(csv_lines) == len(rows) + 1 and csv_lines[0].startswith("tensor,shape")


def test_broken_pipe_is_quiet(tmp_path):
    f = tmp_path / "w.npy"
    np.save(f, np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32))
    p = subprocess.run(f"{sys.executable} -m laaciq clip {f} --format json --jobs 1 | head -c 5",
                       shell=True, capture_output=True, text=True)
    assert p.stdout == "{\n \"c"
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr, p.stderr


def test_python_api_numpy(tmp_path):
    rng = np.random.default_rng(4)
    sd = {"l1": rng.standard_normal((8, 32)).astype(np.float32),
          "l2": rng.laplace(size=(4, 64)).astype(BF16)}
    q = {}
    for k, w in sd.items():
        a = laaciq.optimal_clip(w, 4, axis=0)
        q[k] = laaciq.fake_quantize(w, a, 4, axis=0)
        assert q[k].dtype == w.dtype and q[k].shape == w.shape
        np.testing.assert_array_equal(a, solver.exact_alpha(w.astype(np.float32), 4,
                                                            axis=0).alpha)
    a = laaciq.optimal_clip(sd["l1"], 3)
    assert isinstance(a, float)
    mse = float(np.mean((sd["l1"].astype(np.float64) - laaciq.fake_quantize(
        sd["l1"].astype(np.float64), a, 3)) ** 2))
    assert mse == pytest.approx(float(solver.exact_alpha(sd["l1"], 3).mse), rel=1e-12)
    for s in (0.97, 1.03):               # the optimum beats its neighbours
        m2 = float(np.mean((sd["l1"].astype(np.float64) - laaciq.fake_quantize(
            sd["l1"].astype(np.float64), a * s, 3)) ** 2))
        assert m2 >= mse
    # weights: all ones is the plain true MSE (same minimum); one importance per input column
    # of an (out, in) weight per output channel is each row's weighted optimum
    w1 = sd["l1"].astype(np.float64)
    a1 = laaciq.optimal_clip(w1, 4, weights=np.ones(w1.shape))
    m1 = float(np.mean((w1 - laaciq.fake_quantize(w1, a1, 4)) ** 2))
    assert m1 == pytest.approx(float(solver.exact_alpha(w1, 4).mse), rel=1e-9)
    c = rng.gamma(0.5, size=w1.shape[1])
    ac = laaciq.optimal_clip(w1, 4, axis=0, weights=c)
    ref, _ = solver.weighted_exact_alpha(w1, c, 4)
    np.testing.assert_array_equal(ac, ref)
    with pytest.raises(ValueError, match="broadcast"):
        laaciq.optimal_clip(w1, 4, axis=0, weights=np.ones(w1.shape[1] + 1))
    with pytest.raises(ValueError, match="objective"):
        laaciq.optimal_clip(w1, 4, objective="banner", weights=c)
    with pytest.raises(ValueError, match="threshold shape"):
        laaciq.fake_quantize(sd["l1"], np.ones(3), 4, axis=0)
    # quantizer.quantize takes one threshold per row
    x = rng.standard_normal((3, 5))
    al = np.array([0.5, 1.0, 2.0])
    got = quantizer.quantize(x, al, 4)
    for r in range(3):
        np.testing.assert_array_equal(got[r], quantizer.quantize(x[r], al[r], 4))
    with pytest.raises(ValueError, match="leading axes"):
        quantizer.quantize(x, np.ones(5), 4)
    with pytest.raises(ValueError, match="> 0"):
        quantizer.quantize(x, np.array([1.0, -1.0, 1.0]), 4)


def test_import_laaciq_is_light():
    p = subprocess.run([sys.executable, "-c", "import sys, laaciq; "
                        "print(sorted(m for m in ('numpy', 'scipy', 'laaciq.tensor', "
                        "'safetensors') if m in sys.modules))"],
                       capture_output=True, text=True, check=True)
    assert p.stdout.strip() == "[]"


def test_round_once_is_a_single_rounding():
    rng = np.random.default_rng(5)
    x = np.r_[rng.standard_normal(20000), 1 + 2.0 ** -8 + 2.0 ** -40, -(1 + 2.0 ** -8)]
    for dt in (BF16, np.float16, ml_dtypes.float8_e4m3fn):
        r = api.round_once(x, dt).astype(np.float64)
        # nearest: no representable neighbour is closer (neighbours from the dtype's own grid)
        up = np.nextafter(r.astype(dt), np.array(np.inf, dtype=dt)).astype(np.float64) \
            if dt is np.float16 else None
        err = np.abs(r - x)
        cand = x.astype(np.float32).astype(dt).astype(np.float64)   # ml_dtypes' own cast
        assert np.all(err <= np.abs(cand - x))
        if up is not None:
            assert np.all(err <= np.abs(up - x))
    assert float(api.round_once(np.array([1 + 2.0 ** -8 + 2.0 ** -40]), BF16)[0]) == 1.0078125


def test_worker_memory_within_bound(tmp_path):
    """Peak traced allocation of one worker quantizing a 2048x2048 tensor per channel with
    codes: ≤ 2x the tensor as float32 + 64 MB (the stated bound allows + 300 MB)."""
    rng = np.random.default_rng(6)
    w = rng.standard_normal((2048, 2048)).astype(np.float32)
    f = tmp_path / "m.safetensors"
    save_file({"w": w}, str(f))
    ck = checkpoint.open_checkpoint(f)
    e = ck.entries[0]
    offs = checkpoint.plan_safetensors(tmp_path / "o.safetensors", [("w", "float32", e.shape)])
    coffs = checkpoint.plan_safetensors(tmp_path / "c.safetensors", [("w", "int8", e.shape)])
    job = {"i": 0, "entry": e, "sa": None, "r0": 0, "r1": 0, "axis": 0, "group": None,
           "bits": 4, "methods": ["exact-true"], "moments": False, "n_values": e.size,
           "plan": {"weights": (tmp_path / "o.safetensors", offs["w"]),
                    "codes": (tmp_path / "c.safetensors", coffs["w"])}}
    del w
    tracemalloc.start()
    res = pipeline.work(job)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert res["alpha"]["exact-true"].shape == (2048,)
    assert peak <= 2 * e.size * 4 + (64 << 20), peak / (e.size * 4)
