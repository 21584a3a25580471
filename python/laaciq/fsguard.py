"""Files that another run, another user or a full disk may spoil (bottom layer).

* :class:`Lock` — an exclusive ``fcntl`` (POSIX record) lock on a lock file. The kernel drops it
  when its process dies (``kill -9`` included) and forked children do not inherit it, so a held
  lock always means a live run; its file holds ``pid start-time`` for the message.
* :func:`private_dir` — a cache folder created with mode 0700 and refused unless it is a real
  folder owned by the current user and writable by nobody else (a forged ``/tmp`` cache).
* :func:`write_sums` / :func:`sums_ok` — a cache entry (a folder) carries the sha256 of every
  file in it; a truncated, edited, added or removed file makes it a miss (rebuilt, re-fetched).
* :class:`OutputDir` — an output folder built in a named temporary sibling
  ``.NAME.laaciq-tmp-PID`` under the lock ``.NAME.laaciq-lock``: stale temporaries of dead runs
  are removed, names written inside it are checked (:meth:`OutputDir.file`: no escape, no
  duplicate), file space is reserved up front (:func:`reserve`: a full disk is an error before
  any tensor is written, never a SIGBUS in a memory map), SIGTERM/SIGHUP unwind like Ctrl-C, and
  the finished folder replaces ``--out`` in one atomic exchange (``renameat2``), so ``--out`` is
  either the old folder or the complete new one. Any writer (safetensors, ``.npy``, GGUF) uses
  it: ``with OutputDir(out, force) as od: path = od.file("model.gguf"); reserve(fh, size) ...;
  od.commit()``.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import stat
import threading
import time
from pathlib import Path, PurePosixPath

from laaciq.errors import LaaciqError

__all__ = ["Lock", "private_dir", "reserve", "OutputDir", "disk_error", "write_sums", "sums_ok",
           "sha256_file", "TMP_TAG", "LOCK_TAG", "SUMS"]

TMP_TAG = ".laaciq-tmp-"
SUMS = ".sha256sums.json"
LOCK_TAG = ".laaciq-lock"
#: errno values that mean "the output cannot be written here" (not a bug)
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES,
                errno.EPERM}


def _start_time(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


class Lock:
    """Exclusive lock on ``path`` (created if needed) or a :class:`LaaciqError` naming the
    holder; ``release()`` removes the file. ``wait``: block until free instead of failing."""

    def __init__(self, path, what: str, wait: bool = False, log=None):
        self.path = Path(path)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = os.pread(fd, 64, 0).decode(errors="replace").split()
                pid = holder[0] if holder else "?"
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or not wait:
                    os.close(fd)
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    raise LaaciqError(f"{what} is in use by another laaciq run (pid {pid}, "
                                      f"lock {self.path}): wait for it to end") from None
                if log is not None:
                    log(f"waiting for another laaciq run using {what} (pid {pid})")
                fcntl.lockf(fd, fcntl.LOCK_EX)
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path, follow_symlinks=False).st_ino
            except FileNotFoundError:
                same = False
            if same:        # not a file its previous holder unlinked meanwhile
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {_start_time(os.getpid())}\n".encode(), 0)
        self.fd = fd

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self.fd)           # closing drops the lock
        self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False


def private_dir(path) -> Path:
    """``path`` as a cache folder: created 0700; refused (one error line) if it is a symlink,
    not a folder, owned by another user, or writable by group or others."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(p)
    except OSError as exc:
        raise LaaciqError(f"cache folder {p}: cannot create it: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise LaaciqError(f"cache folder {p} is not a folder (a symlink or a file): remove it "
                          f"or set LAACIQ_CACHE to a folder of yours")
    if st.st_uid != os.geteuid():
        raise LaaciqError(f"cache folder {p} belongs to user id {st.st_uid}, not to you "
                          f"({os.geteuid()}): it may hold forged entries; set LAACIQ_CACHE to a "
                          f"folder of yours")
    if st.st_mode & 0o022:
        raise LaaciqError(f"cache folder {p} is writable by other users (mode "
                          f"{stat.S_IMODE(st.st_mode):o}): chmod 700 {p}, or set LAACIQ_CACHE")
    return p


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for blk in iter(lambda: fh.read(1 << 20), b""):
            h.update(blk)
    return h.hexdigest()


def _sums(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): sha256_file(p)
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != SUMS}


def write_sums(folder) -> None:
    """Record the sha256 of every file under ``folder`` in ``folder/.sha256sums.json``."""
    folder = Path(folder)
    (folder / SUMS).write_text(json.dumps(_sums(folder), indent=0, sort_keys=True) + "\n")


def sums_ok(folder) -> bool:
    """True iff ``folder`` holds exactly the files its sums list, with those contents."""
    folder = Path(folder)
    try:
        want = json.loads((folder / SUMS).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(want, dict) and want == _sums(folder)


def disk_error(exc: OSError, where) -> LaaciqError | None:
    """The one-line error for an ``OSError`` that means the output cannot be written (full
    disk, file size limit, quota, read-only, permission), else None."""
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        name = f" ({exc.filename})" if exc.filename else ""
        return LaaciqError(f"{where}: cannot write the output: {os.strerror(exc.errno)}{name}; "
                           f"nothing was written")
    return None


def _cannot_create(exc: OSError, path) -> LaaciqError:
    return disk_error(exc, path) or LaaciqError(
        f"{path}: cannot create the output folder: {os.strerror(exc.errno or 0)}"
        + (f" ({exc.filename})" if exc.filename else ""))


def reserve(fd_or_path, size: int) -> None:
    """Allocate ``size`` bytes of the file now (``posix_fallocate``), so writing it later —
    also through a memory map — cannot hit a full disk. Raises ``OSError`` (ENOSPC, EFBIG)."""
    if size <= 0:
        return
    own = not isinstance(fd_or_path, int)
    fd = os.open(fd_or_path, os.O_RDWR) if own else fd_or_path
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
            raise OSError(exc.errno, exc.strerror, str(fd_or_path)) from None
    finally:
        if own:
            os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap the two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system call is missing."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


class OutputDir:
    """Build the folder ``path`` (module docstring); ``commit()`` puts it in place,
    ``abort(exc)`` removes every trace (and turns a disk ``OSError`` into one error line).
    Usable as a context manager (abort on any exception, on exit if not committed)."""

    _SIGNALS = (signal.SIGTERM, signal.SIGHUP)

    def __init__(self, path, force: bool, protect=()):
        self.path = Path(path)
        for keep in protect:       # --force must never delete what the run reads
            k, o = Path(keep).resolve(), self.path.resolve()
            if k == o or o in k.parents:
                raise LaaciqError(f"{self.path}: --out would replace the input {keep}: choose "
                                  f"another --out")
        if self.path.exists() and not force:
            raise LaaciqError(f"{self.path}: already exists: pass --force to replace it, or "
                              f"choose another --out")
        if self.path.exists() and not self.path.is_dir():
            raise LaaciqError(f"{self.path}: exists and is not a folder")
        parent = self.path.absolute().parent
        self._names: dict[str, str] = {}
        self._saved = {}
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self._lock = Lock(parent / f".{self.path.name}{LOCK_TAG}",
                              f"output folder {self.path}")
        except OSError as exc:
            raise _cannot_create(exc, self.path) from None
        try:
            self.cleaned = self._clean_stale(parent)
            self.tmp = parent / f".{self.path.name}{TMP_TAG}{os.getpid()}"
            self.tmp.mkdir(mode=0o700)
        except BaseException as exc:
            self._lock.release()
            if isinstance(exc, OSError):
                raise _cannot_create(exc, self.path) from None
            raise
        self._trap_signals()

    def _clean_stale(self, parent: Path) -> list[str]:
        """Remove temporaries of this output left by dead runs: we hold the output's lock, so
        no live run owns one; only folders of the current user are touched."""
        gone = []
        for p in parent.glob(f".{self.path.name}{TMP_TAG}*"):
            st = os.lstat(p)
            if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid():
                shutil.rmtree(p, ignore_errors=True)
                gone.append(p.name)
        return gone

    def _trap_signals(self):
        if threading.current_thread() is not threading.main_thread():
            return
        for s in self._SIGNALS:
            self._saved[s] = signal.signal(s, _raise_interrupt)

    def _restore_signals(self):
        for s, h in self._saved.items():
            signal.signal(s, h)
        self._saved = {}

    def file(self, name: str) -> Path:
        """The path of output file ``name`` (relative, ``/``-separated) inside the temporary
        folder, its parent folders made; an absolute name, ``..``, a control character or a
        name already given out (case-insensitively) is an error."""
        pure = PurePosixPath(name)
        bad = (not name or pure.is_absolute() or "\\" in name
               or any(part in ("..", ".", "") for part in name.split("/"))
               or any(ord(c) < 32 or ord(c) == 127 for c in name))
        if bad:
            raise LaaciqError(f"{self.path}: refusing to write a file named {name!r} (it "
                              f"would leave the output folder or is not a plain name)")
        key = name.casefold()
        if key in self._names:
            raise LaaciqError(f"{self.path}: two outputs would be written to {name!r} "
                              f"(rename one input: {self._names[key]!r} and {name!r})")
        self._names[key] = name
        p = self.tmp.joinpath(*pure.parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def commit(self) -> None:
        """Make the files readable (umask), then exchange the new folder with ``path`` in one
        step (signals held off meanwhile) and remove the old one."""
        umask = os.umask(0)
        os.umask(umask)
        for d, _, files in os.walk(self.tmp):
            os.chmod(d, 0o777 & ~umask)         # mkdir made 0700; outputs are for reading
            for f in files:
                os.chmod(os.path.join(d, f), 0o666 & ~umask)
        for f in self.tmp.rglob("*"):
            if f.is_file():
                fd = os.open(f, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        old = None
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, *self._SIGNALS})
        try:
            if self.path.exists() and _exchange(self.tmp, self.path):
                old = self.tmp                  # the old folder now sits at the temporary name
            else:
                if self.path.exists():
                    old = self.tmp.with_name(self.tmp.name + "-old")
                    os.replace(self.path, old)
                os.replace(self.tmp, self.path)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self.tmp = None
        self._lock.release()
        self._restore_signals()

    def abort(self, exc: BaseException | None = None) -> None:
        """Remove the temporary folder and the lock; raise the one-line form of a disk
        ``OSError`` (else return: the caller re-raises ``exc``)."""
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        self._lock.release()
        self._restore_signals()
        err = disk_error(exc, self.path) if isinstance(exc, OSError) else None
        if err is not None:
            raise err from None

    discard = abort

    def __enter__(self):
        return self

    def __exit__(self, et, exc, tb):
        if self.tmp is not None:
            self.abort(exc)
        return False


def wait_until(pred, timeout: float, step: float = 0.01) -> bool:
    """Poll ``pred()`` until true or ``timeout`` seconds (tests and the soak use it)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return bool(pred())
