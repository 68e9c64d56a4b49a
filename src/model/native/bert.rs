//! BERT (all-MiniLM, multilingual-e5-small, most sentence-transformers checkpoints) on the
//! shared native pieces: absolute positions, post-norm layers, exact GELU.

use std::path::Path;

use super::ops;
use super::weights::WeightFile;
use super::{attention, for_each_row, split, EmbeddingTable, Linear, Precision, Rows, Seq};
use crate::model::{
    read_json, Backend, BertEncoder, Encoder, LoadOptions, ModelError, ModelInfo, Pooling,
    TokenBatch,
};

/// The architecture registry's loader: native kernels, or candle's BERT as the f32 reference.
pub(crate) fn load(
    dir: &Path,
    info: &ModelInfo,
    options: LoadOptions,
) -> Result<Box<dyn Encoder>, ModelError> {
    Ok(match (options.backend, options.precision) {
        (Backend::Native, precision) => Box::new(NativeBert::load(dir, info.pooling, precision)?),
        (Backend::Candle, Precision::F32) => Box::new(BertEncoder::load(dir, info.pooling)?),
        (Backend::Candle, other) => {
            return Err(ModelError::Unsupported {
                path: dir.to_path_buf(),
                message: format!("the candle backend runs f32 only, not {other}"),
            })
        }
    })
}

/// The config.json fields the encoder needs; anything it cannot run is refused at load.
#[derive(Debug, Clone, serde::Deserialize)]
struct BertConfig {
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    vocab_size: usize,
    max_position_embeddings: usize,
    #[serde(default = "two")]
    type_vocab_size: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f32,
    #[serde(default = "gelu")]
    hidden_act: String,
    #[serde(default = "absolute")]
    position_embedding_type: String,
}

fn two() -> usize {
    2
}
fn default_eps() -> f32 {
    1e-12
}
fn gelu() -> String {
    "gelu".into()
}
fn absolute() -> String {
    "absolute".into()
}

impl BertConfig {
    fn read(dir: &Path) -> Result<Self, ModelError> {
        let path = dir.join("config.json");
        let config: BertConfig = read_json(&path)?;
        let unsupported = |message: String| ModelError::Unsupported {
            path: path.clone(),
            message,
        };
        if config.hidden_act != "gelu" {
            return Err(unsupported(format!(
                "hidden_act `{}` (only the exact `gelu` of BERT)",
                config.hidden_act
            )));
        }
        if config.position_embedding_type != "absolute" {
            return Err(unsupported(format!(
                "position_embedding_type `{}` (only `absolute`)",
                config.position_embedding_type
            )));
        }
        if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            return Err(unsupported(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                config.hidden_size, config.num_attention_heads
            )));
        }
        Ok(config)
    }
}

struct Layer {
    qkv: Linear,
    attn_out: Linear,
    attn_norm: (Vec<f32>, Vec<f32>),
    ff_in: Linear,
    ff_out: Linear,
    out_norm: (Vec<f32>, Vec<f32>),
}

/// BERT encoder on govmatch's own kernels.
pub struct NativeBert {
    config: BertConfig,
    pooling: Pooling,
    precision: Precision,
    words: EmbeddingTable,
    positions: Vec<f32>,
    token_type0: Vec<f32>,
    emb_norm: (Vec<f32>, Vec<f32>),
    layers: Vec<Layer>,
}

impl NativeBert {
    /// Loads a Hugging Face BERT directory (config.json + model.safetensors).
    pub fn load(dir: &Path, pooling: Pooling, precision: Precision) -> Result<Self, ModelError> {
        let config = BertConfig::read(dir)?;
        // BertForX checkpoints store the encoder's tensors under `bert.`.
        let file = WeightFile::open(&dir.join("model.safetensors"), "bert.")?;
        let h = config.hidden_size;
        let get = |name: &str, shape: &[usize]| file.tensor(name, shape);
        let norm = |prefix: &str| -> Result<(Vec<f32>, Vec<f32>), ModelError> {
            Ok((
                get(&format!("{prefix}.weight"), &[h])?,
                get(&format!("{prefix}.bias"), &[h])?,
            ))
        };
        let linear = |prefix: &str, n: usize, k: usize| -> Result<Linear, ModelError> {
            Ok(Linear::new(
                get(&format!("{prefix}.weight"), &[n, k])?,
                get(&format!("{prefix}.bias"), &[n])?,
                n,
                k,
                precision,
            ))
        };
        let words = EmbeddingTable::load(
            &file,
            "embeddings.word_embeddings.weight",
            config.vocab_size,
            h,
            precision,
        )?;
        let positions = get(
            "embeddings.position_embeddings.weight",
            &[config.max_position_embeddings, h],
        )?;
        let types = get(
            "embeddings.token_type_embeddings.weight",
            &[config.type_vocab_size, h],
        )?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for l in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{l}");
            // Q, K and V as one [3h, h] product: one pass over the input instead of three.
            let mut qkv_w = Vec::with_capacity(3 * h * h);
            let mut qkv_b = Vec::with_capacity(3 * h);
            for part in ["query", "key", "value"] {
                qkv_w.extend(get(&format!("{p}.attention.self.{part}.weight"), &[h, h])?);
                qkv_b.extend(get(&format!("{p}.attention.self.{part}.bias"), &[h])?);
            }
            let ff = config.intermediate_size;
            layers.push(Layer {
                qkv: Linear::new(qkv_w, qkv_b, 3 * h, h, precision),
                attn_out: linear(&format!("{p}.attention.output.dense"), h, h)?,
                attn_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                ff_in: linear(&format!("{p}.intermediate.dense"), ff, h)?,
                ff_out: linear(&format!("{p}.output.dense"), h, ff)?,
                out_norm: norm(&format!("{p}.output.LayerNorm"))?,
            });
        }
        Ok(NativeBert {
            pooling,
            precision,
            words,
            positions,
            token_type0: types[..h].to_vec(),
            emb_norm: norm("embeddings.LayerNorm")?,
            layers,
            config,
        })
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Bytes of weights held in memory (what the precision choice changes).
    pub fn weight_bytes(&self) -> usize {
        let layers: usize = self
            .layers
            .iter()
            .map(|l| {
                l.qkv.bytes()
                    + l.attn_out.bytes()
                    + l.ff_in.bytes()
                    + l.ff_out.bytes()
                    + 4 * 4 * self.config.hidden_size
            })
            .sum();
        self.words.bytes() + layers + (self.positions.len() + self.token_type0.len()) * 4
    }

    fn embed_tokens(&self, seqs: &[Seq]) -> Vec<f32> {
        let h = self.config.hidden_size;
        let total: usize = seqs.iter().map(|s| s.len).sum();
        let mut x = vec![0f32; total * h];
        let mut slots: Vec<(u32, usize)> = Vec::with_capacity(total);
        for s in seqs {
            slots.extend(s.ids.iter().enumerate().map(|(pos, &id)| (id, pos)));
        }
        for_each_row(&mut x, h, |i, row| {
            let (id, pos) = slots[i];
            self.words.row_into(id as usize, row);
            ops::add_assign(row, &self.positions[pos * h..(pos + 1) * h]);
            ops::add_assign(row, &self.token_type0);
            ops::layer_norm(
                row,
                &self.emb_norm.0,
                &self.emb_norm.1,
                self.config.layer_norm_eps,
            );
        });
        x
    }

    fn layer(&self, layer: &Layer, x: Vec<f32>, seqs: &[Seq]) -> Vec<f32> {
        let h = self.config.hidden_size;
        let eps = self.config.layer_norm_eps;
        let m = x.len() / h;
        let qkv = layer.qkv.forward(&x, m, None);
        let heads = self.config.num_attention_heads;
        let dh = h / heads;
        let part = |offset| Rows {
            buf: &qkv,
            stride: 3 * h,
            offset,
        };
        let ctx = attention(
            part(0),
            part(h),
            part(2 * h),
            seqs,
            m,
            (heads, heads, dh),
            1.0 / (dh as f32).sqrt(),
            None,
        );
        let mut h1 = layer.attn_out.forward(&ctx, m, Some(&x));
        drop((x, qkv, ctx));
        for_each_row(&mut h1, h, |_, r| {
            ops::layer_norm(r, &layer.attn_norm.0, &layer.attn_norm.1, eps)
        });
        let mut ff = layer.ff_in.forward(&h1, m, None);
        for_each_row(&mut ff, layer.ff_in.n, |_, r| ops::gelu(r));
        let mut out = layer.ff_out.forward(&ff, m, Some(&h1));
        for_each_row(&mut out, h, |_, r| {
            ops::layer_norm(r, &layer.out_norm.0, &layer.out_norm.1, eps)
        });
        out
    }
}

impl Encoder for NativeBert {
    fn encode(&self, batch: &TokenBatch) -> Result<Vec<Vec<f32>>, ModelError> {
        let seqs = split(
            batch,
            self.config.max_position_embeddings,
            self.config.vocab_size,
        )?;
        let mut x = self.embed_tokens(&seqs);
        for layer in &self.layers {
            x = self.layer(layer, x, &seqs);
        }
        let h = self.config.hidden_size;
        Ok(seqs
            .iter()
            .map(|s| self.pooling.pool(&x[s.start * h..(s.start + s.len) * h], h))
            .collect())
    }
}
