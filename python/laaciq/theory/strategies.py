"""Calibration strategies of seed 001 ("Calibration Strategies") and seed 002 §4.3 on a
:class:`calibration.LayerModel`, each returning a :class:`StrategyResult` with per-language MSE
and its disparity:

* :func:`strategy_blind` — the baseline: one language-blind ``α``;
* :func:`strategy_oracle` — per-language exact ``α*(λ)`` on the true laws (A's limit);
* :func:`strategy_a` — per-language calibration: ``α(λ)`` optimal for a calibration sample of
  ``P_λ``, evaluated on the true ``P_λ``;
* :func:`strategy_b` — layer-wise mixed precision ``bits(l) = 8 if κ_l > τ else 4``, with one
  language-blind ``α`` per precision group (the pooling rule restricted to the group's layers);
* :func:`strategy_c` — adaptive runtime ``α(x) = α*(detect(x))`` with a caller's detector, which
  may misdetect (a label, a probability map over labels, or ``None`` = fall back to the blind α).

Arguments are checked at each public function with :mod:`laaciq.argcheck`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from laaciq.argcheck import (WEIGHT_SUM_TOL, check_array, check_bits, check_excess_kurtosis,
                             check_key_weights, check_mapping, check_real_values, check_weights)
from laaciq.theory import aciq, mse
from laaciq.theory.calibration import (Disparity, check_model, disparity, effective_law, effective_law_from_samples,
                                       language_blind_alpha, per_language_alpha_exact,
                                       per_language_mse, sample_law)
from laaciq.theory.distribution import FiniteDist
from laaciq.theory.practice import KAPPA_CAUTION

__all__ = ["StrategyResult", "strategy_blind", "strategy_oracle", "strategy_a", "strategy_b",
           "strategy_c", "confusion_detector"]


@dataclass(frozen=True)
class StrategyResult:
    """A strategy's outcome: per-layer ``bits``, the thresholds used (``alphas``: by language,
    or by precision group for B), per-language ``mse``, its ``disparity``, the ``π``-weighted
    ``mean_mse`` and strategy-specific ``details``."""

    strategy: str
    description: str
    bits: tuple
    alphas: dict
    mse: dict
    disparity: Disparity
    mean_mse: float
    details: dict = field(default_factory=dict)


def _result(name, desc, bits, alphas, errs, p: dict, details=None) -> StrategyResult:
    """A :class:`StrategyResult` from checked parts (``p``: the checked language weights)."""
    return StrategyResult(name, desc, tuple(int(b) for b in bits), dict(alphas), dict(errs),
                          disparity(errs), math.fsum(p[k] * errs[k] for k in errs),
                          details or {})


def strategy_blind(model, bits: int = 4, *, pi=None) -> StrategyResult:
    """Baseline (standard ACIQ): one language-blind ``α`` (pooling rule) for every language."""
    model, bits = check_model(model), check_bits(bits)
    p = check_key_weights(pi, model.languages)
    r = language_blind_alpha(model, bits, pi=p)
    errs = per_language_mse(model, r.alpha, bits)
    return _result("blind", "one language-blind alpha (optimal for the language-average "
                   "law)", [bits] * model.n_layers, {k: r.alpha for k in errs}, errs, p,
                   {"alpha": r.alpha, "alpha_over_sigma": r.alpha_over_sigma})


def strategy_oracle(model, bits: int = 4, *, pi=None) -> StrategyResult:
    """Per-language exact ``α*(λ)`` computed on the true ``P_λ`` (the limit of strategy A)."""
    model, bits = check_model(model), check_bits(bits)
    p = check_key_weights(pi, model.languages)
    alphas = {k: r.alpha for k, r in per_language_alpha_exact(model, bits).items()}
    return _result("oracle", "per-language exact alpha on the true effective laws",
                   [bits] * model.n_layers, alphas, per_language_mse(model, alphas, bits), p)


def strategy_a(model, bits: int = 4, *, samples=None, n_per_layer: int = 400, seed: int = 0,
               pi=None) -> StrategyResult:
    """Strategy A, per-language calibration: ``α(λ)`` is the exact-MSE optimum for a calibration
    sample of ``P_λ``; the reported MSE is on the true ``P_λ``.

    ``samples``: ``{language: array or FiniteDist}`` calibration samples. If omitted, each
    language's calibration law pools per-layer samples with weights ``ā_l(λ)/n_l``
    (:func:`effective_law_from_samples`): ``model.layer_samples`` if present, else
    ``n_per_layer`` draws per layer from :func:`sample_law` (seeded by ``seed + l``).
    """
    model, bits = check_model(model), check_bits(bits)
    p = check_key_weights(pi, model.languages)
    if samples is not None:
        samples = check_mapping(samples, "samples")
        missing = [lang for lang in model.languages if lang not in samples]
        if missing:
            raise ValueError(f"samples has no calibration sample for {missing}")
        calib = {}
        for lang in model.languages:
            s = samples[lang]
            calib[lang] = s if isinstance(s, FiniteDist) else FiniteDist(
                check_array(s, f"samples[{lang!r}]"))
    else:
        layer_samples = model.layer_samples
        if layer_samples is None:
            layer_samples = [sample_law(law, n_per_layer, seed + i)
                             for i, law in enumerate(model.layer_laws)]
        calib = {lang: effective_law_from_samples(model.a_bar(lang), layer_samples)
                 for lang in model.languages}
    alphas, in_sample = {}, {}
    for lang, law in calib.items():
        r = aciq.optimal_alpha(law, bits)
        alphas[lang], in_sample[lang] = r.alpha, r.value
    errs = per_language_mse(model, alphas, bits)
    return _result("A", "per-language calibration from per-language samples",
                   [bits] * model.n_layers, alphas, errs, p,
                   {"calibration_mse": in_sample,
                    "calibration_sizes": {k: int(v.values.size) for k, v in calib.items()}})


def strategy_b(model, *, tau: float = KAPPA_CAUTION, low_bits: int = 4, high_bits: int = 8,
               pi=None) -> StrategyResult:
    """Strategy B, layer-wise mixed precision: ``bits(l) = high_bits if κ_l > τ else low_bits``.

    Each precision group gets one language-blind ``α``: the exact optimum for the language-average
    law restricted to the group's layers (weights ``Σ_λ π_λ ā_l(λ)`` renormalized within the
    group). ``MSE(λ) = Σ_l ā_l(λ) MSE_l(α_group(l), bits(l))``.
    """
    model = check_model(model)
    low_bits, high_bits = check_bits(low_bits), check_bits(high_bits)
    tau = check_excess_kurtosis(tau, "tau")
    kappas = model.layer_kappas()
    bits = [high_bits if k > tau else low_bits for k in kappas]
    p = check_key_weights(pi, model.languages)
    avg = sum(p[lang] * model.a_bar(lang) for lang in model.languages)
    group_alpha, layer_alpha = {}, [0.0] * model.n_layers
    for b in sorted(set(bits)):
        idx = [i for i, bl in enumerate(bits) if bl == b]
        w = avg[idx]
        if w.sum() <= 0:  # no language activates this group: its α does not matter
            w = np.ones(len(idx))
        law = effective_law(w / w.sum(), [model.layer_laws[i] for i in idx])
        a = aciq.optimal_alpha(law, b).alpha
        group_alpha[f"{b}-bit"] = a
        for i in idx:
            layer_alpha[i] = a
    layer_mse = [float(mse.mse_exact(law, a, b))
                 for law, a, b in zip(model.layer_laws, layer_alpha, bits)]
    errs = {lang: math.fsum(float(w) * e for w, e in zip(model.a_bar(lang), layer_mse))
            for lang in model.languages}
    return _result("B", f"mixed precision: {high_bits} bits where kappa > {tau:g}, else "
                   f"{low_bits}", bits, group_alpha, errs, p,
                   {"tau": tau, "high_layers": [model.layer_names[i] for i, b in enumerate(bits)
                                                if b == high_bits and high_bits != low_bits],
                    "layer_mse": dict(zip(model.layer_names, layer_mse)),
                    "mean_bits": float(np.mean(bits))})


def confusion_detector(confusion) -> Callable:
    """A detector from a confusion table ``{true: {detected: probability}}``: called on an input
    (the true language label, as :func:`strategy_c` passes by default) it returns the row.
    Languages not in the table are detected correctly."""
    confusion = check_mapping(confusion, "confusion")
    rows = {}
    for true, row in confusion.items():
        vals = check_real_values(row, f"confusion[{true!r}]")
        check_weights(list(vals.values()), name=f"confusion[{true!r}]")
        rows[true] = vals

    def detect(x):
        return dict(rows[x]) if x in rows else x

    return detect


def strategy_c(model, detector, bits: int = 4, *, inputs=None, alphas=None,
               pi=None) -> StrategyResult:
    """Strategy C, adaptive runtime clipping: ``α(x) = α*(detector(x))``.

    ``detector(x)`` returns a language label, a mapping ``{label: probability}`` (a soft or
    confused detection; probabilities sum to 1), or ``None`` (undetected: the language-blind
    ``α`` is used; a ``None`` key in a mapping means the same). ``inputs``:
    ``{language: [x, ...]}`` inputs of each true language (default ``{λ: [λ]}``, so the detector
    receives the true label). An input of true language ``λ`` sees the law ``P_λ``;
    ``MSE(λ)`` is the average over its inputs of ``Σ_d p(d) · MSE_{P_λ}(α(d))``.
    ``alphas``: the per-language thresholds (default: :func:`per_language_alpha_exact`).
    """
    model, bits = check_model(model), check_bits(bits)
    lang_w = check_key_weights(pi, model.languages)
    if not callable(detector):
        raise TypeError(f"detector must be callable (input -> language label), got "
                        f"{type(detector).__name__}")
    langs = model.languages
    if inputs is None:
        inputs = {lang: [lang] for lang in langs}
    else:
        inputs = check_mapping(inputs, "inputs")
        missing = [lang for lang in langs if lang not in inputs]
        if missing:
            raise ValueError(f"inputs has no inputs for {missing}: give at least one per "
                             f"language")
        for lang in langs:
            xs = inputs[lang]
            if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence) or len(xs) == 0:
                raise ValueError(f"inputs[{lang!r}] must be a non-empty sequence of inputs")
    if alphas is None:
        table = {k: r.alpha for k, r in per_language_alpha_exact(model, bits).items()}
    else:
        table = check_real_values(alphas, "alphas")
        for k, v in table.items():
            if v <= 0:
                raise ValueError(f"alphas[{k!r}] must be > 0, got {v!r}")
        missing = [lang for lang in langs if lang not in table]
        if missing:
            raise ValueError(f"alphas has no threshold for {missing}")
    fallback = language_blind_alpha(model, bits, pi=lang_w).alpha
    cache: dict = {}

    def err(true, a):
        key = (true, a)
        if key not in cache:
            cache[key] = float(mse.mse_exact(model.effective_law(true), a, bits))
        return cache[key]

    errs, hit = {}, {}
    for lang in langs:
        total, correct = 0.0, 0.0
        for x in inputs[lang]:
            out = detector(x)
            dist = out if isinstance(out, Mapping) else {out: 1.0}
            probs = {}
            for d, p in dist.items():
                if d is not None and d not in table:
                    raise ValueError(f"detector returned unknown language {d!r} for input {x!r}: "
                                     f"expected one of {sorted(table)} or None")
                if isinstance(p, bool) or not isinstance(p, (numbers.Real, np.floating)) \
                        or not math.isfinite(float(p)) or p < 0:
                    raise ValueError(f"detector returned probability {p!r} for {d!r}: need a "
                                     f"finite number >= 0")
                probs[d] = float(p)
            if abs(math.fsum(probs.values()) - 1.0) > WEIGHT_SUM_TOL:
                raise ValueError(f"detector probabilities for input {x!r} sum to "
                                 f"{math.fsum(probs.values())!r}, not 1")
            total += math.fsum(p * err(lang, fallback if d is None else table[d])
                               for d, p in probs.items())
            correct += probs.get(lang, 0.0)
        errs[lang] = total / len(inputs[lang])
        hit[lang] = correct / len(inputs[lang])
    return _result("C", "adaptive runtime alpha from a language detector",
                   [bits] * model.n_layers, table, errs, lang_w,
                   {"detection_accuracy": hit, "fallback_alpha": fallback})
