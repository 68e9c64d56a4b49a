//! Element-wise and row-wise kernels of the encoder: GELU, softmax, layer norm.
//!
//! Each is written once as plain Rust with a polynomial `exp`/`erf` that LLVM can vectorise, and
//! compiled three times (AVX-512, AVX2+FMA, baseline); the widest the CPU supports is picked at
//! run time. libm's `erff`/`expf` are scalar calls and were ~20% of the encoder's time.

/// Compiles `body` for AVX-512, AVX2+FMA and the baseline target and dispatches at run time.
macro_rules! multiversion {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$m])* $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
                unsafe fn v4($($arg: $ty),*) $(-> $ret)? { body($($arg),*) }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn v3($($arg: $ty),*) $(-> $ret)? { body($($arg),*) }
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                {
                    // SAFETY: the CPU supports every feature v4 was compiled for.
                    return unsafe { v4($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: as above, for AVX2 and FMA.
                    return unsafe { v3($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}
pub(crate) use multiversion;

/// e^x to about 2 ulp for x in [−87, 88] (Cephes' polynomial); branch-free so it vectorises.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + 0.5).floor();
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    y * f32::from_bits(((to_int(n) + 127) as u32) << 23)
}

/// Bits of 1.5·2²³: a float of that magnitude has no fraction bits.
const MAGIC: f32 = 12_582_912.0;

/// An integral float with |x| < 2²² as i32, by bit arithmetic: `as i32` saturates and checks
/// for NaN, which LLVM cannot vectorise.
#[inline(always)]
pub fn to_int(x: f32) -> i32 {
    (x + MAGIC).to_bits() as i32 - MAGIC.to_bits() as i32
}

/// erf(x) with absolute error below 2e-7 (Abramowitz & Stegun 7.1.26), branch-free.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let mut p = 1.061_405_4_f32;
    p = p * t - 1.453_152;
    p = p * t + 1.421_413_7;
    p = p * t - 0.284_496_74;
    p = p * t + 0.254_829_6;
    let y = 1.0 - p * t * exp(-a * a);
    y.copysign(x)
}

/// Lanes of the partial sums below: strict float order forbids LLVM from vectorising a plain
/// reduction, so sums and maxima keep 16 independent accumulators.
const LANES: usize = 16;

/// Σ x, vectorisable.
#[inline(always)]
pub fn sum(x: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// max x, vectorisable (−∞ for an empty slice).
#[inline(always)]
pub fn max(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = x.chunks_exact(LANES);
    let tail = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a = a.max(v);
        }
    }
    acc.iter().fold(tail, |m, &v| m.max(v))
}

/// max |x|, vectorisable.
#[inline(always)]
pub fn max_abs(x: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let tail = chunks.remainder().iter().fold(0f32, |m, &v| m.max(v.abs()));
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a = a.max(v.abs());
        }
    }
    acc.iter().fold(tail, |m, &v| m.max(v))
}

multiversion! {
    /// Exact (erf) GELU in place, as BERT's `gelu` activation defines it.
    pub fn gelu(x: &mut [f32]) {
        for v in x.iter_mut() {
            *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
        }
    }
}

multiversion! {
    /// Softmax of one row in place.
    pub fn softmax(row: &mut [f32]) {
        let max = max(row);
        for v in row.iter_mut() {
            *v = exp(*v - max);
        }
        let inv = 1.0 / sum(row);
        row.iter_mut().for_each(|v| *v *= inv);
    }
}

multiversion! {
    /// Layer norm of one row in place: (x − mean) / sqrt(var + eps) · gamma + beta.
    pub fn layer_norm(row: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
        let n = row.len() as f32;
        let mean = sum(row) / n;
        let mut sq = [0f32; LANES];
        let chunks = row.chunks_exact(LANES);
        let tail: f32 = chunks.remainder().iter().map(|v| (v - mean) * (v - mean)).sum();
        for c in chunks {
            for (a, v) in sq.iter_mut().zip(c) {
                *a += (v - mean) * (v - mean);
            }
        }
        let var = (sq.iter().sum::<f32>() + tail) / n;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

multiversion! {
    /// GELU with the tanh approximation in place (`gelu_pytorch_tanh`, Gemma's activation).
    pub fn gelu_tanh(x: &mut [f32]) {
        const C: f32 = 0.797_884_6; // sqrt(2/pi)
        for v in x.iter_mut() {
            let y = (C * (*v + 0.044_715 * *v * *v * *v)).clamp(-15.0, 15.0);
            // tanh(y) = 1 − 2 / (e^{2y} + 1), through the vectorisable exp.
            let t = 1.0 - 2.0 / (exp(2.0 * y) + 1.0);
            *v = 0.5 * *v * (1.0 + t);
        }
    }
}

multiversion! {
    /// Gemma's RMS norm of one row in place: x / sqrt(mean(x²) + eps) · (1 + w).
    pub fn rms_norm_one_plus(row: &mut [f32], w: &[f32], eps: f32) {
        let mut sq = [0f32; LANES];
        let chunks = row.chunks_exact(LANES);
        let tail: f32 = chunks.remainder().iter().map(|v| v * v).sum();
        for c in chunks {
            for (a, v) in sq.iter_mut().zip(c) {
                *a += v * v;
            }
        }
        let mean = (sq.iter().sum::<f32>() + tail) / row.len() as f32;
        let inv = 1.0 / (mean + eps).sqrt();
        for (v, g) in row.iter_mut().zip(w) {
            *v = *v * inv * (1.0 + g);
        }
    }
}

multiversion! {
    /// `dst *= src`, element-wise.
    pub fn mul_assign(dst: &mut [f32], src: &[f32]) {
        for (d, s) in dst.iter_mut().zip(src) {
            *d *= s;
        }
    }
}

multiversion! {
    /// `dst += src`, element-wise.
    pub fn add_assign(dst: &mut [f32], src: &[f32]) {
        for (d, s) in dst.iter_mut().zip(src) {
            *d += s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_libm() {
        for i in -870..=880 {
            let x = i as f32 / 10.0;
            let (ours, libm) = (exp(x), x.exp());
            assert!(
                ((ours - libm) / libm).abs() < 1e-6,
                "exp({x}): {ours} vs {libm}"
            );
        }
    }

    #[test]
    fn gelu_tanh_and_rms_norm_match_their_definitions() {
        let xs: Vec<f32> = (-60..=60).map(|i| i as f32 / 10.0).collect();
        let mut ours = xs.clone();
        gelu_tanh(&mut ours);
        for (&x, &g) in xs.iter().zip(&ours) {
            let want = 0.5 * x * (1.0 + (0.797_884_6 * (x + 0.044_715 * x * x * x)).tanh());
            assert!((g - want).abs() < 1e-5, "gelu_tanh({x}): {g} vs {want}");
        }
        let mut row = vec![1.0, -2.0, 3.0, 0.5];
        let w = [0.0, 1.0, -0.5, 0.25];
        let rms = (row.iter().map(|v| v * v).sum::<f32>() / 4.0 + 1e-6).sqrt();
        let want: Vec<f32> = row
            .iter()
            .zip(&w)
            .map(|(v, g)| v / rms * (1.0 + g))
            .collect();
        rms_norm_one_plus(&mut row, &w, 1e-6);
        for (a, b) in row.iter().zip(&want) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn gelu_matches_exact_erf_definition() {
        let xs: Vec<f32> = (-800..=800).map(|i| i as f32 / 100.0).collect();
        let mut ours = xs.clone();
        gelu(&mut ours);
        for (x, g) in xs.iter().zip(ours) {
            // Reference: erf's defining integral, evaluated numerically in f64.
            let exact = 0.5 * *x as f64 * (1.0 + erf_f64(*x as f64 / std::f64::consts::SQRT_2));
            assert!(
                (g as f64 - exact).abs() < 1e-6,
                "gelu({x}) = {g}, want {exact}"
            );
        }
    }

    /// erf by Simpson integration of 2/√π·e^(−t²): slow, but exact to ~1e-12.
    fn erf_f64(x: f64) -> f64 {
        let n = 2000;
        let h = x / n as f64;
        let f = |t: f64| (-t * t).exp();
        let mut s = f(0.0) + f(x);
        for i in 1..n {
            s += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        s * h / 3.0 * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut row = vec![1.0, 3.0, -2.0, 3.0, 0.5];
        softmax(&mut row);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(row[1] > row[0] && row[0] > row[4] && row[4] > row[2]);
        assert_eq!(row[1], row[3]);
    }

    #[test]
    fn layer_norm_centres_and_scales() {
        let mut row = vec![1.0, 2.0, 3.0, 4.0];
        layer_norm(&mut row, &[1.0; 4], &[0.5; 4], 0.0);
        let mean = row.iter().sum::<f32>() / 4.0;
        assert!((mean - 0.5).abs() < 1e-6);
        assert!((row[3] - row[0] - 2.0 * 3.0 / 5f32.sqrt()).abs() < 1e-5);
    }
}
