"""LibreOffice help as a parallel corpus (Debian ``libreoffice-help-<locale>``, 31 languages).

A paragraph is ``<p id="par_id…">`` or ``<hN id="hd_id…">`` of a help page under ``text/``;
its key is ``(page path relative to text/, paragraph id)``, the same in every translation.
Unit of resampling: the help page. Dropped by one rule for every language
(``experiment/plan.json``):

* pages under ``text/sbasic/`` (the BASIC macro reference), ``<pre>`` blocks, paragraphs whose
  class names code (``code``, ``codeintable``, ``smathcode``, ``bascode``);
* untranslated paragraphs: whitespace-normalised text equal to the English paragraph of the
  same key, or word-set Jaccard with it ≥ 0.6; in a language with a non-Latin script, also a
  paragraph with under half of its letters in that script.

Coverage: :func:`laaciq.lm.corpus.coverage_rule` with a 50% share and a floor of 2000 shared
paragraphs.
"""

from __future__ import annotations

import re
from pathlib import Path

from laaciq.errors import LaaciqError
from laaciq.lm.corpus import (SCRIPT, ParallelText, clean_html, jaccard, parallel_text,
                              script_share)

__all__ = ["LO_LOCALES", "LO_LANGUAGES", "lo_paragraphs", "lo_keep", "load_libreoffice",
           "MIN_SHARED"]

#: project language code -> LibreOffice help locale (one per language: en-US, pt-BR, zh-CN)
#: Not sk: Debian 12's libreoffice-help-sk depends on libreoffice-help-cs and ships its help
#: folder as the link sk -> cs, so "Slovak" would score the Czech text a second time.
LO_LOCALES = {l: l for l in ("ca", "cs", "da", "de", "dz", "el", "es", "et", "eu", "fi", "fr",
                             "gl", "hi", "hu", "id", "it", "ja", "km", "ko", "nl", "om", "pl",
                             "ru", "sl", "sv", "tr", "vi")}
LO_LOCALES.update({"en": "en-US", "pt-BR": "pt-BR", "zh-CN": "zh-CN"})
LO_LANGUAGES = tuple(sorted(LO_LOCALES))
MIN_SHARED = 2000

_PRE = re.compile(r"<pre\b.*?</pre>", re.S)
_PARA = re.compile(r'<(p|h[1-6])\s+id="((?:par|hd)_id[^"]+)"([^>]*)>(.*?)</\1>', re.S)
_CLASS = re.compile(r'class="([^"]*)"')
_SPACE = re.compile(r"\s+")


def lo_paragraphs(text_dir: Path) -> dict[tuple, str]:
    """``{(relative page, paragraph id): text}`` of one language's ``text/`` tree, without the
    BASIC pages, ``<pre>`` blocks and code paragraphs."""
    out: dict[tuple, str] = {}
    for page in sorted(Path(text_dir).rglob("*.html")):
        rel = page.relative_to(text_dir).as_posix()
        if rel.startswith("sbasic/"):
            continue
        t = _PRE.sub("", page.read_text(encoding="utf-8", errors="replace"))
        for m in _PARA.finditer(t):
            cls = _CLASS.search(m.group(3))
            if cls and "code" in cls.group(1):
                continue
            text = clean_html(m.group(4))
            if len(text) >= 20:
                out[(rel, m.group(2))] = text
    return out


def lo_keep(lang: str, text: str, english: str | None) -> bool:
    """The untranslated-paragraph rule (module docstring); English keeps every paragraph."""
    if lang == "en":
        return True
    if english is not None:
        if _SPACE.sub(" ", text).strip() == _SPACE.sub(" ", english).strip():
            return False
        if jaccard(text, english) >= 0.6:
            return False
    if SCRIPT.get(lang, "Latin") != "Latin" and script_share(text, lang) < 0.5:
        return False
    return True


def _own_paragraphs(help_root: Path, lang: str, d: Path) -> dict:
    """``lang``'s paragraphs; :class:`LaaciqError` when its help folder is a link to another
    folder (a language without text of its own must not score a copy of another language)."""
    own = help_root / LO_LOCALES[lang]
    if own.is_symlink() or own.resolve().name != LO_LOCALES[lang]:
        raise LaaciqError(f"LibreOffice help for {lang!r} is a link to "
                          f"{own.resolve().name!r}: no text of its own")
    return lo_paragraphs(d)


def load_libreoffice(help_root: Path, languages, min_paragraphs: int = MIN_SHARED
                     ) -> ParallelText:
    """The LibreOffice corpus of ``languages`` under ``help_root`` (``…/libreoffice/help``)."""
    help_root = Path(help_root)
    en_dir = help_root / LO_LOCALES["en"] / "text"
    if not en_dir.is_dir():
        raise LaaciqError(f"no English LibreOffice help: {en_dir} is missing (package "
                          f"libreoffice-help-en-us)")
    english = lo_paragraphs(en_dir)
    texts = {}
    for lang in languages:
        if lang not in LO_LOCALES:
            raise LaaciqError(f"LibreOffice help has no language {lang!r}: choose from "
                              f"{','.join(LO_LANGUAGES)}")
        d = help_root / LO_LOCALES[lang] / "text"
        if not d.is_dir():
            raise LaaciqError(f"no LibreOffice help for {lang!r}: {d} is missing (package "
                              f"libreoffice-help-{LO_LOCALES[lang].lower()})")
        texts[lang] = english if lang == "en" else _own_paragraphs(help_root, lang, d)
    return parallel_text("libreoffice", texts, english, lo_keep, lambda k: k[0],
                         list(languages), min_share=0.5, min_paragraphs=min_paragraphs)
