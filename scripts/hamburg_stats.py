#!/usr/bin/env python3
"""Validate the Hamburg evaluation sample and print simple statistics.

Usage: python3 scripts/hamburg_stats.py [DATA_DIR]
DATA_DIR defaults to data/hamburg next to this script's parent directory.
Standard library only. Exits with status 1 if a validation check fails.
"""
import json
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

CHALLENGE_FIELDS = [
    "id", "title", "agency", "agency_type", "description", "desired_outcome",
    "tags", "region", "language", "status", "deadline", "updated_at",
]
STARTUP_FIELDS = [
    "id", "name", "one_liner", "description", "sectors", "technologies",
    "stage", "region", "country", "languages", "website", "updated_at",
]
AGENCY_TYPES = {"behoerde", "bezirksamt", "landesbetrieb"}
STAGES = {"idea", "pre-seed", "seed", "series-a", "series-b", "growth"}
ASCII_TAG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TIMESTAMP = re.compile(r"^2026-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T10:00:00Z$")
DEADLINE = re.compile(r"^2027-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
WEBSITE = re.compile(r"^https://[a-z0-9-]+\.example$")

# Tiny stop-word lists; enough to tell German from English profile texts.
DE_WORDS = set("der die das und für mit von zu im in den ist eine ein auf sich des dem nicht werden wird oder auch über aus bei nach".split())
EN_WORDS = set("the and for with of to in is a an on from by that are your their it as at or can be its this".split())

errors = []


def err(msg):
    errors.append(msg)


def words(text):
    return len(text.split())


def guess_lang(text):
    toks = re.findall(r"[a-zäöüß]+", text.lower())
    de = sum(t in DE_WORDS for t in toks)
    en = sum(t in EN_WORDS for t in toks)
    return "de" if de > en else "en"


def load_jsonl(path, fields):
    rows = []
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        err(f"{path.name}: not valid UTF-8 ({e})")
        return rows
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            if n != len(text.split("\n")):
                err(f"{path.name}:{n}: empty line")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            err(f"{path.name}:{n}: invalid JSON ({e})")
            continue
        if not isinstance(obj, dict):
            err(f"{path.name}:{n}: not a JSON object")
            continue
        if list(obj) != fields:
            err(f"{path.name}:{n}: fields {list(obj)} != {fields}")
        rows.append(obj)
    ids = Counter(r.get("id") for r in rows)
    for i, c in ids.items():
        if c > 1:
            err(f"{path.name}: duplicate id {i}")
    return rows


def summary(values):
    return f"min {min(values)}, median {statistics.median(values):g}, max {max(values)}"


def main():
    base = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "data" / "hamburg"
    challenges = load_jsonl(base / "challenges.jsonl", CHALLENGE_FIELDS)
    startups = load_jsonl(base / "startups.jsonl", STARTUP_FIELDS)
    cids = {c["id"] for c in challenges}
    sids = {s["id"] for s in startups}

    for c in challenges:
        cid = c["id"]
        if not re.fullmatch(r"hh-c-\d{3}", cid):
            err(f"{cid}: bad id")
        if c["agency_type"] not in AGENCY_TYPES:
            err(f"{cid}: agency_type {c['agency_type']}")
        if not 150 <= words(c["description"]) <= 400:
            err(f"{cid}: description has {words(c['description'])} words")
        if not 2 <= len(c["tags"]) <= 5 or not all(ASCII_TAG.match(t) for t in c["tags"]):
            err(f"{cid}: tags {c['tags']}")
        if c["region"] != "hamburg" or c["language"] not in {"de", "en"}:
            err(f"{cid}: region/language")
        if c["status"] not in {"open", "closed"}:
            err(f"{cid}: status {c['status']}")
        if c["deadline"] is not None and not DEADLINE.match(c["deadline"]):
            err(f"{cid}: deadline {c['deadline']}")
        if not TIMESTAMP.match(c["updated_at"]):
            err(f"{cid}: updated_at {c['updated_at']}")

    for s in startups:
        sid = s["id"]
        if not re.fullmatch(r"hh-s-\d{3}", sid):
            err(f"{sid}: bad id")
        if not 30 <= words(s["description"]) <= 120:
            err(f"{sid}: description has {words(s['description'])} words")
        if words(s["one_liner"]) > 16:
            err(f"{sid}: one_liner has {words(s['one_liner'])} words")
        for key in ("sectors", "technologies"):
            if not s[key] or not all(ASCII_TAG.match(t) for t in s[key]):
                err(f"{sid}: {key} {s[key]}")
        if s["stage"] not in STAGES:
            err(f"{sid}: stage {s['stage']}")
        if not re.fullmatch(r"[A-Z]{2}", s["country"]):
            err(f"{sid}: country {s['country']}")
        if not WEBSITE.match(s["website"]):
            err(f"{sid}: website {s['website']}")
        if not TIMESTAMP.match(s["updated_at"]):
            err(f"{sid}: updated_at {s['updated_at']}")
    names = Counter(s["name"] for s in startups)
    for name, c in names.items():
        if c > 1:
            err(f"duplicate startup name {name}")

    qrels = []
    seen = set()
    for n, line in enumerate((base / "qrels.tsv").read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if len(parts) != 4 or parts[1] != "0" or parts[3] not in {"0", "1", "2"}:
            err(f"qrels.tsv:{n}: malformed line {line!r}")
            continue
        cid, _, sid, grade = parts
        if cid not in cids:
            err(f"qrels.tsv:{n}: unknown challenge {cid}")
        if sid not in sids:
            err(f"qrels.tsv:{n}: unknown startup {sid}")
        if (cid, sid) in seen:
            err(f"qrels.tsv:{n}: duplicate pair {cid} {sid}")
        seen.add((cid, sid))
        qrels.append((cid, sid, int(grade)))
    for cid in sorted(cids):
        if not any(c == cid and g == 2 for c, _, g in qrels):
            err(f"{cid}: no grade-2 judgement")

    # ---- statistics ----
    print(f"data directory: {base}")
    print()
    print(f"challenges: {len(challenges)}")
    print("  language: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(c['language'] for c in challenges).items())))
    print("  status: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(c['status'] for c in challenges).items())))
    print("  agency_type: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(c['agency_type'] for c in challenges).items())))
    print(f"  agencies: {len({c['agency'] for c in challenges})} distinct")
    print(f"  deadline null: {sum(c['deadline'] is None for c in challenges)}")
    print(f"  description words: {summary([words(c['description']) for c in challenges])}")
    print(f"  desired_outcome words: {summary([words(c['desired_outcome']) for c in challenges])}")
    print()
    print(f"startups: {len(startups)}")
    print("  description language (stop-word heuristic): " + ", ".join(
        f"{k} {v}" for k, v in sorted(Counter(guess_lang(s['description']) for s in startups).items())))
    print("  stage: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(s['stage'] for s in startups).items())))
    print("  region: " + ", ".join(f"{k} {v}" for k, v in Counter(s['region'] for s in startups).most_common()))
    print(f"  description words: {summary([words(s['description']) for s in startups])}")
    print(f"  one_liner words: {summary([words(s['one_liner']) for s in startups])}")
    print()
    grades = Counter(g for _, _, g in qrels)
    print(f"judged pairs: {len(qrels)} (grade 2: {grades[2]}, grade 1: {grades[1]}, grade 0: {grades[0]})")
    per_c = {cid: Counter(g for c, _, g in qrels if c == cid) for cid in cids}
    print(f"  grade-2 startups per challenge: {summary([per_c[c][2] for c in cids])}")
    print(f"  grade-1-or-2 startups per challenge: {summary([per_c[c][1] + per_c[c][2] for c in cids])}")
    print(f"  judged startups per challenge: {summary([sum(per_c[c].values()) for c in cids])}")
    rel_sids = {s for _, s, g in qrels if g > 0}
    judged_sids = {s for _, s, _ in qrels}
    print(f"  startups relevant (grade >= 1) to at least one challenge: {len(rel_sids)}")
    print(f"  startups judged at least once: {len(judged_sids)}; never judged: {len(sids - judged_sids)}")
    print()
    if errors:
        print(f"VALIDATION FAILED ({len(errors)} problems):")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("validation: OK (UTF-8, one JSON object per line, field order, unique ids, qrels ids exist, every challenge has a grade-2 pair)")


if __name__ == "__main__":
    main()
