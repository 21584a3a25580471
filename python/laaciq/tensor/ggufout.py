"""``laaciq quantize --format gguf:Q4_0|gguf:Q5_0|gguf:Q8_0``: a GGUF file that llama.cpp runs, its
block matrices at the exact per-block optimum of :mod:`laaciq.tensor.blockfmt`.

Input: a GGUF file (an F32/F16/BF16 one, or a quantized one whose tensors gguf-py dequantizes).
Every metadata key/value (tokenizer included) is copied as it is, except
``general.file_type`` and ``general.quantization_version``, which are set as llama-quantize sets
them (the format's ``LLAMA_FTYPE_MOSTLY_*``, 2). Tensors keep their order, names and shapes.
Hugging Face folders are not read here (convert them with llama.cpp's ``convert_hf_to_gguf.py``
first).

Tensor policy (llama-quantize with ``--pure``: ``src/llama-quant.cpp`` of the llama.cpp vendored
in llama-cpp-python 0.3.36): a tensor is quantized when it has at least 2 dimensions, its name ends
in ``weight`` and it is none of the kinds llama.cpp never quantizes (``_norm.weight``,
``ffn_gate_inp.weight``, ``altup``, ``laurel``, ``per_layer_model_proj``, ``position_embd.weight``,
``token_types.weight``, ``ssm_conv1d``, the RWKV ``time_mix_*`` weights, ``attn_rel_b.weight``,
some multimodal ones: ``_NEVER``); every other tensor is copied byte for byte. Quantized tensors
get the format, ``output.weight`` included (with ``--pure`` llama.cpp gives it the default type
too); ``token_embd.weight`` (and ``per_layer_token_embd.weight``) get ``--token-embedding-type``
(``same``: the format, as ``--pure``; ``f32``, ``f16``, ``q8_0``). A tensor already stored in its
target type is copied (llama.cpp's ``cur_type != new_type`` rule; re-quantizing it would be
lossless anyway). A row length that is not a multiple of 32 becomes F16, llama-quantize's
fallback for 32-block types (``tensor_type_fallback``).

Importances (``--imatrix``): llama.cpp's importance matrix, one value per input column (per
expert for 3-D tensors), weights the block objective. A tensor without an entry is quantized on
the weight error (llama.cpp does the same); an entry for a tensor the model lacks, or of the
wrong size, is an error (an imatrix of another model).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from laaciq.errors import LaaciqError
from laaciq.tensor import blockfmt

__all__ = ["GGUF_FORMATS", "EMBED_TYPES", "parse_format", "load_importances", "quantizable",
           "plan", "write_gguf", "gguf_table"]

GGUF_FORMATS = tuple(f"gguf:{k}" for k in blockfmt.FORMATS)
EMBED_TYPES = ("same", "f32", "f16", "q8_0")
TOKEN_EMBD = "token_embd.weight"

#: names (substrings) llama-quantize never quantizes (src/llama-quant.cpp,
#: ``tensor_allows_quantization``, as vendored in llama-cpp-python 0.3.36; the GLM5-next-only
#: names are left out)
_NEVER = ("_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel",
          "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight",
          "indexer.k_proj.weight", "indexer.q_proj.weight", "attn_rel_b.weight",
          *(f"time_mix_{k}.weight" for k in ("first", "w0", "w1", "w2", "v0", "v1", "v2", "a0",
                                             "a1", "a2", "g1", "g2", "decay_w1", "decay_w2",
                                             "lerp_fused")),
          ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd",
          ".patch_merger", "a.rvq.codebook", "mm.a.code_embd")
_NEVER_EXACT = ("position_embd.weight", "token_types.weight")
_TOKEN_EMBDS = (TOKEN_EMBD, "per_layer_token_embd.weight")


def parse_format(text: str) -> blockfmt.BlockFormat:
    """The block format of ``gguf:Q4_0`` etc.; anything else is one-line error."""
    if text not in GGUF_FORMATS:
        raise LaaciqError(f"unsupported --format {text!r}: choose table, json or one of "
                          f"{', '.join(GGUF_FORMATS)}")
    return blockfmt.FORMATS[text.split(":", 1)[1]]


def load_importances(path, names) -> dict:
    """Per tensor name, llama.cpp's importance vector (``E[x_j²]`` per input column, experts
    concatenated) from an imatrix file, GGUF or legacy ``.dat`` (:mod:`laaciq.tensor.imatrix`)."""
    from laaciq.tensor.imatrix import read_imatrix

    im = read_imatrix(path)
    return {n: im.importance(n).reshape(-1) for n in im.names()}


def _n_dims(shape) -> int:
    """ggml_n_dims: the number of dimensions up to the last one larger than 1."""
    n = 1
    for i, s in enumerate(shape):
        if s > 1:
            n = i + 1
    return n


def quantizable(name: str, ne) -> bool:
    """llama-quantize's rule for which tensors get the quantized type (module docstring)."""
    return (name.endswith("weight") and _n_dims(ne) >= 2
            and not any(k in name for k in _NEVER) and name not in _NEVER_EXACT)


def plan(tensors, fmt: blockfmt.BlockFormat, token_embedding_type: str = "same") -> list:
    """Per reader tensor, ``(tensor, target)``: a ``GGMLQuantizationType`` to convert to, or None
    to copy the stored bytes (the module docstring's policy)."""
    from gguf import GGMLQuantizationType as T

    if token_embedding_type not in EMBED_TYPES:
        raise LaaciqError(f"unsupported --token-embedding-type {token_embedding_type!r}: "
                          f"choose {', '.join(EMBED_TYPES)}")
    emb = {"same": fmt.qtype, "f32": T.F32, "f16": T.F16, "q8_0": T.Q8_0}[token_embedding_type]
    out = []
    for t in tensors:
        ne = [int(s) for s in t.shape]
        target = None
        if quantizable(t.name, ne):
            target = emb if t.name in _TOKEN_EMBDS else fmt.qtype
            if target.name in blockfmt.FORMATS and ne[0] % blockfmt.BLOCK:
                target = T.F16
            if target == t.tensor_type:
                target = None
        out.append((t, target))
    return out


_SCALAR = {0: "<u1", 1: "<i1", 2: "<u2", 3: "<i2", 4: "<u4", 5: "<i4", 6: "<f4", 7: "<u1",
           10: "<u8", 11: "<i8", 12: "<f8"}


def _plain(text: str, what: str) -> str:
    """A metadata key or tensor name without control characters (they are copied into the output
    and printed), else an error."""
    if not text or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        raise ValueError(f"{what} {text[:60]!r} is empty or holds a control character")
    return text


class _GGUF:
    """A GGUF file's key/values and tensors, parsed from the format directly: gguf-py's
    ``GGUFReader`` spends ~10 s on a 262k-token vocabulary, this ~0.3 s. ``fields``: ``(key,
    value type, value, array item type)``; ``tensors``: ``_Tensor`` with ``data`` a read-only
    memory map (float32/float16 arrays in numpy order, else bytes of shape ``(..., row bytes)``,
    as gguf-py gives them)."""

    def __init__(self, path):
        from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

        self.mm = np.memmap(path, dtype=np.uint8, mode="r")
        self.pos = 0
        if self._take(4) != b"GGUF":
            raise ValueError("no GGUF magic")
        version, n_t, n_kv = self._num("<u4"), self._num("<u8"), self._num("<u8")
        if version not in (2, 3):
            raise ValueError(f"GGUF version {version}")
        # every key/value takes >= 12 bytes and every tensor info >= 24: counts that cannot fit
        # in the file are refused before any loop runs
        self._fits(n_kv, 12, "key/value count")
        self._fits(n_t, 24, "tensor count")
        self.fields = []
        for _ in range(n_kv):
            key = _plain(self._str(), "metadata key")
            vt = self._num("<u4")
            sub = None
            if vt == 9:
                sub = self._num("<u4")
                val = self._array(sub, self._num("<u8"))
            else:
                val = self._value(vt)
            self.fields.append((key, vt, val, sub))
        align = next((v for k, _, v, _ in self.fields if k == "general.alignment"), 32)
        if not isinstance(align, int) or not 1 <= align <= 1 << 16 or align & (align - 1):
            raise ValueError(f"general.alignment {align!r} is not a power of two up to 65536")
        infos = []
        for _ in range(n_t):
            name = _plain(self._str(), "tensor name")
            nd = self._num("<u4")
            if not 1 <= nd <= 4:
                raise ValueError(f"tensor {name!r} has {nd} dimensions (1..4 allowed)")
            ne = [self._num("<u8") for _ in range(nd)]
            infos.append((name, ne, GGMLQuantizationType(self._num("<u4")), self._num("<u8")))
        start = -(-self.pos // align) * align
        self.tensors = []
        for name, ne, qt, off in infos:
            block, size = GGML_QUANT_SIZES[qt]
            n = int(np.prod([int(x) for x in ne], dtype=object))
            nbytes = n // block * size
            if n % block or ne[0] % block or start + off + nbytes > self.mm.size:
                raise ValueError(f"tensor {name!r} ({'x'.join(map(str, ne))}, {qt.name}) "
                                 f"does not fit the file")
            raw = self.mm[start + off:start + off + nbytes]
            shape = tuple(reversed(ne))
            if qt == GGMLQuantizationType.F32:
                data = raw.view(np.float32).reshape(shape)
            elif qt == GGMLQuantizationType.F16:
                data = raw.view(np.float16).reshape(shape)
            else:
                data = raw.reshape(shape[:-1] + (shape[-1] // block * size,))
            self.tensors.append(_Tensor(name, qt, ne, n, nbytes, data))

    def _fits(self, n, each, what):
        if n * each > self.mm.size - self.pos:
            raise ValueError(f"{what} {n} cannot fit in the {self.mm.size}-byte file")

    def _take(self, n) -> bytes:
        self._fits(n, 1, "a length of")
        v = bytes(self.mm[self.pos:self.pos + n])
        self.pos += n
        return v

    def _num(self, fmt):
        dt = np.dtype(fmt)
        return np.frombuffer(self._take(dt.itemsize), dtype=dt)[0].item()

    def _str(self):
        return self._take(self._num("<u8")).decode("utf-8")

    def _value(self, vt):
        if vt == 8:
            return self._str()
        v = self._num(_SCALAR[vt])
        return bool(v) if vt == 7 else v

    def _array(self, sub, n):
        if sub == 8:
            self._fits(n, 8, "string array length")
            buf = memoryview(self.mm)[self.pos:]          # no copy of the rest of the file
            out, p = [], 0
            for _ in range(n):
                k = int.from_bytes(buf[p:p + 8], "little")
                if p + 8 + k > len(buf):
                    raise ValueError("a string of an array runs past the end of the file")
                out.append(str(buf[p + 8:p + 8 + k], "utf-8"))
                p += 8 + k
            self.pos += p
            return out
        if sub == 9:
            raise ValueError("nested arrays are not supported")
        dt = np.dtype(_SCALAR[sub])
        self._fits(n, dt.itemsize, "array length")
        a = self.mm[self.pos:self.pos + n * dt.itemsize].view(dt)
        self.pos += n * dt.itemsize
        return [bool(v) for v in a] if sub == 7 else a.tolist()


class _Tensor:
    __slots__ = ("name", "tensor_type", "shape", "n_elements", "n_bytes", "data")

    def __init__(self, name, tensor_type, shape, n_elements, n_bytes, data):
        self.name, self.tensor_type, self.shape = name, tensor_type, shape
        self.n_elements, self.n_bytes, self.data = n_elements, n_bytes, data


def _check_importances(imp: dict, tensors) -> None:
    """An entry per model tensor name, of the tensor's row length times its experts."""
    by = {t.name: [int(s) for s in t.shape] for t in tensors}
    for name, v in imp.items():
        if name not in by:
            raise LaaciqError(f"--imatrix has an entry for {name!r}, which this model does not "
                              f"have: an importance matrix of another model?")
        ne = by[name]
        want = ne[0] * (ne[2] if len(ne) > 2 else 1)
        if np.asarray(v).size != want and name != TOKEN_EMBD:
            raise LaaciqError(f"--imatrix entry {name!r} has {np.asarray(v).size} values, the "
                              f"tensor needs {want}: an importance matrix of another model?")
        if not np.all(np.isfinite(v)) or np.any(np.asarray(v) < 0):
            raise LaaciqError(f"--imatrix entry {name!r} has negative or non-finite values")


def _convert(t, target, imp, value_weighted=False):
    """``(bytes or array, record)`` of one tensor converted to ``target``."""
    from gguf import GGMLQuantizationType as T
    from gguf.quants import dequantize

    x = np.asarray(t.data) if t.tensor_type == T.F32 else dequantize(t.data, t.tensor_type)
    x = np.asarray(x, dtype=np.float32)
    if not np.all(np.isfinite(x)):
        raise LaaciqError(f"tensor {t.name!r} has a non-finite value")
    rec = {}
    if target == T.F32:
        return np.ascontiguousarray(x), rec
    if target == T.F16:
        return x.astype(np.float16), rec
    fmt = blockfmt.FORMATS[target.name]
    x3 = x.reshape(-1, x.shape[-2], x.shape[-1]) if x.ndim >= 2 else x.reshape(1, 1, -1)
    imp3 = None
    if imp is not None and np.asarray(imp).size == x3.shape[0] * x3.shape[-1]:
        imp3 = np.asarray(imp, dtype=np.float32).reshape(x3.shape[0], x3.shape[-1])
    parts, sse = [], np.zeros(2)
    for e in range(x3.shape[0]):                   # experts: one importance vector each
        raw, s = blockfmt.quantize_matrix(x3[e], fmt, None if imp3 is None else imp3[e],
                                          value_weighted)
        parts.append(raw)
        sse += s
    raw = np.stack(parts).reshape(*x.shape[:-1], -1)
    rec = {"importance": imp3 is not None, "weighted_sse": float(sse[0]) if imp3 is not None
           else None, "sse": float(sse[1]), "sum_sq": float(np.square(x, dtype=np.float64).sum())}
    return raw, rec


def _copy_metadata(reader, writer, fmt) -> None:
    import gguf

    ftype = gguf.LlamaFileType[f"MOSTLY_{fmt.name}"]
    skip = (gguf.Keys.General.ARCHITECTURE, gguf.Keys.General.FILE_TYPE,
            gguf.Keys.General.QUANTIZATION_VERSION)
    for key, vt, val, sub in reader.fields:
        if key in skip:
            continue
        if key == gguf.Keys.General.ALIGNMENT:
            writer.data_alignment = int(val)
        writer.add_key_value(key, val, gguf.GGUFValueType(vt),
                             sub_type=None if sub is None else gguf.GGUFValueType(sub))
    writer.add_uint32(gguf.Keys.General.QUANTIZATION_VERSION, gguf.GGML_QUANT_VERSION)
    writer.add_uint32(gguf.Keys.General.FILE_TYPE, int(ftype))


def _shape_info(t, target):
    """``(numpy shape, dtype, nbytes, raw type)`` for ``add_tensor_info``."""
    from gguf import GGMLQuantizationType as T

    if target is None:
        return t.data.shape, t.data.dtype, int(t.n_bytes), t.tensor_type
    shape = tuple(int(s) for s in reversed([int(s) for s in t.shape]))
    n = int(np.prod(shape))
    if target == T.F32:
        return shape, np.dtype(np.float32), 4 * n, None
    if target == T.F16:
        return shape, np.dtype(np.float16), 2 * n, None
    fmt = blockfmt.FORMATS[target.name]
    bshape = shape[:-1] + (shape[-1] // blockfmt.BLOCK * fmt.type_size,)
    return bshape, np.dtype(np.uint8), n // blockfmt.BLOCK * fmt.type_size, target


def write_gguf(src, dst, fmt: blockfmt.BlockFormat, importances=None,
               token_embedding_type: str = "same", quiet: bool = True,
               value_weighted: bool = False) -> dict:
    """Write ``dst`` (a GGUF file) from the GGUF ``src`` (module docstring); returns the record
    of what was done per tensor. ``importances``: ``{tensor name: per-column weights}``;
    ``value_weighted``: weigh them by the value as llama.cpp does
    (:func:`laaciq.tensor.blockfmt.quantize_matrix`)."""
    import gguf

    src = Path(src)
    if src.is_dir() or src.suffix.lower() != ".gguf":
        raise LaaciqError(f"{src}: --format gguf:… needs a .gguf input (Hugging Face folders: "
                          f"convert them with llama.cpp's convert_hf_to_gguf.py first)")
    try:
        reader = _GGUF(str(src))
    except Exception as exc:  # noqa: BLE001 — any reader failure is a malformed file
        raise LaaciqError(f"{src}: not a readable GGUF file ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    arch = next((v for k, _, v, _ in reader.fields if k == gguf.Keys.General.ARCHITECTURE), None)
    if not isinstance(arch, str):
        raise LaaciqError(f"{src}: no general.architecture key")
    imp = dict(importances or {})
    _check_importances(imp, reader.tensors)
    todo = plan(reader.tensors, fmt, token_embedding_type)
    writer = gguf.GGUFWriter(str(dst), arch)
    _copy_metadata(reader, writer, fmt)
    nbytes = []
    for t, target in todo:
        info = _shape_info(t, target)
        nbytes.append(info[2])
        writer.add_tensor_info(t.name, *info)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    recs = []
    quiet = quiet or not sys.stderr.isatty()
    t_all = time.perf_counter()
    for j, (t, target) in enumerate(todo):
        t0 = time.perf_counter()
        rec = {"name": t.name, "shape": [int(s) for s in t.shape], "input": t.tensor_type.name,
               "elements": int(t.n_elements), "bytes": nbytes[j]}
        if target is None:
            writer.write_tensor_data(t.data)
            rec.update(output=t.tensor_type.name, action="copied")
        else:
            data, extra = _convert(t, target, imp.get(t.name), value_weighted)
            writer.write_tensor_data(data)
            rec.update(output=target.name, action="quantized" if extra else "converted", **extra)
        rec["seconds"] = time.perf_counter() - t0
        recs.append(rec)
        if not quiet:
            print(f"\r[{j + 1}/{len(todo)}] {t.name} -> {rec['output']}", end="",
                  file=sys.stderr, flush=True)
    if not quiet:
        print(file=sys.stderr)
    writer.close()
    return {"tensors": recs, "seconds_tensors": time.perf_counter() - t_all,
            "imatrix_entries": len(imp)}


def gguf_table(doc: dict) -> str:
    """A short human summary of a ``quantize --format gguf:…`` run."""
    by: dict = {}
    for r in doc["tensors"]:
        by.setdefault((r["action"], r["output"]), []).append(r)
    lines = [f"{doc['file']} -> {doc['out']} ({doc['format']}, token embedding "
             f"{doc['token_embedding_type']}): {len(doc['tensors'])} tensors, "
             f"{doc['bits_per_weight']:.4f} bits per weight, {doc['wall_seconds']:.2f} s"]
    for (action, out), rs in sorted(by.items()):
        lines.append(f"  {action:<10} {out:<6} {len(rs):>5} tensors")
    q = [r for r in doc["tensors"] if r["action"] == "quantized"]
    if q:
        rel = sum(r["sse"] for r in q) / max(sum(r["sum_sq"] for r in q), 1e-300)
        lines.append(f"  quantized weights: relative squared error {rel:.4g}")
    return "\n".join(lines)
