//! BM25 over the same texts that are embedded (tantivy, in memory). Every text is analysed
//! twice, with the English and the German stemmer, because profiles are mostly English and
//! challenges mostly German, and neither side says which. Exact terms (product names,
//! acronyms, place names) are where lexical ranking beats dense vectors.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
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
    /// Per analysed language: lower-casing and its stop words only, to tell function words
    /// ("das", "von", "the") from content words.
    stop_filters: Vec<(Language, TextAnalyzer)>,
    analysed: Mutex<HashMap<u64, Arc<Analysis>>>,
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
        let stop_filters = FIELDS
            .iter()
            .filter_map(|&(_, language)| {
                let stop = StopWordFilter::new(language)?;
                let analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
                    .filter(LowerCaser)
                    .filter(stop)
                    .build();
                Some((language, analyzer))
            })
            .collect();
        Ok(LexicalIndex {
            reader,
            writer: Mutex::new(writer),
            id,
            fields,
            analyzers,
            stop_filters,
            analysed: Mutex::new(HashMap::new()),
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
        // A term repeated in the query counts once per repetition in BM25; one boosted clause
        // per distinct term scores the same and keeps long challenge texts cheap to search.
        let mut counts: HashMap<Term, f32> = HashMap::new();
        for t in terms {
            *counts.entry(t).or_default() += 1.0;
        }
        let mut counts: Vec<(Term, f32)> = counts.into_iter().collect();
        counts.sort_by(|a, b| a.0.cmp(&b.0));
        let clauses: Vec<(Occur, Box<dyn Query>)> = counts
            .into_iter()
            .map(|(t, n)| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs));
                let q: Box<dyn Query> = if n > 1.0 {
                    Box::new(BoostQuery::new(q, n))
                } else {
                    q
                };
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

    /// The tokens of `text` per field (stem, byte range), remembered: stemming is most of the
    /// cost of an explanation, and the same profiles are explained again and again.
    fn analysis(&self, text: &str) -> Arc<Analysis> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        let key = h.finish();
        if let Some(a) = self
            .analysed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return a.clone();
        }
        let fields = self
            .analyzers
            .iter()
            .map(|analyzer| {
                let mut analyzer = analyzer.clone();
                let mut stream = analyzer.token_stream(text);
                let mut tokens = Vec::new();
                while stream.advance() {
                    let t = stream.token();
                    tokens.push((t.text.clone(), t.offset_from..t.offset_to));
                }
                tokens
            })
            .collect();
        let a = Arc::new(Analysis(fields));
        let mut cache = self.analysed.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= ANALYSIS_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, a.clone());
        a
    }

    /// Per analysed language, the start offsets of the words of `text` that are not its
    /// function words ("das", "von", "the"): one pass of each stop filter over the text.
    fn content_word_starts(&self, text: &str) -> Vec<HashSet<usize>> {
        self.stop_filters
            .iter()
            .map(|(_, analyzer)| {
                let mut analyzer = analyzer.clone();
                let mut stream = analyzer.token_stream(text);
                let mut kept = HashSet::new();
                while stream.advance() {
                    kept.insert(stream.token().offset_from);
                }
                kept
            })
            .collect()
    }

    /// The analysed language whose function words `text` uses most (German or English), the
    /// usual way to tell the language of a short text; English when neither shows.
    pub fn language_of(&self, text: &str) -> Language {
        let mut end = text.len().min(4000);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let text = &text[..end];
        // The stop filters tokenize as SimpleTokenizer does: runs of alphanumerics.
        let words = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .count();
        let mut best = (Language::English, 0);
        for ((language, _), kept) in self.stop_filters.iter().zip(self.content_word_starts(text)) {
            let function_words = words.saturating_sub(kept.len());
            if function_words > best.1 {
                best = (*language, function_words);
            }
        }
        best.0
    }

    /// The stems of a query per field, computed once per request for [`shared_terms`].
    pub fn query_terms(&self, text: &str) -> QueryTerms {
        QueryTerms(
            self.analysis(text)
                .0
                .iter()
                .map(|tokens| tokens.iter().map(|(stem, _)| stem.clone()).collect())
                .collect(),
        )
    }

    /// Words of `text` whose stems the query shares, rarest in the catalogue first, as they
    /// are written in `text`: the "key terms" of an explanation.
    pub fn shared_terms(&self, query: &QueryTerms, text: &str, max: usize) -> Vec<String> {
        let searcher = self.reader.searcher();
        let analysis = self.analysis(text);
        // Function words of any language never explain a match.
        let content = self.content_word_starts(text);
        let mut best: HashMap<String, (u64, String)> = HashMap::new();
        for ((&field, tokens), stems) in self.fields.iter().zip(&analysis.0).zip(&query.0) {
            for (stem, range) in tokens {
                if !stems.contains(stem) {
                    continue;
                }
                // Offsets point into `text`: the word as written.
                let Some(word) = text.get(range.clone()) else {
                    continue;
                };
                let function_word = !content.iter().all(|k| k.contains(&range.start));
                if word.chars().count() < 3 || function_word {
                    continue;
                }
                let key = word.to_lowercase();
                if best.contains_key(&key) {
                    continue;
                }
                let df = searcher
                    .doc_freq(&Term::from_field_text(field, stem))
                    .unwrap_or(u64::MAX);
                best.insert(key, (df, word.to_string()));
            }
        }
        let mut terms: Vec<(u64, String)> = best.into_values().collect();
        terms.sort_by(|x, y| x.0.cmp(&y.0).then_with(|| x.1.cmp(&y.1)));
        terms.into_iter().take(max).map(|(_, w)| w).collect()
    }
}

/// Texts whose analysis is remembered before the cache starts over.
const ANALYSIS_CACHE_LIMIT: usize = 50_000;

/// Tokens per field: stem and the byte range of the word it came from.
struct Analysis(Vec<Vec<(String, std::ops::Range<usize>)>>);

/// A query's stems per analysed field.
pub struct QueryTerms(Vec<HashSet<String>>);

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
    fn function_words_are_no_key_terms_and_tell_the_language() {
        let index = LexicalIndex::new().unwrap();
        let text = "Das Amt sucht eine Lösung von der Stadt sowie einem Partner zur Erfassung";
        index
            .upsert_many([("a", text), ("b", "Ein Werkzeug zur Erfassung")])
            .unwrap();
        let query = index.query_terms("Das Amt will von einem Werkzeug zur Erfassung wissen");
        let terms = index.shared_terms(&query, text, 10);
        for stop in ["Das", "von", "einem", "zur", "sowie"] {
            assert!(!terms.iter().any(|t| t == stop), "{stop} in {terms:?}");
        }
        assert!(terms.iter().any(|t| t == "Erfassung"), "{terms:?}");
        assert_eq!(index.language_of(text), Language::German);
        assert_eq!(
            index.language_of("The city wants sensors for the bridges of the harbour"),
            Language::English
        );
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
        let query = index.query_terms("We monitor bridge sensors in the city");
        let terms = index.shared_terms(&query, "Sensors for bridges and cities", 5);
        assert!(terms.contains(&"bridges".to_string()), "{terms:?}");
        assert!(terms.contains(&"Sensors".to_string()), "{terms:?}");
        assert_eq!(
            terms.last().map(String::as_str),
            Some("cities"),
            "{terms:?}"
        );
    }
}
