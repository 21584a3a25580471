"""Checks of ``LaAciq/AsymGrid.lean``: asymmetric integer grids ``[-M, N]`` (llama.cpp's
Q4_0 ``-8…7``, Q5_0 ``-16…15``, int8 ``-128…127``), either sign of the step.

Exact ``Fraction`` arithmetic throughout. The nearest-point property is checked against a brute
force over every grid point; the candidate-set theorem against an independent piecewise infimum
over all steps ``s ≠ 0`` (:func:`grid_inf`: each open piece between the breakpoints
``s = x/(j + ½)`` is a quadratic, interpolated at three points, plus every breakpoint's value).
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from laaciq.theory import quantizer
from laaciq.verify.checks import hyp
from laaciq.verify.checks.output import _quadratic
from laaciq.verify.checks.properties import _exhaustive, _first, _prop

F = Fraction


def clamp_z(lo: int, hi: int, k: int) -> int:
    return lo if k < lo else hi if hi < k else k


def grid_code(M: int, N: int, s: Fraction, x: Fraction) -> int:
    """``clamp_{[-M, N]}(round_half_up(x / s))``."""
    return clamp_z(-M, N, quantizer.round_exact(x / s, "half_up"))


def grid_q(M: int, N: int, s: Fraction, x: Fraction) -> Fraction:
    return s * grid_code(M, N, s, x)


def grid_mse(law, M: int, N: int, s: Fraction) -> Fraction:
    """``Σ wᵢ (xᵢ - gridQ xᵢ)²`` (weights need not sum to 1)."""
    return sum((w * (x - grid_q(M, N, s, x)) ** 2 for x, w in zip(*law)), F(0))


def grid_candidates(law, M: int, N: int) -> list[Fraction]:
    """``1`` and ``E[Xk]/E[k²]`` for every code vector ``k ∈ [-M, N]^n`` (the Lean list)."""
    sums = [(F(0), F(0))]
    for x, w in zip(*law):
        sums = [(w * x * j + d1, w * j * j + d2) for d1, d2 in sums for j in range(-M, N + 1)]
    return [F(1)] + [d1 / d2 for d1, d2 in sums if d2 != 0]


def grid_inf(law, M: int, N: int) -> tuple[Fraction, bool]:
    """``(inf_{s ≠ 0} gridMse, attained)`` piece by piece (independent of the candidates)."""
    bps = sorted({x / F(2 * j + 1, 2) for x in law[0] if x != 0 for j in range(-M - 1, N + 1)}
                 | {F(0)})
    f = lambda s: grid_mse(law, M, N, s)  # noqa: E731
    best = None
    edges = [bps[0] - 4] + bps + [bps[-1] + 4]
    for lo, hi in zip(edges, edges[1:]):
        A, B, C = _quadratic(f, *(lo + (hi - lo) * F(k, 4) for k in (1, 2, 3)))
        outer = lo == edges[0] or hi == edges[-1]
        for a in [lo, hi] + ([-B / (2 * A)] if A > 0 else []):
            a = min(max(a, lo), hi)
            val = A * a * a + B * a + C
            attained = (lo < a < hi or outer) and a != 0
            if best is None or val < best[0] or (val == best[0] and attained and not best[1]):
                best = (val, attained)
    for b in bps:
        if b != 0 and (f(b) < best[0] or (f(b) == best[0] and not best[1])):
            best = (f(b), True)
    return best


_steps = st.one_of(hyp.positive_rationals(), hyp.positive_rationals().map(lambda v: -v))


@_prop("prop.grid.nearest", "gridQ M N s x = s·clamp_{[-M,N]}(round(x/s)) is a nearest point of "
       "{s·j : -M ≤ j ≤ N} for either sign of s (brute force over the grid; int8 = [-128, 127]); "
       "the symmetric quantizer is M = N = L at s = α/L; a larger grid is never farther",
       st.tuples(st.integers(0, 9), st.integers(0, 9), _steps, hyp.rationals(-20, 20),
                 hyp.bits(2, 6), st.integers(0, 3), st.integers(0, 3)),
       theorems=("clampZ_mem", "clampZ_of_mem", "gridCode_mem", "sq_sub_clampZ_roundS_le",
                 "sq_sub_mul_le_of", "sq_sub_gridQ_le", "sq_sub_gridQ_int8_le",
                 "quantize_eq_gridQ", "sq_sub_gridQ_mono_grid"))
def _nearest(ex):
    M, N, s, x, bits, dm, dn = ex
    q = grid_q(M, N, s, x)
    brute = min((x - s * j) ** 2 for j in range(-M, N + 1))
    y = x / s
    q8 = grid_q(128, 127, s, x)
    a = abs(s)
    L = quantizer.levels(bits)
    return _first([
        ("clampZ_mem", all(-M <= clamp_z(-M, N, k) <= N for k in range(-M - 3, N + 4))),
        ("clampZ_of_mem", all(clamp_z(-M, N, k) == k for k in range(-M, N + 1))),
        ("gridCode_mem", -M <= grid_code(M, N, s, x) <= N),
        ("sq_sub_clampZ_roundS_le", (y - grid_code(M, N, s, x)) ** 2
         == min((y - j) ** 2 for j in range(-M, N + 1))),
        ("sq_sub_mul_le_of", (s * y - q) ** 2 == s * s * (y - grid_code(M, N, s, x)) ** 2),
        ("sq_sub_gridQ_le", (x - q) ** 2 == brute),
        ("sq_sub_gridQ_int8_le", (x - q8) ** 2 == min((x - s * j) ** 2 for j in range(-128, 128))),
        ("quantize_eq_gridQ", quantizer.quantize_exact(x, a, bits)
         == grid_q(L, L, quantizer.step_exact(a, bits), x)),
        ("sq_sub_gridQ_mono_grid", (x - grid_q(M + dm, N + dn, s, x)) ** 2 <= (x - q) ** 2)])


@st.composite
def _grid_laws(draw):
    n = draw(st.integers(1, 3))
    vals = [draw(st.integers(-12, 12).map(lambda k: F(k, 4))) for _ in range(n)]
    ws = [F(draw(st.integers(0, 5)), draw(st.integers(1, 3))) for _ in range(n)]
    return (tuple(vals), tuple(ws)), draw(st.integers(0, 3)), draw(st.integers(0, 3))


@_prop("prop.grid.candidates", "weighted error on [-M, N] (weights ≥ 0, any sum): the least "
       "value over the non-zero entries of gridCandidates equals the infimum over all steps s ≠ 0 "
       "(independent piecewise computation, both signs) and is attained; the symmetric MSE is "
       "the case M = N = L", _grid_laws(),
       theorems=("mse_eq_gridMse", "gridMse_eq_gridErr", "gridMse_le_gridErr", "gridErr_zero",
                 "mem_codeRangeMN", "mem_codeSumsMN", "gridMse_le_candidate",
                 "gridMse_exists_minimizer"))
def _candidates(ex):
    law, M, N = ex
    cands = [c for c in grid_candidates(law, M, N) if c != 0]
    best = min(grid_mse(law, M, N, c) for c in cands)
    inf, attained = grid_inf(law, M, N)
    probe = [F(k, 3) for k in range(-12, 13) if k]
    tot = sum(law[1])
    msym = (quantizer.levels(2), F(3, 2))
    return _first([
        ("gridMse_exists_minimizer", best == inf and attained),
        ("gridMse_le_candidate", all(best <= grid_mse(law, M, N, s) for s in probe)),
        ("gridErr_zero", grid_mse(law, 0, 0, F(1)) == sum(w * x * x for x, w in zip(*law))),
        ("mse_eq_gridMse", tot == 0 or sum(
            w * (x - quantizer.quantize_exact(x, msym[1], 2)) ** 2 for x, w in zip(*law))
         == grid_mse(law, msym[0], msym[0], quantizer.step_exact(msym[1], 2)))])


@_exhaustive("exh.grid.formats", "format grids [-2^(B-1), 2^(B-1) - 1]: 2^B codes (B = 1..16; "
             "Q4_0 -8…7, Q5_0 -16…15, int8 -128…127); one more bit keeps the grid; the error at "
             "B + 1 bits is at most that at B at the same step, and so is the optimum",
             theorems=("fmt_card", "fmt_ends", "fmt_le_succ", "gridMse_mono_grid", "fmtMse_bit_up",
                       "fmt_optimal_antitone_bits"))
def _formats():
    fails, n = [], 0
    fm = lambda b: 2 ** (b - 1)  # noqa: E731
    fn = lambda b: 2 ** (b - 1) - 1  # noqa: E731
    for b in range(1, 17):
        n += 1
        if fm(b) + fn(b) + 1 != 2 ** b or fm(b) > fm(b + 1) or fn(b) > fn(b + 1):
            fails.append({"bits": b})
    if (fm(4), fn(4), fm(5), fn(5), fm(8), fn(8)) != (8, 7, 16, 15, 128, 127):
        fails.append({"ends": True})
    laws = [((F(1), F(-3), F(5, 2)), (F(1), F(2), F(1, 2))), ((F(7, 10), F(-17, 10)), (F(1), F(1)))]
    for law in laws:
        for b in (1, 2, 3):
            opt_next = min(grid_mse(law, fm(b + 1), fn(b + 1), c)
                           for c in grid_candidates(law, fm(b + 1), fn(b + 1)) if c != 0)
            for k in range(-16, 17):
                if k == 0:
                    continue
                s = F(k, 5)
                n += 1
                e0, e1 = grid_mse(law, fm(b), fn(b), s), grid_mse(law, fm(b + 1), fn(b + 1), s)
                if not (e1 <= e0 and opt_next <= e0):
                    fails.append({"law": hyp.law_json(law), "bits": b, "s": s})
    return n, fails
