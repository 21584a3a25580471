"""Measuring: the model runs of the probe and the statistics per language.

For one corpus (:class:`laaciq.lm.corpus.ParallelText`) and a list of configurations
(:class:`Config`) this runs, per language: the calibration text once in full precision (ā_l(λ)
with the BOS position excluded and, once for comparison, included; E[x_j²] per linear input),
the evaluation text in full precision (NLL per token, attributed to its page), and the
evaluation text once per configuration with the block matrices quantized. Results are NLL sums
per page, so any resampling over pages is exact arithmetic afterwards (:func:`language_table`).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

import numpy as np

from laaciq.errors import LaaciqError
from laaciq.lm import quantize as qz
from laaciq.lm import stats
from laaciq.lm.unitcache import UnitCache, weights_digest
from laaciq.tensor.baselines import merge_moments, row_moments
from laaciq.theory.mixture import effective_kurtosis_linear, mixture_excess_kurtosis

__all__ = ["Config", "Encoded", "encode", "a_bar", "Weights", "model_weights", "CorpusRun",
           "run_corpus", "language_table"]


#: segments scored shuffled per language: the control that the model reads the text (~500 tokens)
SHUFFLED = 2


@dataclass(frozen=True)
class Config:
    """One quantized configuration: ``how`` (a :mod:`laaciq.lm.quantize` strategy, or "mixed" /
    "mixed-control"), ``bits``; ``act``: "language" (per-language E[x²] or κ_eff), "pooled"
    (their mean over the corpus's languages) or None; ``kinds``: quantize only these matrix
    kinds (ablation); ``langs``: evaluate only these languages (None: all)."""

    name: str
    how: str
    bits: int = 4
    act: str | None = None
    kinds: tuple | None = None
    langs: tuple | None = None


@dataclass
class Encoded:
    """A language's text as segments (BOS first) and, per predicted token, its page index."""

    segments: list
    unit_of_target: list          # per segment: (len-1,) page index of each predicted token
    units: list
    characters: np.ndarray        # per page (paragraph texts + 2 per paragraph separator)


def encode(tok, paragraphs, seg_len: int) -> Encoded:
    """Paragraphs ``[(unit, text)]`` as one token stream ("\\n\\n" between paragraphs) cut into
    segments of ``seg_len`` tokens, BOS first; the last segment may be shorter."""
    sep = tok.encode("\n\n")
    units: list = []
    index: dict = {}
    stream, owner = [], []
    chars: list = []
    for unit, text in paragraphs:
        if unit not in index:
            index[unit] = len(units)
            units.append(unit)
            chars.append(0)
        u = index[unit]
        ids = tok.encode(text) + sep
        stream += ids
        owner += [u] * len(ids)
        chars[u] += len(text) + 2
    body = seg_len - 1
    segs, owners = [], []
    for i in range(0, len(stream), body):
        if len(stream[i:i + body]) >= 2:
            segs.append([tok.bos] + stream[i:i + body])
            owners.append(np.array(owner[i:i + body]))
    if not segs:
        raise LaaciqError("not enough text for one segment")
    return Encoded(segs, owners, units, np.array(chars, float))


def per_unit(st, enc: Encoded) -> tuple[np.ndarray, np.ndarray]:
    """(NLL sum, predicted-token count) per page of one scored run."""
    U = len(enc.units)
    nll, cnt = np.zeros(U), np.zeros(U)
    for t, own in zip(st.token_nll, enc.unit_of_target):
        own = own[:len(t)]
        nll += np.bincount(own, weights=t, minlength=U)
        cnt += np.bincount(own, minlength=U)
    return nll, cnt


def a_bar(st, with_bos: bool = False) -> np.ndarray:
    """ā_l = E‖h_l‖ / Σ_j E‖h_j‖ over the calibration tokens, BOS excluded unless asked."""
    s = st.norm_sum.sum(axis=0)
    n = float(st.count.sum())
    if with_bos:
        s = s + st.norm_bos.sum(axis=0)
        n += len(st.count)
    a = s / n
    return a / a.sum()


@dataclass
class Weights:
    """The block matrices (float64, by linear index), their block/kind, and per block κ_l and
    moments."""

    W0: dict
    block: dict
    kind: dict
    kappa_l: np.ndarray
    moments: list
    per_matrix: list


def model_weights(lin, qblocks: int) -> Weights:
    W0, block, kind, per_matrix = {}, {}, {}, []
    by_block: dict = {}
    for i, (l, name, m) in enumerate(lin):
        w = m.weight.detach().cpu().numpy().astype(np.float64)
        by_block.setdefault(l, []).append(w.ravel())
        if l < qblocks:
            W0[i], block[i] = w, l
            kind[i] = name.rsplit(".", 1)[-1].replace("_proj", "")
            mo = merge_moments(row_moments(w.reshape(1, -1)))
            per_matrix.append({"index": i, "block": l, "name": name, "kind": kind[i],
                               "shape": list(w.shape), "kappa": mo["kurt"]})
    moments, kappa = [], []
    for l in sorted(by_block):
        mo = merge_moments(row_moments(np.concatenate(by_block[l]).reshape(1, -1)))
        moments.append((mo["mean"], mo["m2"], mo["m3"], mo["m4"]))
        kappa.append(mo["kurt"])
    return Weights(W0, block, kind, np.array(kappa), moments, per_matrix)


def kappa_eff(a, w: Weights) -> tuple[float, float]:
    """(linear Σ ā κ_l, the mixture's true excess kurtosis)."""
    mus, vs, m3s, m4s = (list(t) for t in zip(*w.moments))
    return (float(effective_kurtosis_linear(list(a), list(w.kappa_l))),
            float(mixture_excess_kurtosis(list(a / a.sum()), mus, vs, m3s=m3s, m4s=m4s)))


@dataclass
class CorpusRun:
    name: str
    langs: list
    enc: dict                      # lang -> Encoded
    fp: dict                       # lang -> (nll per unit, count per unit)
    ppl_shuffled: dict
    abar: dict                     # lang -> ā (BOS excluded)
    abar_bos: dict
    sq: dict                       # lang -> {matrix: E[x²]}
    q: dict = field(default_factory=dict)       # config -> lang -> nll per unit
    mechanism: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)   # forward-pass units reused / computed


def _jobs(cfg: Config, w: Weights, c_of, kappa, mixed_blocks):
    jobs = []
    for i in w.W0:
        if cfg.kinds is not None and w.kind[i] not in cfg.kinds:
            continue
        if cfg.how in ("mixed", "mixed-control"):
            jobs.append((i, 8 if w.block[i] in mixed_blocks[cfg.how] else 4, "exact", None,
                         None))
        elif cfg.how.startswith("weighted"):
            jobs.append((i, cfg.bits, cfg.how, c_of(i), None))
        else:
            jobs.append((i, cfg.bits, cfg.how, None, kappa if cfg.how == "seeds" else None))
    return jobs


def _fp_pass(scorer, tok, text, lang, seg_len, seed, bar, units: UnitCache):
    """Full precision, one cached unit per language: the evaluation text, its first segments
    shuffled and the calibration text (block norms and Σ x² per linear input)."""
    ev = encode(tok, text.paragraphs(lang, "evaluation"), seg_len)
    ca = encode(tok, text.paragraphs(lang, "calibration"), seg_len)
    srng = random.Random(f"{seed}-{lang}")
    shuf = [[s[0]] + srng.sample(s[1:], len(s) - 1) for s in ev.segments[:SHUFFLED]]
    key = units.key("fp", "", (ev.segments, shuf, ca.segments), f"seed={seed}")
    f, sh, c = units.stats(key, (len(ev.segments), len(shuf), len(ca.segments)), lambda: (
        scorer.run(ev.segments, progress=bar), scorer.run(shuf, progress=bar),
        scorer.run(ca.segments, norms=True, input_squares=True, progress=bar)))
    return ev, per_unit(f, ev), sh.perplexity, c


def _quantized_pass(scorer, enc: Encoded, wkey: str, units: UnitCache, bar, ready):
    """NLL per page of ``enc`` with the quantized matrices of digest ``wkey`` (one cached
    unit); ``ready()`` applies them to the model before a pass is computed."""
    def compute():
        ready()
        return (scorer.run(enc.segments, progress=bar),)

    st, = units.stats(units.key("q", wkey, (enc.segments,)), (len(enc.segments),), compute)
    return per_unit(st, enc)[0]


def run_corpus(scorer, tok, text, configs, w: Weights, lin_modules, memo, workers: int,
               seg_len: int, seed: int, mixed_blocks: dict, bar, log,
               units: UnitCache | None = None) -> CorpusRun:
    """Every run of one corpus (module docstring); forward passes through ``units`` (none: all
    computed)."""
    import torch
    units = units or UnitCache(None)
    n0 = (units.reused, units.computed)
    langs = list(text.languages)
    t0 = time.perf_counter()
    enc, fp, shuf, ab, abb, sq = {}, {}, {}, {}, {}, {}
    for l in langs:
        enc[l], fp[l], shuf[l], c = _fp_pass(scorer, tok, text, l, seg_len, seed, bar, units)
        ab[l], abb[l] = a_bar(c), a_bar(c, with_bos=True)
        sq[l] = {i: c.sq_sum[i] / c.sq_count for i in w.W0}
    run = CorpusRun(text.name, langs, enc, fp, shuf, ab, abb, sq)
    run.seconds["fp_and_calibration"] = time.perf_counter() - t0
    pooled_c = {i: np.mean([sq[l][i] for l in langs], axis=0) for i in w.W0}
    pooled_k = kappa_eff(np.mean([ab[l] for l in langs], axis=0), w)[0]

    def apply(qw):
        with torch.no_grad():
            for i, m in lin_modules.items():
                src = qw.get(i, w.W0[i])
                m.weight.copy_(torch.from_numpy(src).to(m.weight.dtype))

    try:
        for cfg in configs:
            t1 = time.perf_counter()
            run.q[cfg.name] = {}
            groups = [[l] for l in langs] if cfg.act == "language" else [langs]
            for g in groups:
                g = [l for l in g if cfg.langs is None or l in cfg.langs]
                if not g:
                    continue
                c_of = (lambda i, l=g[0]: sq[l][i]) if cfg.act == "language" else \
                    (lambda i: pooled_c[i])
                kap = kappa_eff(ab[g[0]], w)[0] if cfg.act == "language" else pooled_k
                qw = qz.quantize_jobs(w.W0, _jobs(cfg, w, c_of, kap, mixed_blocks), memo,
                                      workers)
                if cfg.bits == 4 and cfg.kinds is None and cfg.how not in ("mixed",
                                                                         "mixed-control"):
                    run.mechanism += [{"config": cfg.name, "lang": g[0] if len(g) == 1 else
                                       None, "index": i, "block": w.block[i],
                                       "kind": w.kind[i],
                                       **dict(zip(("mse", "act_error"), qz.matrix_errors(
                                           w.W0[i], qw[i], pooled_c[i])))} for i in qw]
                applied: list = []

                def ready(qw=qw, applied=applied):
                    if not applied:
                        apply(qw)
                        applied.append(True)
                wkey = weights_digest(qw)
                for l in g:
                    run.q[cfg.name][l] = _quantized_pass(scorer, enc[l], wkey, units, bar, ready)
                if applied:
                    apply({})
            run.seconds[cfg.name] = time.perf_counter() - t1
            log(f"{text.name} {cfg.name}: {run.seconds[cfg.name]:.1f} s")
    finally:
        apply({})
    run.units = {"reused": units.reused - n0[0], "computed": units.computed - n0[1]}
    log(f"{text.name}: forward-pass units reused {run.units['reused']}, computed "
        f"{run.units['computed']}")
    return run


def language_table(run: CorpusRun, w: Weights, outlier_set, top3, rng, B: int):
    """Per language: text sizes, FP perplexity and bits/char, ā and κ_eff (BOS excluded; with
    BOS for comparison), R̂, and per configuration D and ΔBPC with page-bootstrap CIs. Returns
    (table, D point dict, D replicate dict) — the replicates are paired across configurations."""
    table, Dp, Db = {}, {}, {}
    ln2 = math.log(2)
    for l in run.langs:
        nll, cnt = run.fp[l]
        chars = run.enc[l].characters
        M = stats.unit_draws(rng, len(nll), B)
        nb, cb, chb = M @ nll, M @ cnt, M @ chars
        kl, kt = kappa_eff(run.abar[l], w)
        row = {"characters": int(chars.sum()), "tokens": int(cnt.sum()),
               "tokens_per_char": float(cnt.sum() / chars.sum()), "pages": len(nll),
               "ppl_fp": math.exp(nll.sum() / cnt.sum()), "ppl_fp_ci": stats.ci(np.exp(nb / cb)),
               "bpc_fp": float(nll.sum() / (ln2 * chars.sum())),
               "ppl_shuffled": run.ppl_shuffled[l], "a_bar": run.abar[l].tolist(),
               "a_bar_with_bos": run.abar_bos[l].tolist(), "kappa_eff_linear": kl,
               "kappa_eff_true": kt,
               "kappa_eff_linear_with_bos": kappa_eff(run.abar_bos[l], w)[0],
               "r_hat": float(sum(run.abar[l][b] for b in outlier_set)) if outlier_set
               else None, "r_hat_top3": float(sum(run.abar[l][b] for b in top3)),
               "D": {}, "D_ci": {}, "delta_bpc": {}, "delta_bpc_ci": {}}
        for name, per in run.q.items():
            if l not in per:
                continue
            qn = per[l]
            d_b = stats.relative_increase(M @ qn, nb, cb)
            Dp.setdefault(name, {})[l] = row["D"][name] = float(
                stats.relative_increase(qn.sum(), nll.sum(), cnt.sum()))
            Db.setdefault(name, {})[l] = d_b
            row["D_ci"][name] = stats.ci(d_b)
            row["delta_bpc"][name] = float((qn.sum() - nll.sum()) / (ln2 * chars.sum()))
            row["delta_bpc_ci"][name] = stats.ci((M @ qn - nb) / (ln2 * chb))
        table[l] = row
    return table, Dp, Db
