"""Importance matrices ("imatrix") in llama.cpp's two file formats, read and written strictly.

An importance matrix holds, for every linear layer (named like the weight it feeds, e.g.
``blk.0.attn_q.weight``), the sum of the squared inputs per input column ``Σ_t x_tj²`` and the
number of inputs summed (``count``); the importance of column ``j`` is ``c_j = Σ_t x_tj² / count``
(``E[x_j²]``). A 3-D (mixture-of-experts) weight has one row of sums and one count per expert.

GGUF format (llama.cpp ``tools/imatrix/imatrix.cpp``, ``save_imatrix``), what we write:

* metadata ``general.type = "imatrix"``, ``imatrix.datasets`` (array of strings: the
  calibration files), ``imatrix.chunk_count`` (uint32), ``imatrix.chunk_size`` (uint32: tokens
  per chunk). ``llama-quantize`` refuses a GGUF imatrix without the three ``imatrix.*`` keys.
* per layer ``NAME.in_sum2``: float32, ggml shape ``[ncols, nmat]`` (numpy ``(nmat, ncols)``),
  and ``NAME.counts``: float32, ggml ``[1, nmat]``; tensors in sorted name order. Newer
  ``llama-imatrix`` builds add ``NAME.in_sum`` (the plain sums), which we read and ignore.

Legacy ``.dat`` format (``save_imatrix_legacy``), little-endian: ``int32 n_entries``; per entry
``int32 len, name bytes, int32 ncall, int32 nval, float32 values[nval]`` where
``values = (sum / count) · ncall`` and ``ncall = ceil(count / chunk_size)``; then optionally
``int32 chunk_count`` and ``int32 len, dataset bytes``. Read back: ``sums = values``,
``counts = ncall`` (so ``sums / counts`` is the same importance); the chunk size is not stored.

Validation (every reader, and :func:`check` before writing): at least one entry, both tensors of
every entry present, ``in_sum2`` size a multiple of the counts, sums finite and ``≥ 0``, counts
finite and ``> 0``, not every sum of a layer zero, the metadata keys present. Each failure is a
:class:`LaaciqError` naming the file and the tensor (or key). Writes go to a temporary file in
the target folder, renamed into place: nothing is half-written.
"""

from __future__ import annotations

import os
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from laaciq.errors import LaaciqError

__all__ = ["Imatrix", "read_imatrix", "write_imatrix", "write_imatrix_dat", "check",
           "KEY_DATASETS", "KEY_CHUNK_COUNT", "KEY_CHUNK_SIZE"]

KEY_DATASETS = "imatrix.datasets"
KEY_CHUNK_COUNT = "imatrix.chunk_count"
KEY_CHUNK_SIZE = "imatrix.chunk_size"
_SUM2, _COUNTS, _SUM = ".in_sum2", ".counts", ".in_sum"


@dataclass
class Imatrix:
    """Per layer name: ``sums`` (nmat, ncols) float64 sums of squares and ``counts`` (nmat,)
    float64; the run's ``datasets``, ``chunk_count`` and ``chunk_size`` (0: unknown, legacy)."""

    sums: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    datasets: list = field(default_factory=list)
    chunk_count: int = 0
    chunk_size: int = 0

    def importance(self, name: str) -> np.ndarray:
        """``c = sums / counts`` (nmat, ncols): ``E[x_j²]`` per input column (per expert)."""
        return self.sums[name] / self.counts[name][:, None]

    def names(self) -> list:
        return sorted(self.sums)


def check(im: Imatrix, where) -> None:
    """The validation rules of the module docstring (``where``: the file, for the message)."""
    if not im.sums:
        raise LaaciqError(f"{where}: the importance matrix has no entries")
    if set(im.sums) != set(im.counts):
        name = sorted(set(im.sums) ^ set(im.counts))[0]
        part = _COUNTS if name in im.sums else _SUM2
        raise LaaciqError(f"{where}: tensor {name!r} has no {part} (every layer needs "
                          f"{_SUM2} and {_COUNTS})")
    for name in sorted(im.sums):
        s, c = im.sums[name], im.counts[name]
        if s.ndim != 2 or c.ndim != 1 or s.shape[0] != c.shape[0] or s.size == 0:
            raise LaaciqError(f"{where}: tensor {name!r}: {s.size} sums do not split into "
                              f"{c.size} count(s)")
        if not np.isfinite(s).all():
            raise LaaciqError(f"{where}: tensor {name!r}: {_SUM2} has a non-finite value")
        if (s < 0).any():
            raise LaaciqError(f"{where}: tensor {name!r}: {_SUM2} has a negative value "
                              f"({s.min():.6g}): sums of squares are >= 0")
        if not (np.isfinite(c).all() and (c > 0).all()):
            raise LaaciqError(f"{where}: tensor {name!r}: counts must be finite and > 0, got "
                              f"{c[~(np.isfinite(c) & (c > 0))][0]:.6g}")
        if not (s > 0).any(axis=1).all():
            raise LaaciqError(f"{where}: tensor {name!r}: every importance is zero (no "
                              f"calibration signal reached this layer)")


# =============================================================================================
# GGUF


def _field_value(reader, key):
    """A field's value (scalar, string or list) from a GGUFReader, None if absent."""
    f = reader.fields.get(key)
    return None if f is None else f.contents()


def _read_gguf(p: Path) -> Imatrix:
    from gguf import GGMLQuantizationType, GGUFReader

    try:
        reader = GGUFReader(str(p))
    except Exception as exc:                 # the library raises many types on a bad file
        raise LaaciqError(f"{p}: not a readable GGUF file: {type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    gtype = _field_value(reader, "general.type")
    if gtype is not None and gtype != "imatrix":
        raise LaaciqError(f"{p}: general.type is {gtype!r}, not 'imatrix': this GGUF file is "
                          f"not an importance matrix")
    meta = {}
    for key in (KEY_DATASETS, KEY_CHUNK_COUNT, KEY_CHUNK_SIZE):
        meta[key] = _field_value(reader, key)
        if meta[key] is None:
            raise LaaciqError(f"{p}: metadata key {key!r} is missing (llama-quantize needs "
                              f"{KEY_DATASETS}, {KEY_CHUNK_COUNT} and {KEY_CHUNK_SIZE})")
    if not isinstance(meta[KEY_DATASETS], list) or not all(isinstance(d, str)
                                                           for d in meta[KEY_DATASETS]):
        raise LaaciqError(f"{p}: metadata key {KEY_DATASETS!r} must be an array of strings")
    for key in (KEY_CHUNK_COUNT, KEY_CHUNK_SIZE):
        if not isinstance(meta[key], int) or meta[key] < 0:
            raise LaaciqError(f"{p}: metadata key {key!r} must be a non-negative integer")
    im = Imatrix(datasets=list(meta[KEY_DATASETS]), chunk_count=int(meta[KEY_CHUNK_COUNT]),
                 chunk_size=int(meta[KEY_CHUNK_SIZE]))
    for t in reader.tensors:
        if t.tensor_type != GGMLQuantizationType.F32:
            raise LaaciqError(f"{p}: tensor {t.name!r} is {t.tensor_type.name}, not F32")
        ne = [int(d) for d in t.shape]                   # ggml order: ne[0] = columns
        data = np.asarray(t.data, dtype=np.float64).reshape(-1)
        if t.name.endswith(_SUM2):
            nmat = max(1, int(np.prod(ne[1:])))
            im.sums[t.name[:-len(_SUM2)]] = data.reshape(nmat, -1)
        elif t.name.endswith(_COUNTS):
            im.counts[t.name[:-len(_COUNTS)]] = data
        elif not t.name.endswith(_SUM):
            raise LaaciqError(f"{p}: tensor {t.name!r} is not an imatrix tensor (expected "
                              f"NAME{_SUM2} and NAME{_COUNTS})")
    check(im, p)
    return im


def _atomic(path: Path, write) -> None:
    """Call ``write(temporary path)`` in ``path``'s folder and rename the result into place."""
    path = Path(path)
    if path.is_dir():
        raise LaaciqError(f"{path}: is a folder: give a file name for the importance matrix")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_imatrix(path, im: Imatrix) -> None:
    """Write ``im`` in llama.cpp's GGUF imatrix format (module docstring), atomically."""
    from gguf import GGUFWriter

    check(im, path)

    def write(tmp: Path):
        w = GGUFWriter(str(tmp), arch="")
        for kv in w.kv_data:                 # an imatrix has no architecture (as llama-imatrix)
            kv.pop("general.architecture", None)
        w.add_string("general.type", "imatrix")
        w.add_array(KEY_DATASETS, [str(d) for d in im.datasets] or ["(unknown)"])
        w.add_uint32(KEY_CHUNK_COUNT, int(im.chunk_count))
        w.add_uint32(KEY_CHUNK_SIZE, int(im.chunk_size))
        for name in im.names():
            s = np.ascontiguousarray(im.sums[name], dtype=np.float32)
            w.add_tensor(name + _SUM2, s)
            w.add_tensor(name + _COUNTS, np.asarray(im.counts[name], np.float32).reshape(-1, 1))
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
    _atomic(Path(path), write)


# =============================================================================================
# legacy .dat


def write_imatrix_dat(path, im: Imatrix) -> None:
    """Write ``im`` in the legacy ``.dat`` format: ``ncall = ceil(count / chunk_size)``
    (``chunk_size`` must be known), values ``(sums / count) · ncall``."""
    check(im, path)
    if im.chunk_size < 1:
        raise LaaciqError(f"{path}: the legacy format needs the chunk size, which is unknown")
    for name in im.names():
        if im.counts[name].size != 1:
            raise LaaciqError(f"{path}: tensor {name!r} has {im.counts[name].size} counts: the "
                              f"legacy format holds one per layer (use GGUF)")

    def write(tmp: Path):
        with open(tmp, "wb") as fh:
            fh.write(struct.pack("<i", len(im.sums)))
            for name in im.names():
                raw = name.encode("utf-8")
                count = float(im.counts[name][0])
                ncall = max(1, -(-int(round(count)) // im.chunk_size))
                vals = (im.sums[name].reshape(-1) / count * ncall).astype("<f4")
                fh.write(struct.pack("<i", len(raw)) + raw + struct.pack("<ii", ncall, vals.size))
                fh.write(vals.tobytes())
            ds = (im.datasets[-1] if im.datasets else "").encode("utf-8")
            fh.write(struct.pack("<ii", int(im.chunk_count), len(ds)) + ds)
    _atomic(Path(path), write)


def _read_dat(p: Path, raw: bytes) -> Imatrix:
    pos = 0

    def take(fmt, what):
        nonlocal pos
        n = struct.calcsize(fmt)
        if pos + n > len(raw):
            raise LaaciqError(f"{p}: truncated legacy imatrix (while reading {what})")
        out = struct.unpack_from(fmt, raw, pos)
        pos += n
        return out

    (n_entries,) = take("<i", "the entry count")
    if not 1 <= n_entries <= 1 << 20:
        raise LaaciqError(f"{p}: not an importance matrix: {n_entries} entries (legacy .dat "
                          f"starts with the entry count; GGUF files start with 'GGUF')")
    im = Imatrix()
    for i in range(n_entries):
        (ln,) = take("<i", f"entry {i + 1}'s name length")
        if not 0 < ln <= 4096:
            raise LaaciqError(f"{p}: entry {i + 1}: bad name length {ln}")
        name = raw[pos:pos + ln].decode("utf-8", "replace")
        take(f"{ln}s", f"entry {i + 1}'s name")
        ncall, nval = take("<ii", f"tensor {name!r}'s header")
        if nval < 1:
            raise LaaciqError(f"{p}: tensor {name!r}: {nval} values")
        vals = np.frombuffer(raw, dtype="<f4", count=nval, offset=pos) \
            if pos + 4 * nval <= len(raw) else None
        if vals is None:
            raise LaaciqError(f"{p}: truncated legacy imatrix (tensor {name!r}'s values)")
        pos += 4 * nval
        if name in im.sums:
            raise LaaciqError(f"{p}: tensor {name!r} appears twice")
        im.sums[name] = vals.astype(np.float64).reshape(1, -1)
        im.counts[name] = np.array([float(ncall)])
    if pos + 4 <= len(raw):
        (im.chunk_count,) = take("<i", "the chunk count")
        if pos + 4 <= len(raw):
            (ln,) = take("<i", "the dataset name length")
            if 0 < ln <= len(raw) - pos:
                im.datasets = [raw[pos:pos + ln].decode("utf-8", "replace")]
    check(im, p)
    return im


def read_imatrix(path) -> Imatrix:
    """Read a GGUF (starts with ``GGUF``) or legacy ``.dat`` importance matrix, validated."""
    p = Path(path)
    if not p.is_file():
        raise LaaciqError(f"{p}: no such importance-matrix file")
    try:
        with open(p, "rb") as fh:
            if fh.read(4) == b"GGUF":
                return _read_gguf(p)
        raw = p.read_bytes()
    except OSError as exc:
        raise LaaciqError(f"{p}: cannot read it: {exc.strerror}") from None
    return _read_dat(p, raw)
