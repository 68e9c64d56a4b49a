//! Writes: upsert and delete records, keeping store and indexes in one order; feedback on
//! served lists. Upserts go through [`crate::ingest::store_records_then`], the step
//! `govmatch ingest` uses (vectors reused by text hash), in one transaction: a write through
//! the service lands whole or not at all.

use crate::domain::{Kind, Record};
use crate::ingest::{store_records_then, Commit, IngestCounts};
use crate::store::Feedback;

use super::{Service, ServiceError};

/// What an upsert did.
pub type Written = IngestCounts;

impl Service {
    /// Creates or replaces `records` (all of one kind) in one transaction: all are stored or
    /// none. The store lock is held throughout, so concurrent writes land in one order in
    /// store and indexes; readers never take it.
    pub fn upsert(&self, kind: Kind, records: &[Record]) -> Result<Written, ServiceError> {
        if let Some(other) = records.iter().find(|r| r.kind() != kind) {
            return Err(ServiceError::Invalid {
                field: "kind".into(),
                message: format!(
                    "record `{}` is not one of the {}",
                    other.id(),
                    kind.plural()
                ),
            });
        }
        let collection = self.collection(kind);
        let mut store = self.store();
        let mut failed = None;
        let counts = store_records_then(
            &mut **store,
            &self.embedder,
            records,
            Commit::Once,
            &|_| {},
            &mut |c| {
                if let Err(e) = collection.apply(c) {
                    failed.get_or_insert(e);
                }
            },
        )?;
        match failed {
            Some(e) => Err(e),
            None => Ok(counts),
        }
    }

    /// Removes a record from the store and both indexes, and closes its shortlist entries
    /// in the same transaction (their history names `actor` and says why).
    pub fn delete(&self, kind: Kind, id: &str, actor: &str) -> Result<(), ServiceError> {
        let mut store = self.store();
        let deleted = store.delete(kind, std::slice::from_ref(&id.to_string()), actor)?;
        if deleted.is_empty() {
            return Err(ServiceError::NotFound {
                field: "id",
                kind: kind.plural(),
                id: id.to_string(),
            });
        }
        // Under the store lock, like upserts, so store and indexes see writes in one order.
        self.collection(kind).forget(id)
    }

    /// Keeps a judgement of one item of a served list (checked against the audit trail).
    pub fn give_feedback(&self, feedback: Feedback) -> Result<(), ServiceError> {
        // The entry may still be on its way to disk.
        self.audit.flush();
        let mut store = self.store();
        let served =
            store
                .audit_entry(&feedback.request_id)?
                .ok_or_else(|| ServiceError::NotFound {
                    field: "request_id",
                    kind: "served match list",
                    id: feedback.request_id.clone(),
                })?;
        if !served.results.iter().any(|r| r.id == feedback.item) {
            return Err(ServiceError::Invalid {
                field: "item".into(),
                message: format!(
                    "`{}` was not among the matches of request `{}`",
                    feedback.item, feedback.request_id
                ),
            });
        }
        store.add_feedback(&feedback)?;
        Ok(())
    }
}
