//! Shortlists: per challenge, the startups a scout keeps, with their stage in the
//! venture-client pipeline. The current state in one table, every change appended to a
//! history, in one transaction — the record of who moved what, when and why.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::SqliteStore;
use crate::domain::{ShortlistEntry, Stage};
use crate::store::contract::Shortlists;
use crate::store::StoreError;

pub(super) const MIGRATION: &str = "
    CREATE TABLE shortlist (
        challenge TEXT NOT NULL,
        startup TEXT NOT NULL,
        stage TEXT NOT NULL,
        reason TEXT,
        note TEXT NOT NULL DEFAULT '',
        changed_by TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        PRIMARY KEY (challenge, startup)
    );
    CREATE TABLE shortlist_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        challenge TEXT NOT NULL,
        startup TEXT NOT NULL,
        stage TEXT NOT NULL,
        reason TEXT,
        note TEXT NOT NULL DEFAULT '',
        changed_by TEXT NOT NULL,
        changed_at TEXT NOT NULL
    );
    CREATE INDEX shortlist_history_by_challenge ON shortlist_history (challenge);";

fn entry(r: &rusqlite::Row) -> rusqlite::Result<ShortlistEntry> {
    let stage: String = r.get(2)?;
    Ok(ShortlistEntry {
        challenge: r.get(0)?,
        startup: r.get(1)?,
        // Only valid stages are ever written; an unknown one reads as proposed.
        stage: stage.parse().unwrap_or(Stage::Proposed),
        reason: r.get(3)?,
        note: r.get(4)?,
        changed_by: r.get(5)?,
        changed_at: r.get(6)?,
    })
}

/// 7: history rows of a deleted challenge are kept for the audit but closed, so a challenge
/// created again under the same id starts with an empty shortlist and history.
pub(super) const MIGRATION_CLOSED: &str =
    "ALTER TABLE shortlist_history ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;";

const COLUMNS: &str = "challenge, startup, stage, reason, note, changed_by, changed_at";

/// Ends the shortlist entries of a deleted record, in the delete's transaction: each entry
/// gets a last history row saying why (stage `rejected`, so no pipeline shows it as alive)
/// and leaves the current shortlist. A deleted challenge's history is closed as well.
pub(super) fn close_for(
    tx: &rusqlite::Transaction,
    kind: crate::domain::Kind,
    id: &str,
    actor: &str,
) -> rusqlite::Result<()> {
    use crate::domain::Kind;
    let (column, reason) = match kind {
        Kind::Startup => ("startup", "the startup's record was deleted"),
        Kind::Challenge => ("challenge", "the challenge's record was deleted"),
    };
    tx.execute(
        &format!(
            "INSERT INTO shortlist_history ({COLUMNS})
             SELECT challenge, startup, 'rejected', ?2, note, ?3,
                    strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
             FROM shortlist WHERE {column} = ?1 AND stage != 'rejected'"
        ),
        params![id, reason, actor],
    )?;
    tx.execute(
        &format!("DELETE FROM shortlist WHERE {column} = ?1"),
        params![id],
    )?;
    if kind == Kind::Challenge {
        tx.execute(
            "UPDATE shortlist_history SET closed = 1 WHERE challenge = ?1",
            params![id],
        )?;
    }
    Ok(())
}

impl Shortlists for SqliteStore {
    /// Sets a startup's place on a challenge's shortlist and appends the change to the history.
    fn put_shortlist(&mut self, e: &ShortlistEntry) -> Result<(), StoreError> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            for table in ["shortlist", "shortlist_history"] {
                let verb = if table == "shortlist" {
                    "INSERT OR REPLACE"
                } else {
                    "INSERT"
                };
                tx.execute(
                    &format!("{verb} INTO {table} ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                    params![
                        e.challenge,
                        e.startup,
                        e.stage.as_str(),
                        e.reason,
                        e.note,
                        e.changed_by,
                        e.changed_at
                    ],
                )?;
            }
            tx.commit()
        })();
        self.sql(r)
    }

    /// A challenge's shortlist, in the order startups were first added.
    fn shortlist(&self, challenge: &str) -> Result<Vec<ShortlistEntry>, StoreError> {
        self.shortlist_query(
            &format!(
                "SELECT {COLUMNS} FROM shortlist s WHERE challenge = ?1 ORDER BY
                 (SELECT MIN(seq) FROM shortlist_history h
                  WHERE h.challenge = s.challenge AND h.startup = s.startup AND h.closed = 0),
                 startup"
            ),
            challenge,
        )
    }

    /// Every change to a challenge's shortlist, oldest first.
    fn shortlist_history(&self, challenge: &str) -> Result<Vec<ShortlistEntry>, StoreError> {
        self.shortlist_query(
            &format!(
                "SELECT {COLUMNS} FROM shortlist_history WHERE challenge = ?1 AND closed = 0
                 ORDER BY seq"
            ),
            challenge,
        )
    }

    /// Every change to every shortlist, oldest first, those of deleted challenges included.
    fn all_shortlist_history(&self) -> Result<Vec<ShortlistEntry>, StoreError> {
        let r = (|| {
            let mut q = self.conn.prepare(&format!(
                "SELECT {COLUMNS} FROM shortlist_history ORDER BY seq"
            ))?;
            let rows = q.query_map([], entry)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })();
        self.sql(r)
    }

    /// One startup's place on one shortlist.
    fn shortlist_entry(
        &self,
        challenge: &str,
        startup: &str,
    ) -> Result<Option<ShortlistEntry>, StoreError> {
        let r = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM shortlist WHERE challenge = ?1 AND startup = ?2"),
                params![challenge, startup],
                entry,
            )
            .optional();
        self.sql(r)
    }

    /// Shortlisted startups per challenge (rejected ones not counted).
    fn shortlist_counts(&self) -> Result<std::collections::HashMap<String, usize>, StoreError> {
        let r = (|| {
            let mut q = self.conn.prepare(
                "SELECT challenge, COUNT(*) FROM shortlist WHERE stage != 'rejected'
                 GROUP BY challenge",
            )?;
            let rows = q.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
            })?;
            rows.collect::<rusqlite::Result<std::collections::HashMap<_, _>>>()
        })();
        self.sql(r)
    }
}

impl SqliteStore {
    fn shortlist_query(
        &self,
        sql: &str,
        challenge: &str,
    ) -> Result<Vec<ShortlistEntry>, StoreError> {
        let r = (|| {
            let mut q = self.conn.prepare(sql)?;
            let rows = q.query_map(params![challenge], entry)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })();
        self.sql(r)
    }
}
