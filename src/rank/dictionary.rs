//! German → English word translations for the lexical side, so that a German challenge reaches
//! English profiles through BM25 too. The source is a real bilingual dictionary: Ding's
//! `de-en` list (TU Chemnitz, GPL-2+, Debian package `trans-de-en`, ~200k entries), read
//! once per process. German compounds the dictionary lacks ("Bürgerkommunikation") are split
//! into known parts ("Bürger" + "Kommunikation") before lookup.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Where Debian installs the dictionary (`apt-get install trans-de-en`).
pub const DEFAULT_PATH: &str = "/usr/share/trans/de-en";

/// Most translations kept per German word: the first the dictionary lists.
const MAX_TRANSLATIONS: usize = 12;

/// Longest English translation kept, in words ("charging post" yes, a definition no).
const MAX_PHRASE_WORDS: usize = 3;

/// Shortest part of a split compound.
const MIN_PART: usize = 3;

/// German inflectional endings tried when a word form is not an entry, longest first.
const INFLECTIONS: [&str; 7] = ["en", "er", "es", "em", "e", "n", "s"];

#[derive(Debug, thiserror::Error)]
#[error("dictionary {path}: {source}")]
pub struct DictionaryError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// German word (lower case) → English translations, most common sense first.
#[derive(Debug, Default)]
pub struct Dictionary {
    words: HashMap<String, Vec<String>>,
}

/// One German query word and what it was looked up as.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    /// The German word as the query wrote it (lower case).
    pub source: String,
    /// The dictionary entry it was found under: the word, or one part of a split compound.
    pub part: String,
    /// English translations (words or short phrases), best first.
    pub english: Vec<String>,
}

/// Removes Ding's annotations: `{f}`, `[adm.]`, `(auf etw.)`, `<Ladesaeule>`, `/IC/`.
fn clean(item: &str) -> String {
    let mut out = String::with_capacity(item.len());
    let mut depth = 0usize;
    let mut in_slash = false;
    for c in item.chars() {
        match c {
            '{' | '[' | '(' | '<' => depth += 1,
            '}' | ']' | ')' | '>' => depth = depth.saturating_sub(1),
            '/' if depth == 0 => in_slash = !in_slash,
            _ if depth == 0 && !in_slash => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Dictionary {
    /// Parses Ding's format: `German senses :: English senses`, senses aligned by ` | `,
    /// synonyms within a sense separated by `; `. Only single German words are kept (phrases
    /// cannot be matched word by word).
    pub fn parse(text: &str) -> Self {
        let mut words: HashMap<String, Vec<String>> = HashMap::new();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let Some((de, en)) = line.split_once(" :: ") else {
                continue;
            };
            for (de_sense, en_sense) in de.split(" | ").zip(en.split(" | ")) {
                let english: Vec<String> = en_sense
                    .split(';')
                    .map(|e| clean(e).to_lowercase())
                    .filter(|e| {
                        !e.is_empty()
                            && e.split(' ').count() <= MAX_PHRASE_WORDS
                            && !e.contains('…')
                            && !e.contains("...")
                    })
                    .collect();
                if english.is_empty() {
                    continue;
                }
                for word in de_sense.split(';').map(clean) {
                    if word.is_empty() || word.contains(' ') || word.contains('-') {
                        continue;
                    }
                    let list = words.entry(word.to_lowercase()).or_default();
                    for e in &english {
                        if list.len() < MAX_TRANSLATIONS && !list.contains(e) {
                            list.push(e.clone());
                        }
                    }
                }
            }
        }
        Dictionary { words }
    }

    pub fn load(path: &Path) -> Result<Self, DictionaryError> {
        let text = std::fs::read_to_string(path).map_err(|source| DictionaryError {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self::parse(&text))
    }

    /// The process's dictionary: `GOVMATCH_DICTIONARY` (a path, or `none` to switch
    /// translation off), else [`DEFAULT_PATH`] when installed. Loaded on first use; `None`
    /// (with a warning in the log) when there is none, and lexical ranking stays monolingual.
    pub fn shared() -> Option<Arc<Dictionary>> {
        static SHARED: OnceLock<Option<Arc<Dictionary>>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let path = match std::env::var("GOVMATCH_DICTIONARY") {
                    Ok(p) if p == "none" => return None,
                    Ok(p) => PathBuf::from(p),
                    Err(_) => PathBuf::from(DEFAULT_PATH),
                };
                match Dictionary::load(&path) {
                    Ok(d) => {
                        tracing::info!(path = %path.display(), words = d.len(), "German-English dictionary loaded");
                        Some(Arc::new(d))
                    }
                    Err(e) => {
                        tracing::warn!("{e}: German queries are matched without translation (install Debian's trans-de-en)");
                        None
                    }
                }
            })
            .clone()
    }

    /// German words with translations.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Translations of one German word (any case).
    pub fn get(&self, word: &str) -> Option<&[String]> {
        self.words.get(&word.to_lowercase()).map(Vec::as_slice)
    }

    /// The translations of `word`: its own entry, else the parts of the compound it is
    /// (longest known head first, a linking -s-/-es-/-n-/-en- allowed, up to three parts).
    pub fn translate(&self, word: &str) -> Vec<Translation> {
        let word = word.to_lowercase();
        let parts = self.split(&word, 3).unwrap_or_default();
        parts
            .into_iter()
            .filter_map(|part| {
                let english = self.words.get(&part)?.clone();
                Some(Translation {
                    source: word.clone(),
                    part,
                    english,
                })
            })
            .collect()
    }

    /// The entry `word` is found under: itself, or without an inflectional ending
    /// ("sichere" → "sicher", "Leistungen" → "Leistung"), the dictionary listing mostly base
    /// forms.
    fn entry(&self, word: &str) -> Option<String> {
        if self.words.contains_key(word) {
            return Some(word.to_string());
        }
        INFLECTIONS
            .iter()
            .filter_map(|ending| word.strip_suffix(ending))
            .filter(|stem| stem.chars().count() > MIN_PART)
            .find(|stem| self.words.contains_key(*stem))
            .map(str::to_string)
    }

    /// `word` as known parts, or `None`. The head (last part) carries a compound's meaning,
    /// so the split with the longest known head wins.
    fn split(&self, word: &str, max_parts: usize) -> Option<Vec<String>> {
        if let Some(entry) = self.entry(word) {
            return Some(vec![entry]);
        }
        if max_parts < 2 {
            return None;
        }
        let bounds: Vec<usize> = word.char_indices().map(|(i, _)| i).skip(MIN_PART).collect();
        for &cut in &bounds {
            let head = &word[cut..];
            if head.chars().count() < MIN_PART {
                continue;
            }
            let Some(head) = self.entry(head) else {
                continue;
            };
            let modifier = &word[..cut];
            let candidates = std::iter::once(modifier).chain(
                ["s", "es", "n", "en"]
                    .iter()
                    .filter_map(|link| modifier.strip_suffix(link)),
            );
            for m in candidates {
                if m.chars().count() < MIN_PART {
                    continue;
                }
                if let Some(mut parts) = self.split(m, max_parts - 1) {
                    parts.push(head.clone());
                    return Some(parts);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# comment :: line
Ladesäule {f}; Zapfstelle {f} [ugs.] (für Elektroautos) [auto] | Ladesäulen {pl} :: charging station; charging post; EV charge post | charging stations
Bürger {m} :: citizen
Kommunikation {f} | Kommunikationen {pl} :: communication | communications
Verwaltung {f} [adm.] | innere Verwaltung :: administration; admin [Br.] [coll.] | internal administration
Antrag {m} auf Freispruch ohne Anklageerwiderung (Strafrecht) [jur.] :: a very long definition that is not a translation
";

    #[test]
    fn parses_senses_synonyms_and_annotations() {
        let d = Dictionary::parse(SAMPLE);
        assert_eq!(
            d.get("Ladesäule").unwrap(),
            ["charging station", "charging post", "ev charge post"]
        );
        assert_eq!(d.get("ladesäulen").unwrap(), ["charging stations"]);
        assert_eq!(d.get("zapfstelle").unwrap()[0], "charging station");
        assert_eq!(d.get("verwaltung").unwrap(), ["administration", "admin"]);
        // Multi-word German senses and long English definitions are not word translations.
        assert!(d.get("antrag").is_none());
        assert!(d.get("innere").is_none());
    }

    #[test]
    fn splits_compounds_into_known_parts() {
        let d = Dictionary::parse(SAMPLE);
        let t = d.translate("Bürgerkommunikation");
        let parts: Vec<&str> = t.iter().map(|t| t.part.as_str()).collect();
        assert_eq!(parts, ["bürger", "kommunikation"]);
        assert_eq!(t[0].english, ["citizen"]);
        // A linking -s-: Verwaltungsbürger → verwaltung + bürger.
        let t = d.translate("verwaltungsbürger");
        let parts: Vec<&str> = t.iter().map(|t| t.part.as_str()).collect();
        assert_eq!(parts, ["verwaltung", "bürger"]);
        assert!(d.translate("xyzabc").is_empty());
        // Inflected forms find their entry, also as the head of a compound.
        assert_eq!(d.translate("Verwaltungen")[0].part, "verwaltung");
        let parts: Vec<String> = d
            .translate("Bürgerverwaltungen")
            .into_iter()
            .map(|t| t.part)
            .collect();
        assert_eq!(parts, ["bürger", "verwaltung"]);
        // A word the dictionary has is not split.
        assert_eq!(d.translate("Ladesäule").len(), 1);
    }
}
