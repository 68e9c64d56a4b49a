//! Shortlists through the service: checked against the catalogue (both ids must exist) and
//! the entry's own rules, stamped with the time, stored with their history.

use std::collections::HashMap;

use crate::domain::{Kind, ShortlistEntry};

use super::audit::now;
use super::{Service, ServiceError};

impl Service {
    fn require(&self, kind: Kind, field: &'static str, id: &str) -> Result<(), ServiceError> {
        match self.record(kind, id) {
            Some(_) => Ok(()),
            None => Err(ServiceError::NotFound {
                field,
                kind: kind.plural(),
                id: id.to_string(),
            }),
        }
    }

    /// A challenge's shortlist (404 for an unknown challenge).
    pub fn shortlist(&self, challenge: &str) -> Result<Vec<ShortlistEntry>, ServiceError> {
        self.require(Kind::Challenge, "id", challenge)?;
        Ok(self.store().shortlist(challenge)?)
    }

    /// Every change to a challenge's shortlist, oldest first.
    pub fn shortlist_history(&self, challenge: &str) -> Result<Vec<ShortlistEntry>, ServiceError> {
        self.require(Kind::Challenge, "id", challenge)?;
        Ok(self.store().shortlist_history(challenge)?)
    }

    /// Puts a startup on a challenge's shortlist or moves it to another stage. Nothing is
    /// stored unless both ids exist and the entry is valid; `changed_at` is set here.
    pub fn set_shortlist(&self, mut entry: ShortlistEntry) -> Result<ShortlistEntry, ServiceError> {
        self.require(Kind::Challenge, "challenge", &entry.challenge)?;
        self.require(Kind::Startup, "startup", &entry.startup)?;
        entry.validate().map_err(|e| ServiceError::Invalid {
            field: e.field,
            message: e.problem,
        })?;
        entry.note = entry.note.trim().to_string();
        entry.reason = entry
            .reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        entry.changed_at = now();
        self.store().put_shortlist(&entry)?;
        Ok(entry)
    }

    /// Shortlisted (not rejected) startups per challenge.
    pub fn shortlist_counts(&self) -> Result<HashMap<String, usize>, ServiceError> {
        Ok(self.store().shortlist_counts()?)
    }
}
