"""llama.cpp block formats (laaciq.tensor.blockfmt): the per-block optimum against an exhaustive
search over every finite fp16 scale, the byte layouts against gguf-py, and no block worse than
gguf-py's reference quantizer.

Cost: ~4 s (one numba compile of the solver, shared with test_gguf_writer when run together,
and ~150 exhaustive searches of 63 486 scales × 32 values).
"""

from __future__ import annotations

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
from gguf.quants import dequantize as gguf_dequantize  # noqa: E402
from gguf.quants import quantize as gguf_quantize  # noqa: E402

from laaciq.tensor import blockfmt  # noqa: E402

#: every finite non-zero fp16 value, both signs (from the bit patterns, not from the module)
_POS = np.arange(1, 0x7C00, dtype=np.uint16).view(np.float16).astype(np.float64)
ALL_FP16 = np.concatenate([_POS, -_POS])
RANGES = {"Q4_0": (-8, 7), "Q5_0": (-16, 15), "Q8_0": (-128, 127)}


def exhaustive(x, c, lo, hi):
    """``min Σ c (x − q·d)²`` over every finite fp16 ``d`` (and ``d = 0``) with the nearest codes
    in ``[lo, hi]`` at each ``d`` (for a fixed ``d`` they are optimal)."""
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    q = np.clip(np.floor(x[None, :] / ALL_FP16[:, None] + 0.5), lo, hi)
    e = (c * (x[None, :] - q * ALL_FP16[:, None]) ** 2).sum(axis=1)
    return min(float(e.min()), float((c * x * x).sum()))


def own_error(x, c, d, q):
    r = np.asarray(x, np.float64) - np.asarray(q, np.float64) * np.asarray(d, np.float64)[:, None]
    return (np.asarray(c, np.float64) * r * r).sum(axis=1)


def random_blocks(rng, n):
    """Blocks of several shapes of law and scale, plus edge cases."""
    out = [rng.normal(size=(n, 32)) * 0.02,
           rng.standard_t(3, size=(n, 32)) * 0.01,
           rng.uniform(-1, 1, size=(n, 32)),
           rng.laplace(size=(n, 32)) * 1e-5]                        # subnormal fp16 scales
    spiky = rng.normal(size=(n, 32)) * 0.01
    spiky[:, 5] = 0.3
    out.append(spiky)
    edge = np.zeros((6, 32))
    edge[1, 3] = -1.0                                              # one value
    edge[2] = 0.5                                                  # constant
    edge[3] = np.tile(np.arange(-8, 8), 2) * 0.25                  # exactly on a grid
    edge[4] = rng.normal(size=32) * 1e6                            # scales beyond fp16's max
    edge[5, :2] = [3.0, -3.0]
    out.append(edge)
    return np.concatenate(out).astype(np.float32)


@pytest.mark.parametrize("name", ["Q4_0", "Q8_0", "Q5_0"])
@pytest.mark.parametrize("weighted", [False, True])
def test_optimum_matches_exhaustive_fp16_search(name, weighted):
    rng = np.random.default_rng(7 + len(name) + weighted)
    x = random_blocks(rng, 4)
    c = rng.exponential(size=x.shape).astype(np.float32) if weighted else np.ones_like(x)
    if weighted:
        c[0, :8] = 0.0                                             # zero importances
    fmt = blockfmt.FORMATS[name]
    d, q = blockfmt.solve_blocks(x, fmt, c if weighted else None)
    lo, hi = RANGES[name]
    assert q.min() >= lo and q.max() <= hi
    assert np.array_equal(d.astype(np.float16).astype(np.float64), d)        # fp16 scales
    ours = own_error(x, c, d, q)
    for i in range(x.shape[0]):
        best = exhaustive(x[i], c[i], lo, hi)
        assert ours[i] <= best * (1 + 1e-12) + 1e-300, (name, i, ours[i], best)
        assert ours[i] >= best * (1 - 1e-12), (name, i)           # it is one of the searched
    assert ours[-6] == 0.0 and ours[-3] == 0.0                    # zero block, grid block exact


def test_fp16_neighbours_against_the_fp16_table():
    rng = np.random.default_rng(3)
    v = np.concatenate([np.exp(rng.uniform(np.log(1e-9), np.log(7e4), 3000)), _POS[::97],
                        [6e-8, 2.0 ** -14, 65504.0, 65519.0]])
    for val in v:
        k = np.searchsorted(_POS, val, side="right")
        down = _POS[k - 1] if k > 0 else 0.0
        k2 = np.searchsorted(_POS, val, side="left")
        up = _POS[k2] if k2 < _POS.size else np.inf
        assert blockfmt.fp16_down(val) == down, val
        assert blockfmt.fp16_up(val) == up, val


@pytest.mark.parametrize("name", ["Q4_0", "Q5_0", "Q8_0"])
def test_gguf_dequantizes_our_bytes_to_the_nearest_grid_points(name):
    rng = np.random.default_rng(11)
    x = random_blocks(rng, 8)
    fmt = blockfmt.FORMATS[name]
    lo, hi = RANGES[name]
    d, q = blockfmt.solve_blocks(x, fmt)
    raw = blockfmt.pack_blocks(d, q, fmt)
    assert raw.shape == (x.shape[0], {"Q4_0": 18, "Q5_0": 22, "Q8_0": 34}[name])
    deq = gguf_dequantize(raw.reshape(-1), fmt.qtype).astype(np.float64).reshape(x.shape)
    # the scale as the file stores it (little-endian fp16 in the first two bytes of a block)
    d_file = raw[:, :2].copy().view("<f2").astype(np.float64).ravel()
    assert np.array_equal(d_file, d)
    xs = x.astype(np.float64)
    safe = np.where(d_file == 0, 1.0, d_file)[:, None]
    k = np.clip(np.floor(xs / safe + 0.5), lo, hi) * (d_file != 0)[:, None]
    mine = k * d_file[:, None]
    # gguf-py's values are grid points of the block, and as near to x as the nearest one
    codes = np.where(d_file[:, None] == 0, 0.0, deq / safe)
    assert np.array_equal(codes, np.round(codes)) and codes.min() >= lo and codes.max() <= hi
    tol = 1e-9 * np.abs(d_file)[:, None]
    assert np.all(np.abs(np.abs(xs - deq) - np.abs(xs - mine)) <= tol)
    # and our own unpacking reads back exactly what was packed
    d2, q2 = blockfmt.unpack_blocks(raw, fmt)
    assert np.array_equal(d2, d) and np.array_equal(q2, q)


@pytest.mark.parametrize("name", ["Q4_0", "Q5_0", "Q8_0"])
@pytest.mark.parametrize("weighted", [False, True])
def test_no_block_worse_than_gguf_reference_quantizer(name, weighted):
    rng = np.random.default_rng(5)
    x = random_blocks(rng, 200)
    x = x[np.abs(x).max(axis=1) < 6e4]                  # the reference overflows fp16 beyond
    c = rng.exponential(size=x.shape) if weighted else np.ones(x.shape)
    fmt = blockfmt.FORMATS[name]
    d, q = blockfmt.solve_blocks(x, fmt, c if weighted else None)
    ours = own_error(x, c, d, q)
    ref_raw = gguf_quantize(x, fmt.qtype)
    ref = gguf_dequantize(ref_raw, fmt.qtype).astype(np.float64).reshape(x.shape)
    ref_err = (c * (x.astype(np.float64) - ref) ** 2).sum(axis=1)
    assert np.all(ours <= ref_err * (1 + 1e-12))
    assert (ours < ref_err * (1 - 1e-6)).mean() > 0.5    # and strictly better on most blocks


def test_quantize_matrix_rows_and_importances():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(3, 96)).astype(np.float32)
    imp = rng.exponential(size=96).astype(np.float32)
    fmt = blockfmt.FORMATS["Q4_0"]
    raw, sse = blockfmt.quantize_matrix(w, fmt, imp)
    assert raw.shape == (3, 3 * 18)
    deq = gguf_dequantize(raw, fmt.qtype).astype(np.float64)
    assert deq.shape == w.shape
    c = np.broadcast_to(imp, w.shape).astype(np.float64)
    assert sse[0] == pytest.approx((c * (w - deq) ** 2).sum(), rel=1e-9)
    assert sse[1] == pytest.approx(((w - deq) ** 2).sum(), rel=1e-9)
    blocks = w.reshape(-1, 32)
    d, q = blockfmt.solve_blocks(blocks, fmt, np.tile(imp.reshape(3, 32), (3, 1)))
    assert np.array_equal(blockfmt.pack_blocks(d, q, fmt).reshape(3, -1), raw)
