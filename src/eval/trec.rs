//! TREC run files (`qid Q0 docid rank score tag`): what trec_eval, ranx and pytrec_eval read,
//! so govmatch rankings can be scored by other tools and theirs by govmatch.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use super::{BeirError, Run};

/// Writes a run, queries in id order, documents best first, ranks from 1.
pub fn write_run(out: &mut dyn Write, run: &Run, tag: &str) -> std::io::Result<()> {
    let mut queries: Vec<&String> = run.keys().collect();
    queries.sort();
    for q in queries {
        for (rank, (doc, score)) in run[q].iter().enumerate() {
            write_line(out, q, doc, rank + 1, *score, tag)?;
        }
    }
    Ok(())
}

/// One line of a run (`rank` from 1): for writers that stream, like `govmatch batch`.
pub fn write_line(
    out: &mut dyn Write,
    query: &str,
    doc: &str,
    rank: usize,
    score: f32,
    tag: &str,
) -> std::io::Result<()> {
    writeln!(out, "{query} Q0 {doc} {rank} {score:.6} {tag}")
}

/// Reads a run; each query's documents are ordered by score (then rank) as trec_eval does.
pub fn read_run(path: &Path) -> Result<Run, BeirError> {
    let text = std::fs::read_to_string(path).map_err(|source| BeirError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut rows: HashMap<String, Vec<(String, usize, f32)>> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let err = |message: String| BeirError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            message,
        };
        let [q, _, doc, rank, score, ..] = fields[..] else {
            return Err(err(format!(
                "expected 6 fields (qid Q0 docid rank score tag), found {}",
                fields.len()
            )));
        };
        let rank: usize = rank
            .parse()
            .map_err(|_| err(format!("rank `{rank}` is not a number")))?;
        let score: f32 = score
            .parse()
            .map_err(|_| err(format!("score `{score}` is not a number")))?;
        rows.entry(q.to_string())
            .or_default()
            .push((doc.to_string(), rank, score));
    }
    Ok(rows
        .into_iter()
        .map(|(q, mut docs)| {
            docs.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.1.cmp(&b.1)));
            (q, docs.into_iter().map(|(d, _, s)| (d, s)).collect())
        })
        .collect())
}
