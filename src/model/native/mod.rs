//! govmatch's own CPU BERT encoder, built for throughput on few cores.
//!
//! What it does differently from a padded tensor implementation:
//! - **no padding work**: the linear layers run on the tokens of all sequences concatenated, and
//!   attention runs per (sequence, head) at that sequence's own length, so a batch costs what its
//!   real tokens cost;
//! - **fused epilogues**: bias and residual are written into the output before the matrix
//!   product accumulates onto it; GELU, softmax and layer norm are vectorised (`ops`);
//! - **both cores in every phase**: products, attention, and row-wise steps are all parallel;
//! - **precision per model**: `f32` (gemm's AVX-512 kernels) or `int8` (VNNI, `qgemm`).

mod fgemm;
mod ops;
mod qgemm;
mod weights;

/// Rows below which row-wise steps run on the calling thread: for a short query, waking the
/// thread pool ~150 times per forward pass cost more than the work itself.
pub(crate) const SERIAL_ROWS: usize = 64;

/// Applies `f(row index, row)` to each `width`-wide row, in parallel when there are many.
pub(crate) fn for_each_row(
    buf: &mut [f32],
    width: usize,
    f: impl Fn(usize, &mut [f32]) + Sync + Send,
) {
    if buf.len() / width < SERIAL_ROWS {
        buf.chunks_mut(width).enumerate().for_each(|(i, r)| f(i, r));
    } else {
        buf.par_chunks_mut(width)
            .enumerate()
            .for_each(|(i, r)| f(i, r));
    }
}

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use rayon::prelude::*;

use super::{Encoder, ModelError, Pooling, TokenBatch};
use qgemm::{QLinear, SyncPtr};
use weights::{BertConfig, WeightFile};

pub use qgemm::vnni_available;

/// Numeric format of the linear layers (and the word-embedding table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Full precision: vectors match the reference implementation (cosine ≥ 0.9999).
    #[default]
    F32,
    /// Weights per-channel int8, activations per-token int8: ~4× less weight memory and
    /// several times faster on CPUs with AVX-512 VNNI; cosine to f32 ≥ 0.99.
    Int8,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::Int8 => "int8",
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "f32" => Ok(Precision::F32),
            "int8" => Ok(Precision::Int8),
            other => Err(format!("unknown precision `{other}` (f32, int8)")),
        }
    }
}

/// A dense layer `y = x·wᵀ + b` in the chosen precision.
struct Linear {
    n: usize,
    k: usize,
    bias: Vec<f32>,
    kind: LinearKind,
}

enum LinearKind {
    /// Row-major `[n, k]`, multiplied by gemm (CPUs without AVX-512).
    F32(Vec<f32>),
    F32Packed(fgemm::PackedF32),
    Int8(QLinear),
}

impl Linear {
    fn new(w: Vec<f32>, bias: Vec<f32>, n: usize, k: usize, precision: Precision) -> Self {
        let kind = match precision {
            Precision::F32 => match fgemm::PackedF32::new(&w, n, k) {
                Some(p) => LinearKind::F32Packed(p),
                None => LinearKind::F32(w),
            },
            Precision::Int8 => LinearKind::Int8(QLinear::new(&w, n, k)),
        };
        Linear { n, k, bias, kind }
    }

    fn bytes(&self) -> usize {
        self.bias.len() * 4
            + match &self.kind {
                LinearKind::F32(w) => w.len() * 4,
                LinearKind::F32Packed(p) => p.bytes(),
                LinearKind::Int8(q) => q.bytes(),
            }
    }

    /// `x·wᵀ + b (+ residual)` for `m` rows.
    fn forward(&self, x: &[f32], m: usize, residual: Option<&[f32]>) -> Vec<f32> {
        let mut out = vec![0f32; m * self.n];
        for_each_row(&mut out, self.n, |i, row| {
            row.copy_from_slice(&self.bias);
            if let Some(res) = residual {
                ops::add_assign(row, &res[i * self.n..(i + 1) * self.n]);
            }
        });
        match &self.kind {
            LinearKind::F32(w) => matmul_acc(x, w, m, self.n, self.k, &mut out),
            LinearKind::F32Packed(p) => p.forward_acc(x, m, &mut out),
            LinearKind::Int8(q) => q.forward_acc(x, m, &mut out),
        }
        out
    }
}

/// `out[m, n] += x[m, k] · w[n, k]ᵀ` with gemm's kernels (AVX-512 where available).
fn matmul_acc(x: &[f32], w: &[f32], m: usize, n: usize, k: usize, out: &mut [f32]) {
    assert!(x.len() >= m * k && w.len() >= n * k && out.len() >= m * n);
    let parallelism = if m * n * k > 64 * 64 * 64 {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the assert above bounds every index gemm derives from these shapes and strides.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            true,
            x.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            k as isize,
            1,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        )
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

/// The word-embedding table: the largest tensor of a multilingual model (250k × 384).
enum WordTable {
    F32(Vec<f32>),
    /// int8 rows with one scale each (the table is only gathered from, never multiplied).
    Int8 {
        rows: Vec<i8>,
        scale: Vec<f32>,
    },
}

/// BERT encoder on govmatch's own kernels.
pub struct NativeBert {
    config: BertConfig,
    pooling: Pooling,
    precision: Precision,
    words: WordTable,
    positions: Vec<f32>,
    token_type0: Vec<f32>,
    emb_norm: (Vec<f32>, Vec<f32>),
    layers: Vec<Layer>,
}

impl NativeBert {
    /// Loads a Hugging Face BERT directory (config.json + model.safetensors).
    pub fn load(dir: &Path, pooling: Pooling, precision: Precision) -> Result<Self, ModelError> {
        let config = BertConfig::read(dir)?;
        let file = WeightFile::open(&dir.join("model.safetensors"))?;
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
        let words_shape = [config.vocab_size, h];
        let words_name = "embeddings.word_embeddings.weight";
        let words = match precision {
            Precision::F32 => WordTable::F32(get(words_name, &words_shape)?),
            Precision::Int8 => {
                let mut rows = Vec::with_capacity(config.vocab_size * h);
                let mut scale = Vec::with_capacity(config.vocab_size);
                file.for_each_row(words_name, &words_shape, |row| {
                    let s = quantize_row_i8(row, &mut rows);
                    scale.push(s);
                })?;
                WordTable::Int8 { rows, scale }
            }
        };
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
        let words = match &self.words {
            WordTable::F32(w) => w.len() * 4,
            WordTable::Int8 { rows, scale } => rows.len() + scale.len() * 4,
        };
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
        words + layers + (self.positions.len() + self.token_type0.len()) * 4
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
            let id = id as usize;
            match &self.words {
                WordTable::F32(w) => row.copy_from_slice(&w[id * h..(id + 1) * h]),
                WordTable::Int8 { rows, scale } => {
                    let s = scale[id];
                    for (d, &q) in row.iter_mut().zip(&rows[id * h..(id + 1) * h]) {
                        *d = q as f32 * s;
                    }
                }
            }
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
        let ctx = self.attention(&qkv, seqs, m);
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

    /// Self-attention of every sequence on its own tokens (nothing to mask: no padding).
    fn attention(&self, qkv: &[f32], seqs: &[Seq], m: usize) -> Vec<f32> {
        let h = self.config.hidden_size;
        let heads = self.config.num_attention_heads;
        let dh = h / heads;
        let scale = 1.0 / (dh as f32).sqrt();
        let mut ctx = vec![0f32; m * h];
        let ctx_ptr = SyncPtr(ctx.as_mut_ptr());
        let jobs: Vec<(usize, usize)> = (0..seqs.len())
            .flat_map(|s| (0..heads).map(move |hd| (s, hd)))
            .collect();
        // Short inputs: one run of jobs per thread instead of one wake-up per job.
        let min_len = if m < SERIAL_ROWS {
            jobs.len().div_ceil(rayon::current_num_threads())
        } else {
            1
        };
        jobs.par_iter().with_min_len(min_len).for_each(|&(s, hd)| {
            let (t0, len) = (seqs[s].start, seqs[s].len);
            let mut scores = vec![0f32; len * len];
            let q = &qkv[t0 * 3 * h + hd * dh..];
            let k = &qkv[t0 * 3 * h + h + hd * dh..];
            let v = &qkv[t0 * 3 * h + 2 * h + hd * dh..];
            assert!(v.len() >= (len - 1) * 3 * h + dh);
            // SAFETY: q, k, v hold `len` rows of stride 3h from their offsets (checked for v,
            // the last of the three); `scores` is len×len; the context block written is rows
            // t0..t0+len, columns hd·dh..(hd+1)·dh of `ctx`, which no other job touches.
            unsafe {
                gemm::gemm(
                    len,
                    len,
                    dh,
                    scores.as_mut_ptr(),
                    1,
                    len as isize,
                    false,
                    q.as_ptr(),
                    1,
                    3 * h as isize,
                    k.as_ptr(),
                    3 * h as isize,
                    1,
                    0.0,
                    scale,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
                scores.chunks_mut(len).for_each(ops::softmax);
                gemm::gemm(
                    len,
                    dh,
                    len,
                    ctx_ptr.get().add(t0 * h + hd * dh),
                    1,
                    h as isize,
                    false,
                    scores.as_ptr(),
                    1,
                    len as isize,
                    v.as_ptr(),
                    1,
                    3 * h as isize,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
        });
        ctx
    }
}

/// One sequence's real tokens and where its rows start in the concatenated activations.
struct Seq<'a> {
    ids: &'a [u32],
    start: usize,
    len: usize,
}

/// Appends `row` quantized symmetrically to int8 and returns its scale.
fn quantize_row_i8(row: &[f32], out: &mut Vec<i8>) -> f32 {
    let amax = ops::max_abs(row);
    let s = if amax > 0.0 { amax / 127.0 } else { 1.0 };
    out.extend(
        row.iter()
            .map(|v| ops::to_int((v / s).clamp(-127.0, 127.0)) as i8),
    );
    s
}

impl Encoder for NativeBert {
    fn encode(&self, batch: &TokenBatch) -> Result<Vec<Vec<f32>>, ModelError> {
        let mut seqs = Vec::with_capacity(batch.batch);
        let mut start = 0;
        for b in 0..batch.batch {
            let row = b * batch.len..(b + 1) * batch.len;
            let len = batch.mask[row.clone()].iter().filter(|&&v| v != 0).count();
            if len == 0 {
                return Err(ModelError::Inference(format!("sequence {b} has no tokens")));
            }
            if len > self.config.max_position_embeddings {
                return Err(ModelError::Inference(format!(
                    "sequence of {len} tokens exceeds the model's {} positions",
                    self.config.max_position_embeddings
                )));
            }
            if let Some(&id) = batch.ids[row.clone()][..len]
                .iter()
                .find(|&&id| id as usize >= self.config.vocab_size)
            {
                return Err(ModelError::Inference(format!(
                    "token id {id} is outside the vocabulary ({})",
                    self.config.vocab_size
                )));
            }
            seqs.push(Seq {
                ids: &batch.ids[row.start..row.start + len],
                start,
                len,
            });
            start += len;
        }
        let mut x = self.embed_tokens(&seqs);
        for layer in &self.layers {
            x = self.layer(layer, x, &seqs);
        }
        let h = self.config.hidden_size;
        Ok(seqs
            .iter()
            .map(|s| {
                let rows = &x[s.start * h..(s.start + s.len) * h];
                match self.pooling {
                    Pooling::Cls => rows[..h].to_vec(),
                    Pooling::Mean => {
                        let mut v = vec![0f32; h];
                        rows.chunks(h).for_each(|r| ops::add_assign(&mut v, r));
                        let inv = 1.0 / s.len.max(1) as f32;
                        v.iter_mut().for_each(|x| *x *= inv);
                        v
                    }
                }
            })
            .collect())
    }
}
