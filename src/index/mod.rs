//! Index stage: nearest-neighbour search over unit vectors — exact, and HNSW kept in step
//! with the store (tombstones, incremental inserts, rebuilds, manifests).

mod distance;
mod exact;
pub mod filter;
mod flat;
pub mod hnsw;
pub mod live;
pub mod persist;
pub mod sync;

pub use exact::{dot, ExactIndex, Hit};
pub use filter::{Facets, Filter, FilterError};
pub use hnsw::{Entry, HnswIndex, HnswParams};
pub use live::{LiveIndex, Scored, Snapshot};
pub use sync::{index_dir, open_synced, IndexError, Origin, Save, SyncReport};
