//! HTTP front end (axum): routing, auth, request/response types and errors. Handlers parse,
//! call [`govmatch::service::Service`] on tokio's blocking pool, and serialise.
//!
//! The server listens at once and opens the service in the background: until it is ready,
//! `/v1/ready` and every data route answer 503.

mod auth;
mod error;
mod feedback;
mod listen;
mod matches;
mod meta;
mod metrics;
mod openapi;
mod params;
mod records;
mod reports;
mod routes;
mod shortlist;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use govmatch::embed::queue::QueueLimits;
use govmatch::embed::Embedder;
use govmatch::service::{Service, ServiceOptions};

pub use auth::{label, ApiKeys, Scope};
pub use error::ApiError;
use metrics::Metrics;
pub use routes::router;
pub use state::{blocking, RequestId, Server};

/// Threads of tokio's blocking pool (matches, writes, explanations).
pub const MAX_BLOCKING_THREADS: usize = 32;

/// How to run the server.
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub keys: ApiKeys,
    pub data_dir: PathBuf,
    /// Builds the embedder (loads the model); runs in the background after binding.
    pub load: Box<dyn FnOnce() -> anyhow::Result<Embedder> + Send>,
    /// Free-text queries that may wait for the model.
    pub queue_capacity: usize,
    /// How long a client may take to send a request's headers.
    pub header_timeout: std::time::Duration,
    /// Printed once the server is ready (the demo's example request).
    pub banner: Option<String>,
}

/// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests, commits the audit trail
/// and persists the indexes. Prints the bound address first (port 0 picks a free one).
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let bound = listener.local_addr()?;
    if config.keys.is_empty() && !bound.ip().is_loopback() {
        anyhow::bail!(
            "refusing to listen on {bound} without API keys: set --api-key read:KEY / write:KEY (or GOVMATCH_API_KEYS), or listen on 127.0.0.1"
        );
    }
    println!("listening on http://{bound}");
    if config.keys.is_empty() {
        eprintln!("no API keys configured: serving on localhost only, without authentication");
    }
    let metrics = Arc::new(Metrics::new());
    let server = Arc::new(Server::new(metrics.clone()));
    let failed: Arc<Mutex<Option<anyhow::Error>>> = Arc::new(Mutex::new(None));
    let stop = Arc::new(tokio::sync::Notify::new());
    {
        let (server, failed, stop) = (server.clone(), failed.clone(), stop.clone());
        let (load, data_dir, banner) = (config.load, config.data_dir, config.banner);
        let limits = QueueLimits {
            capacity: config.queue_capacity.max(1),
            ..QueueLimits::default()
        };
        tokio::task::spawn_blocking(move || {
            let batch_sizes = metrics.batch_sizes.clone();
            let options = ServiceOptions {
                queue: limits,
                on_batch: Box::new(move |n| batch_sizes.observe(n as f64)),
            };
            let opened =
                load().and_then(|embedder| Ok(Service::open(embedder, &data_dir, options)?));
            match opened {
                Ok(service) => {
                    let service = Arc::new(service);
                    server.set(service.clone());
                    std::thread::spawn(move || {
                        if let Err(e) = service.warm_sentences() {
                            tracing::warn!(error = %e, "preparing sentence vectors");
                        }
                    });
                    tracing::info!("ready");
                    if let Some(banner) = banner {
                        // stdout may be closed by now (a supervisor that only read the
                        // address); the banner is a courtesy, not worth a panic.
                        use std::io::Write;
                        let _ = writeln!(std::io::stdout(), "{banner}");
                    }
                }
                Err(e) => {
                    *failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    stop.notify_one();
                }
            }
        });
    }
    let shutdown = async move {
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
            _ = stop.notified() => {}
        }
    };
    listen::serve(
        listener,
        router(server.clone(), Arc::new(config.keys)),
        config.header_timeout,
        shutdown,
    )
    .await;
    if let Some(e) = failed.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(e.context("loading the model and indexes"));
    }
    if let Some(service) = server.loaded().cloned() {
        tracing::info!("shutting down: committing the audit trail and saving the indexes");
        tokio::task::spawn_blocking(move || service.shut_down()).await?;
    }
    Ok(())
}
