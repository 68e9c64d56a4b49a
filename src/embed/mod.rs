//! Embed stage: texts in, L2-normalised vectors out.
//!
//! Owns everything between raw text and the encoder: the model's prompts ("query: " /
//! "passage: "), tokenization, texts longer than the model's window (truncate, or overlapping
//! windows averaged), and batching (sorted by length, padded to each batch's longest, capped by
//! a token budget so memory stays flat whatever the texts).

mod batch;
pub mod cache;
pub mod queue;

use std::sync::Arc;

use rayon::prelude::*;

use crate::model::{Model, ModelError, Precision};
pub use batch::{plan_batches, Window};
pub use cache::{CacheError, VectorCache};

/// Which side of a match a text is on; models with prompts embed the two sides differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The asking side: a challenge looking for startups, a free-text search.
    Query,
    /// The catalogue side: the texts being searched.
    Passage,
}

/// The side each kind of record is embedded on: challenges ask, startups are the catalogue.
pub fn role_for(kind: crate::domain::Kind) -> Role {
    match kind {
        crate::domain::Kind::Challenge => Role::Query,
        crate::domain::Kind::Startup => Role::Passage,
    }
}

/// What to do with a text longer than the model's `max_seq_length`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongText {
    /// Keep the first `max_seq_length` tokens (what sentence-transformers does).
    Truncate,
    /// Cover the whole text with windows overlapping by `overlap` tokens and average them,
    /// weighted by their token counts, so the end of a long challenge counts too.
    Window { overlap: usize },
}

impl std::str::FromStr for LongText {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "truncate" => Ok(LongText::Truncate),
            "window" => Ok(LongText::Window { overlap: 32 }),
            other => Err(format!("`{other}` is not one of: truncate, window")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct EmbedOptions {
    pub long_text: LongText,
    /// Most sequences in one forward pass.
    pub max_batch: usize,
    /// Most tokens (rows × padded length) in one forward pass.
    pub token_budget: usize,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions {
            long_text: LongText::Window { overlap: 32 },
            max_batch: 32,
            token_budget: 8192,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("text #{index} is empty or whitespace only; there is nothing to embed")]
    EmptyText { index: usize },
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Vectors plus the work it took, for throughput reporting.
#[derive(Debug, Clone)]
pub struct Embedded {
    pub vectors: Vec<Vec<f32>>,
    /// Tokens fed to the encoder (special tokens included, padding excluded).
    pub tokens: usize,
    pub windows: usize,
}

/// Turns texts into vectors with one model.
#[derive(Clone)]
pub struct Embedder {
    model: Arc<Model>,
    options: EmbedOptions,
}

impl Embedder {
    pub fn new(model: Arc<Model>, options: EmbedOptions) -> Self {
        Embedder { model, options }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn dim(&self) -> usize {
        self.model.info.dim
    }

    /// Identifies the vectors this embedder makes for `role`: model, prompt side and long-text
    /// policy. Stored vectors are only reused under the same key.
    pub fn key(&self, role: Role) -> String {
        let side = match role {
            Role::Query => "query",
            Role::Passage => "passage",
        };
        let long = match self.options.long_text {
            LongText::Truncate => "truncate".to_string(),
            LongText::Window { overlap } => format!("window{overlap}"),
        };
        let precision = match self.model.precision {
            Precision::F32 => String::new(),
            other => format!("@{other}"),
        };
        format!("{}{precision}|{side}|{long}", self.model.info.id)
    }

    pub fn embed(&self, texts: &[&str], role: Role) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(self.embed_with_stats(texts, role)?.vectors)
    }

    pub fn embed_one(&self, text: &str, role: Role) -> Result<Vec<f32>, EmbedError> {
        let mut v = self.embed(&[text], role)?;
        Ok(v.pop().expect("one vector per text"))
    }

    /// Token windows for each text: what the encoder will see.
    pub fn windows(&self, texts: &[&str], role: Role) -> Result<Vec<Window>, EmbedError> {
        if let Some(index) = texts.iter().position(|t| crate::domain::text::is_blank(t)) {
            return Err(EmbedError::EmptyText { index });
        }
        let info = &self.model.info;
        let prefix = match role {
            Role::Query => info.query_prefix.as_str(),
            Role::Passage => info.passage_prefix.as_str(),
        };
        let tokenizer = &self.model.tokenizer;
        let prefix_len = if prefix.is_empty() {
            0
        } else {
            tokenizer
                .encode(prefix.trim_end(), false)
                .map_err(|e| ModelError::Tokenizer(e.to_string()))?
                .len()
        };
        let windows = texts
            .par_iter()
            .enumerate()
            .map(|(i, text)| {
                let enc = tokenizer
                    .encode(format!("{prefix}{text}"), true)
                    .map_err(|e| ModelError::Tokenizer(format!("text #{i}: {e}")))?;
                Ok(batch::split_windows(
                    i,
                    enc.get_ids(),
                    enc.get_special_tokens_mask(),
                    prefix_len,
                    info.max_seq_length,
                    self.options.long_text,
                ))
            })
            .collect::<Result<Vec<_>, EmbedError>>()?;
        Ok(windows.into_iter().flatten().collect())
    }

    pub fn embed_with_stats(&self, texts: &[&str], role: Role) -> Result<Embedded, EmbedError> {
        let windows = self.windows(texts, role)?;
        let tokens = windows.iter().map(|w| w.ids.len()).sum();
        let mut pooled: Vec<Option<Vec<f32>>> = vec![None; windows.len()];
        for plan in plan_batches(&windows, self.options.max_batch, self.options.token_budget) {
            let batch = batch::pad(&windows, &plan, self.model.pad_id);
            let vectors = self.model.encoder.encode(&batch)?;
            for (&w, v) in plan.iter().zip(vectors) {
                pooled[w] = Some(v);
            }
        }
        let dim = self.model.info.dim;
        let mut sums = vec![vec![0f32; dim]; texts.len()];
        let mut weights = vec![0f32; texts.len()];
        for (w, v) in windows.iter().zip(pooled) {
            let v = v.expect("every window is in exactly one batch");
            let weight = w.ids.len() as f32;
            for (s, x) in sums[w.text].iter_mut().zip(v) {
                *s += weight * x;
            }
            weights[w.text] += weight;
        }
        let vectors = sums
            .into_iter()
            .zip(weights)
            .map(|(mut v, w)| {
                v.iter_mut().for_each(|x| *x /= w);
                if self.model.info.normalize {
                    normalize(&mut v);
                }
                v
            })
            .collect();
        Ok(Embedded {
            vectors,
            tokens,
            windows: windows.len(),
        })
    }
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}
