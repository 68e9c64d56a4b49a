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

/// The govmatch binary under test: this build's, or `GOVMATCH_TEST_BIN` (to show that a
/// test fails on an older build).
pub fn bin() -> PathBuf {
    std::env::var_os("GOVMATCH_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_govmatch")))
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

/// A `govmatch serve` child process, killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    /// `127.0.0.1:PORT`
    pub addr: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// `govmatch serve --data-dir DATA` on a free port with `model`; returns once it says
    /// where it listens (`wait_ready` waits for the model and indexes).
    pub fn spawn(model: &str, data: &std::path::Path, extra: &[&str]) -> Self {
        use std::io::BufRead;
        let data = data.to_str().expect("utf-8 path");
        let mut args = vec!["serve", "--data-dir", data, "--addr", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut child = govmatch(&args, model)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("govmatch serve starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        ServerProcess { child, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Waits (up to 60 s) until `/v1/ready` answers 200.
    pub fn wait_ready(self) -> Self {
        let client = http();
        for _ in 0..600 {
            if let Ok(r) = client.get(self.url("/v1/ready")).send() {
                if r.status() == 200 {
                    return self;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("server not ready after 60 s");
    }
}

/// An HTTP client for tests: no redirects followed (tests look at them), generous timeout.
pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .expect("client")
}
