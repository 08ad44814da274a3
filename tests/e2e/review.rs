//! `review.html` as a browser shows it: headless Chromium opens the page and the DOM it
//! built is checked. Chromium is required: without it these tests fail and say how to get
//! it, unless `FIREDRILL_SKIP_CHROMIUM=1` leaves them out explicitly: then the runner reports
//! them as ignored, with the reason (see `harness/build.rs`), never as passed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, UNIX_EPOCH};

use firedrill::fixtures::{repository_root, seed_manifests};
use firedrill::internal::{review_html, review_path, ReviewRun};
use firedrill::SlackMessage;
use firedrill::{CheckOutcome, CheckStatus, MessageMatch};
use serde_json::json;

/// How long Chromium may take to load and dump one page.
const CHROMIUM_DEADLINE: Duration = Duration::from_secs(60);

/// Chromium's executable: `FIREDRILL_CHROMIUM_BIN`, else `chromium`, `chromium-browser` or
/// `google-chrome` on PATH. (`FIREDRILL_SKIP_CHROMIUM=1` at build time marks the tests that
/// need it ignored, with the reason: see `harness/build.rs`.)
fn chromium() -> PathBuf {
    if let Ok(bin) = std::env::var("FIREDRILL_CHROMIUM_BIN") {
        return PathBuf::from(bin);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "Chromium is needed to check review.html as a browser shows it, and none was found \
         (chromium, chromium-browser, google-chrome on PATH, or FIREDRILL_CHROMIUM_BIN). \
         Install it with ci/install-deps (apt-get install chromium), or set \
         FIREDRILL_SKIP_CHROMIUM=1 to leave these tests out explicitly."
    );
}

/// The DOM headless Chromium builds for `page`, after its scripts (if any) ran.
fn dump_dom(chromium: &Path, page: &Path) -> String {
    let profile = tempfile::tempdir().expect("a temp dir");
    let mut child = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", chromium.display()));
    let started = Instant::now();
    loop {
        match child.try_wait().expect("chromium's status") {
            Some(_) => break,
            None if started.elapsed() > CHROMIUM_DEADLINE => {
                let _ = child.kill();
                panic!(
                    "chromium did not dump {} within {CHROMIUM_DEADLINE:?}",
                    page.display()
                );
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let output = child.wait_with_output().expect("chromium's output");
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && dom.contains("</html>"),
        "chromium failed on {}: {}\n{}",
        page.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    dom
}

/// The `<body ...>` tag of a dumped DOM.
fn body_tag(dom: &str) -> &str {
    let start = dom.find("<body").expect("a body");
    let end = dom[start..].find('>').expect("the body tag's end") + start;
    &dom[start..=end]
}

#[test]
#[cfg_attr(
    firedrill_skip_chromium,
    ignore = "FIREDRILL_SKIP_CHROMIUM=1 leaves the Chromium tests out"
)]
fn verify_prints_where_its_review_page_is_and_chromium_shows_the_seeds_message_as_slack_does() {
    let chromium = chromium();
    let artifacts = tempfile::tempdir().expect("a temp dir");
    // The backend and the Grafana opt-out come from the environment (FIREDRILL_BACKEND,
    // FIREDRILL_SKIP), as for every e2e test.
    let output = Command::new(env!("CARGO_BIN_EXE_firedrill"))
        .args(["verify", "--manifests"])
        .arg(seed_manifests())
        .arg("--artifacts")
        .arg(artifacts.path())
        .current_dir(repository_root())
        .output()
        .expect("the firedrill binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let shown = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{shown}");
    let review = review_path(artifacts.path());
    assert_eq!(
        stdout.lines().last(),
        Some(
            format!(
                "firedrill: review the notifications in {}",
                review.display()
            )
            .as_str()
        ),
        "{shown}"
    );
    let dom = dump_dom(&chromium, &review);
    for shown in [
        "<b>Alert:</b> DeadMansSwitch",
        "<b>Summary:</b> テストアラート",
        "<code>DeadMansSwitch</code>",
        "style=\"background:#a30200\"",
        "[FIRING:1]  (DeadMansSwitch __severity__)</a>",
        "<span class=\"channel\">#alerts</span>",
        "<span class=\"user\">Alertmanager</span>",
        "<b>alert DeadMansSwitch delivered to Slack</b>",
        "carries <span class=\"alerts\">DeadMansSwitch (firing)</span>",
        "every scrape target up",
        "(time scale)</li>",
    ] {
        assert!(
            dom.contains(shown),
            "the page does not show `{shown}`:\n{dom}"
        );
    }
    assert!(!dom.contains("<script"), "{dom}");
}

fn hostile_message() -> SlackMessage {
    let img = "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">";
    let script = "<script>document.body.setAttribute('data-pwned','script')</script>";
    SlackMessage {
        seq: 1,
        received_at: UNIX_EPOCH + Duration::from_secs(1_795_612_707),
        path: "/slack/<redacted>".into(),
        headers: BTreeMap::new(),
        answered: 200,
        answered_after: None,
        body: json!({
            "channel": format!("#alerts{img}"),
            "username": format!("bot{script}"),
            "text": format!("top *bold {img}*"),
            "attachments": [{
                "color": "danger\"><script>document.body.setAttribute('data-pwned','color')</script>",
                "title": format!("title {script}"),
                "title_link": "javascript:document.body.setAttribute('data-pwned','link')",
                "pretext": format!("pre {img}"),
                "text": format!("*Alert:* {img} {script} <http://x\" onmouseover=\"x|y>"),
                "fields": [{"title": img, "value": script, "short": true}],
                "footer": img,
                "mrkdwn_in": ["pretext", "text", "fields"]
            }]
        }),
    }
}

#[test]
#[cfg_attr(
    firedrill_skip_chromium,
    ignore = "FIREDRILL_SKIP_CHROMIUM=1 leaves the Chromium tests out"
)]
fn html_in_a_payload_shows_as_text_and_runs_nothing_in_chromium() {
    let chromium = chromium();
    let dir = tempfile::tempdir().expect("a temp dir");
    let checks = [CheckOutcome {
        name: "alert X delivered to Slack <script>x</script>".into(),
        status: CheckStatus::Passed,
        elapsed: Duration::from_millis(50),
        deadline: Some(Duration::from_secs(10)),
        detail: "message #1 to #alerts is exactly what alertmanager renders for receiver r, \
                 group {}, with <img src=x onerror=alert(1)> (firing)"
            .into(),
        skip: None,
        messages: vec![MessageMatch {
            seq: 1,
            receiver: "<img src=x onerror=alert(2)>".into(),
            group_labels: Default::default(),
            alerts: vec![("<img src=x onerror=alert(1)>".into(), "firing".into())],
        }],
        evidence: None,
    }];
    let run = ReviewRun {
        backend: "process",
        manifests: "<img src=x onerror=alert(1)>",
        started_at: Some(UNIX_EPOCH + Duration::from_secs(1_795_612_700)),
        wall_ms: 1000,
        passed: true,
        totals: "1 passed, 0 failed, 0 skipped".into(),
        skipped_components: vec![],
        checks: &checks,
        changes: "a: <script>alert(1)</script> -> b (time scale)\n",
    };
    let page = dir.path().join("review.html");
    std::fs::write(
        &page,
        review_html(&run, &[hostile_message()], &|s| s.to_string()),
    )
    .expect("writing the page");
    let dom = dump_dom(&chromium, &page);
    assert!(
        !body_tag(&dom).contains("data-pwned"),
        "a payload's markup ran: {}",
        body_tag(&dom)
    );
    assert!(
        !dom.contains("<img"),
        "a payload's <img> became an element:\n{dom}"
    );
    assert!(
        !dom.contains("<script"),
        "a payload's <script> became an element:\n{dom}"
    );
    assert!(
        dom.contains("<b>Alert:</b> &lt;img src=x onerror=\"document.body.setAttribute('data-pwned','img')\"&gt;"),
        "the text does not show the payload's markup as text:\n{dom}"
    );
    assert!(dom.contains("<b>bold &lt;img src=x"), "{dom}");

    // The same markup, not escaped, does run in this Chromium: the checks above can fail.
    let control = dir.path().join("control.html");
    let text = hostile_message().body["attachments"][0]["text"]
        .as_str()
        .expect("a text")
        .to_string();
    std::fs::write(
        &control,
        format!("<!DOCTYPE html><html><body><div>{text}</div></body></html>"),
    )
    .expect("writing the control page");
    let dom = dump_dom(&chromium, &control);
    assert!(
        body_tag(&dom).contains("data-pwned"),
        "unescaped markup did not run, so this test could not see an escaping bug:\n{dom}"
    );
}
