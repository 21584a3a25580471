"""``make objectives`` (weighted vs layer-output objective on the probe's perplexity): rule O1
and its recommendation on made-up per-chunk scores where the answer is known in every
direction, the json section kept by ``make compare``, and bad arguments. The run itself needs
the llama.cpp build and is never in CI."""

from __future__ import annotations

import json

import pytest

from laaciq.lm import compare as cp
from laaciq.lm import objectives_eval as oe
from laaciq.lm import peers_eval as pe

BASE = [2.0, 2.4, 1.8, 2.2]                      # per-chunk mean NLL of a reference
LANGS = ("en", "hi")


def _method(shift: dict) -> dict:
    """Per-language scores whose per-chunk mean NLL is ``BASE + shift[lang]`` (7 tokens)."""
    return {l: {"nll_all": [7 * (b + shift[l]) for b in BASE], "n_all": [7] * 4,
                "chars_all": [20] * 4, "nll_half": [3 * (b + shift[l]) for b in BASE],
                "n_half": [3] * 4, "chars_half": [10] * 4} for l in LANGS}


def _scores(out_en, out_all):
    """weighted at +0.1 everywhere; output shifted from it by ``out_*`` per language."""
    w = {l: 0.1 for l in LANGS}
    return {"true": _method({l: 0.5 for l in LANGS}),
            "weighted-en": _method(w), "weighted-all": _method(w),
            "output-en": _method({l: 0.1 + out_en[l] for l in LANGS}),
            "output-all": _method({l: 0.1 + out_all[l] for l in LANGS})}


CFG = pe.PeersConfig(languages=LANGS, bootstrap=2000)


def test_output_ahead_with_both_texts_is_recommended():
    a = oe.analyse(_scores({"en": -0.05, "hi": -0.1}, {"en": -0.02, "hi": -0.04}), CFG)
    assert a["recommendation"] == "output"
    assert a["o1"]["en"]["a"] == "output-en" and a["o1"]["en"]["b"] == "weighted-en"
    assert a["o1"]["en"]["pooled"]["dnll"] == pytest.approx(-0.075)
    assert a["o1"]["all"]["counts"] == {"ahead": 2, "tie": 0, "behind": 0}
    # O2: every calibrated method against `true` (all 0.4 below it or more): reported
    assert set(a["o2"]) == {f"{m}-vs-true" for m in ("weighted-en", "weighted-all",
                                                      "output-en", "output-all")}
    assert all(c["pooled"]["verdict"] == "ahead" for c in a["o2"].values())


def test_output_behind_with_both_texts_recommends_weighted():
    a = oe.analyse(_scores({"en": 0.05, "hi": 0.1}, {"en": 0.02, "hi": 0.03}), CFG)
    assert a["recommendation"] == "weighted"
    assert a["o1"]["all"]["pooled"]["verdict"] == "behind"


def test_split_or_tied_outcomes_recommend_neither():
    ahead_en_behind_all = _scores({"en": -0.05, "hi": -0.1}, {"en": 0.05, "hi": 0.1})
    assert oe.analyse(ahead_en_behind_all, CFG)["recommendation"] == "neither"
    tied = _scores({"en": 0.0, "hi": 0.0}, {"en": 0.0, "hi": 0.0})
    a = oe.analyse(tied, CFG)
    assert a["recommendation"] == "neither" and a["o1"]["en"]["pooled"]["verdict"] == "tie"
    one_text_only = {k: v for k, v in ahead_en_behind_all.items() if not k.endswith("-all")}
    assert oe.analyse(one_text_only, CFG)["recommendation"] == "neither"


def test_compare_rewrite_keeps_the_objectives_section(tmp_path):
    out = tmp_path / "compare.json"
    out.write_text(json.dumps({"results": {}, "objectives": {"recommendation": "output"},
                               "peers": {"x": 1}}))
    doc = {"results": {"new": True}}
    cp._keep_peers(doc, out)
    assert doc["objectives"] == {"recommendation": "output"} and doc["peers"] == {"x": 1}
    merged = pe.merge_into(out, {"recommendation": "weighted"}, "objectives")
    assert merged["objectives"] == {"recommendation": "weighted"} and merged["peers"] == {"x": 1}


def test_bad_arguments_one_error_line(capsys, tmp_path):
    out = tmp_path / "compare.json"
    for args in (["--languages", "xx"], ["--chunks", "1"]):
        assert oe.main([*args, "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("laaciq: error:")
    assert not out.exists()
