"""``laaciq quantize --format gguf:…`` (laaciq.tensor.ggufout) on a tiny GGUF written here with
gguf-py: gguf-py reads every format back, metadata and tokenizer are carried over, the tensor
policy is llama-quantize --pure's, the quantized tensors dequantize (gguf-py) to the nearest grid
points of their stored scales, no block is worse than gguf-py's reference quantizer, and bad
input is one error line, exit 2, no output.

Cost: ~5 s (a few subprocess runs of the command on a 30k-weight model).
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import types

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
from gguf.quants import dequantize as gguf_dequantize  # noqa: E402
from gguf.quants import quantize as gguf_quantize  # noqa: E402

from laaciq import cli  # noqa: E402
from laaciq.errors import LaaciqError  # noqa: E402
from laaciq.tensor import runs  # noqa: E402

T = gguf.GGMLQuantizationType
RANGES = {"Q4_0": (-8, 7), "Q5_0": (-16, 15), "Q8_0": (-128, 127)}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A one-layer llama-style GGUF: F32 matrices, a norm, a Q8_0- and a BF16-stored matrix, a
    3-D (experts) tensor, a matrix whose rows (48) are no multiple of 32, an output matrix, and
    tokenizer metadata."""
    rng = np.random.default_rng(1)
    p = tmp_path_factory.mktemp("gguf") / "tiny.gguf"
    w = gguf.GGUFWriter(str(p), "llama")
    w.add_uint32("llama.block_count", 1)
    w.add_float32("llama.rope.freq_base", 10000.0)
    w.add_string("tokenizer.ggml.model", "llama")
    w.add_token_list([f"t{i}" for i in range(64)])
    w.add_array("tokenizer.ggml.scores", [float(-i) for i in range(64)])
    w.add_uint32("general.file_type", 0)
    tens = {"token_embd.weight": rng.normal(size=(64, 64)),
            "blk.0.attn_norm.weight": rng.normal(size=64),
            "blk.0.attn_q.weight": rng.standard_t(4, size=(96, 64)) * 0.05,
            "blk.0.ffn_down.weight": rng.normal(size=(64, 48)),
            "output.weight": rng.normal(size=(64, 64)) * 0.1}
    for name, a in tens.items():
        w.add_tensor(name, a.astype(np.float32))
    q8 = gguf_quantize(rng.normal(size=(32, 64)).astype(np.float32), T.Q8_0)
    w.add_tensor("blk.0.ffn_up.weight", q8, raw_dtype=T.Q8_0)
    bf = gguf_quantize(rng.normal(size=(32, 64)).astype(np.float32), T.BF16)
    w.add_tensor("blk.0.attn_k.weight", bf, raw_dtype=T.BF16)
    w.add_tensor("blk.0.ffn_gate_exps.weight", rng.normal(size=(2, 32, 64)).astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return p


def run(*args):
    """``laaciq quantize ARGS`` in this process (the command line's own entry point)."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = cli.main(["quantize", *map(str, args)])
    return types.SimpleNamespace(returncode=rc, stderr=err.getvalue(), stdout=out.getvalue())


def fields(reader):
    return {f.name: (f.types, f.contents()) for f in reader.fields.values()
            if not f.name.startswith("GGUF.")}


def check_blocks(x, raw, name, c=None):
    """gguf-py's values of our bytes are nearest grid points of the stored scales, and each
    block's error is at most that of gguf-py's reference quantizer."""
    lo, hi = RANGES[name]
    qt = T[name]
    x = np.asarray(x, np.float64).reshape(-1, 32)
    size = {"Q4_0": 18, "Q5_0": 22, "Q8_0": 34}[name]
    blocks = np.asarray(raw, np.uint8).reshape(-1, size)
    deq = gguf_dequantize(blocks.reshape(-1), qt).astype(np.float64).reshape(x.shape)
    d = blocks[:, :2].copy().view("<f2").astype(np.float64)
    safe = np.where(d == 0, 1.0, d)
    mine = np.clip(np.floor(x / safe + 0.5), lo, hi) * d
    assert np.all(np.abs(np.abs(x - deq) - np.abs(x - mine)) <= 1e-9 * np.abs(d))
    c = np.ones_like(x) if c is None else np.asarray(c, np.float64).reshape(x.shape)
    ref = gguf_dequantize(gguf_quantize(x.astype(np.float32), qt), qt).astype(np.float64)
    ours = (c * (x - deq) ** 2).sum(axis=1)
    theirs = (c * (x - ref.reshape(x.shape)) ** 2).sum(axis=1)
    assert np.all(ours <= theirs * (1 + 1e-12))


@pytest.mark.parametrize("name", ["Q4_0", "Q8_0", "Q5_0"])
def test_writes_a_gguf_gguf_py_reads(tiny, tmp_path, name):
    out = tmp_path / "out"
    r = run(tiny, "--format", f"gguf:{name}", "--out", out, "--token-embedding-type", "f32",
            "--quiet")
    assert r.returncode == 0, r.stderr
    src = gguf.GGUFReader(str(tiny))
    dst = gguf.GGUFReader(str(out / "model.gguf"))
    fin, fout = fields(src), fields(dst)
    ftype = {"Q4_0": 2, "Q8_0": 7, "Q5_0": 8}[name]
    assert fout.pop("general.file_type")[1] == ftype
    assert fout.pop("general.quantization_version")[1] == 2
    fin.pop("general.file_type")
    assert fin.keys() == fout.keys()
    for k in fin:
        assert fin[k][0] == fout[k][0] and fin[k][1] == fout[k][1], k
    s = {t.name: t for t in src.tensors}
    o = {t.name: t for t in dst.tensors}
    assert list(s) == list(o)
    expect = {"token_embd.weight": "F32", "blk.0.attn_norm.weight": "F32",
              "blk.0.attn_q.weight": name, "blk.0.ffn_down.weight": "F16",
              "blk.0.ffn_up.weight": name, "output.weight": name, "blk.0.attn_k.weight": name,
              "blk.0.ffn_gate_exps.weight": name}
    assert {k: t.tensor_type.name for k, t in o.items()} == expect
    for k in o:
        assert list(o[k].shape) == list(s[k].shape)
    for k in ("token_embd.weight", "blk.0.attn_norm.weight"):
        assert np.array_equal(np.asarray(o[k].data), np.asarray(s[k].data))
    if name == "Q8_0":      # already in the target type: copied, as llama-quantize does
        assert np.array_equal(np.asarray(o["blk.0.ffn_up.weight"].data),
                              np.asarray(s["blk.0.ffn_up.weight"].data))
    else:
        x = gguf_dequantize(s["blk.0.ffn_up.weight"].data, T.Q8_0)
        check_blocks(x, o["blk.0.ffn_up.weight"].data, name)
    for k in ("blk.0.attn_q.weight", "output.weight", "blk.0.ffn_gate_exps.weight"):
        check_blocks(s[k].data, o[k].data, name)
    check_blocks(gguf_dequantize(s["blk.0.attn_k.weight"].data, T.BF16),
                 o["blk.0.attn_k.weight"].data, name)
    assert np.array_equal(np.asarray(o["blk.0.ffn_down.weight"].data),
                          np.asarray(s["blk.0.ffn_down.weight"].data).astype(np.float16))
    doc = json.loads((out / "quantize.json").read_text())
    assert doc["format"] == f"gguf:{name}"
    assert {t["name"]: t["output"] for t in doc["tensors"]} == expect
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]      # no temporary left


def test_token_embedding_follows_the_format_by_default(tiny, tmp_path):
    out = tmp_path / "o"
    assert run(tiny, "--format", "gguf:Q4_0", "--out", out, "--quiet").returncode == 0
    o = {t.name: t for t in gguf.GGUFReader(str(out / "model.gguf")).tensors}
    assert o["token_embd.weight"].tensor_type == T.Q4_0
    out2 = tmp_path / "o2"
    assert run(tiny, "--format", "gguf:Q4_0", "--out", out2, "--quiet",
               "--token-embedding-type", "q8_0").returncode == 0
    o2 = {t.name: t for t in gguf.GGUFReader(str(out2 / "model.gguf")).tensors}
    assert o2["token_embd.weight"].tensor_type == T.Q8_0


def test_importances_weight_the_blocks(tiny, tmp_path):
    src = {t.name: t for t in gguf.GGUFReader(str(tiny)).tensors}
    rng = np.random.default_rng(4)
    imp = {"blk.0.attn_q.weight": rng.exponential(size=64).astype(np.float32) ** 3,
           "blk.0.ffn_gate_exps.weight": rng.exponential(size=(2, 64)).astype(np.float32)}
    doc = runs.quantize_gguf(tiny, tmp_path / "w", "gguf:Q4_0", importances=imp)
    o = {t.name: t for t in gguf.GGUFReader(str(tmp_path / "w" / "model.gguf")).tensors}
    x = np.asarray(src["blk.0.attn_q.weight"].data)
    c = np.broadcast_to(imp["blk.0.attn_q.weight"], x.shape)
    check_blocks(x, o["blk.0.attn_q.weight"].data, "Q4_0", c)
    x3 = np.asarray(src["blk.0.ffn_gate_exps.weight"].data)        # one vector per expert
    c3 = np.broadcast_to(imp["blk.0.ffn_gate_exps.weight"][:, None, :], x3.shape)
    check_blocks(x3, o["blk.0.ffn_gate_exps.weight"].data, "Q4_0", c3)
    rec = {t["name"]: t for t in doc["tensors"]}
    assert rec["blk.0.attn_q.weight"]["importance"] is True
    assert rec["output.weight"]["importance"] is False
    # the weighted optimum differs from the unweighted one somewhere
    runs.quantize_gguf(tiny, tmp_path / "u", "gguf:Q4_0")
    u = {t.name: t for t in gguf.GGUFReader(str(tmp_path / "u" / "model.gguf")).tensors}
    assert not np.array_equal(np.asarray(u["blk.0.attn_q.weight"].data),
                              np.asarray(o["blk.0.attn_q.weight"].data))


def test_llama_weighting_weighs_importances_by_the_value(tiny, tmp_path):
    """--weighting llama: each block is at least as good as gguf-py's reference under the
    weight importance·sqrt(σ²_row + x²) (σ² the row's mean square, in float32 as llama.cpp
    computes it), computed here from the definition; quantize.json names the weighting."""
    src = {t.name: t for t in gguf.GGUFReader(str(tiny)).tensors}
    imp = np.random.default_rng(5).exponential(size=64).astype(np.float32) ** 3
    doc = runs.quantize_gguf(tiny, tmp_path / "l", "gguf:Q4_0",
                             importances={"blk.0.attn_q.weight": imp}, value_weighted=True)
    assert doc["weighting"] == "llama"
    o = {t.name: t for t in gguf.GGUFReader(str(tmp_path / "l" / "model.gguf")).tensors}
    x = np.asarray(src["blk.0.attn_q.weight"].data, np.float32)
    sigma2 = np.mean(x * x, axis=1, keepdims=True, dtype=np.float32)
    c = imp[None, :] * np.sqrt(sigma2 + x * x)
    check_blocks(x, o["blk.0.attn_q.weight"].data, "Q4_0", c)
    plain = runs.quantize_gguf(tiny, tmp_path / "p", "gguf:Q4_0",
                               importances={"blk.0.attn_q.weight": imp})
    assert plain["weighting"] == "imatrix"
    p = {t.name: t for t in gguf.GGUFReader(str(tmp_path / "p" / "model.gguf")).tensors}
    assert not np.array_equal(np.asarray(p["blk.0.attn_q.weight"].data),
                              np.asarray(o["blk.0.attn_q.weight"].data))


def test_llama_weighting_needs_an_imatrix_and_a_block_format(tiny, tmp_path):
    for args in (("--format", "gguf:Q4_0", "--weighting", "llama"),
                 ("--weighting", "llama", "--per-channel", "0")):
        r = run(tiny, *args, "--out", tmp_path / "x")
        assert r.returncode == 2 and r.stderr.startswith("laaciq: error:"), r.stderr
        assert r.stderr.count("\n") == 1 and "--weighting" in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("imp", [{"blk.9.attn_q.weight": np.ones(64)},
                                 {"blk.0.attn_q.weight": np.ones(65)}])
def test_importances_of_another_model_are_refused(tiny, tmp_path, imp):
    with pytest.raises(LaaciqError, match="another model"):
        runs.quantize_gguf(tiny, tmp_path / "x", "gguf:Q4_0", importances=imp)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [("--format", "gguf:Q3_K"), ("--format", "gguf:Q4_0",
                                                               "--imatrix", "nope.dat"),
                                  ("--format", "gguf:Q4_0", "--group", "32"),
                                  ("--format", "gguf:Q4_0", "--token-embedding-type", "q2_k")])
def test_bad_input_is_one_line_exit_2_no_output(tiny, tmp_path, args):
    r = run(tiny, *args, "--out", tmp_path / "x")
    assert r.returncode == 2
    assert r.stderr.startswith("laaciq: error:") and r.stderr.count("\n") == 1, r.stderr
    assert list(tmp_path.iterdir()) == []


def test_non_gguf_input_is_refused(tmp_path):
    np.save(tmp_path / "w.npy", np.ones((4, 32), np.float32))
    r = run(tmp_path / "w.npy", "--format", "gguf:Q8_0", "--out", tmp_path / "x")
    assert r.returncode == 2 and "needs a .gguf input" in r.stderr
    assert not (tmp_path / "x").exists()


def test_command_line_entry_point(tiny, tmp_path):
    r = subprocess.run([sys.executable, "-m", "laaciq", "quantize", str(tiny), "--format",
                        "gguf:Q8_0", "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "gguf:Q8_0" in r.stdout and (tmp_path / "o" / "model.gguf").is_file()


def test_own_gguf_parser_matches_gguf_py(tiny):
    from laaciq.tensor import ggufout

    ours = ggufout._GGUF(str(tiny))
    ref = gguf.GGUFReader(str(tiny))
    assert [(k, vt, v) for k, vt, v, _ in ours.fields] == [
        (f.name, f.types[0], f.contents()) for f in ref.fields.values()
        if not f.name.startswith("GGUF.")]
    for a, b in zip(ours.tensors, ref.tensors, strict=True):
        assert (a.name, a.tensor_type, list(a.shape)) == (b.name, b.tensor_type, list(b.shape))
        assert a.data.shape == b.data.shape and np.array_equal(a.data, b.data)


def _gguf_bytes(kvs=b"", n_kv=0, tensors=b"", n_t=0) -> bytes:
    import struct
    return b"GGUF" + struct.pack("<IQQ", 3, n_t, n_kv) + kvs + tensors


def _kstr(s: bytes) -> bytes:
    import struct
    return struct.pack("<Q", len(s)) + s


@pytest.mark.parametrize("blob, why", [
    # 2^60 key/values in a 24-byte file: refused before any loop runs
    (_gguf_bytes(n_kv=1 << 60), "cannot fit"),
    (_gguf_bytes(n_t=1 << 60), "cannot fit"),
    # an array of 2^40 uint8 values, and of 2^40 strings
    (_gguf_bytes(_kstr(b"a.b") + (9).to_bytes(4, "little") + (0).to_bytes(4, "little")
                 + (1 << 40).to_bytes(8, "little"), 1), "cannot fit"),
    (_gguf_bytes(_kstr(b"a.b") + (9).to_bytes(4, "little") + (8).to_bytes(4, "little")
                 + (1 << 40).to_bytes(8, "little"), 1), "cannot fit"),
    # a string longer than the file, a key with an escape sequence, an unknown value type
    (_gguf_bytes((1 << 50).to_bytes(8, "little") + b"abc", 1), "cannot fit"),
    (_gguf_bytes(_kstr(b"general.\x1b[2Jname") + (8).to_bytes(4, "little") + _kstr(b"x"), 1),
     "control character"),
    (_gguf_bytes(_kstr(b"a.b") + (77).to_bytes(4, "little"), 1), "KeyError"),
    # a tensor whose data would lie past the end of the file, one with 9 dimensions
    (_gguf_bytes(_kstr(b"general.architecture") + (8).to_bytes(4, "little") + _kstr(b"llama"),
                 1, _kstr(b"w") + (2).to_bytes(4, "little") + (64).to_bytes(8, "little")
                 + (64).to_bytes(8, "little") + (0).to_bytes(4, "little")
                 + (0).to_bytes(8, "little"), 1), "does not fit the file"),
    (_gguf_bytes(tensors=_kstr(b"w") + (9).to_bytes(4, "little") + bytes(64), n_t=1),
     "9 dimensions"),
])
def test_hostile_gguf_metadata_is_one_error_line(tmp_path, blob, why):
    """Absurd counts and lengths, control characters and data past the end of the file: one
    error line naming the file and the problem, exit 2, nothing written, no large allocation."""
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(blob)
    r = run(bad, "--format", "gguf:Q4_0", "--out", tmp_path / "x")
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("laaciq: error:") and r.stderr.count("\n") == 1, r.stderr
    assert str(bad) in r.stderr and why in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.gguf"]
