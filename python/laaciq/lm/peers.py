"""Calibration-free peers at equal bits per weight: HQQ and optimum-quanto int4, each run as
itself, against laaciq's exact Q4_0 optimum on the weight error, on Gemma-3-270M.

The three quantizers see the same weights (every linear matrix of the decoder blocks of the F32
base that ``make compare`` quantizes) and return a float weight that the probe's model
evaluates (:mod:`laaciq.lm.peers_eval`):

* **HQQ** (``hqq`` 0.2.8.post1): ``HQQLinear`` with ``BaseQuantizeConfig(nbits=4,
  group_size=64)`` — its defaults otherwise (axis 1: groups of 64 consecutive values of a row;
  zero rounded at 4 bits; half-quadratic optimization of scale and zero), compute dtype fp16,
  then its own ``dequantize()``. Stored: 4-bit codes packed two per byte, an fp16 scale and an
  fp16 zero per group.
* **quanto** (``optimum-quanto`` 0.2.7): ``QLinear.from_module(linear, weights=qint4)`` and
  ``freeze()`` — its default group size (128 where the row length allows) and its default
  affine ``MaxOptimizer``; ``weight.dequantize()``. Stored: packed 4-bit codes, a scale and a
  shift per group in the weight's dtype (float32 here: the base is F32).
* **laaciq**: llama.cpp's Q4_0 block (32 values, an fp16 scale, codes −8…7) with the exact
  per-block optimum over fp16 scales of the weight error (:func:`laaciq.tensor.blockfmt.
  solve_blocks`, what ``laaciq quantize --format gguf:Q4_0`` writes), dequantized ``q·d``.

Bits per weight are counted from the stored tensors themselves (codes + scales + zeros, at
their stored dtypes): :func:`storage_bits`. laaciq's group is chosen by :func:`equal_bpw_group`
so that its bits per weight equal the peer's where possible and never exceed it.
"""

from __future__ import annotations

import importlib.util
import math
import time

import numpy as np

from laaciq.errors import LaaciqError

__all__ = ["PEERS", "PINS", "peers_missing", "storage_bits", "bits_per_weight", "laaciq_bpw",
           "equal_bpw_group", "bits_per_char", "llama_bits_per_char", "quantize_hqq",
           "quantize_quanto", "quantize_laaciq", "QUANTIZERS"]

#: the peers' PyPI pins (the ``peers`` extra of pyproject.toml)
PINS = {"hqq": "0.2.8.post1", "optimum-quanto": "0.2.7"}
#: method id -> (import name needed, label)
PEERS = {"hqq-g64": ("hqq", "HQQ 4-bit, group 64 (fp16 scale + zero)"),
         "quanto-int4": ("optimum.quanto", "optimum-quanto qint4, default group")}
HQQ_GROUP = 64
LAACIQ_SCALE_BITS = 16            # Q4_0's fp16 scale
LAACIQ_GROUPS = (32,)             # group sizes laaciq's fp16-exact block solver supports


def peers_missing() -> dict:
    """``{method: reason}`` for every peer whose package is not installed (the others run)."""
    out = {}
    for m, (mod, _) in PEERS.items():
        try:
            found = importlib.util.find_spec(mod) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            out[m] = f"`{mod}` is not installed: pip install -e '.[peers]'"
    return out


# =============================================================================================
# bits


def storage_bits(*tensors) -> int:
    """Bits stored by numpy arrays or torch tensors: elements × bits of their stored dtype."""
    total = 0
    for t in tensors:
        if hasattr(t, "element_size"):                 # torch
            total += int(t.numel()) * int(t.element_size()) * 8
        else:
            total += int(np.asarray(t).nbytes) * 8
    return total


def bits_per_weight(bits: int, n_weights: int) -> float:
    if n_weights <= 0:
        raise ValueError("no weights")
    return bits / n_weights


def laaciq_bpw(group: int, bits: int = 4, scale_bits: int = LAACIQ_SCALE_BITS) -> float:
    """Bits per weight of a symmetric-grid block format: codes + one scale per group."""
    return bits + scale_bits / group


def equal_bpw_group(peer_bpw: float, groups=LAACIQ_GROUPS, bits: int = 4,
                    scale_bits: int = LAACIQ_SCALE_BITS) -> int | None:
    """laaciq's group for a peer at ``peer_bpw``: the one whose bits per weight are the
    largest not above the peer's (equal where a group gives equality), so that laaciq never
    gets more bits than the peer; None if every group needs more."""
    ok = [g for g in groups if laaciq_bpw(g, bits, scale_bits) <= peer_bpw + 1e-12]
    return min(ok) if ok else None


def bits_per_char(nll_nats: float, chars: int) -> float:
    """Summed negative log-likelihood (nats) of a text span per character, in bits."""
    if chars <= 0:
        raise ValueError("no characters")
    return nll_nats / (math.log(2) * chars)


def llama_bits_per_char(n_tokens: int, ppl: float, chars: int) -> float:
    """llama.cpp's perplexity over ``n_tokens`` scored tokens as bits per character:
    ``n_tokens · log2(ppl) / chars``."""
    if chars <= 0 or ppl <= 0:
        raise ValueError("no characters or a non-positive perplexity")
    return n_tokens * math.log2(ppl) / chars


# =============================================================================================
# the quantizers: float32 (out, in) weight -> (dequantized float32 weight, stored bits)


def _linear(w):
    import torch

    lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(w, dtype=torch.float32))
    return lin


def quantize_hqq(w) -> tuple[np.ndarray, int]:
    """HQQ as itself (module docstring); stored bits = packed codes + scale + zero."""
    import torch
    from hqq.core.quantize import BaseQuantizeConfig, HQQLinear

    h = HQQLinear(_linear(w), BaseQuantizeConfig(nbits=4, group_size=HQQ_GROUP),
                  compute_dtype=torch.float16, device="cpu", del_orig=True)
    meta = h.meta
    if meta["quant_scale"] or meta["quant_zero"] or meta["packing"] != "4bit_u8":
        raise LaaciqError(f"HQQ stored its metadata differently than counted: {meta}")
    bits = storage_bits(h.W_q, meta["scale"], meta["zero"])
    return h.dequantize().float().numpy().reshape(w.shape), bits


def quantize_quanto(w) -> tuple[np.ndarray, int]:
    """optimum-quanto qint4 as itself; stored bits = packed codes + scale + shift."""
    from optimum.quanto import QLinear, qint4

    q = QLinear.from_module(_linear(w), weights=qint4)
    q.freeze()
    qw = q.weight
    packed = qw._data
    codes = getattr(packed, "_data", packed)
    if codes.element_size() * 8 * codes.numel() != 4 * qw.numel():
        raise LaaciqError("quanto's packed codes are not 4 bits per weight")
    bits = storage_bits(codes, qw._scale, qw._shift)
    return qw.dequantize().float().detach().numpy().reshape(w.shape), bits


def quantize_laaciq(w) -> tuple[np.ndarray, int]:
    """laaciq's exact Q4_0 optimum of the weight error; stored bits = the packed blocks."""
    from laaciq.tensor import blockfmt

    fmt = blockfmt.FORMATS["Q4_0"]
    w = np.asarray(w, dtype=np.float32)
    xb = w.reshape(-1, blockfmt.BLOCK)
    d, q = blockfmt.solve_blocks(xb, fmt)
    bits = storage_bits(blockfmt.pack_blocks(d, q, fmt))
    return (q * d[:, None]).astype(np.float32).reshape(w.shape), bits


#: method id -> (quantizer, label)
QUANTIZERS = {"laaciq-q4-g32": (quantize_laaciq, "laaciq exact Q4_0 (group 32, fp16 scale), "
                                                 "weight error"),
              "hqq-g64": (quantize_hqq, PEERS["hqq-g64"][1]),
              "quanto-int4": (quantize_quanto, PEERS["quanto-int4"][1])}


def quantize_all(method: str, weights: dict, log=lambda s: None) -> tuple[dict, dict]:
    """``({index: dequantized float32 weight}, meta)`` of one method on every matrix;
    meta: bits per weight over all of them, seconds, relative weight error Σ(w−q)²/Σw²."""
    fn = QUANTIZERS[method][0]
    t0 = time.perf_counter()
    out, bits, n, err, ref = {}, 0, 0, 0.0, 0.0
    for i, w in weights.items():
        out[i], b = fn(w)
        bits, n = bits + b, n + w.size
        err += float(np.square(out[i].astype(np.float64) - w).sum())
        ref += float(np.square(w.astype(np.float64)).sum())
    s = time.perf_counter() - t0
    log(f"{method}: {len(weights)} matrices in {s:.1f} s")
    return out, {"bpw": bits_per_weight(bits, n), "bits": bits, "weights": n,
                 "quantize_s": round(s, 2), "rel_weight_error": err / ref}
