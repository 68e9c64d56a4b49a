//! Writes the audit trail off the request path: handlers hand entries to a thread that owns its
//! own store connection and commits whatever has queued up in one transaction.

use std::path::Path;
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread::JoinHandle;

use super::ServiceError;
use crate::store::AuditEntry;

enum Message {
    Entry(Box<AuditEntry>),
    /// Answered once everything sent before it is committed.
    Flush(mpsc::Sender<()>),
}

/// The audit trail's writer: entries go to a background thread that commits them in batches.
pub struct AuditLog {
    sender: Mutex<Option<mpsc::Sender<Message>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl AuditLog {
    pub fn open(data_dir: &Path) -> Result<Self, ServiceError> {
        let mut store = crate::store::open(data_dir)?;
        let (sender, receiver) = mpsc::channel::<Message>();
        let worker = std::thread::Builder::new()
            .name("audit".into())
            .spawn(move || {
                while let Ok(first) = receiver.recv() {
                    let mut entries = Vec::new();
                    let mut waiting = Vec::new();
                    for message in std::iter::once(first).chain(receiver.try_iter()) {
                        match message {
                            Message::Entry(e) => entries.push(*e),
                            Message::Flush(done) => waiting.push(done),
                        }
                    }
                    if !entries.is_empty() {
                        if let Err(e) = store.append_audit(&entries) {
                            tracing::error!(error = %e, lost = entries.len(), "writing the audit trail failed");
                        }
                    }
                    for done in waiting {
                        let _ = done.send(());
                    }
                }
            })
            .map_err(ServiceError::Thread)?;
        Ok(AuditLog {
            sender: Mutex::new(Some(sender)),
            worker: Mutex::new(Some(worker)),
        })
    }

    pub fn record(&self, entry: AuditEntry) {
        if let Some(s) = self
            .sender
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            let _ = s.send(Message::Entry(Box::new(entry)));
        }
    }

    /// Waits until everything recorded so far is committed.
    pub fn flush(&self) {
        let (done, wait) = mpsc::channel();
        let sent = self
            .sender
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|s| s.send(Message::Flush(done)).is_ok());
        if sent {
            let _ = wait.recv();
        }
    }

    /// Commits what is queued and stops the writer.
    pub fn close(&self) {
        self.sender.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = w.join();
        }
    }
}

/// Now as RFC 3339 (UTC, milliseconds).
pub fn now() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

/// Today's date (UTC) as YYYY-MM-DD, for "deadline not passed".
pub fn today() -> String {
    now()[..10].to_string()
}
