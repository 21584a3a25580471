"""LA-ACIQ: the layer model, effective laws, per-language thresholds and disparity.

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

:func:`synthetic_example` builds a small deterministic model. The calibration strategies
built on these thresholds are in :mod:`laaciq.theory.strategies`, seed 003 §7's practice rules in
:mod:`laaciq.theory.practice`.

Arguments are checked at the public functions named above (and in ``LayerModel``'s
constructor) with the checks of :mod:`laaciq.argcheck`; a public function that needs another's
result calls that public function (the checks are cheap and idempotent), so no function has a
private unchecked twin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from laaciq.theory import aciq
from laaciq.theory import mixture
from laaciq.theory import mse
from laaciq.theory.distribution import (ContinuousDist, Distribution, FiniteDist, Gaussian, GenGaussian,
                           Laplace, Mixture, StudentT, Uniform)
from laaciq.argcheck import (check_array, check_bits, check_choice, check_count, check_instance,
                             check_key_weights, check_mapping, check_real_values, check_sequence,
                             check_weights)

__all__ = [
    "LayerModel", "Disparity", "RuleAlpha", "check_model",
    "effective_law", "effective_law_from_samples", "sample_law", "language_average_law",
    "language_blind_alpha", "sigma_global", "sigma_eff", "effective_kurtosis_table",
    "per_language_alpha_exact", "per_language_alpha_rule", "per_language_mse", "disparity",
    "synthetic_example",
]


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


def check_model(model) -> LayerModel:
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
    model = check_model(model)
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
    model = check_model(model)
    law = model.effective_law(language)
    moms = [mixture.layer_law_moments(x) for x in model.layer_laws]
    v = mixture.mixture_variance(model.a_bar(language), [m[0] for m in moms],
                                 [m[1] for m in moms])
    return math.sqrt(v) if math.isfinite(v) else law.std()


def effective_kurtosis_table(model) -> dict[str, dict[str, float]]:
    """Per language: ``linear`` (seeds 001/002, ``Σ ā κ_l``), ``true`` (the kurtosis of ``P_λ``)
    and ``seed004`` (seed 004's printed formula; ``nan`` if a layer has infinite kurtosis)."""
    model = check_model(model)
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
    model, bits = check_model(model), check_bits(bits)
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
    model = check_model(model)
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
    model = check_model(model)
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
