//! int8 linear layers: weights quantized per output channel once at load, activations per row
//! at run time, products summed in i32 by AVX-512 VNNI (`vpdpbusd`: 64 u8×i8 products per
//! instruction, 4× the f32 FMA rate) with a portable fallback for CPUs without it.
//!
//! VNNI multiplies *unsigned* by signed bytes, so activations are stored as `q + 128`; the
//! extra `128·Σw` each column picks up is subtracted with the column sums kept at packing.

use rayon::prelude::*;

use super::ops::multiversion;

/// Rows per micro-kernel call (6 rows × 64 columns = 24 accumulator registers).
const MR: usize = 6;
/// Columns per packed panel: four 16-lane i32 vectors.
const NR: usize = 64;
/// Rows per parallel task: enough work per task, small enough to split short inputs.
const ROWS_PER_TASK: usize = MR * 8;

/// A weight matrix `[n, k]` quantized and packed for the micro-kernel.
pub struct QLinear {
    n: usize,
    k: usize,
    /// `k` rounded up to a multiple of 4 (VNNI sums groups of 4 bytes).
    k_pad: usize,
    /// Panels of NR columns: for each group of 4 k, NR columns × 4 bytes.
    packed: Vec<i8>,
    /// Per padded column: 128·Σ_k q(w), the correction for the +128 offset of activations.
    col_corr: Vec<i32>,
    /// Per padded column: the dequantization scale of its weights.
    col_scale: Vec<f32>,
}

impl QLinear {
    /// Quantizes `w` (`[n, k]`, row-major, one row per output) symmetrically per row.
    pub fn new(w: &[f32], n: usize, k: usize) -> Self {
        assert_eq!(w.len(), n * k, "weight is not [n, k]");
        let k_pad = k.div_ceil(4) * 4;
        let n_pad = n.div_ceil(NR) * NR;
        let mut q = vec![0i8; n_pad * k_pad];
        let mut col_scale = vec![0f32; n_pad];
        let mut col_corr = vec![0i32; n_pad];
        for c in 0..n {
            let row = &w[c * k..(c + 1) * k];
            let amax = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let scale = if amax > 0.0 { amax / 127.0 } else { 1.0 };
            let dst = &mut q[c * k_pad..c * k_pad + k];
            for (d, v) in dst.iter_mut().zip(row) {
                *d = super::ops::to_int((v / scale).clamp(-127.0, 127.0)) as i8;
            }
            col_scale[c] = scale;
            col_corr[c] = 128 * dst.iter().map(|&v| v as i32).sum::<i32>();
        }
        let groups = k_pad / 4;
        let mut packed = vec![0i8; n_pad * k_pad];
        for panel in 0..n_pad / NR {
            let base = panel * groups * NR * 4;
            for g in 0..groups {
                for c in 0..NR {
                    for t in 0..4 {
                        packed[base + g * NR * 4 + c * 4 + t] =
                            q[(panel * NR + c) * k_pad + g * 4 + t];
                    }
                }
            }
        }
        QLinear {
            n,
            k,
            k_pad,
            packed,
            col_corr,
            col_scale,
        }
    }

    /// Bytes held by the packed weights and their per-column data.
    pub fn bytes(&self) -> usize {
        self.packed.len() + self.col_corr.len() * 4 + self.col_scale.len() * 4
    }

    /// `out[m, n] += x[m, k] · wᵀ`; `out` already holds the bias (and any residual).
    pub fn forward_acc(&self, x: &[f32], m: usize, out: &mut [f32]) {
        assert_eq!(x.len(), m * self.k);
        assert_eq!(out.len(), m * self.n);
        let kernels = pick_kernels();
        let mut acts = quantize_rows(x, m, self.k, self.k_pad);
        if kernels.sign_magnitude {
            acts.data = sign_magnitude(&acts.data, self.k_pad);
        }
        let panels = self.col_scale.len() / NR;
        let chunks = m.div_ceil(ROWS_PER_TASK);
        // Few rows (a short query): one run of panels per thread, not one wake-up per panel.
        let threads = rayon::current_num_threads();
        let panels_per_task = if chunks >= threads {
            1
        } else {
            panels.div_ceil(threads)
        };
        let groups = panels.div_ceil(panels_per_task);
        let tasks = chunks * groups;
        let out_ptr = SyncPtr(out.as_mut_ptr());
        let (kernel, fused) = (kernels.kernel, kernels.fused);
        let stride = if kernels.sign_magnitude {
            2 * self.k_pad
        } else {
            self.k_pad
        };
        (0..tasks).into_par_iter().for_each(|t| {
            let (chunk, group) = (t / groups, t % groups);
            let first = group * panels_per_task;
            for panel in first..(first + panels_per_task).min(panels) {
                self.panel_task(&acts, stride, m, chunk, panel, out_ptr, kernel, fused);
            }
        });
    }

    /// Rows of one task chunk against one column panel.
    #[allow(clippy::too_many_arguments)]
    fn panel_task(
        &self,
        acts: &QuantRows,
        stride: usize,
        m: usize,
        chunk: usize,
        panel: usize,
        out_ptr: SyncPtr<f32>,
        kernel: Kernel,
        fused: Option<FusedKernel>,
    ) {
        {
            let rows = chunk * ROWS_PER_TASK..((chunk + 1) * ROWS_PER_TASK).min(m);
            let panel_w = &self.packed[panel * self.k_pad * NR..(panel + 1) * self.k_pad * NR];
            let cols = panel * NR..((panel + 1) * NR).min(self.n);
            let mut acc = [[0i32; NR]; MR];
            for r0 in rows.clone().step_by(MR) {
                let a = &acts.data[r0 * stride..(r0 + MR) * stride];
                if let (Some(fused), true) = (fused, cols.len() == NR) {
                    let valid = MR.min(rows.end - r0);
                    // SAFETY: rows r0..r0+valid and the panel's NR columns lie inside `out`
                    // (valid ≤ m − r0, cols.end ≤ n) and belong to this task alone.
                    unsafe {
                        fused(
                            a,
                            self.k_pad,
                            panel_w,
                            Epilogue {
                                out: out_ptr.get().add(r0 * self.n + cols.start),
                                ldo: self.n,
                                rows: valid,
                                corr: &self.col_corr[cols.clone()],
                                col_scale: &self.col_scale[cols.clone()],
                                row_scale: &acts.scale[r0..r0 + valid],
                            },
                        )
                    };
                    continue;
                }
                kernel(a, self.k_pad, panel_w, &mut acc);
                for (r, acc_row) in acc.iter().enumerate().take(rows.end - r0) {
                    let row = r0 + r;
                    // SAFETY: tasks own disjoint (row range × column panel) blocks of `out`,
                    // and `row < m`, `cols.end <= n` keep every write inside it.
                    let dst = unsafe {
                        std::slice::from_raw_parts_mut(
                            out_ptr.get().add(row * self.n + cols.start),
                            cols.len(),
                        )
                    };
                    dequantize_into(
                        dst,
                        &acc_row[..cols.len()],
                        &self.col_corr[cols.clone()],
                        &self.col_scale[cols.clone()],
                        acts.scale[row],
                    );
                }
            }
        }
    }
}

/// A raw pointer that parallel tasks may share because each writes its own disjoint part.
#[derive(Clone, Copy)]
pub(crate) struct SyncPtr<T>(pub *mut T);
// SAFETY: only used where every task writes a disjoint region (documented at each use).
unsafe impl<T> Send for SyncPtr<T> {}
unsafe impl<T> Sync for SyncPtr<T> {}
impl<T> SyncPtr<T> {
    /// A method (not field access) so closures capture the whole `Sync` wrapper.
    pub fn get(self) -> *mut T {
        self.0
    }
}

multiversion! {
    fn dequantize_into(dst: &mut [f32], acc: &[i32], corr: &[i32], col_scale: &[f32], row_scale: f32) {
        for (((d, &a), &c), &sc) in dst.iter_mut().zip(acc).zip(corr).zip(col_scale) {
            *d += (a - c) as f32 * (sc * row_scale);
        }
    }
}

/// Activations as `q + 128` bytes, `[m rounded up to MR, k_pad]`, with one scale per row.
struct QuantRows {
    data: Vec<u8>,
    scale: Vec<f32>,
}

fn quantize_rows(x: &[f32], m: usize, k: usize, k_pad: usize) -> QuantRows {
    let m_pad = m.div_ceil(MR) * MR;
    // 128 is zero after the offset: padding rows and columns contribute nothing.
    let mut data = vec![128u8; m_pad * k_pad];
    let mut scale = vec![1f32; m];
    let one =
        |((dst, s), row): ((&mut [u8], &mut f32), &[f32])| *s = quantize_row(row, &mut dst[..k]);
    if m < super::SERIAL_ROWS {
        data.chunks_mut(k_pad)
            .zip(scale.iter_mut())
            .zip(x.chunks(k))
            .for_each(one);
    } else {
        data.par_chunks_mut(k_pad)
            .zip(scale.par_iter_mut())
            .zip(x.par_chunks(k))
            .for_each(one);
    }
    QuantRows { data, scale }
}

multiversion! {
    /// Symmetric per-row quantization to [−127, 127], stored with +128; returns the scale.
    fn quantize_row(row: &[f32], dst: &mut [u8]) -> f32 {
        let amax = super::ops::max_abs(row);
        let scale = if amax > 0.0 { amax / 127.0 } else { 1.0 };
        let inv = 1.0 / scale;
        for (d, v) in dst.iter_mut().zip(row) {
            *d = (super::ops::to_int(v * inv) + 128) as u8;
        }
        scale
    }
}

type Kernel = fn(&[u8], usize, &[i8], &mut [[i32; NR]; MR]);

/// The micro-kernels for this CPU, and the activation layout they read.
struct Kernels {
    kernel: Kernel,
    fused: Option<FusedKernel>,
    /// Activations as [`sign_magnitude`] rows (AVX2) rather than `q + 128` bytes.
    sign_magnitude: bool,
}

fn pick_kernels() -> Kernels {
    #[cfg(target_arch = "x86_64")]
    if vnni_available() {
        return Kernels {
            kernel: kernel_vnni_safe,
            fused: Some(kernel_vnni_fused_safe),
            sign_magnitude: false,
        };
    }
    #[cfg(target_arch = "x86_64")]
    if avx2_available() {
        return Kernels {
            kernel: kernel_avx2_safe,
            fused: Some(kernel_avx2_fused_safe),
            sign_magnitude: true,
        };
    }
    Kernels {
        kernel: kernel_portable,
        fused: None,
        sign_magnitude: false,
    }
}

/// Each row of `q + 128` bytes (`lda` long) becomes two: the signed values `q`, then `|q|`,
/// the two operands the AVX2 kernel needs, prepared once instead of in every panel.
fn sign_magnitude(data: &[u8], lda: usize) -> Vec<u8> {
    let mut out = vec![0u8; data.len() * 2];
    for (src, dst) in data.chunks(lda).zip(out.chunks_mut(2 * lda)) {
        let (signed, magnitude) = dst.split_at_mut(lda);
        for ((&u, s), m) in src.iter().zip(signed).zip(magnitude) {
            let q = u.wrapping_sub(128) as i8;
            *s = q as u8;
            *m = q.unsigned_abs();
        }
    }
    out
}

/// AVX2 with FMA: the int8 path's second-best kernel (`vpmaddubsw`, 32 products per
/// instruction), on CPUs without AVX-512 VNNI.
pub fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Whether the int8 path runs on VNNI (else on AVX2, about half as fast, or portable code).
pub fn vnni_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// acc[r][c] = Σ_k a[r, k] · w[k, c] over one panel, for MR rows of `a` (row stride `lda`).
fn kernel_portable(a: &[u8], lda: usize, panel: &[i8], acc: &mut [[i32; NR]; MR]) {
    for row in acc.iter_mut() {
        row.fill(0);
    }
    for g in 0..lda / 4 {
        let w = &panel[g * NR * 4..(g + 1) * NR * 4];
        for (r, row) in acc.iter_mut().enumerate() {
            let av = &a[r * lda + g * 4..r * lda + g * 4 + 4];
            for (c, out) in row.iter_mut().enumerate() {
                let wv = &w[c * 4..c * 4 + 4];
                *out += (0..4).map(|t| av[t] as i32 * wv[t] as i32).sum::<i32>();
            }
        }
    }
}

/// Where a fused kernel adds its dequantized results: `rows` rows of NR columns at `out`.
struct Epilogue<'a> {
    out: *mut f32,
    ldo: usize,
    rows: usize,
    corr: &'a [i32],
    col_scale: &'a [f32],
    row_scale: &'a [f32],
}

/// Product and dequantization in one call, for full panels (unsafe: `Epilogue::out` must be
/// valid for its rows × NR columns).
type FusedKernel = unsafe fn(&[u8], usize, &[i8], Epilogue);

#[cfg(target_arch = "x86_64")]
unsafe fn kernel_vnni_fused_safe(a: &[u8], lda: usize, panel: &[i8], e: Epilogue) {
    assert!(a.len() >= MR * lda && panel.len() >= lda * NR && lda.is_multiple_of(4));
    assert!(e.rows <= MR && e.corr.len() == NR && e.col_scale.len() == NR);
    assert!(e.row_scale.len() >= e.rows);
    // SAFETY: only chosen when `vnni_available()`; the bounds above cover the loads, the caller
    // vouches for `e.out`.
    unsafe { kernel_vnni_fused(a.as_ptr(), lda, panel.as_ptr(), e) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn kernel_vnni_fused(a: *const u8, lda: usize, panel: *const i8, e: Epilogue) {
    use std::arch::x86_64::*;
    let c = vnni_block(a, lda, panel);
    for (r, cr) in c.iter().enumerate().take(e.rows) {
        let rs = _mm512_set1_ps(e.row_scale[r]);
        for (j, cj) in cr.iter().enumerate() {
            let corr = _mm512_loadu_si512(e.corr.as_ptr().add(j * 16) as *const __m512i);
            let scale = _mm512_mul_ps(_mm512_loadu_ps(e.col_scale.as_ptr().add(j * 16)), rs);
            let v = _mm512_cvtepi32_ps(_mm512_sub_epi32(*cj, corr));
            let dst = e.out.add(r * e.ldo + j * 16);
            _mm512_storeu_ps(dst, _mm512_fmadd_ps(v, scale, _mm512_loadu_ps(dst)));
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn kernel_vnni_safe(a: &[u8], lda: usize, panel: &[i8], acc: &mut [[i32; NR]; MR]) {
    assert!(a.len() >= MR * lda && panel.len() >= lda * NR && lda.is_multiple_of(4));
    // SAFETY: chosen only when `vnni_available()`; the bounds above cover every load.
    unsafe { kernel_vnni(a.as_ptr(), lda, panel.as_ptr(), acc) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn kernel_vnni(a: *const u8, lda: usize, panel: *const i8, acc: &mut [[i32; NR]; MR]) {
    use std::arch::x86_64::*;
    let c = vnni_block(a, lda, panel);
    for (cr, out) in c.iter().zip(acc.iter_mut()) {
        for (j, cj) in cr.iter().enumerate() {
            _mm512_storeu_si512(out.as_mut_ptr().add(j * 16) as *mut __m512i, *cj);
        }
    }
}

/// The i32 sums of MR rows × NR columns, kept in 24 registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
unsafe fn vnni_block(
    a: *const u8,
    lda: usize,
    panel: *const i8,
) -> [[std::arch::x86_64::__m512i; 4]; MR] {
    use std::arch::x86_64::*;
    let mut c = [[_mm512_setzero_si512(); 4]; MR];
    for g in 0..lda / 4 {
        let bp = panel.add(g * NR * 4) as *const __m512i;
        let b = [
            _mm512_loadu_si512(bp),
            _mm512_loadu_si512(bp.add(1)),
            _mm512_loadu_si512(bp.add(2)),
            _mm512_loadu_si512(bp.add(3)),
        ];
        for (r, cr) in c.iter_mut().enumerate() {
            let av = _mm512_set1_epi32((a.add(r * lda + g * 4) as *const i32).read_unaligned());
            for (cj, bj) in cr.iter_mut().zip(b) {
                *cj = _mm512_dpbusd_epi32(*cj, av, bj);
            }
        }
    }
    c
}

/// AVX2 has no u8×i8 dot product into i32 without saturation: `vpmaddubsw` sums two u8×i8
/// products into an i16, which overflows for u8 activations up to 255. So the activations come
/// as signed `q` and `|q|` (|q| ≤ 128, see [`sign_magnitude`]): the sign moves onto the weight
/// (`vpsignb`), the magnitude is the unsigned operand, and two products of at most 128·127
/// never saturate. `vpmaddwd` with ones then widens pairs to i32.
///
/// Returns, for one block of 16 columns (`j` of the panel's 4), the signed sums Σ q·w of
/// [`AVX2_ROWS`] rows and, when `CORR`, the block's 128·Σw (the offset the `q + 128` form
/// carries). `a` points at sign-magnitude rows of `2·lda` bytes.
/// Rows per AVX2 block: 3 rows × 16 columns keep the accumulators and operands within the
/// 16 ymm registers (6 rows spilled to the stack and ran slower).
const AVX2_ROWS: usize = MR / 2;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn avx2_block<const CORR: bool>(
    a: *const u8,
    lda: usize,
    panel: *const i8,
    j: usize,
) -> (
    [[std::arch::x86_64::__m256i; 2]; AVX2_ROWS],
    [std::arch::x86_64::__m256i; 2],
) {
    use std::arch::x86_64::*;
    let ones = _mm256_set1_epi16(1);
    let offset = _mm256_set1_epi8(-128);
    let mut c = [[_mm256_setzero_si256(); 2]; AVX2_ROWS];
    let mut corr = [_mm256_setzero_si256(); 2];
    for g in 0..lda / 4 {
        let bp = panel.add(g * NR * 4 + j * 64) as *const __m256i;
        let b = [_mm256_loadu_si256(bp), _mm256_loadu_si256(bp.add(1))];
        if CORR {
            for (k, bk) in b.iter().enumerate() {
                // 128 · (w0 + w1) ≤ 32,512: fits the i16 of vpmaddubsw.
                let t = _mm256_madd_epi16(_mm256_maddubs_epi16(offset, *bk), ones);
                corr[k] = _mm256_add_epi32(corr[k], t);
            }
        }
        for (r, cr) in c.iter_mut().enumerate() {
            let row = a.add(r * 2 * lda + g * 4);
            let q = _mm256_set1_epi32((row as *const i32).read_unaligned());
            let magnitude = _mm256_set1_epi32((row.add(lda) as *const i32).read_unaligned());
            for (cj, bk) in cr.iter_mut().zip(b) {
                let pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(bk, q));
                *cj = _mm256_add_epi32(*cj, _mm256_madd_epi16(pairs, ones));
            }
        }
    }
    (c, corr)
}

#[cfg(target_arch = "x86_64")]
fn kernel_avx2_safe(a: &[u8], lda: usize, panel: &[i8], acc: &mut [[i32; NR]; MR]) {
    assert!(a.len() >= MR * 2 * lda && panel.len() >= lda * NR && lda.is_multiple_of(4));
    // SAFETY: chosen only when `avx2_available()`; the bounds above cover every load.
    unsafe { kernel_avx2(a.as_ptr(), lda, panel.as_ptr(), acc) }
}

/// The same sums as [`kernel_portable`] (offset included), from sign-magnitude rows.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel_avx2(a: *const u8, lda: usize, panel: *const i8, acc: &mut [[i32; NR]; MR]) {
    use std::arch::x86_64::*;
    for j in 0..NR / 16 {
        let (top, corr) = avx2_block::<true>(a, lda, panel, j);
        let (bottom, _) = avx2_block::<false>(a.add(AVX2_ROWS * 2 * lda), lda, panel, j);
        for (cr, out) in top.iter().chain(&bottom).zip(acc.iter_mut()) {
            for (k, ck) in cr.iter().enumerate() {
                let v = _mm256_add_epi32(*ck, corr[k]);
                _mm256_storeu_si256(out.as_mut_ptr().add(j * 16 + k * 8) as *mut __m256i, v);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
unsafe fn kernel_avx2_fused_safe(a: &[u8], lda: usize, panel: &[i8], e: Epilogue) {
    assert!(a.len() >= MR * 2 * lda && panel.len() >= lda * NR && lda.is_multiple_of(4));
    assert!(e.rows <= MR && e.col_scale.len() == NR && e.row_scale.len() >= e.rows);
    // SAFETY: only chosen when `avx2_available()`; the bounds above cover the loads, the caller
    // vouches for `e.out`.
    unsafe { kernel_avx2_fused(a.as_ptr(), lda, panel.as_ptr(), e) }
}

/// Signed sums need no offset correction: dequantize and add straight into `out`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel_avx2_fused(a: *const u8, lda: usize, panel: *const i8, e: Epilogue) {
    use std::arch::x86_64::*;
    for j in 0..NR / 16 {
        let (top, _) = avx2_block::<false>(a, lda, panel, j);
        let bottom = if e.rows > AVX2_ROWS {
            avx2_block::<false>(a.add(AVX2_ROWS * 2 * lda), lda, panel, j).0
        } else {
            [[_mm256_setzero_si256(); 2]; AVX2_ROWS]
        };
        for (r, cr) in top.iter().chain(&bottom).enumerate().take(e.rows) {
            let rs = _mm256_set1_ps(e.row_scale[r]);
            for (k, ck) in cr.iter().enumerate() {
                let col = j * 16 + k * 8;
                let scale = _mm256_mul_ps(_mm256_loadu_ps(e.col_scale.as_ptr().add(col)), rs);
                let dst = e.out.add(r * e.ldo + col);
                let v = _mm256_cvtepi32_ps(*ck);
                _mm256_storeu_ps(dst, _mm256_fmadd_ps(v, scale, _mm256_loadu_ps(dst)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo_random(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    }

    fn reference(x: &[f32], w: &[f32], m: usize, n: usize, k: usize) -> Vec<f32> {
        let mut out = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|t| x[i * k + t] * w[j * k + t]).sum();
            }
        }
        out
    }

    #[test]
    fn int8_product_is_close_to_f32_for_odd_shapes() {
        // Shapes that exercise row, column and k padding.
        for &(m, n, k) in &[(1, 3, 5), (7, 70, 38), (13, 129, 64), (50, 64, 384)] {
            let (x, w) = (pseudo_random(m * k, 1), pseudo_random(n * k, 2));
            let want = reference(&x, &w, m, n, k);
            let mut got = vec![0f32; m * n];
            QLinear::new(&w, n, k).forward_acc(&x, m, &mut got);
            let err = want
                .iter()
                .zip(&got)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
            assert!(
                err < 0.02 * scale,
                "{m}x{n}x{k}: max error {err}, max value {scale}"
            );
        }
    }

    #[test]
    fn vnni_kernel_agrees_exactly_with_portable() {
        if !vnni_available() {
            return;
        }
        let lda = 96;
        let a: Vec<u8> = (0..MR * lda).map(|i| (i * 37 % 256) as u8).collect();
        let w: Vec<i8> = (0..lda * NR).map(|i| (i * 53 % 255) as i8).collect();
        let (mut fast, mut slow) = ([[0; NR]; MR], [[0; NR]; MR]);
        kernel_vnni_safe(&a, lda, &w, &mut fast);
        kernel_portable(&a, lda, &w, &mut slow);
        assert_eq!(fast, slow);
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn avx2_kernel_agrees_exactly_with_portable() {
        if !avx2_available() {
            return;
        }
        let lda = 96;
        // Every activation byte, extremes included; weights in the quantizer's [−127, 127].
        let a: Vec<u8> = (0..MR * lda).map(|i| (i * 37 % 256) as u8).collect();
        let w: Vec<i8> = (0..lda * NR)
            .map(|i| ((i * 53 % 255) as i32 - 127) as i8)
            .collect();
        let (mut fast, mut slow) = ([[0; NR]; MR], [[0; NR]; MR]);
        kernel_avx2_safe(&sign_magnitude(&a, lda), lda, &w, &mut fast);
        kernel_portable(&a, lda, &w, &mut slow);
        assert_eq!(fast, slow);
    }
}
