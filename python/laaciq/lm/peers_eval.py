"""``make peers``: the calibration-free peers at equal bits per weight and the bits-per-character
cross-check of llama.cpp, evaluated by the probe's model (``report/compare.json``'s ``peers``).

Steps (cached under ``$LAACIQ_CACHE/compare/peers``, keyed by their inputs):

1. the model: the probe's Gemma-3-270M (``transformers``, fp32) with every linear matrix of the
   decoder blocks replaced by the F32 GGUF that ``make compare`` quantizes (read with gguf-py's
   ``dequantize``, the function ``transformers``' GGUF loader calls), so every method starts
   from the comparison's base; the largest difference from the probe's own weights is recorded;
2. segments: per language the comparison's held-out text, tokenized with the GGUF's vocabulary
   (:mod:`laaciq.lm.tokenizer`) and cut as ``llama-perplexity`` cuts it — ``chunks`` chunks of
   ``ctx`` tokens of the stream ``[BOS] + tokens``, each chunk's first token replaced by BOS —
   the same token ids for every method;
3. the probe's perplexity (:class:`laaciq.lm.model.Scorer`): per segment the negative
   log-likelihood of every predicted token, summed over all positions (the peers' table) and
   over the second half as llama.cpp scores it (positions ``ctx/2 + 1 … ctx − 1``: the
   cross-check); characters of the predicted tokens counted from their UTF-8 bytes;
4. peers (:mod:`laaciq.lm.peers`): HQQ, quanto and laaciq at equal bits per weight; paired
   per-segment differences with bootstrap CIs (:mod:`laaciq.lm.paired`);
5. cross-check: laaciq's and llama.cpp's Q4_0 GGUFs (all-language imatrix) made and scored by
   ``make compare``'s code (:class:`laaciq.lm.compare._Run`, cached there); their block weights
   read from the GGUF files with gguf-py and scored by the probe on the same chunks; both in
   bits per character (:func:`laaciq.lm.peers.llama_bits_per_char` for llama.cpp).

    python -m laaciq.lm.peers_eval --out report/compare.json      # what `make peers` runs
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from laaciq.errors import LaaciqError
from laaciq.lm import peers as pr
from laaciq.lm.langtext import LANGUAGES
from laaciq.lm.paired import bonferroni, bootstrap, mean_diff, ppl_diff, ppl_increase, stratified

__all__ = ["PeersConfig", "DECISION_RULES", "RULES_SHA256", "chunk_segments", "CharCounter",
           "run_peers", "peer_comparisons", "crosscheck_doc", "section_main", "main"]

DECISION_RULES = """\
Peers (calibration-free, equal bits per weight). Model: Gemma-3-270M, every linear matrix of
the decoder blocks from the F32 GGUF of the comparison with llama.cpp; embeddings and norms
unquantized. Methods: HQQ 4-bit group 64 (fp16 scale and zero, its defaults otherwise), quanto
qint4 (its default group and optimizer), laaciq's exact Q4_0 optimum of the weight error (group
32, fp16 scale); bits per weight counted from the stored tensors; laaciq's group is the one with
the largest bits per weight not above the peer's. Text: the comparison's held-out text, 12
languages, 4 chunks of 256 tokens per language cut as llama-perplexity cuts them, every
predicted position scored. Unit: a chunk. Statistic: per chunk the mean negative log-likelihood
of laaciq minus the peer's (primary) and the perplexity difference (secondary); percentile
bootstrap over chunks, 10,000 resamples; pooled = mean over languages, chunks resampled within
each language.
P1: laaciq is AHEAD of a peer in a language if the Bonferroni-adjusted (12 languages) CI of the
mean per-chunk NLL difference lies below 0, BEHIND if above, else TIE; pooled the same with the
95% pooled CI. Reported for each peer; no claim beyond this model.
Cross-check (bits per character). laaciq's and llama.cpp's Q4_0 GGUF with the all-language
imatrix: llama.cpp's perplexity over the scored tokens (second half of each chunk) as bits per
character, n_tokens * log2(ppl) / characters, against the probe's own evaluation of the GGUF's
dequantized weights on the same chunks and positions. X1: the two evaluations rank the two
methods the same way by pooled bits per character (mean over languages), and per language we
count the languages where they agree. X2: the stated amount is the mean over languages and the
range of (probe - llama.cpp) bits per character per method and of the difference between the
methods.
"""
RULES_SHA256 = hashlib.sha256(DECISION_RULES.encode()).hexdigest()

#: cross-checked GGUF methods (ids of :data:`laaciq.lm.compare.METHODS`)
CROSSCHECK = ("laaciq-q4-all", "llama-q4-all")


@dataclass(frozen=True)
class PeersConfig:
    languages: tuple = LANGUAGES
    ctx: int = 256
    chunks: int = 4
    threads: int = 2
    bootstrap: int = 10000
    seed: int = 24
    methods: tuple = ("laaciq-q4-g32", "hqq-g64", "quanto-int4")
    crosscheck: bool = True


# =============================================================================================
# segments and characters


def chunk_segments(ids, bos: int, ctx: int, n: int) -> list[list[int]]:
    """llama-perplexity's chunks: the stream ``[bos] + ids`` cut into ``n`` chunks of ``ctx``
    tokens, each chunk's first token replaced by ``bos``."""
    stream = [bos] + list(ids)
    if len(stream) < n * ctx:
        raise LaaciqError(f"the text has {len(stream)} tokens, {n} chunks of {ctx} need "
                          f"{n * ctx}")
    return [[bos] + stream[i * ctx + 1:(i + 1) * ctx] for i in range(n)]


class CharCounter:
    """Characters of a token span: the UTF-8 lead bytes of its pieces (a character split over
    byte tokens counts once, where its first byte is)."""

    def __init__(self, tok):
        self.tok = tok
        self._memo: dict = {}

    def __call__(self, ids) -> int:
        n = 0
        for i in ids:
            c = self._memo.get(i)
            if c is None:
                b = _piece_bytes(self.tok, i)
                c = self._memo[i] = sum(1 for x in b if x & 0xC0 != 0x80)
            n += c
        return n


def _piece_bytes(tok, i: int) -> bytes:
    from laaciq.lm.tokenizer import BYTE, CONTROL

    t, ty = tok.tokens[i], tok.types[i]
    if ty == BYTE:                                # <0xXX>
        return bytes([int(t[3:5], 16)])
    if ty == CONTROL:                             # BOS, ...
        return b""
    return t.replace("\u2581", " ").encode("utf-8")


# =============================================================================================
# the model and the weights


def _gguf_matrices(path: Path, names: list) -> dict:
    """``{name: float32 (out, in)}`` of the named tensors of a GGUF, dequantized by gguf-py."""
    import gguf

    r = gguf.GGUFReader(str(path))
    by = {t.name: t for t in r.tensors}
    missing = [n for n in names if n not in by]
    if missing:
        raise LaaciqError(f"{path} has no tensor {missing[0]}")
    return {n: np.asarray(gguf.quants.dequantize(by[n].data, by[n].tensor_type),
                          dtype=np.float32) for n in names}


class _Model:
    """The probe's model, its block linears by index and their GGUF names."""

    def __init__(self, run, threads: int, log):
        from laaciq.lm import assets
        from laaciq.lm.model import Scorer, block_linears, load_model
        from laaciq.tensor.calibrated import canonical_name

        shipped, _ = assets.fetch_model(run.cache, log)
        self.model = load_model(assets.convert_model(shipped, run.cache, log), threads)
        lin = block_linears(self.model)
        qual = {id(m): n for n, m in self.model.named_modules()}
        nb = max(l for l, _, _ in lin) + 1
        self.modules = {i: m for i, (_, _, m) in enumerate(lin)}
        self.names = {i: canonical_name(qual[id(m)] + ".weight", nb)
                      for i, m in self.modules.items()}
        self.scorer = Scorer(self.model, 1)

    def read(self, path: Path) -> dict:
        """The block matrices of a GGUF by linear index (shapes checked against the model)."""
        got = _gguf_matrices(path, list(self.names.values()))
        out = {}
        for i, m in self.modules.items():
            a = got[self.names[i]]
            if a.shape != tuple(m.weight.shape):
                raise LaaciqError(f"{path}: {self.names[i]} has shape {a.shape}, the model "
                                  f"{tuple(m.weight.shape)}")
            out[i] = a
        return out

    def apply(self, weights: dict) -> None:
        import torch

        with torch.no_grad():
            for i, w in weights.items():
                self.modules[i].weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))

    def current(self) -> dict:
        return {i: m.weight.detach().numpy().copy() for i, m in self.modules.items()}


def _score(scorer, segs: list, chars, first: int) -> dict:
    """Per segment: NLL summed over every predicted position and over llama.cpp's scored half
    (predicted positions ``first + 1 … ctx − 1``), token and character counts."""
    st = scorer.run(segs)
    out = {"nll_all": [], "nll_half": [], "n_all": [], "n_half": [], "chars_all": [],
           "chars_half": []}
    for s, t in zip(segs, st.token_nll):
        out["nll_all"].append(float(t.sum()))
        out["nll_half"].append(float(t[first:].sum()))
        out["n_all"].append(len(t))
        out["n_half"].append(len(t) - first)
        out["chars_all"].append(chars(s[1:]))
        out["chars_half"].append(chars(s[first + 1:]))
    return out


# =============================================================================================
# the run


def _h(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for p in ("torch", "transformers", "gguf", *pr.PINS):
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = None
    return out


class _Peers:
    """One run: the comparison's cache, the model, the segments and the cached scores."""

    def __init__(self, cfg: PeersConfig, log):
        from laaciq.lm import compare as cp

        self.cfg, self.log = cfg, log
        self.ccfg = cp.CompareConfig(languages=cfg.languages, ctx=cfg.ctx, chunks=cfg.chunks,
                                     methods=CROSSCHECK)
        self.run = cp._Run(self.ccfg, log)
        self.f32, self.base_info = self.run.base()
        self.texts = self.run.texts(self.base_info["shipped"]["sha256"])
        self.tok = self.run.tokenizer(self.base_info["shipped"]["sha256"])
        self.root = self.run.root / "peers"
        self.root.mkdir(exist_ok=True)
        self._m = None
        self.chars = CharCounter(self.tok)
        self.segs = {}
        for l in cfg.languages:
            text = Path(self.texts["eval"][l]).read_text(encoding="utf-8")
            self.segs[l] = chunk_segments(self.tok.encode(text), self.tok.bos, cfg.ctx,
                                          cfg.chunks)
        self._diff_path = self.root / f"base-diff-{self.base_info['sha256'][:16]}.json"

    @property
    def m(self) -> _Model:
        """The model with the base's block matrices (loaded when a score is missing)."""
        if self._m is None:
            self._m = _Model(self.run, self.cfg.threads, self.log)
            probe_w = self._m.current()
            self.base_w = self._m.read(self.f32)
            diff = max(float(np.abs(probe_w[i] - self.base_w[i]).max()) for i in probe_w)
            self._diff_path.write_text(json.dumps({"max_abs_diff": diff}))
            del probe_w
            self._m.apply(self.base_w)
        return self._m

    @property
    def base_diff(self) -> float | None:
        if not self._diff_path.exists():
            return None
        return json.loads(self._diff_path.read_text())["max_abs_diff"]

    def base_weights(self) -> dict:
        """The base's block matrices by linear index (loads the model on first use)."""
        self.m.apply({})
        return self.base_w

    def scores(self, method: str, version: str, weights_fn) -> dict:
        """``{lang: per-segment scores}`` of a method (cached per language); ``weights_fn``
        gives the block matrices (called only when something is missing)."""
        cfg = self.cfg
        base_sha, text_sha = self.base_info["sha256"], self.texts["sha256"]
        paths = {l: self.root / f"{method}-{l}-"
                 f"{_h(method, version, base_sha, text_sha[f'eval-{l}.txt'], cfg.ctx, cfg.chunks)}"
                 ".json" for l in cfg.languages}
        todo = [l for l, p in paths.items() if not p.exists()]
        if todo:
            self.m.apply(weights_fn())
            try:
                for l in todo:
                    t0 = time.perf_counter()
                    r = _score(self.m.scorer, self.segs[l], self.chars, cfg.ctx // 2)
                    r["seconds"] = round(time.perf_counter() - t0, 2)
                    paths[l].write_text(json.dumps(r))
                    self.log(f"[{l}] {method}: scored in {r['seconds']} s")
            finally:
                self.m.apply(self.base_w)
        return {l: json.loads(p.read_text()) for l, p in paths.items()}


def run_peers(cfg: PeersConfig, log=print) -> dict:
    """Every step (module docstring); returns ``compare.json``'s ``peers`` section."""
    from laaciq.lm import compare as cp

    t_all = time.perf_counter()
    commit = cp._git_commit()
    missing = pr.peers_missing()
    methods = [m for m in cfg.methods if m not in missing]
    p = _Peers(cfg, log)
    base = p.scores("f32", "base", p.base_weights)
    scores, metas = {}, {}
    version = json.dumps(_versions()) + cp._code_digest()
    for m in methods:
        meta_path = p.root / f"{m}-{_h(m, version, p.base_info['sha256'])}.meta.json"
        holder: dict = {}

        def weights(m=m, holder=holder, meta_path=meta_path):
            holder["w"], holder["meta"] = pr.quantize_all(m, p.base_weights(), log)
            meta_path.write_text(json.dumps(holder["meta"]))
            return holder["w"]
        scores[m] = p.scores(m, version, weights)
        if not meta_path.exists():               # scores cached, meta lost: quantize again
            weights()
        metas[m] = json.loads(meta_path.read_text())
    doc = {"model": "Gemma-3-270M (block matrices from the comparison's F32 GGUF), "
                    "evaluated by the probe (transformers, fp32)",
           "commit": commit, "config": asdict(cfg), "versions": _versions(),
           "decision_rules": DECISION_RULES, "decision_rules_sha256": RULES_SHA256,
           "languages": list(cfg.languages), "not_run": missing,
           "base": {"f32_gguf_sha256": p.base_info["sha256"],
                    "max_abs_diff_probe_vs_f32_gguf": p.base_diff},
           "methods": {m: {"label": pr.QUANTIZERS[m][1], **metas[m]} for m in methods},
           "per_segment": {"f32": base, **scores}}
    doc["results"] = _per_method(base, scores, cfg)
    doc["comparisons"] = peer_comparisons(scores, cfg)
    if cfg.crosscheck:
        doc["crosscheck"] = _crosscheck(p, base, cfg)
    doc["timings"] = {"total_s": round(time.perf_counter() - t_all, 1)}
    return doc


def _mean_nll(r: dict, key: str = "all") -> np.ndarray:
    return np.asarray(r[f"nll_{key}"]) / np.asarray(r[f"n_{key}"])


def _bpc(r: dict, key: str) -> float:
    return pr.bits_per_char(float(np.sum(r[f"nll_{key}"])), int(np.sum(r[f"chars_{key}"])))


def _per_method(base: dict, scores: dict, cfg: PeersConfig) -> dict:
    """Per method and language: perplexity, bits per character and the perplexity increase
    over F32 with its paired CI."""
    out = {"f32": {l: {"ppl": float(np.exp(_mean_nll(r).mean())), "bpc": _bpc(r, "all")}
                   for l, r in base.items()}}
    for m, by in scores.items():
        out[m] = {}
        for l, r in by.items():
            inc = bootstrap(ppl_increase, [_mean_nll(r), _mean_nll(base[l])], cfg.bootstrap,
                            seed=cfg.seed)
            out[m][l] = {"ppl": float(np.exp(_mean_nll(r).mean())), "bpc": _bpc(r, "all"),
                         "ppl_increase": inc["value"], "ppl_increase_ci": inc["ci"]}
    return out


def _verdict(ci) -> str:
    return "ahead" if ci[1] < 0 else "behind" if ci[0] > 0 else "tie"


def peer_comparisons(scores: dict, cfg: PeersConfig, ours: str = "laaciq-q4-g32") -> dict:
    """Rule P1: laaciq minus each peer, per language (Bonferroni-adjusted) and pooled."""
    out = {}
    if ours not in scores:
        return out
    a = scores[ours]
    for peer in (m for m in scores if m != ours):
        b = scores[peer]
        langs = [l for l in cfg.languages if l in a and l in b]
        level = bonferroni(0.95, len(langs))
        per = {}
        for l in langs:
            cols = [_mean_nll(a[l]), _mean_nll(b[l])]
            d = bootstrap(mean_diff, cols, cfg.bootstrap, seed=cfg.seed)
            da = bootstrap(mean_diff, cols, cfg.bootstrap, level=level, seed=cfg.seed)
            pp = bootstrap(ppl_diff, cols, cfg.bootstrap, seed=cfg.seed)
            per[l] = {"dnll": d["value"], "dnll_ci": d["ci"], "dnll_ci_adj": da["ci"],
                      "verdict": _verdict(da["ci"]), "dppl": pp["value"], "dppl_ci": pp["ci"]}
        strata = [[_mean_nll(a[l]), _mean_nll(b[l])] for l in langs]
        pn = stratified(mean_diff, strata, cfg.bootstrap, seed=cfg.seed)
        pp = stratified(ppl_diff, strata, cfg.bootstrap, seed=cfg.seed)
        out[f"{ours}-vs-{peer}"] = {
            "a": ours, "b": peer, "languages": langs, "level_adj": level, "per_language": per,
            "pooled": {"dnll": pn["value"], "dnll_ci": pn["ci"], "verdict": _verdict(pn["ci"]),
                       "dppl": pp["value"], "dppl_ci": pp["ci"]},
            "counts": {v: sum(x["verdict"] == v for x in per.values())
                       for v in ("ahead", "tie", "behind")}}
    return out


# =============================================================================================
# the bits-per-character cross-check


def _crosscheck(p: _Peers, base: dict, cfg: PeersConfig) -> dict:
    """llama.cpp's and the probe's bits per character for :data:`CROSSCHECK` (rules X1/X2)."""
    from laaciq.lm import compare as cp

    run, sha = p.run, p.texts["sha256"]
    base_sha = p.base_info["sha256"]
    imat = run.imatrix(p.f32, base_sha, "all", Path(p.texts["cal"]["all"]),
                       sha["cal-all.txt"])
    meths = [m for m in cp.METHODS if m.id in CROSSCHECK]
    jobs = []
    for m in meths:
        key, meta = run.quantize(m, p.f32, base_sha, imat)
        jobs.append((m, key, meta, imat))
    llama = {m.id: {} for m in meths}
    llama_base = {}
    for l in cfg.languages:
        b, res = _llama_chunks(p, l, jobs)
        llama_base[l] = b["nll"][:cfg.chunks]
        for mid, r in res.items():
            llama[mid][l] = r["nll"][:cfg.chunks]
    probe = {}
    for m, key, meta, _ in jobs:
        path = Path(meta["path"])
        probe[m.id] = p.scores(f"gguf-{m.id}", key,
                               lambda path=path, m=m: p.m.read(
                                   run.model_file(m, p.f32, imat, path)))
        path.unlink(missing_ok=True)
    return crosscheck_doc(llama, llama_base, probe, base, cfg.ctx)


def _llama_chunks(p: _Peers, lang: str, jobs: list) -> tuple[dict, dict]:
    """llama.cpp's per-chunk results of one language: from a cached run of ``make compare``
    with at least as many chunks if there is one (its first chunks are the same tokens, scored
    the same way), else computed with this run's chunks."""
    from laaciq.lm import compare as cp

    text, sha = Path(p.texts["eval"][lang]), p.texts["sha256"][f"eval-{lang}.txt"]
    base_sha = p.base_info["sha256"]
    n = cp.CompareConfig.chunks
    if n > p.cfg.chunks:
        other = cp._Run(cp.CompareConfig(languages=p.cfg.languages, ctx=p.cfg.ctx, chunks=n,
                                         methods=CROSSCHECK), p.log)
        b, res = other.evaluate(lang, text, sha, p.f32, base_sha, jobs, compute=False)
        if b is not None and len(res) == len(jobs):
            return b, res
    return p.run.evaluate(lang, text, sha, p.f32, base_sha, jobs)


def crosscheck_doc(llama: dict, llama_base: dict, probe: dict, probe_base: dict,
                   ctx: int) -> dict:
    """Bits per character of each method by llama.cpp (per-chunk mean NLL of the scored half,
    ``llama[method][lang]``) and by the probe (``probe[method][lang]`` per-segment scores, the
    same chunks), F32 included; the rules' X1/X2 numbers."""
    n_scored = ctx - 1 - ctx // 2
    rows: dict = {}
    for m, by in [("f32", llama_base), *llama.items()]:
        pm = probe_base if m == "f32" else probe[m]
        rows[m] = {}
        for l, nll in by.items():
            chars = int(np.sum(pm[l]["chars_half"]))
            lb = pr.llama_bits_per_char(n_scored * len(nll), math.exp(float(np.mean(nll))),
                                        chars)
            rows[m][l] = {"llama_bpc": lb, "probe_bpc": _bpc(pm[l], "half"), "chars": chars}
    langs = sorted(set.intersection(*[set(v) for v in rows.values()]),
                   key=list(llama_base).index)
    meths = [m for m in rows if m != "f32"]
    mean = {m: {k: float(np.mean([rows[m][l][k] for l in langs]))
                for k in ("llama_bpc", "probe_bpc")} for m in rows}
    diff = {m: [rows[m][l]["probe_bpc"] - rows[m][l]["llama_bpc"] for l in langs]
            for m in rows}
    out = {"languages": langs, "scored_tokens_per_chunk": n_scored, "per_language": rows,
           "mean": mean, "probe_minus_llama": {m: {"mean": float(np.mean(v)),
                                                    "min": float(np.min(v)),
                                                    "max": float(np.max(v))}
                                                for m, v in diff.items()}}
    if len(meths) == 2:
        a, b = meths
        gap = {k: [rows[a][l][k] - rows[b][l][k] for l in langs]
               for k in ("llama_bpc", "probe_bpc")}
        same = [np.sign(x) == np.sign(y) for x, y in zip(gap["llama_bpc"], gap["probe_bpc"])]
        dd = [x - y for x, y in zip(gap["probe_bpc"], gap["llama_bpc"])]
        out["methods"] = [a, b]
        out["gap"] = {k: float(np.mean(v)) for k, v in gap.items()}
        out["same_ranking_pooled"] = bool(np.sign(out["gap"]["llama_bpc"]) ==
                                          np.sign(out["gap"]["probe_bpc"]))
        out["same_ranking_languages"] = int(sum(same))
        out["gap_difference"] = {"mean": float(np.mean(dd)), "min": float(np.min(dd)),
                                 "max": float(np.max(dd))}
    return out


# =============================================================================================
# command


def summary(doc: dict) -> str:
    lines = [f"{doc['model']}; commit {doc['commit'][:12]}"]
    for m, v in doc["methods"].items():
        r = doc["results"][m]
        lines.append(f"{m:<16} bpw {v['bpw']:.4f}  rel. weight error {v['rel_weight_error']:.5f}"
                     f"  mean ppl {np.mean([x['ppl'] for x in r.values()]):.3f}")
    for cid, c in doc["comparisons"].items():
        q = c["pooled"]
        lines.append(f"{cid}: ahead/tie/behind {c['counts']['ahead']}/{c['counts']['tie']}/"
                     f"{c['counts']['behind']}; pooled dNLL {q['dnll']:+.5f} "
                     f"[{q['dnll_ci'][0]:+.5f}, {q['dnll_ci'][1]:+.5f}]")
    x = doc.get("crosscheck")
    if x:
        for m, v in x["mean"].items():
            lines.append(f"bpc {m}: llama.cpp {v['llama_bpc']:.4f}, probe {v['probe_bpc']:.4f}")
        if "gap" in x:
            lines.append(f"same ranking pooled: {x['same_ranking_pooled']}, in "
                         f"{x['same_ranking_languages']} of {len(x['languages'])} languages")
    return "\n".join(lines)


def merge_into(out: Path, section: dict, key: str = "peers") -> dict:
    """``out`` (a ``compare.json``, if present) with its ``key`` section replaced."""
    doc = {}
    if out.exists():
        try:
            doc = json.loads(out.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise LaaciqError(f"{out} is not valid JSON: remove it or run make compare") \
                from None
        if not isinstance(doc, dict):
            raise LaaciqError(f"{out} is not a compare.json document")
    doc[key] = section
    return doc


def section_main(argv, prog: str, description: str, key: str, chunks: int, make_config, run,
                 summarize, extra=None) -> int:
    """The command line of a run that writes one section ``key`` of ``compare.json``: ``--out``,
    ``--languages``, ``--chunks`` (and ``extra(parser)``'s options); ``make_config(args,
    languages)`` builds the run's configuration. Bad input: one error line, exit 2, the file
    untouched."""
    import argparse

    from laaciq.lm.probe import write_json

    ap = argparse.ArgumentParser(prog=prog, description=description)
    ap.add_argument("--out", default="report/compare.json")
    ap.add_argument("--languages", default=",".join(LANGUAGES))
    ap.add_argument("--chunks", type=int, default=chunks)
    if extra is not None:
        extra(ap)
    a = ap.parse_args(argv)
    try:
        langs = tuple(x for x in a.languages.split(",") if x)
        bad = [x for x in langs if x not in LANGUAGES]
        if bad or not langs or a.chunks < 2:
            raise LaaciqError(f"bad --languages/--chunks: {bad[:1] or a.chunks}")
        out = Path(a.out)
        merge_into(out, {}, key)                 # a bad file fails before the run
        section = run(make_config(a, langs), log=lambda s: print(s, file=sys.stderr, flush=True))
        write_json(merge_into(out, section, key), out)
    except LaaciqError as exc:
        print(f"laaciq: error: {exc}", file=sys.stderr)
        return 2
    print(summarize(section))
    print(f"wrote {a.out} (section `{key}`)")
    return 0


def main(argv=None) -> int:
    return section_main(
        argv, "python -m laaciq.lm.peers_eval", "calibration-free peers at equal bits per weight "
        "and the bits-per-character cross-check", "peers", PeersConfig.chunks,
        lambda a, langs: PeersConfig(languages=langs, chunks=a.chunks,
                                     crosscheck=not a.no_crosscheck),
        run_peers, summary, extra=lambda ap: ap.add_argument("--no-crosscheck",
                                                             action="store_true"))


if __name__ == "__main__":
    raise SystemExit(main())
