"""Hostile checkpoints, interrupted runs, full disks, two runs on one output (issue 26).

Each test drives the real command (in-process through ``cli.main``, or as a subprocess where a
signal, a lock or a resource limit must act on its own process) and checks the files around
it: one ``laaciq: error:`` line, exit code 2, nothing written outside ``--out``, no temporary
left, and outputs compared byte for byte with an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from laaciq import cli, fsguard
from laaciq.tensor import checkpoint

PY = sys.executable


def _run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _one_error(rc, out, err, *words):
    assert rc == 2 and out == "", (rc, out, err)
    assert err.count("\n") == 1 and err.startswith("laaciq: error: "), err
    for w in words:
        assert w in err, (w, err)


def _tree(root: Path) -> dict:
    """Every file under ``root`` (hidden ones too) → its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir()
                  if fsguard.TMP_TAG in p.name or fsguard.LOCK_TAG in p.name)


def _weights(seed=0, n=4, shape=(16, 48)):
    rng = np.random.default_rng(seed)
    return {f"l{i}.weight": rng.standard_t(4, size=shape).astype(np.float32) for i in range(n)}


def _sharded(d: Path, shards: dict, meta=None) -> Path:
    """A sharded checkpoint in ``d``: ``shards`` = {shard name: {tensor: array}}."""
    d.mkdir(parents=True, exist_ok=True)
    wmap = {}
    for name, tens in shards.items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        save_file(tens, str(d / name), metadata=meta)
        wmap.update({k: name for k in tens})
    (d / "model.safetensors.index.json").write_text(json.dumps({"weight_map": wmap}))
    return d


# =============================================================================================
# 1. hostile checkpoints


def _index_pointing(tmp_path, shard_name):
    outside = tmp_path / "outside"
    outside.mkdir()
    save_file({"secret": np.ones((4, 8), np.float32)}, str(outside / "secret.safetensors"))
    ck = tmp_path / "ck"
    ck.mkdir()
    save_file({"w": np.ones((4, 8), np.float32)}, str(ck / "a.safetensors"))
    (ck / "model.safetensors.index.json").write_text(json.dumps(
        {"weight_map": {"w": "a.safetensors", "secret": shard_name}}))
    return ck


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink"])
def test_shard_outside_the_checkpoint_is_refused(capsys, tmp_path, kind):
    if kind == "symlink":
        ck = _index_pointing(tmp_path, "link.safetensors")
        (ck / "link.safetensors").symlink_to(tmp_path / "outside" / "secret.safetensors")
    else:
        name = ("../outside/secret.safetensors" if kind == "dotdot"
                else str(tmp_path / "outside" / "secret.safetensors"))
        ck = _index_pointing(tmp_path, name)
    before = _tree(tmp_path)
    for cmd in ("clip", "quantize"):
        rc, o, err = _run(capsys, cmd, ck, "--out", tmp_path / "out", "--quiet")
        _one_error(rc, o, err, "model.safetensors.index.json", "outside the checkpoint folder")
    assert _tree(tmp_path) == before and not (tmp_path / "out").exists()
    assert not _leftovers(tmp_path)


def test_symlink_out_of_a_plain_folder_is_refused(capsys, tmp_path):
    ck = _index_pointing(tmp_path, "a.safetensors")
    (ck / "model.safetensors.index.json").unlink()
    (ck / "b.safetensors").symlink_to(tmp_path / "outside" / "secret.safetensors")
    rc, o, err = _run(capsys, "clip", ck)
    _one_error(rc, o, err, "b.safetensors", "outside the checkpoint folder")


def test_shards_in_subfolders_keep_their_place_and_the_index_points_inside(capsys, tmp_path):
    """Two shards named alike in two subfolders: two output files, and the written index names
    exactly the written files (``./`` spelled out of it)."""
    w = _weights(1, n=2)
    ck = _sharded(tmp_path / "ck", {"a/model.safetensors": {"l0.weight": w["l0.weight"]},
                                    "b/model.safetensors": {"l1.weight": w["l1.weight"]}})
    doc = json.loads((ck / "model.safetensors.index.json").read_text())
    doc["weight_map"]["l0.weight"] = "./a/model.safetensors"
    (ck / "model.safetensors.index.json").write_text(json.dumps(doc))
    out = tmp_path / "out"
    rc, _, err = _run(capsys, "quantize", ck, "--out", out, "--quiet", "--jobs", "1")
    assert rc == 0, err
    index = json.loads((out / "model.safetensors.index.json").read_text())["weight_map"]
    assert index == {"l0.weight": "a/model.safetensors", "l1.weight": "b/model.safetensors"}
    for name, shard in index.items():
        f = (out / shard).resolve()
        assert out.resolve() in f.parents
        assert [e.name for e in checkpoint.open_checkpoint(f).entries] == [name]


@pytest.mark.parametrize("names", [("A.safetensors", "a.safetensors"),
                                   ("thresholds.safetensors",)])
def test_two_outputs_with_one_name_are_refused(capsys, tmp_path, names):
    w = _weights(2, n=len(names))
    ck = _sharded(tmp_path / "ck", {n: {f"l{i}.weight": w[f"l{i}.weight"]}
                                    for i, n in enumerate(names)})
    rc, o, err = _run(capsys, "quantize", ck, "--out", tmp_path / "out", "--quiet")
    _one_error(rc, o, err, "two outputs would be written to")
    assert not (tmp_path / "out").exists() and not _leftovers(tmp_path)


@pytest.mark.parametrize("name", ["../evil", "a/b", "tab\there", "bell\x07", "esc\x1b[31m",
                                  ""])
def test_tensor_names_with_separators_or_control_characters(capsys, tmp_path, name):
    f = tmp_path / "m.safetensors"
    save_file({name: np.ones((4, 8), np.float32), "ok": np.ones((4, 8), np.float32)}, str(f))
    rc, o, err = _run(capsys, "quantize", f, "--out", tmp_path / "out", "--quiet")
    _one_error(rc, o, err, "m.safetensors", "path separator or a control character")
    assert "\x1b" not in err and "\x07" not in err and "\t" not in err
    z = tmp_path / "m.npz"
    with zipfile.ZipFile(z, "w") as zf:         # np.savez would refuse some of these names
        import io

        buf = io.BytesIO()
        np.save(buf, np.ones((4, 8), np.float32))
        zf.writestr(f"{name}.npy", buf.getvalue())
    rc, o, err = _run(capsys, "clip", z)
    _one_error(rc, o, err, "m.npz")


def _gguf(path: Path, patch=None, cut=0):
    import gguf

    w = gguf.GGUFWriter(str(path), "llama")
    w.add_tensor("blk.0.w", np.linspace(-1, 1, 256, dtype=np.float32).reshape(4, 64))
    w.add_tensor("blk.1.w", np.linspace(-2, 2, 256, dtype=np.float32).reshape(4, 64))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    data = bytearray(path.read_bytes())
    if patch is not None:       # the type field of blk.1.w: after its name, n_dims, 2 dims
        at = data.find(b"blk.1.w") + len("blk.1.w") + 4 + 16
        assert struct.unpack_from("<I", data, at)[0] == 0          # F32
        struct.pack_into("<I", data, at, patch)
    path.write_bytes(bytes(data[:len(data) - cut]))
    return path


@pytest.mark.parametrize("patch, cut, words", [(99, 0, "unknown tensor type"),
                                               (None, 100, "past the end of the file"),
                                               (9, 0, "cannot dequantize")])   # 9 = Q8_1
def test_gguf_unknown_truncated_or_undequantizable(capsys, tmp_path, patch, cut, words):
    f = _gguf(tmp_path / "m.gguf", patch, cut)
    for cmd in ("clip", "quantize"):
        rc, o, err = _run(capsys, cmd, f, "--out", tmp_path / "out", "--quiet")
        _one_error(rc, o, err, "m.gguf", words)
    assert not (tmp_path / "out").exists() and not _leftovers(tmp_path)


def _raw_safetensors(path, header: bytes, hlen=None, data=b""):
    path.write_bytes(struct.pack("<Q", len(header) if hlen is None else hlen) + header + data)
    return path


@pytest.mark.parametrize("case", ["header past end", "huge header length", "overlap",
                                  "object npz"])
def test_damaged_files_stay_one_error_line(capsys, tmp_path, case):
    """Regression: the cases already clean when the issue was filed."""
    if case == "object npz":
        f = tmp_path / "m.npz"
        np.savez(f, w=np.array([{"a": 1}, None], dtype=object))
    else:
        f = tmp_path / "m.safetensors"
        hdr = {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
               "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}
        raw = json.dumps(hdr if case == "overlap" else {"a": hdr["a"]}).encode()
        if case == "header past end":
            _raw_safetensors(f, raw, hlen=len(raw) + 4096)
        elif case == "huge header length":
            _raw_safetensors(f, raw, hlen=10 ** 12)
        else:
            _raw_safetensors(f, raw, data=b"\0" * 24)
    rc, o, err = _run(capsys, "quantize", f, "--out", tmp_path / "out", "--quiet")
    _one_error(rc, o, err, f.name)
    assert not (tmp_path / "out").exists() and not _leftovers(tmp_path)


# =============================================================================================
# 2. interrupted runs, stale temporaries, two runs on one output

#: run `laaciq ARGV` in a fresh interpreter whose worker does ACTION on its 2nd block: the
#: interruption lands mid-run, deterministically, after a block has been written
_DRIVER = textwrap.dedent("""
    import os, signal, sys, time
    from laaciq import cli
    from laaciq.tensor import pipeline
    signal.signal(signal.SIGINT, signal.default_int_handler)   # even if started in background
    real, calls = pipeline.work, []
    def pause():
        open(os.environ["PAUSED"], "w").close()
        while not os.path.exists(os.environ["GO"]):
            time.sleep(0.02)
    def work(job):
        calls.append(1)
        if len(calls) == 2:
            {action}
        return real(job)
    pipeline.work = work
    sys.exit(cli.main(sys.argv[1:]))
""")
_ACTIONS = {
    "term": "os.kill(os.getpid(), signal.SIGTERM)",
    "int": "os.kill(os.getpid(), signal.SIGINT)",
    "kill9": "os.kill(os.getpid(), signal.SIGKILL)",
    "term-parent": "os.kill(os.getppid(), signal.SIGTERM); time.sleep(60)",
    "kill9-parent": "os.kill(os.getppid(), signal.SIGKILL); time.sleep(60)",
    "pause": "pause()",
}


def _driven(action, *argv, env=None, wait=True):
    code = _DRIVER.replace("{action}", _ACTIONS[action])
    cmd = [PY, "-c", code, *[str(a) for a in argv]]
    e = {**os.environ, **(env or {})}
    if not wait:
        return subprocess.Popen(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    return subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=120)


@pytest.fixture
def model(tmp_path):
    w = _weights(3, n=4)
    return _sharded(tmp_path / "ck", {"s1.safetensors": dict(list(w.items())[:2]),
                                      "s2.safetensors": dict(list(w.items())[2:])},
                    meta={f"k{i}": f"v{i}" for i in range(6)})


def _reference(capsys, model, out, *extra):
    rc, _, err = _run(capsys, "quantize", model, "--out", out, "--quiet", "--jobs", "1",
                      "--codes", *extra)
    assert rc == 0, err
    tree = _tree(out)
    tree.pop("quantize.json")           # holds timings: the one file that differs
    return tree


def test_outputs_are_byte_identical_run_to_run(capsys, tmp_path, model):
    """Metadata (6 keys, carried from the input) and the thresholds' come out in one order."""
    runs = [_reference(capsys, model, tmp_path / f"o{i}", "--per-channel", "0")
            for i in range(3)]
    assert runs[0] == runs[1] == runs[2]
    assert set(runs[0]) == {"s1.safetensors", "s2.safetensors", "model.safetensors.index.json",
                            "thresholds.safetensors", "codes.safetensors"}
    for i in range(2):
        rc, _, err = _run(capsys, "clip", model, "--out", tmp_path / f"c{i}", "--quiet",
                          "--jobs", "1")
        assert rc == 0, err
    a, b = _tree(tmp_path / "c0"), _tree(tmp_path / "c1")
    for name in a:
        if name.endswith(".safetensors"):
            assert a[name] == b[name], name


def test_npz_output_is_byte_identical(capsys, tmp_path):
    f = tmp_path / "m.npz"
    np.savez(f, **_weights(4, n=2))
    trees = []
    for i in range(2):
        rc, _, err = _run(capsys, "quantize", f, "--out", tmp_path / f"o{i}", "--quiet")
        assert rc == 0, err
        trees.append(_tree(tmp_path / f"o{i}")["m.npz"])
        with zipfile.ZipFile(tmp_path / f"o{i}" / "m.npz") as z:   # no clock time inside
            assert {zi.date_time for zi in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert trees[0] == trees[1]


@pytest.mark.parametrize("action, jobs", [("term", "1"), ("int", "1"), ("term-parent", "2")])
def test_signal_mid_run_removes_the_temporary_and_keeps_the_old_output(tmp_path, model,
                                                                       action, jobs):
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous.txt").write_text("the old output")
    before = _tree(out)
    p = _driven(action, "quantize", model, "--out", out, "--force", "--quiet", "--jobs", jobs)
    assert p.returncode == 130, (p.returncode, p.stderr)
    assert p.stderr == "laaciq: error: interrupted\n", p.stderr
    assert _tree(out) == before
    assert not _leftovers(tmp_path)


def test_kill9_then_rerun_cleans_the_stale_temporary_and_matches(capsys, tmp_path, model):
    ref = _reference(capsys, model, tmp_path / "ref")
    out = tmp_path / "out"
    p = _driven("kill9", "quantize", model, "--out", out, "--quiet", "--jobs", "1", "--codes")
    assert p.returncode == -signal.SIGKILL
    stale = [n for n in _leftovers(tmp_path) if fsguard.TMP_TAG in n]
    assert len(stale) == 1 and not out.exists()
    assert (tmp_path / stale[0] / "s1.safetensors").exists()     # it was writing
    rc, _, err = _run(capsys, "quantize", model, "--out", out, "--quiet", "--jobs", "1",
                      "--codes")
    assert rc == 0, err
    assert not _leftovers(tmp_path)
    got = _tree(out)
    got.pop("quantize.json")
    assert got == ref


def test_workers_die_with_their_parent(tmp_path, model):
    """``kill -9`` of the parent while a worker is busy: the worker ends too (it would sleep a
    minute, holding the output's files and the pipes, were it left running)."""
    from laaciq.tensor import soak

    out = tmp_path / "out"
    p = _driven("kill9-parent", "quantize", model, "--out", out, "--quiet", "--jobs", "2")
    assert p.returncode == -signal.SIGKILL
    assert fsguard.wait_until(lambda: not soak._survivors(out), 5.0), soak._survivors(out)


def test_two_runs_on_one_output_one_wins_the_other_fails_cleanly(capsys, tmp_path, model):
    ref = _reference(capsys, model, tmp_path / "ref")
    out = tmp_path / "out"
    env = {"PAUSED": str(tmp_path / "paused"), "GO": str(tmp_path / "go")}
    a = _driven("pause", "quantize", model, "--out", out, "--quiet", "--jobs", "1", "--codes",
                env=env, wait=False)
    try:
        assert fsguard.wait_until(lambda: Path(env["PAUSED"]).exists(), 60)
        b = subprocess.run([PY, "-m", "laaciq", "quantize", str(model), "--out", str(out),
                            "--force", "--quiet", "--jobs", "1"], capture_output=True,
                           text=True, timeout=120)
        assert b.returncode == 2 and b.stderr.count("\n") == 1, b.stderr
        assert "in use by another laaciq run" in b.stderr and f"pid {a.pid}" in b.stderr
        Path(env["GO"]).touch()
        _, err = a.communicate(timeout=120)
        assert a.returncode == 0, err
    finally:
        a.kill()
        a.communicate()
    got = _tree(out)
    got.pop("quantize.json")
    assert got == ref and not _leftovers(tmp_path)


def test_lock_is_released_by_the_kernel_when_its_holder_dies(tmp_path):
    path = tmp_path / ".x.laaciq-lock"
    holder = subprocess.Popen([PY, "-c", "import sys, time; from laaciq import fsguard; "
                               f"fsguard.Lock({str(path)!r}, 'x'); print('held', flush=True); "
                               "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(fsguard.LaaciqError, match=f"pid {holder.pid}"):
            fsguard.Lock(path, "x")
    finally:
        holder.kill()
        holder.communicate()
    lock = fsguard.Lock(path, "x")          # the dead holder's lock is gone
    lock.release()
    assert not path.exists()


# =============================================================================================
# 3. full disk


def test_output_space_is_reserved_not_sparse(tmp_path):
    f = tmp_path / "o.safetensors"
    checkpoint.plan_safetensors(f, [("w", "float32", (512, 512))])
    st = os.stat(f)
    assert st.st_size > 1 << 20 and st.st_blocks * 512 >= st.st_size


def _limited(limit_bytes, *argv):
    def pre():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return subprocess.run([PY, "-m", "laaciq", *[str(a) for a in argv]], capture_output=True,
                          text=True, preexec_fn=pre, timeout=120)


def test_file_size_limit_is_one_error_line(tmp_path):
    f = tmp_path / "m.safetensors"
    save_file(_weights(5, n=2, shape=(256, 512)), str(f))          # 1 MiB of weights
    out = tmp_path / "out"
    p = _limited(256 << 10, "quantize", f, "--out", out, "--quiet", "--jobs", "1")
    assert p.returncode == 2 and p.stderr.count("\n") == 1, (p.returncode, p.stderr)
    assert p.stderr.startswith(f"laaciq: error: {out}: cannot write the output: File too large")
    assert not out.exists() and not _leftovers(tmp_path)


@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)],
                       capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_full_disk_is_one_error_line_before_any_tensor(small_fs, tmp_path):
    f = tmp_path / "m.safetensors"
    save_file(_weights(6, n=2, shape=(256, 512)), str(f))          # 1 MiB > 512 KiB
    out = small_fs / "out"
    p = subprocess.run([PY, "-m", "laaciq", "quantize", str(f), "--out", str(out), "--quiet",
                        "--jobs", "1"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stderr.count("\n") == 1, (p.returncode, p.stderr)
    assert "No space left on device" in p.stderr
    assert list(small_fs.iterdir()) == []


# =============================================================================================
# 7. the soak (make soak), as a smoke run


def test_soak_smoke(tmp_path):
    """The soak in a process of its own: a run forked from this (large) test process would
    count this process's memory in its ``ru_maxrss`` (Linux keeps the high-water mark across
    fork and exec), so the memory bound is checked on runs started by a small parent, as
    ``make soak`` starts them."""
    from laaciq.tensor import soak

    r = subprocess.run([sys.executable, "-m", "laaciq.tensor.soak", "--weights", str(2 ** 13),
                        "--kills", "2", "--jobs", "1", "--seed", "1", "--dir", str(tmp_path),
                        "--json", str(tmp_path / "counts.json")],
                       capture_output=True, text=True, timeout=600)
    c = json.loads((tmp_path / "counts.json").read_text())
    assert r.returncode == 0 and c["ok"], (json.dumps(c), r.stdout, r.stderr)
    assert c["runs"] == 4 and c["mixed"] == 0 and c["leaked_files"] == 0
    assert c["leaked_processes"] == 0 and c["signals"] == {"SIGKILL": 1, "SIGTERM": 1,
                                                           "complete": 1}
    idx = json.loads((tmp_path / "ck" / "model.safetensors.index.json").read_text())
    assert len(set(idx["weight_map"].values())) == 4          # a sharded checkpoint
    assert soak.digest(tmp_path / "out") == soak.digest(tmp_path / "ref")


def test_out_holding_the_input_is_refused_even_with_force(capsys, tmp_path, model):
    before = _tree(model)
    for out in (model, tmp_path):
        rc, o, err = _run(capsys, "quantize", model, "--out", out, "--force", "--quiet")
        _one_error(rc, o, err, "would replace the input")
    assert _tree(model) == before and not _leftovers(tmp_path)
    (tmp_path / "file").write_text("x")                  # --out below a file
    rc, o, err = _run(capsys, "quantize", model, "--out", tmp_path / "file" / "out", "--quiet")
    _one_error(rc, o, err, "cannot create the output folder", "file")
