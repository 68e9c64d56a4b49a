//! One validated record of either kind, and the hash that ties a text to its vector: what
//! ingest, store, index and rank all pass around.

use sha2::{Digest, Sha256};

use super::{Challenge, Kind, Startup};

/// A validated record of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Startup(Startup),
    Challenge(Challenge),
}

impl Record {
    pub fn id(&self) -> &str {
        match self {
            Record::Startup(s) => &s.id,
            Record::Challenge(c) => &c.id,
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Record::Startup(_) => Kind::Startup,
            Record::Challenge(_) => Kind::Challenge,
        }
    }

    pub fn embed_text(&self) -> String {
        match self {
            Record::Startup(s) => s.embed_text(),
            Record::Challenge(c) => c.embed_text(),
        }
    }

    pub fn to_json(&self) -> String {
        match self {
            Record::Startup(s) => serde_json::to_string(s),
            Record::Challenge(c) => serde_json::to_string(c),
        }
        .expect("domain types always serialise")
    }

    /// Parses a stored or submitted JSON object of `kind`, naming the field at fault.
    pub fn from_value(
        kind: Kind,
        value: serde_json::Value,
    ) -> Result<Self, (Option<String>, String)> {
        fn de<T: serde::de::DeserializeOwned>(
            v: serde_json::Value,
        ) -> Result<T, (Option<String>, String)> {
            super::json::from_value(v).map_err(|e| match e {
                super::json::JsonError::Field { field, message } => (Some(field), message),
                other => (other.field().map(str::to_string), other.to_string()),
            })
        }
        let mut record = match kind {
            Kind::Startup => Record::Startup(de(value)?),
            Kind::Challenge => Record::Challenge(de(value)?),
        };
        let checked = match &mut record {
            Record::Startup(s) => s.validate(),
            Record::Challenge(c) => c.validate(),
        };
        checked.map_err(|e| (Some(e.field), e.problem))?;
        Ok(record)
    }
}

impl Record {
    /// A record as the store keeps it: its JSON read back as written, without applying the
    /// rules of today's validation again (a record stored under older rules stays readable);
    /// JSON that no longer reads is an error saying why.
    pub fn from_stored(kind: Kind, data: &str) -> Result<Self, String> {
        Ok(match kind {
            Kind::Startup => {
                Record::Startup(serde_json::from_str(data).map_err(|e| e.to_string())?)
            }
            Kind::Challenge => {
                Record::Challenge(serde_json::from_str(data).map_err(|e| e.to_string())?)
            }
        })
    }
}

/// sha256 of the text a record embeds: unchanged text, unchanged vector.
pub fn text_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}
