//! Reading record files: JSON array, JSON Lines and CSV, record by record, so one bad record
//! is reported with its position and never stops the good ones.

use std::path::Path;

use serde_json::{Map, Value};

/// One raw record and where it came from ("line 12", "record 3").
pub struct RawRecord {
    pub position: String,
    pub fields: Result<Map<String, Value>, String>,
    /// The field at fault when `fields` is an error inside one (a repeated key).
    pub field: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    JsonLines,
    Csv,
}

impl Format {
    /// By extension: `.json`, `.jsonl`/`.ndjson`, `.csv`.
    pub fn of(path: &Path) -> Result<Self, String> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_lowercase)
            .as_deref()
        {
            Some("json") => Ok(Format::Json),
            Some("jsonl" | "ndjson") => Ok(Format::JsonLines),
            Some("csv") => Ok(Format::Csv),
            _ => Err(format!(
                "{}: unknown format (expected .json, .jsonl, .ndjson or .csv)",
                path.display()
            )),
        }
    }
}

fn object(v: Value) -> Result<Map<String, Value>, String> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(format!("expected a JSON object, found {}", kind_of(&other))),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses the bytes of a file; a file-level problem (not JSON at all) is an `Err`.
pub fn parse(bytes: &[u8], format: Format) -> Result<Vec<RawRecord>, String> {
    match format {
        Format::JsonLines => Ok(bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
            .map(|(i, line)| {
                let mut field = None;
                let fields = std::str::from_utf8(line)
                    .map_err(|e| format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()))
                    .and_then(|l| {
                        crate::domain::json::parse(l).map_err(|e| {
                            field = e.field().map(str::to_string);
                            e.to_string()
                        })
                    })
                    .and_then(object);
                RawRecord {
                    position: format!("line {}", i + 1),
                    fields,
                    field,
                }
            })
            .collect()),
        Format::Json => {
            let text = std::str::from_utf8(bytes)
                .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?;
            let value: Value = crate::domain::json::parse(text).map_err(|e| e.to_string())?;
            let items = match value {
                Value::Array(items) => items,
                obj @ Value::Object(_) => vec![obj],
                other => {
                    return Err(format!(
                        "expected an array of objects, found {}",
                        kind_of(&other)
                    ))
                }
            };
            Ok(items
                .into_iter()
                .enumerate()
                .map(|(i, v)| RawRecord {
                    position: format!("record {}", i + 1),
                    fields: object(v),
                    field: None,
                })
                .collect())
        }
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
            let headers: Vec<String> = reader
                .byte_headers()
                .map_err(|e| format!("CSV header: {e}"))?
                .iter()
                .map(|h| String::from_utf8_lossy(h).trim().to_string())
                .collect();
            let mut out = Vec::new();
            for row in reader.byte_records() {
                let (position, fields) = match row {
                    Err(e) => {
                        let line = e.position().map_or(0, |p| p.line());
                        (format!("line {line}"), Err(format!("invalid CSV: {e}")))
                    }
                    Ok(row) => {
                        let line = row.position().map_or(0, |p| p.line());
                        let fields = headers
                            .iter()
                            .zip(row.iter())
                            .map(|(h, cell)| {
                                std::str::from_utf8(cell)
                                    .map(|s| (h.clone(), Value::String(s.to_string())))
                                    .map_err(|e| {
                                        format!(
                                            "field `{h}`: invalid UTF-8 at byte {}",
                                            e.valid_up_to()
                                        )
                                    })
                            })
                            .collect::<Result<Map<_, _>, _>>();
                        (format!("line {line}"), fields)
                    }
                };
                out.push(RawRecord {
                    position,
                    fields,
                    field: None,
                });
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_reports_bad_lines_and_keeps_good_ones() {
        let bytes = b"{\"id\":\"a\"}\n\n[1]\n{\"id\":\"\xff\"}\nnot json\n";
        let recs = parse(bytes, Format::JsonLines).unwrap();
        let pos: Vec<&str> = recs.iter().map(|r| r.position.as_str()).collect();
        assert_eq!(pos, ["line 1", "line 3", "line 4", "line 5"]);
        assert!(recs[0].fields.is_ok());
        assert!(recs[1].fields.as_ref().unwrap_err().contains("an array"));
        assert!(recs[2].fields.as_ref().unwrap_err().contains("UTF-8"));
        assert!(recs[3]
            .fields
            .as_ref()
            .unwrap_err()
            .contains("invalid JSON"));
    }

    #[test]
    fn csv_rows_know_their_lines() {
        let bytes = b"id,name\ns1,Acme\ns2,\"Be\xfft\"\n";
        let recs = parse(bytes, Format::Csv).unwrap();
        assert_eq!(recs[0].position, "line 2");
        assert_eq!(recs[0].fields.as_ref().unwrap()["name"], "Acme");
        assert!(recs[1]
            .fields
            .as_ref()
            .unwrap_err()
            .contains("field `name`"));
    }

    #[test]
    fn json_array_positions_are_record_numbers() {
        let recs = parse(br#"[{"id":"a"}, 3]"#, Format::Json).unwrap();
        assert_eq!(recs[1].position, "record 2");
        assert!(parse(b"{oops", Format::Json).is_err());
    }
}
