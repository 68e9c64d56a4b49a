//! Reading safetensors weights into plain f32 vectors.

use std::path::{Path, PathBuf};

use safetensors::{Dtype, SafeTensors};

use crate::model::ModelError;

/// A memory-mapped safetensors file; tensors are copied out as f32 on request, so the mapping
/// (and the page cache it touches) is released once loading is done.
pub struct WeightFile {
    path: PathBuf,
    map: memmap2::Mmap,
    /// Prepended to a name that is missing as it is: task checkpoints (BertForX) keep
    /// the encoder under their architecture's prefix (`bert.`).
    prefix: &'static str,
}

impl WeightFile {
    pub fn open(path: &Path, prefix: &'static str) -> Result<Self, ModelError> {
        let file = std::fs::File::open(path).map_err(ModelError::io(path))?;
        // SAFETY: mapped read-only; govmatch never writes a model directory in place (fetch
        // writes a new directory and renames it), so the bytes do not change under us.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(ModelError::io(path))?;
        Ok(WeightFile {
            path: path.to_path_buf(),
            map,
            prefix,
        })
    }

    fn format(&self, message: String) -> ModelError {
        ModelError::Format {
            path: self.path.clone(),
            message,
        }
    }

    /// The tensor `name` (or `prefix` + `name`) as f32, checked
    /// against `shape`.
    pub fn tensor(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, ModelError> {
        let mut out = Vec::with_capacity(shape.iter().product());
        self.for_each_row(name, shape, |row| out.extend_from_slice(row))?;
        Ok(out)
    }

    /// Calls `f` with each row (last dimension) of tensor `name` as f32, without materialising
    /// the whole tensor: the int8 word table never holds the f32 one in memory.
    pub fn for_each_row(
        &self,
        name: &str,
        shape: &[usize],
        mut f: impl FnMut(&[f32]),
    ) -> Result<(), ModelError> {
        let st = SafeTensors::deserialize(&self.map)
            .map_err(|e| self.format(format!("unreadable safetensors: {e}")))?;
        let view = st
            .tensor(name)
            .or_else(|_| st.tensor(&format!("{}{name}", self.prefix)))
            .map_err(|_| self.format(format!("tensor `{name}` is missing")))?;
        if view.shape() != shape {
            return Err(self.format(format!(
                "tensor `{name}` has shape {:?}, config.json implies {shape:?}",
                view.shape()
            )));
        }
        let width = shape.last().copied().unwrap_or(1).max(1);
        let size = match view.dtype() {
            Dtype::F32 => 4,
            Dtype::F16 | Dtype::BF16 => 2,
            other => {
                return Err(self.format(format!("tensor `{name}` has unsupported dtype {other:?}")))
            }
        };
        let mut row = vec![0f32; width];
        for bytes in view.data().chunks_exact(width * size) {
            for (v, c) in row.iter_mut().zip(bytes.chunks_exact(size)) {
                *v = match view.dtype() {
                    Dtype::F32 => f32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                    Dtype::F16 => half::f16::from_le_bytes([c[0], c[1]]).to_f32(),
                    _ => half::bf16::from_le_bytes([c[0], c[1]]).to_f32(),
                };
            }
            f(&row);
        }
        Ok(())
    }
}
