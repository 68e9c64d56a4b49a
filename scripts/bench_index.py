#!/usr/bin/env python3
"""govmatch's HNSW (hnsw_rs) against Python hnswlib on the same vectors, in one run.

Runs `govmatch bench index --export DIR --json` (which measures govmatch and writes every
dataset's base and query vectors), then builds hnswlib with the same parameters (M=16,
ef_construction=200, inner product on unit vectors, 2 build threads) on the same vectors and
measures recall@10 against exact search and queries/s (one thread, one query at a time) at the
same ef values. Prints one table with the ratios govmatch/hnswlib.

    python3 -m venv .venv && .venv/bin/pip install hnswlib numpy
    .venv/bin/python scripts/bench_index.py --data-dir govmatch-data [--synthetic 100000]

Startup vectors must be in the store first (`govmatch ingest startups ... --model M`).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hnswlib
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--govmatch", default=str(ROOT / "target/release/govmatch"))
    ap.add_argument("--data-dir", default="govmatch-data")
    ap.add_argument("--synthetic", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--ef", default="16,32,64,128,256")
    ap.add_argument("--model", action="append", default=[])
    ap.add_argument("--json-out")
    args = ap.parse_args()
    if not Path(args.govmatch).exists():
        sys.exit(f"{args.govmatch} not found: run `cargo build --release` first")

    with tempfile.TemporaryDirectory() as tmp:
        cmd = [args.govmatch, "bench", "index", "--json", "--export", tmp,
               "--data-dir", args.data_dir, "--synthetic", str(args.synthetic),
               "--queries", str(args.queries), "--ef", args.ef]
        for m in args.model:
            cmd += ["--model", m]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            sys.exit(f"govmatch bench index failed:\n{out.stderr}")
        ours = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
        efs = [int(e) for e in args.ef.split(",")]
        rows = []
        for name in dict.fromkeys(r["dataset"] for r in ours):
            stem = name.replace("/", "_")
            dim = next(r["dim"] for r in ours if r["dataset"] == name)
            base = np.fromfile(Path(tmp) / f"{stem}.base.f32", dtype="<f4").reshape(-1, dim)
            queries = np.fromfile(Path(tmp) / f"{stem}.query.f32", dtype="<f4").reshape(-1, dim)
            scores = queries @ base.T
            truth = np.argsort(-scores, axis=1, kind="stable")[:, :10]
            index = hnswlib.Index(space="ip", dim=dim)
            index.init_index(max_elements=len(base), M=16, ef_construction=200, random_seed=100)
            index.set_num_threads(2)
            t = time.perf_counter()
            index.add_items(base, np.arange(len(base)))
            build_s = time.perf_counter() - t
            index.set_num_threads(1)
            for ef in efs:
                index.set_ef(ef)
                t = time.perf_counter()
                found = [index.knn_query(q, k=10)[0][0] for q in queries]
                secs = time.perf_counter() - t
                recall = np.mean([len(set(f) & set(tr)) / 10 for f, tr in zip(found, truth)])
                g = next(r for r in ours if r["dataset"] == name and r["ef"] == ef)
                rows.append({
                    "dataset": name, "n": len(base), "ef": ef,
                    "govmatch_build_s": g["build_s"], "hnswlib_build_s": build_s,
                    "govmatch_recall": g["recall_at_10"], "hnswlib_recall": float(recall),
                    "govmatch_qps": g["queries_per_s"], "hnswlib_qps": len(queries) / secs,
                })

    print(f"# {cpu_name()}, {os.cpu_count()} cores; hnswlib {getattr(hnswlib, '__version__', '0.8')}, numpy {np.__version__}")
    print("# M=16, ef_construction=200, recall@10 vs exact, 1 thread per query; build with 2 threads")
    print("| dataset | n | ef | build s govmatch / hnswlib | recall@10 govmatch | recall@10 hnswlib | q/s govmatch | q/s hnswlib | q/s ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['dataset']} | {r['n']} | {r['ef']} | {r['govmatch_build_s']:.2f} / {r['hnswlib_build_s']:.2f} "
              f"| {r['govmatch_recall']:.4f} | {r['hnswlib_recall']:.4f} | {r['govmatch_qps']:.0f} "
              f"| {r['hnswlib_qps']:.0f} | {r['govmatch_qps'] / r['hnswlib_qps']:.2f} |")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
