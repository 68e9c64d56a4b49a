#!/usr/bin/env python3
"""The real judged set (data/realworld-judged/): choose its challenges, pool candidates from
run files for judging, and gather the judgements into qrels.

  scripts/judged_set.py select                      # challenges.tsv (seeded draw, see data/realworld-judged/README.md)
  scripts/judged_set.py pool RUN... --out DIR       # one packet per challenge: unjudged top 20
  scripts/judged_set.py merge DIR                   # judgements DIR/*.tsv -> qrels.tsv

Texts are read from ../shared/data/realworld (GOVMATCH_SHARED overrides ../shared); only ids
and grades are written into the repository.
"""
import argparse, json, os, random, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "data" / "realworld-judged"
SHARED = Path(os.environ.get("GOVMATCH_SHARED", ROOT.parent / "shared"))
REAL = SHARED / "data" / "realworld"

# (file, how many, seed offset): at least 15 German; the rest spread over India, UK, US.
DRAW = [
    ("de_tech4germany_projects.jsonl", 18),
    ("de_govtech_hackathon_saar_2025.jsonl", 2),
    ("india_sih2025_problem_statements.jsonl", 8),
    ("uk_innovation_calls_2023.jsonl", 8),
    ("us_challengegov_2021.jsonl", 8),
]
SEED = 20261202


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def select():
    rng = random.Random(SEED)
    rows = []
    for name, n in DRAW:
        records = read_jsonl(REAL / "challenges" / name)
        # Calls too short to judge against (a title alone) are not drawn.
        usable = [r for r in records if len(text_of(r)) >= 80]
        for r in rng.sample(usable, min(n, len(usable))):
            rows.append((r["id"], r.get("language", "en"), name))
    with open(SET / "challenges.tsv", "w", encoding="utf-8") as f:
        f.write("challenge-id\tlanguage\tsource\n")
        for row in rows:
            f.write("\t".join(row) + "\n")
    print(f"{len(rows)} challenges -> {SET / 'challenges.tsv'}")


def text_of(r):
    parts = [r.get("title", "")]
    for key in ("challenge_text", "description", "background", "expected_solution"):
        if r.get(key):
            parts.append(r[key])
    return "\n\n".join(p for p in parts if p)


def challenges():
    chosen = {}
    for line in (SET / "challenges.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        cid, lang, source = line.split("\t")
        chosen[cid] = (lang, source)
    out = {}
    for source in {s for _, s in chosen.values()}:
        for r in read_jsonl(REAL / "challenges" / source):
            if r["id"] in chosen:
                out[r["id"]] = r
    return out


def read_qrels(path):
    judged = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            q, d, g = line.split("\t")
            judged[(q, d)] = int(g)
    return judged


def pool(runs, out, depth):
    chosen = challenges()
    judged = read_qrels(SET / "qrels.tsv")
    candidates = {q: [] for q in chosen}
    for run in runs:
        for line in Path(run).read_text(encoding="utf-8").splitlines():
            q, _, d, rank, *_ = line.split()
            if q in candidates and int(rank) <= depth and d not in candidates[q]:
                if (q, d) not in judged:
                    candidates[q].append(d)
    startups = {s["id"]: s for s in read_jsonl(REAL / "startups" / "yc_companies_2024-05-11.jsonl")}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    total = 0
    for q, ds in candidates.items():
        if not ds:
            continue
        ds = sorted(ds)
        rng.shuffle(ds)  # blind: no system order survives into the packet
        lines = [f"# CHALLENGE {q}", text_of(chosen[q])[:6000], "", "# CANDIDATES (id | name | one-liner | description)"]
        for d in ds:
            s = startups[d]
            desc = " ".join((s.get("long_description") or "").split())[:600]
            one = " ".join((s.get("one_liner") or "").split())
            lines.append(f"{d} | {s['name']} | {one} | {desc}")
        (out / f"{q}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        total += len(ds)
    print(f"{total} unjudged pairs in {sum(1 for d in candidates.values() if d)} packets -> {out}")


def merge(folder):
    judged = read_qrels(SET / "qrels.tsv")
    chosen = challenges()
    known = {s["id"] for s in read_jsonl(REAL / "startups" / "yc_companies_2024-05-11.jsonl")}
    judged = {k: g for k, g in judged.items() if k[1] in known}
    for path in sorted(Path(folder).glob("*.tsv")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#") or line.startswith("challenge-id"):
                continue
            parts = line.split("\t")
            if len(parts) < 3 or parts[0] not in chosen or parts[2] not in ("0", "1", "2"):
                sys.exit(f"{path}:{n}: expected `challenge-id<TAB>startup-id<TAB>0|1|2`, got {line!r}")
            if parts[1] not in known:
                print(f"{path}:{n}: `{parts[1]}` is no startup id (a wrapped packet line?); skipped")
                continue
            judged[(parts[0], parts[1])] = int(parts[2])
    with open(SET / "qrels.tsv", "w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for (q, d), g in sorted(judged.items()):
            f.write(f"{q}\t{d}\t{g}\n")
    print(f"{len(judged)} judgements in {SET / 'qrels.tsv'}")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("select")
    pp = sub.add_parser("pool")
    pp.add_argument("runs", nargs="+")
    pp.add_argument("--out", required=True)
    pp.add_argument("--depth", type=int, default=20)
    pm = sub.add_parser("merge")
    pm.add_argument("folder")
    a = p.parse_args()
    if a.cmd == "select":
        select()
    elif a.cmd == "pool":
        pool(a.runs, a.out, a.depth)
    else:
        merge(a.folder)
