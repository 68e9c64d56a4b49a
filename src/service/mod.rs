//! The product's core as a library: one handle over a data directory — store, both
//! collections' dense and lexical indexes, hubness, the sentence cache and the embedder — with
//! the reads and writes every front end calls. The HTTP API, `govmatch search`, `demo` and
//! `batch` all go through here, so they answer alike.
//!
//! - [`read`]: match a stored record or a free text, get a record;
//! - [`write`]: upsert and delete (the chunked, atomic step `govmatch ingest` uses), feedback;
//! - [`warm`]: sentence vectors for explanations, prepared after opening;
//! - [`audit`]: the trail of served lists, written off the request path.

pub mod audit;
mod collection;
pub mod exposure;
pub mod read;
pub mod scouting;
mod shortlist;
pub mod warm;
pub mod write;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::domain::Kind;
use crate::embed::queue::{EmbedQueue, QueueLimits};
use crate::embed::{role_for, EmbedError, Embedder};
use crate::index::{open_synced, HnswParams, IndexError, Save};
use crate::ingest::IngestError;
use crate::rank::{Hubness, LexicalError, LiveHubness, RankError, SentenceCache};
use crate::store::{Store, StoreError};

pub use audit::AuditLog;
pub use collection::Collection;
pub use exposure::ExposureReport;
pub use read::{Asker, Served};
pub use warm::Warmed;
pub use write::Written;

/// What a service call can fail with; front ends map each to their own form (HTTP status,
/// exit code), and every variant that concerns the caller's input names the field.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No record with this id (`field` is the parameter that carried it).
    #[error("no {kind} with id `{id}`")]
    NotFound {
        field: &'static str,
        kind: &'static str,
        id: String,
    },
    /// A parameter or body field the caller got wrong.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A stored record that no longer reads (the store is damaged, not the request).
    #[error("stored {kind} record `{id}` is unreadable: {problem}")]
    Corrupt {
        kind: &'static str,
        id: String,
        problem: String,
    },
    /// The embedding queue is full: retry shortly.
    #[error("{0}")]
    Busy(String),
    #[error(transparent)]
    Rank(#[from] RankError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Lexical(#[from] LexicalError),
    #[error(transparent)]
    Queue(#[from] crate::embed::queue::QueueError),
    #[error("starting a worker thread: {0}")]
    Thread(std::io::Error),
}

/// How to run the service.
pub struct ServiceOptions {
    /// Free-text queries that may wait for the model (the API's 429 bound).
    pub queue: QueueLimits,
    /// Told the size of every batch the queue sends through the model (for metrics).
    pub on_batch: Box<dyn Fn(usize) + Send>,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        ServiceOptions {
            queue: QueueLimits::default(),
            on_batch: Box::new(|_| {}),
        }
    }
}

/// An open data directory; see the module docs.
pub struct Service {
    embedder: Embedder,
    queue: EmbedQueue,
    store: Mutex<Box<dyn Store>>,
    startups: Collection,
    challenges: Collection,
    /// Each collection's hubness against the other, for hub reduction.
    startup_hubness: Arc<LiveHubness>,
    challenge_hubness: Arc<LiveHubness>,
    sentences: SentenceCache,
    audit: AuditLog,
    data_dir: PathBuf,
    stopping: AtomicBool,
    /// The last exposure report, with the index versions and options it was computed for.
    exposure: Mutex<Option<(String, Arc<ExposureReport>)>>,
}

impl Service {
    /// Opens the store, brings both indexes up to date with it, measures hubness, and starts
    /// the embedding queue and the audit writer.
    pub fn open(
        embedder: Embedder,
        data_dir: &Path,
        options: ServiceOptions,
    ) -> Result<Self, ServiceError> {
        let mut store = crate::store::open(data_dir)?;
        crate::ingest::quality::backfill(&mut *store)?;
        let startups = Collection::open(&*store, &embedder, Kind::Startup, data_dir)?;
        let challenges = Collection::open(&*store, &embedder, Kind::Challenge, data_dir)?;
        let started = std::time::Instant::now();
        let startup_hubness = LiveHubness::new(startups.dense.clone(), challenges.dense.clone());
        let challenge_hubness = LiveHubness::new(challenges.dense.clone(), startups.dense.clone());
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            "hubness for hub reduction ready"
        );
        Ok(Service {
            startup_hubness,
            challenge_hubness,
            queue: EmbedQueue::start(embedder.clone(), options.queue, options.on_batch),
            audit: AuditLog::open(data_dir)?,
            startups,
            challenges,
            store: Mutex::new(store),
            sentences: SentenceCache::default(),
            embedder,
            data_dir: data_dir.to_path_buf(),
            stopping: AtomicBool::new(false),
            exposure: Mutex::new(None),
        })
    }

    pub fn embedder(&self) -> &Embedder {
        &self.embedder
    }

    /// The model's id, as responses and the audit trail name it.
    pub fn model_id(&self) -> &str {
        &self.embedder.model().info.id
    }

    pub fn collection(&self, kind: Kind) -> &Collection {
        match kind {
            Kind::Startup => &self.startups,
            Kind::Challenge => &self.challenges,
        }
    }

    /// Records of `kind` in the served index.
    pub fn len(&self, kind: Kind) -> usize {
        self.collection(kind).dense.snapshot().len()
    }

    /// The latest hubness of the records of `kind` against the other collection.
    pub fn hubness(&self, kind: Kind) -> Arc<Hubness> {
        match kind {
            Kind::Startup => self.startup_hubness.current(),
            Kind::Challenge => self.challenge_hubness.current(),
        }
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Box<dyn Store>> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Finishes queued work, commits the audit trail and writes the indexes to disk, so the
    /// next start loads them instead of rebuilding.
    pub fn shut_down(&self) {
        self.stopping.store(true, Ordering::Release);
        self.queue.shutdown();
        self.audit.close();
        let store = self.store();
        for kind in [Kind::Startup, Kind::Challenge] {
            let key = self.embedder.key(role_for(kind));
            match open_synced(
                &**store,
                kind,
                &key,
                self.embedder.dim(),
                &self.data_dir,
                HnswParams::default(),
                Save::BestEffort,
            ) {
                Ok((_, report)) => {
                    tracing::info!(
                        kind = kind.plural(),
                        saved = report.saved,
                        "index persisted"
                    )
                }
                Err(e) => tracing::error!(kind = kind.plural(), error = %e, "persisting the index"),
            }
        }
    }
}
