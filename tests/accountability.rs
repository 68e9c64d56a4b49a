//! Accountable recommendations as an auditor relies on them: contentless profiles flagged at
//! ingest and kept out of lists unless asked for, exposure figures that match a hand count,
//! and an algorithm-register entry that carries every field its standard requires — or says
//! which one the operator left out, changing nothing stored.

mod common;

use std::path::Path;

const MODEL: &str = "all-MiniLM-L6-v2";

const STARTUPS: &str = r#"{"id":"s-kerb","name":"Kerbside","one_liner":"Sensors detect free charging stations for electric cars on city streets","description":"Kerbside mounts small sensors at public charging points and reports in real time which ones are free, so drivers and the city see occupancy.","sectors":["mobility"],"country":"DE","stage":"seed"}
{"id":"s-waste","name":"WasteRoute","one_liner":"Route planning for municipal waste collection","description":"WasteRoute plans the routes of refuse trucks from fill-level sensors in public bins.","sectors":["logistics"],"country":"DE","stage":"series-a"}
{"id":"s-sphere","name":"Sphere","one_liner":"Building something new.","description":"Building something new. Stay tuned!","country":"US"}
"#;

const CHALLENGES: &str = r#"{"id":"c-charge","title":"Freie Ladesäulen erkennen","agency":"Behörde für Verkehr","description":"Die Stadt möchte in Echtzeit wissen, welche öffentlichen Ladesäulen für Elektroautos frei sind.","language":"de","status":"open"}
"#;

fn govmatch(args: &[&str]) -> std::process::Command {
    common::govmatch(args, MODEL)
}

/// A command that loads no model (so takes no `--model`).
fn plain(args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(common::bin());
    c.args(args)
        .env("RUST_LOG", "warn")
        .current_dir(common::root());
    c
}

/// A data directory holding the three startups and the one challenge above.
fn catalogue() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("startups.jsonl"), STARTUPS).unwrap();
    std::fs::write(d.join("challenges.jsonl"), CHALLENGES).unwrap();
    let data = d.join("data");
    for kind in ["startups", "challenges"] {
        let file = d.join(format!("{kind}.jsonl"));
        let out = common::run_ok(&mut govmatch(&[
            "ingest",
            kind,
            file.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ]));
        let stdout = String::from_utf8_lossy(&out.stdout);
        if kind == "startups" {
            assert!(
                stdout.contains("1 contentless (left out of match lists"),
                "ingest reports the flag: {stdout}"
            );
        }
    }
    dir
}

fn data(dir: &tempfile::TempDir) -> String {
    dir.path().join("data").to_str().unwrap().to_string()
}

fn lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_contentless_profile_is_flagged_and_listed_only_when_asked_for() {
    let dir = catalogue();
    let data = data(&dir);
    let search = |extra: &[&str]| {
        let mut args = vec![
            "search",
            "startups",
            "--like",
            "challenge:c-charge",
            "-k",
            "3",
            "--exact",
            "--explain",
            "--json",
            "--data-dir",
            &data,
        ];
        args.extend_from_slice(extra);
        lines(&common::run_ok(&mut govmatch(&args)))
    };
    let default = search(&[]);
    let ids: Vec<&str> = default.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(!ids.contains(&"s-sphere"), "{ids:?}");
    assert!(default
        .iter()
        .all(|m| m["explanation"]["quality"].is_null()));

    let with = search(&["--include-low-quality"]);
    let sphere = with
        .iter()
        .find(|m| m["id"] == "s-sphere")
        .expect("listed with --include-low-quality");
    let note = sphere["explanation"]["quality"].as_str().unwrap();
    assert!(note.contains("stay tuned"), "{note}");
    let summary = sphere["explanation"]["summary"].as_str().unwrap();
    assert!(summary.contains("include_low_quality"), "{summary}");

    let out = common::run_ok(&mut plain(&[
        "report",
        "quality",
        "--json",
        "--data-dir",
        &data,
    ]));
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let startups = &reports[0];
    assert_eq!(startups["kind"], "startups");
    assert_eq!(startups["contentless"][0]["id"], "s-sphere");
    assert_eq!(startups["missing"]["sectors"], 1);
    assert_eq!(reports[1]["contentless"].as_array().unwrap().len(), 0);
}

/// Gini as the mean absolute difference over all ordered pairs over twice the mean.
fn gini_by_hand(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let diffs: f64 = x
        .iter()
        .flat_map(|a| x.iter().map(move |b| (a - b).abs()))
        .sum();
    diffs / (2.0 * n * n * mean)
}

#[test]
fn exposure_of_a_hand_made_catalogue_matches_the_hand_count() {
    let dir = catalogue();
    let data = data(&dir);
    let report = |extra: &[&str]| -> serde_json::Value {
        let json = dir.path().join("exposure.json");
        let svg = dir.path().join("lorenz.svg");
        let mut args = vec![
            "report",
            "exposure",
            "-k",
            "3",
            "--exact",
            "--data-dir",
            &data,
            "--json",
            json.to_str().unwrap(),
            "--svg",
            svg.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = common::run_ok(&mut govmatch(&args));
        let table = String::from_utf8_lossy(&out.stdout);
        assert!(
            table.contains("Gini") && table.contains("never shown"),
            "{table}"
        );
        assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap()
    };
    // One challenge, a list of 3: every eligible startup is listed once, at ranks 1, 2, (3),
    // so its exposure is 1, 1/log2(3) and 1/log2(4) = 0.5 whatever the order.
    let w = [1.0, 1.0 / 3f64.log2(), 0.5];
    for (extra, startups, left_out) in [(&[][..], 2, 1), (&["--include-low-quality"][..], 3, 0)] {
        let r = report(extra);
        assert_eq!(r["challenges"], 1);
        assert_eq!(r["startups"], startups);
        assert_eq!(r["left_out_low_quality"], left_out);
        let runs = r["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0]["hub_reduction"], true);
        assert_eq!(runs[1]["hub_reduction"], false);
        let x = &w[..startups];
        let total: f64 = x.iter().sum();
        for run in runs {
            let s = &run["summary"];
            let gini = s["gini"].as_f64().unwrap();
            assert!((gini - gini_by_hand(x)).abs() < 1e-9, "{gini} {x:?}");
            assert!((s["total_exposure"].as_f64().unwrap() - total).abs() < 1e-9);
            // The top 10% of two or three startups is the single most exposed one.
            let top = s["top_10_percent_share"].as_f64().unwrap();
            assert!((top - 1.0 / total).abs() < 1e-9, "{top}");
            assert_eq!(s["never_shown"], 0);
            let by_country = &run["breakdowns"]["country"];
            assert_eq!(by_country[0]["value"], "DE");
            assert_eq!(by_country[0]["startups"], 2);
        }
    }
    // n = 2 by hand: |1 − 0.6309| · 2 / (2 · 4 · 0.8155) = 0.1131.
    assert!((gini_by_hand(&w[..2]) - 0.1131).abs() < 1e-4);
}

const OPERATOR: &str = r#"
name = "govmatch Hamburg"
website = "https://example.org/govmatch"
contact_email = "scouting@example.org"
organisation = "Example City, Office for Innovation"
team = "Venture Client Unit"
senior_responsible_owner = "Head of the Venture Client Unit"
external_supplier = "None: operated in-house from the open-source code"
phase = "beta"
scope = "Suggesting startups for published challenges; not used to score or rank bids"
benefit = "Broader, documented market scouting"
previous_process = "Scouts searched directories by hand"
alternatives_considered = "Keyword search only"
frequency_and_scale = "About 50 challenges a year"
required_training = "A one-hour introduction for scouts"
appeals_and_review = "Startups can ask the unit to review how they were matched"
maintenance = "Reviewed every quarter, evaluation rerun on each model change"
data_access_and_storage = "Stored on city servers; scouts only"
evaluation = "eval.json"

[[data_sources]]
name = "Hand-made test catalogue"
kind = "startups"
description = "Three startup profiles"
collection = "Written for this test"
"#;

fn store_bytes(data: &str) -> Vec<u8> {
    std::fs::read(Path::new(data).join("govmatch.db")).unwrap()
}

#[test]
fn the_register_entry_has_every_required_field_or_names_the_missing_one() {
    let dir = catalogue();
    let data = data(&dir);
    let d = dir.path();
    // The latest evaluation, as researchers produce it.
    let mut eval = std::process::Command::new(common::bin());
    eval.args([
        "eval", "compare", "--models", MODEL, "--modes", "dense", "--search", "exact", "--json",
    ])
    .arg(d.join("eval.json"))
    .env("GOVMATCH_MODELS_DIR", common::models_dir())
    .env("GOVMATCH_CACHE_DIR", d.join("cache"))
    .env("RUST_LOG", "warn")
    .current_dir(common::root());
    common::run_ok(&mut eval);
    let config = d.join("register.toml");
    std::fs::write(&config, OPERATOR).unwrap();
    let export = |format: &str| {
        govmatch(&[
            "register",
            "export",
            "--config",
            config.to_str().unwrap(),
            "--format",
            format,
            "--data-dir",
            &data,
        ])
    };
    let json: serde_json::Value =
        serde_json::from_slice(&common::run_ok(&mut export("json")).stdout).unwrap();
    let e = &json["entry"];
    for (section, fields) in [
        (
            "tier_1",
            &["name", "description", "website", "contact_email"][..],
        ),
        (
            "owner_and_responsibility",
            &[
                "organisation",
                "team",
                "senior_responsible_owner",
                "external_supplier",
            ],
        ),
        (
            "description_and_rationale",
            &[
                "detailed_description",
                "scope",
                "benefit",
                "previous_process",
                "alternatives_considered",
            ],
        ),
        (
            "decision_making_process",
            &[
                "process_integration",
                "provided_information",
                "frequency_and_scale",
                "human_decisions_and_review",
                "required_training",
                "appeals_and_review",
            ],
        ),
        (
            "tool_specification",
            &[
                "system_architecture",
                "phase",
                "maintenance",
                "model",
                "model_performance",
                "govmatch_version",
                "index_version",
            ],
        ),
        (
            "data_specification",
            &[
                "sources",
                "data_completeness_and_representativeness",
                "data_access_and_storage",
            ],
        ),
        ("risks_mitigations_and_impact_assessments", &["risks"]),
    ] {
        for field in fields {
            let v = &e[section][field];
            assert!(
                !(v.is_null() || v == "" || v.as_array().is_some_and(Vec::is_empty)),
                "{section}.{field} is empty in {e:#}"
            );
        }
    }
    assert_eq!(e["tier_1"]["contact_email"], "scouting@example.org");
    assert!(e["tier_1"]["description"]["de"]
        .as_str()
        .unwrap()
        .contains(MODEL));
    assert!(e["tier_1"]["description"]["en"]
        .as_str()
        .unwrap()
        .contains(MODEL));
    let model = &e["tool_specification"]["model"];
    assert_eq!(model["name"], MODEL);
    assert_eq!(model["hash"].as_str().unwrap().len(), 64);
    assert_eq!(model["dimension"], 384);
    let perf = &e["tool_specification"]["model_performance"];
    assert_eq!(perf["rows"][0]["label"], format!("{MODEL} dense exact"));
    assert!(perf["rows"][0]["means"][0].as_f64().unwrap() > 0.0);
    assert_eq!(e["data_specification"]["sources"][0]["records_of_kind"], 3);
    let risks: Vec<&str> = e["risks_mitigations_and_impact_assessments"]["risks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for risk in ["Hubness", "Language bias", "Contentless profiles"] {
        assert!(risks.contains(&risk), "{risks:?}");
    }
    let md = String::from_utf8(common::run_ok(&mut export("md")).stdout).unwrap();
    for heading in [
        "## Tier 1",
        "## 2.1 Owner",
        "## 2.2 Description",
        "## 2.3 Decision",
        "## 2.4 Tool",
        "## 2.5 Data",
        "## 2.6 Risks",
        "Head of the Venture Client Unit",
    ] {
        assert!(md.contains(heading), "{heading} missing in\n{md}");
    }

    // A missing field, an unknown one, malformed TOML, an unknown phase: each is named, and
    // the store is left exactly as it was.
    let before = store_bytes(&data);
    for (config_text, expected) in [
        (
            OPERATOR.replace("senior_responsible_owner = ", "# "),
            "`senior_responsible_owner`",
        ),
        (OPERATOR.replace("team = ", "teem = "), "teem"),
        (
            OPERATOR.replace("phase = \"beta\"", "phase = \"live\""),
            "`phase`",
        ),
        (
            OPERATOR.replace("name = \"govmatch Hamburg\"", "name = [\"x\""),
            "register.toml",
        ),
        (
            OPERATOR.replace("eval.json", "missing.json"),
            "`evaluation`",
        ),
    ] {
        std::fs::write(&config, config_text).unwrap();
        let out = export("md").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{expected}");
        assert!(stderr.contains(expected), "{expected} not in: {stderr}");
    }
    assert_eq!(
        store_bytes(&data),
        before,
        "a failed export changed the store"
    );

    // An unknown report name is named too.
    let out = plain(&["report", "fairness", "--data-dir", &data])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("fairness"));
    assert_eq!(store_bytes(&data), before);
}
