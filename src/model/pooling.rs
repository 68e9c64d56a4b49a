//! How token vectors become one text vector. One implementation for every native encoder, so an
//! architecture only produces token rows and pooling cannot drift between them.

/// How token vectors become one text vector (read from the sentence-transformers config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    Mean,
    Cls,
}

impl Pooling {
    /// Pools one sequence's token rows (`rows.len() / width` real tokens, no padding).
    pub(crate) fn pool(self, rows: &[f32], width: usize) -> Vec<f32> {
        match self {
            Pooling::Cls => rows[..width].to_vec(),
            Pooling::Mean => {
                let mut v = vec![0f32; width];
                for row in rows.chunks(width) {
                    v.iter_mut().zip(row).for_each(|(a, &x)| *a += x);
                }
                let inv = 1.0 / (rows.len() / width).max(1) as f32;
                v.iter_mut().for_each(|x| *x *= inv);
                v
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_averages_rows_and_cls_takes_the_first() {
        let rows = [1.0, 2.0, 3.0, 6.0];
        assert_eq!(Pooling::Mean.pool(&rows, 2), vec![2.0, 4.0]);
        assert_eq!(Pooling::Cls.pool(&rows, 2), vec![1.0, 2.0]);
    }
}
