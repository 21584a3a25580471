"""The layer-output objective ``(w - s k)ᵀ H (w - s k)`` (``laaciq.tensor.exact``), exact over the
step and the nearest codes with a free choice at ties, against independent references.

Reference (exact, Fractions): every breakpoint ``|w_i|/(j+½)`` is listed; on every open piece
between two of them the codes are recomputed by rounding at the piece's midpoint, the piece's
quadratic is minimized over its closed interval (vertex clamped); at every breakpoint every
combination of the tied values' two nearest codes is evaluated. The minimum over all of these is
the minimum over (step, nearest codes). The returned step and codes are checked to be nearest
codes at the returned step and their error recomputed exactly.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from laaciq.tensor import api
from laaciq.tensor.exact import exact_alpha, optimal_codes_output, weighted_exact_alpha
from laaciq.theory import quantizer


def _err(w, H, s, k):
    e = [wi - s * ki for wi, ki in zip(w, k)]
    return sum(e[i] * H[i][j] * e[j] for i in range(len(w)) for j in range(len(w)))


def _nearest_codes(a: Fraction, s: Fraction, L: int):
    """The nearest codes of magnitude ``a`` in ``[0, L]`` at step ``s`` (two at a tie)."""
    t = a / s
    if t >= L:
        return [L] if t > L - Fraction(1, 2) else [L - 1, L]
    lo = math.floor(t)
    frac = t - lo
    if frac < Fraction(1, 2):
        return [lo]
    if frac > Fraction(1, 2):
        return [lo + 1]
    return [lo, lo + 1]


def _codes_choices(w, s, L):
    out = []
    for x in w:
        sg = 1 if x >= 0 else -1
        out.append([sg * c for c in _nearest_codes(abs(x), s, L)] if x != 0 else [0])
    return out


def _brute(w, H, bits):
    """Minimum over (step, nearest codes with free ties), exactly."""
    L = quantizer.levels(bits)
    w = [Fraction(x) for x in w]
    H = [[Fraction(x) for x in row] for row in H]
    bps = sorted({abs(x) / Fraction(2 * j + 1, 2) for x in w if x != 0 for j in range(L)})
    c0 = _err(w, H, 0, [0] * len(w))
    best = c0                                                  # every code 0 (a large step)
    edges = [Fraction(0)] + bps + [2 * (bps[-1] if bps else 1) + 1]
    for lo, hi in zip(edges[:-1], edges[1:]):
        mid = (lo + hi) / 2
        k = [c[0] for c in _codes_choices(w, mid, L)]          # one code each inside a piece
        b = sum(k[i] * H[i][j] * w[j] for i in range(len(w)) for j in range(len(w)))
        q = sum(k[i] * H[i][j] * k[j] for i in range(len(w)) for j in range(len(w)))
        if q > 0:
            s = min(max(b / q, lo), hi)
            if s > 0:
                best = min(best, _err(w, H, s, k))
    for s in bps:                                              # every tie choice at each end
        for k in itertools.product(*_codes_choices(w, s, L)):
            best = min(best, _err(w, H, s, list(k)))
    return best


def _check_result(w, H, bits, s, k, e):
    """The codes are nearest codes at the returned step (or one ulp from it: a breakpoint
    ``a/(j+½)`` is generally not a float, and a tie there is kept), and the error is theirs."""
    L = quantizer.levels(bits)
    sF = Fraction(float(s))
    near = [Fraction(float(np.nextafter(s, t))) for t in (0.0, np.inf)]
    wF = [Fraction(float(x)) for x in w]
    for i, ki in enumerate(k):
        ok = {c for t in [sF] + near for c in _codes_choices(wF, t, L)[i]}
        assert int(ki) in ok, (w[i], ki, ok)
    exact = _err([Fraction(float(x)) for x in w], [[Fraction(float(v)) for v in r] for r in H],
                 sF, [int(x) for x in k])
    assert float(e) == pytest.approx(float(exact), rel=1e-12, abs=1e-15)
    return exact


def test_two_value_example_attains_41_over_125_with_the_tie_pick():
    """w = (7/10, -17/10), H = [[1, 3/5], [3/5, 1]], B = 2: with free tie choice the minimum
    41/125 is attained at α = 7/5 with codes (0, -1); round half up there gives (1, -1) and
    104/125."""
    w = np.array([0.7, -1.7])
    H = np.array([[1.0, 0.6], [0.6, 1.0]])
    s, k, e = optimal_codes_output(w, H, 2)
    assert _brute([Fraction(7, 10), Fraction(-17, 10)],
                  [[1, Fraction(3, 5)], [Fraction(3, 5), 1]], 2) == Fraction(41, 125)
    assert s == 1.4 and k.tolist() == [0, -1]          # the tie of 7/10 at step 7/5 picks 0
    exact = _check_result(w, H, 2, s, k, e)
    wF = [Fraction(7, 10), Fraction(-17, 10)]
    HF = [[1, Fraction(3, 5)], [Fraction(3, 5), 1]]
    assert _err(wF, HF, Fraction(7, 5), [0, -1]) == Fraction(41, 125)
    assert _err(wF, HF, Fraction(7, 5), [1, -1]) == Fraction(104, 125)   # half up's codes
    assert abs(exact - Fraction(41, 125)) < Fraction(1, 10 ** 14)


def _psd(rng, n, dyadic=True):
    X = rng.integers(-3, 4, size=(n + 2, n)) if dyadic else rng.standard_normal((n + 2, n))
    return (X.T @ X).astype(np.float64) / 4.0


@pytest.mark.parametrize("bits", [2, 3, 4])
@pytest.mark.parametrize("seed", range(8))
def test_matches_fraction_brute_force(bits, seed):
    """Small rows with duplicated magnitudes of either sign (several values tie at one
    breakpoint: mixed tie choices) and a non-diagonal positive semi-definite H."""
    rng = np.random.default_rng(100 * bits + seed)
    n = int(rng.integers(2, 7))
    w = rng.integers(-12, 13, size=n) / 8.0
    w[rng.integers(0, n)] = w[0] * (-1) ** seed              # a duplicate magnitude
    w[rng.integers(0, n)] = w[1] if n > 2 else w[0]
    if not np.any(w):
        w[0] = 0.75
    H = _psd(rng, n)
    s, k, e = optimal_codes_output(w, H, bits)
    ref = _brute(w.tolist(), H.tolist(), bits)
    got = _check_result(w, H, bits, s, k, e)
    assert float(got) <= float(ref) * (1 + 1e-9) + 1e-12
    assert float(got) >= float(ref) * (1 - 1e-9) - 1e-12      # the brute force is a minimum


def test_diagonal_h_equals_the_weighted_objective():
    rng = np.random.default_rng(5)
    W = rng.standard_t(4, size=(8, 40))
    c = rng.gamma(0.6, size=40)
    for bits in (2, 4):
        _, _, e = optimal_codes_output(W, np.diag(c), bits)
        _, ref = weighted_exact_alpha(W, c, bits)
        np.testing.assert_allclose(e, ref, rtol=1e-10, atol=1e-14)


def test_identity_h_equals_the_true_mse_optimum():
    rng = np.random.default_rng(6)
    W = rng.standard_t(3, size=(8, 48)).astype(np.float32)
    for bits in (3, 4, 8):
        s, k, e = optimal_codes_output(W, np.eye(48), bits)
        ref = exact_alpha(W, bits, axis=0)
        np.testing.assert_allclose(e / 48, ref.mse, rtol=1e-9, atol=1e-15)


def test_groups_use_the_diagonal_blocks_and_damping():
    rng = np.random.default_rng(7)
    W = rng.standard_normal((4, 12))
    H = _psd(rng, 12, dyadic=False)
    s, k, e = optimal_codes_output(W, H, 3, group=4, damp=0.01)
    assert s.shape == (4, 3) and k.shape == (4, 12) and e.shape == (4, 3)
    Hd = H + 0.01 * np.mean(np.diag(H)) * np.eye(12)
    for g in range(3):
        sl = slice(4 * g, 4 * g + 4)
        s1, k1, e1 = optimal_codes_output(W[:, sl], Hd[sl, sl], 3)
        np.testing.assert_array_equal(s[:, g], s1)
        np.testing.assert_array_equal(k[:, sl], k1)
        np.testing.assert_allclose(e[:, g], e1, rtol=1e-12)


def test_api_entry_points():
    rng = np.random.default_rng(8)
    W = rng.standard_normal((6, 16)).astype(np.float32)
    H = _psd(rng, 16, dyadic=False)
    alpha = api.optimal_clip(W, 4, axis=0, objective="output", H=H, damp=0.01)
    s, k, e = api.optimal_codes_output(W, 4, H=H, damp=0.01)
    np.testing.assert_allclose(alpha, s * quantizer.levels(4), rtol=1e-15)
    assert k.dtype == np.int8 and np.abs(k).max() <= quantizer.levels(4)


def test_bad_input():
    with pytest.raises(ValueError, match="shape"):
        optimal_codes_output(np.ones((2, 3)), np.eye(4), 4)
    with pytest.raises(ValueError, match="symmetric"):
        optimal_codes_output(np.ones(2), np.array([[1.0, 0.5], [0.0, 1.0]]), 4)
    with pytest.raises(ValueError, match="finite"):
        optimal_codes_output(np.array([np.nan, 1.0]), np.eye(2), 4)
    with pytest.raises(ValueError, match="damp"):
        optimal_codes_output(np.ones(2), np.eye(2), 4, damp=-1.0)
    with pytest.raises(ValueError, match="group"):
        optimal_codes_output(np.ones((2, 6)), np.eye(6), 4, group=4)


def test_mixed_tie_choice_is_needed_and_found():
    """w = (1/2, 1/2, -1/2, 3/2) at 2 bits (codes -1, 0, 1): the three values of magnitude 1/2
    tie at the same breakpoint (step 1, exact in floats), and the minimum (15/8, from the brute
    force) needs them on *different* codes — the best of every piece, ends included with all tied
    values on one side, is 463/148."""
    w = np.array([0.5, 0.5, -0.5, 1.5])
    H = np.array([[3.5, 2.5, -0.5, -2.5], [2.5, 4.0, -2.0, -2.5], [-0.5, -2.0, 7.25, -0.25],
                  [-2.5, -2.5, -0.25, 3.25]])
    assert _brute(w.tolist(), H.tolist(), 2) == Fraction(15, 8)
    s, k, e = optimal_codes_output(w, H, 2)
    assert _check_result(w, H, 2, s, k, e) == Fraction(15, 8)
    assert s == 1.0 and len({abs(int(x)) for x in k[:3]}) == 2     # a mixed choice
