"""Finite candidate sets for the optimal clip (Lean twins: ``LaAciq/Existence.lean``,
``LaAciq/Candidates.lean``), in exact arithmetic.

Model MSE ``f(α) = E[((|X| - α)₊)²] + c·α²`` (``c > 0``): a positive global minimizer exists iff
``P(X ≠ 0) > 0`` (``modelMSE_exists_minimizer_iff``); it is the unique positive solution of
``c·α = E[(|X| - α)₊]`` (``modelMSE_isMinOn_pos_iff``, ``modelMSE_minimizer_pos_unique``) and one
of the candidates ``E[|X|; |X| > t] / (c + P(|X| > t))`` for ``t ∈ {0} ∪ {|x_i|}``
(``modelMSE_fixed_point_exists``): :func:`model_candidates`.

True MSE at ``B`` bits (``L = 2^(B-1) - 1``): for every ``α > 0`` the rounding codes
``k_α(x) = round(clip(x)/step)`` give a quadratic upper bound ``E[(X - s·k_α(X))²]`` of the MSE at
step ``s``, equal to it at ``s = α/L``; its vertex ``β = L·E[X k_α]/E[k_α²]`` has
``MSE(β) ≤ MSE(α)`` (``mse_codeVertex_le``). So a global minimizer over ``α > 0`` exists among
the vertices of the finitely many code vectors ``k ∈ [-L, L]^n`` (and ``1`` when every code
vanishes): ``trueCandidates`` / ``mse_exists_minimizer``: :func:`true_candidates`,
:func:`optimal_by_candidates`. The enumeration is exponential in the number of atoms: it is a
certificate for small laws, not a solver (``laaciq.tensor.exact`` scans only the rounding
assignments of the pieces between breakpoints, a subset that contains the optimum's).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from laaciq.theory import quantizer
from laaciq.theory.mse import mse_exact_fraction

__all__ = ["model_candidates", "model_fixed_point", "code_vector", "code_vertex",
           "true_candidates", "optimal_by_candidates"]


def _pairs(values, weights):
    return [(Fraction(v), Fraction(w)) for v, w in zip(values, weights)]


def model_candidates(values, weights, c) -> list[Fraction]:
    """Lean ``modelCandidate l c t`` for ``t ∈ {0} ∪ {|x_i|}``: ``E[|X|; |X|>t]/(c + P(|X|>t))``."""
    c = Fraction(c)
    law = _pairs(values, weights)
    out = []
    for t in [Fraction(0)] + [abs(v) for v, _ in law]:
        s = sum((w * abs(v) for v, w in law if abs(v) > t), Fraction(0))
        p = sum((w for v, w in law if abs(v) > t), Fraction(0))
        out.append(s / (c + p))
    return out


def model_fixed_point(values, weights, c) -> Fraction | None:
    """The positive candidate with ``c·α = E[(|X| - α)₊]``, or ``None`` (``X ≡ 0``)."""
    c = Fraction(c)
    law = _pairs(values, weights)
    for a in model_candidates(values, weights, c):
        if a > 0 and c * a == sum((w * max(abs(v) - a, Fraction(0)) for v, w in law),
                                  Fraction(0)):
            return a
    return None


def code_vector(values, alpha, bits: int) -> list[int]:
    """Lean ``code α B x = round(clip α x / step)`` per value: ``Q_α(x) = step·code``."""
    s = quantizer.step_exact(Fraction(alpha), bits)
    a = Fraction(alpha)
    return [quantizer.round_exact(max(-a, min(a, Fraction(v))) / s) for v in values]


def code_vertex(values, weights, codes, bits: int) -> Fraction | None:
    """Lean ``codeVertex``: ``L·E[Xk]/E[k²]`` when both are positive, else ``None``."""
    law = _pairs(values, weights)
    dot = sum((w * v * k for (v, w), k in zip(law, codes)), Fraction(0))
    sq = sum((w * k * k for (_, w), k in zip(law, codes)), Fraction(0))
    if sq <= 0 or dot <= 0:
        return None
    return quantizer.levels(bits) * dot / sq


def true_candidates(values, weights, bits: int) -> list[Fraction]:
    """The positive entries of Lean ``trueCandidates l B``: ``1`` and the vertex of every code
    vector in ``[-L, L]^n`` (``(2L+1)^n`` vectors: small laws only)."""
    L = quantizer.levels(bits)
    if (2 * L + 1) ** len(values) > 200_000:
        raise ValueError(f"{(2 * L + 1) ** len(values)} code vectors: too many to enumerate "
                         f"(use fewer atoms or bits)")
    out = {Fraction(1)}
    for codes in itertools.product(range(-L, L + 1), repeat=len(values)):
        b = code_vertex(values, weights, codes, bits)
        if b is not None:
            out.add(b)
    return sorted(out)


def optimal_by_candidates(values, weights, bits: int) -> tuple[Fraction, Fraction]:
    """``(α*, MSE(α*))``: the best entry of :func:`true_candidates`, a global minimizer over
    ``α > 0`` by ``mse_exists_minimizer`` (the smallest such candidate on ties)."""
    best = None
    for b in true_candidates(values, weights, bits):
        m = mse_exact_fraction(values, weights, b, bits)
        if best is None or m < best[1]:
            best = (b, m)
    return best
