"""``laaciq clip``, ``laaciq quantize`` and ``laaciq assess``: exact clipping thresholds,
quantized checkpoints and seed 003's pre-quantization checklist on real weights.

Inputs (:mod:`laaciq.tensor.checkpoint`): a ``.safetensors`` file, a folder, a sharded checkpoint
(``model.safetensors.index.json``), ``.npy``, ``.npz`` or ``.gguf`` (dequantized); tensors are
read one at a time (bf16/fp16/fp8 kept in their dtype). By default the floating tensors with at
least 2 dimensions (the weight matrices); ``--all`` adds 1-D ones; ``--tensor PATTERN``
(shell-style, repeatable) selects by name. ``--per-channel AXIS`` / ``--group G`` apply to every
selected tensor: one that lacks the axis (or whose last dimension G does not divide) is an error,
never a silent fallback. ``--jobs N`` worker processes (default: all cores) over tensors and
blocks of rows; a progress bar with ETA on a terminal unless ``--quiet``.

``clip FILE`` — per tensor: ``n``, σ (population), excess kurtosis κ, then for every method its
threshold α, the TRUE MSE of the project's quantizer at α (:func:`exact.slice_mse`), the ratio to
the exact optimum and the seconds it took. Methods: ``exact-true`` (the global minimizer of the
true round-to-nearest MSE, :mod:`laaciq.tensor.exact`), ``exact-uniform`` (exact minimizer of the
clip + Δ²/12 surrogate with the real step; ``--objective banner|seed001|seed004`` adds that
surrogate too), ``banner-gauss`` / ``banner-laplace`` (ACIQ closed forms ``k_B·σ`` and
``k_B·mean|x-μ|``), ``octav`` (fixed point), ``kurtosis-rule`` (seeds'
``σ·(2.5 + 0.3 ln(1+max(0,κ)))``, 4 bits only); ``--peers`` adds the grid searches of
:mod:`laaciq.tensor.baselines`. ``--objective`` names the method reported as ``selected`` ("surrogate"
means "uniform"). Per-channel/group MSEs are over the whole tensor. ``--out DIR``: the full per-slice thresholds
(``thresholds.safetensors`` for the selected method, ``thresholds-METHOD.safetensors`` for the
others; one float64 tensor per weight, named like it), ``tensors.csv`` / ``tensors.jsonl`` (one
row per tensor and method) and ``clip.json``.

``quantize FILE --out DIR`` — see ``laaciq quantize --help``.

``assess FILE [--activations acts.json]`` — per-layer (= per selected tensor) excess kurtosis,
seed 003 §7.2's strategy rule on ``max κ`` and, with activations, §7.1's checklist, per-language
effective kurtosis, the exact per-language threshold ``α*(λ)`` and §7.3's fairness record.
The activations JSON::

    {
      "layers": ["encoder.layer.0.attention.self.query.weight", "..."],
      "norms":  {"eng": [12.0, 3.5, ...], "fra": [11.1, 4.0, ...]}
    }

``norms``: per language, one non-negative activation norm ``a_l(λ)`` per layer (not all zero);
``ā_l(λ) = a_l/Σa`` (seed 000 §4). ``layers`` (optional): the tensor names the norms refer to, in
order; without it the norms follow the selected tensors in file order. A language's effective
law is the pool ``P_λ = Σ_l ā_l(λ)·(empirical law of tensor l)``; ``κ_eff`` is its excess
kurtosis (``linear``: seeds 001/002's ``Σ ā κ_l``); ``α*(λ)`` minimizes its true MSE exactly
(:func:`exact.exact_alpha_weighted`); the language-blind α pools the languages uniformly. The
fairness record's degradation ``D(λ)`` is language λ's relative weight MSE
``MSE_λ(α_blind)/E_λ[x²]`` at the language-blind threshold.

Errors (missing file, unknown format or dtype, a shard missing, NaN, empty tensor, bad option,
an existing output folder without ``--force``, a shard outside the checkpoint folder, a bad tensor
name, a full disk) print one line ``laaciq: error: ...`` and exit 2; outputs are built in a
locked temporary folder that replaces ``--out`` in one step (:class:`laaciq.fsguard.OutputDir`),
so nothing is half-written, and Ctrl-C or SIGTERM leave ``--out`` as it was.
"""

from __future__ import annotations

import argparse

from laaciq.tensor import runs, tables
from laaciq.errors import LaaciqError

__all__ = ["register"]

_QUANTIZE_DOC = """Quantize a checkpoint at the exact optimal thresholds (objective "true": the
global minimizer of the real round-to-nearest MSE, per tensor, per channel or per group).

DIR gets:
  * the checkpoint with the selected tensors fake-quantized (Q_a(w), computed in float64 and
    rounded once to the tensor's own dtype), every other tensor copied, with the input's file
    names, sharding and index (.npy/.npz stay .npy/.npz; GGUF becomes STEM.safetensors with the
    dequantized float32 weights). In bf16/fp16 a grid point k*a/L is generally not representable:
    the stored value is its nearest bf16/fp16, not the grid point; the codes below are exact.
  * thresholds.safetensors: one float64 tensor of thresholds a per quantized weight (same name;
    shape () per tensor, (C,) per channel, the weight's shape with the last axis divided by G
    for groups); metadata: bits, objective, layout.
  * with --codes, codes.safetensors: NAME = integer codes k in [-L, L] (int8 up to 8 bits, else
    int16; L = 2^(bits-1) - 1), the weight's shape; NAME.scale = float64 step a/L, threshold
    shape. Dequantize: w = k * scale per slice (laaciq.dequantize), rounded once to the dtype:
    bit-identical to the fake-quantized weights.
  * quantize.json: the run (per tensor: granularity, true MSE; wall time, peak memory).

With --imatrix FILE (llama.cpp imatrix GGUF or .dat, from laaciq calibrate or llama-imatrix)
the objective is "weighted": per slice the exact minimizer of sum_j c_j (w_j - q_j)^2, c_j the
importance of input column j (the weight's last axis); quantize.json adds weighted_mse per
tensor, the tensors calibrated and those without data (unweighted_fallback: the true-MSE
optimum). --hessian FILE --objective output: per output row the exact minimum of
(w - q)^T H (w - q) (laaciq calibrate --full writes H), H damped first by --damp F times its
mean diagonal (default 0.01, GPTQ's convention; 0 <= F < 1; recorded in quantize.json).
--holdout-hessian FILE (laaciq calibrate --full --holdout FRAC writes one from tokens not in
H): quantize.json adds, per tensor and as a mean, the relative layer-output error
sum (w-q)^T H (w-q) / sum w^T H w on the calibration H and on the held-out H (both
undamped) for the output objective and for the weighted (importance diag H) and
unweighted optima of the same slices: whether the output objective overfits its tokens.

--format gguf:Q4_0|gguf:Q5_0|gguf:Q8_0 (a GGUF input) writes instead DIR/model.gguf in
llama.cpp's block format, every block at the exact optimum over fp16 scales and codes
(laaciq.tensor.blockfmt), metadata and tokenizer copied, llama-quantize --pure's tensor policy
(laaciq.tensor.ggufout), and DIR/quantize.json; --imatrix FILE weights each block's error by
llama.cpp's per-column importances (--weighting imatrix, the default), or by those times
sqrt(mean of the row's squares + value²) as llama.cpp's own Q4_0/Q5_0 search weighs them
(--weighting llama: the same weights, solved exactly); --token-embedding-type
same|f32|f16|q8_0.
"""


SURROGATE_CHOICES = ("true", "surrogate", "banner", "seed001", "uniform", "seed004")
#: objectives that need calibration data (--imatrix, --hessian)
CALIBRATED_CHOICES = ("weighted", "output")


def _cmd_clip(args) -> int:
    doc = runs.clip_report(args.file, args.bits, args.objective, args.per_channel, args.group,
                           args.tensor, args.peers, args.quiet, args.all, args.jobs, args.out,
                           args.force, args.imatrix, args.hessian, args.damp,
                           args.holdout_hessian)
    tables.emit(doc, args.format, tables.clip_table)
    return 0


def _cmd_quantize(args) -> int:
    if args.format in ("table", "json") and args.weighting != "imatrix":
        raise LaaciqError("--weighting applies to --format gguf:… (block formats) only")
    if args.format not in ("table", "json"):
        from laaciq.tensor import ggufout

        if args.per_channel is not None or args.group is not None or args.codes:
            raise LaaciqError("--format gguf:… fixes the layout (blocks of 32 along rows): "
                              "drop --per-channel/--group/--codes")
        if args.hessian is not None or args.objective not in (None, "true", "weighted") \
                or args.damp is not None or args.holdout_hessian is not None:
            raise LaaciqError("--format gguf:… minimizes the block error (weighted with "
                              "--imatrix): --objective output/--hessian is not defined block "
                              "by block, and surrogates are not offered")
        if args.weighting == "llama" and args.imatrix is None:
            raise LaaciqError("--weighting llama weighs the imatrix's importances by the "
                              "value: give --imatrix FILE")
        doc = runs.quantize_gguf(args.file, args.out, args.format, args.imatrix,
                                 args.token_embedding_type, args.force, args.quiet,
                                 value_weighted=args.weighting == "llama")
        tables.emit(doc, "table", ggufout.gguf_table)
        return 0
    doc = runs.quantize_checkpoint(args.file, args.out, args.bits, args.objective,
                                   args.per_channel, args.group, args.tensor, args.all,
                                   args.jobs, args.codes, args.force, args.quiet, args.imatrix,
                                   args.hessian, args.damp, args.holdout_hessian)
    tables.emit(doc, args.format, tables.quantize_table)
    return 0


def _cmd_assess(args) -> int:
    doc = runs.assess_report(args.file, args.activations, args.bits, args.tensor, args.quiet)
    tables.emit(doc, args.format, tables.assess_table)
    return 0


def _common_args(c, formats=("table", "json")) -> None:
    c.add_argument("file", help=".safetensors file, folder, sharded index, .npy, .npz or .gguf")
    c.add_argument("--bits", type=int, default=4, help="bit-width 2..16 (default 4)")
    c.add_argument("--objective", choices=SURROGATE_CHOICES + CALIBRATED_CHOICES,
                   help="objective of the exact thresholds (surrogate = uniform; default: "
                        "true, or weighted with --imatrix, output with only --hessian)")
    c.add_argument("--imatrix", metavar="FILE", help="importance matrix (llama.cpp GGUF or "
                   ".dat, from laaciq calibrate or llama-imatrix): minimize the activation-"
                   "weighted error sum_j c_j (w_j - q_j)^2 (with gguf:…, of each block)")
    c.add_argument("--hessian", metavar="FILE", help="second moments H = E[x x^T] per layer "
                   "(laaciq calibrate --full) for --objective output")
    c.add_argument("--damp", type=float, metavar="F", help="with --objective output: add F "
                   "times H's mean diagonal to its diagonal (default 0.01, GPTQ's convention; "
                   "0 <= F < 1)")
    c.add_argument("--holdout-hessian", metavar="FILE", dest="holdout_hessian",
                   help="with --objective output: held-out second moments (laaciq calibrate "
                        "--full --holdout): report the layer-output error on them too")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--per-channel", type=int, metavar="AXIS", dest="per_channel",
                   help="one threshold per index of AXIS (every selected tensor must have it)")
    g.add_argument("--group", type=int, metavar="G", help="one threshold per block of G values "
                                                          "along the last axis")
    c.add_argument("--tensor", action="append", metavar="PATTERN",
                   help="only tensors whose name matches (shell pattern; repeatable; 1-D "
                        "tensors included)")
    c.add_argument("--all", action="store_true", help="every floating tensor, 1-D included "
                                                      "(default: the >= 2-D weight matrices)")
    c.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes (default: all cores)")
    if formats is None:         # quantize: also gguf:Q4_0|gguf:Q5_0|gguf:Q8_0, checked when run
        c.add_argument("--format", default="table", metavar="FORMAT",
                       help="table or json (the printed summary), or gguf:Q4_0, gguf:Q5_0, "
                            "gguf:Q8_0: write DIR/model.gguf in llama.cpp's block format at the "
                            "exact per-block optimum (GGUF input)")
    else:
        c.add_argument("--format", choices=formats, default="table")
    c.add_argument("--force", action="store_true", help="replace an existing --out folder")
    c.add_argument("--quiet", action="store_true", help="no progress bar on stderr")


def register(subparsers) -> None:
    """Add ``clip`` and ``assess`` to the ``laaciq`` sub-command parser."""
    doc = __doc__.split("``assess FILE")[0]
    c = subparsers.add_parser("clip", help="exact clipping thresholds of the tensors of a "
                                           "checkpoint, against other methods",
                              description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common_args(c)
    c.add_argument("--peers", action="store_true",
                   help="also run the grid searches of NVIDIA, Intel, ModelOpt, GPTQ, PyTorch "
                        "(numpy ports)")
    c.add_argument("--out", metavar="DIR", help="write every per-slice threshold "
                   "(thresholds*.safetensors) and tensors.csv / tensors.jsonl / clip.json here")
    c.set_defaults(func=_cmd_clip)

    q = subparsers.add_parser("quantize", help="quantize a checkpoint at the exact optimal "
                                               "thresholds: fake-quantized weights, thresholds, "
                                               "codes", description=_QUANTIZE_DOC,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    _common_args(q, formats=None)
    q.add_argument("--token-embedding-type", default="same", dest="token_embedding_type",
                   choices=("same", "f32", "f16", "q8_0"),
                   help="with gguf:…: type of token_embd.weight (default: the format)")
    q.add_argument("--weighting", default="imatrix", choices=("imatrix", "llama"),
                   help="with gguf:… and --imatrix: each value's weight is its column's "
                        "importance (imatrix, default) or that times sqrt(σ²_row + x²) as "
                        "llama.cpp weighs it (llama)")
    q.add_argument("--out", metavar="DIR", required=True, help="output folder (must not exist "
                                                                "unless --force)")
    q.add_argument("--codes", action="store_true",
                   help="also write codes.safetensors (integer codes + float64 scales)")
    q.set_defaults(func=_cmd_quantize)

    a = subparsers.add_parser(
        "assess", help="seed 003's pre-quantization checklist, strategy rule and fairness "
                       "record on a weights file",
        description="``assess FILE" + __doc__.split("``assess FILE", 1)[1].split("Errors (")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("file", help=".npy, .npz or .safetensors weights file")
    a.add_argument("--activations", metavar="JSON",
                   help='per-language activation norms: {"layers": [...], "norms": '
                        '{"lang": [norm per layer]}}')
    a.add_argument("--bits", type=int, default=4, help="bit-width 2..16 (default 4)")
    a.add_argument("--tensor", action="append", metavar="PATTERN",
                   help="only tensors whose name matches (shell pattern; repeatable)")
    a.add_argument("--format", choices=("table", "json"), default="table")
    a.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    a.set_defaults(func=_cmd_assess)
