//! govmatch's own CPU encoders, built for throughput on few cores. This module holds what every
//! architecture shares; each architecture is one file (`bert.rs`) that wires these pieces up.
//!
//! What they do differently from a padded tensor implementation:
//! - **no padding work**: the linear layers run on the tokens of all sequences concatenated, and
//!   attention runs per (sequence, head) at that sequence's own length, so a batch costs what its
//!   real tokens cost;
//! - **fused epilogues**: bias and residual are written into the output before the matrix
//!   product accumulates onto it; GELU, softmax and layer norm are vectorised (`ops`);
//! - **both cores in every phase**: products, attention, and row-wise steps are all parallel;
//! - **precision per model**: `f32` (gemm's AVX-512 kernels) or `int8` (VNNI, `qgemm`).

mod bert;
mod dense;
mod fgemm;
mod gemma3;
mod ops;
mod qgemm;
mod weights;

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;

use super::{ModelError, TokenBatch};
use qgemm::{QLinear, SyncPtr};
use weights::WeightFile;

pub(crate) use bert::load as load_bert;
pub use bert::NativeBert;
pub(crate) use gemma3::load as load_gemma3;
pub use qgemm::vnni_available;

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

/// A token-embedding table: the largest tensor of a multilingual model (250k × 384).
enum EmbeddingTable {
    F32 {
        rows: Vec<f32>,
        width: usize,
    },
    /// int8 rows with one scale each (the table is only gathered from, never multiplied).
    Int8 {
        rows: Vec<i8>,
        scale: Vec<f32>,
        width: usize,
    },
}

impl EmbeddingTable {
    /// Reads tensor `name` (`[vocab, width]`); in int8 row by row, so the f32 table is never
    /// held in memory at once.
    fn load(
        file: &WeightFile,
        name: &str,
        vocab: usize,
        width: usize,
        precision: Precision,
    ) -> Result<Self, ModelError> {
        let shape = [vocab, width];
        Ok(match precision {
            Precision::F32 => EmbeddingTable::F32 {
                rows: file.tensor(name, &shape)?,
                width,
            },
            Precision::Int8 => {
                let mut rows = Vec::with_capacity(vocab * width);
                let mut scale = Vec::with_capacity(vocab);
                file.for_each_row(name, &shape, |row| {
                    let s = quantize_row_i8(row, &mut rows);
                    scale.push(s);
                })?;
                EmbeddingTable::Int8 { rows, scale, width }
            }
        })
    }

    /// Writes row `id` into `dst` (ids are checked against the vocabulary by [`split`]).
    fn row_into(&self, id: usize, dst: &mut [f32]) {
        match self {
            EmbeddingTable::F32 { rows, width } => {
                dst.copy_from_slice(&rows[id * width..(id + 1) * width])
            }
            EmbeddingTable::Int8 { rows, scale, width } => {
                let s = scale[id];
                for (d, &q) in dst.iter_mut().zip(&rows[id * width..(id + 1) * width]) {
                    *d = q as f32 * s;
                }
            }
        }
    }

    fn bytes(&self) -> usize {
        match self {
            EmbeddingTable::F32 { rows, .. } => rows.len() * 4,
            EmbeddingTable::Int8 { rows, scale, .. } => rows.len() + scale.len() * 4,
        }
    }
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

/// One sequence's real tokens and where its rows start in the concatenated activations.
struct Seq<'a> {
    ids: &'a [u32],
    start: usize,
    len: usize,
}

/// Splits a padded batch into its sequences' real tokens, refusing what the model cannot embed
/// (an empty sequence, more tokens than positions, an id outside the vocabulary) before any
/// table is indexed with it.
fn split(batch: &TokenBatch, positions: usize, vocab: usize) -> Result<Vec<Seq<'_>>, ModelError> {
    let mut seqs = Vec::with_capacity(batch.batch);
    let mut start = 0;
    for b in 0..batch.batch {
        let row = b * batch.len..(b + 1) * batch.len;
        let len = batch.mask[row.clone()].iter().filter(|&&v| v != 0).count();
        if len == 0 {
            return Err(ModelError::Inference(format!("sequence {b} has no tokens")));
        }
        if len > positions {
            return Err(ModelError::Inference(format!(
                "sequence of {len} tokens exceeds the model's {positions} positions"
            )));
        }
        if let Some(&id) = batch.ids[row.clone()][..len]
            .iter()
            .find(|&&id| id as usize >= vocab)
        {
            return Err(ModelError::Inference(format!(
                "token id {id} is outside the vocabulary ({vocab})"
            )));
        }
        seqs.push(Seq {
            ids: &batch.ids[row.start..row.start + len],
            start,
            len,
        });
        start += len;
    }
    Ok(seqs)
}

/// Where one projection's rows are: a buffer, its row stride and the column where head 0
/// starts. BERT's fused QKV buffer serves all three with stride 3h; Gemma's are separate.
#[derive(Clone, Copy)]
struct Rows<'a> {
    buf: &'a [f32],
    stride: usize,
    offset: usize,
}

/// Scaled dot-product attention within each sequence (every token sees every token of its
/// own sequence, none of the padding or the other sequences), one job per sequence and query
/// head. Query head `hd` reads key/value head `hd / (heads / kv_heads)` (grouped-query
/// attention; BERT has as many key/value heads as query heads). With a `window`, token i sees
/// only tokens j with |i − j| < window (Gemma's bidirectional sliding layers). Output:
/// `[m, heads·dh]`.
#[allow(clippy::too_many_arguments)]
fn attention(
    q: Rows,
    k: Rows,
    v: Rows,
    seqs: &[Seq],
    m: usize,
    (heads, kv_heads, dh): (usize, usize, usize),
    scale: f32,
    window: Option<usize>,
) -> Vec<f32> {
    let width = heads * dh;
    let group = heads / kv_heads.max(1);
    let mut ctx = vec![0f32; m * width];
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
        let kv = hd / group;
        let mut scores = vec![0f32; len * len];
        fn at<'b>(r: Rows<'b>, t0: usize, head: usize, dh: usize) -> &'b [f32] {
            &r.buf[t0 * r.stride + r.offset + head * dh..]
        }
        let (qs, ks, vs) = (at(q, t0, hd, dh), at(k, t0, kv, dh), at(v, t0, kv, dh));
        for (r, slice) in [(q, qs), (k, ks), (v, vs)] {
            assert!(slice.len() >= (len - 1) * r.stride + dh);
        }
        // SAFETY: q, k and v hold `len` rows of their strides from their offsets (asserted
        // above); `scores` is len×len; the context block written is rows t0..t0+len, columns
        // hd·dh..(hd+1)·dh of `ctx`, which no other job touches.
        unsafe {
            gemm::gemm(
                len,
                len,
                dh,
                scores.as_mut_ptr(),
                1,
                len as isize,
                false,
                qs.as_ptr(),
                1,
                q.stride as isize,
                ks.as_ptr(),
                k.stride as isize,
                1,
                0.0,
                scale,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
            if let Some(w) = window.filter(|&w| w < len) {
                for (i, row) in scores.chunks_mut(len).enumerate() {
                    for (j, s) in row.iter_mut().enumerate() {
                        if i.abs_diff(j) >= w {
                            *s = f32::NEG_INFINITY;
                        }
                    }
                }
            }
            scores.chunks_mut(len).for_each(ops::softmax);
            gemm::gemm(
                len,
                dh,
                len,
                ctx_ptr.get().add(t0 * width + hd * dh),
                1,
                width as isize,
                false,
                scores.as_ptr(),
                1,
                len as isize,
                vs.as_ptr(),
                1,
                v.stride as isize,
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
