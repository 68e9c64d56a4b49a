//! f32 linear layers with weights packed once at load into the micro-kernel's panel order.
//!
//! gemm's kernels are as fast for long inputs, but gemm repacks the weight matrix on every
//! call: for a 20-token query that packing was most of the time (37 ms per e5 query). Packing
//! once makes a short query cost only its arithmetic. AVX-512 only; other CPUs use gemm.

use rayon::prelude::*;

use super::qgemm::SyncPtr;

/// Rows per micro-kernel call (6 rows × 64 columns = 24 accumulator registers).
const MR: usize = 6;
/// Columns per packed panel: four 16-lane f32 vectors.
const NR: usize = 64;
/// Rows per parallel task.
const ROWS_PER_TASK: usize = MR * 8;

/// A weight matrix `[n, k]` packed as panels of NR columns, `[k][NR]` within each panel.
pub struct PackedF32 {
    n: usize,
    k: usize,
    packed: Vec<f32>,
}

impl PackedF32 {
    /// Packs `w` when the CPU has AVX-512 (else `None`: the caller keeps using gemm).
    pub fn new(w: &[f32], n: usize, k: usize) -> Option<Self> {
        if !available() {
            return None;
        }
        let n_pad = n.div_ceil(NR) * NR;
        let mut packed = vec![0f32; n_pad * k];
        for panel in 0..n_pad / NR {
            let dst = &mut packed[panel * k * NR..(panel + 1) * k * NR];
            for c in 0..NR.min(n.saturating_sub(panel * NR)) {
                let row = &w[(panel * NR + c) * k..(panel * NR + c + 1) * k];
                for (kk, &v) in row.iter().enumerate() {
                    dst[kk * NR + c] = v;
                }
            }
        }
        Some(PackedF32 { n, k, packed })
    }

    pub fn bytes(&self) -> usize {
        self.packed.len() * 4
    }

    /// `out[m, n] += x[m, k] · wᵀ`.
    pub fn forward_acc(&self, x: &[f32], m: usize, out: &mut [f32]) {
        assert_eq!(x.len(), m * self.k);
        assert_eq!(out.len(), m * self.n);
        let panels = self.packed.len() / (self.k * NR);
        let chunks = m.div_ceil(ROWS_PER_TASK);
        let threads = rayon::current_num_threads();
        let per_task = if chunks >= threads {
            1
        } else {
            panels.div_ceil(threads)
        };
        let groups = panels.div_ceil(per_task);
        let out_ptr = SyncPtr(out.as_mut_ptr());
        (0..chunks * groups).into_par_iter().for_each(|t| {
            let (chunk, group) = (t / groups, t % groups);
            let rows = chunk * ROWS_PER_TASK..((chunk + 1) * ROWS_PER_TASK).min(m);
            for panel in group * per_task..((group + 1) * per_task).min(panels) {
                let w = &self.packed[panel * self.k * NR..(panel + 1) * self.k * NR];
                let cols = panel * NR..((panel + 1) * NR).min(self.n);
                let mut tail = Vec::new();
                for r0 in rows.clone().step_by(MR) {
                    let valid = MR.min(rows.end - r0);
                    // A short last block is copied into MR zero-padded rows, so the kernel
                    // always reads MR full rows.
                    let a = if valid == MR {
                        &x[r0 * self.k..(r0 + MR) * self.k]
                    } else {
                        tail.clear();
                        tail.extend_from_slice(&x[r0 * self.k..(r0 + valid) * self.k]);
                        tail.resize(MR * self.k, 0.0);
                        &tail[..]
                    };
                    let mut acc = [[0f32; NR]; MR];
                    block(a, self.k, w, &mut acc);
                    for (r, acc_row) in acc.iter().enumerate().take(valid) {
                        // SAFETY: each task owns rows `rows` × columns `cols` of `out`, and
                        // r0 + r < m, cols.end <= n keep the slice inside it.
                        let dst = unsafe {
                            std::slice::from_raw_parts_mut(
                                out_ptr.get().add((r0 + r) * self.n + cols.start),
                                cols.len(),
                            )
                        };
                        super::ops::add_assign(dst, &acc_row[..cols.len()]);
                    }
                }
            }
        });
    }
}

fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// acc = a[MR, k] · panel[k, NR].
fn block(a: &[f32], k: usize, panel: &[f32], acc: &mut [[f32; NR]; MR]) {
    assert!(a.len() >= MR * k && panel.len() >= k * NR && available());
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F is present (asserted) and the bounds above cover every load.
    unsafe {
        block_avx512(a.as_ptr(), k, panel.as_ptr(), acc)
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn block_avx512(a: *const f32, k: usize, panel: *const f32, acc: &mut [[f32; NR]; MR]) {
    use std::arch::x86_64::*;
    let mut c = [[_mm512_setzero_ps(); 4]; MR];
    for kk in 0..k {
        let bp = panel.add(kk * NR);
        let b = [
            _mm512_loadu_ps(bp),
            _mm512_loadu_ps(bp.add(16)),
            _mm512_loadu_ps(bp.add(32)),
            _mm512_loadu_ps(bp.add(48)),
        ];
        for (r, cr) in c.iter_mut().enumerate() {
            let av = _mm512_set1_ps(*a.add(r * k + kk));
            for (cj, bj) in cr.iter_mut().zip(b) {
                *cj = _mm512_fmadd_ps(av, bj, *cj);
            }
        }
    }
    for (cr, out) in c.iter().zip(acc.iter_mut()) {
        for (j, cj) in cr.iter().enumerate() {
            _mm512_storeu_ps(out.as_mut_ptr().add(j * 16), *cj);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_product_matches_naive_for_odd_shapes() {
        for &(m, n, k) in &[(1, 3, 5), (7, 70, 38), (13, 129, 64), (50, 64, 384)] {
            let x: Vec<f32> = (0..m * k).map(|i| ((i * 7) % 13) as f32 - 6.0).collect();
            let w: Vec<f32> = (0..n * k).map(|i| ((i * 5) % 11) as f32 - 5.0).collect();
            let Some(p) = PackedF32::new(&w, n, k) else {
                return;
            };
            let mut got = vec![1f32; m * n];
            p.forward_acc(&x, m, &mut got);
            for i in 0..m {
                for j in 0..n {
                    let want: f32 = 1.0 + (0..k).map(|t| x[i * k + t] * w[j * k + t]).sum::<f32>();
                    assert_eq!(got[i * n + j], want, "{m}x{n}x{k} at ({i},{j})");
                }
            }
        }
    }
}
