//! BERT-family encoder on candle-transformers (all-MiniLM, multilingual-e5, most
//! sentence-transformers checkpoints).

use std::path::Path;

use candle_core::{DType, Device, IndexOp, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};

use super::{read_json, Encoder, ModelError, Pooling, TokenBatch};

pub struct BertEncoder {
    model: BertModel,
    pooling: Pooling,
    device: Device,
}

impl BertEncoder {
    pub fn load(dir: &Path, pooling: Pooling) -> Result<Self, ModelError> {
        let config: Config = read_json(&dir.join("config.json"))?;
        let weights = dir.join("model.safetensors");
        if !weights.exists() {
            return Err(ModelError::Format {
                path: weights,
                message: "missing (only safetensors weights are supported)".into(),
            });
        }
        let device = Device::Cpu;
        // SAFETY: the weights file is memory-mapped read-only; govmatch never writes to a model
        // directory while a model from it is loaded (fetch writes a new directory and renames).
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &device) }
            .map_err(|e| ModelError::Format {
            path: weights.clone(),
            message: format!("unreadable weights: {e}"),
        })?;
        let model = BertModel::load(vb, &config).map_err(|e| ModelError::Format {
            path: weights.clone(),
            message: format!("weights do not match config.json: {e}"),
        })?;
        Ok(BertEncoder {
            model,
            pooling,
            device,
        })
    }
}

impl Encoder for BertEncoder {
    fn encode(&self, batch: &TokenBatch) -> Result<Vec<Vec<f32>>, ModelError> {
        let shape = (batch.batch, batch.len);
        let ids = Tensor::from_slice(&batch.ids, shape, &self.device)?;
        let mask = Tensor::from_slice(&batch.mask, shape, &self.device)?;
        // Single sequences: every token has type 0, as sentence-transformers feeds them.
        let type_ids = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?;
        let pooled = match self.pooling {
            Pooling::Cls => hidden.i((.., 0))?,
            Pooling::Mean => {
                let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
                let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
                summed.broadcast_div(&counts)?
            }
        };
        Ok(pooled.to_vec2()?)
    }
}
