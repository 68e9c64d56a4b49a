//! Ranking quality guard: the models must keep ranking the labelled Hamburg sample as well as
//! they were measured to (exact search; EmbeddingGemma, the default: nDCG@10 0.9446 with the
//! default hub reduction, 0.9309 without; multilingual-e5-small: 0.7132 and 0.6425). A broken
//! prompt, pooling, tokenizer or hub reduction change shows up here as a drop. (The sample was
//! written together with its startups; the defaults are chosen on data/realworld-judged.)

mod common;

use govmatch::domain::{read_jsonl, Challenge, Startup};
use govmatch::embed::LongText;
use govmatch::eval::beir::read_qrels_tsv;
use govmatch::eval::{challenge_run, score};

/// (nDCG@10 without, with hub reduction) must stay above these.
fn guard(model: &str, floors: (f64, f64)) {
    let dir = common::root().join("data/hamburg");
    let challenges: Vec<Challenge> = read_jsonl(&dir.join("challenges.jsonl")).unwrap();
    let startups: Vec<Startup> = read_jsonl(&dir.join("startups.jsonl")).unwrap();
    let qrels = read_qrels_tsv(&dir.join("qrels.tsv")).unwrap();
    let embedder = common::embedder(model, LongText::Window { overlap: 32 });
    let plain = score(
        &challenge_run(&embedder, &challenges, &startups, 100, false).unwrap(),
        &qrels,
    );
    let run = challenge_run(&embedder, &challenges, &startups, 100, true).unwrap();
    let scores = score(&run, &qrels);
    eprintln!("{model}: plain {plain:?}\nhub reduction {scores:?}");
    assert_eq!(scores.queries, 40);
    assert!(
        plain.ndcg_at_10 > floors.0,
        "nDCG@10 without hub reduction fell to {:.4}",
        plain.ndcg_at_10
    );
    assert!(
        scores.ndcg_at_10 > floors.1,
        "nDCG@10 with hub reduction fell to {:.4}",
        scores.ndcg_at_10
    );
    assert!(
        scores.ndcg_at_10 > plain.ndcg_at_10,
        "hub reduction must lift {model} on the sample"
    );
    assert!(
        scores.recall_at_100 > 0.90,
        "Recall@100 fell to {:.4}",
        scores.recall_at_100
    );
}

#[test]
fn the_default_model_ranks_the_hamburg_sample_well() {
    guard(govmatch::model::registry::DEFAULT_MODEL, (0.90, 0.92));
}

#[test]
fn multilingual_e5_ranks_the_hamburg_sample_as_measured() {
    guard("multilingual-e5-small", (0.60, 0.68));
}
