"""Parallel multilingual text from Debian packages: aligned by paragraph key, filtered for
untranslated paragraphs, restricted to the keys every scored language has (the intersection),
split into disjoint calibration and held-out evaluation sets.

Sources (unpacked by :mod:`laaciq.lm.assets`):

* ``debian-handbook``: the same book as HTML per language (``html/<locale>/<page>.html``).
  Paragraphs are ``<div class="para">`` blocks; a paragraph's key is
  ``(page, id of the nearest preceding heading anchor, index after that anchor)``, the same in
  every translation (they are generated from the same DocBook source). Unit: the section
  ``(page, anchor)``.
* LibreOffice help: :mod:`laaciq.lm.libreoffice` (same design, its own parser and filter).

Handbook filter (untranslated paragraphs fall back to English and are dropped):

* non-Latin scripts (ru, ar, fa, ja, zh-CN): keep a paragraph only if at least half of its
  letters are in the language's script (ja additionally needs kana or kanji; zh-CN needs Han and
  no kana);
* de, fr, es, it, pt-BR: drop a paragraph equal or near-equal (word-set Jaccard ≥ 0.6) to the
  English paragraph with the same key, and keep it only if a stop-word language identifier
  (:func:`identify_latin`) names the language.

Coverage (``experiment/plan.json``): a language enters if its kept keys are at least half of the
English keys; every entered language is scored on the intersection of their kept keys
(:func:`coverage_rule`). Splits: a key goes to calibration if ``sha256(key) mod 4 == 0``, else to
evaluation. Selection (:meth:`ParallelText.select`): units in sha256 order until the English
text reaches a token budget; every language then scores exactly those paragraphs.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from laaciq.errors import LaaciqError

__all__ = ["LANGUAGES", "LOCALES", "SCRIPT", "ParallelText", "load_handbook", "coverage_rule",
           "identify_latin", "script_share", "keep_paragraph", "is_calibration", "jaccard"]

#: Handbook languages (project codes) and their debian-handbook locale.
LOCALES = {"en": "en-US", "de": "de-DE", "fr": "fr-FR", "es": "es-ES", "it": "it-IT",
           "pt-BR": "pt-BR", "ru": "ru-RU", "ar": "ar-MA", "fa": "fa-IR", "ja": "ja-JP",
           "zh-CN": "zh-CN"}
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
    "el": [(0x0370, 0x03FF), (0x1F00, 0x1FFF)],
    "dz": [(0x0F00, 0x0FFF)],
    "km": [(0x1780, 0x17FF), (0x19E0, 0x19FF)],
    "ko": [(0xAC00, 0xD7AF), (0x1100, 0x11FF), (0x3130, 0x318F)],
}
#: The script of each language code the probe knows (the covariate of the statistics).
SCRIPT = {**{l: "Latin" for l in ("en", "de", "fr", "es", "it", "pt-BR", "ca", "cs", "da", "et",
                                   "eu", "fi", "gl", "hu", "id", "nl", "om", "pl", "sk", "sl",
                                   "sv", "tr", "vi")},
          "ru": "Cyrillic", "ar": "Arabic", "fa": "Arabic", "ja": "Japanese", "zh-CN": "Han",
          "hi": "Devanagari", "el": "Greek", "dz": "Tibetan", "km": "Khmer", "ko": "Hangul"}
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


def jaccard(a: str, b: str) -> float:
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
    if english is not None and (text.strip() == english.strip() or jaccard(text, english) >= 0.6):
        return False
    return identify_latin(text) == lang


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_PARA = re.compile(r'<div class="para">(.*?)</div>|<a (?:xmlns="" )?id="([^"]+)"></a>', re.S)


def clean_html(fragment: str) -> str:
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
            text = clean_html(m.group(1))
            if len(text) >= 20:
                out[(page.name, anchor, idx)] = text
            idx += 1
    return out


def is_calibration(key: tuple) -> bool:
    h = hashlib.sha256("\x1f".join(map(str, key)).encode("utf-8")).digest()
    return h[0] % 4 == 0


def _order(unit) -> str:
    return hashlib.sha256("\x1f".join(map(str, unit)).encode("utf-8")).hexdigest()


def coverage_rule(kept: dict, english: set, min_share: float = 0.5,
                  min_paragraphs: int = 0) -> tuple[list, set, dict]:
    """The plan's coverage rule. ``kept``: language -> its kept keys; ``english``: the English
    keys. A language enters if ``|kept| ≥ min_share·|english|``; the scored keys are the
    intersection over the entered languages; while that has fewer than ``min_paragraphs`` keys
    the entered language with the fewest kept keys moves out. Returns (entered languages in the
    given order, scored keys, per-language report)."""
    n_en = max(1, len(english))
    entered = [l for l in kept if len(kept[l]) >= min_share * n_en]
    report = {l: {"kept": len(kept[l]), "share": len(kept[l]) / n_en,
                  "entered": l in entered, "moved_out": False} for l in kept}

    def inter(langs):
        return set.intersection(*(set(kept[l]) for l in langs)) if langs else set()

    keys = inter(entered)
    while entered and len(keys) < min_paragraphs and len(entered) > 1:
        worst = min(entered, key=lambda l: (len(kept[l]), l))
        entered.remove(worst)
        report[worst].update(entered=False, moved_out=True)
        keys = inter(entered)
    return entered, keys, report


@dataclass
class ParallelText:
    """One corpus: per language its kept paragraphs ``{key: text}``, the scored languages and
    the keys they all share, split into calibration and evaluation keys (same in every
    language). ``unit(key)`` is the resampling unit of a key (page or section)."""

    name: str
    languages: list
    texts: dict
    calib_keys: list
    eval_keys: list
    unit: object
    coverage: dict = field(default_factory=dict)

    def paragraphs(self, lang: str, split: str) -> list[tuple]:
        """``[(unit, text)]`` of ``lang`` for ``split`` ("calibration" or "evaluation")."""
        keys = self.calib_keys if split == "calibration" else self.eval_keys
        return [(self.unit(k), self.texts[lang][k]) for k in keys]

    def select(self, n_tokens, eval_budget: int, calib_budget: int,
               max_paragraphs: int | None = None) -> "ParallelText":
        """Units in sha256 order until the English text (``n_tokens(text)``) reaches each
        budget; the keys of those units, in key order, are scored in every language.
        ``max_paragraphs`` (smoke runs only) keeps the first keys of that selection."""
        ref = "en" if "en" in self.languages else self.languages[0]

        def pick(keys, budget):
            by_unit: dict = {}
            for k in keys:
                by_unit.setdefault(self.unit(k), []).append(k)
            chosen, total = [], 0
            for u in sorted(by_unit, key=_order):
                if total >= budget:
                    break
                chosen += by_unit[u]
                total += sum(n_tokens(self.texts[ref][k]) + 2 for k in by_unit[u])
            return sorted(chosen)[:max_paragraphs]

        return ParallelText(self.name, self.languages, self.texts,
                            pick(self.calib_keys, calib_budget), pick(self.eval_keys, eval_budget),
                            self.unit, self.coverage)


def split_keys(keys) -> tuple[list, list]:
    keys = sorted(keys)
    return [k for k in keys if is_calibration(k)], [k for k in keys if not is_calibration(k)]


def parallel_text(name, texts: dict, english: dict, keep, unit, languages,
                  min_share: float = 0.5, min_paragraphs: int = 0) -> ParallelText:
    """Filter every language with ``keep(lang, text, english_text)``, apply the coverage rule
    and split the shared keys. :class:`LaaciqError` if no two languages share a paragraph, or
    a requested language has no kept paragraph (named)."""
    kept = {}
    for lang in languages:
        kept[lang] = {k: t for k, t in texts[lang].items()
                      if k in english and keep(lang, t, english[k])}
        if not kept[lang]:
            raise LaaciqError(f"{name}: language {lang!r} has no translated paragraph parallel "
                              f"to English ({len(texts[lang])} paragraphs, none kept)")
    entered, keys, report = coverage_rule(kept, set(english), min_share, min_paragraphs)
    cal, ev = split_keys(keys)
    if not entered or not cal or not ev:
        raise LaaciqError(f"{name}: no paragraph is translated in every language of "
                          f"{','.join(languages)} (the intersection is empty)")
    return ParallelText(name, entered, {l: kept[l] for l in entered}, cal, ev, unit, report)


def load_handbook(handbook_html: Path, languages) -> ParallelText:
    """The handbook corpus of ``languages`` (module docstring); a missing language raises
    :class:`LaaciqError` naming it."""
    handbook_html = Path(handbook_html)
    english = handbook_paragraphs(handbook_html / LOCALES["en"]) \
        if (handbook_html / LOCALES["en"]).is_dir() else {}
    texts = {}
    for lang in languages:
        if lang not in LOCALES:
            raise LaaciqError(f"the handbook has no language {lang!r}: choose from "
                              f"{','.join(LOCALES)}")
        d = handbook_html / LOCALES[lang]
        if not d.is_dir():
            raise LaaciqError(f"the text directory {handbook_html} has no language "
                              f"{lang!r} ({LOCALES[lang]}/ is missing)")
        texts[lang] = english if lang == "en" else handbook_paragraphs(d)
    return parallel_text("handbook", texts, english, keep_paragraph, lambda k: k[:2],
                         list(languages), min_share=0.5)
