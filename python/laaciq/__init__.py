"""LA-ACIQ: language-aware analytical clipping for low-bit quantization.

The numeric library (quantizer, distributions, MSE, optimal clipping, mixtures, per-language
calibration), the cross-checks of the Lean formalization, and the proof-status report.

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
