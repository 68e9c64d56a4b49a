//! `models fetch` is idempotent and repairs damaged installs. Uses the wheel cache that
//! `govmatch models fetch` filled (the test command runs it first).

mod common;

use govmatch::model::fetch::{default_cache_dir, fetch, verify, Outcome};
use govmatch::model::registry;

#[test]
fn fetch_installs_once_then_verifies_and_repairs() {
    let models = tempfile::tempdir().unwrap();
    let minilm = registry::find("all-MiniLM-L6-v2").unwrap();
    let cache = default_cache_dir();
    let first = fetch(minilm, models.path(), &cache, false).unwrap();
    assert_eq!(first, Outcome::Installed);
    let dir = models.path().join("all-MiniLM-L6-v2");
    assert!(verify(&dir).unwrap().is_ok());
    assert_eq!(
        fetch(minilm, models.path(), &cache, false).unwrap(),
        Outcome::AlreadyInstalled
    );

    // A damaged weights file is detected and replaced.
    std::fs::write(dir.join("model.safetensors"), b"garbage").unwrap();
    assert!(verify(&dir).unwrap().is_err());
    match fetch(minilm, models.path(), &cache, false).unwrap() {
        Outcome::Repaired(why) => assert!(why.contains("model.safetensors"), "{why}"),
        other => panic!("expected a repair, got {other:?}"),
    }
    assert!(verify(&dir).unwrap().is_ok());
    govmatch::model::Model::load_dir("all-MiniLM-L6-v2", &dir).unwrap();
    // No partial directory is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(models.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn the_reassembled_embeddinggemma_matches_every_pinned_file() {
    // Installed by `models fetch` from 25 split-zip wheels, each file checked against its pin.
    let dir = common::models_dir().join("embeddinggemma-300m");
    assert_eq!(verify(&dir).unwrap(), Ok(()));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("govmatch-model.json")).unwrap()).unwrap();
    assert_eq!(manifest["sources"].as_array().unwrap().len(), 25);
    assert_eq!(
        manifest["files"]["model.safetensors"],
        "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"
    );
}

#[test]
fn damaged_weights_are_a_clear_error_not_a_crash() {
    let src = common::models_dir().join("all-MiniLM-L6-v2");
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "config.json",
        "tokenizer.json",
        "modules.json",
        "sentence_bert_config.json",
    ] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(
        dir.path().join("model.safetensors"),
        b"\x08\0\0\0\0\0\0\0{}",
    )
    .unwrap();
    let err = govmatch::model::Model::load_dir("broken", dir.path())
        .err()
        .expect("loading truncated weights fails");
    assert!(err.to_string().contains("model.safetensors"), "{err}");
}
