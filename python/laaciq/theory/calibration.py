"""LA-ACIQ: per-language clipping, calibration strategies A/B/C and seed 003's practice rules.

The model (seeds 000–004). A network has layers ``l = 1..L`` whose weights follow laws ``P_l``
(:class:`LayerModel`). Language ``λ`` activates layer ``l`` with magnitude ``a_l(λ)``; its
activation fractions are ``ā_l(λ) = a_l(λ) / Σ_j a_j(λ)`` and it "experiences" the effective law

    P_λ = Σ_l ā_l(λ) P_l                                        (seed 000 §4)

(:func:`effective_law`; from per-layer samples, :func:`effective_law_from_samples` pools them with
weights ``ā_l/n_l``). One threshold ``α`` and ``B`` bits give language ``λ`` the error
``MSE(λ) = E_{P_λ}[(X − Q_α(X))²] = Σ_l ā_l(λ) MSE_l(α)`` (the error is linear in the law).

Thresholds:

* language-blind (standard ACIQ, :func:`language_blind_alpha`): **pooling rule** — ``α`` is the
  exact-MSE optimum for the language-average law ``P̄ = Σ_λ π_λ P_λ`` with ``π`` uniform over the
  model's languages unless given, i.e. the mixture of the layers with weights ``Σ_λ π_λ ā_l(λ)``.
  ``σ_global`` (seed 002's ``α*(λ) = σ_global · f(κ_eff(λ), B)``) is the standard deviation of
  that same ``P̄`` (:func:`sigma_global`);
* per-language exact (:func:`per_language_alpha_exact`): ``α*(λ) = argmin MSE(λ)``, via
  :func:`aciq.optimal_alpha` on ``P_λ``;
* per-language kurtosis rule (:func:`per_language_alpha_rule`): seed 002's
  ``σ_global · f(κ_eff^lin(λ))`` with the linear ``κ_eff = Σ ā κ`` and ``f = 2.5 + 0.3 ln(1+κ)``
  (form "001"), or seed 004's ``σ_eff(λ) · f(κ_eff(λ))`` with ``σ_eff(λ)`` the standard deviation
  of ``P_λ``, ``κ_eff`` seed 004's mixture kurtosis and ``f = 2.5 + 0.3 ln(1 + max(0, κ))``
  (form "004"). The rule is defined for 4 bits only.

Disparity (:func:`disparity`): ``max_λ − min_λ`` and ``max/min`` of a per-language quantity.

Strategies (seed 001 "Calibration Strategies", seed 002 §4.3), each returning a
:class:`StrategyResult` with per-language MSE and its disparity:

* :func:`strategy_blind` — the baseline: one language-blind ``α``;
* :func:`strategy_oracle` — per-language exact ``α*(λ)`` on the true laws (A's limit);
* :func:`strategy_a` — per-language calibration: ``α(λ)`` optimal for a calibration sample of
  ``P_λ``, evaluated on the true ``P_λ``;
* :func:`strategy_b` — layer-wise mixed precision ``bits(l) = 8 if κ_l > τ else 4``, with one
  language-blind ``α`` per precision group (the pooling rule restricted to the group's layers);
* :func:`strategy_c` — adaptive runtime ``α(x) = α*(detect(x))`` with a caller's detector, which
  may misdetect (a label, a probability map over labels, or ``None`` = fall back to the blind α).

Seed 003 §7: :func:`pre_quantization_checklist` (§7.1), :func:`strategy_rule` (§7.2),
:func:`fairness_record` (§7.3). :func:`synthetic_example` builds a small deterministic model.

Arguments are checked at the public functions named above (and in ``LayerModel``'s
constructor) with the checks of :mod:`laaciq.argcheck`; a public function that needs another's
result calls that public function (the checks are cheap and idempotent), so no function has a
private unchecked twin.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from laaciq.theory import aciq
from laaciq.theory import mixture
from laaciq.theory import mse
from laaciq.theory.distribution import (ContinuousDist, Distribution, FiniteDist, Gaussian, GenGaussian,
                           Laplace, Mixture, StudentT, Uniform)
from laaciq.argcheck import (WEIGHT_SUM_TOL, check_array, check_bits, check_choice, check_count,
                             check_excess_kurtosis, check_indices, check_instance,
                             check_key_weights, check_kurtosis_array, check_mapping,
                             check_real_values, check_sequence, check_weights)

__all__ = [
    "LayerModel", "Disparity", "StrategyResult", "RuleAlpha", "ChecklistItem",
    "StrategyDecision", "FairnessRecord",
    "effective_law", "effective_law_from_samples", "sample_law", "language_average_law",
    "language_blind_alpha", "sigma_global", "sigma_eff", "effective_kurtosis_table",
    "per_language_alpha_exact", "per_language_alpha_rule", "per_language_mse", "disparity",
    "strategy_blind", "strategy_oracle", "strategy_a", "strategy_b", "strategy_c",
    "confusion_detector", "outlier_activation", "pre_quantization_checklist", "strategy_rule",
    "fairness_record", "synthetic_example",
    "KAPPA_CAUTION", "VAR_OUTLIER_THRESHOLD", "KAPPA_STANDARD",
]

#: Seed 003 §7.1/§7.2: "If max κ > 50: proceed with caution".
KAPPA_CAUTION = 50.0
#: Seed 003 §7.2: "IF max κ < 5: Use standard PTQ".
KAPPA_STANDARD = 5.0
#: Seed 003 §7.1: "If Var[ā_outlier] > 0.001: expect disparity".
VAR_OUTLIER_THRESHOLD = 1e-3


# =============================================================================================
# argument checks (the generic ones live in laaciq.argcheck)


def _check_law(law, name: str):
    return check_instance(law, ContinuousDist, name, "a continuous law (Gaussian, Laplace, "
                          "StudentT, GenGaussian, Uniform, Mixture)")


def _check_laws(laws, name: str = "layer_laws") -> tuple:
    if isinstance(laws, Distribution):
        raise TypeError(f"{name} must be a sequence of continuous laws, got "
                        f"{type(laws).__name__}")
    return check_sequence(laws, name, "continuous laws", _check_law)


def _check_model(model) -> LayerModel:
    return check_instance(model, LayerModel, "model", "a calibration.LayerModel")


# =============================================================================================
# the layer model


@dataclass(frozen=True)
class LayerModel:
    """Layer weight laws and per-language activation magnitudes.

    ``layer_laws``: continuous laws, one per layer. ``norms``: ``{language: [a_1, ..., a_L]}``
    (non-negative, not all zero; normalized to ``ā`` by :func:`mixture.activation_fractions`).
    ``layer_names``: optional unique names (default ``layer0``…). ``layer_samples``: optional
    per-layer weight samples (for strategy A); each non-empty and finite.
    """

    layer_laws: tuple
    norms: Mapping
    layer_names: tuple = ()
    layer_samples: tuple | None = None
    a_bars: Mapping = field(init=False, repr=False)

    def __post_init__(self):
        laws = _check_laws(self.layer_laws)
        norms = check_mapping(self.norms, "norms")
        a_bars = {}
        for lang, n in norms.items():
            try:
                a = np.asarray(mixture.activation_fractions(n), dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"norms[{lang!r}]: {exc}") from None
            if a.size != len(laws):
                raise ValueError(f"norms[{lang!r}] has {a.size} entries but there are "
                                 f"{len(laws)} layers: give one activation norm per layer")
            a.flags.writeable = False
            a_bars[lang] = a
        names = tuple(self.layer_names) or tuple(f"layer{i}" for i in range(len(laws)))
        if len(names) != len(laws) or len(set(names)) != len(names):
            raise ValueError(f"layer_names must be {len(laws)} unique names, got {names!r}")
        samples = None
        if self.layer_samples is not None:
            if isinstance(self.layer_samples, (str, bytes)) or not isinstance(
                    self.layer_samples, Sequence) or len(self.layer_samples) != len(laws):
                raise ValueError(f"layer_samples must be a sequence of {len(laws)} sample "
                                 f"arrays (one per layer)")
            samples = []
            for i, s in enumerate(self.layer_samples):
                arr = check_array(s, f"layer_samples[{i}]").ravel()
                arr.flags.writeable = False
                samples.append(arr)
            samples = tuple(samples)
        object.__setattr__(self, "layer_laws", laws)
        object.__setattr__(self, "norms", {k: tuple(map(float, np.ravel(v)))
                                           for k, v in norms.items()})
        object.__setattr__(self, "layer_names", names)
        object.__setattr__(self, "layer_samples", samples)
        object.__setattr__(self, "a_bars", a_bars)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages, in the order of ``norms``."""
        return tuple(self.a_bars)

    @property
    def n_layers(self) -> int:
        return len(self.layer_laws)

    def a_bar(self, language: str) -> np.ndarray:
        """``ā(λ)``, the activation fractions of ``language``."""
        if language not in self.a_bars:
            raise ValueError(f"unknown language {language!r}: choose one of "
                             f"{', '.join(map(repr, self.languages))}")
        return self.a_bars[language]

    def layer_kappas(self) -> np.ndarray:
        """Excess kurtosis ``κ_l`` of each layer law (``inf`` where the 4th moment diverges)."""
        return np.array([law.excess_kurtosis() for law in self.layer_laws], dtype=np.float64)

    def effective_law(self, language: str) -> Mixture:
        """``P_λ = Σ_l ā_l(λ) P_l``."""
        return _mix(self.a_bar(language), self.layer_laws)


# =============================================================================================
# effective laws


def effective_law(a_bar, layer_laws) -> Mixture:
    """``P_λ = Σ_l ā_l P_l`` as a :class:`distribution.Mixture` (``a_bar`` sums to 1)."""
    laws = _check_laws(layer_laws)
    return _mix(check_weights(a_bar, len(laws), name="a_bar"), laws)


def _mix(w, laws) -> Mixture:
    """``Σ w_l P_l``; ``w`` (weights summing to 1) and ``laws`` are already checked."""
    return Mixture(tuple(float(x) for x in w), tuple(laws))


def effective_law_from_samples(a_bar, layer_samples) -> FiniteDist:
    """The finite effective law pooling per-layer samples: sample ``j`` of layer ``l`` gets
    weight ``ā_l / n_l`` (so each layer contributes its activation fraction, whatever ``n_l``)."""
    arrs = check_sequence(layer_samples, "layer_samples", "sample arrays",
                          lambda s, name: check_array(s, name).ravel())
    w = check_weights(a_bar, len(arrs), name="a_bar")
    vals = np.concatenate(arrs)
    wts = np.concatenate([np.full(a.size, wl / a.size) for a, wl in zip(arrs, w)])
    return FiniteDist(vals, wts / wts.sum())


def sample_law(law, n: int, seed: int = 0) -> np.ndarray:
    """``n`` deterministic draws from a continuous law (numpy ``default_rng(seed)``).

    Supports Gaussian, Laplace, StudentT, GenGaussian, Uniform and Mixture (recursively).
    """
    _check_law(law, "law")
    n, seed = check_count(n, "n"), check_count(seed, "seed", minimum=0)
    return _draw(law, n, np.random.default_rng(seed))


def _draw(law, n, rng) -> np.ndarray:
    if isinstance(law, Gaussian):
        return rng.normal(law.mu, law.sigma, n)
    if isinstance(law, Laplace):
        return rng.laplace(law.mu, law.b, n)
    if isinstance(law, StudentT):
        return law.mu + law.scale * rng.standard_t(law.nu, n)
    if isinstance(law, Uniform):
        return rng.uniform(law.lo, law.hi, n)
    if isinstance(law, GenGaussian):
        g = rng.gamma(1.0 / law.beta, 1.0, n) ** (1.0 / law.beta)
        return law.mu + law.scale * np.where(rng.random(n) < 0.5, -g, g)
    if isinstance(law, Mixture):
        idx = rng.choice(len(law.weights), size=n, p=np.asarray(law.weights))
        out = np.empty(n)
        for i, comp in enumerate(law.components):
            sel = idx == i
            if sel.any():
                out[sel] = _draw(comp, int(sel.sum()), rng)
        return out
    raise TypeError(f"law: cannot sample {type(law).__name__}")


def language_average_law(model, pi=None) -> Mixture:
    """``P̄ = Σ_λ π_λ P_λ = Σ_l (Σ_λ π_λ ā_l(λ)) P_l`` (``π`` uniform unless given)."""
    model = _check_model(model)
    p = check_key_weights(pi, model.languages)
    w = sum(p[lang] * model.a_bar(lang) for lang in model.languages)
    return _mix(w / w.sum(), model.layer_laws)


# =============================================================================================
# thresholds


def language_blind_alpha(model, bits: int = 4, *, pi=None,
                         objective: str = "exact") -> aciq.ClipResult:
    """The language-blind ``α``: optimal (for ``objective``) for the language-average law
    ``P̄ = Σ_λ π_λ P_λ`` with ``π`` uniform unless given (the pooling rule of the module)."""
    return aciq.optimal_alpha(language_average_law(model, pi), check_bits(bits), objective)


def sigma_global(model, pi=None) -> float:
    """Seed 002's ``σ_global``: the standard deviation of the language-average law ``P̄``."""
    return language_average_law(model, pi).std()


def sigma_eff(model, language: str) -> float:
    """Seed 004's ``σ_eff(λ)``: ``sqrt(Σ ā σ_l² + Σ ā δ_l²)``, the std of ``P_λ``."""
    model = _check_model(model)
    law = model.effective_law(language)
    moms = [mixture.layer_law_moments(x) for x in model.layer_laws]
    v = mixture.mixture_variance(model.a_bar(language), [m[0] for m in moms],
                                 [m[1] for m in moms])
    return math.sqrt(v) if math.isfinite(v) else law.std()


def effective_kurtosis_table(model) -> dict[str, dict[str, float]]:
    """Per language: ``linear`` (seeds 001/002, ``Σ ā κ_l``), ``true`` (the kurtosis of ``P_λ``)
    and ``seed004`` (seed 004's printed formula; ``nan`` if a layer has infinite kurtosis)."""
    model = _check_model(model)
    kappas = model.layer_kappas()
    moms = [mixture.layer_law_moments(x) for x in model.layer_laws]
    out = {}
    for lang in model.languages:
        a = model.a_bar(lang)
        finite = bool(np.all(np.isfinite(kappas[a > 0])))
        if finite:
            lin = mixture.effective_kurtosis_linear(a, np.where(a > 0, kappas, 0.0))
            s4 = mixture.seed004_kurtosis_formula(a, [m[0] for m in moms], [m[1] for m in moms],
                                                  np.where(a > 0, kappas, 0.0))
        else:
            lin, s4 = math.inf, math.nan
        out[lang] = {"linear": lin, "true": mixture.effective_kurtosis_true(a, model.layer_laws),
                     "seed004": s4}
    return out


def per_language_alpha_exact(model, bits: int = 4, *,
                             objective: str = "exact") -> dict[str, aciq.ClipResult]:
    """``α*(λ) = argmin_α MSE(λ)`` for every language (:func:`aciq.optimal_alpha` on ``P_λ``)."""
    model, bits = _check_model(model), check_bits(bits)
    return {lang: aciq.optimal_alpha(model.effective_law(lang), bits, objective)
            for lang in model.languages}


@dataclass(frozen=True)
class RuleAlpha:
    """A kurtosis-rule threshold ``alpha = sigma · f(kappa)`` and its inputs."""

    alpha: float
    sigma: float
    kappa: float
    rule: str
    form: str


def per_language_alpha_rule(model, bits: int = 4, *, rule: str = "004", form: str | None = None,
                            pi=None) -> dict[str, RuleAlpha]:
    """``α(λ)`` by the seeds' kurtosis rule (4 bits only).

    ``rule="002"``: ``σ_global · f(Σ_l ā_l(λ) κ_l)`` (seed 002 §4.2), default ``form="001"``;
    ``rule="004"``: ``σ_eff(λ) · f(κ_eff(λ))`` with seed 004's mixture kurtosis (exact for the
    symmetric layer laws here; computed exactly in any case), default ``form="004"``.
    """
    model = _check_model(model)
    check_choice(rule, "rule", ("002", "004"))
    form = form if form is not None else ("001" if rule == "002" else "004")
    check_choice(form, "form", aciq.KURTOSIS_RULE_FORMS)
    table = effective_kurtosis_table(model)
    out = {}
    sg = sigma_global(model, pi) if rule == "002" else None
    for lang in model.languages:
        if rule == "002":
            sigma, kappa = sg, table[lang]["linear"]
        else:
            sigma, kappa = sigma_eff(model, lang), table[lang]["true"]
        if not math.isfinite(kappa):
            raise ValueError(f"model: language {lang!r} has infinite effective kurtosis (a layer "
                             f"with a divergent fourth moment): the kurtosis rule is undefined")
        out[lang] = RuleAlpha(aciq.alpha_kurtosis_rule(sigma, kappa, bits, form), sigma, kappa,
                              rule, form)
    return out


def per_language_mse(model, alpha, bits: int = 4) -> dict[str, float]:
    """``MSE(λ) = E_{P_λ}[(X − Q_α(X))²]``; ``alpha`` is one threshold or ``{language: α}``."""
    model = _check_model(model)
    bits = check_bits(bits)
    if isinstance(alpha, Mapping):
        missing = [lang for lang in model.languages if lang not in alpha]
        if missing:
            raise ValueError(f"alpha has no threshold for {missing}: give one per language")
        alphas = {lang: alpha[lang] for lang in model.languages}
    else:
        alphas = {lang: alpha for lang in model.languages}
    return {lang: float(mse.mse_exact(model.effective_law(lang), alphas[lang], bits))
            for lang in model.languages}


@dataclass(frozen=True)
class Disparity:
    """``gap = max − min`` and ``ratio = max/min`` of a per-language quantity.

    ``ratio`` is ``inf`` when ``min = 0 < max``, ``1`` when all values are 0, and ``nan`` when
    ``min < 0`` (a ratio of signed values means nothing).
    """

    gap: float
    ratio: float
    max: float
    min: float
    worst: str
    best: str


def disparity(values) -> Disparity:
    """Seed 002 Definition 3: ``max_λ v(λ) − min_λ v(λ)`` (and ``max/min``)."""
    vals = check_real_values(values, "values")
    worst = max(vals, key=vals.get)
    best = min(vals, key=vals.get)
    hi, lo = vals[worst], vals[best]
    if lo > 0:
        ratio = hi / lo
    elif lo == 0:
        ratio = 1.0 if hi == 0 else math.inf
    else:
        ratio = math.nan
    return Disparity(hi - lo, ratio, hi, lo, worst, best)


# =============================================================================================
# strategies


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
    model, bits = _check_model(model), check_bits(bits)
    p = check_key_weights(pi, model.languages)
    r = language_blind_alpha(model, bits, pi=p)
    errs = per_language_mse(model, r.alpha, bits)
    return _result("blind", "one language-blind alpha (optimal for the language-average "
                   "law)", [bits] * model.n_layers, {k: r.alpha for k in errs}, errs, p,
                   {"alpha": r.alpha, "alpha_over_sigma": r.alpha_over_sigma})


def strategy_oracle(model, bits: int = 4, *, pi=None) -> StrategyResult:
    """Per-language exact ``α*(λ)`` computed on the true ``P_λ`` (the limit of strategy A)."""
    model, bits = _check_model(model), check_bits(bits)
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
    model, bits = _check_model(model), check_bits(bits)
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
    model = _check_model(model)
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
        law = _mix(w / w.sum(), [model.layer_laws[i] for i in idx])
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
    model, bits = _check_model(model), check_bits(bits)
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


# =============================================================================================
# seed 003 §7


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


# =============================================================================================
# synthetic example


#: Layer names of :func:`synthetic_example`.
_SYN_LAYERS = ("embed", "attn.1", "mlp.1", "outlier.mlp", "attn.2", "outlier.attn")


def synthetic_example(n_samples: int = 400, seed: int = 20260103) -> LayerModel:
    """A small deterministic synthetic model: 6 layer laws and 4 languages.

    Layers: ``N(0, 1)`` (κ 0), ``Laplace(0, 0.6)`` (κ 3), ``t_6(0, 0.8)`` (κ 3),
    ``0.98·N(0, 0.8²) + 0.02·N(0, 8²)`` (an outlier-feature layer, κ ≈ 64.9),
    ``N(0.05, 0.9²)`` (κ 0, shifted mean), ``t_4.1(0, 0.5)`` (κ = 60): two outlier layers
    (κ > 50). Languages ``eng, fra, hin, ara`` with outlier activation fractions 0.30, 0.26,
    0.12, 0.16 (spread out so that seed 003's ``Var[ā_outlier] > 0.001`` fires), the rest shared
    as in the norms below. ``layer_samples``: ``n_samples`` draws per layer (seed ``seed + l``).
    """
    n_samples, seed = check_count(n_samples, "n_samples"), check_count(seed, "seed", minimum=0)
    laws = (Gaussian(0.0, 1.0), Laplace(0.0, 0.6), StudentT(6.0, 0.0, 0.8),
            Mixture((0.98, 0.02), (Gaussian(0.0, 0.8), Gaussian(0.0, 8.0))),
            Gaussian(0.05, 0.9), StudentT(4.1, 0.0, 0.5))
    # per-layer activation norms; outlier layers are indices 3 and 5
    norms = {
        "eng": (18.0, 16.0, 17.0, 18.0, 19.0, 12.0),   # ā_outlier = 30/100
        "fra": (16.0, 13.0, 15.0, 15.0, 30.0, 11.0),   # 26/100
        "hin": (22.0, 18.0, 20.0, 7.0, 28.0, 5.0),     # 12/100
        "ara": (20.0, 17.0, 19.0, 9.0, 28.0, 7.0),     # 16/100
    }
    samples = tuple(sample_law(law, n_samples, seed + i) for i, law in enumerate(laws))
    return LayerModel(laws, norms, _SYN_LAYERS, samples)
