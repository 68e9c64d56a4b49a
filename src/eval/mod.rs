//! Eval stage: benchmark datasets, ranking metrics, and reproducible runs.

pub mod beir;
pub mod dense;
pub mod metrics;

pub use beir::{BeirDataset, BeirError};
pub use dense::{challenge_run, dense_run, dense_run_texts, score, Scores};
pub use metrics::{mean, mrr_at_k, ndcg_at_k, recall_at_k, Qrels, Run};
