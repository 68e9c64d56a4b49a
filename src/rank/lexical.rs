//! BM25 over the same texts that are embedded (tantivy, in memory). Every text is analysed
//! twice, with the English and the German stemmer, because profiles are mostly English and
//! challenges mostly German, and neither side says which. Exact terms (product names,
//! acronyms, place names) are where lexical ranking beats dense vectors.

use std::collections::HashMap;
use std::sync::Mutex;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Why the lexical index failed: tantivy's errors, which only arise from resource exhaustion
/// (it lives in memory).
#[derive(Debug, thiserror::Error)]
#[error("lexical index: {0}")]
pub struct LexicalError(#[from] tantivy::TantivyError);

/// One lexical hit: record id and BM25 score.
#[derive(Debug, Clone, PartialEq)]
pub struct LexicalHit {
    pub id: String,
    pub score: f32,
}

/// The analysed fields and their languages.
const FIELDS: [(&str, Language); 2] = [("en", Language::English), ("de", Language::German)];

/// Memory for tantivy's indexing buffer (its minimum is 15 MB per thread).
const WRITER_BYTES: usize = 32_000_000;

/// Longest query analysed, in terms per field: BM25 over more terms only adds noise and time.
const MAX_QUERY_TERMS: usize = 512;

pub struct LexicalIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    id: Field,
    fields: Vec<Field>,
    analyzers: Vec<TextAnalyzer>,
}

fn analyzer(language: Language) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser);
    match StopWordFilter::new(language) {
        Some(stop) => builder.filter(stop).filter(Stemmer::new(language)).build(),
        None => builder.filter(Stemmer::new(language)).build(),
    }
}

impl LexicalIndex {
    /// An empty index; fill it with [`upsert_many`](Self::upsert_many).
    pub fn new() -> Result<Self, LexicalError> {
        let mut schema = Schema::builder();
        let id = schema.add_text_field("id", STRING | STORED);
        let mut fields = Vec::new();
        for (name, _) in FIELDS {
            let options = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(name)
                    .set_index_option(IndexRecordOption::WithFreqs),
            );
            fields.push(schema.add_text_field(name, options));
        }
        let index = Index::create_in_ram(schema.build());
        let analyzers: Vec<TextAnalyzer> = FIELDS.iter().map(|&(_, l)| analyzer(l)).collect();
        for ((name, _), a) in FIELDS.iter().zip(&analyzers) {
            index.tokenizers().register(name, a.clone());
        }
        let writer = index.writer_with_num_threads(1, WRITER_BYTES)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(LexicalIndex {
            reader,
            writer: Mutex::new(writer),
            id,
            fields,
            analyzers,
        })
    }

    /// Adds or replaces records (id, text) and makes them searchable, in one commit.
    pub fn upsert_many<'a>(
        &self,
        records: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), LexicalError> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        for (id, text) in records {
            writer.delete_term(Term::from_field_text(self.id, id));
            let mut document = doc!(self.id => id);
            for &field in &self.fields {
                document.add_text(field, text);
            }
            writer.add_document(document)?;
        }
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Removes records; unknown ids are ignored.
    pub fn remove(&self, ids: &[&str]) -> Result<(), LexicalError> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            writer.delete_term(Term::from_field_text(self.id, id));
        }
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Indexed records.
    pub fn len(&self) -> usize {
        self.reader.searcher().num_docs() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The analysed terms of `text` per field (stemmed, stop words removed), first
    /// [`MAX_QUERY_TERMS`] of each.
    fn terms(&self, text: &str) -> Vec<Term> {
        let mut terms = Vec::new();
        for (&field, analyzer) in self.fields.iter().zip(&self.analyzers) {
            let mut analyzer = analyzer.clone();
            let mut stream = analyzer.token_stream(text);
            let mut n = 0;
            while n < MAX_QUERY_TERMS && stream.advance() {
                terms.push(Term::from_field_text(field, &stream.token().text));
                n += 1;
            }
        }
        terms
    }

    /// The `n` best records for `text` by BM25, best first, ties by id.
    pub fn search(&self, text: &str, n: usize) -> Result<Vec<LexicalHit>, LexicalError> {
        let terms = self.terms(text);
        if terms.is_empty() || n == 0 {
            return Ok(Vec::new());
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .into_iter()
            .map(|t| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs));
                (Occur::Should, q)
            })
            .collect();
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(n))?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let document: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = document.get_first(self.id).and_then(|v| v.as_str()) {
                hits.push(LexicalHit {
                    id: id.to_string(),
                    score,
                });
            }
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        Ok(hits)
    }

    /// Words that `a` and `b` share after stemming, rarest in the catalogue first, as they
    /// are written in `b`: the "key terms" of an explanation.
    pub fn shared_terms(&self, a: &str, b: &str, max: usize) -> Vec<String> {
        let searcher = self.reader.searcher();
        let mut best: HashMap<String, (u64, String)> = HashMap::new();
        for (&field, analyzer) in self.fields.iter().zip(&self.analyzers) {
            let stems_a: std::collections::HashSet<String> = {
                let mut analyzer = analyzer.clone();
                let mut stream = analyzer.token_stream(a);
                let mut set = std::collections::HashSet::new();
                while stream.advance() {
                    set.insert(stream.token().text.clone());
                }
                set
            };
            // Walk b's words one at a time to keep their written form.
            let mut words = TextAnalyzer::builder(SimpleTokenizer::default()).build();
            let mut stream = words.token_stream(b);
            while stream.advance() {
                let word = stream.token().text.clone();
                let stem = {
                    let mut analyzer = analyzer.clone();
                    let mut stems = analyzer.token_stream(&word);
                    if !stems.advance() {
                        continue;
                    }
                    stems.token().text.clone()
                };
                if !stems_a.contains(&stem) || word.chars().count() < 3 {
                    continue;
                }
                let df = searcher
                    .doc_freq(&Term::from_field_text(field, &stem))
                    .unwrap_or(u64::MAX);
                let key = word.to_lowercase();
                best.entry(key)
                    .and_modify(|e| e.0 = e.0.min(df))
                    .or_insert((df, word));
            }
        }
        let mut terms: Vec<(u64, String)> = best.into_values().collect();
        terms.sort_by(|x, y| x.0.cmp(&y.0).then_with(|| x.1.cmp(&y.1)));
        terms.into_iter().take(max).map(|(_, w)| w).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_german_and_english_and_replaces_by_id() {
        let index = LexicalIndex::new().unwrap();
        index
            .upsert_many([
                (
                    "a",
                    "Wir optimieren Parkplätze und Verkehrsflüsse in Städten.",
                ),
                ("b", "Routing software for delivery vehicles in cities."),
                ("c", "A bakery."),
            ])
            .unwrap();
        let hits = index.search("Parkplatz", 10).unwrap();
        assert_eq!(hits[0].id, "a");
        let hits = index.search("vehicle routing", 10).unwrap();
        assert_eq!(hits[0].id, "b");
        assert!(hits.iter().all(|h| h.id != "c"));
        index.upsert_many([("b", "A flower shop.")]).unwrap();
        assert_eq!(index.len(), 3);
        assert!(index.search("vehicle routing", 10).unwrap().is_empty());
        index.remove(&["a"]).unwrap();
        assert!(index.search("Parkplatz", 10).unwrap().is_empty());
    }

    #[test]
    fn shared_terms_come_in_the_profile_wording_rarest_first() {
        let index = LexicalIndex::new().unwrap();
        index
            .upsert_many([
                ("a", "Sensors for bridges and cities"),
                ("b", "Software for cities"),
                ("c", "Software for schools"),
            ])
            .unwrap();
        let terms = index.shared_terms(
            "We monitor bridge sensors in the city",
            "Sensors for bridges and cities",
            5,
        );
        assert!(terms.contains(&"bridges".to_string()), "{terms:?}");
        assert!(terms.contains(&"Sensors".to_string()), "{terms:?}");
        assert_eq!(
            terms.last().map(String::as_str),
            Some("cities"),
            "{terms:?}"
        );
    }
}
