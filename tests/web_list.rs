//! The web app's challenge list filters through the library's one `Filter`, as the API and
//! the command line do: the same values select the same challenges, and a value that cannot
//! be right is a 422 page naming it.

mod common;

use common::{http, ServerProcess};

/// Challenge ids linked from the list page.
fn listed(server: &ServerProcess, query: &str) -> (u16, Vec<String>) {
    let r = http()
        .get(server.url(&format!("/?{query}")))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let page = r.text().unwrap();
    let ids = page
        .split("href=\"/challenges/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|id| !id.contains('/') && !id.contains('?'))
        .map(str::to_string)
        .collect();
    (status, ids)
}

#[test]
fn the_list_filters_by_status_language_tag_and_deadline_like_the_filter_does() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    for kind in ["startups", "challenges"] {
        let file = format!("data/hamburg/{kind}.jsonl");
        common::run_ok(&mut common::govmatch(
            &["ingest", kind, &file, "--data-dir", data],
            "all-MiniLM-L6-v2",
        ));
    }
    let sample: Vec<serde_json::Value> =
        std::fs::read_to_string(common::root().join("data/hamburg/challenges.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let expect = |pred: &dyn Fn(&serde_json::Value) -> bool| {
        let mut ids: Vec<String> = sample
            .iter()
            .filter(|c| pred(c))
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let server = ServerProcess::spawn("all-MiniLM-L6-v2", dir.path(), &[]).wait_ready();
    let sorted = |(status, mut ids): (u16, Vec<String>)| {
        assert_eq!(status, 200);
        ids.sort();
        ids.dedup();
        ids
    };
    assert_eq!(
        sorted(listed(&server, "status=closed")),
        expect(&|c| c["status"] == "closed")
    );
    assert_eq!(
        sorted(listed(&server, "language=EN")),
        expect(&|c| c["language"] == "en")
    );
    assert_eq!(
        sorted(listed(&server, "tag=Hafen")),
        expect(&|c| c["tags"].as_array().unwrap().iter().any(|t| t == "hafen"))
    );
    assert_eq!(
        sorted(listed(&server, "deadline_from=2027-06-01")),
        expect(&|c| c["deadline"].as_str().is_none_or(|d| d >= "2027-06-01"))
    );
    let (status, _) = listed(&server, "deadline_from=2027-02-30");
    assert_eq!(status, 422, "an impossible date is refused");
}
