"""Read the Lean sources without running Lean: declarations, imports, forbidden tokens.

``scan_source()`` / ``scan_tree()`` list the declarations of the Lean sources (kind, name, file,
line, docstring, seed quote) and the forbidden tokens outside comments and strings (``sorry``,
``admit``, ``axiom``, ``native_decide``, ``implemented_by``, ``extern``); ``imports_of()`` gives
a source's imports (the build order of :mod:`laaciq.verify.lean`).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

#: Tokens that may not appear in Lean code outside comments and strings.
FORBIDDEN = ("sorry", "admit", "axiom", "native_decide", "implemented_by", "extern")

#: Declaration keywords the scanner records.
DECL_KINDS = ("theorem", "lemma", "def", "abbrev", "structure", "class", "instance", "inductive",
              "axiom", "opaque")

_SEED_RE = re.compile(r"[Ss]eed (?P<seed>\d{3})\w*:\s*«(?P<quote>[^»]*)»")
_MODULE_IMPORT_RE = re.compile(r"^\s*(?:public\s+)?(?:meta\s+)?import\s+(?P<mods>[\w. ]+)$", re.M)

@dataclasses.dataclass(frozen=True)
class Decl:
    """One declaration found in a Lean source file."""

    kind: str
    name: str
    file: str
    line: int
    doc: str
    seed: str | None
    quote: str | None

    @property
    def module(self) -> str:
        return self.file[: -len(".lean")].replace("/", ".")


@dataclasses.dataclass(frozen=True)
class Token:
    """A forbidden token found in code (not in a comment or string)."""

    token: str
    file: str
    line: int


def strip_comments(src: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Blank out comments and string literals, keeping line structure.

    Returns the code with every comment and string replaced by spaces (newlines kept) and the
    list of doc comments ``(start_offset, end_offset, text)``. Block comments nest, as in Lean.
    """
    out = list(src)
    docs: list[tuple[int, int, str]] = []
    i, n = 0, len(src)

    def blank(a: int, b: int) -> None:
        for j in range(a, b):
            if out[j] != "\n":
                out[j] = " "

    while i < n:
        c = src[i]
        if src.startswith("--", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif src.startswith("/-", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/-", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("-/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if src.startswith("/--", i) and not src.startswith("/--/", i):
                docs.append((i, j, src[i + 3 : max(i + 3, j - 2)].strip()))
            blank(i, j)
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            blank(i, min(j + 1, n))
            i = j + 1
        elif c == "'" and i + 2 < n and (src[i + 2] == "'" or src[i + 1] == "\\"):
            # character literal such as 'a' or '\n' (an identifier's prime is never followed so)
            j = src.find("'", i + 2)
            j = n if j < 0 else j
            blank(i, j + 1)
            i = j + 1
        else:
            i += 1
    return "".join(out), docs


_DECL_RE = re.compile(
    r"^(?P<mods>(?:@\[[^\]]*\]\s*)?(?:(?:private|protected|public|noncomputable|partial|unsafe)\s+)*)"
    r"(?P<kind>" + "|".join(DECL_KINDS) + r")\b\s*(?P<name>[^\s:({\[]+)?",
    re.M,
)


def scan_source(text: str, file: str) -> tuple[list[Decl], list[Token]]:
    """Declarations and forbidden tokens of one Lean source text (``file`` is its relative path)."""
    code, docs = strip_comments(text)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(off: int) -> int:
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= off:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    namespaces: list[str] = []
    decls: list[Decl] = []
    ns_re = re.compile(r"^\s*(namespace|end|section)\b\s*([\w.]*)", re.M)
    events = sorted([(m.start(), "ns", m) for m in ns_re.finditer(code)]
                    + [(m.start(), "decl", m) for m in _DECL_RE.finditer(code)],
                    key=lambda e: e[0])
    sections: list[tuple[str, int]] = []  # (kind, how many namespace parts it pushed)
    for off, what, m in events:
        if what == "ns":
            kw, arg = m.group(1), m.group(2)
            if kw == "namespace":
                parts = arg.split(".") if arg else []
                namespaces.extend(parts)
                sections.append(("namespace", len(parts)))
            elif kw == "section":
                sections.append(("section", 0))
            elif kw == "end" and sections:
                _, k = sections.pop()
                if k:
                    del namespaces[-k:]
            continue
        kind, name = m.group("kind"), m.group("name")
        if not name or kind == "instance" and name.startswith(("(", "[", ":")):
            name = ""
        doc = ""
        for a, b, t in docs:
            if b <= off and not code[b:off].strip().replace("@[", "").strip("]"):
                doc = t
        if not doc:
            for a, b, t in docs:
                between = text[b:off]
                if b <= off and re.fullmatch(r"\s*(?:@\[[^\]]*\]\s*)?(?:\w+\s+\[[^\]]*\]\s+in\s*)*", between):
                    doc = t
        full = ".".join(namespaces + [name]) if name else ""
        if name.startswith("_root_."):
            full = name[len("_root_."):]
        seed_m = _SEED_RE.search(doc)
        decls.append(Decl(kind, full, file, line_of(off), doc,
                          seed_m.group("seed") if seed_m else None,
                          seed_m.group("quote") if seed_m else None))
    tokens = [Token(t.group(0), file, line_of(t.start()))
              for t in re.finditer(r"(?<![\w.'])(?:" + "|".join(FORBIDDEN) + r")(?![\w'])", code)]
    return decls, tokens


def scan_tree(root: Path) -> tuple[list[Decl], list[Token]]:
    """Scan ``root/LaAciq.lean`` and ``root/LaAciq/**/*.lean``."""
    decls: list[Decl] = []
    tokens: list[Token] = []
    for path in lean_sources(root):
        rel = path.relative_to(root).as_posix()
        d, t = scan_source(path.read_text(encoding="utf-8"), rel)
        decls += d
        tokens += t
    return decls, tokens


def lean_sources(root: Path) -> list[Path]:
    """The library's source files, root file first."""
    files = sorted((root / "LaAciq").rglob("*.lean"))
    top = root / "LaAciq.lean"
    return ([top] if top.exists() else []) + files


def imports_of(text: str) -> list[str]:
    """Modules imported by a Lean source text (comments ignored)."""
    code, _ = strip_comments(text)
    mods: list[str] = []
    for m in _MODULE_IMPORT_RE.finditer(code):
        mods += m.group("mods").split()
    return mods
