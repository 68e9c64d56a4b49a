//! Gemma 3 as a text encoder (EmbeddingGemma): bidirectional attention with grouped key/value
//! heads, rotary positions (a global and a local base), RMS norms before and after attention
//! and feed-forward, a gated tanh-GELU feed-forward, then mean pooling and sentence-transformers'
//! Dense projections. Native kernels only, f32 or int8.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::dense::DenseChain;
use super::ops;
use super::weights::WeightFile;
use super::{attention, for_each_row, split, EmbeddingTable, Linear, Precision, Rows, Seq};
use crate::model::{
    read_json, Backend, Encoder, LoadOptions, ModelError, ModelInfo, Pooling, TokenBatch,
};

/// The architecture registry's loader (native backend only: candle has no bidirectional Gemma).
pub(crate) fn load(
    dir: &Path,
    info: &ModelInfo,
    options: LoadOptions,
) -> Result<Box<dyn Encoder>, ModelError> {
    if options.backend != Backend::Native {
        return Err(ModelError::Unsupported {
            path: dir.to_path_buf(),
            message: "Gemma 3 runs on the native backend only".into(),
        });
    }
    Ok(Box::new(NativeGemma3::load(
        dir,
        info.pooling,
        options.precision,
    )?))
}

#[derive(Debug, Clone, Deserialize)]
struct RopeParameters {
    rope_theta: f64,
    #[serde(default)]
    rope_type: Option<String>,
}

/// The config.json fields the encoder needs; anything it cannot run is refused at load.
#[derive(Debug, Clone, Deserialize)]
struct Gemma3Config {
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    num_key_value_heads: usize,
    head_dim: usize,
    intermediate_size: usize,
    vocab_size: usize,
    max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    rms_norm_eps: f32,
    query_pre_attn_scalar: f32,
    #[serde(default)]
    sliding_window: Option<usize>,
    #[serde(default)]
    layer_types: Vec<String>,
    #[serde(default = "six")]
    sliding_window_pattern: usize,
    #[serde(default)]
    rope_theta: Option<f64>,
    #[serde(default)]
    rope_local_base_freq: Option<f64>,
    /// Newer transformers write the bases per layer type here instead.
    #[serde(default)]
    rope_parameters: Option<HashMap<String, RopeParameters>>,
    #[serde(default)]
    rope_scaling: Option<serde_json::Value>,
    #[serde(default = "gelu_tanh")]
    hidden_activation: String,
    #[serde(default)]
    use_bidirectional_attention: bool,
    #[serde(default)]
    attn_logit_softcapping: Option<f32>,
    #[serde(default)]
    attention_bias: bool,
}

fn default_eps() -> f32 {
    1e-6
}
fn six() -> usize {
    6
}
fn gelu_tanh() -> String {
    "gelu_pytorch_tanh".into()
}

impl Gemma3Config {
    fn read(dir: &Path) -> Result<Self, ModelError> {
        let path = dir.join("config.json");
        let c: Gemma3Config = read_json(&path)?;
        let unsupported = |message: String| ModelError::Unsupported {
            path: path.clone(),
            message,
        };
        if c.hidden_activation != "gelu_pytorch_tanh" {
            return Err(unsupported(format!(
                "hidden_activation `{}` (only gelu_pytorch_tanh)",
                c.hidden_activation
            )));
        }
        if !c.use_bidirectional_attention {
            return Err(unsupported(
                "use_bidirectional_attention is false: a causal Gemma is a decoder, not an encoder"
                    .into(),
            ));
        }
        if c.attn_logit_softcapping.is_some() || c.attention_bias {
            return Err(unsupported(
                "attention logit soft-capping or attention biases".into(),
            ));
        }
        if c.rope_scaling.as_ref().is_some_and(|v| !v.is_null()) {
            return Err(unsupported("rope_scaling".into()));
        }
        if let Some(p) = &c.rope_parameters {
            if p.values()
                .any(|r| r.rope_type.as_deref().is_some_and(|t| t != "default"))
            {
                return Err(unsupported("a rope_type other than `default`".into()));
            }
        }
        if c.num_key_value_heads == 0
            || !c.num_attention_heads.is_multiple_of(c.num_key_value_heads)
            || !c.head_dim.is_multiple_of(2)
        {
            return Err(unsupported(format!(
                "{} query heads over {} key/value heads of width {}",
                c.num_attention_heads, c.num_key_value_heads, c.head_dim
            )));
        }
        Ok(c)
    }

    /// Whether layer `l` attends within the sliding window (else to the whole sequence).
    fn is_sliding(&self, l: usize) -> bool {
        match self.layer_types.get(l) {
            Some(t) => t == "sliding_attention",
            None => !(l + 1).is_multiple_of(self.sliding_window_pattern.max(1)),
        }
    }

    /// Rotary base of global and of sliding layers.
    fn rope_bases(&self) -> (f64, f64) {
        let from_parameters = |kind: &str| {
            self.rope_parameters
                .as_ref()
                .and_then(|p| p.get(kind))
                .map(|r| r.rope_theta)
        };
        (
            from_parameters("full_attention")
                .or(self.rope_theta)
                .unwrap_or(1_000_000.0),
            from_parameters("sliding_attention")
                .or(self.rope_local_base_freq)
                .unwrap_or(10_000.0),
        )
    }
}

/// cos and sin of every position × frequency, `[positions, head_dim / 2]` each.
struct Rope {
    cos: Vec<f32>,
    sin: Vec<f32>,
    half: usize,
}

impl Rope {
    fn new(base: f64, head_dim: usize, positions: usize) -> Self {
        let half = head_dim / 2;
        let inv: Vec<f32> = (0..half)
            .map(|i| (1.0 / base.powf(2.0 * i as f64 / head_dim as f64)) as f32)
            .collect();
        let mut cos = Vec::with_capacity(positions * half);
        let mut sin = Vec::with_capacity(positions * half);
        for p in 0..positions {
            for f in &inv {
                let angle = p as f32 * f;
                cos.push(angle.cos());
                sin.push(angle.sin());
            }
        }
        Rope { cos, sin, half }
    }

    /// Rotates one head's vector at `pos` in place (the rotate-half convention).
    fn apply(&self, x: &mut [f32], pos: usize) {
        let (cos, sin) = (
            &self.cos[pos * self.half..(pos + 1) * self.half],
            &self.sin[pos * self.half..(pos + 1) * self.half],
        );
        let (a, b) = x.split_at_mut(self.half);
        for i in 0..self.half {
            let (x1, x2) = (a[i], b[i]);
            a[i] = x1 * cos[i] - x2 * sin[i];
            b[i] = x2 * cos[i] + x1 * sin[i];
        }
    }
}

struct Layer {
    input_norm: Vec<f32>,
    q: Linear,
    k: Linear,
    v: Linear,
    q_norm: Vec<f32>,
    k_norm: Vec<f32>,
    o: Linear,
    post_attention_norm: Vec<f32>,
    pre_ff_norm: Vec<f32>,
    gate: Linear,
    up: Linear,
    down: Linear,
    post_ff_norm: Vec<f32>,
    sliding: bool,
}

/// EmbeddingGemma on govmatch's own kernels.
pub struct NativeGemma3 {
    config: Gemma3Config,
    pooling: Pooling,
    words: EmbeddingTable,
    /// Gemma scales its word vectors by sqrt(hidden size).
    embed_scale: f32,
    layers: Vec<Layer>,
    final_norm: Vec<f32>,
    rope_global: Rope,
    rope_local: Rope,
    /// Sliding layers: token i sees j when |i − j| < window. A bidirectional Gemma's window
    /// of `sliding_window` tokens reaches half of it each way (transformers sets
    /// `sliding_window / 2 + 1` as the exclusive bound).
    window: Option<usize>,
    dense: DenseChain,
}

impl NativeGemma3 {
    pub fn load(dir: &Path, pooling: Pooling, precision: Precision) -> Result<Self, ModelError> {
        let config = Gemma3Config::read(dir)?;
        let file = WeightFile::open(&dir.join("model.safetensors"), "model.")?;
        let (h, dh) = (config.hidden_size, config.head_dim);
        let (heads, kv_heads) = (config.num_attention_heads, config.num_key_value_heads);
        let get = |name: &str, shape: &[usize]| file.tensor(name, shape);
        let linear = |name: &str, n: usize, k: usize| -> Result<Linear, ModelError> {
            Ok(Linear::new(
                get(&format!("{name}.weight"), &[n, k])?,
                vec![0.0; n],
                n,
                k,
                precision,
            ))
        };
        let words = EmbeddingTable::load(
            &file,
            "embed_tokens.weight",
            config.vocab_size,
            h,
            precision,
        )?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for l in 0..config.num_hidden_layers {
            let p = format!("layers.{l}");
            let ff = config.intermediate_size;
            layers.push(Layer {
                input_norm: get(&format!("{p}.input_layernorm.weight"), &[h])?,
                q: linear(&format!("{p}.self_attn.q_proj"), heads * dh, h)?,
                k: linear(&format!("{p}.self_attn.k_proj"), kv_heads * dh, h)?,
                v: linear(&format!("{p}.self_attn.v_proj"), kv_heads * dh, h)?,
                q_norm: get(&format!("{p}.self_attn.q_norm.weight"), &[dh])?,
                k_norm: get(&format!("{p}.self_attn.k_norm.weight"), &[dh])?,
                o: linear(&format!("{p}.self_attn.o_proj"), h, heads * dh)?,
                post_attention_norm: get(&format!("{p}.post_attention_layernorm.weight"), &[h])?,
                pre_ff_norm: get(&format!("{p}.pre_feedforward_layernorm.weight"), &[h])?,
                gate: linear(&format!("{p}.mlp.gate_proj"), ff, h)?,
                up: linear(&format!("{p}.mlp.up_proj"), ff, h)?,
                down: linear(&format!("{p}.mlp.down_proj"), h, ff)?,
                post_ff_norm: get(&format!("{p}.post_feedforward_layernorm.weight"), &[h])?,
                sliding: config.is_sliding(l),
            });
        }
        let (global, local) = config.rope_bases();
        let positions = config.max_position_embeddings;
        Ok(NativeGemma3 {
            pooling,
            words,
            embed_scale: (h as f32).sqrt(),
            layers,
            final_norm: get("norm.weight", &[h])?,
            rope_global: Rope::new(global, dh, positions),
            rope_local: Rope::new(local, dh, positions),
            dense: DenseChain::load(dir, precision)?,
            window: config.sliding_window.map(|w| w / 2 + 1),
            config,
        })
    }

    fn norm_rows(&self, x: &mut [f32], w: &[f32]) {
        let eps = self.config.rms_norm_eps;
        for_each_row(x, self.config.hidden_size, |_, r| {
            ops::rms_norm_one_plus(r, w, eps)
        });
    }

    /// Per-head RMS norm, then rotary positions, of a `[m, heads·dh]` projection.
    fn heads_in_place(
        &self,
        x: &mut [f32],
        heads: usize,
        norm: &[f32],
        rope: &Rope,
        pos: &[usize],
    ) {
        let (dh, eps) = (self.config.head_dim, self.config.rms_norm_eps);
        for_each_row(x, heads * dh, |i, row| {
            for head in row.chunks_mut(dh) {
                ops::rms_norm_one_plus(head, norm, eps);
                rope.apply(head, pos[i]);
            }
        });
    }

    fn layer(&self, layer: &Layer, mut x: Vec<f32>, seqs: &[Seq], pos: &[usize]) -> Vec<f32> {
        let c = &self.config;
        let (h, dh) = (c.hidden_size, c.head_dim);
        let (heads, kv_heads) = (c.num_attention_heads, c.num_key_value_heads);
        let m = x.len() / h;
        let rope = if layer.sliding {
            &self.rope_local
        } else {
            &self.rope_global
        };

        let mut normed = x.clone();
        self.norm_rows(&mut normed, &layer.input_norm);
        let mut q = layer.q.forward(&normed, m, None);
        let mut k = layer.k.forward(&normed, m, None);
        let v = layer.v.forward(&normed, m, None);
        drop(normed);
        self.heads_in_place(&mut q, heads, &layer.q_norm, rope, pos);
        self.heads_in_place(&mut k, kv_heads, &layer.k_norm, rope, pos);
        fn rows(buf: &[f32], n: usize, dh: usize) -> Rows<'_> {
            Rows {
                buf,
                stride: n * dh,
                offset: 0,
            }
        }
        let ctx = attention(
            rows(&q, heads, dh),
            rows(&k, kv_heads, dh),
            rows(&v, kv_heads, dh),
            seqs,
            m,
            (heads, kv_heads, dh),
            1.0 / c.query_pre_attn_scalar.sqrt(),
            self.window.filter(|_| layer.sliding),
        );
        drop((q, k, v));
        let mut attn = layer.o.forward(&ctx, m, None);
        self.norm_rows(&mut attn, &layer.post_attention_norm);
        ops::add_assign(&mut x, &attn);
        drop((ctx, attn));

        let mut normed = x.clone();
        self.norm_rows(&mut normed, &layer.pre_ff_norm);
        let mut gate = layer.gate.forward(&normed, m, None);
        let up = layer.up.forward(&normed, m, None);
        drop(normed);
        let ff = layer.gate.n;
        for_each_row(&mut gate, ff, |i, r| {
            ops::gelu_tanh(r);
            ops::mul_assign(r, &up[i * ff..(i + 1) * ff]);
        });
        let mut down = layer.down.forward(&gate, m, None);
        self.norm_rows(&mut down, &layer.post_ff_norm);
        ops::add_assign(&mut x, &down);
        x
    }
}

impl Encoder for NativeGemma3 {
    fn encode(&self, batch: &TokenBatch) -> Result<Vec<Vec<f32>>, ModelError> {
        let c = &self.config;
        let seqs = split(batch, c.max_position_embeddings, c.vocab_size)?;
        let h = c.hidden_size;
        let pos: Vec<usize> = seqs.iter().flat_map(|s| 0..s.len).collect();
        let ids: Vec<u32> = seqs.iter().flat_map(|s| s.ids.iter().copied()).collect();
        let mut x = vec![0f32; ids.len() * h];
        let scale = self.embed_scale;
        for_each_row(&mut x, h, |i, row| {
            self.words.row_into(ids[i] as usize, row);
            row.iter_mut().for_each(|v| *v *= scale);
        });
        for layer in &self.layers {
            x = self.layer(layer, x, &seqs, &pos);
        }
        self.norm_rows(&mut x, &self.final_norm);
        let pooled = seqs
            .iter()
            .map(|s| self.pooling.pool(&x[s.start * h..(s.start + s.len) * h], h))
            .collect();
        Ok(self.dense.apply(pooled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rope_rotates_pairs_half_a_vector_apart() {
        let rope = Rope::new(10_000.0, 4, 3);
        // Position 0 is the identity.
        let mut x = [1.0, 2.0, 3.0, 4.0];
        rope.apply(&mut x, 0);
        assert_eq!(x, [1.0, 2.0, 3.0, 4.0]);
        // Position 1, first frequency 1 rad: (x0, x2) rotate by 1 rad; the norm is kept.
        let mut y = [1.0, 0.0, 0.0, 0.0];
        rope.apply(&mut y, 1);
        assert!((y[0] - 1f32.cos()).abs() < 1e-6 && (y[2] - 1f32.sin()).abs() < 1e-6);
        let norm: f32 = y.iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-6);
    }
}
