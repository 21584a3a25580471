"""``make objectives``: which objective should ``laaciq quantize`` minimize when it has calibration
data — the importance-weighted error (an imatrix) or the layer-output error (H from ``calibrate
--full``)? Measured on the probe's perplexity (``report/compare.json``'s ``objectives``).

Steps (cached under ``$LAACIQ_CACHE/compare/objectives``, keyed by their inputs):

1. calibration: ``laaciq calibrate --full`` (:func:`laaciq.lm.calibrate.calibrate`) on the
   comparison's calibration texts (:class:`laaciq.lm.compare._Run`: English, and the
   all-language text with an equal token share per language), 8 chunks of 256 tokens each as
   ``llama-imatrix`` reads them; one run gives both the importances and H, so ``weighted`` and
   ``output`` see the same tokens;
2. quantization: ``laaciq quantize`` (the command itself, :func:`laaciq.cli.main`) of the probe's
   HF folder, every linear matrix of the decoder blocks at 4 bits per output channel on laaciq's
   symmetric grid, fake-quantized in float32: ``true`` (the weight error, no calibration),
   ``weighted`` (``--imatrix``), ``output`` (``--hessian``, damped by the default fraction);
3. evaluation: the peers' (:mod:`laaciq.lm.peers_eval`): 12 languages, ``llama-perplexity``'s
   chunks of the held-out text, per chunk the mean negative log-likelihood of every predicted
   token; paired differences with bootstrap CIs (:func:`laaciq.lm.peers_eval.peer_comparisons`).

    python -m laaciq.lm.objectives_eval --out report/compare.json   # what `make objectives` runs
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from laaciq.errors import LaaciqError
from laaciq.lm import peers_eval as pe
from laaciq.lm.langtext import LANGUAGES

__all__ = ["ObjectivesConfig", "DECISION_RULES", "RULES_SHA256", "METHODS", "decide", "analyse",
           "run_objectives", "main"]

DECISION_RULES = """\
Objectives with calibration data (which one `laaciq quantize` should minimize when both an
imatrix and H are at hand). Model: Gemma-3-270M, the probe's HF folder; every linear matrix of the
decoder blocks quantized at 4 bits per output channel on laaciq's symmetric grid (fake-quantized,
float32), embeddings and norms unquantized. Calibration: `laaciq calibrate --full` on the
comparison's calibration texts, English and all-language (equal token share per language, the
same total), 8 chunks of 256 tokens each; the importances and H come from the same tokens.
Methods: true (the weight error, no calibration), weighted-en, output-en, weighted-all,
output-all (output: H damped by 0.01 of its mean diagonal, the tool's default). Evaluation: the
peers' setup (12 languages, 4 chunks of 256 tokens cut as llama-perplexity cuts them, every
predicted position scored). Unit: a chunk. Statistic: per chunk the mean negative
log-likelihood of output minus weighted with the same calibration text; percentile bootstrap
over chunks, 10,000 resamples; pooled = mean over languages, chunks resampled within each
language.
O1: per calibration text, output is AHEAD of weighted in a language if the Bonferroni-adjusted
(12 languages) CI lies below 0, BEHIND if above, else TIE; pooled the same with the 95% pooled CI.
Decision: the README recommends output when it is AHEAD pooled with both calibration texts,
weighted when output is BEHIND pooled with both, and neither otherwise.
O2 (reported, decides nothing): weighted and output against true, per calibration text.
"""
RULES_SHA256 = hashlib.sha256(DECISION_RULES.encode()).hexdigest()

#: method -> (objective, calibration text or None)
METHODS = {"true": ("true", None), "weighted-en": ("weighted", "en"),
           "output-en": ("output", "en"), "weighted-all": ("weighted", "all"),
           "output-all": ("output", "all")}


@dataclass(frozen=True)
class ObjectivesConfig:
    languages: tuple = LANGUAGES
    ctx: int = 256
    chunks: int = 4
    cal_chunks: int = 8
    cal_ctx: int = 256
    bits: int = 4
    threads: int = 2
    bootstrap: int = 10000
    seed: int = 24
    methods: tuple = tuple(METHODS)


def decide(comparisons: dict) -> str:
    """Rule O1's recommendation from ``{cal: output-vs-weighted comparison}``."""
    pooled = [c["pooled"]["verdict"] for c in comparisons.values() if c]
    if len(pooled) == 2 and all(v == "ahead" for v in pooled):
        return "output"
    if len(pooled) == 2 and all(v == "behind" for v in pooled):
        return "weighted"
    return "neither"


def _h(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


class _Objectives:
    """The peers' run (model, segments, cached scores) plus calibration and quantization."""

    def __init__(self, cfg: ObjectivesConfig, log):
        from laaciq.lm import compare as cp

        self.cfg, self.log = cfg, log
        self.peers = pe._Peers(pe.PeersConfig(languages=cfg.languages, ctx=cfg.ctx,
                                              chunks=cfg.chunks, threads=cfg.threads,
                                              bootstrap=cfg.bootstrap, seed=cfg.seed,
                                              methods=(), crosscheck=False), log)
        self.run = self.peers.run
        self.root = self.run.root / "objectives"
        self.root.mkdir(exist_ok=True)
        self.digest = cp._code_digest()
        self.texts = self.peers.texts

    def calibration(self, cal: str) -> tuple[Path, Path]:
        """``(imatrix GGUF, H safetensors)`` of ``laaciq calibrate --full`` on a text."""
        from laaciq.lm.calibrate import calibrate

        cfg = self.cfg
        text = Path(self.texts["cal"][cal])
        key = _h(cal, self.texts["sha256"].get(f"cal-{cal}.txt") or str(text), cfg.cal_chunks,
                 cfg.cal_ctx, self.digest)
        out = self.root / f"cal-{cal}-{key}.gguf"
        hess = out.with_name(out.stem + ".hessian.safetensors")
        if not (out.exists() and hess.exists()):
            self.log(f"laaciq calibrate --full on calibration text {cal}")
            calibrate(out, texts=[str(text)], tokens=cfg.cal_chunks * cfg.cal_ctx - 8,
                      full=True, chunk=cfg.cal_ctx, threads=cfg.threads, log=self.log)
        return out, hess

    def quantized(self, method: str) -> Path:
        """The fake-quantized checkpoint of a method (``laaciq quantize`` into the cache)."""
        from laaciq.lm import assets

        objective, cal = METHODS[method]
        shipped, _ = assets.fetch_model(self.run.cache, self.log)
        hf = assets.convert_model(shipped, self.run.cache, self.log)
        extra = []
        if cal is not None:
            imat, hess = self.calibration(cal)
            extra = ["--imatrix", str(imat)] if objective == "weighted" else \
                ["--hessian", str(hess), "--objective", "output"]
        d = self.root / f"{method}-{_h(method, str(hf), self.cfg.bits, self.digest, extra)}"
        if not (d / "quantize.json").exists():
            # its own process: its worker pool forks, and this one holds torch's thread pools
            self.log(f"laaciq quantize {method}")
            r = subprocess.run([sys.executable, "-m", "laaciq", "quantize", str(hf), "--bits",
                                str(self.cfg.bits), "--per-channel", "0", "--tensor",
                                "model.layers.*_proj.weight", "--jobs", "2", "--force",
                                "--quiet", *extra, "--out", str(d)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                raise LaaciqError(f"laaciq quantize {method} failed (exit {r.returncode}): "
                                  f"{(r.stderr.strip().splitlines() or ['?'])[-1]}")
        return d

    def weights(self, d: Path) -> dict:
        """The block matrices of a quantized folder by the probe's linear index."""
        from safetensors.numpy import load_file

        m = self.peers.m
        qual = {id(mod): n for n, mod in m.model.named_modules()}
        got = {}
        for f in sorted(d.glob("*.safetensors")):
            if f.name not in ("thresholds.safetensors", "codes.safetensors"):
                got.update(load_file(str(f)))
        out = {}
        for i, mod in m.modules.items():
            name = qual[id(mod)] + ".weight"
            if name not in got:
                raise LaaciqError(f"{d}: no tensor {name}")
            out[i] = np.array(got[name], dtype=np.float32)      # writable: torch copies it
        return out


def run_objectives(cfg: ObjectivesConfig, log=print) -> dict:
    """Every step (module docstring); returns ``compare.json``'s ``objectives`` section."""
    from laaciq.lm import compare as cp

    t_all = time.perf_counter()
    o = _Objectives(cfg, log)
    p = o.peers
    base = p.scores("f32", "base", p.base_weights)
    scores, metas = {}, {}
    for m in cfg.methods:
        d = o.quantized(m)
        scores[m] = p.scores(f"obj-{m}", d.name, lambda d=d: o.weights(d))
        q = json.loads((d / "quantize.json").read_text())
        metas[m] = {"objective": METHODS[m][0], "calibration": METHODS[m][1],
                    "quantize_s": round(q.get("wall_seconds", 0.0), 1), "folder": d.name}
    return {"model": "Gemma-3-270M (the probe's HF folder), evaluated by the probe "
                     "(transformers, fp32)",
            "commit": cp._git_commit(), "config": asdict(cfg), "decision_rules": DECISION_RULES,
            "decision_rules_sha256": RULES_SHA256, "languages": list(cfg.languages),
            "methods": metas, "results": pe._per_method(base, scores, p.cfg),
            **analyse(scores, p.cfg),
            "timings": {"total_s": round(time.perf_counter() - t_all, 1)}}


def analyse(scores: dict, pcfg) -> dict:
    """Rules O1 and O2 on ``{method: {lang: per-chunk scores}}``: ``o1`` (output minus weighted
    per calibration text), ``o2`` (each calibrated method minus ``true``), the recommendation."""
    o1 = {}
    for cal in ("en", "all"):
        a, b = f"output-{cal}", f"weighted-{cal}"
        if a in scores and b in scores:
            o1[cal] = pe.peer_comparisons({a: scores[a], b: scores[b]}, pcfg, ours=a)[
                f"{a}-vs-{b}"]
    o2 = {}
    if "true" in scores:
        for m in (x for x in scores if x != "true"):
            o2.update(pe.peer_comparisons({m: scores[m], "true": scores["true"]}, pcfg, ours=m))
    return {"o1": o1, "o2": o2, "recommendation": decide(o1)}


def summary(doc: dict) -> str:
    lines = [f"{doc['model']}; commit {doc['commit'][:12]}"]
    for m, r in doc["results"].items():
        lines.append(f"{m:<13} mean ppl {np.mean([x['ppl'] for x in r.values()]):.3f}")
    for name, c in [*doc["o1"].items(), *doc["o2"].items()]:
        if c:
            q = c["pooled"]
            lines.append(f"{c['a']} vs {c['b']}: ahead/tie/behind {c['counts']['ahead']}/"
                         f"{c['counts']['tie']}/{c['counts']['behind']}; pooled dNLL "
                         f"{q['dnll']:+.5f} [{q['dnll_ci'][0]:+.5f}, {q['dnll_ci'][1]:+.5f}]")
    lines.append(f"recommendation (rule O1): {doc['recommendation']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    return pe.section_main(
        argv, "python -m laaciq.lm.objectives_eval", "weighted vs layer-output objective on the "
        "probe's perplexity", "objectives", ObjectivesConfig.chunks,
        lambda a, langs: ObjectivesConfig(languages=langs, chunks=a.chunks), run_objectives,
        summary)


if __name__ == "__main__":
    raise SystemExit(main())
