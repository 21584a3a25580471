"""The numeric twin of the Lean theory (layer 1: imports only ``errors``, ``io``, ``argcheck``).

Modules named like a Lean module are its Python twin: ``quantizer`` (``LaAciq/Quantizer.lean``),
``distribution`` (``Distribution.lean``: finite laws, plus the continuous families), ``mse``
(``MSE.lean``), ``mixture`` (``Mixture.lean``), ``convexity`` (``Convexity.lean``). ``aciq``
(optimal clipping thresholds of a law) and ``calibration`` (per-language clipping, strategies
A/B/C, seed 003's rules) have no Lean module yet. The core install (numpy, scipy) suffices.
"""
