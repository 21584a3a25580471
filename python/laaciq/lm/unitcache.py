"""The probe's forward passes cached by value (``$LAACIQ_CACHE/probe-units/<key>.npz``).

A forward pass is the expensive part of the probe; what it returns is fixed by the model's
weights, the code that runs it and the tokens it scores. So a unit's key is a hash of exactly
those (:meth:`UnitCache.key`):

* the base (:func:`base_key`): every parameter of the model as loaded (names, dtypes, shapes,
  bytes), its config, the scorer's own code (:mod:`laaciq.lm.model`), the torch and
  transformers versions, the torch thread count and the batch size;
* the quantized matrices applied on top (:func:`weights_digest`: the arrays by matrix index);
  empty for the full-precision pass;
* the segments' token ids (:func:`segments_digest`), and for the full-precision pass the seed.

Nothing else enters, so a change to the thresholds', the decisions' or the report's code, a new
strategy or an added language costs only the passes whose weights or tokens are new. A unit
holds one or more :class:`laaciq.lm.model.SegmentStats` stored as float64 arrays (exact round
trip) with its own key; a file that cannot be read back whole (truncated, not a zip, a member's
CRC wrong, another key, other segment counts) is recomputed and rewritten.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

from laaciq.io import atomic_write_bytes

__all__ = ["UnitCache", "base_key", "weights_digest", "segments_digest", "pack", "unpack"]


def _h():
    return hashlib.blake2b(digest_size=20)


def base_key(model, batch: int) -> str:
    """The model as loaded and the code and settings of its forward pass (module docstring)."""
    import torch
    from laaciq.lm import model as model_module

    h = _h()
    for name, p in model.named_parameters():
        t = p.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}\0".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy() if t.numel() else b"")
    cfg = getattr(model, "config", None)
    h.update((cfg.to_json_string() if hasattr(cfg, "to_json_string") else type(model).__name__)
             .encode())
    h.update(Path(model_module.__file__).read_bytes())
    try:
        import transformers
        tv = transformers.__version__
    except ImportError:
        tv = "-"
    h.update(f"\0torch={torch.__version__}|transformers={tv}|threads={torch.get_num_threads()}"
             f"|batch={batch}".encode())
    return h.hexdigest()


def weights_digest(qw: dict) -> str:
    """The quantized matrices ``{linear index: array}`` in the order of their index."""
    h = _h()
    for i in sorted(qw):
        a = np.ascontiguousarray(qw[i])
        h.update(f"{i}|{a.dtype.str}|{a.shape}\0".encode())
        h.update(a.reshape(-1).view(np.uint8) if a.size else b"")
    return h.hexdigest()


def segments_digest(segments) -> str:
    """The token ids of ``segments`` (a list of id lists), segment boundaries included."""
    h = _h()
    for s in segments:
        a = np.asarray(s, dtype=np.int64)
        h.update(len(a).to_bytes(8, "little"))
        h.update(a.reshape(-1).view(np.uint8) if a.size else b"")
    return h.hexdigest()


def pack(stats: tuple) -> dict:
    """``SegmentStats`` as named float64/int64 arrays (``<n>.<field>`` for the n-th)."""
    out = {}
    for n, st in enumerate(stats):
        p = f"{n}."
        out[p + "nll"], out[p + "count"] = np.asarray(st.nll), np.asarray(st.count)
        out[p + "tlen"] = np.array([len(t) for t in st.token_nll], dtype=np.int64)
        out[p + "tok"] = np.concatenate(st.token_nll) if st.token_nll else np.zeros(0)
        out[p + "tokens"] = np.array([st.tokens, st.sq_count], dtype=np.int64)
        if st.norm_sum is not None:
            out[p + "norm_sum"], out[p + "norm_bos"] = st.norm_sum, st.norm_bos
        for i, v in st.sq_sum.items():
            out[f"{p}sq.{i}"] = np.asarray(v)
    out["units"] = np.array(len(stats), dtype=np.int64)
    return out


def unpack(z, sizes: tuple) -> tuple:
    """The inverse of :func:`pack`; ``sizes``: the segment count of each stats (a mismatch or a
    missing array raises ``KeyError``/``ValueError``)."""
    from laaciq.lm.model import SegmentStats

    if int(z["units"]) != len(sizes):
        raise ValueError("unit count")
    out = []
    for n, S in enumerate(sizes):
        p = f"{n}."
        nll, count, tlen, tok = (z[p + k] for k in ("nll", "count", "tlen", "tok"))
        if not len(nll) == len(count) == len(tlen) == S or tlen.sum() != len(tok):
            raise ValueError("shape")
        cuts = np.cumsum(tlen)[:-1]
        st = SegmentStats(nll, count, list(np.split(tok, cuts)) if S else [],
                          z[p + "norm_sum"] if p + "norm_sum" in z.files else None,
                          z[p + "norm_bos"] if p + "norm_bos" in z.files else None)
        st.tokens, st.sq_count = (int(x) for x in z[p + "tokens"])
        st.sq_sum = {int(k[len(p) + 3:]): z[k] for k in z.files if k.startswith(p + "sq.")}
        out.append(st)
    return tuple(out)


class UnitCache:
    """Cached forward passes under ``root`` (``None``: a cache that always computes), with the
    count of units reused and computed."""

    def __init__(self, root: Path | None, base: str = ""):
        self.root = None if root is None else Path(root)
        self.base = base
        self.reused = self.computed = 0

    def key(self, kind: str, weights: str, segment_lists, extra: str = "") -> str:
        h = _h()
        h.update(f"{self.base}|{kind}|{weights}|{extra}".encode())
        for segs in segment_lists:
            h.update(segments_digest(segs).encode())
        return h.hexdigest()

    def stats(self, key: str, sizes: tuple, compute) -> tuple:
        """The unit ``key`` (one ``SegmentStats`` per entry of ``sizes``, its segment count):
        read back if stored whole, else ``compute()`` and stored."""
        path = None if self.root is None else self.root / f"{key}.npz"
        if path is not None and path.is_file():
            try:
                with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
                    if str(z["key"]) != key:
                        raise ValueError("a unit stored under another name")
                    got = unpack(z, sizes)
                self.reused += 1
                return got
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                pass        # truncated or foreign: recomputed and overwritten below
        got = tuple(compute())
        self.computed += 1
        if path is not None:
            buf = io.BytesIO()
            np.savez(buf, key=np.array(key), **pack(got))
            atomic_write_bytes(path, buf.getvalue())
        return got
