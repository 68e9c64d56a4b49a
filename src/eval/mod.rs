//! Eval stage: benchmark datasets, ranking metrics, and reproducible runs.

pub mod beir;
pub mod compare;
pub mod dense;
pub mod exposure;
pub mod judged;
pub mod metrics;
pub mod run;
pub mod trec;

pub use beir::{BeirDataset, BeirError};
pub use compare::{
    compare, configurations, Config, Dataset, Grid, LanguageRow, Prepared, QueryPrompt, Row, Search,
};
pub use dense::{challenge_run, dense_run, dense_run_texts, score, Scores};
pub use judged::{shared_dir, JudgedSet, JudgedSetError};
pub use metrics::{
    evaluate, judged_at_k, map_at_k, mean, mrr_at_k, ndcg_at_k, precision_at_k, recall_at_k,
    Evaluation, Metric, Qrels, Run,
};
