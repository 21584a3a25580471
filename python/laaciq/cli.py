"""The ``laaciq`` command line.

Every failure the user can cause (bad input, a missing tool, a malformed file) prints one line
``laaciq: error: ...`` on stderr and exits with code 2; nothing is half-written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import InternalCheckError, LaaciqError


def project_root(start: Path | None = None) -> Path:
    """The folder holding ``lakefile.lean`` (the current folder or one of its parents)."""
    here = (start or Path.cwd()).resolve()
    for p in (here, *here.parents):
        if (p / "lakefile.lean").exists() and (p / "LaAciq").is_dir():
            return p
    raise LaaciqError(f"no LA-ACIQ project (lakefile.lean and LaAciq/) at or above {here}")


def _cmd_lean(args: argparse.Namespace) -> int:
    from . import lean

    root = Path(args.root).resolve() if args.root else project_root()
    report = Path(args.report_dir) if args.report_dir else root / "report"
    doc = lean.build(root, report, jobs=args.jobs)
    print(lean.summarize(doc))
    if not doc["ok"]:
        print("laaciq: error: the Lean library did not check (see report/lean-build.json)",
              file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="laaciq", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    q = sub.add_parser("lean", help="check the Lean library (lake, else the registry Lean)")
    q.add_argument("--root", help="project folder (default: found from the current folder)")
    q.add_argument("--report-dir", help="where lean-build.json goes (default: ROOT/report)")
    q.add_argument("--jobs", type=int, default=int(os.environ.get("LAACIQ_LEAN_JOBS", "2")),
                   help="Lean runs at once (default 2)")
    q.set_defaults(func=_cmd_lean)
    return p




def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed one usage line
        return 2 if exc.code not in (0, None) else 0
    try:
        return int(args.func(args) or 0)
    except InternalCheckError as exc:
        print(f"laaciq: error: {exc}", file=sys.stderr)
        return 3
    except LaaciqError as exc:
        print(f"laaciq: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("laaciq: error: interrupted", file=sys.stderr)
        return 130
