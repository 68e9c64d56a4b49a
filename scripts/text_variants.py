#!/usr/bin/env python3
"""Writes variants of the Hamburg sample's records that change which fields are embedded, for
the text-construction study in docs/evaluation.md:

    python3 scripts/text_variants.py OUT_DIR
    govmatch eval compare --challenges OUT_DIR/challenges-title.jsonl --models multilingual-e5-small \
        --modes dense,hybrid --search exact --hub-reduction

Challenges embed title + description + desired outcome (domain::Challenge::embed_text);
profiles embed name + one-liner + description. Each variant empties or repeats fields, so the
same `embed_text` builds the studied text. Labels and ids are untouched.
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "hamburg"

CHALLENGE_VARIANTS = {
    # Title only: the shortest statement of the need.
    "title": lambda c: {**c, "description": "", "desired_outcome": ""},
    # Title and desired outcome: what the agency wants, without the situation.
    "title-outcome": lambda c: {**c, "description": ""},
    # Title weighted up: repeated before the full text.
    "title2": lambda c: {**c, "title": c["title"] + ". " + c["title"]},
    # Without the desired outcome.
    "title-description": lambda c: {**c, "desired_outcome": ""},
}

STARTUP_VARIANTS = {
    # Name and one-liner: the directory summary alone.
    "summary": lambda s: {**s, "description": ""},
    # One-liner weighted up: repeated before the description.
    "summary2": lambda s: {**s, "one_liner": (s.get("one_liner") or "") + ". " + (s.get("one_liner") or "")},
}


def write(path: Path, records):
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    read = lambda name: [json.loads(l) for l in (SAMPLE / name).read_text(encoding="utf-8").splitlines() if l.strip()]
    challenges, startups = read("challenges.jsonl"), read("startups.jsonl")
    for name, f in CHALLENGE_VARIANTS.items():
        write(out / f"challenges-{name}.jsonl", map(f, challenges))
    for name, f in STARTUP_VARIANTS.items():
        write(out / f"startups-{name}.jsonl", map(f, startups))
    print(f"wrote {len(CHALLENGE_VARIANTS)} challenge and {len(STARTUP_VARIANTS)} startup variants to {out}")


if __name__ == "__main__":
    main()
