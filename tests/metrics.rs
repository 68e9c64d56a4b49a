//! govmatch's metrics agree with ranx (tests/fixtures/metrics, made by
//! scripts/metric_fixture.py) to 1e-6 on every query and on the mean.

mod common;

use std::collections::HashMap;

use govmatch::eval::beir::read_qrels_tsv;
use govmatch::eval::trec::{read_run, write_run};
use govmatch::eval::{evaluate, Metric};

#[derive(serde::Deserialize)]
struct Expected {
    mean: HashMap<String, f64>,
    per_query: HashMap<String, HashMap<String, f64>>,
}

#[test]
fn metrics_match_ranx() {
    let dir = common::root().join("tests/fixtures/metrics");
    let qrels = read_qrels_tsv(&dir.join("qrels.txt")).unwrap();
    let run = read_run(&dir.join("run.txt")).unwrap();
    let expected: Expected =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let metrics: Vec<Metric> = expected.mean.keys().map(|m| m.parse().unwrap()).collect();
    assert_eq!(metrics.len(), 25);
    let got = evaluate(&run, &qrels, &metrics);
    let mut failures = Vec::new();
    for (i, metric) in metrics.iter().enumerate() {
        let name = metric.to_string();
        let want = expected.mean[&name];
        if (got.means[i] - want).abs() > 1e-6 {
            failures.push(format!("{name} mean: {} vs ranx {want}", got.means[i]));
        }
        for (q, values) in &got.per_query {
            let want = expected.per_query[&name][q];
            if (values[i] - want).abs() > 1e-6 {
                failures.push(format!("{name} {q}: {} vs ranx {want}", values[i]));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(8)]
    );
}

#[test]
fn trec_runs_round_trip() {
    let dir = common::root().join("tests/fixtures/metrics");
    let run = read_run(&dir.join("run.txt")).unwrap();
    let mut out = Vec::new();
    write_run(&mut out, &run, "fixture").unwrap();
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), &out).unwrap();
    let again = read_run(tmp.path()).unwrap();
    assert_eq!(run.len(), again.len());
    for (q, docs) in &run {
        let ids: Vec<&String> = docs.iter().map(|(d, _)| d).collect();
        let ids2: Vec<&String> = again[q].iter().map(|(d, _)| d).collect();
        assert_eq!(ids, ids2);
    }
    assert!("ndcg@x".parse::<Metric>().is_err());
    assert_eq!("P@5".parse::<Metric>().unwrap(), Metric::Precision(5));
}
