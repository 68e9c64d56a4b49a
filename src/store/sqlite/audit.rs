//! The audit trail (every served recommendation: who asked what, with which model and index,
//! and what came back) and the feedback analysts give on it. Public administration must be
//! able to answer "why did the system suggest this?" long after the fact.

use rusqlite::{params, TransactionBehavior};

use super::SqliteStore;
use crate::store::contract::{AuditEntry, AuditTrail, Feedback};
use crate::store::StoreError;

pub(super) const MIGRATION: &str = "
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id TEXT NOT NULL,
        served_at TEXT NOT NULL,
        route TEXT NOT NULL,
        model TEXT NOT NULL,
        index_version TEXT NOT NULL,
        query TEXT NOT NULL,
        params TEXT NOT NULL,
        results TEXT NOT NULL
    );
    CREATE INDEX audit_by_request ON audit (request_id);
    CREATE TABLE feedback (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id TEXT NOT NULL,
        item TEXT NOT NULL,
        label INTEGER NOT NULL CHECK (label BETWEEN -1 AND 2),
        comment TEXT,
        given_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
    );";

pub(super) const MIGRATION_CLIENT_ID: &str = "ALTER TABLE audit ADD COLUMN client_request_id TEXT;";

impl AuditTrail for SqliteStore {
    /// Appends audit entries in one transaction.
    fn append_audit(&mut self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO audit (request_id, served_at, route, model, index_version, query,
                       params, results, record_kind, record_id, list_key, client_request_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )?;
                for e in entries {
                    let params = e.params.to_string();
                    let results = serde_json::to_string(&e.results).unwrap_or_default();
                    let list_key =
                        super::scouting::list_key(&e.model, &e.index_version, &params, &results);
                    insert.execute(params![
                        e.request_id,
                        e.served_at,
                        e.route,
                        e.model,
                        e.index_version,
                        e.query.to_string(),
                        params,
                        results,
                        e.query.get("kind").and_then(|v| v.as_str()),
                        e.query.get("id").and_then(|v| v.as_str()),
                        list_key,
                        e.client_request_id,
                    ])?;
                }
            }
            tx.commit()
        })();
        self.sql(r)
    }

    /// The audit trail in the order it was written.
    fn audit(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_query("", params![])
    }

    /// The latest audit entry of a request, if it was served here.
    fn audit_entry(&self, request_id: &str) -> Result<Option<AuditEntry>, StoreError> {
        Ok(self
            .audit_query("WHERE request_id = ?1", params![request_id])?
            .pop())
    }

    /// Stores one judgement.
    fn add_feedback(&mut self, f: &Feedback) -> Result<(), StoreError> {
        let r = self.conn.execute(
            "INSERT INTO feedback (request_id, item, label, comment) VALUES (?1, ?2, ?3, ?4)",
            params![f.request_id, f.item, f.label, f.comment],
        );
        self.sql(r).map(|_| ())
    }

    /// All judgements, oldest first.
    fn feedback(&self) -> Result<Vec<Feedback>, StoreError> {
        let r = (|| {
            let mut q = self.conn.prepare(
                "SELECT request_id, item, label, comment, given_at FROM feedback ORDER BY seq",
            )?;
            let rows = q.query_map([], |r| {
                Ok(Feedback {
                    request_id: r.get(0)?,
                    item: r.get(1)?,
                    label: r.get(2)?,
                    comment: r.get(3)?,
                    given_at: r.get(4)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })();
        self.sql(r)
    }
}

impl SqliteStore {
    pub(super) fn audit_query(
        &self,
        condition: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let sql = format!(
            "SELECT request_id, served_at, route, model, index_version, query, params, results,
               client_request_id
             FROM audit {condition} ORDER BY seq"
        );
        let r = (|| {
            let mut q = self.conn.prepare(&sql)?;
            let rows = q.query_map(args, |r| {
                let json = |i: usize| -> rusqlite::Result<serde_json::Value> {
                    let s: String = r.get(i)?;
                    Ok(serde_json::from_str(&s).unwrap_or(serde_json::Value::Null))
                };
                let results: String = r.get(7)?;
                Ok(AuditEntry {
                    request_id: r.get(0)?,
                    served_at: r.get(1)?,
                    route: r.get(2)?,
                    model: r.get(3)?,
                    index_version: r.get(4)?,
                    query: json(5)?,
                    params: json(6)?,
                    results: serde_json::from_str(&results).unwrap_or_default(),
                    client_request_id: r.get(8)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })();
        self.sql(r)
    }
}
