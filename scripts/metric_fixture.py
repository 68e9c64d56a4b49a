#!/usr/bin/env python3
"""Make the metric-verification fixture: a random graded qrels and run, and what ranx computes.

Writes tests/fixtures/metrics/{qrels.txt,run.txt,expected.json}. `tests/metrics.rs` checks that
govmatch's metrics agree with ranx to 1e-6 on every query and on the mean.

    .venv/bin/pip install ranx==0.3.21
    .venv/bin/python scripts/metric_fixture.py
"""
import json
import random
from pathlib import Path

from ranx import Qrels, Run, evaluate

OUT = Path(__file__).resolve().parent.parent / "tests/fixtures/metrics"
METRICS = ["ndcg", "mrr", "map", "recall", "precision"]
KS = [1, 3, 5, 10, 100]


def main() -> None:
    rng = random.Random(20261123)
    docs = [f"d{i:03d}" for i in range(300)]
    qrels, run = {}, {}
    for q in range(40):
        qid = f"q{q:02d}"
        judged = rng.sample(docs, rng.randint(1, 25))
        # Grades 0/1/2; at least one relevant document per query.
        qrels[qid] = {d: rng.choice([0, 1, 1, 2]) for d in judged}
        qrels[qid][judged[0]] = 2
        ranked = rng.sample(docs, rng.randint(5, 150))
        # Some relevant documents near the top, distinct scores (no ties to break).
        for d in judged[: rng.randint(0, len(judged))]:
            if d not in ranked:
                ranked.insert(rng.randint(0, min(20, len(ranked))), d)
        run[qid] = {d: round(1000.0 - i - rng.random() * 0.5, 6) for i, d in enumerate(ranked)}
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "qrels.txt", "w") as f:
        for qid, judged in qrels.items():
            for d, rel in judged.items():
                f.write(f"{qid} 0 {d} {rel}\n")
    with open(OUT / "run.txt", "w") as f:
        for qid, scored in run.items():
            for rank, (d, s) in enumerate(sorted(scored.items(), key=lambda x: -x[1]), 1):
                f.write(f"{qid} Q0 {d} {rank} {s:.6f} fixture\n")
    names = [f"{m}@{k}" for m in METRICS for k in KS]
    q, r = Qrels(qrels), Run(run)
    means = evaluate(q, r, names, make_comparable=True)
    # evaluate() also leaves the per-query values in run.scores[metric][query].
    expected = {"source": "ranx", "mean": {n: float(v) for n, v in means.items()}, "per_query": {
        n: {qid: float(r.scores[n][qid]) for qid in run} for n in names}}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}: {len(qrels)} queries, {len(names)} metrics")


if __name__ == "__main__":
    main()
