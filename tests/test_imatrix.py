"""Importance matrices (laaciq.tensor.imatrix), name matching and ``clip``/``quantize
--imatrix`` (laaciq.tensor.calibrated): formats checked against readers written here (struct
level) and gguf-py's; the weighted thresholds against a brute force over every piece."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

from laaciq import cli
from laaciq.errors import LaaciqError
from laaciq.tensor import calibrated
from laaciq.tensor.imatrix import Imatrix, read_imatrix, write_imatrix, write_imatrix_dat
from laaciq.theory import quantizer

gguf = pytest.importorskip("gguf")


def _run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _one_error(rc, out, err, *msgs):
    assert rc == 2 and out == "", (rc, out, err)
    assert err.count("\n") == 1 and err.startswith("laaciq: error: "), err
    for m in msgs:
        assert m in err, (m, err)


def _sample(rng=None):
    rng = rng or np.random.default_rng(3)
    return Imatrix(sums={"blk.0.attn_q.weight": rng.uniform(0.1, 9, (1, 16)),
                         "blk.1.ffn_down.weight": rng.uniform(0, 3, (1, 12)),
                         "blk.2.ffn_up_exps.weight": rng.uniform(1, 2, (3, 8))},
                   counts={"blk.0.attn_q.weight": np.array([512.0]),
                           "blk.1.ffn_down.weight": np.array([1000.0]),
                           "blk.2.ffn_up_exps.weight": np.array([5.0, 7.0, 11.0])},
                   datasets=["calib-en.txt", "calib-hi.txt"], chunk_count=4, chunk_size=256)


# =============================================================================================
# formats


def test_gguf_written_is_llama_imatrix_layout(tmp_path):
    im = _sample()
    p = tmp_path / "imatrix.gguf"
    write_imatrix(p, im)
    r = gguf.GGUFReader(str(p))                                  # gguf-py's own reader
    f = r.fields
    assert bytes(f["general.type"].parts[-1]).decode() == "imatrix"
    assert [bytes(f["imatrix.datasets"].parts[i]).decode()
            for i in f["imatrix.datasets"].data] == ["calib-en.txt", "calib-hi.txt"]
    assert int(f["imatrix.chunk_count"].parts[-1][0]) == 4
    assert int(f["imatrix.chunk_size"].parts[-1][0]) == 256
    assert "general.architecture" not in f
    ts = {t.name: t for t in r.tensors}
    layers = [n.rsplit(".", 1)[0] for n in ts]
    assert list(ts) == [n + sfx for n in sorted(im.sums) for sfx in (".in_sum2", ".counts")]
    assert layers[::2] == sorted(set(layers))                     # as llama-imatrix orders them
    for name, s in im.sums.items():
        t, c = ts[name + ".in_sum2"], ts[name + ".counts"]
        assert t.tensor_type == gguf.GGMLQuantizationType.F32
        assert [int(d) for d in t.shape] == [s.shape[1], s.shape[0]]     # ggml: [ncols, nmat]
        assert [int(d) for d in c.shape] == [1, s.shape[0]]
        np.testing.assert_array_equal(np.asarray(t.data).reshape(-1), s.astype(np.float32).ravel())
        np.testing.assert_array_equal(np.asarray(c.data).reshape(-1), im.counts[name])
    back = read_imatrix(p)
    for name in im.sums:
        np.testing.assert_allclose(back.importance(name), im.sums[name] / im.counts[name][:, None],
                                   rtol=1e-6)
    assert (back.datasets, back.chunk_count, back.chunk_size) == (im.datasets, 4, 256)


def test_gguf_from_gguf_writer_with_in_sum_is_read(tmp_path):
    """A file laid out as a newer llama-imatrix writes it (with NAME.in_sum), made with gguf-py's
    writer here: sums / counts come back, in_sum is ignored."""
    p = tmp_path / "new.gguf"
    w = gguf.GGUFWriter(str(p), arch="x")
    w.add_string("general.type", "imatrix")
    w.add_array("imatrix.datasets", ["t.txt"])
    w.add_uint32("imatrix.chunk_count", 2)
    w.add_uint32("imatrix.chunk_size", 512)
    s2 = np.array([[4.0, 1.0, 9.0, 16.0]], dtype=np.float32)
    w.add_tensor("blk.0.attn_k.weight.counts", np.array([[1024.0]], dtype=np.float32))
    w.add_tensor("blk.0.attn_k.weight.in_sum", np.array([[2.0, -1.0, 3.0, 0.5]], np.float32))
    w.add_tensor("blk.0.attn_k.weight.in_sum2", s2)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    im = read_imatrix(p)
    assert im.names() == ["blk.0.attn_k.weight"]
    np.testing.assert_array_equal(im.importance("blk.0.attn_k.weight")[0], s2[0] / 1024.0)


def _dat_reader(raw: bytes):
    """The legacy layout, parsed here with struct: entries, then chunk count and dataset."""
    pos, out = 4, {}
    (n,) = struct.unpack_from("<i", raw, 0)
    for _ in range(n):
        (ln,) = struct.unpack_from("<i", raw, pos)
        name = raw[pos + 4:pos + 4 + ln].decode()
        ncall, nval = struct.unpack_from("<ii", raw, pos + 4 + ln)
        pos += 12 + ln
        out[name] = (ncall, np.frombuffer(raw, "<f4", nval, pos).copy())
        pos += 4 * nval
    chunks, ln = struct.unpack_from("<ii", raw, pos)
    return out, chunks, raw[pos + 8:pos + 8 + ln].decode(), pos + 8 + ln


def test_dat_round_trip_struct_level(tmp_path):
    im = _sample()
    del im.sums["blk.2.ffn_up_exps.weight"], im.counts["blk.2.ffn_up_exps.weight"]
    p = tmp_path / "imatrix.dat"
    write_imatrix_dat(p, im)
    raw = p.read_bytes()
    entries, chunks, dataset, end = _dat_reader(raw)
    assert end == len(raw) and chunks == 4 and dataset == "calib-hi.txt"
    for name, s in im.sums.items():
        ncall, vals = entries[name]
        count = im.counts[name][0]
        assert ncall == -(-int(count) // 256)                 # ceil(count / chunk_size)
        np.testing.assert_allclose(vals, (s[0] / count * ncall).astype(np.float32), rtol=1e-7)
    back = read_imatrix(p)
    for name in im.sums:
        np.testing.assert_allclose(back.importance(name), im.importance(name), rtol=1e-6)


def test_dat_written_like_llama_imatrix_is_read(tmp_path):
    """Bytes laid out here as save_imatrix_legacy writes them: the importance is value/ncall."""
    vals = np.array([0.5, 2.0, 8.0], dtype="<f4")
    name = b"blk.3.attn_output.weight"
    raw = struct.pack("<i", 1) + struct.pack("<i", len(name)) + name + struct.pack("<ii", 4, 3)
    raw += vals.tobytes() + struct.pack("<i", 4) + struct.pack("<i", 6) + b"wiki.t"
    p = tmp_path / "old.dat"
    p.write_bytes(raw)
    im = read_imatrix(p)
    np.testing.assert_array_equal(im.importance(name.decode())[0], vals.astype(np.float64) / 4)
    assert im.datasets == ["wiki.t"] and im.chunk_count == 4
    p.write_bytes(raw[:-14])                                  # the trailer is optional
    assert read_imatrix(p).names() == [name.decode()]


# =============================================================================================
# names


GEMMA = {"model.layers.{}.self_attn.q_proj.weight": "blk.{}.attn_q.weight",
         "model.layers.{}.self_attn.k_proj.weight": "blk.{}.attn_k.weight",
         "model.layers.{}.self_attn.v_proj.weight": "blk.{}.attn_v.weight",
         "model.layers.{}.self_attn.o_proj.weight": "blk.{}.attn_output.weight",
         "model.layers.{}.mlp.gate_proj.weight": "blk.{}.ffn_gate.weight",
         "model.layers.{}.mlp.up_proj.weight": "blk.{}.ffn_up.weight",
         "model.layers.{}.mlp.down_proj.weight": "blk.{}.ffn_down.weight",
         "model.embed_tokens.weight": "token_embd.weight"}


@pytest.mark.parametrize("hf,gg", sorted(GEMMA.items()))
def test_names_hf_and_gguf_meet(hf, gg):
    for i in (0, 17):
        assert calibrated.canonical_name(hf.format(i), 18) == gg.format(i)
        assert calibrated.canonical_name(gg.format(i), 18) == gg.format(i)
        assert calibrated.canonical_name("language_model." + hf.format(i), 18) == gg.format(i)


# =============================================================================================
# quantize --imatrix against a brute force


def brute_weighted(x, c, bits):
    """min over α of Σ c (x - Q_α(x))²: every piece between breakpoints |x|/(j+½) gives its
    codes' weighted vertex, evaluated with the quantizer (a rounding assignment's vertex is
    never worse than the assignment at any step, so the minimum is among these)."""
    a = np.abs(x)
    L = quantizer.levels(bits)
    bp = np.unique((a[:, None] / (np.arange(L) + 0.5)[None, :]).ravel())
    bp = bp[bp > 0]
    mids = np.r_[bp[0] / 2, np.sqrt(bp[:-1] * bp[1:]), 2 * bp[-1]]
    k = np.minimum(np.floor(a[None, :] / mids[:, None] + 0.5), L)
    s1, s2 = (c * k * a).sum(1), (c * k * k).sum(1)
    st = s1[s2 > 0] / s2[s2 > 0]
    return min((float(np.sum(c * (x - quantizer.quantize(x, s * L, bits)) ** 2)), s * L)
               for s in st)


@pytest.fixture
def hf_ckpt(tmp_path):
    rng = np.random.default_rng(11)
    sd = {"model.layers.0.self_attn.q_proj.weight": rng.standard_t(3, (6, 24)).astype(np.float32),
          "model.layers.0.mlp.down_proj.weight": rng.laplace(size=(5, 16)).astype(np.float32),
          "model.layers.0.input_layernorm.weight": np.ones(24, np.float32)}
    save_file(sd, str(tmp_path / "model.safetensors"))
    c = rng.lognormal(0, 1.5, 24)
    c[:3] = 0.0                                   # dead columns: weight 0
    im = Imatrix(sums={"blk.0.attn_q.weight": (c * 300)[None, :]},
                 counts={"blk.0.attn_q.weight": np.array([300.0])}, datasets=["t"],
                 chunk_count=1, chunk_size=300)
    write_imatrix(tmp_path / "im.gguf", im)
    return tmp_path, sd, c


@pytest.mark.parametrize("gran", [("--per-channel", "0"), ("--group", "8")])
def test_quantize_imatrix_is_the_weighted_optimum(hf_ckpt, capsys, gran):
    d, sd, c = hf_ckpt
    out = d / "q"
    rc, o, err = _run(capsys, "quantize", d / "model.safetensors", "--imatrix", d / "im.gguf",
                      *gran, "--out", out, "--jobs", "1", "--format", "json")
    assert rc == 0, err
    doc = json.loads(o)
    assert doc["objective"] == "weighted"
    assert doc["calibrated"] == ["model.layers.0.self_attn.q_proj.weight"]
    assert doc["unweighted_fallback"] == ["model.layers.0.mlp.down_proj.weight"]
    with safe_open(str(out / "model.safetensors"), framework="np") as f:
        q = {k: f.get_tensor(k) for k in f.keys()}
    with safe_open(str(out / "thresholds.safetensors"), framework="np") as f:
        alpha = {k: f.get_tensor(k).reshape(sd[k].shape[0], -1) for k in f.keys()}

    def err(name, i, g0, G, cw):
        """the weighted error at the written threshold (float64), after checking the written
        weights are that threshold's grid points (rounded once to float32)"""
        x = sd[name][i, g0:g0 + G].astype(np.float64)
        qx = quantizer.quantize(x, float(alpha[name][i, g0 // G]), 4)
        np.testing.assert_array_equal(q[name][i, g0:g0 + G], qx.astype(np.float32))
        return float(np.sum(cw * (x - qx) ** 2))
    name = "model.layers.0.self_attn.q_proj.weight"
    W = sd[name].astype(np.float64)
    G = W.shape[1] if gran[0] == "--per-channel" else int(gran[1])
    better = 0
    for i in range(W.shape[0]):
        for g0 in range(0, W.shape[1], G):
            x, cw = W[i, g0:g0 + G], c[g0:g0 + G]
            got = err(name, i, g0, G, cw)
            best = brute_weighted(x, cw, 4)[0]
            assert best * (1 - 1e-9) - 1e-12 <= got <= best * (1 + 1e-9) + 1e-12, (i, g0)
            # the unweighted optimum is worse on this objective for some slices
            a_true = brute_weighted(x, np.ones_like(x), 4)[1]
            better += float(np.sum(cw * (x - quantizer.quantize(x, a_true, 4)) ** 2)) > \
                got * (1 + 1e-6)
    assert better > 0
    # the tensor without data: the unweighted optimum, per slice, against its brute force
    name = "model.layers.0.mlp.down_proj.weight"
    W = sd[name].astype(np.float64)
    G = W.shape[1] if gran[0] == "--per-channel" else int(gran[1])
    for i in range(W.shape[0]):
        for g0 in range(0, W.shape[1], G):
            x = W[i, g0:g0 + G]
            got = err(name, i, g0, G, np.ones(G))
            best = brute_weighted(x, np.ones_like(x), 4)[0]
            assert best * (1 - 1e-9) - 1e-12 <= got <= best * (1 + 1e-9) + 1e-12


def test_uniform_importance_gives_the_true_optimum(tmp_path, capsys):
    rng = np.random.default_rng(5)
    W = rng.standard_t(4, (4, 32)).astype(np.float32)
    save_file({"blk.0.ffn_up.weight": W}, str(tmp_path / "m.safetensors"))
    write_imatrix(tmp_path / "u.gguf", Imatrix(
        sums={"blk.0.ffn_up.weight": np.full((1, 32), 6.0)},
        counts={"blk.0.ffn_up.weight": np.array([3.0])}, datasets=["u"], chunk_count=1,
        chunk_size=3))
    rc, o, err = _run(capsys, "clip", tmp_path / "m.safetensors", "--imatrix",
                      tmp_path / "u.gguf", "--per-channel", "0", "--format", "json", "--jobs", "1")
    assert rc == 0, err
    m = json.loads(o)["tensors"][0]["methods"]
    # a constant weight does not move the minimizer: same true MSE as the unweighted optimum
    ref = m["exact-true"]["mse"]
    assert abs(m["exact-weighted"]["mse"] - ref) <= 1e-12 * ref
    assert m["exact-weighted"]["weighted_mse"] == pytest.approx(2 * m["exact-weighted"]["mse"])


# =============================================================================================
# bad input: one error line, exit 2, nothing written


def _imatrix_with(tmp_path, sums, counts=None, name="blk.0.attn_q.weight", meta=True):
    p = tmp_path / "bad.gguf"
    w = gguf.GGUFWriter(str(p), arch="x")
    w.add_string("general.type", "imatrix")
    if meta:
        w.add_array("imatrix.datasets", ["t.txt"])
        w.add_uint32("imatrix.chunk_count", 1)
        w.add_uint32("imatrix.chunk_size", 8)
    w.add_tensor(name + ".in_sum2", np.asarray(sums, dtype=np.float32).reshape(1, -1))
    if counts is not None:
        w.add_tensor(name + ".counts", np.array([[counts]], dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return p


BAD = {
    "nan": (dict(sums=[1.0] * 23 + [np.nan], counts=8.0), "non-finite"),
    "negative": (dict(sums=[1.0] * 23 + [-2.0], counts=8.0), "negative"),
    "all zero": (dict(sums=[0.0] * 24, counts=8.0), "every importance is zero"),
    "zero count": (dict(sums=[1.0] * 24, counts=0.0), "counts must be finite and > 0"),
    "no counts": (dict(sums=[1.0] * 24), "has no .counts"),
    "no metadata": (dict(sums=[1.0] * 24, counts=8.0, meta=False), "'imatrix.datasets'"),
    "wrong size": (dict(sums=[1.0] * 20, counts=8.0), "20 importances"),
    "no such tensor": (dict(sums=[1.0] * 24, counts=8.0, name="blk.7.attn_q.weight"),
                       "matches no tensor"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_imatrix_is_one_error_line(hf_ckpt, capsys, case):
    d, _, _ = hf_ckpt
    kw, msg = BAD[case]
    p = _imatrix_with(d, **kw)
    out = d / "q"
    rc, o, err = _run(capsys, "quantize", d / "model.safetensors", "--imatrix", p,
                      "--per-channel", "0", "--out", out, "--jobs", "1")
    _one_error(rc, o, err, msg, str(p))
    assert not out.exists() and not list(d.glob(".q.tmp-*"))


@pytest.mark.parametrize("raw,msg", [(b"", "truncated"), (b"\x02\x00\x00\x00\x05\x00\x00\x00ab",
                                                        "truncated"),
                                     (b"\xff\xff\xff\x7f", "not an importance matrix")])
def test_bad_dat_is_one_error_line(tmp_path, raw, msg):
    p = tmp_path / "x.dat"
    p.write_bytes(raw)
    with pytest.raises(LaaciqError, match=msg):
        read_imatrix(p)


@pytest.mark.parametrize("args,msg", [
    (["--objective", "weighted"], "needs --imatrix"),
    (["--imatrix", "IM", "--objective", "banner"], "need --objective weighted or output"),
    (["--objective", "output"], "needs --hessian"),
    (["--imatrix", "NOPE"], "no such importance-matrix file"),
])
def test_bad_options_are_one_error_line(hf_ckpt, capsys, args, msg):
    d, _, _ = hf_ckpt
    args = [str(d / "im.gguf") if a == "IM" else str(d / "nope") if a == "NOPE" else a
            for a in args]
    rc, o, err = _run(capsys, "quantize", d / "model.safetensors", *args, "--per-channel", "0",
                      "--out", d / "q")
    _one_error(rc, o, err, msg)
    assert not (d / "q").exists()


def _has_output_solver():
    try:
        calibrated.require_output_solver()
        return True
    except LaaciqError:
        return False


def test_output_objective_checks_H(hf_ckpt, capsys):
    d, sd, _ = hf_ckpt
    X = np.random.default_rng(2).standard_normal((50, 24))
    cases = [({"blk.0.attn_q.weight": X.T @ X + np.triu(np.ones((24, 24)), 1),
               "blk.0.attn_q.weight.count": np.array(50.0)}, "is not symmetric"),
             ({"blk.0.attn_q.weight": X[:, :20].T @ X[:, :20],
               "blk.0.attn_q.weight.count": np.array(50.0)}, "has 24 input columns"),
             ({"blk.0.attn_q.weight": X.T @ X}, "no positive blk.0.attn_q.weight.count")]
    for tensors, msg in cases:
        save_file(tensors, str(d / "H.safetensors"))
        rc, o, err = _run(capsys, "quantize", d / "model.safetensors", "--hessian",
                          d / "H.safetensors", "--per-channel", "0", "--out", d / "q")
        _one_error(rc, o, err, msg, str(d / "H.safetensors"))
        assert not (d / "q").exists()


@pytest.mark.parametrize("gran", [("--per-channel", "0"), ("--group", "8")])
def test_output_objective_beats_every_grid_threshold(hf_ckpt, capsys, gran):
    """With the layer-output solver: the written weights' (w-q)ᵀH(w-q) (H damped as stated)
    is at most the value at each of 4,001 thresholds with the quantizer's own rounding (the
    solver minimizes over every step and the nearest codes). Without it: one error line."""
    d, sd, _ = hf_ckpt
    name = "model.layers.0.self_attn.q_proj.weight"
    X = np.random.default_rng(2).standard_normal((50, 24)) * np.linspace(0.2, 3, 24)
    save_file({"blk.0.attn_q.weight": X.T @ X, "blk.0.attn_q.weight.count": np.array(50.0)},
              str(d / "H.safetensors"))
    rc, o, err = _run(capsys, "quantize", d / "model.safetensors", "--hessian",
                      d / "H.safetensors", *gran, "--out", d / "q", "--jobs", "1")
    if not _has_output_solver():
        _one_error(rc, o, err, "not available in this build")
        assert not (d / "q").exists()
        return
    assert rc == 0, err
    with safe_open(str(d / "q" / "model.safetensors"), framework="np") as f:
        q = f.get_tensor(name).astype(np.float64)
    H = X.T @ X / 50
    H = H + calibrated.DAMP * np.mean(np.diag(H)) * np.eye(24)
    W = sd[name].astype(np.float64)
    G = 24 if gran[0] == "--per-channel" else 8
    for i in range(W.shape[0]):
        for g0 in range(0, 24, G):
            w, Hb = W[i, g0:g0 + G], H[g0:g0 + G, g0:g0 + G]
            e = w - q[i, g0:g0 + G]
            got = e @ Hb @ e
            for a in np.linspace(0.05, 1.3, 4001) * np.abs(w).max():
                r = w - quantizer.quantize(w, a, 4)
                assert got <= (r @ Hb @ r) * (1 + 1e-6) + 1e-9, (i, g0, a)


def test_hf_named_imatrix_meets_gguf_named_checkpoint(tmp_path, capsys):
    rng = np.random.default_rng(9)
    save_file({"blk.2.ffn_down.weight": rng.standard_normal((4, 8)).astype(np.float32),
               "blk.2.attn_q.weight": rng.standard_normal((4, 8)).astype(np.float32)},
              str(tmp_path / "m.safetensors"))
    write_imatrix(tmp_path / "hf.gguf", Imatrix(
        sums={"model.layers.2.mlp.down_proj.weight": rng.uniform(1, 2, (1, 8))},
        counts={"model.layers.2.mlp.down_proj.weight": np.array([4.0])}, datasets=["d"],
        chunk_count=1, chunk_size=4))
    rc, o, err = _run(capsys, "clip", tmp_path / "m.safetensors", "--imatrix",
                      tmp_path / "hf.gguf", "--format", "json", "--jobs", "1")
    assert rc == 0, err
    doc = json.loads(o)
    assert doc["calibrated"] == ["blk.2.ffn_down.weight"]
    assert doc["unweighted_fallback"] == ["blk.2.attn_q.weight"]


def test_experts_get_their_own_importance_row(tmp_path, capsys):
    """A 3-D (experts, out, in) weight: expert e's values are weighted by row e of the
    imatrix; per group, every (expert, row, group) slice is the brute-force optimum."""
    rng = np.random.default_rng(4)
    W = rng.standard_t(3, (3, 2, 8)).astype(np.float32)
    C = rng.lognormal(0, 1, (3, 8))
    save_file({"blk.0.ffn_up_exps.weight": W}, str(tmp_path / "m.safetensors"))
    write_imatrix(tmp_path / "e.gguf", Imatrix(
        sums={"blk.0.ffn_up_exps.weight": C * 10}, counts={"blk.0.ffn_up_exps.weight":
                                                          np.full(3, 10.0)},
        datasets=["d"], chunk_count=1, chunk_size=10))
    out = tmp_path / "q"
    rc, o, err = _run(capsys, "quantize", tmp_path / "m.safetensors", "--imatrix",
                      tmp_path / "e.gguf", "--group", "4", "--out", out, "--jobs", "1")
    assert rc == 0, err
    with safe_open(str(out / "thresholds.safetensors"), framework="np") as f:
        al = f.get_tensor("blk.0.ffn_up_exps.weight")
    assert al.shape == (3, 2, 2)
    for e in range(3):
        for r in range(2):
            for g in range(2):
                x = W[e, r, 4 * g:4 * g + 4].astype(np.float64)
                c = C[e, 4 * g:4 * g + 4]
                got = float(np.sum(c * (x - quantizer.quantize(x, float(al[e, r, g]), 4)) ** 2))
                best = brute_weighted(x, c, 4)[0]
                assert best * (1 - 1e-9) - 1e-12 <= got <= best * (1 + 1e-9) + 1e-12
