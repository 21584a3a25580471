"""Moments of finite mixtures and effective kurtosis (Lean twin: ``LaAciq/Mixture.lean``).

A finite mixture ``M = Σ_i w_i P_i`` of component laws ``P_i`` with weights ``w_i ≥ 0``,
``Σ w_i = 1``, means ``μ_i``, variances ``σ_i²``, third central moments ``m3_i`` and fourth
central moments ``m4_i = (κ_i + 3) σ_i⁴`` (``κ_i`` the excess kurtosis) has, with
``μ = Σ w_i μ_i`` and ``δ_i = μ_i − μ``::

    Var M          = Σ w_i σ_i² + Σ w_i δ_i²                      (law of total variance)
    E[(X − μ)³]    = Σ w_i (m3_i + 3 σ_i² δ_i + δ_i³)
    E[(X − μ)⁴]    = Σ w_i (m4_i + 4 m3_i δ_i + 6 σ_i² δ_i² + δ_i⁴)
    κ(M)           = E[(X − μ)⁴] / (Var M)² − 3

Seed 004 prints ``κ_eff = [Σwᵢ(κᵢ+3)σᵢ⁴ + 6Σwᵢσᵢ²δᵢ² + Σwᵢδᵢ⁴]/σ⁴ − 3``: it drops the term
``4 Σ w_i m3_i δ_i``. It is exact when every component is symmetric (``m3_i = 0``) or all
means agree (``δ_i = 0``), and wrong otherwise: :func:`seed004_formula_defect` is exactly the
difference ``κ(M) − seed004_kurtosis_formula``.

Seeds 001/002 define the effective kurtosis of language λ *linearly*,
``κ_eff(λ) = Σ_l ā_l(λ) κ_l`` (:func:`effective_kurtosis_linear`), while seed 000 defines
the effective law as the mixture ``P_λ = Σ_l ā_l(λ) P_l``, whose kurtosis is
:func:`effective_kurtosis_true`. The two differ in general (a mixture of two centred Gaussians
of different variances has κ > 0 while ``Σ ā κ = 0``); they agree when all layers share the
same mean and variance.

Arithmetic: every function takes sequences of numbers. If every entry of every argument is an
``int`` or a ``fractions.Fraction`` the computation is exact and returns Fractions (weights
must then sum to exactly 1); otherwise it is float64 with ``math.fsum`` sums and returns floats.

Lean ↔ Python (``LaAciq/Mixture.lean`` states them for two components of finite laws):
``variance_mix`` is :func:`mixture_variance`; ``cmoment_four_mix`` is
:func:`mixture_fourth_central`; ``seed004Numerator`` is the numerator of
:func:`seed004_kurtosis_formula`; ``cmoment_four_mix_eq_seed004_add`` /
``cmoment_four_mix_eq_seed004_iff`` are :func:`seed004_formula_defect` (times ``σ⁴``) and its
zero test; ``kurtosis_mix_eq_linear`` is "equal means and variances make
:func:`mixture_excess_kurtosis` equal :func:`effective_kurtosis_linear`";
``kurtosis_linear_example`` is the ``w = (½, ½)``, ``σ² = (1, 2)``, ``κ = (1.2, 0)`` case.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from laaciq.argcheck import check_array, check_weights

__all__ = [
    "mixture_mean", "mixture_variance", "mixture_third_central", "mixture_fourth_central",
    "mixture_excess_kurtosis", "fourth_from_kurtosis", "seed004_kurtosis_formula",
    "seed004_formula_defect", "activation_fractions", "effective_kurtosis_linear",
    "layer_law_moments", "effective_kurtosis_true",
]

#: Relative slack for the moment inequality ``m4 ≥ σ⁴`` (κ ≥ −2) in float arithmetic.
_M4_REL_TOL = 1e-9


# ---------------------------------------------------------------------------------------------
# Argument handling: exact (Fraction) or float


def _is_exact_scalar(v) -> bool:
    return (isinstance(v, (int, Fraction, np.integer)) and not isinstance(v, (bool, np.bool_)))


def _exact_seq(x) -> list | None:
    """The entries of ``x`` as Fractions if all are int/Fraction, else ``None``."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "iu":
            return [Fraction(int(v)) for v in x.ravel()] if x.ndim == 1 else None
        if x.dtype != object:
            return None
    if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
        return None
    items = list(x)
    if items and all(_is_exact_scalar(v) for v in items):
        return [Fraction(int(v)) if isinstance(v, np.integer) else Fraction(v) for v in items]
    return None


def _prepare(*args):
    """Coerce ``(value, name)`` pairs to lists of one common arithmetic.

    Returns ``(exact, [list, ...])``; ``None`` values pass through as ``None``.
    """
    given = [(v, n) for v, n in args if v is not None]
    exacts = [_exact_seq(v) for v, _ in given]
    exact = all(e is not None for e in exacts)
    out = []
    for v, name in args:
        if v is None:
            out.append(None)
            continue
        if exact:
            seq = _exact_seq(v)
            if not seq:
                raise ValueError(f"{name} is empty: need at least one value")
            out.append(seq)
        else:
            if isinstance(v, (str, bytes)):
                raise TypeError(f"{name} must be a sequence of real numbers, got a string")
            if isinstance(v, numbers.Number) or np.ndim(v) == 0:
                raise TypeError(f"{name} must be a sequence of real numbers, got {v!r}")
            arr = check_array(_floatable(v, name), name)
            if arr.ndim != 1:
                raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
            out.append([float(t) for t in arr])
    n = None
    for (v, name), seq in zip(args, out):
        if seq is None:
            continue
        if n is None:
            n, first = len(seq), name
        elif len(seq) != n:
            raise ValueError(f"{name} has {len(seq)} entries but {first} has {n}: "
                             f"give one value per component")
    return exact, out


def _floatable(v, name):
    try:
        nd = np.ndim(v)
    except ValueError:  # ragged nested sequences
        nd = 2
    if nd > 1:
        raise ValueError(f"{name} must be one-dimensional, got a nested sequence of "
                         f"{nd} dimensions")
    try:
        items = list(v)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of real numbers, "
                        f"got {type(v).__name__}") from None
    for t in items:
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, (numbers.Real, np.floating,
                                                                  np.integer)):
            raise TypeError(f"{name} must contain real numbers, found {t!r}")
    return [float(t) for t in items]


def _sum(xs, exact: bool):
    return sum(xs, Fraction(0)) if exact else math.fsum(xs)


def _check_weights_seq(w: list, exact: bool, name: str = "weights") -> None:
    if exact:
        for t in w:
            if t < 0:
                raise ValueError(f"{name} must be non-negative, found {t}")
        s = sum(w, Fraction(0))
        if s != 1:
            raise ValueError(f"{name} must sum to exactly 1 (Fraction arithmetic), got {s}: "
                             f"normalize them first")
    else:
        check_weights(w, name=name)


def _check_nonneg(xs: list, name: str) -> None:
    for t in xs:
        if t < 0:
            raise ValueError(f"{name} must be non-negative (they are variances), found {t!r}")


def _check_kappas(ks: list, name: str = "kappas") -> None:
    for k in ks:
        if k < -2:
            raise ValueError(f"{name} must be >= -2 (excess kurtosis is at least -2 for every "
                             f"law), found {k!r}")


def _check_m4(m4s: list, variances: list, exact: bool) -> None:
    for m4, v in zip(m4s, variances):
        lo = v * v if exact else v * v * (1 - _M4_REL_TOL)
        if m4 < lo:
            raise ValueError(f"m4s must satisfy m4 >= variance**2 (E[(X-μ)^4] >= (E[(X-μ)^2])^2, "
                             f"i.e. excess kurtosis >= -2), found m4={m4!r} with variance={v!r}")


def _out(v, exact):
    return v if exact else float(v)


def _deltas(w, mu, exact):
    m = _sum([a * b for a, b in zip(w, mu)], exact)
    return m, [x - m for x in mu]


def _all_zero(xs, exact) -> bool:
    if exact:
        return all(d == 0 for d in xs)
    scale = max([1.0] + [abs(x) for x in xs])
    return all(abs(d) <= 1e-15 * scale for d in xs)


# ---------------------------------------------------------------------------------------------
# Mixture moments


def mixture_mean(weights, means):
    """``μ = Σ w_i μ_i``."""
    exact, (w, mu) = _prepare((weights, "weights"), (means, "means"))
    _check_weights_seq(w, exact)
    return _out(_sum([a * b for a, b in zip(w, mu)], exact), exact)


def mixture_variance(weights, means, variances):
    """Law of total variance: ``Σ w_i σ_i² + Σ w_i δ_i²`` with ``δ_i = μ_i − μ``."""
    exact, (w, mu, var) = _prepare((weights, "weights"), (means, "means"),
                                   (variances, "variances"))
    _check_weights_seq(w, exact)
    _check_nonneg(var, "variances")
    return _out(_variance(w, mu, var, exact), exact)


def _variance(w, mu, var, exact):
    _, d = _deltas(w, mu, exact)
    return _sum([a * s for a, s in zip(w, var)], exact) + _sum(
        [a * x * x for a, x in zip(w, d)], exact)


def _need_m3(m3s, w, mu, exact, fn: str) -> None:
    if m3s is None:
        _, d = _deltas(w, mu, exact)
        if not _all_zero(d, exact):
            raise ValueError(f"m3s is required by {fn} when the component means differ "
                             f"(the term 4·Σ w·m3·δ does not vanish); pass m3s=[0, ...] only "
                             f"if every component is symmetric")


def mixture_third_central(weights, means, variances, m3s):
    """``E[(X − μ)³] = Σ w_i (m3_i + 3 σ_i² δ_i + δ_i³)``."""
    exact, (w, mu, var, m3) = _prepare((weights, "weights"), (means, "means"),
                                       (variances, "variances"), (m3s, "m3s"))
    _check_weights_seq(w, exact)
    _check_nonneg(var, "variances")
    _, d = _deltas(w, mu, exact)
    return _out(_sum([a * (t + 3 * s * x + x ** 3) for a, t, s, x in zip(w, m3, var, d)],
                     exact), exact)


def _fourth(w, mu, var, m3, m4, exact):
    _, d = _deltas(w, mu, exact)
    if m3 is None:
        m3 = [0] * len(w)
    return _sum([a * (q + 4 * t * x + 6 * s * x * x + x ** 4)
                 for a, q, t, s, x in zip(w, m4, m3, var, d)], exact)


def mixture_fourth_central(weights, means, variances, m3s, m4s):
    """Exact ``E[(X − μ)⁴] = Σ w_i (m4_i + 4 m3_i δ_i + 6 σ_i² δ_i² + δ_i⁴)``.

    ``m3s`` may be ``None`` only when all component means are equal (then ``δ_i = 0``).
    """
    exact, (w, mu, var, m3, m4) = _prepare(
        (weights, "weights"), (means, "means"), (variances, "variances"), (m3s, "m3s"),
        (m4s, "m4s"))
    _check_weights_seq(w, exact)
    _check_nonneg(var, "variances")
    _check_m4(m4, var, exact)
    _need_m3(m3, w, mu, exact, "mixture_fourth_central")
    return _out(_fourth(w, mu, var, m3, m4, exact), exact)


def fourth_from_kurtosis(variances, kappas):
    """``m4_i = (κ_i + 3) σ_i⁴`` for each component."""
    exact, (var, ks) = _prepare((variances, "variances"), (kappas, "kappas"))
    _check_nonneg(var, "variances")
    _check_kappas(ks)
    return [(k + 3) * s * s for s, k in zip(var, ks)]


def _m4_from(var, m4, ks, exact, fn):
    if (m4 is None) == (ks is None):
        raise ValueError(f"{fn} needs exactly one of m4s= or kappas= "
                         f"(got {'both' if m4 is not None else 'neither'})")
    if ks is not None:
        _check_kappas(ks)
        return [(k + 3) * s * s for s, k in zip(var, ks)]
    _check_m4(m4, var, exact)
    return m4


def mixture_excess_kurtosis(weights, means, variances, *, m3s=None, m4s=None, kappas=None):
    """Exact excess kurtosis ``E[(X − μ)⁴]/(Var M)² − 3`` of the mixture.

    Give the component fourth moments either as ``m4s`` or as excess kurtoses ``kappas``
    (``m4 = (κ + 3)σ⁴``). ``m3s`` may be omitted only when all component means are equal.
    """
    exact, (w, mu, var, m3, m4, ks) = _prepare(
        (weights, "weights"), (means, "means"), (variances, "variances"), (m3s, "m3s"),
        (m4s, "m4s"), (kappas, "kappas"))
    _check_weights_seq(w, exact)
    _check_nonneg(var, "variances")
    m4 = _m4_from(var, m4, ks, exact, "mixture_excess_kurtosis")
    _need_m3(m3, w, mu, exact, "mixture_excess_kurtosis")
    v = _variance(w, mu, var, exact)
    if v == 0:
        raise ValueError("variances: the mixture has variance 0 (a point mass), so its "
                         "kurtosis is undefined")
    return _out(_fourth(w, mu, var, m3, m4, exact) / (v * v) - 3, exact)


def seed004_kurtosis_formula(weights, means, variances, kappas):
    """Seed 004's printed formula, verbatim:
    ``[Σwᵢ(κᵢ+3)σᵢ⁴ + 6Σwᵢσᵢ²δᵢ² + Σwᵢδᵢ⁴]/σ⁴ − 3`` with ``σ² = Σwᵢσᵢ² + Σwᵢδᵢ²``.

    It omits ``4 Σ wᵢ m3ᵢ δᵢ`` from the fourth moment; see :func:`seed004_formula_defect`.
    """
    exact, (w, mu, var, ks) = _prepare((weights, "weights"), (means, "means"),
                                       (variances, "variances"), (kappas, "kappas"))
    _check_weights_seq(w, exact)
    _check_nonneg(var, "variances")
    _check_kappas(ks)
    _, d = _deltas(w, mu, exact)
    v = _variance(w, mu, var, exact)
    if v == 0:
        raise ValueError("variances: the mixture has variance 0, so its kurtosis is undefined")
    num = (_sum([a * (k + 3) * s * s for a, k, s in zip(w, ks, var)], exact)
           + 6 * _sum([a * s * x * x for a, s, x in zip(w, var, d)], exact)
           + _sum([a * x ** 4 for a, x in zip(w, d)], exact))
    return _out(num / (v * v) - 3, exact)


def seed004_formula_defect(weights, means, variances, m3s):
    """``4 Σ wᵢ m3ᵢ δᵢ / σ⁴``: exactly ``mixture_excess_kurtosis − seed004_kurtosis_formula``.

    Zero iff ``Σ wᵢ m3ᵢ δᵢ = 0`` (e.g. symmetric components, or equal means).
    """
    exact, (w, mu, var, m3) = _prepare((weights, "weights"), (means, "means"),
                                       (variances, "variances"), (m3s, "m3s"))
    _check_weights_seq(w, exact)
    _check_nonneg(var, "variances")
    _, d = _deltas(w, mu, exact)
    v = _variance(w, mu, var, exact)
    if v == 0:
        raise ValueError("variances: the mixture has variance 0, so its kurtosis is undefined")
    return _out(4 * _sum([a * t * x for a, t, x in zip(w, m3, d)], exact) / (v * v), exact)


# ---------------------------------------------------------------------------------------------
# Activation fractions and effective kurtosis


def activation_fractions(norms):
    """``ā_l = a_l / Σ_j a_j`` (seed 001: ``ā_l(λ) = ||h_l(λ)|| / Σ_j ||h_j(λ)||``).

    ``norms`` is a one-dimensional sequence of non-negative activation magnitudes, one per
    layer, not all zero. Exact (list of Fractions) for int/Fraction input, else a float64 array.
    """
    if norms is None or isinstance(norms, (str, bytes)) or np.ndim(norms) == 0:
        raise TypeError(f"norms must be a one-dimensional sequence of non-negative numbers, "
                        f"got {norms!r}")
    ex = _exact_seq(norms)
    if ex is not None:
        for t in ex:
            if t < 0:
                raise ValueError(f"norms must be non-negative (they are activation magnitudes), "
                                 f"found {t}")
        s = sum(ex, Fraction(0))
        if s == 0:
            raise ValueError("norms are all zero: the activation fractions are undefined")
        return [t / s for t in ex]
    arr = check_array(_floatable(norms, "norms"), "norms")
    if arr.ndim != 1:
        raise ValueError(f"norms must be one-dimensional (one value per layer), got shape "
                         f"{arr.shape}")
    if np.any(arr < 0):
        raise ValueError(f"norms must be non-negative (they are activation magnitudes), "
                         f"found {arr[arr < 0][0]!r}")
    s = float(math.fsum(arr))
    if s <= 0:
        raise ValueError("norms are all zero: the activation fractions are undefined")
    return arr / s


def effective_kurtosis_linear(a_bar, kappas):
    """Seeds 001/002: ``κ_eff = Σ_l ā_l κ_l`` (activation-weighted average of layer kurtoses).

    This is *not* the kurtosis of the effective mixture law; see
    :func:`effective_kurtosis_true`.
    """
    exact, (w, ks) = _prepare((a_bar, "a_bar"), (kappas, "kappas"))
    _check_weights_seq(w, exact, "a_bar")
    _check_kappas(ks)
    return _out(_sum([a * k for a, k in zip(w, ks)], exact), exact)


def _attr(obj, *names):
    for n in names:
        if hasattr(obj, n):
            v = getattr(obj, n)
            return v() if callable(v) else v
    return None


def layer_law_moments(law):
    """``(mean, variance, m3, m4)`` of a law object (central moments; ``m4`` may be ``inf``).

    Accepted: objects with ``mean``/``var`` (methods or attributes) and either
    ``central_moment(k)`` or skewness (``skew``/``skewness``) and excess kurtosis
    (``excess_kurtosis``/``kurtosis``); scipy frozen distributions (``stats("mvsk")``) too.
    """
    if law is None or isinstance(law, (numbers.Number, str, bytes)):
        raise TypeError(f"layer law must be a distribution object with mean/var and central "
                        f"moments, got {law!r}")
    if hasattr(law, "central_moment") and hasattr(law, "mean"):
        mean = _attr(law, "mean")
        var = _attr(law, "var", "variance")
        m3 = law.central_moment(3)
        m4 = law.central_moment(4)
    elif hasattr(law, "stats") and callable(law.stats) and hasattr(law, "dist"):
        mean, var, sk, ek = (float(t) for t in law.stats(moments="mvsk"))
        m3 = sk * var ** 1.5
        m4 = (ek + 3) * var * var
    elif hasattr(law, "mean") and (hasattr(law, "var") or hasattr(law, "variance")):
        mean = _attr(law, "mean")
        var = _attr(law, "var", "variance")
        sk = _attr(law, "skew", "skewness")
        ek = _attr(law, "excess_kurtosis", "kurtosis")
        if ek is None:
            raise TypeError(f"layer law {law!r} has no central_moment(k) nor excess_kurtosis: "
                            f"cannot get its fourth moment")
        sk = 0.0 if sk is None else sk
        m3 = float(sk) * float(var) ** 1.5
        m4 = (float(ek) + 3) * float(var) ** 2
    else:
        raise TypeError(f"layer law must have mean and var (and central_moment or "
                        f"excess_kurtosis), got {type(law).__name__}")
    vals = []
    for name, v in (("mean", mean), ("variance", var), ("third central moment", m3),
                    ("fourth central moment", m4)):
        try:
            fv = v if isinstance(v, Fraction) else float(v)
        except (TypeError, ValueError):
            raise TypeError(f"layer law {law!r}: its {name} is not a number ({v!r})") from None
        vals.append(fv)
    return tuple(vals)


def effective_kurtosis_true(a_bar, layer_laws):
    """The excess kurtosis of the effective law ``P = Σ_l ā_l P_l`` (seed 000 §4).

    ``layer_laws`` is a sequence of law objects (see :func:`layer_law_moments`). Returns
    ``math.inf`` if a layer of positive weight has an infinite fourth moment (e.g. Student-t with
    ν ≤ 4) and finite variance; raises ``ValueError`` if a weighted layer has infinite variance
    or undefined moments.
    """
    if isinstance(layer_laws, (str, bytes)) or not hasattr(layer_laws, "__len__"):
        raise TypeError(f"layer_laws must be a sequence of distribution objects, "
                        f"got {type(layer_laws).__name__}")
    laws = list(layer_laws)
    if not laws:
        raise ValueError("layer_laws is empty: need at least one layer law")
    moments = [layer_law_moments(law) for law in laws]
    exact, (w,) = _prepare((a_bar, "a_bar"))
    if len(w) != len(laws):
        raise ValueError(f"a_bar has {len(w)} entries but layer_laws has {len(laws)}: "
                         f"give one fraction per layer")
    _check_weights_seq(w, exact, "a_bar")
    all_frac = exact and all(isinstance(t, Fraction) for m in moments for t in m)
    inf4 = False
    for l, (wi, (mu, var, m3, m4)) in enumerate(zip(w, moments)):
        if wi == 0:
            continue
        if not all(isinstance(t, Fraction) or math.isfinite(t) for t in (mu, var)):
            raise ValueError(f"layer_laws[{l}] has an infinite or undefined mean or variance: "
                             f"the effective kurtosis is undefined")
        if not isinstance(m4, Fraction) and math.isinf(m4) and m4 > 0:
            inf4 = True  # E[X^4] = ∞ (m3 may then be undefined, e.g. Student-t with ν = 3)
            continue
        if any(not isinstance(t, Fraction) and not math.isfinite(t) for t in (m3, m4)):
            raise ValueError(f"layer_laws[{l}] has an undefined third or fourth moment "
                             f"({m3!r}, {m4!r}): the effective kurtosis is undefined")
    if inf4:
        return math.inf
    keep = [i for i, wi in enumerate(w) if wi != 0]
    ww = [w[i] for i in keep]
    cols = list(zip(*[moments[i] for i in keep]))
    if not all_frac:
        ww = [float(t) for t in ww]
        cols = [[float(t) for t in c] for c in cols]
        # renormalize after dropping zero weights is unnecessary: they contributed nothing
    return mixture_excess_kurtosis(ww, list(cols[0]), list(cols[1]), m3s=list(cols[2]),
                                   m4s=list(cols[3]))
