//! The market-scouting record of one challenge: what was searched (text, model, index
//! version, parameters, date), which candidates were shown, which were shortlisted or
//! rejected and why, and the feedback given — what a procurement officer files to show the
//! scouting was broad and fair. Read from the audit trail, the shortlist and the feedback.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{Challenge, Kind, Record, ShortlistEntry};
use crate::store::{Judged, Search};

use super::audit::now;
use super::{Service, ServiceError};

#[derive(Debug, Clone, Serialize)]
pub struct ScoutingReport {
    pub challenge: Challenge,
    pub generated_at: String,
    /// The lists served for the challenge, identical ones folded (with how often and when),
    /// in the order first served.
    pub searches: Vec<Search>,
    pub shortlist: Vec<ShortlistEntry>,
    /// Every shortlist change, oldest first.
    pub history: Vec<ShortlistEntry>,
    /// Judgements given on the served lists, each with its search.
    pub feedback: Vec<Judged>,
    /// Startup names by id, for every startup the report mentions.
    pub names: BTreeMap<String, String>,
}

impl Service {
    pub fn scouting_report(&self, challenge: &str) -> Result<ScoutingReport, ServiceError> {
        let Some(Record::Challenge(c)) = self.record(Kind::Challenge, challenge) else {
            return Err(ServiceError::NotFound {
                field: "id",
                kind: "challenges",
                id: challenge.to_string(),
            });
        };
        // Lists served moments ago may still be on their way to disk.
        self.audit.flush();
        let ((searches, feedback), shortlist, history) = {
            let store = self.store();
            (
                store.searches_for(Kind::Challenge.plural(), challenge)?,
                store.shortlist(challenge)?,
                store.shortlist_history(challenge)?,
            )
        };
        let names = searches
            .iter()
            .flat_map(|s| s.results.iter().map(|r| r.id.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .chain(history.iter().map(|h| h.startup.clone()))
            .filter_map(|id| match self.record(Kind::Startup, &id) {
                Some(Record::Startup(s)) => Some((id, s.name)),
                _ => None,
            })
            .collect();
        Ok(ScoutingReport {
            challenge: c,
            generated_at: now(),
            searches,
            shortlist,
            history,
            feedback,
            names,
        })
    }
}
