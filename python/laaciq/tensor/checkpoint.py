"""Checkpoints read one tensor at a time, and outputs written in place.

Inputs (:func:`open_checkpoint`):

* a ``.safetensors`` file, a folder of them, or a sharded checkpoint (a folder or the
  ``*.safetensors.index.json`` file itself, whose ``weight_map`` names the shard of every
  tensor). Read with the ``safetensors`` library's lazy ``safe_open`` (numpy backend): only the
  requested tensor — or the requested block of rows (``get_slice``) — is copied out of the
  memory map. bfloat16 comes back as ``ml_dtypes.bfloat16``; the fp8 formats (``F8_E4M3``,
  ``F8_E5M2``) are looked up by the library as ``numpy.float8_*`` attributes, which numpy does
  not have, so the ``ml_dtypes`` types are registered under those names first.
* ``.npy`` (memory-mapped, one tensor named after the file), ``.npz`` (one member at a time),
* GGUF (``gguf`` package: every tensor dequantized to float32, or its own float16/float32).

Every tensor is described by an :class:`Entry` (name, shape, dtype, file) without reading it.
Hostile files are refused with one error line naming the file: a shard (index entry, or a
symlink in a folder) that resolves outside the checkpoint folder, a tensor name that is empty or
holds a path separator or a control character, a GGUF tensor of a type the reader cannot
dequantize or whose data runs past the end of the file.
Floating dtypes: float16/32/64, bfloat16, float8 (e4m3fn, e5m2); integer and bool tensors are
listed as skipped; any other dtype is an error.

Outputs: :func:`plan_safetensors` writes a safetensors header for a list of tensors and sizes
the file (its space reserved: :func:`laaciq.fsguard.reserve`); :func:`write_block` then writes any block of a tensor at its offset through a memory
map, from any process, so a tensor never travels between processes and no file is held in
memory. The header follows the format (8-byte little-endian length, JSON padded with spaces to
a multiple of 8, then the data in header order; ``__metadata__`` keys sorted, so a file is
byte-identical from run to run). :func:`save_safetensors` writes whole arrays that way.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from laaciq.errors import LaaciqError
from laaciq.fsguard import reserve

__all__ = ["Entry", "Checkpoint", "open_checkpoint", "FLOAT_DTYPES", "plan_safetensors",
           "write_block", "to_float", "read_entry",
           "check_finite", "save_safetensors", "check_name"]

#: safetensors dtype code -> numpy/ml_dtypes dtype name (floating)
FLOAT_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
                "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2"}
_INT_DTYPES = {"I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8", "U64": "uint64",
               "U32": "uint32", "U16": "uint16", "U8": "uint8", "BOOL": "bool"}
_CODE_OF = {v: k for k, v in {**FLOAT_DTYPES, **_INT_DTYPES}.items()}


def _np_dtype(name: str) -> np.dtype:
    if name in ("bfloat16", "float8_e4m3fn", "float8_e5m2"):
        import ml_dtypes

        return np.dtype(getattr(ml_dtypes, name))
    return np.dtype(name)


def _register_fp8() -> None:
    """The safetensors numpy backend resolves fp8 as ``numpy.<name>``: give numpy the
    ``ml_dtypes`` types under those names (only where numpy has none)."""
    import ml_dtypes

    for name in ("float8_e4m3fn", "float8_e5m2"):
        if not hasattr(np, name):
            setattr(np, name, getattr(ml_dtypes, name))


def check_finite(x: np.ndarray, entry: "Entry") -> None:
    """The pipeline's one finiteness check (per tensor or block, in chunks), at load time."""
    flat = x.reshape(-1)
    for lo in range(0, flat.size, 1 << 22):
        blk = flat[lo:lo + (1 << 22)]
        if not np.isfinite(blk).all():
            bad = blk[~np.isfinite(blk)][0]
            raise LaaciqError(f"{entry.file}: tensor {entry.name!r} has a non-finite value "
                              f"({bad}): drop or replace NaN/inf first")


def check_name(name: str, file) -> str:
    """A tensor name, or the error for one that is empty or holds a path separator or a
    control character (it becomes an output name, a zip member, a terminal line)."""
    if not isinstance(name, str) or not name or "/" in name or "\\" in name \
            or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in name):
        raise LaaciqError(f"{file}: tensor name {name!r} is empty or holds a path separator or a "
                          f"control character: rename it")
    return name


def to_float(raw: np.ndarray) -> np.ndarray:
    """float32 (float64 stays float64) copy-free where possible: the working precision."""
    if raw.dtype == np.float64 or raw.dtype == np.float32:
        return np.asarray(raw)
    return raw.astype(np.float32)


@dataclass(frozen=True)
class Entry:
    """One tensor of a checkpoint: ``dtype`` is the numpy/ml_dtypes name ("bfloat16", ...),
    ``floating`` whether it can be quantized, ``file`` where it lives, ``kind`` its format."""

    name: str
    shape: tuple
    dtype: str
    file: Path
    kind: str

    @property
    def floating(self) -> bool:
        return self.dtype in FLOAT_DTYPES.values()

    @property
    def size(self) -> int:
        return int(math.prod(self.shape))


class Checkpoint:
    """The tensors of a checkpoint (``entries``, in file order) and how to read them.

    ``layout``: "safetensors" (one or more files; ``index`` the sharded index document or
    None), "npy", "npz" or "gguf"; ``metadata``: per safetensors file, its ``__metadata__``."""

    def __init__(self, path: Path, layout: str, entries: list[Entry], index=None,
                 metadata=None, names=None):
        self.path, self.layout, self.entries = path, layout, entries
        self.index = index
        self.metadata = metadata or {}
        self.by_name = {e.name: e for e in entries}
        self.names = names or {}

    def rel(self, file: Path) -> str:
        """The name of ``file`` inside the checkpoint (``sub/x.safetensors`` for a shard in a
        subfolder of a sharded checkpoint, else the file name): the output keeps it."""
        return self.names.get(file, Path(file).name)

    @property
    def files(self) -> list[Path]:
        seen: dict[Path, None] = {}
        for e in self.entries:
            seen.setdefault(e.file, None)
        return list(seen)

    def read(self, entry: Entry, index=None) -> np.ndarray:
        return read_entry(entry, index)


def read_entry(entry: Entry, index=None) -> np.ndarray:
    """The tensor ``entry`` in its own dtype, or the block ``index`` (a tuple of slices)."""
    try:
        return _read(entry, index)
    except LaaciqError:
        raise
    except Exception as exc:  # noqa: BLE001 — any reader failure is a malformed file
        raise LaaciqError(f"{entry.file}: cannot read tensor {entry.name!r}: "
                          f"{type(exc).__name__}: {_first_line(exc)}") from None


def _first_line(exc) -> str:
    s = str(exc)
    return s.splitlines()[0] if s else ""


_GGUF_CACHE: dict = {}


def _gguf_reader(path: Path):
    key = str(path)
    if key not in _GGUF_CACHE:
        import gguf

        _GGUF_CACHE.clear()
        _GGUF_CACHE[key] = gguf.GGUFReader(key)
    return _GGUF_CACHE[key]


def _read(entry: Entry, index):
    if entry.kind == "safetensors":
        import ml_dtypes  # noqa: F401 — registers "bfloat16" with numpy for the library
        from safetensors import safe_open

        if entry.dtype.startswith("float8"):
            _register_fp8()
        with safe_open(str(entry.file), framework="np") as f:
            if index is None:
                return f.get_tensor(entry.name)
            return f.get_slice(entry.name)[index]
    if entry.kind == "npy":
        arr = np.load(entry.file, mmap_mode="r", allow_pickle=False)
        return np.array(arr if index is None else arr[index])
    if entry.kind == "npz":
        with np.load(entry.file, allow_pickle=False) as z:
            arr = z[entry.name]
        return arr if index is None else np.ascontiguousarray(arr[index])
    # gguf
    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize

    t = next(t for t in _gguf_reader(entry.file).tensors if t.name == entry.name)
    if t.tensor_type in (GGMLQuantizationType.F32, GGMLQuantizationType.F16):
        arr = np.asarray(t.data)
    else:
        arr = np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32)
    arr = arr.reshape(entry.shape)
    return arr if index is None else np.ascontiguousarray(arr[index])


# =============================================================================================
# opening


def open_checkpoint(path) -> Checkpoint:
    """Describe the checkpoint at ``path`` without reading any tensor (module docstring)."""
    p = Path(path)
    if not p.exists():
        raise LaaciqError(f"{p}: no such file or folder")
    try:
        if p.is_dir():
            idx = sorted(p.glob("*.safetensors.index.json"))
            if len(idx) > 1:
                raise LaaciqError(f"{p}: several index files ({', '.join(i.name for i in idx)}):"
                                  f" pass the one to use")
            if idx:
                return _open_index(idx[0])
            files = [_inside(p, f.name, p) for f in sorted(p.glob("*.safetensors"))]
            if not files:
                raise LaaciqError(f"{p}: no .safetensors file or "
                                  f"model.safetensors.index.json in this folder")
            return _open_safetensors(p, files, None)
        name = p.name.lower()
        if name.endswith(".index.json"):
            return _open_index(p)
        if name.endswith(".safetensors"):
            return _open_safetensors(p, [p], None)
        if name.endswith(".npy"):
            return _open_npy(p)
        if name.endswith(".npz"):
            return _open_npz(p)
        if name.endswith(".gguf"):
            return _open_gguf(p)
    except LaaciqError:
        raise
    except Exception as exc:  # noqa: BLE001 — any reader failure is a malformed file
        raise LaaciqError(f"{p}: cannot read it: {type(exc).__name__}: "
                          f"{_first_line(exc)}") from None
    raise LaaciqError(f"{p}: unknown format {p.suffix or '(no extension)'!r}: use .safetensors "
                      f"(a file, a folder or a sharded index), .npy, .npz or .gguf")


def _dtype_name(code: str, where: str) -> str:
    if code in FLOAT_DTYPES:
        return FLOAT_DTYPES[code]
    if code in _INT_DTYPES:
        return _INT_DTYPES[code]
    raise LaaciqError(f"{where}: unknown dtype {code!r}: laaciq reads "
                      f"{', '.join(FLOAT_DTYPES)} (and skips integer/bool tensors)")


def _header(path: Path) -> dict:
    """The safetensors header (names, dtype codes, shapes), read with the library."""
    from safetensors import safe_open

    out = {}
    with safe_open(str(path), framework="np") as f:
        meta = f.metadata() or {}
        for k in f.keys():
            sl = f.get_slice(k)
            out[k] = (sl.get_dtype(), tuple(int(d) for d in sl.get_shape()))
    return {"tensors": out, "metadata": meta}


def _open_safetensors(root: Path, files, index) -> Checkpoint:
    entries, metadata, seen = [], {}, {}
    for f in files:
        h = _header(f)
        metadata[f] = h["metadata"]
        for k, (code, shape) in h["tensors"].items():
            if index is None and k in seen:
                raise LaaciqError(f"{f}: tensor {k!r} is also in {seen[k]}: one name, two "
                                  f"tensors (pass one file, or a sharded index)")
            seen[k] = f
            entries.append(Entry(check_name(k, f), shape,
                                 _dtype_name(code, f"{f}: tensor {k!r}"), f, "safetensors"))
    return Checkpoint(root, "safetensors", entries, index, metadata)


def _inside(root: Path, name, where: Path) -> Path:
    """``root/name`` if it is a relative name that stays inside ``root`` once every symlink is
    resolved; else the error naming ``where`` (the index or the folder)."""
    bad = not isinstance(name, str) or not name or "\\" in name or Path(name).is_absolute() \
        or ".." in name.split("/") or any(ord(c) < 32 for c in name)
    if not bad:
        f = root / name
        real, top = f.resolve(), root.resolve()
        bad = real != top and top not in real.parents
    if bad:
        raise LaaciqError(f"{where}: shard {name!r} lies outside the checkpoint folder "
                          f"{root} (absolute, '..' or a symlink out of it): refusing to read it")
    return root / name


def _open_index(path: Path) -> Checkpoint:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        wmap = doc["weight_map"]
        if not isinstance(wmap, dict):
            raise TypeError("weight_map is not an object")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LaaciqError(f"{path}: not a sharded-checkpoint index (expected JSON with a "
                          f"\"weight_map\" object): {type(exc).__name__}: {exc}") from None
    shards: dict[str, list[str]] = {}
    for name, shard in wmap.items():
        shards.setdefault(shard, []).append(name)
    files, names = [], {}
    for shard in shards:
        f = _inside(path.parent, shard, path)
        if f in names:
            raise LaaciqError(f"{path}: shards {names[f]!r} and {shard!r} are one file: list "
                              f"each shard under one name")
        names[f] = str(f.relative_to(path.parent).as_posix())
        if not f.is_file():
            raise LaaciqError(f"{path}: shard {shard!r} (holding {shards[shard][0]!r}) is listed "
                              f"in the index but missing from {path.parent}")
        files.append(f)
    ck = _open_safetensors(path.parent, files, doc)
    ck.names = names
    listed = set(wmap)
    have = {e.name for e in ck.entries}
    missing = sorted(listed - have)
    if missing:
        raise LaaciqError(f"{path}: tensor {missing[0]!r} is listed in the index but not in its "
                          f"shard {wmap[missing[0]]!r}")
    ck.entries = [e for e in ck.entries if e.name in listed
                  and _inside(path.parent, wmap[e.name], path) == e.file]
    ck.by_name = {e.name: e for e in ck.entries}
    return ck


def _npy_header(fh):
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fh)
    return np.lib.format.read_array_header_2_0(fh)


def _npy_entry(name, shape, dtype, file, kind) -> Entry:
    if dtype.kind == "V" or dtype.hasobject:
        raise LaaciqError(f"{file}: array {name!r} has dtype {dtype}, which laaciq cannot read")
    check_name(name, file)
    return Entry(name, tuple(int(d) for d in shape), dtype.name if dtype.kind != "b" else "bool",
                 file, kind)


def _open_npy(p: Path) -> Checkpoint:
    with open(p, "rb") as fh:
        shape, fortran, dtype = _npy_header(fh)
    return Checkpoint(p, "npy", [_npy_entry(p.stem, shape, dtype, p, "npy")])


def _open_npz(p: Path) -> Checkpoint:
    entries = []
    with zipfile.ZipFile(p) as z:
        for info in z.infolist():
            if not info.filename.endswith(".npy"):
                continue
            with z.open(info) as fh:
                shape, _, dtype = _npy_header(fh)
            entries.append(_npy_entry(info.filename[:-4], shape, dtype, p, "npz"))
    return Checkpoint(p, "npz", entries)


def _open_gguf(p: Path) -> Checkpoint:
    from gguf import GGMLQuantizationType as T
    from gguf.quants import _type_traits

    try:
        tensors = _gguf_reader(p).tensors
    except ValueError as exc:   # the reader's words for an unknown type or data past the end
        raise LaaciqError(f"{p}: not a readable GGUF file (unknown tensor type, or tensor data "
                          f"past the end of the file): {_first_line(exc)}") from None
    entries = []
    for t in tensors:
        name = check_name(t.name, p)
        shape = tuple(int(d) for d in reversed([int(v) for v in t.shape]))
        if t.tensor_type == T.F16:
            dt = "float16"
        elif t.tensor_type in (T.I8, T.I16, T.I32, T.I64):
            dt = t.tensor_type.name.replace("I", "int")
        elif t.tensor_type == T.F32 or t.tensor_type in _type_traits:
            dt = "float32"                      # F32 and every quantized type (dequantized)
        else:
            raise LaaciqError(f"{p}: tensor {name!r} has GGUF type {t.tensor_type.name}, which "
                              f"laaciq cannot dequantize")
        entries.append(Entry(name, shape, dt, p, "gguf"))
    return Checkpoint(p, "gguf", entries)


# =============================================================================================
# writing


def plan_safetensors(path: Path, tensors, metadata=None) -> dict:
    """Write the header of a safetensors file holding ``tensors`` = ``[(name, dtype name,
    shape)]`` (in that order) and size the file; returns ``{name: (offset, dtype name,
    shape)}`` with absolute byte offsets for :func:`write_block`."""
    hdr, plan, off = {}, {}, 0
    for name, dt, shape in tensors:
        nbytes = int(math.prod(shape)) * _np_dtype(dt).itemsize
        hdr[name] = {"dtype": _CODE_OF[dt], "shape": [int(d) for d in shape],
                     "data_offsets": [off, off + nbytes]}
        plan[name] = (off, dt, tuple(int(d) for d in shape))
        off += nbytes
    if metadata:
        hdr = {"__metadata__": {str(k): str(metadata[k]) for k in sorted(metadata)}, **hdr}
    raw = json.dumps(hdr, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    base = 8 + len(raw)
    with open(path, "wb") as fh:
        reserve(fh.fileno(), base + off)        # a full disk fails here, not in a memory map
        fh.write(struct.pack("<Q", len(raw)))
        fh.write(raw)
        fh.truncate(base + off)
    return {k: (base + o, dt, shape) for k, (o, dt, shape) in plan.items()}


def save_safetensors(path: Path, tensors: dict, metadata=None) -> None:
    """Write ``{name: array}`` as a safetensors file (in that order; metadata sorted), byte for
    byte the same for the same input (the library's writer orders metadata at random)."""
    arrays = {k: np.asarray(v, order="C") for k, v in tensors.items()}   # 0-d stays 0-d
    plan = plan_safetensors(path, [(k, _dtype_of(v), v.shape) for k, v in arrays.items()],
                            metadata)
    with open(path, "r+b") as fh:
        for k, v in arrays.items():
            fh.seek(plan[k][0])
            fh.write(v.tobytes())


def _dtype_of(a: np.ndarray) -> str:
    return "bool" if a.dtype.kind == "b" else a.dtype.name


def write_block(path, offset: int, dtype: str, shape: tuple, index, values) -> None:
    """Write ``values`` into block ``index`` (tuple of slices, or None for all) of the tensor
    of ``shape``/``dtype`` stored at byte ``offset`` of ``path`` (cast to ``dtype`` here)."""
    dt = _np_dtype(dtype)
    if math.prod(shape) == 0:
        return
    mm = np.memmap(path, dtype=dt, mode="r+", offset=offset, shape=tuple(shape))
    if index is None:
        mm[...] = np.asarray(values).astype(dt, copy=False)
    else:
        mm[index] = np.asarray(values).astype(dt, copy=False)
    mm.flush()
    del mm
