"""A SentencePiece-style BPE tokenizer built from a GGUF file's own vocabulary.

The GGUF stores ``tokenizer.ggml.tokens`` (strings), ``.scores`` (floats) and ``.token_type``
(1 normal, 3 control, 4 user-defined, 6 byte). Encoding a text:

1. split it at user-defined tokens (longest match first; e.g. newline and space runs, HTML
   tags), which are emitted as they are;
2. in every other fragment replace ' ' by '▁' (no dummy prefix: ``add_space_prefix`` is false)
   and start from single characters;
3. repeatedly merge the adjacent pair whose concatenation is a normal or user-defined token of
   highest score (leftmost on ties) until no adjacent pair is in the vocabulary;
4. a symbol that is not a token becomes its UTF-8 bytes, ``<0xXX>`` byte tokens.

The BOS id (``tokenizer.ggml.bos_token_id``) starts every sequence.

``transformers`` builds a different, wrong tokenizer from this GGUF (perplexity ≈ 530 on plain
English); this one is tested against an independent naive merge-by-score implementation.
"""

from __future__ import annotations

import heapq
import json
import re
from pathlib import Path

from laaciq.errors import LaaciqError
from laaciq.io import atomic_write_text

__all__ = ["GGUFTokenizer", "read_gguf_vocab"]

NORMAL, CONTROL, USER, BYTE = 1, 3, 4, 6


def read_gguf_vocab(gguf_path: Path, cache: Path | None = None) -> dict:
    """``{"tokens", "scores", "types", "bos"}`` from a GGUF file (cached as JSON: parsing the
    262k strings with ``gguf`` takes ~15 s)."""
    if cache is not None and Path(cache).exists():
        return json.loads(Path(cache).read_text(encoding="utf-8"))
    try:
        import gguf
    except ImportError:
        raise LaaciqError("reading a GGUF file needs the `gguf` package: "
                          "pip install -e '.[lm]'") from None
    try:
        r = gguf.GGUFReader(str(gguf_path))
        f = r.fields
        vocab = {"tokens": list(f["tokenizer.ggml.tokens"].contents()),
                 "scores": [float(x) for x in f["tokenizer.ggml.scores"].contents()],
                 "types": [int(x) for x in f["tokenizer.ggml.token_type"].contents()],
                 "bos": int(f["tokenizer.ggml.bos_token_id"].contents())}
    except (KeyError, ValueError, OSError) as exc:
        raise LaaciqError(f"{gguf_path} has no SentencePiece vocabulary "
                          f"(tokenizer.ggml.tokens/scores/token_type): {exc}") from None
    if cache is not None:
        atomic_write_text(Path(cache), json.dumps(vocab, ensure_ascii=False))
    return vocab


class GGUFTokenizer:
    """Encode text with the vocabulary of :func:`read_gguf_vocab`."""

    def __init__(self, vocab: dict):
        self.tokens = vocab["tokens"]
        self.scores = vocab["scores"]
        self.types = vocab["types"]
        self.bos = int(vocab["bos"])
        self.index = {t: i for i, t in enumerate(self.tokens)
                      if self.types[i] in (NORMAL, USER)}
        self.byte_id = {}
        for i, t in enumerate(self.tokens):
            if self.types[i] == BYTE and re.fullmatch(r"<0x[0-9A-Fa-f]{2}>", t):
                self.byte_id[int(t[3:5], 16)] = i
        users = sorted((t for i, t in enumerate(self.tokens) if self.types[i] == USER),
                       key=len, reverse=True)
        self._user_re = re.compile("|".join(map(re.escape, users))) if users else None

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    def _bpe(self, text: str) -> list[int]:
        sym = list(text.replace(" ", "\u2581"))
        n = len(sym)
        if n == 0:
            return []
        prev = list(range(-1, n - 1))
        nxt = list(range(1, n + 1))
        nxt[-1] = -1
        alive = [True] * n
        heap: list = []

        def push(i):
            j = nxt[i]
            if j == -1:
                return
            s = sym[i] + sym[j]
            tid = self.index.get(s)
            if tid is not None:
                heapq.heappush(heap, (-self.scores[tid], i, s))

        for i in range(n - 1):
            push(i)
        while heap:
            _, i, s = heapq.heappop(heap)
            j = nxt[i]
            if not alive[i] or j == -1 or sym[i] + sym[j] != s:
                continue  # stale entry
            sym[i] = s
            alive[j] = False
            nxt[i] = nxt[j]
            if nxt[j] != -1:
                prev[nxt[j]] = i
            if prev[i] != -1:
                push(prev[i])
            push(i)
        out = []
        i = 0
        while i != -1:
            tid = self.index.get(sym[i])
            if tid is not None:
                out.append(tid)
            else:
                out.extend(self.byte_id[b] for b in sym[i].encode("utf-8"))
            i = nxt[i]
        return out

    def encode(self, text: str, bos: bool = False) -> list[int]:
        """Token ids of ``text`` (with the BOS id first if ``bos``)."""
        out = [self.bos] if bos else []
        if self._user_re is None:
            return out + self._bpe(text)
        pos = 0
        for m in self._user_re.finditer(text):
            out += self._bpe(text[pos:m.start()])
            out.append(self.index[m.group(0)])
            pos = m.end()
        return out + self._bpe(text[pos:])

    def decode(self, ids) -> str:
        """Inverse of :meth:`encode` for normal, user-defined and byte tokens."""
        buf = bytearray()
        for i in ids:
            t = self.tokens[i]
            if self.types[i] == BYTE:
                buf.append(int(t[3:5], 16))
            elif self.types[i] == CONTROL:
                continue
            else:
                buf += t.replace("\u2581", " ").encode("utf-8")
        return buf.decode("utf-8", errors="replace")
