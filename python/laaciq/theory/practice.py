"""Seed 003 §7, the practice rules: :func:`pre_quantization_checklist` (§7.1),
:func:`strategy_rule` (§7.2), :func:`fairness_record` (§7.3), and seed 002 §3.4's
:func:`outlier_activation`, with the seed's thresholds as constants.

Arguments are checked at each public function with :mod:`laaciq.argcheck`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from laaciq.argcheck import (check_bits, check_excess_kurtosis, check_indices,
                             check_kurtosis_array, check_mapping, check_real_values)
from laaciq.theory import mixture
from laaciq.theory.calibration import disparity

__all__ = ["ChecklistItem", "StrategyDecision", "FairnessRecord", "outlier_activation",
           "pre_quantization_checklist", "strategy_rule", "fairness_record",
           "KAPPA_CAUTION", "VAR_OUTLIER_THRESHOLD", "KAPPA_STANDARD"]

#: Seed 003 §7.1/§7.2: "If max κ > 50: proceed with caution".
KAPPA_CAUTION = 50.0
#: Seed 003 §7.2: "IF max κ < 5: Use standard PTQ".
KAPPA_STANDARD = 5.0
#: Seed 003 §7.1: "If Var[ā_outlier] > 0.001: expect disparity".
VAR_OUTLIER_THRESHOLD = 1e-3


def outlier_activation(activation_patterns, outlier_layers) -> dict[str, float]:
    """Seed 002 §3.4: ``ā_outlier(λ) = Σ_{l ∈ outlier} ā_l(λ)`` for each language
    (``activation_patterns``: ``{language: norms or fractions}``)."""
    pats = check_mapping(activation_patterns, "activation_patterns")
    out, n = {}, None
    for lang, norms in pats.items():
        try:
            a = np.asarray(mixture.activation_fractions(norms), dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"activation_patterns[{lang!r}]: {exc}") from None
        if n is None:
            n = a.size
            ids = check_indices(outlier_layers, n, "outlier_layers")
        elif a.size != n:
            raise ValueError(f"activation_patterns[{lang!r}] has {a.size} layers, others {n}")
        out[lang] = float(math.fsum(a[list(ids)])) if ids else 0.0
    return out


@dataclass(frozen=True)
class ChecklistItem:
    """One line of seed 003 §7.1 with its computed ``value``; ``flagged`` is ``None`` for an
    action item, else whether the condition holds."""

    item: str
    value: object
    threshold: float | None
    flagged: bool | None
    note: str


@dataclass(frozen=True)
class StrategyDecision:
    """Seed 003 §7.2's branch for a ``max_kappa``."""

    max_kappa: float
    branch: str
    action: str
    options: tuple
    note: str


def strategy_rule(max_kappa) -> StrategyDecision:
    """Seed 003 §7.2, verbatim branches::

        IF max κ < 5:      standard PTQ (no special handling)
        ELIF max κ < 50:   standard PTQ with per-language eval
        ELSE:              mixed precision (INT8 for outlier layers) | per-language calibration
                           | higher global bit-width

    The seed comments the ELSE as "max κ > 50", but ``max κ = 50`` exactly also lands there
    (while §7.1's "If max κ > 50" does not fire at 50).
    """
    k = check_excess_kurtosis(max_kappa, "max_kappa")
    if k < KAPPA_STANDARD:
        return StrategyDecision(k, "max κ < 5", "standard PTQ (no special handling)", (),
                                "seed 003 §7.2 IF")
    if k < KAPPA_CAUTION:
        return StrategyDecision(k, "5 ≤ max κ < 50", "standard PTQ with per-language eval", (),
                                "seed 003 §7.2 ELIF")
    note = "seed 003 §7.2 ELSE"
    if k == KAPPA_CAUTION:
        note += (" (boundary: max κ = 50 takes the ELSE branch although the seed comments it "
                 "'max κ > 50' and §7.1 flags only max κ > 50)")
    return StrategyDecision(k, "max κ ≥ 50", "special handling", (
        "mixed precision (INT8 for outlier layers)", "per-language calibration",
        "higher global bit-width"), note)


def pre_quantization_checklist(layer_kappas, activation_patterns, *, outlier_layers=None,
                               kappa_caution: float = KAPPA_CAUTION,
                               var_threshold: float = VAR_OUTLIER_THRESHOLD,
                               ddof: int = 0) -> list[ChecklistItem]:
    """Seed 003 §7.1 with computed values.

    ``layer_kappas``: per-layer excess kurtosis (``inf`` allowed). ``activation_patterns``:
    ``{language: per-layer norms}``. ``outlier_layers``: indices (default: layers with
    ``κ_l > kappa_caution``). ``Var[ā_outlier]`` is over languages with ``ddof`` (0: population
    variance; the seed does not say which).
    """
    kappas = check_kurtosis_array(layer_kappas)
    kappa_caution = check_excess_kurtosis(kappa_caution, "kappa_caution")
    if isinstance(var_threshold, bool) or not isinstance(var_threshold, numbers.Real) \
            or not math.isfinite(var_threshold) or var_threshold < 0:
        raise ValueError(f"var_threshold must be a finite number >= 0, got {var_threshold!r}")
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 or 1, got {ddof!r}")
    if outlier_layers is None:
        outlier_layers = [i for i, k in enumerate(kappas) if k > kappa_caution]
    ids = check_indices(outlier_layers, kappas.size, "outlier_layers")
    frac = outlier_activation(activation_patterns, ids)
    n_layers_pat = len(mixture.activation_fractions(next(iter(activation_patterns.values()))))
    if n_layers_pat != kappas.size:
        raise ValueError(f"activation_patterns have {n_layers_pat} layers but layer_kappas has "
                         f"{kappas.size}")
    vals = np.array(list(frac.values()))
    if ddof == 1 and vals.size < 2:
        raise ValueError("ddof=1 needs at least two languages in activation_patterns")
    var = float(np.var(vals, ddof=ddof)) if vals.size else 0.0
    kmax = float(np.max(kappas))
    argmax = int(np.argmax(kappas))
    decision = strategy_rule(kmax)
    caution = kmax > kappa_caution
    varies = var > var_threshold
    return [
        ChecklistItem("Extract per-layer kurtosis", [float(k) for k in kappas], None, None,
                      f"max κ = {kmax:.6g} at layer {argmax}"),
        ChecklistItem(f"If max κ > {kappa_caution:g}: proceed with caution", kmax,
                      kappa_caution, caution,
                      "outlier layers (κ_l > threshold unless given): " + (
                          ", ".join(map(str, ids)) if ids else "none")),
        ChecklistItem("Compute language-wise activation patterns", frac, None, None,
                      "ā_outlier(λ) = Σ_{l ∈ outlier} ā_l(λ)"),
        ChecklistItem(f"If Var[ā_outlier] > {var_threshold:g}: expect disparity", var,
                      var_threshold, varies,
                      f"variance over {vals.size} languages (ddof={ddof})"),
        ChecklistItem("Consider per-language calibration or mixed precision", decision.action,
                      None, caution or varies,
                      f"seed 003 §7.2 branch '{decision.branch}'"
                      + (": " + "; ".join(decision.options) if decision.options else "")),
    ]


@dataclass(frozen=True)
class FairnessRecord:
    """Seed 003 §7.3: per-language degradation, disparity (``max D − min D``), outlier layers
    and bit-width."""

    per_language: dict
    disparity: float
    ratio: float
    worst: str
    best: str
    outlier_layers: tuple
    bits: object

    def as_dict(self) -> dict:
        return {"per_language": dict(self.per_language), "disparity": self.disparity,
                "ratio": self.ratio, "worst": self.worst, "best": self.best,
                "outlier_layers": list(self.outlier_layers),
                "bits": list(self.bits) if isinstance(self.bits, tuple) else self.bits}


def fairness_record(degradation, outlier_layers, bits) -> FairnessRecord:
    """Seed 003 §7.3 "Always report": ``degradation`` ``{language: D(λ)}`` (finite numbers),
    ``outlier_layers`` (indices or names), ``bits`` (one bit-width or one per layer)."""
    d = check_real_values(degradation, "degradation")
    if isinstance(outlier_layers, (str, bytes)) or not isinstance(
            outlier_layers, (Sequence, set, frozenset, np.ndarray)):
        raise TypeError(f"outlier_layers must be a collection of layer indices or names, got "
                        f"{type(outlier_layers).__name__}")
    ol = []
    for x in outlier_layers:
        if isinstance(x, bool) or not isinstance(x, (str, numbers.Integral, np.integer)):
            raise TypeError(f"outlier_layers must contain layer indices or names, found {x!r}")
        ol.append(x if isinstance(x, str) else int(x))
    if isinstance(bits, (Sequence, np.ndarray)) and not isinstance(bits, (str, bytes)):
        if len(bits) == 0:
            raise ValueError("bits is empty: give one bit-width or one per layer")
        b = tuple(check_bits(x) for x in bits)
    else:
        b = check_bits(bits)
    disp = disparity(d)
    return FairnessRecord(d, disp.gap, disp.ratio, disp.worst, disp.best, tuple(ol), b)
