"""The GGUF SentencePiece-BPE tokenizer against an independent, naive reference.

The reference below is written from the algorithm's description only (it shares no code with
``laaciq.lm.tokenizer``): split at user-defined tokens by scanning positions for the longest
match, replace spaces by '▁', then repeatedly scan *all* adjacent pairs and merge the one whose
concatenation is a normal/user-defined token with the highest score (leftmost on ties), and map
unknown symbols to their UTF-8 byte tokens. Quadratic and slow; fine for sentences.
"""

from __future__ import annotations

import pytest

gguf = pytest.importorskip("gguf", reason="the lm extra is not installed")

from hypothesis import given, settings, strategies as st  # noqa: E402

from laaciq.lm import assets  # noqa: E402
from laaciq.lm.tokenizer import GGUFTokenizer, read_gguf_vocab  # noqa: E402

SENTENCES = {
    "en": "The package manager resolves dependencies before it installs anything.",
    "de": "Der Paketmanager löst Abhängigkeiten auf, bevor er etwas installiert.",
    "fr": "Le gestionnaire de paquets résout les dépendances avant d'installer quoi que ce soit.",
    "es": "El gestor de paquetes resuelve las dependencias antes de instalar nada.",
    "it": "Il gestore dei pacchetti risolve le dipendenze prima di installare qualsiasi cosa.",
    "pt-BR": "O gerenciador de pacotes resolve as dependências antes de instalar qualquer coisa.",
    "ru": "Менеджер пакетов разрешает зависимости, прежде чем что-либо устанавливать.",
    "ar": "يقوم مدير الحزم بحل الاعتماديات قبل تثبيت أي شيء.",
    "fa": "مدیر بسته وابستگی‌ها را پیش از نصب هر چیزی حل می‌کند.",
    "ja": "パッケージマネージャーは何かをインストールする前に依存関係を解決します。",
    "zh-CN": "软件包管理器在安装任何东西之前会解析依赖关系。",
    "hi": "पैकेज प्रबंधक कुछ भी स्थापित करने से पहले निर्भरताओं को हल करता है।",
    "mixed": "apt-get install\tfoo  bar\n\nλ = 0.5 → ∞ 🙂 <div> x",
}


@pytest.fixture(scope="module")
def vocab():
    path, _ = assets.fetch_model()
    cache = assets.cache_dir() / f"vocab-{assets.sha256_file(path)[:16]}.json"
    return read_gguf_vocab(path, cache)


_TABLES: dict = {}


def _tables(vocab):
    if id(vocab) not in _TABLES:
        toks, types = vocab["tokens"], vocab["types"]
        piece_id = {}
        for i, t in enumerate(toks):
            if types[i] in (1, 4) and t not in piece_id:
                piece_id[t] = i
        users = [t for i, t in enumerate(toks) if types[i] == 4]
        byte_tok = {int(t[3:5], 16): i for i, t in enumerate(toks) if types[i] == 6}
        _TABLES[id(vocab)] = (piece_id, users, byte_tok)
    return _TABLES[id(vocab)]


def reference_encode(text: str, vocab: dict) -> list[int]:
    scores = vocab["scores"]
    piece_id, users, byte_tok = _tables(vocab)
    # 1. split at user-defined tokens: at each position, the longest one that starts there
    parts, buf, pos = [], "", 0
    while pos < len(text):
        match = ""
        for u in users:
            if len(u) > len(match) and text.startswith(u, pos):
                match = u
        if match:
            if buf:
                parts.append(("text", buf))
                buf = ""
            parts.append(("user", match))
            pos += len(match)
        else:
            buf += text[pos]
            pos += 1
    if buf:
        parts.append(("text", buf))
    out = []
    for kind, frag in parts:
        if kind == "user":
            out.append(piece_id[frag])
            continue
        sym = [ch for ch in frag.replace(" ", "▁")]
        while True:
            best_i, best_s = None, None
            for i in range(len(sym) - 1):
                cand = sym[i] + sym[i + 1]
                if cand in piece_id:
                    s = scores[piece_id[cand]]
                    if best_s is None or s > best_s:
                        best_i, best_s = i, s
            if best_i is None:
                break
            sym[best_i:best_i + 2] = [sym[best_i] + sym[best_i + 1]]
        for s in sym:
            if s in piece_id:
                out.append(piece_id[s])
            else:
                out.extend(byte_tok[b] for b in s.encode("utf-8"))
    return out


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_every_script_matches_the_reference(vocab, lang):
    tok = GGUFTokenizer(vocab)
    s = SENTENCES[lang]
    ids = tok.encode(s)
    assert ids == reference_encode(s, vocab)
    assert tok.decode(ids) == s
    assert len(ids) < len(s.encode("utf-8"))  # real merges happened (not bytes only)


def test_bos_and_whole_words(vocab):
    tok = GGUFTokenizer(vocab)
    assert tok.encode("Hello world", bos=True)[0] == vocab["bos"] == 2
    # a frequent word with its leading space is one token
    ids = tok.encode(" the")
    assert len(ids) == 1 and vocab["tokens"][ids[0]] == "▁the"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcdeé ñ漢字かなабвгمرحह्दी\n\t!?<>0123456789🙂")),
               max_size=40))
def test_random_strings_match_the_reference(vocab, text):
    tok = GGUFTokenizer(vocab)
    ids = tok.encode(text)
    assert ids == reference_encode(text, vocab)
    assert tok.decode(ids) == text
