"""Independent oracles shared by several test modules (never the code under test)."""

import numpy as np

from laaciq.theory import quantizer


#: the kinds of rows :func:`hard_rows` makes
KINDS = ["normal", "ties", "duplicates", "zeros", "outliers"]


def brute_true(x, bits):
    """The minimum true MSE of ``x`` over every piece between consecutive breakpoints
    ``|x_i|/(j+½)``: each piece's own optimum ``s* = Σak/Σk²``, evaluated with the quantizer."""
    a = np.abs(x)
    L = quantizer.levels(bits)
    bp = np.unique((a[:, None] / (np.arange(L) + 0.5)[None, :]).ravel())
    bp = bp[bp > 0]
    if bp.size == 0:
        return 0.0
    mids = np.r_[bp[0] / 2, np.sqrt(bp[:-1] * bp[1:]), 2 * bp[-1]]
    k = np.minimum(np.floor(a[None, :] / mids[:, None] + 0.5), L)
    s1, s2 = (k * a).sum(1), (k * k).sum(1)
    st = s1[s2 > 0] / s2[s2 > 0]
    return min(float(np.mean((x - quantizer.quantize(x, s * L, bits)) ** 2)) for s in st)


def floor_tol(x, best) -> float:
    """Absolute float noise of an evaluated error sum near ``best`` (relevant only for
    near-perfect fits, where ``x - Q(x)`` is a few ulps of ``x``)."""
    eps = float(np.finfo(np.float64).eps)
    rms = float(np.sqrt(np.mean(np.square(np.asarray(x, dtype=np.float64)))))
    return 16 * eps * rms * float(np.sqrt(max(best, 0.0))) + 64 * (eps * rms) ** 2


def hard_rows(kind: str, R: int, m: int, rng) -> np.ndarray:
    """float32 rows with the hard cases: ties on the grid, duplicates, zeros, outliers."""
    if kind == "normal":
        x = rng.standard_normal((R, m))
    elif kind == "ties":                     # few distinct values: many breakpoints coincide
        x = rng.integers(-6, 7, (R, m)) / 4.0
    elif kind == "duplicates":               # every value twice, signs mixed
        h = rng.standard_t(3, (R, m // 2 + 1))
        x = np.concatenate([h, -h], axis=1)[:, :m]
    elif kind == "zeros":                    # mostly zeros, one all-zero row, one single value
        x = rng.standard_normal((R, m)) * (rng.random((R, m)) < 0.3)
        x[0] = 0.0
        x[1] = 0.0
        x[1, 3] = -2.5
    elif kind == "outliers":                 # Gaussian with values at 40σ
        x = rng.standard_normal((R, m))
        x[:, : max(1, m // 20)] *= 40
    else:
        raise ValueError(kind)
    return x.astype(np.float32)


def heavy_rows(R, m, rng, dtype=np.float32):
    """Rows like real weight matrices: Student-t with 3-5 degrees of freedom, one outlier row."""
    x = rng.standard_t(rng.integers(3, 6), (R, m))
    x[0, : max(1, m // 50)] *= 30
    return x.astype(dtype)


def check_hard_rows(kind: str, bits: int, engine: str) -> None:
    """Per channel on six float32 :func:`hard_rows` of ``kind``: ``engine``'s exact optimum is
    never worse than the brute force's best piece, and its reported error is the real
    quantizer's error at the returned α."""
    import pytest

    from laaciq.tensor import exact

    rng = np.random.default_rng(1000 * bits + 10 * KINDS.index(kind))
    x = hard_rows(kind, 6, 24 if bits == 8 else 40, rng)
    res = exact.exact_alpha(x, bits, axis=0, engine=engine)
    assert res.stats["path"] == "rows" and res.stats["engine"] == engine
    for i in range(x.shape[0]):
        xi = x[i].astype(np.float64)
        best = brute_true(xi, bits)
        got = float(res.mse[i])
        assert got <= best * (1 + 1e-12) + floor_tol(x[i], best), (kind, bits, i)
        assert got == pytest.approx(
            float(np.mean((xi - quantizer.quantize(xi, float(res.alpha[i]), bits)) ** 2)),
            rel=1e-13, abs=1e-300)
