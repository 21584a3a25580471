"""Completeness: every seed line that carries a formula, a number or a status word is quoted by
some ledger claim, or listed (with its reason) in ``seed_not_claims.NOT_CLAIMS``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from laaciq.verify import claims
from seed_not_claims import NOT_CLAIMS

ROOT = Path(__file__).resolve().parent.parent

#: Status words of the seeds.
STATUS = re.compile(r"PROVED|\bsorry\b|\bproved\b|[Cc]orrect\b|VALIDATED|CONJECTURED|"
                    r"SCAFFOLDED|APPROXIMATION|SOLID|Status|✓|✗")
#: A digit or a formula sign.
FORMULA = re.compile(r"[0-9=≈≤≥<>∝→⇒⇔∂√Σ∑²⁴∈±×∞]")
#: Markdown heading marks and section numbers ("## 2.3 ") carry no claim.
HEAD = re.compile(r"^\s*(#+\s*)?(\d+(\.\d+)*\.?\s+)?")
_DRAWING = set("-|`=#*─┌┐└┘│┬┴┼▼ ")


def claim_bearing(line: str) -> bool:
    s = line.strip()
    if not s or set(s) <= _DRAWING:
        return False
    s = HEAD.sub("", s, count=1)
    return bool(FORMULA.search(s) or STATUS.search(s))


def uncovered(ledger, seed: str, text: str) -> list[tuple[int, str]]:
    spans = []
    for c in ledger:
        if c.seed == seed:
            i = text.find(c.quote)
            while i >= 0:
                spans.append((i, i + len(c.quote)))
                i = text.find(c.quote, i + 1)
    skip = {line for s, line, _ in NOT_CLAIMS if seed.startswith(s)}
    out, pos = [], 0
    for n, line in enumerate(text.split("\n"), 1):
        a, b = pos, pos + len(line)
        pos = b + 1
        if claim_bearing(line) and not any(s < b and e > a for s, e in spans) \
                and line.strip() not in skip:
            out.append((n, line.strip()))
    return out


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    d = claims.seeds_dir(ROOT)
    files = sorted(d.glob("[0-9][0-9][0-9]_*.txt"))
    assert len(files) == 5, f"expected the 5 seeds in {d} (set LAACIQ_SEEDS)"
    return {f.name: f.read_text(encoding="utf-8") for f in files}


def test_every_claim_bearing_line_is_covered(seeds):
    ledger = claims.load()
    missing = [f"{name[:3]}:{n}: {line}" for name, text in seeds.items()
               for n, line in uncovered(ledger, name, text)]
    assert not missing, ("claim-bearing seed lines with no claim and no NOT_CLAIMS entry:\n"
                         + "\n".join(missing))


def test_not_claims_entries_are_seed_lines_without_a_claim(seeds):
    ledger = claims.load()
    by_prefix = {name[:3]: (name, text) for name, text in seeds.items()}
    for prefix, line, why in NOT_CLAIMS:
        assert why.strip(), line
        name, text = by_prefix[prefix]
        lines = [x.strip() for x in text.split("\n")]
        assert line in lines, f"NOT_CLAIMS entry is not a line of seed {prefix}: {line!r}"
        assert claim_bearing(line), f"NOT_CLAIMS entry needs no exception: {line!r}"
        assert not any(c.seed == name and (c.quote in line or line in c.quote) for c in ledger), \
            f"NOT_CLAIMS entry is quoted by a claim: {line!r}"


@pytest.mark.parametrize("line, bearing", [
    ("## 2. The Quantization Operator", False),
    ("1. **Per-language α reduces disparity:**", False),
    ("| `clip_le_alpha` | clip(x,α) ≤ α | **PROVED** |", True),
    ("**Status:** Formula correct, algebraic simplification not verified", True),
    ("| Disparity bound | **50%** | Empirical fit, not derived |", True),
    ("────┬────", False),
])
def test_claim_bearing_detector(line, bearing):
    assert claim_bearing(line) is bearing
