"""LA-ACIQ: language-aware analytical clipping for low-bit quantization.

One package, four products, in layers; a module imports only its own layer and those below
(``tests/test_architecture.py`` checks it):

* ``errors``, ``io``, ``argcheck`` — the error type, atomic writes and JSON reading, argument
  checks;
* ``laaciq.theory`` — the numeric twin of the Lean theory (quantizer, distributions, MSE,
  mixtures, convexity) plus optimal clipping (aciq) and per-language calibration;
* ``laaciq.tensor`` — the tensor tool: exact optimal clipping of real weight tensors, baselines,
  the ``clip``/``assess`` commands, benchmarks;
* ``laaciq.lm`` — the real-model probe;
* ``laaciq.verify`` — the Lean runner, claims ledger, check registry, checks, symbolic tier and
  the harness that produces ``status.json``;
* ``laaciq.report`` — ``status.json`` → ``STATUS.md`` / ``index.html`` and the plots;
* ``laaciq.cli`` — the ``laaciq`` command, on top.

This file imports only the bottom layer, so importing any module stays light.

Python API (imported on first use, so ``import laaciq`` stays light): :func:`optimal_clip`,
:func:`fake_quantize`, :func:`quantize_codes`, :func:`dequantize` (:mod:`laaciq.tensor.api`).
"""

from laaciq.errors import LaaciqError

__all__ = ["LaaciqError", "optimal_clip", "fake_quantize", "quantize_codes", "dequantize"]
__version__ = "0.1.0"

_API = ("optimal_clip", "fake_quantize", "quantize_codes", "dequantize")


def __getattr__(name):
    if name in _API:
        from laaciq.tensor import api

        return getattr(api, name)
    raise AttributeError(f"module 'laaciq' has no attribute {name!r}")
