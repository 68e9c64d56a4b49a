//! `govmatch batch`: complete, deterministic, and resumable after an interruption.

mod common;

fn govmatch(args: &[&str]) -> std::process::Output {
    common::run_ok(&mut common::govmatch(args, "all-MiniLM-L6-v2"))
}

#[test]
fn batch_scores_every_open_challenge_deterministically_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    govmatch(&[
        "ingest",
        "startups",
        "data/hamburg/startups.jsonl",
        "--data-dir",
        d,
    ]);
    govmatch(&[
        "ingest",
        "challenges",
        "data/hamburg/challenges.jsonl",
        "--data-dir",
        d,
    ]);

    let run = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec![
            "batch",
            "--data-dir",
            d,
            "-k",
            "7",
            "--format",
            "jsonl",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        govmatch(&args);
        std::fs::read_to_string(out).unwrap()
    };
    let first = run("a.jsonl", &[]);
    let rows: Vec<serde_json::Value> = first
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // 40 challenges in the sample, 6 of them closed: 34 × 7 rows.
    assert_eq!(rows.len(), 34 * 7);
    let challenges: std::collections::BTreeSet<_> = rows
        .iter()
        .map(|r| r["challenge_id"].as_str().unwrap())
        .collect();
    assert_eq!(challenges.len(), 34);
    for pair in rows.windows(2) {
        if pair[0]["challenge_id"] == pair[1]["challenge_id"] {
            assert!(
                pair[0]["score"].as_f64() >= pair[1]["score"].as_f64(),
                "ranked best first"
            );
        }
    }
    assert_eq!(run("b.jsonl", &[]), first, "same inputs, same output");
    // Hub reduction (the default) scores a pair below its plain similarity.
    let plain = run("plain.jsonl", &["--no-hub-reduction"]);
    assert_ne!(plain, first);
    let similarity: std::collections::HashMap<(String, String), f64> = plain
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|r| {
            let key = (r["challenge_id"].to_string(), r["startup_id"].to_string());
            (key, r["score"].as_f64().unwrap())
        })
        .collect();
    let mut shared = 0;
    for r in &rows {
        let key = (r["challenge_id"].to_string(), r["startup_id"].to_string());
        if let Some(sim) = similarity.get(&key) {
            assert!(r["score"].as_f64().unwrap() < *sim, "{r}");
            shared += 1;
        }
    }
    assert!(shared > 0);
    let all = run("all.jsonl", &["--all"]);
    assert_eq!(all.lines().count(), 40 * 7);

    // Interrupted: a prefix with a torn last line; --resume completes it to the same file.
    let cut = dir.path().join("c.jsonl");
    std::fs::write(&cut, &first.as_bytes()[..first.len() / 3]).unwrap();
    assert_eq!(run("c.jsonl", &["--resume"]), first);
}
