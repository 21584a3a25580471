"""Per-language text for ``laaciq calibrate --language`` and ``make compare``: each language's
own kept paragraphs, not intersected across languages.

The probe decides the seeds' claims on *parallel* text (:mod:`laaciq.lm.corpus`,
:mod:`laaciq.lm.libreoffice`: every language scored on the same paragraphs). Calibration and the
llama.cpp comparison need something else: for each language as much of its own text as there is,
split into calibration and held-out paragraphs by the same key hash as the probe
(:func:`laaciq.lm.corpus.is_calibration`), so calibration text is never evaluation text. The
handbook gives ``en de fr es it pt-BR ru ar fa ja zh-CN`` (paragraphs kept by
:func:`laaciq.lm.corpus.keep_paragraph` against the English one with the same id); Hindi comes
from LibreOffice help (``libreoffice-help-hi``, paragraphs of at least 20 characters). This is
the text of the published comparison (``report/compare.json``), kept as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from laaciq.errors import LaaciqError
from laaciq.lm.corpus import (LOCALES, clean_html, handbook_paragraphs, is_calibration,
                              keep_paragraph)

__all__ = ["LANGUAGES", "PACKAGES", "Corpus", "load_corpus"]

#: the languages with per-language text: the handbook's, and Hindi from LibreOffice help
LANGUAGES = tuple(LOCALES) + ("hi",)

#: the text packages this text comes from (``assets.fetch_texts(..., packages=PACKAGES)``)
PACKAGES = {"debian-handbook": "GPL-2+ or CC-BY-SA-3.0", "libreoffice-help-en-us": "MPL-2.0",
            "libreoffice-help-hi": "MPL-2.0"}

_LO_PARA = re.compile(r'<(p|h[1-6])\s+id="((?:par|hd)_id[^"]+)"[^>]*>(.*?)</\1>', re.S)


def _lo_paragraphs(text_dir: Path) -> dict[tuple, str]:
    """``{(relative page, paragraph id): text}`` of one LibreOffice help language (every page;
    paragraphs of at least 20 characters)."""
    out: dict[tuple, str] = {}
    for page in sorted(text_dir.rglob("*.html")):
        t = page.read_text(encoding="utf-8", errors="replace")
        rel = str(page.relative_to(text_dir))
        for m in _LO_PARA.finditer(t):
            text = clean_html(m.group(3))
            if len(text) >= 20:
                out[(rel, m.group(2))] = text
    return out


@dataclass
class Corpus:
    """Per language: calibration and evaluation paragraphs (ordered by key) and counts."""

    calibration: dict[str, list[str]]
    evaluation: dict[str, list[str]]
    stats: dict[str, dict]


def _split(lang, paras: dict[tuple, str], english: dict[tuple, str]):
    cal, ev = [], []
    total = kept = 0
    for key in sorted(paras):
        total += 1
        text = paras[key]
        if not keep_paragraph(lang, text, english.get(key)):
            continue
        kept += 1
        (cal if is_calibration(key) else ev).append(text)
    return cal, ev, {"paragraphs": total, "kept": kept, "calibration_paragraphs": len(cal),
                     "evaluation_paragraphs": len(ev)}


def _source(lang, handbook_html: Path, lo_help: Path | None, english: dict):
    """``(paragraphs, English paragraphs with the same keys)`` of ``lang``."""
    if lang == "hi":
        if lo_help is None or not (Path(lo_help) / "hi" / "text").is_dir():
            raise LaaciqError(f"no Hindi text: {lo_help}/hi/text is missing (install "
                              f"libreoffice-help-hi)")
        eng = Path(lo_help) / "en-US" / "text"
        return (_lo_paragraphs(Path(lo_help) / "hi" / "text"),
                _lo_paragraphs(eng) if eng.is_dir() else {})
    if lang not in LOCALES:
        raise LaaciqError(f"no text for language {lang!r}: choose from {','.join(LANGUAGES)}")
    d = handbook_html / LOCALES[lang]
    if not d.is_dir():
        raise LaaciqError(f"the text directory {handbook_html} has no language {lang!r} "
                          f"({LOCALES[lang]}/ is missing)")
    return (english if lang == "en" else handbook_paragraphs(d)), english


def load_corpus(handbook_html: Path, lo_help: Path | None, languages) -> Corpus:
    """Each language's own filtered paragraphs, split by key (module docstring).
    ``handbook_html``: ``…/debian-handbook/html``; ``lo_help``: ``…/libreoffice/help`` (for
    "hi"). A language without text raises :class:`LaaciqError` naming it."""
    handbook_html = Path(handbook_html)
    en_dir = handbook_html / LOCALES["en"]
    english = handbook_paragraphs(en_dir) if en_dir.is_dir() else {}
    cal, ev, stats = {}, {}, {}
    for lang in languages:
        paras, eng = _source(lang, handbook_html, lo_help, english)
        c, e, s = _split(lang, paras, eng)
        s["parallel_with_english"] = sum(1 for k in paras if k in eng)
        if not c or not e:
            raise LaaciqError(f"language {lang!r} has no translated text left after filtering "
                              f"({s['kept']} of {s['paragraphs']} paragraphs kept)")
        cal[lang], ev[lang], stats[lang] = c, e, s
    return Corpus(cal, ev, stats)
