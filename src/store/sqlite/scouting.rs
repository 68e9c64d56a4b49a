//! The searches served for one record, folded: a challenge page opened a thousand times with
//! the same options shows the same list, and a scouting record lists it once with how often
//! and when — so the record stays readable, and fast to build, however busy the page is.

use std::collections::HashMap;

use rusqlite::params;
use sha2::{Digest, Sha256};

use super::SqliteStore;
use crate::store::contract::{Feedback, Judged, ScoutingRecord, Search};
use crate::store::StoreError;

/// Which record each list was served for, and a key equal for identical lists; rows written
/// before have them filled from their JSON (the key then being the list's text itself).
pub(super) const MIGRATION: &str = "
    ALTER TABLE audit ADD COLUMN record_kind TEXT;
    ALTER TABLE audit ADD COLUMN record_id TEXT;
    ALTER TABLE audit ADD COLUMN list_key TEXT;
    UPDATE audit SET record_kind = json_extract(query, '$.kind'),
                     record_id = json_extract(query, '$.id'),
                     list_key = model || char(31) || index_version || char(31) || params
                                || char(31) || results;
    CREATE INDEX audit_by_list ON audit (record_kind, record_id, list_key);";

/// The key of one served list: equal for the same model, index version, parameters and
/// results.
pub(super) fn list_key(model: &str, index_version: &str, params: &str, results: &str) -> String {
    let mut h = Sha256::new();
    for part in [model, index_version, params, results] {
        h.update(part.as_bytes());
        h.update([31u8]);
    }
    hex::encode(h.finalize())[..32].to_string()
}

const WHERE_RECORD: &str = "a.record_kind = ?1 AND a.record_id = ?2";

impl ScoutingRecord for SqliteStore {
    /// The folded searches for the record `id` of `kind` (plural), in the order first served,
    /// and the feedback given on them.
    fn searches_for(&self, kind: &str, id: &str) -> Result<(Vec<Search>, Vec<Judged>), StoreError> {
        let r = (|| {
            let mut q = self.conn.prepare(&format!(
                "SELECT MIN(a.served_at), MAX(a.served_at), COUNT(*), MIN(a.request_id),
                        MIN(a.route), a.model, a.index_version, a.params, a.results, a.list_key
                 FROM audit a WHERE {WHERE_RECORD}
                 GROUP BY a.list_key
                 ORDER BY MIN(a.seq)"
            ))?;
            let mut keys: HashMap<String, usize> = HashMap::new();
            let rows = q.query_map(params![kind, id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                ))
            })?;
            let mut searches = Vec::new();
            for row in rows {
                let (
                    first,
                    last,
                    times,
                    request_id,
                    route,
                    model,
                    index_version,
                    params,
                    results,
                    key,
                ) = row?;
                keys.insert(key, searches.len());
                searches.push(Search {
                    first_served_at: first,
                    last_served_at: last,
                    times: times as usize,
                    request_id,
                    route,
                    model,
                    index_version,
                    params: serde_json::from_str(&params).unwrap_or(serde_json::Value::Null),
                    results: serde_json::from_str(&results).unwrap_or_default(),
                });
            }
            let mut q = self.conn.prepare(&format!(
                "SELECT f.request_id, f.item, f.label, f.comment, f.given_at, a.list_key
                 FROM feedback f JOIN audit a ON a.request_id = f.request_id
                 WHERE {WHERE_RECORD} ORDER BY f.seq"
            ))?;
            let rows = q.query_map(params![kind, id], |r| {
                Ok((
                    Feedback {
                        request_id: r.get(0)?,
                        item: r.get(1)?,
                        label: r.get(2)?,
                        comment: r.get(3)?,
                        given_at: r.get(4)?,
                    },
                    r.get::<_, String>(5)?,
                ))
            })?;
            let mut judged = Vec::new();
            for row in rows {
                let (feedback, key) = row?;
                if let Some(&search) = keys.get(&key) {
                    judged.push(Judged { feedback, search });
                }
            }
            Ok((searches, judged))
        })();
        self.sql(r)
    }
}
