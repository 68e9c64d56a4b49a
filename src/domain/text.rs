//! The forms a value may take, declared once: the id grammar and its normalisation, what
//! counts as visible text, which characters a text field may hold, and calendar dates.
//! Ingest, the API, filters and the pages all check through here, so a value one front end
//! accepts is never refused (or silently changed) by another.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Longest id, in characters.
pub const MAX_ID_CHARS: usize = 200;

/// Punctuation an id may hold between its letters and digits.
pub const ID_PUNCTUATION: &[char] = &['-', '_', '.', ':', '~', '+', '@'];

/// Characters that take no room when shown: format characters (zero-width space and joiners,
/// bidi controls, the byte-order mark, the soft hyphen) and controls.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Format | GeneralCategory::Control
    )
}

/// Text with nothing a reader can see: empty, whitespace (any script's, including
/// no-break spaces) and invisible characters only.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(|c| c.is_whitespace() || is_invisible(c))
}

/// Why `id` breaks the grammar, if it does. An id is 1–200 characters in NFC: letters of
/// any script, digits and combining marks, with `- _ . : ~ + @` between them (never first or
/// last, so `..`, `.x` and `x.` are refused); no whitespace, slashes, controls or invisible
/// characters. It must survive a URL path segment, a TREC line and a terminal unchanged.
pub fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("is missing or empty".into());
    }
    let n = id.chars().count();
    if n > MAX_ID_CHARS {
        return Some(format!("is longer than {MAX_ID_CHARS} characters ({n})"));
    }
    if let Some(c) = id.chars().find(|c| !id_char(*c)) {
        let what = if c.is_whitespace() {
            "whitespace".to_string()
        } else if is_invisible(c) {
            "an invisible or control character".to_string()
        } else {
            format!("`{c}`")
        };
        return Some(format!(
            "contains {what} (U+{:04X}); ids hold letters, digits and {} between them",
            c as u32,
            ID_PUNCTUATION.iter().collect::<String>()
        ));
    }
    let edge = |c: Option<char>| c.is_some_and(|c| ID_PUNCTUATION.contains(&c));
    if edge(id.chars().next()) || edge(id.chars().last()) {
        return Some("must start and end with a letter or digit".into());
    }
    if !unicode_normalization::is_nfc(id) {
        return Some("is not in Unicode NFC form".into());
    }
    None
}

fn id_char(c: char) -> bool {
    c.is_alphanumeric()
        || ID_PUNCTUATION.contains(&c)
        || matches!(
            c.general_category(),
            GeneralCategory::NonspacingMark | GeneralCategory::SpacingMark
        )
}

/// The id an imported record gets when its source spelled it loosely: NFC, invisible
/// characters dropped, every run of whitespace or other characters outside the grammar turned
/// into one `-`, punctuation trimmed from both ends. `None` when nothing is left. Ingest
/// applies it and reports each change; the API refuses such ids instead.
pub fn normalize_id(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut pending_dash = false;
    for c in raw.nfc() {
        if is_invisible(c) && !c.is_whitespace() {
            continue;
        }
        if id_char(c) && c != '-' {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c);
        } else {
            pending_dash = true;
        }
    }
    let trimmed = out.trim_matches(|c| ID_PUNCTUATION.contains(&c));
    (!trimmed.is_empty() && id_problem(trimmed).is_none()).then(|| trimmed.to_string())
}

/// Whether a field is one line (a name, a title, a tag) or running text (a description).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// A control character `text` must not hold: any C0/C1 control, except tab, line feed and
/// carriage return in running text. ESC is one: a stored name must not steer a terminal.
pub fn forbidden_control(text: &str, lines: Lines) -> Option<char> {
    text.chars().find(|&c| forbidden(c, lines))
}

fn forbidden(c: char, lines: Lines) -> bool {
    c.is_control() && !(lines == Lines::Many && matches!(c, '\t' | '\n' | '\r'))
}

/// Replaces the control characters [`forbidden_control`] refuses with a space; what ingest
/// does to imported text (reported), since exports often carry a stray one.
pub fn strip_controls(text: &str, lines: Lines) -> String {
    text.chars()
        .map(|c| if forbidden(c, lines) { ' ' } else { c })
        .collect()
}

/// A text made safe to print on a terminal or in a one-line log: controls shown as `\u{..}`
/// escapes, so stored text cannot move the cursor, recolour or forge lines.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return text.into();
    }
    text.chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// A spreadsheet cell that cannot run as a formula: text starting with `= + - @`, a tab or
/// a carriage return gets a leading `'`, as OWASP advises for CSV exports.
pub fn csv_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// Parses a date the way every front end does: `YYYY-MM-DD` (a real calendar date) or an
/// RFC 3339 timestamp (a real instant), returning the calendar date as `YYYY-MM-DD`.
pub fn parse_date(value: &str) -> Result<String, String> {
    let v = value.trim();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    if v.len() == 10 {
        return time::Date::parse(v, format)
            .map(|d| d.to_string())
            .map_err(|_| format!("`{v}` is not a calendar date (YYYY-MM-DD)"));
    }
    time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
        .map(|t| t.date().to_string())
        .map_err(|_| {
            format!("`{v}` is not a date (YYYY-MM-DD) or an RFC 3339 timestamp with a real time")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_any_script_and_refuse_lookalikes_and_paths() {
        // Issue 24 point 9: the id grammar.
        for ok in [
            "hh-s-001",
            "t4g-2019-digitale-identitäten",
            "SIH25018",
            "a.b",
            "東京-1",
        ] {
            assert_eq!(id_problem(ok), None, "{ok}");
        }
        for bad in [
            "hh-s-001\u{200b}",
            "\u{202e}evil",
            "sp ace",
            "a/b",
            "..",
            ".hidden",
            "x\\y",
            "a?b",
            "tab\there",
            "",
            "e\u{301}", // not NFC
        ] {
            assert!(id_problem(bad).is_some(), "{bad:?}");
        }
        assert_eq!(
            normalize_id("cgov-160c1a09-4569 ").as_deref(),
            Some("cgov-160c1a09-4569")
        );
        assert_eq!(normalize_id("cgov-?!3123").as_deref(), Some("cgov-3123"));
        assert_eq!(normalize_id(" sp ace ").as_deref(), Some("sp-ace"));
        assert_eq!(normalize_id("hh\u{200b}-1").as_deref(), Some("hh-1"));
        assert_eq!(normalize_id("e\u{301}").as_deref(), Some("é"));
        assert_eq!(normalize_id("/..\u{202e}"), None);
    }

    #[test]
    fn invisible_text_is_blank() {
        // Issue 24 point 11.
        assert!(is_blank("\u{200b}\u{200b}\u{feff}"));
        assert!(is_blank("\u{a0}\u{200b}"));
        assert!(is_blank(" \n\t"));
        assert!(!is_blank("\u{200b}a"));
    }

    #[test]
    fn controls_are_found_escaped_and_stripped() {
        // Issue 24 point 10.
        assert_eq!(
            forbidden_control("\u{1b}[31mRED", Lines::One),
            Some('\u{1b}')
        );
        assert_eq!(forbidden_control("a\nb", Lines::One), Some('\n'));
        assert_eq!(forbidden_control("a\nb\tc\r", Lines::Many), None);
        assert_eq!(forbidden_control("a\u{9d}", Lines::Many), Some('\u{9d}'));
        assert_eq!(strip_controls("a\u{b}b", Lines::Many), "a b");
        assert_eq!(printable("\u{1b}[31mRED"), "\\u{1b}[31mRED");
        assert_eq!(printable("plain"), "plain");
    }

    #[test]
    fn csv_cells_cannot_start_a_formula() {
        // Issue 24 point 12.
        for (raw, safe) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Zählwerk", "Zählwerk"),
        ] {
            assert_eq!(csv_safe(raw), safe);
        }
    }

    #[test]
    fn dates_are_real_calendar_dates() {
        // Issue 24 point 4.
        assert_eq!(parse_date("2024-02-29").unwrap(), "2024-02-29");
        assert_eq!(
            parse_date("2021-01-06T17:00:00-05:00").unwrap(),
            "2021-01-06"
        );
        for bad in [
            "2027-02-30",
            "2023-02-29",
            "2024-13-01",
            "2027-02-03T25:00:00Z",
            "yesterday",
            "2027-2-3",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
