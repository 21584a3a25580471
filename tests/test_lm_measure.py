"""Measuring on a toy model written here: ā excludes the BOS position (checked against the block
outputs computed by hand), NLL is attributed to the right page, and the thresholds' cache is
keyed by the code that computes them. Runs in about a second."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the lm extra is not installed")

from laaciq.lm import commands, measure  # noqa: E402
from laaciq.lm.model import Scorer  # noqa: E402


class _Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)

    def forward(self, h):
        return h + self.lin(h)


class _Toy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.emb = torch.nn.Embedding(10, 4)
        with torch.no_grad():
            self.emb.weight[0] *= 100.0            # BOS (id 0): a huge, language-free state
        self.model = torch.nn.Module()
        self.model.layers = torch.nn.ModuleList([_Block() for _ in range(3)])
        self.head = torch.nn.Linear(4, 10)

    def forward(self, input_ids):
        h = self.emb(input_ids)
        for b in self.model.layers:
            h = b(h)
        return SimpleNamespace(logits=self.head(h))


def _by_hand(model, seg, with_bos):
    h = model.emb(torch.tensor([seg]))
    sums = []
    with torch.no_grad():
        for b in model.model.layers:
            h = b(h)
            n = h.norm(dim=-1)[0]
            sums.append(float(n.sum() if with_bos else n[1:].sum()))
    a = np.array(sums)
    return a / a.sum()


def test_a_bar_excludes_bos():
    model = _Toy().eval()
    seg = [0, 3, 4, 5, 6, 7, 8]
    st = Scorer(model).run([seg], norms=True)
    np.testing.assert_allclose(measure.a_bar(st), _by_hand(model, seg, False), rtol=1e-5)
    np.testing.assert_allclose(measure.a_bar(st, with_bos=True), _by_hand(model, seg, True),
                               rtol=1e-5)
    # the BOS state is large: including it changes ā visibly
    assert np.abs(measure.a_bar(st) - measure.a_bar(st, with_bos=True)).max() > 1e-3


class _CharTok:
    bos = 0

    def encode(self, text):
        return [1 + (ord(c) % 9) for c in text]


def test_encode_attributes_every_token_to_its_page():
    tok = _CharTok()
    paras = [("p1", "abcde"), ("p2", "fgh"), ("p1", "ij"), ("p3", "klmnopq")]
    enc = measure.encode(tok, paras, seg_len=6)
    assert enc.units == ["p1", "p2", "p3"]
    # characters per page: text + 2 for the separator ("\n\n" is 2 tokens here as well)
    np.testing.assert_array_equal(enc.characters, [5 + 2 + 2 + 2, 3 + 2, 7 + 2])
    assert all(s[0] == 0 and len(s) <= 6 for s in enc.segments)
    st = Scorer(_Toy().eval()).run(enc.segments)
    nll, cnt = measure.per_unit(st, enc)
    # every predicted token counted once, in its page; sums agree with the scorer's totals
    np.testing.assert_array_equal(cnt, [11, 5, 9])
    assert nll.sum() == pytest.approx(st.nll.sum())


def test_threshold_cache_is_keyed_by_code(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    d1 = commands.code_digest([a, b])
    assert d1 == commands.code_digest([b, a])          # order of the list does not matter
    a.write_text("x = 2\n")
    d2 = commands.code_digest([a, b])
    assert d2 != d1
    p1 = commands.threshold_cache(tmp_path, "m", 18, d1)
    p2 = commands.threshold_cache(tmp_path, "m", 18, d2)
    assert p1 != p2 and p1.parent == p2.parent
    # the digest covers the strategies, the solvers and the quantizer the thresholds come from
    names = {p.name for p in commands._code_files()}
    assert {"quantize.py", "measure.py", "weighted.py", "baselines.py", "api.py",
            "aciq.py"} <= names
