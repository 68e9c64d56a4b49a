//! Shortlists: per challenge, the startups a scout keeps, with their stage in the
//! venture-client pipeline. The current state in one table, every change appended to a
//! history, in one transaction — the record of who moved what, when and why.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};
use crate::domain::{ShortlistEntry, Stage};

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

const COLUMNS: &str = "challenge, startup, stage, reason, note, changed_by, changed_at";

impl Store {
    /// Sets a startup's place on a challenge's shortlist and appends the change to the history.
    pub fn put_shortlist(&mut self, e: &ShortlistEntry) -> Result<(), StoreError> {
        let r = (|| {
            let tx = self.conn.transaction()?;
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
    pub fn shortlist(&self, challenge: &str) -> Result<Vec<ShortlistEntry>, StoreError> {
        self.shortlist_query(
            &format!(
                "SELECT {COLUMNS} FROM shortlist s WHERE challenge = ?1 ORDER BY
                 (SELECT MIN(seq) FROM shortlist_history h
                  WHERE h.challenge = s.challenge AND h.startup = s.startup), startup"
            ),
            challenge,
        )
    }

    /// Every change to a challenge's shortlist, oldest first.
    pub fn shortlist_history(&self, challenge: &str) -> Result<Vec<ShortlistEntry>, StoreError> {
        self.shortlist_query(
            &format!("SELECT {COLUMNS} FROM shortlist_history WHERE challenge = ?1 ORDER BY seq"),
            challenge,
        )
    }

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

    /// Every change to every shortlist, oldest first.
    pub fn all_shortlist_history(&self) -> Result<Vec<ShortlistEntry>, StoreError> {
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
    pub fn shortlist_entry(
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
    pub fn shortlist_counts(&self) -> Result<std::collections::HashMap<String, usize>, StoreError> {
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
