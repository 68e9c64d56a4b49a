//! sentence-transformers' Dense modules: linear projections after pooling (EmbeddingGemma maps
//! its 768-d mean through 3072-d and back). Read from `modules.json`, applied in order.

use std::path::Path;

use serde::Deserialize;

use super::weights::WeightFile;
use super::{Linear, Precision};
use crate::model::{read_json, ModelError};

#[derive(Deserialize)]
struct Module {
    path: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct DenseConfig {
    in_features: usize,
    out_features: usize,
    #[serde(default = "yes")]
    bias: bool,
    #[serde(default = "identity")]
    activation_function: String,
}

fn yes() -> bool {
    true
}
fn identity() -> String {
    "torch.nn.modules.linear.Identity".into()
}

/// The Dense modules of a model directory, in pipeline order; empty when it has none.
pub(super) struct DenseChain(Vec<Linear>);

impl DenseChain {
    pub(super) fn load(dir: &Path, precision: Precision) -> Result<Self, ModelError> {
        let modules_path = dir.join("modules.json");
        if !modules_path.exists() {
            return Ok(DenseChain(Vec::new()));
        }
        let modules: Vec<Module> = read_json(&modules_path)?;
        let mut layers = Vec::new();
        for m in modules.iter().filter(|m| m.kind.ends_with("models.Dense")) {
            let config_path = dir.join(&m.path).join("config.json");
            let c: DenseConfig = read_json(&config_path)?;
            if !c.activation_function.ends_with("Identity") {
                return Err(ModelError::Unsupported {
                    path: config_path,
                    message: format!(
                        "Dense activation `{}` (only Identity)",
                        c.activation_function
                    ),
                });
            }
            let file = WeightFile::open(&dir.join(&m.path).join("model.safetensors"), "")?;
            let (n, k) = (c.out_features, c.in_features);
            let weight = file.tensor("linear.weight", &[n, k])?;
            let bias = if c.bias {
                file.tensor("linear.bias", &[n])?
            } else {
                vec![0.0; n]
            };
            layers.push(Linear::new(weight, bias, n, k, precision));
        }
        Ok(DenseChain(layers))
    }

    /// Projects pooled vectors (one per row) through every layer.
    pub(super) fn apply(&self, pooled: Vec<Vec<f32>>) -> Vec<Vec<f32>> {
        if self.0.is_empty() || pooled.is_empty() {
            return pooled;
        }
        let m = pooled.len();
        let mut x: Vec<f32> = pooled.into_iter().flatten().collect();
        for layer in &self.0 {
            x = layer.forward(&x, m, None);
        }
        let width = x.len() / m;
        x.chunks(width).map(<[f32]>::to_vec).collect()
    }
}
