"""Load a causal LM with ``transformers`` (fp32, CPU), hook its blocks, and score text.

Hooks: every decoder block's output hidden state ``h_l`` (for ``E‖h_l(x)‖`` per token) and the
input of every ``nn.Linear`` inside the blocks (:class:`Collector`: ``Σ x_j²`` per input feature
and the token count, optionally ``Σ x xᵀ``; the probe's calibration and ``laaciq calibrate``). A model is
hookable when it exposes its blocks as ``model.model.layers`` (Llama/Gemma/Mistral/Qwen-style)
or ``model.transformer.h`` (GPT-2/BLOOM-style) and they contain linear layers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from laaciq.errors import LaaciqError

__all__ = ["load_model", "blocks_of", "block_linears", "Scorer", "SegmentStats", "Collector"]


def load_model(path: Path, threads: int = 2):
    """An fp32 causal LM from an HF directory (config.json + weights) or a GGUF file."""
    import torch
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(threads)
    path = Path(path)
    if not path.exists():
        raise LaaciqError(f"model {path} does not exist: give an HF model directory or a "
                          f".gguf file")
    try:
        if path.is_file():
            if path.suffix != ".gguf":
                raise LaaciqError(f"model {path} is a file but not a .gguf file")
            m = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name,
                                                     dtype=torch.float32)
        else:
            if not (path / "config.json").exists():
                raise LaaciqError(f"model directory {path} has no config.json")
            m = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
    except LaaciqError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LaaciqError(f"cannot load model {path}: {msg}") from None
    m.eval()
    blocks_of(m)  # hookable or one error line
    return m


def blocks_of(model):
    """The model's decoder blocks (a list); :class:`LaaciqError` if it has none we can hook."""
    import torch

    for path in (("model", "layers"), ("model", "language_model", "layers"),
                 ("transformer", "h"), ("gpt_neox", "layers")):
        obj = model
        for p in path:
            obj = getattr(obj, p, None)
            if obj is None:
                break
        if obj is not None and len(obj) and any(isinstance(m, torch.nn.Linear)
                                                for m in obj[0].modules()):
            return list(obj)
    raise LaaciqError(f"cannot hook model type {type(model).__name__}: no decoder blocks "
                      f"with linear layers (model.model.layers or model.transformer.h)")


def block_linears(model) -> list[tuple[int, str, object]]:
    """``(block index, qualified name inside the block, module)`` of every linear layer."""
    import torch

    out = []
    for l, blk in enumerate(blocks_of(model)):
        for name, mod in blk.named_modules():
            if isinstance(mod, torch.nn.Linear):
                out.append((l, name, mod))
    return out


class Collector:
    """Forward pre-hooks on every block linear of ``model``: per layer (GGUF name) the float64
    sums of squares per input column, the token count and, with ``full``, ``Σ x xᵀ``."""

    def __init__(self, model, full: bool = False, skip_first: bool = False):
        from laaciq.tensor.calibrated import canonical_name

        self.full, self.skip_first = full, skip_first
        qual = {id(m): n for n, m in model.named_modules()}
        lin = block_linears(model)
        nb = max(l for l, _, _ in lin) + 1
        self.names = [canonical_name(qual[id(m)] + ".weight", nb) for _, _, m in lin]
        if len(set(self.names)) != len(self.names):     # two layers, one GGUF name: keep HF's
            self.names = [qual[id(m)] + ".weight" for _, _, m in lin]
        self.modules = [m for _, _, m in lin]
        self.sq = {n: 0.0 for n in self.names}
        self.xx = {n: 0.0 for n in self.names} if full else None
        self.count = dict.fromkeys(self.names, 0)
        self._memo: dict = {}
        self._handles = []

    def _hook(self, name):
        import torch

        def pre(_mod, args):
            x = args[0]
            memo = self._memo.get("last")
            got = memo[1] if memo is not None and memo[0] is x else None
            if got is None:
                x = x.detach()
                if self.skip_first:
                    x = x[:, 1:]
                x2 = x.reshape(-1, x.shape[-1])
                ones = torch.ones(x2.shape[0], dtype=x2.dtype)
                got = ((ones @ x2.square()).double(),          # a BLAS sum: fastest here
                       (x2.T @ x2).double() if self.full else None, x2.shape[0])
                self._memo["last"] = (args[0], got)   # holds the input: no id reuse
            self.sq[name] = self.sq[name] + got[0]
            if self.full:
                self.xx[name] = self.xx[name] + got[1]
            self.count[name] += got[2]
        return pre

    def __enter__(self):
        self._handles = [m.register_forward_pre_hook(self._hook(n))
                         for n, m in zip(self.names, self.modules)]
        return self

    def __exit__(self, *exc):
        for h in self._handles:
            h.remove()
        self._handles = []

    def run(self, decoder, segments, batch: int, progress=None) -> int:
        """Run ``segments`` (equal-length token lists) through ``decoder``; returns tokens."""
        import torch

        n = 0
        with torch.inference_mode(), self:
            for b0 in range(0, len(segments), batch):
                ids = torch.tensor(segments[b0:b0 + batch], dtype=torch.long)
                self._memo.clear()
                decoder(input_ids=ids)
                n += ids.numel()
                if progress is not None:
                    progress(ids.numel())
        self._memo.clear()
        return n

    def arrays(self):
        """``(sums per name (in,), counts per name, Σxxᵀ per name or None)`` as numpy."""
        sq = {n: np.asarray(v.numpy(), dtype=np.float64) for n, v in self.sq.items()
              if self.count[n] > 0}
        xx = {n: np.asarray(self.xx[n].numpy()) for n in sq} if self.full else None
        return sq, {n: float(self.count[n]) for n in sq}, xx


@dataclass
class SegmentStats:
    """Per evaluated segment: summed NLL, predicted-token count and the per-token NLL of every
    predicted position (``token_nll[s]``, length ``len(segment) - 1``); optionally per block the
    summed per-token hidden-state norm over the positions after BOS (``norm_sum[s, l]``) and at
    the BOS position alone (``norm_bos[s, l]``)."""

    nll: np.ndarray
    count: np.ndarray
    token_nll: list = field(default_factory=list)
    norm_sum: np.ndarray | None = None
    norm_bos: np.ndarray | None = None
    tokens: int = 0
    seconds: float = 0.0
    sq_sum: dict = field(default_factory=dict)   # linear index -> Σ x_j² (calibration)
    sq_count: int = 0

    @property
    def perplexity(self) -> float:
        return math.exp(float(self.nll.sum() / self.count.sum()))


class Scorer:
    """Runs segments (lists of token ids, BOS first) through the model in batches of equal
    length."""

    def __init__(self, model, batch: int = 1):
        self.model = model
        self.batch = batch
        self.blocks = blocks_of(model)
        self.linears = block_linears(model)

    def _hooks(self, norms: bool, cur: dict) -> list:
        handles = []
        if norms:
            def mk(l):
                def hook(_m, _inp, out):
                    h = out[0] if isinstance(out, tuple) else out
                    cur[l] = h.detach().float().norm(dim=-1)      # (batch, seq)
                return hook
            handles += [b.register_forward_hook(mk(l)) for l, b in enumerate(self.blocks)]
        return handles

    def run(self, segments, norms: bool = False, input_squares: bool = False,
            progress=None) -> SegmentStats:
        """Per segment NLL (and with ``norms`` the block norms); with ``input_squares`` also
        ``sq_sum`` (linear index -> Σ x_j² over every token, by :class:`Collector`, the one
        sum-of-squares hook) and ``sq_count``."""
        import torch

        S, nb = len(segments), len(self.blocks)
        st = SegmentStats(np.zeros(S), np.zeros(S), [None] * S,
                          np.zeros((S, nb)) if norms else None,
                          np.zeros((S, nb)) if norms else None)
        cur: dict = {}
        handles = self._hooks(norms, cur)
        col = Collector(self.model) if input_squares else None
        if col is not None:
            col.__enter__()
        t0 = time.perf_counter()
        try:
            with torch.inference_mode():
                order = sorted(range(S), key=lambda i: len(segments[i]))
                for b0 in range(0, S, self.batch):
                    idx = order[b0:b0 + self.batch]
                    n = min(len(segments[i]) for i in idx)
                    ids = torch.tensor([segments[i][:n] for i in idx], dtype=torch.long)
                    logits = self.model(input_ids=ids).logits[:, :-1].float()
                    lp = torch.nn.functional.cross_entropy(
                        logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1),
                        reduction="none").view(len(idx), -1)
                    for k, i in enumerate(idx):
                        st.token_nll[i] = lp[k].double().numpy()
                        st.nll[i] = float(st.token_nll[i].sum())
                        st.count[i] = n - 1
                        if norms:
                            st.norm_sum[i] = [float(cur[l][k, 1:].sum()) for l in range(nb)]
                            st.norm_bos[i] = [float(cur[l][k, 0]) for l in range(nb)]
                    st.tokens += len(idx) * n
                    if progress is not None:
                        progress(len(idx) * n)
        finally:
            for h in handles:
                h.remove()
            if col is not None:
                col.__exit__()
        st.seconds = time.perf_counter() - t0
        if col is not None:
            sums, _, _ = col.arrays()
            st.sq_sum = {i: sums[n] for i, n in enumerate(col.names) if n in sums}
            st.sq_count = st.tokens
        return st
