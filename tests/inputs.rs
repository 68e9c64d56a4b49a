//! Property tests of what users feed in (files, records): any input is read or refused with
//! a reason — never a panic — and a refused record names its field. Bounded (a few hundred
//! cases each) so they run in seconds.

use govmatch::domain::{Kind, Record};
use govmatch::ingest::read::{parse, Format};
use govmatch::ingest::{mapping, read_file};
use proptest::prelude::*;
use serde_json::{Map, Value};

const FIELDS: &[&str] = &[
    "id",
    "name",
    "one_liner",
    "description",
    "sectors",
    "technologies",
    "stage",
    "region",
    "country",
    "languages",
    "website",
    "updated_at",
    "title",
    "agency",
    "desired_outcome",
    "tags",
    "language",
    "status",
    "deadline",
    "colour",
    "",
];

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("seed"),
            Just("unicorn"),
            Just("open"),
            Just("2024-02-30"),
            Just("2026-01-01"),
            Just(" x"),
            Just("a\u{0}b"),
            Just("")
        ]
        .prop_map(|s| Value::String(s.into())),
        prop::collection::vec(".{0,12}".prop_map(Value::String), 0..4).prop_map(Value::Array),
    ]
}

fn record_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((prop::sample::select(FIELDS), value()), 0..8)
        .prop_map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_are_read_or_refused_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        for format in [Format::Json, Format::JsonLines, Format::Csv] {
            if let Ok(records) = parse(&bytes, format) {
                for r in records {
                    prop_assert!(!r.position.is_empty());
                }
            }
        }
    }

    #[test]
    fn csv_and_jsonl_made_of_record_fields_are_read(objects in prop::collection::vec(record_object(), 1..5)) {
        let jsonl: String = objects
            .iter()
            .map(|o| serde_json::to_string(o).unwrap() + "\n")
            .collect();
        let read = parse(jsonl.as_bytes(), Format::JsonLines).unwrap();
        prop_assert_eq!(read.len(), objects.len());
        let csv = format!("id,name,one_liner\n{}", objects.iter().enumerate().map(|(i, _)| format!("s{i},\"Na,me\",x\n")).collect::<String>());
        prop_assert_eq!(parse(csv.as_bytes(), Format::Csv).unwrap().len(), objects.len());
    }

    #[test]
    fn a_refused_record_names_its_field(object in record_object(), challenge in any::<bool>()) {
        let kind = if challenge { Kind::Challenge } else { Kind::Startup };
        let fields = mapping::coerce(object);
        match Record::from_value(kind, Value::Object(fields)) {
            Ok(record) => {
                prop_assert!(!record.id().trim().is_empty());
                // What is accepted survives a round trip through the store's JSON.
                let again = Record::from_value(kind, serde_json::from_str(&record.to_json()).unwrap());
                prop_assert_eq!(again.ok(), Some(record));
            }
            Err((field, message)) => {
                prop_assert!(field.is_some_and(|f| !f.is_empty() || message.contains("``")), "{message}");
            }
        }
    }
}

#[test]
fn a_file_of_mixed_lines_keeps_the_good_and_names_the_bad() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.jsonl");
    std::fs::write(
        &path,
        "{\"id\":\"a\",\"name\":\"A\",\"one_liner\":\"ok\"}\n{\"id\":\"b\"}\n\u{0}\u{1}\n{\"id\":\"c\",\"name\":\"C\",\"one_liner\":\"ok\",\"stage\":\"unicorn\"}\n",
    )
    .unwrap();
    let (records, issues) = read_file(Kind::Startup, &path, None).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(issues.len(), 3);
    assert_eq!(issues[0].field.as_deref(), Some("name"));
    assert_eq!(issues[2].field.as_deref(), Some("stage"));
}
