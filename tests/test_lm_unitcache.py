"""The probe's forward passes cached by value (:mod:`laaciq.lm.unitcache`), on a toy model written
here run through the whole probe (:func:`laaciq.lm.probe.run_probe`): a rerun gives the same
document without a forward pass, an added language computes only its own passes and the pooled
configurations', the result equals a run without the cache, a changed quantized matrix misses,
a corrupt unit is recomputed. Runs in a few seconds."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the lm extra is not installed")

from laaciq.lm import measure, probe  # noqa: E402
from laaciq.lm import quantize as qz  # noqa: E402
from laaciq.lm import unitcache as uc  # noqa: E402
from laaciq.lm.corpus import ParallelText  # noqa: E402
from laaciq.lm.model import Scorer, SegmentStats  # noqa: E402

VOCAB, DIM = 40, 16


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny matrices: one torch thread (several only wait for each other on a busy machine)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


class _Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.up_proj = torch.nn.Linear(DIM, 2 * DIM, bias=False)
        self.down_proj = torch.nn.Linear(2 * DIM, DIM, bias=False)

    def forward(self, h):
        return h + self.down_proj(torch.tanh(self.up_proj(h)))


class _Toy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(3)
        self.emb = torch.nn.Embedding(VOCAB, DIM)
        self.model = torch.nn.Module()
        self.model.layers = torch.nn.ModuleList([_Block() for _ in range(2)])
        self.head = torch.nn.Linear(DIM, VOCAB)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
            # heavy-tailed rows: clipping matters
            for b in self.model.layers:
                b.up_proj.weight[:, 0] *= 8.0

    def forward(self, input_ids):
        h = self.emb(input_ids)
        for b in self.model.layers:
            h = b(h)
        return SimpleNamespace(logits=self.head(h))


class _Tok:
    """Characters to ids; each language shifts the alphabet so the activations differ."""
    bos = 0

    def encode(self, text):
        return [1 + (ord(c) % (VOCAB - 1)) for c in text]


_WORDS = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod".split()


def _text(langs) -> ParallelText:
    rng = np.random.default_rng(0)
    keys = [(f"p{p}", f"s{s}", i) for p in range(4) for s in range(2) for i in range(2)]
    base = {k: " ".join(rng.choice(_WORDS, 6)) for k in keys}
    shift = {"en": 0, "de": 7, "fr": 19}
    texts = {l: {k: "".join(chr(ord(c) + shift[l]) for c in t) for k, t in base.items()}
             for l in langs}
    return ParallelText("handbook", list(langs), texts, keys[:4], keys[4:], lambda k: k[:2])


def _cfg():
    return probe.ProbeConfig(corpora=("handbook",), seg_len=24, bits=(4,),
                             strategies=("exact", "max", "pooled", "language"), bootstrap=20,
                             permutations=20, threads=1)


class _Calls:
    """Every forward pass of the scorer: the segments it ran."""

    def __init__(self, monkeypatch):
        self.segments = []
        real = Scorer.run

        def run(scorer, segments, **kw):
            self.segments.append([list(s) for s in segments])
            return real(scorer, segments, **kw)
        monkeypatch.setattr(Scorer, "run", run)


def _run(langs, cache):
    doc = probe.run_probe(_Toy().eval(), _Tok(), {"handbook": _text(langs)}, _cfg(), {},
                          log=lambda m: None, progress=False, unit_cache=cache)
    units = doc["timings"].pop("forward_pass_units")["handbook"]
    for k in ("timings",):
        doc.pop(k)
    doc["corpora"]["handbook"].pop("seconds")
    return json.loads(json.dumps(doc, default=lambda o: np.asarray(o).tolist())), units


def _eval_segments(lang):
    text = _text([lang])
    return measure.encode(_Tok(), text.paragraphs(lang, "evaluation"), 24).segments


def test_rerun_is_identical_and_runs_no_forward_pass(tmp_path, monkeypatch):
    calls = _Calls(monkeypatch)
    first, u1 = _run(("en", "de"), tmp_path)
    # 2 full-precision units (3 passes each) + 3 shared configurations + 2 per-language ones
    assert u1 == {"reused": 0, "computed": 2 + 3 * 2 + 2}
    assert len(calls.segments) == 2 * 3 + 3 * 2 + 2
    assert len(list(tmp_path.glob("*.npz"))) == u1["computed"]
    calls.segments.clear()
    second, u2 = _run(("en", "de"), tmp_path)
    assert calls.segments == [] and u2 == {"reused": u1["computed"], "computed": 0}
    assert second == first
    # and the cache changes no number: the same document computed without it
    plain, u0 = _run(("en", "de"), None)
    assert plain == first and u0["reused"] == 0


def test_added_language_computes_only_its_passes_and_the_pooled_ones(tmp_path, monkeypatch):
    _run(("en", "de"), tmp_path)
    calls = _Calls(monkeypatch)
    doc, units = _run(("en", "de", "fr"), tmp_path)
    # fr: its full-precision unit (3 passes) and exact, max, language; pooled: all 3 languages
    assert units == {"reused": 2 + 2 * 3, "computed": 1 + 3 + 3}
    fr, de, en = (_eval_segments(l) for l in ("fr", "de", "en"))
    scored = [s for s in calls.segments if len(s) == len(fr)]
    assert sum(s == fr for s in scored) == 1 + 4       # fp + exact, max, language, pooled
    assert sum(s == de for s in scored) == 1 and sum(s == en for s in scored) == 1
    assert len(calls.segments) == 3 + 4 + 2
    fresh, _ = _run(("en", "de", "fr"), None)
    assert doc == fresh


def test_changed_quantized_matrix_misses(tmp_path, monkeypatch):
    _, u1 = _run(("en", "de"), tmp_path)
    real = qz.quantize_jobs

    def nudged(W0, jobs, memo, workers):
        qw = real(W0, jobs, memo, workers)
        i = min(qw)
        qw[i] = qw[i].copy()
        qw[i][0, 0] = np.nextafter(qw[i][0, 0], np.inf)    # one matrix, one ulp
        return qw
    monkeypatch.setattr(qz, "quantize_jobs", nudged)
    _, u2 = _run(("en", "de"), tmp_path)
    # every quantized pass is new; the full-precision units are reused
    assert u2 == {"reused": 2, "computed": u1["computed"] - 2}


def test_corrupt_unit_is_recomputed(tmp_path, monkeypatch):
    first, u1 = _run(("en", "de"), tmp_path)
    files = sorted(tmp_path.glob("*.npz"))
    data = files[0].read_bytes()
    files[0].write_bytes(data[: len(data) // 2])          # truncated
    files[1].write_bytes(b"not a zip file")               # foreign
    files[2].write_bytes(files[3].read_bytes())           # another unit's file
    calls = _Calls(monkeypatch)
    second, u2 = _run(("en", "de"), tmp_path)
    assert u2 == {"reused": u1["computed"] - 3, "computed": 3} and calls.segments
    assert second == first
    # rewritten whole: a third run reuses everything
    assert _run(("en", "de"), tmp_path)[1]["computed"] == 0


def test_segment_stats_round_trip_exactly(tmp_path):
    rng = np.random.default_rng(1)
    st = SegmentStats(rng.standard_normal(3), np.array([4.0, 4.0, 2.0]),
                      [rng.standard_normal(n) for n in (4, 4, 2)], rng.standard_normal((3, 5)),
                      rng.standard_normal((3, 5)), tokens=13, sq_count=13,
                      sq_sum={0: rng.standard_normal(7), 5: rng.standard_normal(9)})
    plain = SegmentStats(np.ones(1), np.ones(1), [np.array([np.pi])])
    cache = uc.UnitCache(tmp_path)
    cache.stats("k", (3, 1), lambda: (st, plain))
    got = uc.UnitCache(tmp_path).stats("k", (3, 1), lambda: pytest.fail("recomputed"))
    for a, b in zip(got, (st, plain)):
        for f in ("nll", "count", "norm_sum", "norm_bos"):
            x, y = getattr(a, f), getattr(b, f)
            assert (x is None and y is None) or (x.dtype == y.dtype and
                                                 np.array_equal(x, y))
        assert all(np.array_equal(x, y) for x, y in zip(a.token_nll, b.token_nll))
        assert len(a.token_nll) == len(b.token_nll)
        assert a.sq_sum.keys() == b.sq_sum.keys()
        assert all(np.array_equal(a.sq_sum[k], b.sq_sum[k]) for k in a.sq_sum)
        assert (a.tokens, a.sq_count) == (b.tokens, b.sq_count)
    # a unit stored with other segment counts is not taken for this one
    calls = []
    uc.UnitCache(tmp_path).stats("k", (3, 2), lambda: calls.append(1) or (st, plain))
    assert calls == [1]


def test_digests_see_every_value_and_no_order():
    a = {3: np.arange(6.0).reshape(2, 3), 1: np.ones((2, 2))}
    b = {1: np.ones((2, 2)), 3: np.arange(6.0).reshape(2, 3)}
    assert uc.weights_digest(a) == uc.weights_digest(b)
    for i, j in ((3, (1, 2)), (1, (0, 0))):
        c = {k: v.copy() for k, v in a.items()}
        c[i][j] = np.nextafter(c[i][j], -np.inf)
        assert uc.weights_digest(c) != uc.weights_digest(a)
    assert uc.weights_digest({3: a[3], 2: a[1]}) != uc.weights_digest(a)   # another matrix
    assert uc.segments_digest([[0, 1, 2], [3]]) != uc.segments_digest([[0, 1], [2, 3]])
    m = _Toy()
    k0 = uc.base_key(m, 1)
    assert uc.base_key(_Toy(), 1) == k0 and uc.base_key(m, 4) != k0
    with torch.no_grad():
        m.head.bias[0] += 1e-3
    assert uc.base_key(m, 1) != k0
