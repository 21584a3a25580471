"""The run log marks a run partial exactly when its configuration differs from the full default
run (the default ``lo_languages=None`` resolves to every LibreOffice language)."""

import json
from dataclasses import asdict

from laaciq.lm.commands import append_run_log
from laaciq.lm.libreoffice import LO_LANGUAGES
from laaciq.lm.probe import ProbeConfig


def _line(tmp_path, cfg):
    log = tmp_path / "runs.jsonl"
    append_run_log(log, {"config": cfg, "plan": {}, "corpora": {}, "claims": {}}, "x.json")
    return json.loads(log.read_text(encoding="utf-8").splitlines()[-1])


def test_full_default_run_is_not_partial(tmp_path):
    cfg = json.loads(json.dumps(asdict(ProbeConfig())))      # tuples -> lists, as stored
    cfg["lo_languages"] = list(LO_LANGUAGES)
    assert _line(tmp_path, cfg)["partial"] is False


def test_a_subset_or_a_smaller_budget_is_partial(tmp_path):
    base = json.loads(json.dumps(asdict(ProbeConfig())))
    base["lo_languages"] = list(LO_LANGUAGES)
    for key, value in (("lo_languages", ["en", "de"]), ("hb_tokens", [128, 128]),
                       ("blocks", 2), ("strategies", ["exact"])):
        cfg = dict(base, **{key: value})
        assert _line(tmp_path, cfg)["partial"] is True, key
