//! Dot product of two vectors, the inner loop of every search. The default x86-64 target only
//! promises SSE2, so the wide kernels are chosen once at run time from what the CPU has
//! (AVX-512, else AVX2+FMA), with a portable fallback that the compiler vectorises.

use std::sync::LazyLock;

type DotFn = fn(&[f32], &[f32]) -> f32;

static DOT: LazyLock<DotFn> = LazyLock::new(pick);

fn pick() -> DotFn {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return x86::dot_avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return x86::dot_avx2;
        }
    }
    dot_portable
}

/// Dot product of two equally long slices (extra elements of the longer one are ignored).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    (*DOT)(a, b)
}

/// The kernel [`dot`] uses, for loops that call it many times.
pub(crate) fn kernel() -> fn(&[f32], &[f32]) -> f32 {
    *DOT
}

/// Eight independent accumulators let the compiler vectorise the loop on any target.
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    pub(super) fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: selected only after `is_x86_feature_detected!` found avx2 and fma.
        unsafe { dot_avx2_inner(a, b) }
    }

    pub(super) fn dot_avx512(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: selected only after `is_x86_feature_detected!` found avx512f.
        unsafe { dot_avx512_inner(a, b) }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn dot_avx2_inner(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm256_setzero_ps();
        let mut acc1 = _mm256_setzero_ps();
        let mut i = 0;
        // SAFETY (all loads): every offset read is below `n`, the length of both slices.
        while i + 16 <= n {
            acc0 = _mm256_fmadd_ps(
                unsafe { _mm256_loadu_ps(pa.add(i)) },
                unsafe { _mm256_loadu_ps(pb.add(i)) },
                acc0,
            );
            acc1 = _mm256_fmadd_ps(
                unsafe { _mm256_loadu_ps(pa.add(i + 8)) },
                unsafe { _mm256_loadu_ps(pb.add(i + 8)) },
                acc1,
            );
            i += 16;
        }
        if i + 8 <= n {
            acc0 = _mm256_fmadd_ps(
                unsafe { _mm256_loadu_ps(pa.add(i)) },
                unsafe { _mm256_loadu_ps(pb.add(i)) },
                acc0,
            );
            i += 8;
        }
        let acc = _mm256_add_ps(acc0, acc1);
        let quad = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
        let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
        let single = _mm_add_ss(pair, _mm_shuffle_ps(pair, pair, 1));
        let mut sum = _mm_cvtss_f32(single);
        for j in i..n {
            sum += a[j] * b[j];
        }
        sum
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn dot_avx512_inner(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm512_setzero_ps();
        let mut acc1 = _mm512_setzero_ps();
        let mut i = 0;
        // SAFETY (all loads): every offset read is below `n`, the length of both slices.
        while i + 32 <= n {
            acc0 = _mm512_fmadd_ps(
                unsafe { _mm512_loadu_ps(pa.add(i)) },
                unsafe { _mm512_loadu_ps(pb.add(i)) },
                acc0,
            );
            acc1 = _mm512_fmadd_ps(
                unsafe { _mm512_loadu_ps(pa.add(i + 16)) },
                unsafe { _mm512_loadu_ps(pb.add(i + 16)) },
                acc1,
            );
            i += 32;
        }
        if i + 16 <= n {
            acc0 = _mm512_fmadd_ps(
                unsafe { _mm512_loadu_ps(pa.add(i)) },
                unsafe { _mm512_loadu_ps(pb.add(i)) },
                acc0,
            );
            i += 16;
        }
        let mut sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
        for j in i..n {
            sum += a[j] * b[j];
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn every_kernel_agrees_with_the_naive_sum_at_awkward_lengths() {
        for n in [0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 100, 384, 385] {
            let a: Vec<f32> = (0..n).map(|i| ((i * 7 % 13) as f32 - 6.0) / 5.0).collect();
            let b: Vec<f32> = (0..n).map(|i| ((i * 5 % 11) as f32 - 5.0) / 3.0).collect();
            let want = naive(&a, &b);
            let mut kernels: Vec<DotFn> = vec![dot_portable, dot];
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    kernels.push(x86::dot_avx2);
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    kernels.push(x86::dot_avx512);
                }
            }
            for k in kernels {
                assert!((k(&a, &b) - want).abs() < 1e-3, "n={n}");
            }
        }
    }
}
