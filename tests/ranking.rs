//! Ranking quality guard: the default pipeline must keep ranking the labelled Hamburg sample
//! as well as it was measured to (multilingual-e5-small, exact search: nDCG@10 0.7132 with the
//! default hub reduction, 0.6425 without). A broken prompt, pooling, tokenizer or hub
//! reduction change shows up here as a drop.

mod common;

use govmatch::domain::{read_jsonl, Challenge, Startup};
use govmatch::embed::LongText;
use govmatch::eval::beir::read_qrels_tsv;
use govmatch::eval::{challenge_run, score};

#[test]
fn default_model_ranks_the_hamburg_sample_well() {
    let dir = common::root().join("data/hamburg");
    let challenges: Vec<Challenge> = read_jsonl(&dir.join("challenges.jsonl")).unwrap();
    let startups: Vec<Startup> = read_jsonl(&dir.join("startups.jsonl")).unwrap();
    let qrels = read_qrels_tsv(&dir.join("qrels.tsv")).unwrap();
    let embedder = common::embedder("multilingual-e5-small", LongText::Window { overlap: 32 });
    let plain = score(
        &challenge_run(&embedder, &challenges, &startups, 100, false).unwrap(),
        &qrels,
    );
    let run = challenge_run(&embedder, &challenges, &startups, 100, true).unwrap();
    let scores = score(&run, &qrels);
    eprintln!("plain {plain:?}\nhub reduction {scores:?}");
    assert_eq!(scores.queries, 40);
    assert!(
        plain.ndcg_at_10 > 0.60,
        "nDCG@10 without hub reduction fell to {:.4}",
        plain.ndcg_at_10
    );
    assert!(
        scores.ndcg_at_10 > 0.68,
        "nDCG@10 with hub reduction fell to {:.4}",
        scores.ndcg_at_10
    );
    assert!(
        scores.ndcg_at_10 > plain.ndcg_at_10,
        "hub reduction must lift the default model on the sample"
    );
    assert!(
        scores.recall_at_100 > 0.90,
        "Recall@100 fell to {:.4}",
        scores.recall_at_100
    );
}
