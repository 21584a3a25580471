"""The calibration-free peers and the bits-per-character cross-check, without the model:
bits-per-weight accounting against counts written here, laaciq's equal-bpw group against an
enumeration in exact fractions, laaciq's Q4_0 weights against gguf-py's reference quantizer,
llama.cpp's chunk layout, character counts, the bits-per-character conversion and the
comparisons on made-up numbers, the peers' skip path and the command's bad input. HQQ and quanto
run on one small matrix when installed (the `peers` extra), else those tests skip. ~3 s."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest

from laaciq.errors import LaaciqError
from laaciq.lm import peers as pr
from laaciq.lm import peers_eval as pe

RNG = np.random.default_rng(7)


# ---------------------------------------------------------------- bits per weight


def test_storage_bits_counts_elements_times_dtype_width():
    a = np.zeros((3, 5), dtype=np.float16)
    b = np.zeros(7, dtype=np.uint8)
    assert pr.storage_bits(a, b) == 3 * 5 * 16 + 7 * 8
    torch = pytest.importorskip("torch")
    t = torch.zeros(4, 6, dtype=torch.float32)
    assert pr.storage_bits(t, a) == 4 * 6 * 32 + 15 * 16


def test_laaciq_q4_bits_are_q4_0_bytes():
    """18 bytes per block of 32 (fp16 scale + 16 bytes of nibbles): 4.5 bits per weight."""
    w = RNG.standard_normal((8, 64)).astype(np.float32)
    deq, bits = pr.quantize_laaciq(w)
    assert bits == (w.size // 32) * 18 * 8
    assert Fraction(bits, w.size) == Fraction(9, 2)
    assert deq.shape == w.shape and deq.dtype == np.float32


def test_laaciq_q4_blocks_on_grid_and_not_worse_than_reference():
    """Every block of laaciq's weights lies on {k·d : k = −8…7} for one fp16 d, and no block's
    squared error exceeds gguf-py's reference Q4_0 quantizer's."""
    gguf = pytest.importorskip("gguf")
    from gguf.quants import dequantize, quantize

    w = (RNG.standard_t(4, size=(16, 128)) * 0.02).astype(np.float32)
    deq, _ = pr.quantize_laaciq(w)
    ref = dequantize(quantize(w, gguf.GGMLQuantizationType.Q4_0),
                     gguf.GGMLQuantizationType.Q4_0)
    for blk, r, x in zip(deq.reshape(-1, 32), ref.reshape(-1, 32), w.reshape(-1, 32)):
        assert _on_q4_grid(blk)
        err = float(np.sum((x.astype(np.float64) - blk) ** 2))
        err_ref = float(np.sum((x.astype(np.float64) - r) ** 2))
        assert err <= err_ref * (1 + 1e-6) + 1e-18


def _on_q4_grid(blk) -> bool:
    """Some fp16 d makes every value k·d with an integer k in −8…7 (d is the largest value
    over its code, so it is among v/k for the largest |v|)."""
    if not np.any(blk):
        return True
    v = float(blk[np.argmax(np.abs(blk))])
    for k in [k for k in range(-8, 8) if k]:
        d = v / k
        if float(np.float16(d)) != d:
            continue
        c = blk.astype(np.float64) / d
        if np.allclose(c, np.round(c), atol=1e-9, rtol=0) and -8 <= c.round().min() \
                and c.round().max() <= 7:
            return True
    return False


def _bpw(g, bits=4, scale=16):
    return Fraction(bits) + Fraction(scale, g)


@pytest.mark.parametrize("peer", [Fraction(9, 2), Fraction(17, 4), Fraction(43, 10),
                                  Fraction(33, 8), Fraction(4), Fraction(5)])
def test_equal_bpw_group_is_the_largest_bpw_not_above_the_peer(peer):
    groups = (32, 64, 128, 256)
    got = pr.equal_bpw_group(float(peer), groups)
    feasible = [g for g in groups if _bpw(g) <= peer]
    if not feasible:
        assert got is None
        return
    best = max(feasible, key=_bpw)
    assert got == best and _bpw(got) <= peer
    # no other group gives more bits while staying at or below the peer
    assert all(_bpw(g) <= _bpw(got) for g in feasible)


def test_equal_bpw_group_examples():
    assert pr.equal_bpw_group(4 + 2 * 16 / 64) == 32          # HQQ g64, fp16 scale + zero
    assert pr.equal_bpw_group(4 + 2 * 32 / 128) == 32         # quanto g128, fp32 scale + shift
    assert pr.equal_bpw_group(4 + 2 * 16 / 128) is None       # quanto in bf16: 4.25 < 4.5
    assert pr.laaciq_bpw(32) == 4.5


# ---------------------------------------------------------------- the peers themselves


def _distinct_per_group(deq, g):
    return max(len(np.unique(row)) for row in deq.reshape(-1, g))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # torch.jit, imported by hqq
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_hqq_bits_and_grid():
    pytest.importorskip("hqq", reason="the peers extra is not installed")
    w = (RNG.standard_normal((32, 256)) * 0.02).astype(np.float32)
    deq, bits = pr.quantize_hqq(w)
    n = w.size
    assert bits == 4 * n + 2 * 16 * (n // 64)                 # codes + fp16 scale + fp16 zero
    assert pr.bits_per_weight(bits, n) == 4.5
    assert deq.shape == w.shape and _distinct_per_group(deq, 64) <= 16
    assert float(np.mean((deq - w) ** 2)) < 0.02 * float(np.mean(w ** 2))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_quanto_bits_and_grid():
    pytest.importorskip("optimum.quanto", reason="the peers extra is not installed")
    w = (RNG.standard_normal((32, 256)) * 0.02).astype(np.float32)
    deq, bits = pr.quantize_quanto(w)
    n = w.size
    assert bits == 4 * n + 2 * 32 * (n // 128)                # codes + fp32 scale + fp32 shift
    assert pr.bits_per_weight(bits, n) == 4.5
    assert deq.shape == w.shape and _distinct_per_group(deq, 128) <= 16
    assert float(np.mean((deq - w) ** 2)) < 0.05 * float(np.mean(w ** 2))


def test_skip_path_names_the_extra(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("hqq", "optimum.quanto")
                        else real(name, *a))
    missing = pr.peers_missing()
    assert set(missing) == set(pr.PEERS)
    assert all("'.[peers]'" in v for v in missing.values())


def test_quantize_all_runs_our_side_and_accounts():
    ws = {0: RNG.standard_normal((4, 64)).astype(np.float32),
          3: RNG.standard_normal((2, 96)).astype(np.float32)}
    out, meta = pr.quantize_all("laaciq-q4-g32", ws)
    assert set(out) == {0, 3} and meta["weights"] == 4 * 64 + 2 * 96
    assert meta["bits"] == (4 * 64 + 2 * 96) // 32 * 18 * 8 and meta["bpw"] == 4.5
    num = sum(float(np.sum((out[i].astype(np.float64) - ws[i]) ** 2)) for i in ws)
    den = sum(float(np.sum(ws[i].astype(np.float64) ** 2)) for i in ws)
    assert meta["rel_weight_error"] == pytest.approx(num / den)


# ---------------------------------------------------------------- segments, characters, bpc


def test_chunks_as_llama_perplexity_cuts_them():
    ids = list(range(100, 140))
    got = pe.chunk_segments(ids, bos=2, ctx=8, n=3)
    stream = [2] + ids                                        # BOS prepended by tokenization
    for i, seg in enumerate(got):
        want = stream[i * 8:(i + 1) * 8]
        want[0] = 2                                           # first token of a chunk -> BOS
        assert seg == want
    with pytest.raises(LaaciqError):
        pe.chunk_segments(ids, bos=2, ctx=8, n=6)


class _Tok:
    """A toy vocabulary: 0 BOS (control), 1 '▁a', 2 'é' (one token), bytes of 'ü' as two byte
    tokens, 5 'b'."""
    tokens = ["<bos>", "\u2581a", "é", "<0xC3>", "<0xBC>", "b"]
    types = [3, 1, 1, 6, 6, 1]


def test_character_counts_match_the_decoded_text():
    cc = pe.CharCounter(_Tok())
    assert cc([0, 1, 2, 3, 4, 5]) == len(" aéüb")
    assert cc([3]) == 1 and cc([4]) == 0                       # 'ü' counts where it starts
    assert cc([]) == 0


def test_bits_per_char_conversion_on_made_up_numbers():
    # 127 scored tokens at perplexity e^2 over 500 characters: 127·2 nats = 254/ln 2 bits
    assert pr.llama_bits_per_char(127, math.exp(2.0), 500) == pytest.approx(254 / math.log(2)
                                                                             / 500)
    assert pr.bits_per_char(254.0, 500) == pytest.approx(pr.llama_bits_per_char(
        127, math.exp(2.0), 500))
    with pytest.raises(ValueError):
        pr.bits_per_char(1.0, 0)


def _scores(nll_half, chars_half, nll_all=None):
    n = len(nll_half)
    return {"nll_half": list(nll_half), "n_half": [3] * n, "chars_half": list(chars_half),
            "nll_all": list(nll_all or nll_half), "n_all": [7] * n,
            "chars_all": [2 * c for c in chars_half]}


def test_crosscheck_on_made_up_numbers():
    ctx = 8                                                   # 3 scored tokens per chunk
    # llama.cpp: per-chunk mean NLL; the probe: per-chunk sums over the same 3 tokens
    llama_base = {"en": [1.0, 1.2], "hi": [0.8, 0.9]}
    llama = {"A": {"en": [1.1, 1.3], "hi": [1.0, 1.1]}, "B": {"en": [1.2, 1.5], "hi": [0.9, 1.0]}}
    chars = {"en": [10, 12], "hi": [6, 7]}
    shift = {"f32": 0.03, "A": 0.06, "B": 0.0}               # probe nats per token above llama
    def probe_of(by, s):
        return {l: _scores([3 * (v + s) for v in by[l]], chars[l]) for l in by}
    probe = {m: probe_of(llama[m], shift[m]) for m in llama}
    doc = pe.crosscheck_doc(llama, llama_base, probe, probe_of(llama_base, shift["f32"]), ctx)
    ln2 = math.log(2)
    for m, by in [("f32", llama_base), *llama.items()]:
        for l in by:
            want = 3 * sum(by[l]) / (ln2 * sum(chars[l]))
            row = doc["per_language"][m][l]
            assert row["llama_bpc"] == pytest.approx(want)
            assert row["probe_bpc"] - row["llama_bpc"] == pytest.approx(
                3 * 2 * shift[m] / (ln2 * sum(chars[l])))
    # A vs B: llama.cpp says A better in hi, worse in en; the probe's shift of A flips nothing
    # in en (A still worse) and in hi (A: 1.05+0.06 vs 0.95): A worse in both for the probe
    gap_l = {l: doc["per_language"]["A"][l]["llama_bpc"] - doc["per_language"]["B"][l][
        "llama_bpc"] for l in chars}
    gap_p = {l: doc["per_language"]["A"][l]["probe_bpc"] - doc["per_language"]["B"][l][
        "probe_bpc"] for l in chars}
    agree = sum((gap_l[l] > 0) == (gap_p[l] > 0) for l in chars)
    assert doc["same_ranking_languages"] == agree
    assert doc["gap"]["llama_bpc"] == pytest.approx(np.mean(list(gap_l.values())))
    assert doc["same_ranking_pooled"] == ((np.mean(list(gap_l.values())) > 0) ==
                                          (np.mean(list(gap_p.values())) > 0))


def test_peer_comparison_verdicts_on_made_up_numbers():
    cfg = pe.PeersConfig(languages=("en", "hi"), bootstrap=2000)
    base = [2.0, 2.4, 1.8, 2.2]
    mk = lambda d: {l: _scores([7 * (b + d[l]) for b in base], [5] * 4,  # noqa: E731
                               [7 * (b + d[l]) for b in base]) for l in ("en", "hi")}
    scores = {"laaciq-q4-g32": mk({"en": 0.0, "hi": 0.0}),
              "worse-peer": mk({"en": 0.1, "hi": 0.2}),
              "same-peer": mk({"en": 0.0, "hi": 0.0})}
    c = pe.peer_comparisons(scores, cfg)
    w = c["laaciq-q4-g32-vs-worse-peer"]
    assert w["counts"] == {"ahead": 2, "tie": 0, "behind": 0}
    assert w["pooled"]["dnll"] == pytest.approx(-0.15) and w["pooled"]["verdict"] == "ahead"
    s = c["laaciq-q4-g32-vs-same-peer"]
    assert s["counts"]["tie"] == 2 and s["pooled"]["verdict"] == "tie"


# ---------------------------------------------------------------- command and the json


def test_bad_arguments_one_error_line(capsys, tmp_path):
    out = tmp_path / "compare.json"
    assert pe.main(["--languages", "xx", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("laaciq: error:")
    assert not out.exists()


def test_merge_keeps_the_comparison_and_refuses_bad_json(tmp_path):
    out = tmp_path / "compare.json"
    out.write_text(json.dumps({"results": {"x": 1}, "peers": {"old": 1}}))
    doc = pe.merge_into(out, {"new": 2})
    assert doc == {"results": {"x": 1}, "peers": {"new": 2}}
    out.write_text("{not json")
    with pytest.raises(LaaciqError):
        pe.merge_into(out, {})


def test_compare_rewrite_keeps_the_peers_section(tmp_path):
    from laaciq.lm import compare as cp

    out = tmp_path / "compare.json"
    out.write_text(json.dumps({"results": {}, "peers": {"methods": {"hqq-g64": {}}}}))
    doc = {"results": {"new": True}}
    cp._keep_peers(doc, out)
    assert doc["peers"] == {"methods": {"hqq-g64": {}}}
    doc2 = {"results": {}}
    cp._keep_peers(doc2, tmp_path / "absent.json")
    assert "peers" not in doc2
