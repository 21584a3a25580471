"""Files (bottom layer): atomic writes, so a report is never left half-written; JSON reading
with one-line errors; and :func:`project_root`, the project folder found from the current one."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from laaciq.errors import LaaciqError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; a report is for reading
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def read_json(path: Path, what: str, fix: str):
    """Parse a JSON file; a missing or malformed file raises one :class:`LaaciqError` line
    naming ``what`` it is, the path, the problem and the ``fix``."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LaaciqError(f"{what} {path} does not exist: {fix}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno}: {exc.msg})" \
            if isinstance(exc, json.JSONDecodeError) else ""
        raise LaaciqError(f"{what} {path} is not valid JSON{where}: {fix}") from None


def project_root(start: Path | None = None) -> Path:
    """The folder holding ``lakefile.lean`` (the current folder or one of its parents)."""
    here = (start or Path.cwd()).resolve()
    for p in (here, *here.parents):
        if (p / "lakefile.lean").exists() and (p / "LaAciq").is_dir():
            return p
    raise LaaciqError(f"no LA-ACIQ project (lakefile.lean and LaAciq/) at or above {here}")
