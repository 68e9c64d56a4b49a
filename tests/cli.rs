//! The `govmatch` binary as users run it: exit codes and messages.

mod common;

use std::process::Command;

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(common::bin())
        .args(args)
        .env("GOVMATCH_MODELS_DIR", common::models_dir())
        .current_dir(common::root())
        .output()
        .expect("govmatch runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn models_list_shows_every_model_installed() {
    let (ok, out, err) = run(&["models", "list"]);
    assert!(ok, "{err}");
    let default = out
        .lines()
        .find(|l| l.contains("(default)"))
        .unwrap_or_default();
    assert!(default.starts_with("embeddinggemma-300m"), "{out}");
    assert!(out.contains("multilingual-e5-small"), "{out}");
    assert!(out.contains("all-MiniLM-L6-v2"), "{out}");
    assert_eq!(out.matches(" installed").count(), 3, "{out}");
}

#[test]
fn embed_prints_one_unit_vector_per_text() {
    let (ok, out, err) = run(&["embed", "--model", "all-MiniLM-L6-v2", "Hafen", "Schule"]);
    assert!(ok, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["text"], "Schule");
    let v: Vec<f64> = serde_json::from_value(lines[0]["vector"].clone()).unwrap();
    assert_eq!(v.len(), 384);
    assert!((v.iter().map(|x| x * x).sum::<f64>() - 1.0).abs() < 1e-4);
}

#[test]
fn bad_input_gets_a_clear_error_and_failure_status() {
    let (ok, _, err) = run(&["embed", "--model", "all-MiniLM-L6-v2", "ok", " "]);
    assert!(!ok);
    assert!(err.contains("text #1 is empty"), "{err}");

    let (ok, _, err) = run(&["embed", "--model", "no-such-model", "x"]);
    assert!(!ok);
    assert!(err.contains("unknown model `no-such-model`"), "{err}");

    let empty = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(&[
        "embed",
        "--models-dir",
        empty.path().to_str().unwrap(),
        "--model",
        "all-MiniLM-L6-v2",
        "x",
    ]);
    assert!(!ok);
    assert!(err.contains("govmatch models fetch"), "{err}");
}

#[test]
fn a_hugging_face_directory_loads_by_path() {
    let dir = common::models_dir().join("all-MiniLM-L6-v2");
    let (ok, out, err) = run(&["embed", "--model", dir.to_str().unwrap(), "Hafen"]);
    assert!(ok, "{err}");
    assert!(out.contains("\"vector\""));
}

#[test]
fn ingest_of_a_missing_file_says_so_once_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, _, err) = run(&[
        "ingest",
        "startups",
        "no-such-file.json",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("no-such-file.json"), "{err}");
    assert_eq!(err.matches("No such file").count(), 1, "said once: {err}");
    assert!(
        !data.exists(),
        "no store is created for a file that cannot be read"
    );
}
