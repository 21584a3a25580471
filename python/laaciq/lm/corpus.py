"""Parallel multilingual text from Debian packages, aligned and filtered, split into disjoint
calibration and held-out evaluation sets.

Sources (unpacked by :mod:`laaciq.lm.assets`):

* ``debian-handbook``: the same book as HTML per language (``html/<locale>/<page>.html``).
  Paragraphs are ``<div class="para">`` blocks; a paragraph's key is
  ``(page, id of the nearest preceding heading anchor, index after that anchor)``, the same in
  every translation (they are generated from the same DocBook source).
* ``libreoffice-help-hi`` / ``libreoffice-help-en-us``: LibreOffice help pages; a paragraph is
  ``<p id="par_id…">`` and its key is ``(page path, paragraph id)``.

Untranslated paragraphs fall back to English and are dropped:

* non-Latin scripts (ru, ar, fa, ja, zh-CN, hi): keep a paragraph only if at least half of its
  letters are in the language's script (ja additionally needs kana or kanji; zh-CN needs Han and
  no kana);
* de, fr, es, it, pt-BR: drop a paragraph equal or near-equal (word-set Jaccard ≥ 0.6) to the
  English paragraph with the same key, and keep it only if a stop-word language identifier
  (:func:`identify_latin`) names the language.

Splits: a key goes to calibration if ``sha256(key) mod 4 == 0``, else to evaluation: disjoint,
deterministic and the same partition for every language.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path

from laaciq.errors import LaaciqError

__all__ = ["LANGUAGES", "LOCALES", "Corpus", "load_corpus", "identify_latin", "script_share",
           "keep_paragraph"]

#: Target languages (project codes) and their debian-handbook locale ("hi": LibreOffice help).
LOCALES = {"en": "en-US", "de": "de-DE", "fr": "fr-FR", "es": "es-ES", "it": "it-IT",
           "pt-BR": "pt-BR", "ru": "ru-RU", "ar": "ar-MA", "fa": "fa-IR", "ja": "ja-JP",
           "zh-CN": "zh-CN", "hi": "hi"}
LANGUAGES = tuple(LOCALES)
LATIN = ("de", "fr", "es", "it", "pt-BR")

# A stop-word profile per Latin-script language: frequent, short, mostly distinctive words.
_STOP = {
    "en": "the of and to is in that it for are with as be this by on or can you which".split(),
    "de": "der die das und ist nicht ein eine mit den zu von sich auf für werden dem wird auch "
          "oder bei".split(),
    "fr": "le la les des est une un et dans pour que qui sur par pas avec sont du au "
          "peut".split(),
    "es": "el la los las de que y en es una un por para con se del como más puede "
          "son".split(),
    "it": "il la di che è e un una per non sono del della con si gli nel può anche "
          "questo".split(),
    "pt-BR": "o a os as de que e do da em um uma para com não é no na por são pode "
             "ser".split(),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

_SCRIPTS = {
    "ru": [(0x0400, 0x04FF)],
    "ar": [(0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)],
    "fa": [(0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)],
    "ja": [(0x3040, 0x30FF), (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xFF66, 0xFF9F)],
    "zh-CN": [(0x4E00, 0x9FFF), (0x3400, 0x4DBF)],
    "hi": [(0x0900, 0x097F)],
}
_KANA = [(0x3040, 0x30FF), (0xFF66, 0xFF9F)]


def _in(ch: str, ranges) -> bool:
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in ranges)


def script_share(text: str, lang: str) -> float:
    """Share of the letters of ``text`` that are in ``lang``'s script (0 if no letters)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(_in(ch, _SCRIPTS[lang]) for ch in letters) / len(letters)


def identify_latin(text: str) -> str | None:
    """The Latin-script language (en, de, fr, es, it, pt-BR) whose stop words cover most of the
    words of ``text``; ``None`` for fewer than 2 stop-word hits or a tie."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return None
    scores = {lang: sum(w in set(sw) for w in words) for lang, sw in _STOP.items()}
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    (best, s1), (_, s2) = ranked[0], ranked[1]
    if s1 < 2 or s1 == s2:
        return None
    return best


def _jaccard(a: str, b: str) -> float:
    x, y = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    if not x and not y:
        return 1.0
    return len(x & y) / max(1, len(x | y))


def keep_paragraph(lang: str, text: str, english: str | None) -> bool:
    """The untranslated-paragraph filter (see the module docstring)."""
    if lang == "en":
        return identify_latin(text) == "en"
    if lang in _SCRIPTS:
        share = script_share(text, lang)
        if share < 0.5:
            return False
        kana = any(_in(ch, _KANA) for ch in text)
        if lang == "ja":
            return True
        if lang == "zh-CN":
            return not kana
        return True
    if english is not None and (text.strip() == english.strip() or _jaccard(text, english) >= 0.6):
        return False
    return identify_latin(text) == lang


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_PARA = re.compile(r'<div class="para">(.*?)</div>|<a (?:xmlns="" )?id="([^"]+)"></a>', re.S)
_LO_PARA = re.compile(r'<(p|h[1-6])\s+id="((?:par|hd)_id[^"]+)"[^>]*>(.*?)</\1>', re.S)


def _clean(fragment: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", fragment))).strip()


def handbook_paragraphs(locale_dir: Path) -> dict[tuple, str]:
    """``{(page, anchor, index): text}`` of one debian-handbook language."""
    out: dict[tuple, str] = {}
    for page in sorted(locale_dir.glob("*.html")):
        t = page.read_text(encoding="utf-8", errors="replace")
        anchor, idx = "", 0
        for m in _PARA.finditer(t):
            if m.group(2) is not None:
                anchor, idx = m.group(2), 0
                continue
            text = _clean(m.group(1))
            if len(text) >= 20:
                out[(page.name, anchor, idx)] = text
            idx += 1
    return out


def libreoffice_paragraphs(text_dir: Path) -> dict[tuple, str]:
    """``{(relative page, paragraph id): text}`` of one LibreOffice help language."""
    out: dict[tuple, str] = {}
    for page in sorted(text_dir.rglob("*.html")):
        t = page.read_text(encoding="utf-8", errors="replace")
        rel = str(page.relative_to(text_dir))
        for m in _LO_PARA.finditer(t):
            text = _clean(m.group(3))
            if len(text) >= 20:
                out[(rel, m.group(2))] = text
    return out


def is_calibration(key: tuple) -> bool:
    h = hashlib.sha256("\x1f".join(map(str, key)).encode("utf-8")).digest()
    return h[0] % 4 == 0


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


def load_corpus(handbook_html: Path, lo_help: Path | None, languages) -> Corpus:
    """Aligned, filtered, split paragraphs for ``languages`` (see the module docstring).

    ``handbook_html``: ``…/debian-handbook/html``; ``lo_help``: ``…/libreoffice/help`` (needed
    for "hi"). A language without text raises :class:`LaaciqError`.
    """
    handbook_html = Path(handbook_html)
    english = handbook_paragraphs(handbook_html / LOCALES["en"]) \
        if (handbook_html / LOCALES["en"]).is_dir() else {}
    cal, ev, stats = {}, {}, {}
    for lang in languages:
        if lang == "hi":
            if lo_help is None or not (Path(lo_help) / "hi" / "text").is_dir():
                raise LaaciqError(f"no Hindi text: {lo_help}/hi/text is missing (install "
                                  f"libreoffice-help-hi, see `laaciq probe --help`)")
            paras = libreoffice_paragraphs(Path(lo_help) / "hi" / "text")
            eng = libreoffice_paragraphs(Path(lo_help) / "en-US" / "text") \
                if (Path(lo_help) / "en-US" / "text").is_dir() else {}
        else:
            d = handbook_html / LOCALES[lang]
            if not d.is_dir():
                raise LaaciqError(f"the text directory {handbook_html} has no language "
                                  f"{lang!r} ({LOCALES[lang]}/ is missing)")
            paras = english if lang == "en" else handbook_paragraphs(d)
            eng = english
        c, e, s = _split(lang, paras, eng)
        s["parallel_with_english"] = sum(1 for k in paras if k in eng)
        if not c or not e:
            raise LaaciqError(f"language {lang!r} has no translated text left after filtering "
                              f"({s['kept']} of {s['paragraphs']} paragraphs kept)")
        cal[lang], ev[lang], stats[lang] = c, e, s
    return Corpus(cal, ev, stats)
