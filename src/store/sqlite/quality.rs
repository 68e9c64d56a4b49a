//! Data-quality flags per record (see `domain::quality`), stored beside the record in the same
//! transaction so a report never disagrees with what was ingested.

use rusqlite::{params, Transaction, TransactionBehavior};

use super::SqliteStore;
use crate::domain::Kind;
use crate::store::contract::{QualityFlags, QualityRow};
use crate::store::{StoreError, StoredRecord};

pub(super) const MIGRATION: &str = "CREATE TABLE quality (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        informative_words INTEGER NOT NULL,
        contentless TEXT,
        missing TEXT NOT NULL,
        website_key TEXT,
        text_key TEXT,
        PRIMARY KEY (kind, id)
    );";

/// Writes one record's flags inside the caller's transaction.
pub(super) fn put(tx: &Transaction, kind: Kind, q: &QualityRow) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO quality
           (kind, id, informative_words, contentless, missing, website_key, text_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        kind.plural(),
        q.id,
        q.informative_words as i64,
        q.contentless,
        q.missing.join(","),
        q.website_key,
        q.text_key,
    ])
}

impl QualityFlags for SqliteStore {
    /// Every record's flags of a kind, by id.
    fn quality(&self, kind: Kind) -> Result<Vec<QualityRow>, StoreError> {
        let r = (|| {
            let mut q = self.conn.prepare(
                "SELECT q.id, q.informative_words, q.contentless, q.missing, q.website_key,
                        q.text_key
                 FROM quality q JOIN records r ON r.kind = q.kind AND r.id = q.id
                 WHERE q.kind = ?1 ORDER BY q.id",
            )?;
            let rows = q.query_map(params![kind.plural()], |r| {
                let missing: String = r.get(3)?;
                Ok(QualityRow {
                    id: r.get(0)?,
                    informative_words: r.get::<_, i64>(1)? as usize,
                    contentless: r.get(2)?,
                    missing: missing
                        .split(',')
                        .filter(|m| !m.is_empty())
                        .map(str::to_string)
                        .collect(),
                    website_key: r.get(4)?,
                    text_key: r.get(5)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })();
        self.sql(r)
    }

    /// Records stored before quality flags existed (schema 3 and older), to assess once.
    fn records_without_quality(&self, kind: Kind) -> Result<Vec<StoredRecord>, StoreError> {
        let r = (|| {
            let mut q = self.conn.prepare(
                "SELECT r.id, r.data, r.text_hash FROM records r
                 WHERE r.kind = ?1 AND NOT EXISTS
                   (SELECT 1 FROM quality q WHERE q.kind = r.kind AND q.id = r.id)
                 ORDER BY r.id",
            )?;
            let rows = q.query_map(params![kind.plural()], |r| {
                Ok(StoredRecord {
                    id: r.get(0)?,
                    data: r.get(1)?,
                    text_hash: r.get(2)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })();
        self.sql(r)
    }

    /// Stores flags of records already stored (one transaction).
    fn put_quality(&mut self, kind: Kind, rows: &[QualityRow]) -> Result<(), StoreError> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            for q in rows {
                put(&tx, kind, q)?;
            }
            tx.commit()
        })();
        self.sql(r)
    }
}
