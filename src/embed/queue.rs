//! Dynamic batching for concurrent single-text requests (the API's free-text queries): one
//! worker thread owns the model; whatever arrived while it was busy goes into the next forward
//! pass together, up to a token budget. Under load a batch of 16 short queries costs little
//! more than one, so throughput grows with concurrency. The queue is bounded: when it is
//! full, callers are told at once instead of waiting without end.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Mutex;
use std::thread::JoinHandle;

use super::{EmbedError, Embedder, Role};

/// Why a queued embedding did not come back.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the embedding queue is full ({0} waiting)")]
    Full(usize),
    #[error("the embedding queue has shut down")]
    Closed,
    #[error(transparent)]
    Embed(#[from] EmbedError),
}

struct Job {
    text: String,
    role: Role,
    reply: mpsc::Sender<Result<Vec<f32>, EmbedError>>,
}

/// How big one forward pass may get.
#[derive(Debug, Clone, Copy)]
pub struct QueueLimits {
    /// Requests waiting before new ones are refused.
    pub capacity: usize,
    /// Texts per forward pass.
    pub max_batch: usize,
    /// Estimated tokens per forward pass (about 4 characters per token).
    pub max_tokens: usize,
}

impl Default for QueueLimits {
    fn default() -> Self {
        QueueLimits {
            capacity: 256,
            max_batch: 32,
            max_tokens: 8192,
        }
    }
}

pub struct EmbedQueue {
    sender: Mutex<Option<SyncSender<Job>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
    capacity: usize,
}

impl EmbedQueue {
    /// Starts the worker. `observe` is told each batch's size (for metrics).
    pub fn start(
        embedder: Embedder,
        limits: QueueLimits,
        observe: impl Fn(usize) + Send + 'static,
    ) -> Self {
        let (sender, receiver) = mpsc::sync_channel(limits.capacity.max(1));
        let worker = std::thread::Builder::new()
            .name("embed-queue".into())
            .spawn(move || work(embedder, receiver, limits, observe))
            .expect("spawning a thread");
        EmbedQueue {
            sender: Mutex::new(Some(sender)),
            worker: Mutex::new(Some(worker)),
            capacity: limits.capacity,
        }
    }

    /// Embeds one text, waiting for its batch. Blocks: call it off async executors.
    pub fn embed(&self, text: &str, role: Role) -> Result<Vec<f32>, QueueError> {
        let (reply, answer) = mpsc::channel();
        let job = Job {
            text: text.to_string(),
            role,
            reply,
        };
        {
            let sender = self.sender.lock().unwrap_or_else(|p| p.into_inner());
            let sender = sender.as_ref().ok_or(QueueError::Closed)?;
            match sender.try_send(job) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => return Err(QueueError::Full(self.capacity)),
                Err(TrySendError::Disconnected(_)) => return Err(QueueError::Closed),
            }
        }
        Ok(answer.recv().map_err(|_| QueueError::Closed)??)
    }

    /// Lets queued requests finish, then stops the worker.
    pub fn shutdown(&self) {
        self.sender.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(worker) = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = worker.join();
        }
    }
}

impl Drop for EmbedQueue {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn work(embedder: Embedder, receiver: Receiver<Job>, limits: QueueLimits, observe: impl Fn(usize)) {
    let cost = |j: &Job| j.text.len() / 4 + 8;
    let mut held: Option<Job> = None;
    loop {
        let first = match held.take() {
            Some(job) => job,
            None => match receiver.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        let mut tokens = cost(&first);
        let mut batch = vec![first];
        while batch.len() < limits.max_batch {
            match receiver.try_recv() {
                Ok(job) if tokens + cost(&job) <= limits.max_tokens => {
                    tokens += cost(&job);
                    batch.push(job);
                }
                Ok(job) => {
                    held = Some(job);
                    break;
                }
                Err(_) => break,
            }
        }
        observe(batch.len());
        for role in [Role::Query, Role::Passage] {
            let jobs: Vec<&Job> = batch.iter().filter(|j| j.role == role).collect();
            if jobs.is_empty() {
                continue;
            }
            let texts: Vec<&str> = jobs.iter().map(|j| j.text.as_str()).collect();
            match embedder.embed(&texts, role) {
                Ok(vectors) => {
                    for (job, v) in jobs.iter().zip(vectors) {
                        let _ = job.reply.send(Ok(v));
                    }
                }
                // One bad text must not fail its neighbours: retry them one by one.
                Err(_) => {
                    for job in jobs {
                        let _ = job.reply.send(embedder.embed_one(&job.text, role));
                    }
                }
            }
        }
    }
}
