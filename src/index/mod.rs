//! Index stage: nearest-neighbour search over unit vectors.

mod exact;

pub use exact::{ExactIndex, Hit};
