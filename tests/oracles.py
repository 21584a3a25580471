"""Independent oracles shared by several test modules (never the code under test)."""

import numpy as np

from laaciq.theory import quantizer


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
