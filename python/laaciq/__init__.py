"""LA-ACIQ: language-aware analytical clipping for low-bit quantization.

The numeric library (quantizer, distributions, MSE, optimal clipping, mixtures, per-language
calibration), the cross-checks of the Lean formalization, and the proof-status report.
"""

from laaciq.errors import LaaciqError

__all__ = ["LaaciqError"]
__version__ = "0.1.0"
