"""``make compare``: laaciq's GGUF quantizers against llama.cpp's own, run as themselves, on
Gemma-3-270M in the probe's 12 languages (``report/compare.json``).

Steps (all cached under ``$LAACIQ_CACHE/compare``, keyed by their inputs):

1. the base: the shipped Q4_K_M GGUF (:func:`laaciq.lm.assets.fetch_model`) dequantized once by
   ``llama-quantize --allow-requantize … F32`` — every method quantizes this file;
2. texts: the probe's corpus (:func:`laaciq.lm.langtext.load_corpus`, the same packages and
   split); per language the first held-out paragraphs joined by blank lines, enough for the
   evaluation chunks; calibration text from the calibration split only: per language, and an
   all-language text with an equal token share per language and the same total as one
   language's (token counts by the GGUF's own vocabulary, :mod:`laaciq.lm.tokenizer`);
3. importance matrices by ``llama-imatrix`` on the F32 model: English, all-language, and each
   language's own, all with the same number of chunks;
4. per method a GGUF (``llama-quantize --pure --token-embedding-type f32``, or ``laaciq
   quantize --format gguf:…``), its bits per weight and quantize seconds;
5. per language: ``llama-perplexity --kl-divergence-base`` on the F32 model (the base logits
   file, ~0.5 MB per scored token, deleted after the language), then ``--kl-divergence`` per
   method; per-chunk values parsed (:func:`laaciq.lm.llamacpp.parse_kld_output`);
6. the analysis (:mod:`laaciq.lm.compare_analysis`).

    python -m laaciq.lm.compare --out report/compare.json     # what `make compare` runs
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from laaciq.errors import LaaciqError
from laaciq.lm import assets, langtext, llamacpp
from laaciq.lm.compare_analysis import RULES_SHA256, DECISION_RULES, answers, comparisons, \
    per_method
from laaciq.lm.langtext import LANGUAGES

EVAL_MAX = 8 * 512          # held-out tokens written per language (a run uses its chunks)
CAL_MAX = 24 * 512          # calibration tokens written per language

__all__ = ["CompareConfig", "Method", "METHODS", "run_compare", "write_text", "calibration_mix"]


@dataclass(frozen=True)
class Method:
    id: str
    tool: str            # "llama" | "laaciq" | "laaciq-llw" (llama.cpp's weighting, exact)
    fmt: str             # "Q4_0" | "Q8_0"
    calibration: str | None   # None | "en" | "all" | "own"
    label: str


METHODS = [
    Method("llama-q4", "llama", "Q4_0", None, "llama.cpp Q4_0"),
    Method("llama-q4-en", "llama", "Q4_0", "en", "llama.cpp Q4_0, English imatrix"),
    Method("llama-q4-all", "llama", "Q4_0", "all", "llama.cpp Q4_0, all-language imatrix"),
    Method("llama-q4-own", "llama", "Q4_0", "own", "llama.cpp Q4_0, own-language imatrix"),
    Method("laaciq-q4", "laaciq", "Q4_0", None, "laaciq Q4_0, weight error"),
    Method("laaciq-q4-en", "laaciq", "Q4_0", "en", "laaciq Q4_0, English imatrix"),
    Method("laaciq-q4-all", "laaciq", "Q4_0", "all", "laaciq Q4_0, all-language imatrix"),
    Method("laaciq-q4-own", "laaciq", "Q4_0", "own", "laaciq Q4_0, own-language imatrix"),
    Method("laaciq-llw-q4-en", "laaciq-llw", "Q4_0", "en",
           "laaciq Q4_0, llama.cpp's weighting, English imatrix"),
    Method("laaciq-llw-q4-all", "laaciq-llw", "Q4_0", "all",
           "laaciq Q4_0, llama.cpp's weighting, all-language imatrix"),
    Method("llama-q8", "llama", "Q8_0", None, "llama.cpp Q8_0"),
    Method("laaciq-q8", "laaciq", "Q8_0", None, "laaciq Q8_0, weight error"),
]


@dataclass(frozen=True)
class CompareConfig:
    languages: tuple = LANGUAGES
    ctx: int = 512
    chunks: int = 8
    imatrix_ctx: int = 256
    imatrix_chunks: int = 8
    own_languages: tuple = ("hi", "ar", "ja")
    threads: int = 2
    bootstrap: int = 10000
    seed: int = 24
    methods: tuple = ("llama-q4-en", "llama-q4-all", "laaciq-q4-en", "laaciq-q4-all")
    #: evaluation order: English, then far and near languages alternating (fixed beforehand),
    #: so that a run stopped by its deadline still covers both kinds
    order: tuple = ("en", "hi", "de", "ar", "ja", "fr", "ru", "es", "zh-CN", "it", "fa", "pt-BR")

    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


def _h(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _git_commit() -> str:
    root = Path(__file__).resolve().parents[3]
    r = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                       text=True)
    return r.stdout.strip() or "unknown"


def laaciq_available() -> bool:
    """Whether this build has the GGUF writer the laaciq methods need."""
    import importlib.util

    return importlib.util.find_spec("laaciq.tensor.ggufout") is not None


# =============================================================================================
# texts


def write_text(tok, paragraphs, n_tokens: int) -> tuple[str, int]:
    """The first paragraphs joined by blank lines, as few as give ``n_tokens`` tokens (the
    GGUF's vocabulary; llama.cpp tokenizes the file itself), and their token count."""
    sep = len(tok.encode("\n\n"))
    out, total = [], 0
    for p in paragraphs:
        out.append(p)
        total += len(tok.encode(p)) + sep
        if total >= n_tokens:
            return "\n\n".join(out) + "\n", total
    raise LaaciqError(f"not enough text: {total} tokens, {n_tokens} needed")


def calibration_mix(tok, calibration: dict, langs, n_tokens: int) -> tuple[str, dict]:
    """An all-language calibration text of ``n_tokens`` tokens, an equal share per language
    (the last paragraph of each share cut to fit), in the order of ``langs``."""
    share = -(-n_tokens // len(langs)) + 8       # a few spare tokens: the total is >= n_tokens
    pieces, counts = [], {}
    for l in langs:
        text, total = write_text(tok, calibration[l], share)
        last = text.rstrip("\n").split("\n\n")[-1]
        head = text[: len(text) - len(last) - 1]
        excess = total - share
        while excess > 0 and last:
            last = last[: max(0, len(last) - max(1, excess))]
            total = len(tok.encode(head)) + len(tok.encode(last)) + 1
            excess = total - share
        pieces.append((head + last).strip())
        counts[l] = len(tok.encode(pieces[-1])) + len(tok.encode("\n\n"))
    return "\n\n".join(pieces) + "\n", counts


# =============================================================================================
# the steps


class _Run:
    """One comparison run: paths, cache, the log and the timings."""

    def __init__(self, cfg: CompareConfig, log):
        self.cfg, self.log = cfg, log
        self.cache = assets.cache_dir()
        self.root = self.cache / "compare"
        self.build = llamacpp.build_info(self.cache)
        self.commit = self.build["llama_cpp_commit"]
        self.timings: dict = {}
        for sub in ("texts", "imatrix", "models", "results", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def tool(self, name, args, timeout=None):
        t0 = time.perf_counter()
        r = llamacpp.run_tool(name, [*args], self.cache, timeout)
        return r.stdout + r.stderr, time.perf_counter() - t0

    def base(self) -> tuple[Path, dict]:
        shipped, entry = assets.fetch_model(self.cache, self.log)
        out = self.root / f"base-f32-{entry['sha256'][:16]}.gguf"
        meta = out.with_suffix(".json")
        if not (out.exists() and meta.exists()):
            self.log("dequantizing the shipped Q4_K_M to F32 with llama-quantize")
            tmp = out.with_suffix(".tmp.gguf")
            _, s = self.tool("llama-quantize", ["--allow-requantize", str(shipped), str(tmp),
                                                "F32", str(self.cfg.threads)])
            tmp.replace(out)
            meta.write_text(json.dumps({"sha256": assets.sha256_file(out), "seconds": s,
                                        "shipped": entry}))
        info = json.loads(meta.read_text())
        info["shipped_types"] = llamacpp.gguf_bits(shipped)
        return out, info

    def texts(self, shipped_sha: str) -> dict:
        """``{"eval": {lang: path}, "cal": {name: path}, "stats": ...}`` (written once)."""
        cfg = self.cfg
        text_root, entries = assets.fetch_texts(self.cache, self.log, langtext.PACKAGES)
        key = _h([e["sha256"] for e in entries], cfg.languages, 512, EVAL_MAX // 512,
                 CAL_MAX // 512, shipped_sha, 2)
        d = self.root / "texts" / key
        meta = d / "texts.json"
        if not meta.exists():
            self._write_texts(d, entries, text_root, shipped_sha)
        doc = json.loads(meta.read_text())
        n_cal = cfg.imatrix_chunks * cfg.imatrix_ctx
        mix = d / f"cal-all-{n_cal}.txt"
        if not mix.exists():
            cal = {l: Path(doc["cal"][l]).read_text(encoding="utf-8").rstrip("\n").split("\n\n")
                   for l in cfg.languages}
            text, shares = calibration_mix(self.tokenizer(shipped_sha), cal, cfg.languages,
                                           n_cal)
            mix.write_text(text, encoding="utf-8")
            mix.with_suffix(".json").write_text(json.dumps(shares))
        doc["cal"]["all"] = str(mix)
        doc["sha256"]["cal-all.txt"] = assets.sha256_file(mix)
        doc["tokens"]["cal_all_shares"] = json.loads(mix.with_suffix(".json").read_text())
        return doc

    def tokenizer(self, shipped_sha: str):
        from laaciq.lm.tokenizer import GGUFTokenizer, read_gguf_vocab

        shipped, _ = assets.fetch_model(self.cache, self.log)
        return GGUFTokenizer(read_gguf_vocab(shipped, self.cache /
                                             f"vocab-{shipped_sha[:16]}.json"))

    def _write_texts(self, d: Path, entries, text_root, shipped_sha: str) -> None:
        """Per language the held-out and calibration texts (upper sizes; a run uses the first
        chunks of each)."""
        from laaciq.lm.langtext import load_corpus

        cfg = self.cfg
        hb, lo = assets.text_dirs(text_root)
        corpus = load_corpus(hb, lo if lo.is_dir() else None, cfg.languages)
        tok = self.tokenizer(shipped_sha)
        tmp = d.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        n_eval, n_cal = EVAL_MAX + 64, CAL_MAX + 64
        doc: dict = {"eval": {}, "cal": {}, "tokens": {"eval": {}, "cal": {}},
                     "texts": entries, "corpus": corpus.stats}
        for l in cfg.languages:
            for kind, paras, n in (("eval", corpus.evaluation[l], n_eval),
                                   ("cal", corpus.calibration[l], n_cal)):
                text, count = write_text(tok, paras, n)
                (tmp / f"{kind}-{l}.txt").write_text(text, encoding="utf-8")
                doc[kind][l] = str(d / f"{kind}-{l}.txt")
                doc["tokens"][kind][l] = count
        doc["sha256"] = {p.name: assets.sha256_file(p) for p in sorted(tmp.glob("*.txt"))}
        (tmp / "texts.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1))
        shutil.rmtree(d, ignore_errors=True)
        tmp.replace(d)

    def imatrix(self, f32: Path, base_sha: str, name: str, text: Path, text_sha: str) -> dict:
        cfg = self.cfg
        key = _h(base_sha, text_sha, cfg.imatrix_ctx, cfg.imatrix_chunks, self.commit)
        out = self.root / "imatrix" / f"{name}-{key}.gguf"
        meta = out.with_suffix(".json")
        if not (out.exists() and meta.exists()):
            self.log(f"llama-imatrix on calibration text {name}")
            tmp = out.with_suffix(".tmp.gguf")
            text_out, s = self.tool("llama-imatrix", [
                "-m", str(f32), "-f", str(text), "-o", str(tmp), "-c", str(cfg.imatrix_ctx),
                "-b", str(cfg.imatrix_ctx), "--chunks", str(cfg.imatrix_chunks), "--no-ppl",
                "-t", str(cfg.threads), "--no-repack"])
            tmp.replace(out)
            meta.write_text(json.dumps({"path": str(out), "sha256": assets.sha256_file(out),
                                        "seconds": round(s, 2), "text_sha256": text_sha,
                                        "chunks": cfg.imatrix_chunks, "ctx": cfg.imatrix_ctx}))
        return json.loads(meta.read_text())

    def quantize(self, m: Method, f32: Path, base_sha: str, imat: dict | None,
                 tag: str = "", make: bool = True) -> tuple[str, dict | None]:
        """The model key and meta (bits per weight, seconds, exact share) of method ``m``'s
        GGUF; the file itself is ``meta["path"]`` (made on demand by :meth:`model_file`)."""
        version = self.commit if m.tool == "llama" else _code_digest()
        key = _h(m.id, base_sha, imat["sha256"] if imat else None, version)
        path = self.root / "models" / f"{m.id}{tag}-{key}.gguf"
        meta_path = path.with_suffix(".json")
        if meta_path.exists():
            meta = json.loads(meta_path.read_text())
            meta["path"] = str(path)
            return key, meta
        if not make:
            return key, None
        self.model_file(m, f32, imat, path)
        meta = json.loads(meta_path.read_text())
        meta["path"] = str(path)
        return key, meta

    def model_file(self, m: Method, f32: Path, imat: dict | None, path: Path) -> Path:
        """Make (or reuse) the GGUF of method ``m`` at ``path``; writes its meta json."""
        if path.exists():
            return path
        tmp = path.with_name(path.stem + ".tmp.gguf")
        self.log(f"quantizing {m.id}{' with ' + Path(imat['path']).name if imat else ''}")
        if m.tool == "llama":
            args = ["--pure", "--token-embedding-type", "f32"]
            args += ["--imatrix", imat["path"]] if imat else []
            _, s = self.tool("llama-quantize", [*args, str(f32), str(tmp), m.fmt,
                                                str(self.cfg.threads)])
        else:
            s = _laaciq_quantize(m, f32, imat, tmp)
        tmp.replace(path)
        meta = {"method": m.id, "seconds": round(s, 3), **llamacpp.gguf_bits(path)}
        path.with_suffix(".json").write_text(json.dumps(meta))
        return path

    def evaluate(self, lang: str, text: Path, text_sha: str, f32: Path, base_sha: str,
                 jobs: list, compute: bool = True) -> tuple[dict | None, dict]:
        """Base perplexity and per-method KLD results for one language (cached per method).
        The base logits file (~0.5 MB per scored token) is kept in the cache so that methods
        added later are compared on the same base run.

        ``jobs``: ``[(method, model key, meta, imatrix)]``."""
        cfg = self.cfg
        common = (text_sha, cfg.ctx, cfg.chunks, self.commit)
        base_res = self.root / "results" / f"base-{_h(base_sha, *common)}.json"
        res_path = {m.id: self.root / "results" / f"{m.id}-{lang}-{_h(k, *common)}.json"
                    for m, k, _, _ in jobs}
        todo = [j for j in jobs if not res_path[j[0].id].exists()]
        if not compute:                      # past the deadline: what is cached only
            jobs = [j for j in jobs if j not in todo]
            if not base_res.exists():
                return None, {}
            todo = []
        kld = self.root / "kld" / f"base-{lang}-{_h(base_sha, *common)}.kld"
        if todo and not (kld.exists() and base_res.exists()):
            self.log(f"[{lang}] F32 base logits ({cfg.chunks} chunks of {cfg.ctx})")
            tmp = kld.with_suffix(".tmp")
            kld.parent.mkdir(exist_ok=True)
            out, s = self.tool("llama-perplexity", [
                "-m", str(f32), "-f", str(text), "-c", str(cfg.ctx), "-b", str(cfg.ctx),
                "--chunks", str(cfg.chunks), "-t", str(cfg.threads), "--no-repack",
                "--kl-divergence-base", str(tmp)])
            (self.root / "results" / f"base-{lang}.log").write_text(out)
            base = llamacpp.parse_ppl_output(out)
            if base["chunks"] != cfg.chunks:
                raise LaaciqError(f"{text} gave {base['chunks']} chunks, not {cfg.chunks}")
            tmp.replace(kld)
            base_res.write_text(json.dumps({**base, "seconds": round(s, 2)}))
        for m, key, meta, imat in todo:
            path = self.model_file(m, f32, imat, Path(meta["path"]))
            self.log(f"[{lang}] {m.id}: KL divergence")
            out, s = self.tool("llama-perplexity", [
                "-m", str(path), "-c", str(cfg.ctx), "-b", str(cfg.ctx),
                "-t", str(cfg.threads), "--no-repack", "--kl-divergence-base",
                str(kld), "--kl-divergence"])
            (self.root / "results" / f"{m.id}-{lang}.log").write_text(out)
            r = llamacpp.parse_kld_output(out)
            res_path[m.id].write_text(json.dumps({**r, "seconds": round(s, 2)}))
            if m.calibration == "own":
                path.unlink(missing_ok=True)
        return (json.loads(base_res.read_text()),
                {m.id: json.loads(res_path[m.id].read_text()) for m, _, _, _ in jobs})


def _code_digest() -> str:
    """SHA-256 prefix of the tensor layer's sources (a laaciq GGUF depends on them)."""
    import laaciq.tensor as t

    h = hashlib.sha256()
    for f in sorted(Path(t.__file__).parent.rglob("*.py")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def _laaciq_quantize(m: Method, f32: Path, imat: dict | None, out: Path) -> float:
    """Write ``out`` with laaciq's GGUF writer (what ``laaciq quantize --format gguf:…`` runs:
    the exact per-block fp16 optimum); returns the seconds, reading the imatrix included."""
    from laaciq.tensor import blockfmt, ggufout

    t0 = time.perf_counter()
    imp = ggufout.load_importances(imat["path"], None) if imat else None
    ggufout.write_gguf(f32, out, blockfmt.FORMATS[m.fmt], imp, token_embedding_type="f32",
                       value_weighted=m.tool == "laaciq-llw")
    return time.perf_counter() - t0


def lossless_shares(block_types: dict) -> dict:
    """Per target format, the share of block-matrix weights whose stored type's grid lies in
    the target's (same fp16 scale, codes in range): re-quantizing them can be lossless."""
    inside = {"Q4_0": {"Q4_0"}, "Q5_0": {"Q4_0", "Q5_0"}, "Q8_0": {"Q4_0", "Q5_0", "Q8_0"}}
    n = sum(block_types.values())
    return {f: sum(v for k, v in block_types.items() if k in s) / n for f, s in inside.items()}


def _imatrix_for(m: Method, lang: str, imats: dict) -> dict | None:
    if m.calibration is None:
        return None
    return imats[lang if m.calibration == "own" else m.calibration]


def run_compare(cfg: CompareConfig, log=print, deadline: float | None = None) -> dict:
    """Run every step (cached) and return the ``compare.json`` document. ``deadline`` (a
    ``time.time()``): no language is started after it; the document covers those finished."""
    t_all = time.perf_counter()
    commit = _git_commit()
    run = _Run(cfg, log)
    methods = [m for m in METHODS if m.id in cfg.methods]
    not_run = {}
    if not laaciq_available():
        not_run = {m.id: "no GGUF writer in this build" for m in methods if m.tool != "llama"}
        methods = [m for m in methods if m.tool == "llama"]
    f32, base_info = run.base()
    base_sha = base_info["sha256"]
    texts = run.texts(base_info["shipped"]["sha256"])
    sha = texts["sha256"]
    needed = {m.calibration for m in methods} - {None}
    cal_names = sorted(needed - {"own"}) + (list(cfg.own_languages) if "own" in needed else [])
    t0 = time.perf_counter()
    imats = {n: run.imatrix(f32, base_sha, n, Path(texts["cal"][n]), sha[f"cal-{n}.txt"])
             for n in dict.fromkeys(cal_names)}
    run.timings["imatrix_s"] = round(time.perf_counter() - t0, 1)
    per_chunk: dict = {m.id: {} for m in methods}
    base_runs, quant = {}, {m.id: {} for m in methods}
    t0 = time.perf_counter()
    order = [l for l in cfg.order if l in cfg.languages] + \
        [l for l in cfg.languages if l not in cfg.order]
    for lang in order:
        compute = deadline is None or time.time() <= deadline
        if not compute:
            log(f"deadline reached: {lang}: cached results only")
        jobs = []
        for m in methods:
            if m.calibration == "own" and lang not in cfg.own_languages:
                continue
            imat = _imatrix_for(m, lang, imats)
            tag = f"-{lang}" if m.calibration == "own" else ""
            key, meta = run.quantize(m, f32, base_sha, imat, tag, make=compute)
            if meta is not None:
                quant[m.id][lang] = meta
                jobs.append((m, key, meta, imat))
        base, res = run.evaluate(lang, Path(texts["eval"][lang]), sha[f"eval-{lang}.txt"],
                                 f32, base_sha, jobs, compute)
        if base is not None:
            base_runs[lang] = base
        for mid, r in res.items():
            per_chunk[mid][lang] = r
    run.timings["evaluate_s"] = round(time.perf_counter() - t0, 1)
    for m in methods:                          # the shared models are cheap to remake
        for meta in quant[m.id].values():
            Path(meta["path"]).unlink(missing_ok=True)
    done = [l for l in cfg.languages if l in base_runs]
    methods = [m for m in methods if per_chunk[m.id]]
    for m in methods:             # a method cut by the deadline shows the languages it has
        quant[m.id] = {l: v for l, v in quant[m.id].items() if l in per_chunk[m.id]}
    return _document(cfg, commit, run, methods, not_run, base_info, texts, imats, quant,
                     base_runs, per_chunk, time.perf_counter() - t_all, done)


def _method_doc(m: Method, metas: dict) -> dict:
    first = next(iter(metas.values()))
    secs = [v["seconds"] for v in metas.values()]
    return {"label": m.label, "tool": m.tool, "format": m.fmt, "calibration": m.calibration,
            "bpw_blocks": first["bpw_blocks"], "bpw_file": first["bpw_file"],
            "block_types": first["block_types"],
            "quantize_s": secs[0] if m.calibration != "own" else sum(secs) / len(secs)}


def _document(cfg, commit, run, methods, not_run, base_info, texts, imats, quant, base_runs,
              per_chunk, seconds, langs) -> dict:
    cols = {m: {l: {"kld": r["kld"], "nll": r["nll"]} for l, r in by.items()}
            for m, by in per_chunk.items()}
    base_cols = {l: {"nll": b["nll"]} for l, b in base_runs.items()}
    cmp = comparisons(cols, langs, cfg.bootstrap, cfg.seed)
    shipped = base_info["shipped_types"]
    return {
        "model": "Gemma-3-270M (Q4_K_M GGUF from PyPI, dequantized to F32 by llama-quantize)",
        "commit": commit, "llama_cpp": run.build, "config": asdict(cfg),
        "decision_rules": DECISION_RULES, "decision_rules_sha256": RULES_SHA256,
        "languages": langs, "languages_left_out": [l for l in cfg.languages if l not in langs],
        "base": {"sha256": base_info["sha256"], "dequantize_s": base_info["seconds"],
                 "shipped": base_info["shipped"], "shipped_block_types": shipped["block_types"],
                 "lossless_share": lossless_shares(shipped["block_types"]),
                 "ppl": {l: b["ppl"] for l, b in base_runs.items()}},
        "texts": {"tokens": texts["tokens"], "sha256": texts["sha256"],
                  "packages": texts["texts"]},
        "imatrix": imats,
        "methods": {m.id: _method_doc(m, quant[m.id]) for m in methods},
        "not_run": not_run,
        "per_chunk": {"base_nll": {l: b["nll"] for l, b in base_runs.items()}, **per_chunk},
        "results": per_method(cols, base_cols, cfg.bootstrap, cfg.seed),
        "comparisons": cmp, "answers": answers(cmp),
        "timings": {**run.timings, "total_s": round(seconds, 1)},
    }


def summary(doc: dict) -> str:
    """A plain-text digest of a ``compare.json`` (printed at the end of a run)."""
    langs = doc["languages"]
    res = doc["results"]
    lines = [f"{doc['model']}: commit {doc['commit'][:12]}, llama.cpp "
             f"{doc['llama_cpp']['llama_cpp_commit'][:12]}, languages {','.join(langs)}"]
    lines.append("method".ljust(20) + "bpw   quant_s  " + " ".join(l.rjust(7) for l in langs))
    for m, v in doc["methods"].items():
        lines.append(f"{m:<20}{v['bpw_blocks']:.2f}  {v['quantize_s']:7.1f}  " +
                     " ".join(f"{res[m][l]['kld']:7.4f}" if l in res[m] else "      -"
                              for l in langs))
    for cid, c in doc["comparisons"].items():
        p = c["pooled"]
        lines.append(f"{cid:<24} ahead/tie/behind {c['counts']['ahead']}/{c['counts']['tie']}/"
                     f"{c['counts']['behind']} of {len(c['languages'])}; pooled dKLD "
                     f"{p['dkld']:+.5f} [{p['dkld_ci'][0]:+.5f}, {p['dkld_ci'][1]:+.5f}], dPPL "
                     f"{p['dppl']:+.3f} [{p['dppl_ci'][0]:+.3f}, {p['dppl_ci'][1]:+.3f}]")
    return "\n".join(lines)


def _keep_peers(doc: dict, out: Path) -> None:
    """Carry over the sections of ``out`` that other runs write (``make peers``' ``peers``,
    ``make objectives``' ``objectives``: each with its own run and commit)."""
    try:
        old = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(old, dict):
        doc.update({k: old[k] for k in ("peers", "objectives") if k in old})


def main(argv=None) -> int:
    import argparse

    from laaciq.lm.probe import write_json

    p = argparse.ArgumentParser(prog="python -m laaciq.lm.compare",
                                description="laaciq vs llama.cpp quantizers on Gemma-3-270M")
    p.add_argument("--out", default="report/compare.json")
    p.add_argument("--languages", default=",".join(LANGUAGES))
    p.add_argument("--chunks", type=int, default=CompareConfig.chunks)
    p.add_argument("--ctx", type=int, default=CompareConfig.ctx,
                   help="tokens per evaluation chunk (the second half of each is scored)")
    p.add_argument("--imatrix-chunks", type=int, default=CompareConfig.imatrix_chunks)
    p.add_argument("--methods", default=",".join(CompareConfig.methods),
                   help=f"comma-separated subset of {','.join(m.id for m in METHODS)}")
    p.add_argument("--minutes", type=float, help="start no language after this many minutes")
    a = p.parse_args(argv)
    try:
        langs = tuple(x for x in a.languages.split(",") if x)
        meths = tuple(x for x in a.methods.split(",") if x)
        bad = [x for x in langs if x not in LANGUAGES] + \
            [x for x in meths if x not in {m.id for m in METHODS}]
        if bad or not langs or not meths or a.chunks < 2 or a.imatrix_chunks < 1:
            raise LaaciqError(f"bad --languages/--methods/--chunks: {bad[:1] or 'empty'}")
        if not 64 <= a.ctx or a.ctx % 2 or a.ctx * a.chunks > EVAL_MAX:
            raise LaaciqError(f"bad --ctx {a.ctx}: an even number of tokens ≥ 64 with "
                              f"--ctx × --chunks ≤ {EVAL_MAX} (the held-out text per language)")
        cfg = CompareConfig(languages=langs, chunks=a.chunks, ctx=a.ctx,
                            imatrix_chunks=a.imatrix_chunks, methods=meths)
        doc = run_compare(cfg, log=lambda s: print(s, file=sys.stderr, flush=True),
                          deadline=None if a.minutes is None else time.time() + 60 * a.minutes)
        _keep_peers(doc, Path(a.out))
        write_json(doc, Path(a.out))
    except LaaciqError as exc:
        print(f"laaciq: error: {exc}", file=sys.stderr)
        return 2
    print(summary(doc))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
