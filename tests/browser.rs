//! The web app in a real browser (headless Chromium through chromedriver): a scout opens the
//! demo, finds a challenge, reads the ranked startups and their reasons, gives a thumbs-up,
//! shortlists a startup and moves it on, reloads, opens the scouting report and downloads
//! its CSV; a read-key session cannot change anything. axe-core checks every page for
//! serious or critical accessibility violations.
//!
//! Needs `scripts/setup-browser.sh` (Chromium, chromedriver, axe-core); fails, naming it, when
//! they are missing. With `GOVMATCH_SCREENSHOTS=DIR` the pages are saved there as PNG (the
//! screenshots of the README and docs/web.md).

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::wd::{Capabilities, TimeoutConfiguration};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

const MODEL: &str = "all-MiniLM-L6-v2";
const READ_KEY: &str = "read-key-0123456789abcdef";
const WRITE_KEY: &str = "write-key-0123456789abcdef";

/// A child process killed when the test ends, even on panic.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn axe_js() -> String {
    let path = std::env::var_os("GOVMATCH_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache"));
            cache.join("govmatch/axe-core/4.14.1/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is needed at {}: {e}; install it with scripts/setup-browser.sh",
            path.display()
        )
    })
}

/// `govmatch serve --demo` on a free port; returns once it is ready.
fn serve(data: &std::path::Path, extra: &[&str]) -> (Kill, String) {
    let mut cmd = common::govmatch(
        &[
            "serve",
            "--demo",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
        ],
        MODEL,
    );
    cmd.args(extra).stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let child = Kill(child);
    let host = addr.trim_start_matches("http://").to_string();
    for _ in 0..1200 {
        if let Ok(mut s) = std::net::TcpStream::connect(&host) {
            use std::io::{Read, Write};
            let mut auth = String::new();
            if extra.contains(&"--api-key") {
                auth = format!("Authorization: Bearer {READ_KEY}\r\n");
            }
            let _ = write!(
                s,
                "GET /v1/ready HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n"
            );
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.1 200") {
                return (child, addr);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("server not ready after 120 s");
}

fn chromedriver() -> (Kill, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("chromedriver is needed: {e}; install it with scripts/setup-browser.sh")
        });
    (Kill(child), format!("http://localhost:{port}"))
}

async fn browser(webdriver: &str) -> Client {
    let mut caps = Capabilities::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--window-size=1280,1000", "--disable-dev-shm-usage", "--lang=de"] }),
    );
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(caps);
    for _ in 0..100 {
        if let Ok(c) = builder.connect(webdriver).await {
            c.update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(60)),
                Some(Duration::from_secs(60)),
                Some(Duration::ZERO),
            ))
            .await
            .unwrap();
            return c;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not accept a session");
}

struct Page<'a> {
    c: &'a Client,
    axe: &'a str,
    shots: Option<PathBuf>,
}

impl Page<'_> {
    /// Runs axe-core on the current page and fails on serious or critical violations.
    async fn accessible(&self, what: &str) {
        let outcome = self.violations().await;
        assert!(
            outcome.as_array().is_some_and(Vec::is_empty),
            "axe on {what}: {}",
            serde_json::to_string_pretty(&outcome).unwrap()
        );
    }

    /// axe-core's serious and critical violations on the current page.
    async fn violations(&self) -> serde_json::Value {
        self.c.execute(self.axe, vec![]).await.unwrap();
        self.c
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })
                      .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                                       .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))),
                            e => done({ error: String(e) }));"#,
                vec![],
            )
            .await
            .unwrap()
    }

    async fn shot(&self, name: &str) {
        if let Some(dir) = &self.shots {
            std::fs::create_dir_all(dir).unwrap();
            let png = self.c.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        }
    }

    async fn text(&self, css: &str) -> String {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    async fn click(&self, css: &str) {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Clicks a control that loads a new page and waits until the new page is there (the old
    /// one is marked first, so an element both pages have cannot satisfy the wait early).
    async fn submit(&self, css: &str) {
        self.c
            .execute("document.documentElement.dataset.old = '1'", vec![])
            .await
            .unwrap();
        self.click(css).await;
        for _ in 0..300 {
            let fresh = self
                .c
                .execute(
                    "return document.readyState === 'complete' && !document.documentElement.dataset.old",
                    vec![],
                )
                .await
                .unwrap_or(json!(false));
            if fresh == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no new page after clicking {css}");
    }

    async fn wait_for(&self, css: &str) {
        self.c
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for {css}: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scout_works_through_a_challenge_in_the_browser() {
    let axe = axe_js();
    let data = tempfile::tempdir().unwrap();
    let (_server, base) = serve(data.path(), &[]);
    let (_driver, wd) = chromedriver();
    let c = browser(&wd).await;
    let p = Page {
        c: &c,
        axe: &axe,
        shots: std::env::var_os("GOVMATCH_SCREENSHOTS").map(PathBuf::from),
    };

    // The checker finds what it should: an unlabelled field is a critical violation.
    c.goto(&base).await.unwrap();
    p.wait_for("table#challenges").await;
    c.execute(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=text>')",
        vec![],
    )
    .await
    .unwrap();
    let found = p.violations().await;
    assert!(found.to_string().contains("\"label\""), "{found}");

    // The start page: the challenges, filterable, and the free-text box.
    c.goto(&base).await.unwrap();
    p.wait_for("table#challenges tbody tr").await;
    p.accessible("the start page").await;
    p.shot("start").await;
    let field = c.find(Locator::Css("#f-q")).await.unwrap();
    field.send_keys("Radverkehr").await.unwrap();
    p.submit("form.filters button[type=submit]").await;
    p.wait_for("table#challenges tbody tr a").await;
    let rows = c
        .find_all(Locator::Css("table#challenges tbody tr"))
        .await
        .unwrap();
    assert!(!rows.is_empty());
    let first = p.text("table#challenges tbody tr a").await;
    assert!(first.contains("Radverkehr"), "{first}");
    p.submit("table#challenges tbody tr a").await;

    // One challenge: ranked startups with their reasons.
    p.wait_for("ol#matches li.match").await;
    let url = c.current_url().await.unwrap();
    let challenge = url.path().trim_start_matches("/challenges/").to_string();
    let summary = p.text("ol#matches li.match p.summary").await;
    assert!(!summary.trim().is_empty());
    let startup = c
        .find(Locator::Css("ol#matches li.match"))
        .await
        .unwrap()
        .attr("data-id")
        .await
        .unwrap()
        .unwrap();
    p.accessible("a challenge page").await;
    c.execute(
        "document.getElementById('matches-h').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    p.shot("challenge").await;

    // A thumbs-up lands in the feedback export.
    p.submit("ol#matches li.match form.feedback button[value='2']")
        .await;
    p.wait_for("div.notice").await;
    let export = common::run_ok(Command::new(common::bin()).args([
        "feedback",
        "export",
        "--data-dir",
        data.path().to_str().unwrap(),
    ]));
    let exported = String::from_utf8_lossy(&export.stdout);
    assert!(
        exported.contains(&format!("\"item\":\"{startup}\"")) && exported.contains("\"label\":2"),
        "{exported}"
    );

    // Shortlist the first startup, move it to "kontaktiert", reload: it stays.
    let first_match = format!("ol#matches li.match[data-id='{startup}']");
    p.submit(&format!("{first_match} form.shortlist-add button"))
        .await;
    p.wait_for("form.shortlist-row").await;
    let row = format!("form.shortlist-row[data-startup='{startup}']");
    c.find(Locator::Css(&format!("{row} select[name=stage]")))
        .await
        .unwrap()
        .select_by_value("contacted")
        .await
        .unwrap();
    c.find(Locator::Css(&format!("{row} textarea[name=note]")))
        .await
        .unwrap()
        .send_keys("Erstgespräch vereinbart")
        .await
        .unwrap();
    p.submit(&format!("{row} button[type=submit]")).await;
    p.wait_for("div.notice").await;
    c.refresh().await.unwrap();
    p.wait_for(&row).await;
    assert_eq!(p.text(&format!("{row} .stage")).await, "kontaktiert");
    let note = c
        .find(Locator::Css(&format!("{row} textarea[name=note]")))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(note.as_deref(), Some("Erstgespräch vereinbart"));

    // A stage that does not exist: a clear message, nothing changed.
    let status = c
        .execute_async(
            r#"const [url, startup, done] = arguments;
               const csrf = document.querySelector('input[name=csrf]').value;
               fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                            body: new URLSearchParams({ csrf, startup, stage: 'verhandelt' }) })
                 .then(async r => done([r.status, await r.text()]));"#,
            vec![
                json!(format!("/challenges/{challenge}/shortlist")),
                json!(startup),
            ],
        )
        .await
        .unwrap();
    assert_eq!(status[0], 422, "{status}");
    assert!(status[1].as_str().unwrap().contains("verhandelt"));
    c.refresh().await.unwrap();
    p.wait_for(&row).await;
    assert_eq!(p.text(&format!("{row} .stage")).await, "kontaktiert");

    // The scouting report, and its CSV as the browser downloads it.
    p.submit("p.links a[href$='/report']").await;
    p.wait_for("a#csv").await;
    p.accessible("the scouting report").await;
    p.shot("report").await;
    let csv = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               fetch(document.querySelector('a#csv').href).then(r => r.text()).then(done);"#,
            vec![],
        )
        .await
        .unwrap();
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("challenge,search,first_served_at"), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.contains(&startup) && l.contains("contacted") && l.ends_with(",2")),
        "{csv}"
    );

    // The startup's own page: the challenges it fits.
    c.goto(&format!("{base}/startups/{startup}")).await.unwrap();
    p.wait_for("ol#matches li.match").await;
    p.accessible("a startup page").await;

    // Free text from the start page; an empty search says what is missing.
    c.goto(&base).await.unwrap();
    let q = c.find(Locator::Css("#q-free")).await.unwrap();
    q.send_keys("Sensoren melden freie Ladesäulen")
        .await
        .unwrap();
    p.submit("form[role=search] button").await;
    p.wait_for("ol#matches li.match").await;
    p.accessible("free-text results").await;
    p.shot("search").await;
    c.goto(&format!("{base}/search?q=")).await.unwrap();
    assert!(p.text("[role=alert]").await.contains("Suchtext"));
    c.goto(&format!("{base}/challenges/no-such-id"))
        .await
        .unwrap();
    assert!(p.text("[role=alert]").await.contains("no-such-id"));

    // The exposure figures.
    c.goto(&format!("{base}/exposure")).await.unwrap();
    p.wait_for("table#exposure").await;
    p.accessible("the exposure page").await;
    p.shot("exposure").await;

    // Keyboard: the first Tab reaches the skip link, and the focus is visible.
    c.goto(&base).await.unwrap();
    p.wait_for("table#challenges").await;
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys(&char::from(Key::Tab).to_string())
        .await
        .unwrap();
    let focused = c
        .execute(
            "const e = document.activeElement, s = getComputedStyle(e);
             return [e.className, s.outlineStyle, parseFloat(s.outlineWidth)];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused[0], "skip", "{focused}");
    assert_ne!(focused[1], "none", "{focused}");
    assert!(focused[2].as_f64().unwrap() >= 2.0, "{focused}");

    // 200 % zoom: at half the width every page reflows without sideways scrolling.
    c.set_window_size(640, 1000).await.unwrap();
    for path in [
        "/".to_string(),
        format!("/challenges/{challenge}"),
        format!("/challenges/{challenge}/report"),
        format!("/startups/{startup}"),
        "/exposure".to_string(),
    ] {
        c.goto(&format!("{base}{path}")).await.unwrap();
        p.wait_for("main h1").await;
        let widths = c
            .execute(
                "const d = document.documentElement; return [d.scrollWidth, d.clientWidth];",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            widths[0].as_f64().unwrap() <= widths[1].as_f64().unwrap() + 1.0,
            "{path} scrolls sideways at 640 px: {widths}"
        );
    }
    c.set_window_size(1280, 1000).await.unwrap();

    // English on request.
    c.goto(&base).await.unwrap();
    p.submit("nav a[lang=en]").await;
    p.wait_for("html[lang=en]").await;
    assert!(p.text("h1").await.contains("public-sector"));

    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_key_session_cannot_change_shortlists() {
    let axe = axe_js();
    let data = tempfile::tempdir().unwrap();
    let (_server, base) = serve(
        data.path(),
        &[
            "--api-key",
            &format!("read:{READ_KEY}"),
            "--api-key",
            &format!("write:{WRITE_KEY}"),
        ],
    );
    let (_driver, wd) = chromedriver();
    let c = browser(&wd).await;
    let p = Page {
        c: &c,
        axe: &axe,
        shots: None,
    };
    // Asked for a key once.
    c.goto(&base).await.unwrap();
    p.wait_for("input#key").await;
    p.accessible("the sign-in page").await;
    c.find(Locator::Css("input#key"))
        .await
        .unwrap()
        .send_keys("not-a-key-at-all-xyz")
        .await
        .unwrap();
    p.submit("form.stack button").await;
    assert!(p.text("[role=alert]").await.contains("unbekannt"));
    c.find(Locator::Css("input#key"))
        .await
        .unwrap()
        .send_keys(READ_KEY)
        .await
        .unwrap();
    p.submit("form.stack button").await;
    p.wait_for("table#challenges tbody tr a").await;
    p.submit("table#challenges tbody tr a").await;
    p.wait_for("ol#matches li.match").await;
    // The page says so, and the controls are disabled.
    assert!(p.text("p.note").await.contains("Leseschlüssel"));
    let disabled = c
        .find(Locator::Css(
            "ol#matches li.match form.shortlist-add button",
        ))
        .await
        .unwrap()
        .attr("disabled")
        .await
        .unwrap();
    assert!(disabled.is_some());
    // Sending the form anyway: the server answers 403 and stores nothing.
    let answer = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               const form = document.querySelector('ol#matches li.match form.shortlist-add');
               fetch(form.action, { method: 'POST', body: new URLSearchParams(new FormData(form)) })
                 .then(async r => done([r.status, await r.text()]));"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(answer[0], 403, "{answer}");
    assert!(answer[1].as_str().unwrap().contains("nur lesen"));
    c.refresh().await.unwrap();
    p.wait_for("ol#matches li.match").await;
    assert!(c
        .find_all(Locator::Css("form.shortlist-row"))
        .await
        .unwrap()
        .is_empty());
    // The session cookie is HttpOnly: page scripts cannot read the key.
    let cookies = c.execute("return document.cookie", vec![]).await.unwrap();
    assert!(!cookies.as_str().unwrap().contains(READ_KEY), "{cookies}");
    c.close().await.unwrap();
}
