//! The SQLite backend of the store contract (WAL; the embedded default): schema, migrations
//! and the only SQL. Each write is one `BEGIN IMMEDIATE` transaction, so concurrent writers
//! (two processes on one data directory) wait for each other instead of failing, and a crash
//! leaves the last committed state. One file per part of the contract: this one holds the
//! catalogue (records, vectors, sentence vectors).

mod audit;
mod quality;
mod scouting;
mod shortlist;

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::contract::{Catalogue, QualityRow, Store};
use super::{
    db_path, exists, has_saved_indexes, RecordWithVector, StoreError, StoredRecord, UpsertCounts,
};
use crate::domain::Kind;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: records and vectors.
    "CREATE TABLE records (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        data TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        stored_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        PRIMARY KEY (kind, id)
    );
    CREATE TABLE vectors (
        embed_key TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (embed_key, text_hash)
    );
    CREATE INDEX records_by_hash ON records (text_hash);",
    // 2: audit trail and feedback.
    audit::MIGRATION,
    // 3: vectors of single sentences, for explanations (keyed by model, side and sentence).
    "CREATE TABLE sentence_vectors (
        key TEXT PRIMARY KEY,
        vector BLOB NOT NULL
    );",
    // 4: data-quality flags per record, written with the record.
    quality::MIGRATION,
    // 5: shortlists and their history.
    shortlist::MIGRATION,
    // 6: the audit trail by record and by list, for scouting reports.
    scouting::MIGRATION,
    // 7: closed shortlist history of deleted challenges.
    shortlist::MIGRATION_CLOSED,
    // 8: the caller's own request id beside the server's.
    audit::MIGRATION_CLIENT_ID,
];

/// A store in one SQLite file (`govmatch.db` in the data directory).
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

fn vector_to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn blob_to_vector(hash: &str, b: &[u8]) -> Result<Vec<f32>, StoreError> {
    if !b.len().is_multiple_of(4) {
        return Err(StoreError::BadVector {
            text_hash: hash.to_string(),
            bytes: b.len(),
        });
    }
    Ok(b.chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect())
}

impl SqliteStore {
    /// Opens the store in `data_dir`, creating it when the directory holds none, and brings
    /// its schema up to date. A missing or empty database beside saved indexes is refused
    /// ([`StoreError::Orphaned`]), touching nothing.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let path = db_path(data_dir);
        if !exists(data_dir) && has_saved_indexes(data_dir) {
            return Err(StoreError::Orphaned {
                path,
                index: data_dir.join("index"),
            });
        }
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let conn = Connection::open(&path).map_err(|source| StoreError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let mut store = SqliteStore { conn, path };
        store.setup()?;
        Ok(store)
    }

    fn sql<T>(&self, r: rusqlite::Result<T>) -> Result<T, StoreError> {
        r.map_err(|source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }

    fn setup(&mut self) -> Result<(), StoreError> {
        let r = self.conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;",
        );
        self.sql(r)?;
        let version: i64 = {
            let r = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0));
            self.sql(r)?
        };
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let r = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .and_then(|tx| {
                    tx.execute_batch(migration)?;
                    tx.pragma_update(None, "user_version", (i + 1) as i64)?;
                    tx.commit()
                });
            self.sql(r)?;
            tracing::info!(version = i + 1, "store schema migrated");
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Store for SqliteStore {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn schema_version(&self) -> Result<i64, StoreError> {
        let r = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0));
        self.sql(r)
    }
}

impl Catalogue for SqliteStore {
    /// The vector of an already embedded text, if any.
    fn vector_by_hash(
        &self,
        embed_key: &str,
        text_hash: &str,
    ) -> Result<Option<Vec<f32>>, StoreError> {
        let r = self
            .conn
            .query_row(
                "SELECT vector FROM vectors WHERE embed_key = ?1 AND text_hash = ?2",
                params![embed_key, text_hash],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional();
        self.sql(r)?
            .map(|b| blob_to_vector(text_hash, &b))
            .transpose()
    }

    /// Writes records, their quality flags (`quality[i]` belongs to `records[i]`) and new
    /// vectors in one transaction: all of it lands, or none.
    fn upsert(
        &mut self,
        kind: Kind,
        records: &[StoredRecord],
        quality: &[QualityRow],
        embed_key: &str,
        vectors: &[(String, Vec<f32>)],
    ) -> Result<UpsertCounts, StoreError> {
        let mut counts = UpsertCounts::default();
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(wrap)?;
        {
            let mut put_vec = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO vectors (embed_key, text_hash, vector) VALUES (?1, ?2, ?3)",
                )
                .map_err(wrap)?;
            for (hash, v) in vectors {
                put_vec
                    .execute(params![embed_key, hash, vector_to_blob(v)])
                    .map_err(wrap)?;
            }
            let mut get = tx
                .prepare_cached("SELECT data FROM records WHERE kind = ?1 AND id = ?2")
                .map_err(wrap)?;
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO records (kind, id, data, text_hash) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data,
                       text_hash = excluded.text_hash, stored_at = excluded.stored_at",
                )
                .map_err(wrap)?;
            for q in quality {
                quality::put(&tx, kind, q).map_err(wrap)?;
            }
            for r in records {
                let old: Option<String> = get
                    .query_row(params![kind.plural(), r.id], |row| row.get(0))
                    .optional()
                    .map_err(wrap)?;
                match old {
                    Some(old) if old == r.data => {
                        counts.unchanged += 1;
                        continue;
                    }
                    Some(_) => counts.updated += 1,
                    None => counts.inserted += 1,
                }
                put.execute(params![kind.plural(), r.id, r.data, r.text_hash])
                    .map_err(wrap)?;
            }
        }
        tx.commit().map_err(wrap)?;
        Ok(counts)
    }

    /// Every stored sentence vector with its key (see `rank::SentenceCache::key`).
    fn sentence_vectors(&self) -> Result<Vec<(String, Vec<f32>)>, StoreError> {
        let r = (|| {
            let mut q = self
                .conn
                .prepare("SELECT key, vector FROM sentence_vectors")?;
            let rows = q.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })();
        self.sql(r)?
            .into_iter()
            .map(|(k, b)| blob_to_vector(&k, &b).map(|v| (k, v)))
            .collect()
    }

    /// Keeps sentence vectors (one transaction).
    fn put_sentence_vectors(&mut self, items: &[(String, Vec<f32>)]) -> Result<(), StoreError> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut put = tx.prepare_cached(
                    "INSERT OR REPLACE INTO sentence_vectors (key, vector) VALUES (?1, ?2)",
                )?;
                for (k, v) in items {
                    put.execute(params![k, vector_to_blob(v)])?;
                }
            }
            tx.commit()
        })();
        self.sql(r)
    }

    /// Deletes records by id; returns the ids that existed. Vectors no record uses go too,
    /// and the records' shortlist entries are closed (see [`shortlist::close_for`]), with
    /// `actor` named in their history — all in one transaction.
    fn delete(
        &mut self,
        kind: Kind,
        ids: &[String],
        actor: &str,
    ) -> Result<Vec<String>, StoreError> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(wrap)?;
        let mut deleted = Vec::new();
        {
            let mut del = tx
                .prepare_cached("DELETE FROM records WHERE kind = ?1 AND id = ?2")
                .map_err(wrap)?;
            let mut del_quality = tx
                .prepare_cached("DELETE FROM quality WHERE kind = ?1 AND id = ?2")
                .map_err(wrap)?;
            for id in ids {
                del_quality
                    .execute(params![kind.plural(), id])
                    .map_err(wrap)?;
                if del.execute(params![kind.plural(), id]).map_err(wrap)? > 0 {
                    shortlist::close_for(&tx, kind, id, actor).map_err(wrap)?;
                    deleted.push(id.clone());
                }
            }
            tx.execute(
                "DELETE FROM vectors WHERE NOT EXISTS
                   (SELECT 1 FROM records r WHERE r.text_hash = vectors.text_hash)",
                [],
            )
            .map_err(wrap)?;
        }
        tx.commit().map_err(wrap)?;
        Ok(deleted)
    }

    fn get(&self, kind: Kind, id: &str) -> Result<Option<StoredRecord>, StoreError> {
        let r = self
            .conn
            .query_row(
                "SELECT id, data, text_hash FROM records WHERE kind = ?1 AND id = ?2",
                params![kind.plural(), id],
                |r| {
                    Ok(StoredRecord {
                        id: r.get(0)?,
                        data: r.get(1)?,
                        text_hash: r.get(2)?,
                    })
                },
            )
            .optional();
        self.sql(r)
    }

    fn count(&self, kind: Kind) -> Result<usize, StoreError> {
        let r = self.conn.query_row(
            "SELECT COUNT(*) FROM records WHERE kind = ?1",
            params![kind.plural()],
            |r| r.get::<_, i64>(0),
        );
        Ok(self.sql(r)? as usize)
    }

    /// Every record of a kind, ordered by id.
    fn records(&self, kind: Kind) -> Result<Vec<StoredRecord>, StoreError> {
        let mut stmt = self.sql(
            self.conn
                .prepare("SELECT id, data, text_hash FROM records WHERE kind = ?1 ORDER BY id"),
        )?;
        let rows = stmt.query_map(params![kind.plural()], |r| {
            Ok(StoredRecord {
                id: r.get(0)?,
                data: r.get(1)?,
                text_hash: r.get(2)?,
            })
        });
        let rows = self.sql(rows)?;
        rows.map(|r| self.sql(r)).collect()
    }

    /// Every record of a kind with its vector under `embed_key` (None if not embedded yet),
    /// ordered by id so everything built from it is deterministic.
    fn records_with_vectors(
        &self,
        kind: Kind,
        embed_key: &str,
    ) -> Result<Vec<RecordWithVector>, StoreError> {
        let mut stmt = self.sql(self.conn.prepare(
            "SELECT r.id, r.data, r.text_hash, v.vector FROM records r
             LEFT JOIN vectors v ON v.text_hash = r.text_hash AND v.embed_key = ?2
             WHERE r.kind = ?1 ORDER BY r.id",
        ))?;
        let rows = stmt.query_map(params![kind.plural(), embed_key], |r| {
            Ok((
                StoredRecord {
                    id: r.get(0)?,
                    data: r.get(1)?,
                    text_hash: r.get(2)?,
                },
                r.get::<_, Option<Vec<u8>>>(3)?,
            ))
        });
        let rows = self.sql(rows)?;
        let mut out = Vec::new();
        for row in rows {
            let (rec, blob) = self.sql(row)?;
            let v = blob
                .map(|b| blob_to_vector(&rec.text_hash, &b))
                .transpose()?;
            out.push((rec, v));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, data: &str, hash: &str) -> StoredRecord {
        StoredRecord {
            id: id.into(),
            data: data.into(),
            text_hash: hash.into(),
        }
    }

    #[test]
    fn upsert_counts_and_vectors_by_hash() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteStore::open(dir.path()).unwrap();
        let v = vec![("h1".to_string(), vec![1.0, 0.0])];
        let c = s
            .upsert(Kind::Startup, &[rec("a", "{}", "h1")], &[], "k", &v)
            .unwrap();
        assert_eq!(c.inserted, 1);
        let c = s
            .upsert(Kind::Startup, &[rec("a", "{}", "h1")], &[], "k", &[])
            .unwrap();
        assert_eq!(c.unchanged, 1);
        let c = s
            .upsert(Kind::Startup, &[rec("a", "{\"x\":1}", "h1")], &[], "k", &[])
            .unwrap();
        assert_eq!(c.updated, 1);
        assert_eq!(s.vector_by_hash("k", "h1").unwrap(), Some(vec![1.0, 0.0]));
        assert_eq!(s.vector_by_hash("other", "h1").unwrap(), None);
        // Reopening keeps everything and does not re-run migrations.
        drop(s);
        let mut s = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(s.count(Kind::Startup).unwrap(), 1);
        assert_eq!(s.count(Kind::Challenge).unwrap(), 0);
        assert_eq!(
            s.delete(Kind::Startup, &["a".into(), "zz".into()], "test")
                .unwrap(),
            vec!["a"]
        );
        assert_eq!(
            s.vector_by_hash("k", "h1").unwrap(),
            None,
            "orphan vector removed"
        );
    }
}
