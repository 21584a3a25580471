"""Alignment, untranslated-paragraph filter and splits of the multilingual corpus (no ML stack
needed: small handbook-shaped HTML written here)."""

from __future__ import annotations

import pytest

from laaciq.errors import LaaciqError
from laaciq.lm.corpus import (coverage_rule, identify_latin, is_calibration, keep_paragraph,
                              load_handbook, script_share)
from laaciq.lm.libreoffice import load_libreoffice, lo_keep, lo_paragraphs

EN = ["The package manager installs the software and it checks the dependencies for you.",
      "This section explains how the configuration file is read by the system on boot.",
      "You can remove a package with the command shown below, which is safe to run."]
DE = ["Der Paketmanager installiert die Software und prüft die Abhängigkeiten für Sie.",
      EN[1],  # untranslated: falls back to English
      "Sie können ein Paket mit dem unten gezeigten Befehl entfernen, der sicher ist."]
RU = ["Менеджер пакетов устанавливает программы и проверяет зависимости за вас.",
      EN[1],
      "Вы можете удалить пакет командой, показанной ниже, это безопасно."]


def _page(paras):
    body = '<a xmlns="" id="sect.one"></a>' + "".join(
        f'<div class="para">\n {p} </div>' for p in paras)
    return f"<html><body>{body}</body></html>"


@pytest.fixture()
def handbook(tmp_path):
    root = tmp_path / "html"
    for loc, paras in (("en-US", EN), ("de-DE", DE), ("ru-RU", RU)):
        d = root / loc
        d.mkdir(parents=True)
        for page in ("a.html", "b.html", "c.html", "d.html"):
            (d / page).write_text(_page(paras), encoding="utf-8")
    return root


def test_identifier_and_scripts():
    assert identify_latin(EN[0]) == "en"
    assert identify_latin(DE[0]) == "de"
    assert identify_latin("Le gestionnaire de paquets installe les logiciels et vérifie les "
                          "dépendances pour vous.") == "fr"
    assert identify_latin("El gestor de paquetes instala el software y comprueba las "
                          "dependencias por usted.") == "es"
    assert identify_latin("123 456") is None
    assert script_share(RU[0], "ru") > 0.9 and script_share(EN[0], "ru") == 0
    assert keep_paragraph("ja", "パッケージを削除します。", None)
    assert not keep_paragraph("zh-CN", "パッケージを削除します。", None)  # kana: not Chinese
    assert keep_paragraph("zh-CN", "删除软件包。", None)


def test_untranslated_paragraphs_are_dropped_and_languages_share_keys(handbook):
    c = load_handbook(handbook, ["en", "de", "ru"])
    assert c.languages == ["en", "de", "ru"]
    for lang in ("de", "ru"):
        assert all(EN[1] != t for t in c.texts[lang].values())
    # the intersection: every language scores exactly the same keys (page, anchor, index)
    keys = set(c.calib_keys) | set(c.eval_keys)
    assert keys == {(p, "sect.one", j) for p in ("a.html", "b.html", "c.html", "d.html")
                    for j in (0, 2)}
    assert not set(c.calib_keys) & set(c.eval_keys)
    for lang in c.languages:
        assert [u for u, _ in c.paragraphs(lang, "evaluation")] == \
            [k[:2] for k in c.eval_keys]
    # the German and Russian texts of a key are translations of the same English paragraph
    k = c.eval_keys[0]
    assert {c.texts["en"][k], c.texts["de"][k], c.texts["ru"][k]} == \
        {EN[k[2]], DE[k[2]], RU[k[2]]}


def test_selection_is_by_unit_and_the_same_in_every_language(handbook):
    c = load_handbook(handbook, ["en", "de", "ru"])
    s = c.select(lambda t: len(t.split()), 20, 1)
    assert 0 < len(s.eval_keys) < len(c.eval_keys)
    units = {k[:2] for k in s.eval_keys}
    # whole units: every eval key of a chosen unit is chosen
    assert set(s.eval_keys) == {k for k in c.eval_keys if k[:2] in units}
    words = sum(len(t.split()) + 2 for _, t in s.paragraphs("en", "evaluation"))
    assert words >= 20


def test_coverage_rule():
    en = set(range(100))
    kept = {"en": set(range(100)), "a": set(range(90)), "b": set(range(10, 70)),
            "c": set(range(40))}
    entered, keys, rep = coverage_rule(kept, en, 0.5, 0)
    assert entered == ["en", "a", "b"] and keys == set(range(10, 70))
    assert rep["c"]["entered"] is False and rep["c"]["share"] == pytest.approx(0.4)
    # a floor of 70 shared keys moves out the entered language with the fewest keys (b)
    entered, keys, rep = coverage_rule(kept, en, 0.5, 70)
    assert entered == ["en", "a"] and keys == set(range(90)) and rep["b"]["moved_out"]


def test_split_is_disjoint_and_deterministic():
    keys = [("p.html", f"s{i}", j) for i in range(50) for j in range(4)]
    cal = {k for k in keys if is_calibration(k)}
    assert 0.1 < len(cal) / len(keys) < 0.4
    assert cal == {k for k in keys if is_calibration(k)}


def test_missing_language_is_one_error(handbook):
    with pytest.raises(LaaciqError, match="no language 'fa'"):
        load_handbook(handbook, ["en", "fa"])
    with pytest.raises(LaaciqError, match="no language 'hi'"):
        load_handbook(handbook, ["hi"])


def _lo_page(paras, code=False):
    body = "".join(f'<p id="par_id{i}" class="paragraph" dir="auto">{p}</p>'
                   for i, p in enumerate(paras))
    if code:
        body += '<p id="par_id99" class="code" dir="auto">Sub Main : MsgBox "hello world" End</p>'
        body += '<pre dir="auto"><p id="par_id98">Dim a As Integer = the value</p></pre>'
    return f"<html><body>{body}</body></html>"


LO_PAGES = tuple(f"{m}/{i}.html" for m in ("swriter", "scalc") for i in range(5))


@pytest.fixture()
def lo_help(tmp_path):
    root = tmp_path / "help"
    for loc, paras in (("en-US", EN), ("de", DE), ("ru", RU), ("ja", EN)):
        for page in LO_PAGES + ("sbasic/shared/c.html",):
            f = root / loc / "text" / page
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(_lo_page(paras, code=True), encoding="utf-8")
    return root


def test_libreoffice_alignment_basic_and_code_dropped(lo_help):
    en = lo_paragraphs(lo_help / "en-US" / "text")
    assert {p for p, _ in en} == set(LO_PAGES)                        # no BASIC page
    assert {i for _, i in en} == {"par_id0", "par_id1", "par_id2"}    # no code, no <pre>
    c = load_libreoffice(lo_help, ["en", "de", "ru"], min_paragraphs=0)
    keys = set(c.eval_keys) | set(c.calib_keys)
    assert keys == {(p, f"par_id{j}") for p in LO_PAGES for j in (0, 2)}
    assert c.calib_keys and c.eval_keys and all(u == k[0] for k in c.eval_keys
                                                for u in [c.unit(k)])
    assert lo_keep("de", DE[0], EN[0]) and not lo_keep("de", EN[1], EN[1])
    assert not lo_keep("ru", "Menu Tools - Options - Writer", "Menu Tools - Options")


def test_libreoffice_language_without_parallel_text_is_one_error(lo_help):
    # the Japanese help here is English throughout: nothing is translated
    with pytest.raises(LaaciqError, match="'ja' has no translated paragraph"):
        load_libreoffice(lo_help, ["en", "ja"], min_paragraphs=0)
    with pytest.raises(LaaciqError, match="no language 'xx'"):
        load_libreoffice(lo_help, ["en", "xx"], min_paragraphs=0)
    with pytest.raises(LaaciqError, match="no LibreOffice help for 'fr'"):
        load_libreoffice(lo_help, ["en", "fr"], min_paragraphs=0)


def test_libreoffice_help_that_links_to_another_language_is_refused(lo_help, monkeypatch):
    """Debian's Slovak help is a link to the Czech one: such a language is an error, never a
    second copy of another language's text."""
    from laaciq.lm import libreoffice
    (lo_help / "xx").symlink_to("de")
    monkeypatch.setitem(libreoffice.LO_LOCALES, "xx", "xx")
    with pytest.raises(LaaciqError, match="'xx' is a link to 'de'"):
        load_libreoffice(lo_help, ["en", "de", "xx"], min_paragraphs=0)
    assert "sk" not in libreoffice.LO_LANGUAGES and "cs" in libreoffice.LO_LANGUAGES
