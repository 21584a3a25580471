"""The rendered report: sections, self-contained HTML, escaping, re-rendering, no markup in
Python."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from harness_helpers import ROOT, fake_build
from laaciq.verify import checks
from laaciq.verify import harness
from laaciq.report import render
from laaciq.report import render as report
from laaciq.errors import LaaciqError

PKG = ROOT / "python" / "laaciq"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    d = tmp_path_factory.mktemp("rendered")
    build = fake_build(d / "lean-build.json")
    doc = render.run(ROOT, d, lean_build=build, budget=checks.Budget(4, 40, True),
                      log=lambda m: None)
    return d, doc


def test_markdown_sections(rendered):
    d, doc = rendered
    md = (d / harness.STATUS_MD).read_text(encoding="utf-8")
    for h in ("## Proof map", "## Summary", "## Errata: what the seeds get wrong", "## Claims by seed",
              "## Fairness on the synthetic model (seed 003 §7.3)", "## Figures",
              "## Lean theorems", "## Checks", "## Environment"):
        assert h in md, h
    for n in ("000", "001", "002", "003", "004"):
        assert f"### Seed {n}" in md
    for c in doc["claims"]:
        assert c["id"] in md
    assert "not a real model" in md
    assert "](plots/mse_curves.png)" in md


def test_errata_carry_counterexample_and_correction(rendered):
    d, _ = rendered
    md = (d / harness.STATUS_MD).read_text(encoding="utf-8")
    block = md.split("### S000-step-size — refuted", 1)[1].split("###", 1)[0]
    assert "Counterexample" in block and "verified = exact" in block
    assert "2α/(2^B - 2)" in block


def test_html_is_self_contained(rendered):
    d, doc = rendered
    html = (d / harness.INDEX_HTML).read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 4
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    assert "<script" not in html and "<link" not in html
    assert "<style>" in html
    for c in doc["claims"]:
        assert c["id"] in html


def test_html_escapes_seed_text(rendered):
    d, _ = rendered
    html = (d / harness.INDEX_HTML).read_text(encoding="utf-8")
    assert "p &lt; 0.001" in html          # S002-correlation's quote
    assert "p < 0.001" not in html


def test_rerender_reproduces_the_documents(rendered, tmp_path):
    d, _ = rendered
    copy = tmp_path / "r"
    shutil.copytree(d, copy)
    md0 = (copy / harness.STATUS_MD).read_text(encoding="utf-8")
    (copy / harness.STATUS_MD).unlink()
    (copy / harness.INDEX_HTML).unlink()
    report.rerender(copy)
    assert (copy / harness.STATUS_MD).read_text(encoding="utf-8") == md0
    assert (copy / harness.INDEX_HTML).exists()


def test_bench_is_labelled_with_its_own_time_and_commit(rendered, tmp_path):
    d, _ = rendered
    copy = tmp_path / "r"
    shutil.copytree(d, copy)
    doc = json.loads((copy / harness.STATUS_JSON).read_text(encoding="utf-8"))
    doc["bench"] = {"time": "2026-01-01T00:00:00Z", "commit": "abc123", "machine": {"cpus": 2},
                    "optimality": {"per_tensor": {"normal/4b": {"octav": 1.01}},
                                   "per_channel": {}}}
    (copy / harness.STATUS_JSON).write_text(json.dumps(doc), encoding="utf-8")
    report.rerender(copy)
    md = (copy / harness.STATUS_MD).read_text(encoding="utf-8")
    assert "## Benchmarks" in md and "2026-01-01T00:00:00Z" in md and "abc123" in md
    assert "not from this run" in md


def test_rerender_without_status_is_one_error(tmp_path):
    with pytest.raises(LaaciqError, match="run `laaciq validate` first"):
        report.rerender(tmp_path)


def test_schema_rejects_a_typed_in_verdict(rendered):
    _, doc = rendered
    bad = json.loads(json.dumps(doc))
    bad["claims"][0]["verdict"] = "probably"
    with pytest.raises(LaaciqError, match="schema"):
        harness.validate_status(bad)


@pytest.mark.parametrize("module", ["report/render.py", "verify/harness.py", "report/plots.py",
                                    "report/proofmap.py", "verify/claims.py",
                                    "verify/registry.py"])
def test_no_markup_built_in_python(module):
    src = (PKG / module).read_text(encoding="utf-8")
    for pat in (r"<(table|tr|td|div|html|body|h[1-6]|p|ul|li)\b", r"\|\s*---\s*\|", r"[\"']#+ "):
        assert not re.search(pat, src, re.M), f"{module} builds markup: {pat}"


def test_bench_view_tables():
    from laaciq.report.render import bench_view

    bench = {"time": "t", "commit": "c", "machine": {"cpus": 2},
             "optimality": {"per_tensor": {"normal/4b": {"octav": 1.01, "exact-uniform": 1.0}},
                            "per_channel": {"normal/4b": {"octav": {"max": 1.2, "mean": 1.1}}},
                            "per_channel_shape": [4, 8]},
             "speed": {"n=2^16/4b": {"exact-true": 0.5, "octav": 0.25,
                                     "exact-true_stats": {"slices": 1}}},
             "memory": {"true": {"over_tensor": 3.5, "target_le_3x": False}}}
    v = bench_view(bench)
    assert v["per_tensor"]["methods"] == ["exact-uniform", "octav"]
    assert v["per_tensor"]["rows"][0]["cells"] == [1.0, 1.01]
    assert v["per_channel"]["rows"][0]["cells"] == [1.2]
    assert v["speed"]["rows"][0]["cells"] == [1.0, 0.5]
    assert v["targets"] == [{"what": "peak extra memory ≤ 3× tensor (true)",
                             "value": "3.50× tensor", "met": False}]
    assert bench_view(None) is None and bench_view({"nothing": 1}) is None
    # the targets: per channel vs np.sort, the checkpoint run, the real PyTorch observer
    bench["per_channel_vs_sort"] = {"source": "m", "values": 10, "4b": {
        "seconds": 0.5, "np_sort_seconds": 0.02, "over_sort": 25.0, "target": 30.0,
        "target_met": True, "numpy_engine_over_sort": 200.0}}
    bench["checkpoint"] = {"weights": 2**30, "bits": 4, "jobs": 2, "wall_seconds": 28.0,
                           "weights_per_second_per_core": 1.9e7, "hours_7B_one_core": 0.1,
                           "hours_176B_one_core": 2.5, "worker_peak_rss_bytes": 2**28,
                           "memory_bound_bytes": 2**29, "within_memory_bound": True}
    bench["torch_observer"] = {"torch": "2.13.0", "laws": {"normal": {
        "alpha_rel_diff": 3e-8, "mse_over_exact_torch": 1.02, "mse_over_exact_port": 1.02,
        "port_speedup": 1.1}}}
    t = bench_view(bench)["targets"]
    assert [x["met"] for x in t] == [True, True, True, False]
    assert "25×" in t[0]["value"] and "numpy engine 200×" in t[0]["value"]
    assert "19.0 M weights/s" in t[1]["value"] and "256 MB of 512 MB" in t[1]["value"]
    assert "3.0e-08" in t[2]["value"]


# the report is safe to open (issue 26): markup in any text field shows as text, never runs

PAYLOAD = "\"'><script>alert(1)</script><img src=x onerror=alert(2)><a href=\"javascript:x\">"
#: fields that hold free text from the seeds, the ledger or a run
TEXT_KEYS = {"id", "quote", "reading", "scope", "note", "corrected", "detail", "text", "decl",
             "hypothesis", "module", "file"}


def _poison(o):
    if isinstance(o, dict):
        return {k: (v + PAYLOAD if k in TEXT_KEYS and isinstance(v, str) else
                    [d + PAYLOAD for d in v] if k == "depends_on" else _poison(v))
                for k, v in o.items()}
    if isinstance(o, list):
        return [_poison(v) for v in o]
    return o


def _live_markup(text: str) -> list[str]:
    """What a browser would run: script/iframe/object tags, on* attributes, javascript: URLs
    (read with an HTML parser, so escaped text inside attribute values does not count)."""
    from html.parser import HTMLParser

    found = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in ("script", "iframe", "object", "embed"):
                found.append(tag)
            for k, v in attrs:
                if k.startswith("on") or (v or "").strip().lower().startswith("javascript:"):
                    found.append(f"{tag} {k}={v!r}")
    P().feed(text)
    return found


def test_markup_in_every_text_field_is_escaped(rendered):
    import copy

    _, doc = rendered
    doc = _poison(copy.deepcopy(doc))
    assert json.dumps(doc).count("onerror") > 50          # the payload reached many fields
    _, html, svg = report.render(doc, {})
    assert _live_markup(html) == [] and _live_markup(svg) == []
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= len(doc["claims"])
    assert "&lt;script&gt;" in svg
    assert _live_markup(PAYLOAD) != []                   # the detector sees the raw payload


def _small_compare() -> dict:
    """A compare.json of two languages and three methods, from made-up per-chunk values."""
    from laaciq.lm import compare_analysis as ca

    langs = ["en", "hi"]
    k = {"llama-q4-en": {"en": [0.10, 0.12], "hi": [0.30, 0.34]},
         "llama-q4-all": {"en": [0.11, 0.13], "hi": [0.20, 0.22]},
         "laaciq-q4-en": {"en": [0.09, 0.11], "hi": [0.28, 0.30]}}
    nll = {"en": [2.0, 2.2], "hi": [1.5, 1.7]}
    runs = {m: {l: {"kld": v[l], "nll": [x + y for x, y in zip(nll[l], v[l])]} for l in langs}
            for m, v in k.items()}
    cmp = ca.comparisons(runs, langs, 500, 0)
    meth = {m: {"label": f"label of {m}", "format": "Q4_0", "bpw_blocks": 4.5,
                "quantize_s": 1.25} for m in k}
    return {"model": "Gemma-3-270M (test)", "commit": "c0ffee", "languages": langs,
            "llama_cpp": {"llama_cpp_commit": "0c1e570"}, "config": {"chunks": 2, "ctx": 512},
            "decision_rules_sha256": ca.RULES_SHA256, "methods": meth,
            "base": {"ppl": {"en": 8.0, "hi": 5.0}, "lossless_share": {"Q8_0": 0.6}},
            "results": ca.per_method(runs, {l: {"nll": nll[l]} for l in langs}, 500, 0),
            "comparisons": cmp, "answers": ca.answers(cmp), "timings": {"total_s": 1.0}}


def _render_with_compare(copy, cj) -> str:
    """Write ``cj`` as the report folder's compare.json, fold it into the status document as
    ``make validate`` does, re-render, return STATUS.md."""
    (copy / "compare.json").write_text(json.dumps(cj), encoding="utf-8")
    doc = json.loads((copy / harness.STATUS_JSON).read_text(encoding="utf-8"))
    harness._compare_section(copy, doc, lambda m: None)
    harness.validate_status(doc)
    (copy / harness.STATUS_JSON).write_text(json.dumps(doc), encoding="utf-8")
    report.rerender(copy)
    return (copy / harness.STATUS_MD).read_text(encoding="utf-8")


def test_compare_section_renders_from_compare_json(rendered, tmp_path):
    d, _ = rendered
    copy = tmp_path / "r"
    shutil.copytree(d, copy)
    cj = _small_compare()
    md = _render_with_compare(copy, cj)
    sec = md.split("## Head-to-head with llama.cpp", 1)[1]
    assert "c0ffee" in sec and "0c1e570" in sec and cj["decision_rules_sha256"] in sec
    # hi: English imatrix 0.32 mean KLD vs all-language 0.21: English-only is worse by 0.11
    en_all = cj["comparisons"]["llama-en-vs-all"]
    assert en_all["pooled"]["dkld"] == pytest.approx(0.11)
    assert "worse than the all-language one (same token count) in 1 of 1" in sec
    assert "0.1100" in sec
    for m in cj["methods"]:
        assert f"label of {m}" in sec
    assert "| hi | 5 | 0.32000 | 0.21000 | 0.29000 |" in sec
    html = (copy / harness.INDEX_HTML).read_text(encoding="utf-8")
    assert 'id="compare"' in html and html.count("data:image/png;base64,") == 5


def test_experiment_mechanism_is_pivoted_by_kind_and_strategy():
    """The mechanism table has one row per matrix kind and one column per 4-bit strategy, each
    cell the number stored for that (strategy, kind), in both tables."""
    from laaciq.report import experiment_view

    mech = {"exact-4": {"q": {"weight_mse": 2.0, "act_error": 30.0},
                        "k": {"weight_mse": 5.0, "act_error": 70.0}},
            "max-4": {"q": {"weight_mse": 4.0, "act_error": 11.0}}}
    m = experiment_view._mechanism({"mechanism": mech})
    assert m["configs"] == ["max-4", "exact-4"]
    by_kind = {r["kind"]: r for r in m["rows"]}
    assert by_kind["q"]["act"] == [11.0, 30.0] and by_kind["q"]["mse"] == [4.0, 2.0]
    assert by_kind["k"]["act"] == [None, 70.0] and by_kind["k"]["mse"] == [None, 5.0]
    assert experiment_view._mechanism({}) == {}


def _chunk_scores(shift, langs=("en", "hi")):
    """Made-up per-chunk scores of two chunks per language (7 scored tokens, 3 in the second
    half) whose mean NLL per token is ``2.0 + shift`` and ``2.2 + shift``."""
    return {l: {"nll_all": [7 * (2.0 + shift), 7 * (2.2 + shift)], "n_all": [7, 7],
                "chars_all": [20, 22], "nll_half": [3 * (2.0 + shift), 3 * (2.2 + shift)],
                "n_half": [3, 3], "chars_half": [9, 10]} for l in langs}


def test_peers_section_renders_from_compare_json(rendered, tmp_path):
    """compare.json's `peers` section (made-up per-chunk scores) shows in both reports."""
    from laaciq.lm import peers_eval as pe

    d, _ = rendered
    copy = tmp_path / "r"
    shutil.copytree(d, copy)
    cj = _small_compare()
    langs = ["en", "hi"]
    cfg = pe.PeersConfig(languages=tuple(langs), bootstrap=500)
    sc = _chunk_scores
    scores = {"laaciq-q4-g32": sc(0.0), "hqq-g64": sc(0.25)}
    base = sc(-0.5)
    llama = {"A": {l: [2.0, 2.2] for l in langs}, "B": {l: [2.1, 2.3] for l in langs}}
    cross = pe.crosscheck_doc(llama, {l: [1.5, 1.7] for l in langs},
                              {"A": sc(0.01), "B": sc(0.11)}, sc(-0.49), 8)
    cj["peers"] = {"commit": "feedbee", "config": {"chunks": 2, "ctx": 8}, "languages": langs,
                   "versions": {"hqq": "0.2.8.post1"}, "decision_rules_sha256": pe.RULES_SHA256,
                   "methods": {m: {"label": f"peer label {m}", "bpw": 4.5, "quantize_s": 2.0,
                                   "rel_weight_error": 0.0078} for m in scores},
                   "results": pe._per_method(base, scores, cfg),
                   "comparisons": pe.peer_comparisons(scores, cfg), "crosscheck": cross}
    md = _render_with_compare(copy, cj)
    sec = md.split("### Calibration-free peers at equal bits per weight", 1)[1]
    assert "feedbee" in sec and pe.RULES_SHA256 in sec
    assert "peer label hqq-g64" in sec and "| 4.5000 |" in sec
    # laaciq 0.25 nats per token below HQQ in every chunk: ahead in both languages
    assert "| laaciq-q4-g32 − hqq-g64 | 2 / 0 / 0 of 2 | -0.25000" in sec
    # A is 0.1 nats per scored token below B for both evaluations: the same ranking
    assert "same ranking pooled: yes, per language in 2 of 2" in sec
    html = (copy / harness.INDEX_HTML).read_text(encoding="utf-8")
    assert 'id="peers"' in html and "peer label hqq-g64" in html


def test_objectives_section_renders_from_compare_json(rendered, tmp_path):
    """compare.json's `objectives` section (made-up per-chunk scores through the run's own
    analysis) shows in both reports with its recommendation."""
    from laaciq.lm import objectives_eval as oe
    from laaciq.lm import peers_eval as pe

    d, _ = rendered
    copy = tmp_path / "r"
    shutil.copytree(d, copy)
    cj = _small_compare()
    langs = ["en", "hi"]
    cfg = pe.PeersConfig(languages=tuple(langs), bootstrap=500)
    sc = _chunk_scores
    scores = {"true": sc(0.5), "weighted-en": sc(0.1), "output-en": sc(0.04),
              "weighted-all": sc(0.1), "output-all": sc(0.07)}
    cj["objectives"] = {"model": "Gemma-3-270M (test)", "commit": "0b1ec7", "config": {"bits": 4, "chunks": 2, "ctx": 8},
                        "languages": langs, "decision_rules_sha256": oe.RULES_SHA256,
                        "methods": {m: {"objective": oe.METHODS[m][0],
                                        "calibration": oe.METHODS[m][1], "quantize_s": 3.5}
                                    for m in scores},
                        "results": pe._per_method(sc(-0.5), scores, cfg),
                        **oe.analyse(scores, cfg)}
    md = _render_with_compare(copy, cj)
    sec = md.split("### Which objective with calibration data", 1)[1]
    assert "0b1ec7" in sec and oe.RULES_SHA256 in sec and "measured on Gemma-3-270M (test)" in sec
    # output 0.06 (en) and 0.03 (all) nats per token below weighted in every chunk: rule O1
    assert "| O1 | output-en − weighted-en | 2 / 0 / 0 of 2 | -0.06000" in sec
    assert "| O1 | output-all − weighted-all | 2 / 0 / 0 of 2 | -0.03000" in sec
    assert "| O2 | weighted-en − true | 2 / 0 / 0 of 2 | -0.40000" in sec
    assert "Recommendation by rule O1: **output**" in sec
    assert "| f32 | – | – | – |" in sec                    # the reference is no method
    html = (copy / harness.INDEX_HTML).read_text(encoding="utf-8")
    assert 'id="objectives"' in html and "<strong>output</strong>" in html


def test_experiment_comparisons_carry_leave_one_out_also_for_older_runs():
    """A comparison stored without the leave-one-out statistic (a run older than it) gets it
    from the per-language D stored beside it; a stored one is shown as stored."""
    from laaciq.report import experiment_view

    D = {"a": (1.0, 1.0), "b": (1.2, 1.3), "c": (1.1, 3.0)}       # lang: (strategy, control)
    corpus = {"per_language": {l: {"D": {"s": d[0], "c": d[1]}} for l, d in D.items()}}
    old = {"strategy": "s", "control": "c", "delta": 1.8}
    r = experiment_view._with_loo(old, corpus)
    # without c: 0.3 − 0.2 = 0.1 (the pivot); without a: 1.7 − 0.1 = 1.6; without b: 2.0 − 0.1
    assert r["loo_pivot"] == "c"
    assert r["loo_delta"][0] == pytest.approx(0.1) and r["loo_delta"][1] == pytest.approx(1.9)
    stored = {**old, "loo_delta": [5.0, 6.0], "loo_pivot": "x"}
    assert experiment_view._with_loo(stored, corpus) == stored
    partial = {"per_language": {**corpus["per_language"], "d": {"D": {"s": 1.0}}}}
    assert experiment_view._with_loo(old, partial)["loo_delta"] == [None, None]
