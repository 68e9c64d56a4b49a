//! govmatch: match startups to the problems public agencies need solved.
//!
//! Data flows one way through the pipeline stages, one module each:
//! [`model`] (load + encode) → [`embed`] (batching, long texts, prefixes) →
//! [`index`] (nearest-neighbour search) → [`rank`] (lists with reasons) → [`eval`]
//! (ranking quality); [`service`] holds an open data directory and is what front ends call.
//! Front ends (the `govmatch` binary) call the library; the library never knows them.

pub mod domain;
pub mod embed;
pub mod eval;
pub mod files;
pub mod index;
pub mod ingest;
pub mod model;
pub mod rank;
pub mod register;
pub mod service;
pub mod store;
