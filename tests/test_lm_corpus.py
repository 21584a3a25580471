"""Alignment, untranslated-paragraph filter and splits of the multilingual corpus (no ML stack
needed: small handbook-shaped HTML written here)."""

from __future__ import annotations

import pytest

from laaciq.errors import LaaciqError
from laaciq.lm.corpus import (identify_latin, is_calibration, keep_paragraph, load_corpus,
                              script_share)

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


def test_untranslated_paragraphs_are_dropped(handbook):
    c = load_corpus(handbook, None, ["en", "de", "ru"])
    for lang in ("de", "ru"):
        texts = c.calibration[lang] + c.evaluation[lang]
        assert EN[1] not in texts
        assert c.stats[lang]["kept"] == 8 and c.stats[lang]["paragraphs"] == 12
    assert len(c.calibration["en"] + c.evaluation["en"]) == 12
    # the split is by key: the same keys go to calibration in every language
    assert len(c.calibration["de"]) == len(c.calibration["ru"])


def test_split_is_disjoint_and_deterministic():
    keys = [("p.html", f"s{i}", j) for i in range(50) for j in range(4)]
    cal = {k for k in keys if is_calibration(k)}
    assert 0.1 < len(cal) / len(keys) < 0.4
    assert cal == {k for k in keys if is_calibration(k)}


def test_missing_language_is_one_error(handbook):
    with pytest.raises(LaaciqError, match="no language 'fa'"):
        load_corpus(handbook, None, ["en", "fa"])
    with pytest.raises(LaaciqError, match="no Hindi text"):
        load_corpus(handbook, None, ["hi"])
