"""``laaciq probe``: the seeds' language claims measured on a real causal LM, on two parallel
corpora, decided by the pre-registered plan (``experiment/plan.json``).

Definitions (seeds 001/002, each implemented once and named as there):

* ``κ_l``: excess kurtosis of the weights of block ``l`` (all its linear matrices pooled);
  per matrix too. Outlier blocks: ``κ_l > τ`` for the seeds' thresholds τ ∈ {5, 50, 100}.
* ``ā_l(λ) = E‖h_l(x)‖ / Σ_j E‖h_j(x)‖`` over language λ's *calibration* text, BOS position
  excluded (:func:`laaciq.lm.measure.a_bar`); ``κ_eff(λ)`` linear ``Σ_l ā_l κ_l`` and as the
  mixture's true excess kurtosis; ``R̂(λ) = Σ_{l outlier} ā_l(λ)``.
* ``D(λ) = PPL_quantized(λ)/PPL_fp(λ) − 1`` on the held-out text, every linear layer of the
  blocks quantized (embeddings, the tied head and norms kept); ΔBPC the same in bits per
  character.

Measuring lives in :mod:`laaciq.lm.measure` (model runs, per-language statistics) and
:mod:`laaciq.lm.quantize` (the strategies); deciding in :mod:`laaciq.lm.decide` (the plan's
tests → verdicts); statistics in :mod:`laaciq.lm.stats`. This module wires them together.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from laaciq.argcheck import check_bits
from laaciq.io import atomic_write_text
from laaciq.lm import decide as dc
from laaciq.lm import measure as ms
from laaciq.lm.corpus import SCRIPT

__all__ = ["ProbeConfig", "run_probe", "STRATEGIES", "TAUS", "configs_for", "load_plan",
           "write_json", "MODEL_LABEL"]

TAUS = (5.0, 50.0, 100.0)
STRATEGIES = ("max", "exact", "rule", "seeds", "language", "pooled", "mixed", "exact-tensor",
              "exact-g128", "g128-controls", "ablation")
MODEL_LABEL = "Gemma-3-270M (Q4_K_M, dequantized)"
KINDS = ("q", "k", "v", "o", "gate", "up", "down")


@dataclass
class ProbeConfig:
    corpora: tuple = ("handbook", "libreoffice")
    hb_languages: tuple = ("en", "de", "fr", "es", "it", "pt-BR", "ru", "ar", "fa", "ja",
                           "zh-CN")
    lo_languages: tuple | None = None        # None: every LibreOffice language
    hb_tokens: tuple = (1536, 1024)           # English eval / calibration token budgets
    lo_tokens: tuple = (1024, 768)
    seg_len: int = 256
    bits: tuple = (3, 4, 5, 6, 8)             # handbook sweep
    lo_bits: tuple = (4, 5, 6)                # LibreOffice exact (primary-configuration rule)
    strategies: tuple = STRATEGIES
    ablation_languages: tuple = ("en", "de", "ru", "ar", "ja", "zh-CN")
    batch: int = 1          # 1×seq: faster than 4×seq on 2 CPU cores, and no truncation
    threads: int = 2
    seed: int = 12
    bootstrap: int = 1000
    permutations: int = 10000
    blocks: int | None = None    # quantize only the first N blocks (smoke runs)
    max_paragraphs: int | None = None   # smoke runs: first N selected paragraphs per split

    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


def configs_for(corpus: str, cfg: ProbeConfig) -> list:
    """The configurations the plan lists for ``corpus``, restricted to ``cfg.strategies``."""
    S, C = set(cfg.strategies), ms.Config
    out = []
    sweep = cfg.bits if corpus == "handbook" else (4,)
    if "max" in S:
        out += [C(f"max-{b}", "max", b) for b in sweep]
    if "exact" in S:
        out += [C(f"exact-{b}", "exact", b) for b in (cfg.bits if corpus == "handbook"
                                                     else cfg.lo_bits)]
    if "pooled" in S:
        out += [C(f"pooled-{b}", "weighted", b, "pooled") for b in sweep]
    if "language" in S:
        out.append(C("language-4", "weighted", 4, "language"))
    if "seeds" in S:
        out += [C("seeds-4", "seeds", 4, "language"), C("seeds-pooled-4", "seeds", 4, "pooled")]
    if "rule" in S and corpus == "handbook":
        out.append(C("rule-4", "rule", 4))
    if "mixed" in S:
        out += [C("mixed", "mixed", 4), C("mixed-control", "mixed-control", 4)]
    if "exact-tensor" in S and corpus == "handbook":
        out.append(C("exact-tensor-4", "exact-tensor", 4))
    if "exact-g128" in S:
        out.append(C("exact-g128-4", "exact-g128", 4))
    if "g128-controls" in S and corpus == "libreoffice":
        out += [C("pooled-g128-4", "weighted-g128", 4, "pooled"),
                C("language-g128-4", "weighted-g128", 4, "language")]
    if "ablation" in S and corpus == "handbook":
        out += [C(f"ablate-{k}-{h}-4", h, 4, None, (k,), tuple(cfg.ablation_languages))
                for k in KINDS for h in ("exact", "max")]
    return out


# =============================================================================================
# the plan and provenance


def load_plan(root: Path | None) -> dict:
    """``{path, sha256, commit, version, tests}`` of ``experiment/plan.json`` under ``root``
    (the commit that last changed it); ``{}`` when there is no plan file."""
    if root is None or not (Path(root) / "experiment" / "plan.json").is_file():
        return {}
    p = Path(root) / "experiment" / "plan.json"
    raw = p.read_bytes()
    plan = json.loads(raw)
    commit = _git(root, "log", "-1", "--format=%H", "--", "experiment/plan.json")
    tests = {k: json.dumps(v, ensure_ascii=False) for k, v in plan.get("predictions", {}).items()}
    tests["primary_configuration"] = plan.get("primary_configuration_rule", "")
    tests["holm_family"] = ", ".join(plan.get("holm_family", []))
    return {"path": "experiment/plan.json", "sha256": hashlib.sha256(raw).hexdigest(),
            "commit": commit, "version": plan.get("plan_version"), "tests": tests,
            "changed_since_commit": bool(_git(root, "status", "--porcelain", "--",
                                              "experiment/plan.json"))}


def _git(root, *args) -> str:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        return ""


def _git_commit(root: Path) -> str:
    return _git(root, "rev-parse", "HEAD") or "unknown"


class _Bar:
    def __init__(self, enabled):
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
                self.bar = tqdm(unit="tok", desc="probe", dynamic_ncols=True)
            except ImportError:
                pass

    def __call__(self, n):
        if self.bar is not None:
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _save_memo(memo: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **memo)
    tmp.replace(path)


# =============================================================================================
# the run


def _facts(w: ms.Weights, qblocks: int) -> tuple[dc.ModelFacts, dict]:
    k = w.kappa_l
    outliers = {str(t): [int(l) for l in np.nonzero(k > t)[0]] for t in TAUS}
    top3 = [int(l) for l in np.argsort(-k)[:3]]
    mixed_8 = [l for l in outliers["5.0"] if l < qblocks]
    control = [int(l) for l in np.argsort(k[:qblocks])[:len(mixed_8)]] if mixed_8 else []
    return (dc.ModelFacts(list(map(float, k)), outliers, top3, mixed_8),
            {"mixed": mixed_8, "mixed-control": control})


def _strategy_summary(Dp: dict, Db: dict, langs) -> dict:
    from laaciq.lm import stats
    out = {}
    for name, per in Dp.items():
        if not all(l in per for l in langs) or len(langs) < 2:
            continue
        v = np.array([per[l] for l in langs])
        b = np.stack([Db[name][l] for l in langs])
        out[name] = {"disparity": float(v.max() - v.min()),
                     "disparity_ci": stats.ci(b.max(0) - b.min(0)), "mean_D": float(v.mean()),
                     "mean_D_ci": stats.ci(b.mean(0)), "worst": langs[int(v.argmax())],
                     "best": langs[int(v.argmin())]}
    return out


def _mechanism(rows: list, w: ms.Weights) -> dict:
    """Per configuration and matrix kind: mean weight MSE and summed activation-weighted error
    (per-language configurations averaged over languages); per matrix for exact vs max."""
    agg: dict = {}
    for r in rows:
        a = agg.setdefault(r["config"], {}).setdefault(r["kind"], {"mse": [], "act": []})
        a["mse"].append(r["mse"])
        a["act"].append(r["act_error"])
    nl = {c: max(1, len({r["lang"] for r in rows if r["config"] == c})) for c in agg}
    return {c: {k: {"weight_mse": float(np.mean(v["mse"])),
                    "act_error": float(np.sum(v["act"]) / nl[c])} for k, v in kinds.items()}
            for c, kinds in agg.items()}


def _ablation(table: dict) -> dict:
    out = {}
    for k in KINDS:
        row = {}
        for h in ("exact", "max"):
            d = [v["D"][f"ablate-{k}-{h}-4"] for v in table.values()
                 if f"ablate-{k}-{h}-4" in v["D"]]
            row[h] = float(np.mean(d)) if d else None
        if any(v is not None for v in row.values()):
            out[k] = row
    return out


def _corpus_doc(run, w, facts, rng, B) -> tuple[dict, dc.CorpusMeasure]:
    tau = next((t for t in facts.outliers if facts.outliers[t]), None)
    table, Dp, Db = ms.language_table(run, w, facts.outliers[tau] if tau else [], facts.top3,
                                      rng, B)
    x = {k: {l: table[l][k] for l in run.langs}
         for k in ("kappa_eff_linear", "r_hat", "r_hat_top3")}
    x["a_bar"] = {l: run.abar[l] for l in run.langs}
    cm = dc.CorpusMeasure(run.name, run.langs, {l: SCRIPT.get(l, "?") for l in run.langs},
                          Dp, Db, x)
    doc = {"languages": run.langs, "per_language": table,
           "strategies": _strategy_summary(Dp, Db, run.langs),
           "mechanism": _mechanism(run.mechanism, w),
           "mechanism_per_matrix": [r for r in run.mechanism if r["lang"] is None],
           "seconds": run.seconds}
    if run.name == "handbook":
        doc["ablation"] = _ablation(table)
    doc["seeds_alpha"] = _seeds_alpha(run, w)
    return doc, cm


def _seeds_alpha(run, w) -> dict:
    """The seeds' LA-ACIQ α(row, λ) = σ_row·f(κ_eff(λ)): per language f(κ_eff(λ)) and its
    ratio to the pooled control's f (the same for every row, so this is the whole spread)."""
    from laaciq.theory.aciq import alpha_kurtosis_rule
    kp = ms.kappa_eff(np.mean([run.abar[l] for l in run.langs], axis=0), w)[0]
    fp = alpha_kurtosis_rule(1.0, kp, 4)
    per = {l: alpha_kurtosis_rule(1.0, ms.kappa_eff(run.abar[l], w)[0], 4) for l in run.langs}
    r = [v / fp for v in per.values()]
    return {"kappa_eff_pooled": kp, "f_pooled": fp, "f": per,
            "ratio_min": min(r), "ratio_max": max(r), "spread": max(r) - min(r)}


def run_probe(model, tok, texts: dict, cfg: ProbeConfig, provenance: dict, log=print,
              progress: bool = True, alpha_cache: Path | None = None, plan: dict | None = None,
              unit_cache: Path | None = None) -> dict:
    """Measure every corpus of ``texts`` (name -> ParallelText), decide, return the document.
    ``alpha_cache``: the thresholds' file; ``unit_cache``: the folder of cached forward passes
    (:mod:`laaciq.lm.unitcache`); None: computed afresh."""
    import torch
    from laaciq.lm.model import Scorer, block_linears
    from laaciq.lm.unitcache import UnitCache, base_key

    t_all = time.perf_counter()
    for b in set(cfg.bits) | set(cfg.lo_bits):
        check_bits(b)
    scorer = Scorer(model, cfg.batch)
    units = UnitCache(unit_cache, base_key(model, cfg.batch) if unit_cache else "")
    lin = block_linears(model)
    nblocks = len(scorer.blocks)
    qblocks = nblocks if cfg.blocks is None else min(cfg.blocks, nblocks)
    w = ms.model_weights(lin, qblocks)
    modules = {i: m for i, (l, n, m) in enumerate(lin) if l < qblocks}
    facts, mixed_blocks = _facts(w, qblocks)
    memo: dict = {}
    if alpha_cache is not None and Path(alpha_cache).exists():
        with np.load(alpha_cache) as z:
            memo = {k: z[k] for k in z.files}
        log(f"reusing {len(memo)} cached thresholds from {alpha_cache}")
    rng = np.random.default_rng(cfg.seed)
    bar = _Bar(progress)
    corpora, measures, unit_counts = {}, {}, {}
    try:
        for name, text in texts.items():
            run = ms.run_corpus(scorer, tok, text, configs_for(name, cfg), w, modules, memo,
                                cfg.threads, cfg.seg_len, cfg.seed, mixed_blocks, bar, log,
                                units)
            unit_counts[name] = run.units
            if alpha_cache is not None:
                _save_memo(memo, Path(alpha_cache))
            corpora[name], measures[name] = _corpus_doc(run, w, facts, rng, cfg.bootstrap)
            corpora[name]["coverage"] = text.coverage
            corpora[name]["scored_paragraphs"] = {"evaluation": len(text.eval_keys),
                                                  "calibration": len(text.calib_keys)}
    finally:
        bar.close()
    label = MODEL_LABEL if provenance.get("default_model") else provenance.get("model_name",
                                                                               "model")
    plan = plan or {}
    verdicts = dc.decide(measures, facts, plan.get("tests", {}), label, rng, cfg.bootstrap,
                         cfg.permutations, bits=cfg.bits)
    for name, a in verdicts["analyses"].items():
        corpora[name]["analysis"] = a
    primary = "libreoffice" if "libreoffice" in corpora else next(iter(corpora))
    return {"model": label, "plan": {k: v for k, v in plan.items() if k != "tests"},
            "primary_corpus": primary, "languages": corpora[primary]["languages"],
            "per_language": corpora[primary]["per_language"], "corpora": corpora,
            "claims": verdicts["claims"], "bit_sweep": verdicts["bit_sweep"],
            "bounds": verdicts["bounds"], "kappa_l": facts.kappa_l,
            "per_matrix": w.per_matrix, "outlier_blocks": facts.outliers,
            "top3_blocks": facts.top3, "mixed_8bit_blocks": mixed_blocks["mixed"],
            "mixed_control_8bit_blocks": mixed_blocks["mixed-control"],
            "prediction_tests": plan.get("tests", {}), "caveats": _caveats(provenance),
            "config": asdict(cfg), "config_key": cfg.key(), "quantized_blocks": qblocks,
            "blocks": nblocks, "provenance": provenance,
            "timings": {"total_s": round(time.perf_counter() - t_all, 2),
                        "forward_pass_units": unit_counts},
            "platform": {"python": platform.python_version(), "torch": torch.__version__,
                         "threads": cfg.threads}}


def _caveats(provenance: dict) -> list:
    out = ["One model: universal predictions are supported or contradicted on this model, never "
           "proved.",
           "Per-language clipping minimizes a diagonal proxy of the layer-output error "
           "(Σ_j E[x_j²](w_ij − Q(w_ij))²); it drops the E[x_j x_k] cross terms.",
           "ā and κ_eff come from the calibration text with the BOS position excluded; E[x_j²] "
           "includes every position (BOS too), as a deployed model sees it.",
           "Languages that fail the coverage rule are reported apart (coverage only)."]
    if provenance.get("default_model"):
        out.insert(0, "The model was shipped quantized (Q4_K_M: Q4_K/Q5_0/Q6_K/Q8_0 blocks); "
                      "the dequantized fp32 model is the baseline, so D at 6-8 bits is near 0 "
                      "by construction.")
    return out


def write_json(doc: dict, out: Path) -> None:
    def clean(o):
        if isinstance(o, (float, np.floating)):
            o = float(o)
            return o if math.isfinite(o) else None
        if isinstance(o, dict):
            return {str(k): clean(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [clean(v) for v in o]
        if isinstance(o, np.ndarray):
            return clean(o.tolist())
        if isinstance(o, np.bool_):
            return bool(o)
        if isinstance(o, np.integer):
            return int(o)
        return o

    atomic_write_text(Path(out), json.dumps(clean(doc), indent=1, ensure_ascii=False) + "\n")
