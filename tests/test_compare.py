"""The head-to-head's parts that run without llama.cpp: the parser of llama-perplexity's output
(on captured real output), the paired bootstrap (on made-up numbers whose answer is known), the
decision rules' verdicts and the per-language text helpers. ~2 s."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from laaciq.errors import LaaciqError
from laaciq.lm import compare_analysis as ca
from laaciq.lm import llamacpp
from laaciq.lm.paired import bonferroni, bootstrap, mean_diff, ppl_increase, stratified

FIX = Path(__file__).parent / "fixtures" / "llamacpp"


# ---------------------------------------------------------------- parser, on real output


def _running(values):
    """Running means, as llama-perplexity prints them per chunk."""
    return [sum(values[:k]) / k for k in range(1, len(values) + 1)]


def test_per_chunk_inverts_running_means():
    v = [0.31, 0.02, 1.7, 0.4, 0.05, 0.9, 0.33, 0.12]
    printed = [round(m, 5) for m in _running(v)]           # 5 decimals, as printed
    got = llamacpp._per_chunk(printed)
    # each recovered value carries at most (2k - 1) half-units of the last printed digit
    for k, (a, b) in enumerate(zip(got, v), start=1):
        assert abs(a - b) <= (2 * k - 1) * 0.5e-5 + 1e-12


def test_parse_kld_output_on_captured_run():
    text = (FIX / "kld-sample.txt").read_text(encoding="utf-8")
    r = llamacpp.parse_kld_output(text)
    # the rows as printed, read here independently by splitting on whitespace
    rows = [ln.replace("±", " ").replace("%", " ").split() for ln in text.splitlines()
            if ln[:4].strip().isdigit() and "±" in ln]
    n = len(rows)
    assert r["chunks"] == n >= 2
    kld_run = [float(x[5]) for x in rows]
    # the per-chunk values average back to the printed running means
    for k in range(1, n + 1):
        assert abs(sum(r["kld"][:k]) / k - kld_run[k - 1]) < 1e-9
        ppl_k = math.exp(sum(r["nll"][:k]) / k)
        assert abs(ppl_k - float(rows[k - 1][1])) < 1e-6 * ppl_k
    # and the last running mean is the summary's mean up to its printed digits
    assert abs(kld_run[-1] - r["kld_mean"]) <= 0.5e-5 + 0.5e-6
    assert all(k >= 0 for k in r["kld"])


def test_parse_ppl_output_on_captured_run():
    text = (FIX / "ppl-base-sample.txt").read_text(encoding="utf-8")
    r = llamacpp.parse_ppl_output(text)
    line = next(ln for ln in text.splitlines() if ln.startswith("[1]"))
    printed = [float(item.split("]")[1]) for item in line.rstrip(",").split(",")]
    assert r["chunks"] == len(printed) >= 2
    for k in range(1, len(printed) + 1):       # per-chunk values average back to the print
        assert abs(math.exp(sum(r["nll"][:k]) / k) - printed[k - 1]) < 1e-6 * printed[k - 1]
    assert r["ppl"] == printed[-1]


@pytest.mark.parametrize("text", ["", "[1]12.3,[3]11.0,\nFinal estimate: PPL = 11 +/- 1",
                                  "chunk PPL\n   1  10.0 ± 1.0  0.1 ± 0.1\n"])
def test_parse_rejects_incomplete_output(text):
    with pytest.raises(LaaciqError):
        llamacpp.parse_ppl_output(text)
    with pytest.raises(LaaciqError):
        llamacpp.parse_kld_output(text)


# ---------------------------------------------------------------- paired bootstrap


def test_paired_difference_ignores_shared_chunk_variance():
    rng = np.random.default_rng(1)
    x = rng.lognormal(0, 2, size=8)                      # chunks that differ wildly
    r = bootstrap(mean_diff, [x + 0.125, x], B=2000)
    assert r["value"] == pytest.approx(0.125) and r["ci"] == pytest.approx([0.125, 0.125])
    # unpaired, the same numbers give a wide interval
    u = bootstrap(lambda a: a.mean(axis=-1), [x + 0.125], B=2000)
    assert u["ci"][1] - u["ci"][0] > 0.5


def test_bootstrap_percentiles_match_the_exact_resampling_distribution():
    d = np.array([0.0, 1.0, 5.0])
    # exact: all 27 equally likely resamples of 3 chunks
    means = sorted(sum(c) / 3 for c in itertools.product(d, repeat=3))
    cdf = lambda t: sum(m <= t + 1e-12 for m in means) / 27
    r = bootstrap(mean_diff, [d, np.zeros(3)], B=200000, seed=3)
    lo, hi = r["ci"]
    assert r["value"] == pytest.approx(2.0)
    assert cdf(lo) >= 0.025 - 0.005 and cdf(lo - 1e-9) <= 0.025 + 0.005
    assert 1 - cdf(hi - 1e-9) >= 0.025 - 0.005 and 1 - cdf(hi) <= 0.025 + 0.005


def test_stratified_pools_languages_and_ppl_increase():
    a = [np.full(8, 0.3), np.full(5, 0.1)]
    r = stratified(mean_diff, [[x, np.zeros_like(x)] for x in a], B=500)
    assert r["value"] == pytest.approx(0.2) and r["ci"] == pytest.approx([0.2, 0.2])
    nb = np.full(8, math.log(20.0))
    p = bootstrap(ppl_increase, [nb + math.log(1.1), nb], B=500)
    assert p["value"] == pytest.approx(2.0) and p["ci"] == pytest.approx([2.0, 2.0])
    assert bonferroni(0.95, 12) == pytest.approx(1 - 0.05 / 12)


# ---------------------------------------------------------------- decision rules


def _runs(langs, shift):
    rng = np.random.default_rng(0)
    base = {l: rng.uniform(0.05, 0.3, size=8) for l in langs}
    out = {}
    for m, s in shift.items():
        out[m] = {l: {"kld": base[l] + s(l), "nll": np.log(15.0) + base[l] + s(l)}
                  for l in langs}
    return out


def test_rules_read_off_constant_shifts():
    langs = ["en", "de", "hi"]
    runs = _runs(langs, {
        "llama-q4-en": lambda l: 0.0 if l == "en" else 0.02,   # English-only hurts de, hi
        "llama-q4-all": lambda l: 0.0,
        "llama-q4-own": lambda l: -0.01,
        "laaciq-q4-en": lambda l: -0.005,                      # laaciq ahead everywhere
    })
    cmp = ca.comparisons(runs, langs, B=1000, seed=0)
    assert set(cmp) == {"llama-en-vs-all", "llama-own-vs-en", "llama-own-vs-all",
                        "laaciq-vs-llama-q4-en"}
    assert cmp["llama-en-vs-all"]["languages"] == ["de", "hi"]
    assert cmp["laaciq-vs-llama-q4-en"]["counts"] == {"ahead": 3, "tie": 0, "behind": 0}
    ans = ca.answers(cmp)
    assert ans["R2R3"]["llama"]["hurts_in"] == 2 and ans["R2R3"]["llama"]["own_fixes_in"] == 2
    assert ans["R2R3"]["llama"]["own_beats_all_in"] == 2
    assert ans["R1"]["laaciq-vs-llama-q4-en"]["every_language"] is True
    # vs llama.cpp with the English imatrix: -0.005 in en, -0.025 in de and hi
    assert ans["R1"]["laaciq-vs-llama-q4-en"]["pooled_dkld"] == pytest.approx(-0.055 / 3)


def test_rules_text_is_hashed():
    import hashlib

    assert ca.RULES_SHA256 == hashlib.sha256(ca.DECISION_RULES.encode()).hexdigest()


# ---------------------------------------------------------------- texts


class _CharTok:
    """One token per character: counts are easy to check."""

    def encode(self, text, bos=False):
        return list(text)


def test_write_text_takes_the_fewest_paragraphs():
    from laaciq.lm.compare import write_text

    paras = ["a" * 10, "b" * 10, "c" * 10]
    text, n = write_text(_CharTok(), paras, 15)
    assert text == "a" * 10 + "\n\n" + "b" * 10 + "\n" and n == 24
    with pytest.raises(LaaciqError):
        write_text(_CharTok(), paras, 100)


def test_calibration_mix_has_equal_shares():
    from laaciq.lm.compare import calibration_mix

    cal = {"en": ["e" * 50, "f" * 50], "de": ["d" * 30, "g" * 70]}
    text, counts = calibration_mix(_CharTok(), cal, ["en", "de"], 60)
    share = 60 // 2 + 8                       # the share per language, a few spare tokens
    assert counts == {"en": share, "de": share}
    # en: its first paragraph cut to 36 characters (+ the 2-character separator = 38);
    # de: 30 + 2 + 4 + 2 = 38, the second paragraph cut
    assert text == "e" * 36 + "\n\n" + "d" * 30 + "\n\n" + "g" * 4 + "\n"


# ---------------------------------------------------------------- llama.cpp's weighting, exact


def _make_qx_quants_q4(x, qw):
    """A line-by-line port of ggml-quants.c ``make_qx_quants(32, 8, x, L, 1, qw)`` as
    ``quantize_row_q4_0_impl`` calls it: (scale as fp16, codes −8…7)."""
    f = np.float32
    nmax = 8
    amax_i = int(np.argmax(np.abs(x)))
    mx = x[amax_i]
    if abs(mx) < 1e-15:
        return 0.0, np.zeros(32, dtype=int)

    def codes(iscale):
        return np.clip(np.round(f(iscale) * x).astype(int), -nmax, nmax - 1)  # nearest_int

    iscale = f(-nmax / mx)
    L = codes(iscale)
    sumlx, suml2 = f((qw * x * L).sum()), f((qw * L * L).sum())
    scale = sumlx / suml2 if suml2 else f(0)
    best = scale * sumlx
    for i_s in range(-9, 10):
        if i_s == 0:
            continue
        iscale = f(-(nmax + f(0.1) * i_s) / mx)
        l = codes(iscale)
        slx, sl2 = f((qw * x * l).sum()), f((qw * l * l).sum())
        if sl2 > 0 and slx * slx > best * sl2:
            L, scale, best = l, slx / sl2, (slx / sl2) * slx
    d = float(np.float16(scale))
    return d, L


def test_value_weighted_exact_optimum_never_loses_to_llamacpp_search():
    from laaciq.tensor import blockfmt

    rng = np.random.default_rng(7)
    cols = 64
    w = (rng.standard_t(4, size=(6, cols)) * 0.02).astype(np.float32)
    imp = rng.gamma(1.0, 1.0, size=cols).astype(np.float32)
    raw, _ = blockfmt.quantize_matrix(w, blockfmt.FORMATS["Q4_0"], imp, value_weighted=True)
    d, q = blockfmt.unpack_blocks(raw.reshape(-1, 18), blockfmt.FORMATS["Q4_0"])
    # the weights, computed here as quantize_row_q4_0_impl does, per row
    sigma2 = (w.astype(np.float32) ** 2).mean(axis=1, keepdims=True)
    c = (imp[None, :] * np.sqrt(sigma2 + w * w)).reshape(-1, 32).astype(np.float64)
    xb = w.reshape(-1, 32).astype(np.float64)
    ours = (c * (xb - q * d[:, None]) ** 2).sum(axis=1)
    for b in range(xb.shape[0]):
        dl, L = _make_qx_quants_q4(w.reshape(-1, 32)[b], c[b].astype(np.float32))
        theirs = float((c[b] * (xb[b] - L * dl) ** 2).sum())
        assert ours[b] <= theirs * (1 + 1e-9) + 1e-18
    # and the weighting matters: the unweighted optimum is worse under these weights somewhere
    raw0, _ = blockfmt.quantize_matrix(w, blockfmt.FORMATS["Q4_0"], imp)
    d0, q0 = blockfmt.unpack_blocks(raw0.reshape(-1, 18), blockfmt.FORMATS["Q4_0"])
    other = (c * (xb - q0 * d0[:, None]) ** 2).sum(axis=1)
    assert (other >= ours * (1 - 1e-9)).all() and (other > ours * (1 + 1e-6)).any()


@pytest.mark.parametrize("args", [["--ctx", "63"], ["--ctx", "513"], ["--ctx", "1024"],
                                  ["--chunks", "1"], ["--languages", "xx"],
                                  ["--methods", "nope"]])
def test_bad_arguments_are_one_error_line(args, capsys, tmp_path):
    from laaciq.lm.compare import main
    assert main(args + ["--out", str(tmp_path / "c.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("laaciq: error: bad --")
    assert not (tmp_path / "c.json").exists()
