//! Shared test helpers. Tests that need a model fail (never skip) when it is missing, naming
//! the command that installs it.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use govmatch::embed::{EmbedOptions, Embedder, LongText};
use govmatch::model::Model;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn models_dir() -> PathBuf {
    std::env::var_os("GOVMATCH_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("models"))
}

/// `../shared` unless `GOVMATCH_SHARED` says otherwise.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("GOVMATCH_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"))
}

pub fn load_model(name: &str) -> Arc<Model> {
    match Model::load(name, &models_dir()) {
        Ok(m) => Arc::new(m),
        Err(e) => panic!(
            "model {name} is needed by this test and could not be loaded: {e}\n\
             install it with: cargo run --release -- models fetch"
        ),
    }
}

pub fn embedder(name: &str, long_text: LongText) -> Embedder {
    Embedder::new(
        load_model(name),
        EmbedOptions {
            long_text,
            ..EmbedOptions::default()
        },
    )
}

pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_govmatch"))
}

/// The govmatch binary with `model`, the test models directory, quiet logs, run from the
/// crate root.
pub fn govmatch(args: &[&str], model: &str) -> std::process::Command {
    let mut c = std::process::Command::new(bin());
    c.args(args)
        .args(["--model", model])
        .env("GOVMATCH_MODELS_DIR", models_dir())
        .env("RUST_LOG", "warn")
        .current_dir(root());
    c
}

/// Runs a command and fails the test, with its stderr, unless it succeeds.
pub fn run_ok(cmd: &mut std::process::Command) -> std::process::Output {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
