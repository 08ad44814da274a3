//! `review.html`: every notification Slack received, rendered as Slack shows it, with the
//! alerts it carried and the check that matched it, then every check and every change the
//! harness made. One self-contained file (inline CSS, no fonts, no scripts, a
//! Content-Security-Policy that allows neither), every text escaped, readable on a phone.

use std::fmt::Write as _;
use std::time::SystemTime;

use serde_json::Value;

use super::mrkdwn::{escape_html, mrkdwn_to_html, plain_to_html};
use super::summary::Summary;
use crate::checks::{CheckOutcome, CheckStatus, MessageMatch};
use crate::slack::SlackMessage;
use crate::time::{format_timestamp, parse_timestamp};

/// What the page says about the run besides its notifications.
#[derive(Debug, Clone)]
pub struct ReviewRun<'a> {
    /// The backend (`process`, `docker`).
    pub backend: &'a str,
    /// The manifests directory.
    pub manifests: &'a str,
    /// When the run started.
    pub started_at: Option<SystemTime>,
    /// The whole run's wall time, in milliseconds.
    pub wall_ms: u64,
    /// The verdict.
    pub passed: bool,
    /// `9 passed, 0 failed, 2 skipped`.
    pub totals: String,
    /// Components left out, and why.
    pub skipped_components: Vec<String>,
    /// Every check's outcome, in order.
    pub checks: &'a [CheckOutcome],
    /// Every change made to the manifests' configuration, one a line.
    pub changes: &'a str,
}

impl<'a> ReviewRun<'a> {
    /// The run a summary describes, with its change list.
    pub fn from_summary(summary: &'a Summary, changes: &'a str) -> Self {
        Self {
            backend: &summary.backend,
            manifests: &summary.manifests,
            started_at: parse_timestamp(&summary.started_at),
            wall_ms: summary.wall_ms,
            passed: summary.passed,
            totals: summary.closing_line(),
            skipped_components: summary
                .skipped_components
                .iter()
                .map(|s| format!("{}: {}", s.kind, s.reason))
                .collect(),
            checks: &summary.checks,
            changes,
        }
    }
}

/// The page. `redact` is applied to every text before it is escaped (the artifacts pass
/// the manifests' secrets).
pub fn review_html(
    run: &ReviewRun<'_>,
    messages: &[SlackMessage],
    redact: &dyn Fn(&str) -> String,
) -> String {
    let text = |s: &str| escape_html(&redact(s));
    let mut page = String::new();
    let verdict = if run.passed { "passed" } else { "FAILED" };
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>firedrill review: {verdict}, {} notification{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        messages.len(),
        plural(messages.len())
    );
    let _ = write!(
        page,
        "<header class=\"run\"><h1>firedrill review <span class=\"verdict {}\">{verdict}</span></h1>\
         <p class=\"totals\">{}</p><dl>\
         <dt>backend</dt><dd>{}</dd><dt>manifests</dt><dd>{}</dd>\
         <dt>started</dt><dd>{}</dd><dt>wall time</dt><dd>{:.1} s</dd>",
        if run.passed { "ok" } else { "bad" },
        text(&run.totals),
        text(run.backend),
        text(run.manifests),
        run.started_at
            .map(format_timestamp)
            .unwrap_or_else(|| "unknown".into()),
        run.wall_ms as f64 / 1000.0
    );
    for skipped in &run.skipped_components {
        let _ = write!(page, "<dt>skipped</dt><dd>{}</dd>", text(skipped));
    }
    page.push_str("</dl>\n<nav><a href=\"#notifications\">notifications</a> · <a href=\"#checks\">checks</a> · <a href=\"#changes\">changes</a></nav></header>\n");

    let _ = writeln!(
        page,
        "<section id=\"notifications\"><h2>Notifications ({}, in order of arrival)</h2>",
        messages.len()
    );
    if messages.is_empty() {
        page.push_str("<p class=\"none\">Slack received nothing.</p>\n");
    }
    for message in messages {
        notification(&mut page, message, run, redact);
    }
    page.push_str("</section>\n");

    let _ = write!(
        page,
        "<section id=\"checks\"><h2>Checks ({})</h2>\n<ol class=\"checks\">\n",
        run.checks.len()
    );
    for check in run.checks {
        let status = match check.status {
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "failed",
            CheckStatus::Skipped => "skipped",
        };
        let timing = match check.deadline {
            Some(deadline) => format!(
                "{:.2} s of {:.1} s",
                check.elapsed.as_secs_f64(),
                deadline.as_secs_f64()
            ),
            None => format!("{:.2} s", check.elapsed.as_secs_f64()),
        };
        let _ = write!(
            page,
            "<li class=\"check {status}\"><div class=\"check-head\"><span class=\"status {status}\">{}</span> \
             <span class=\"check-name\">{}</span> <span class=\"timing\">{timing}</span></div>\
             <div class=\"detail\">{}</div>",
            check.status,
            text(&check.name),
            text(&check.detail)
        );
        if let Some(evidence) = &check.evidence {
            let _ = write!(
                page,
                "<details><summary>evidence</summary><pre>{}</pre></details>",
                text(evidence)
            );
        }
        page.push_str("</li>\n");
    }
    page.push_str("</ol></section>\n");

    let changes: Vec<&str> = run.changes.lines().filter(|l| !l.is_empty()).collect();
    let _ = write!(
        page,
        "<section id=\"changes\"><h2>Changes to the manifests ({})</h2>\n<ul class=\"changes\">\n",
        changes.len()
    );
    for line in changes {
        let _ = writeln!(page, "<li>{}</li>", text(line));
    }
    page.push_str("</ul></section>\n</main>\n</body>\n</html>\n");
    page
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The checks that matched message `seq`, with what they matched it to.
fn checks_matching(checks: &[CheckOutcome], seq: usize) -> Vec<(&CheckOutcome, &MessageMatch)> {
    checks
        .iter()
        .flat_map(|check| check.messages.iter().map(move |m| (check, m)))
        .filter(|(_, m)| m.seq == seq)
        .collect()
}

fn notification(
    page: &mut String,
    message: &SlackMessage,
    run: &ReviewRun<'_>,
    redact: &dyn Fn(&str) -> String,
) {
    let text = |s: &str| escape_html(&redact(s));
    let body = &message.body;
    let str_of = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let received = format_timestamp(message.received_at);
    let offset = run
        .started_at
        .and_then(|start| message.received_at.duration_since(start).ok())
        .map(|d| format!(", {:.1} s after the run started", d.as_secs_f64()))
        .unwrap_or_default();
    let _ = write!(
        page,
        "<article class=\"notification\" id=\"message-{seq}\">\n<div class=\"meta\">\
         <span class=\"seq\">#{seq}</span> to <span class=\"channel\">{}</span> \
         <span class=\"received\">received {}{}</span>{}</div>\n",
        text(&str_of(body, "channel").unwrap_or_else(|| "the webhook's channel".into())),
        text(&received),
        text(&offset),
        message
            .status()
            .map(|s| format!(" <span class=\"state {s}\">{s}</span>"))
            .unwrap_or_default(),
        seq = message.seq,
    );

    // The message as Slack shows it.
    let username = str_of(body, "username").unwrap_or_else(|| "incoming-webhook".into());
    let initial: String = username
        .chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_else(|| "?".into());
    let clock = received.get(11..16).unwrap_or("").to_string();
    let _ = write!(
        page,
        "<div class=\"slack\"><div class=\"avatar\" title=\"{}\">{}</div><div class=\"content\">\
         <div class=\"head\"><span class=\"user\">{}</span><span class=\"app\">APP</span>\
         <span class=\"time\">{}</span></div>",
        text(&format!(
            "icon_emoji: {} icon_url: {}",
            str_of(body, "icon_emoji").unwrap_or_default(),
            str_of(body, "icon_url").unwrap_or_default()
        )),
        text(&initial),
        text(&username),
        text(&clock)
    );
    match body {
        Value::Object(_) => {
            if let Some(top) = str_of(body, "text") {
                let html = if body.get("mrkdwn").and_then(Value::as_bool) == Some(false) {
                    plain_to_html(&redact(&top))
                } else {
                    mrkdwn_to_html(&redact(&top))
                };
                let _ = write!(page, "<div class=\"text\">{html}</div>");
            }
            for attachment in body
                .get("attachments")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                render_attachment(page, attachment, redact);
            }
        }
        other => {
            let raw = other
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| other.to_string());
            let _ = write!(
                page,
                "<div class=\"text\">Not a JSON object: <pre>{}</pre></div>",
                text(&raw)
            );
        }
    }
    page.push_str("</div></div>\n");

    // What the checks say about it.
    let matching = checks_matching(run.checks, message.seq);
    page.push_str("<div class=\"matched\">");
    if matching.is_empty() {
        page.push_str("<p class=\"unmatched\">No check matched this message.</p>");
    }
    for (check, matched) in matching {
        let _ = write!(
            page,
            "<p><span class=\"status {}\">{}</span> <b>{}</b> ({:.2} s)",
            match check.status {
                CheckStatus::Passed => "passed",
                CheckStatus::Failed => "failed",
                CheckStatus::Skipped => "skipped",
            },
            check.status,
            text(&check.name),
            check.elapsed.as_secs_f64()
        );
        let group = if matched.group_labels.is_empty() {
            "{}".to_string()
        } else {
            format!("{:?}", matched.group_labels)
        };
        let _ = write!(
            page,
            "<br>carries <span class=\"alerts\">{}</span><br><span class=\"detail\">exactly \
             what alertmanager renders for receiver {}, group {}</span></p>",
            text(&matched.to_string()),
            text(&matched.receiver),
            text(&group)
        );
    }
    let pretty = serde_json::to_string_pretty(body).unwrap_or_default();
    let _ = write!(
        page,
        "<details><summary>payload as received (path {})</summary><pre>{}</pre></details></div>\n</article>\n",
        text(&message.path),
        text(&pretty)
    );
}

/// Slack's colours for `good`, `warning`, `danger`; a hex colour as it is; else grey.
fn bar_colour(color: Option<&str>) -> String {
    match color.map(str::trim) {
        Some("good") => "#2eb886".into(),
        Some("warning") => "#daa038".into(),
        Some("danger") => "#a30200".into(),
        Some(hex) => {
            let digits = hex.trim_start_matches('#');
            if matches!(digits.len(), 3 | 6) && digits.chars().all(|c| c.is_ascii_hexdigit()) {
                format!("#{digits}")
            } else {
                "#dddddd".into()
            }
        }
        None => "#dddddd".into(),
    }
}

fn render_attachment(page: &mut String, attachment: &Value, redact: &dyn Fn(&str) -> String) {
    let text = |s: &str| escape_html(&redact(s));
    let field = |key: &str| {
        attachment
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(redact)
    };
    let mrkdwn_in: Vec<&str> = attachment
        .get("mrkdwn_in")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let formatted = |key: &str, value: &str| {
        if mrkdwn_in.contains(&key) {
            mrkdwn_to_html(value)
        } else {
            plain_to_html(value)
        }
    };
    if let Some(pretext) = field("pretext") {
        let _ = write!(
            page,
            "<div class=\"pretext\">{}</div>",
            formatted("pretext", &pretext)
        );
    }
    let _ = write!(
        page,
        "<div class=\"attachment\"><div class=\"bar\" style=\"background:{}\"></div><div class=\"att\">",
        bar_colour(attachment.get("color").and_then(Value::as_str))
    );
    if let Some(author) = field("author_name") {
        let _ = write!(page, "<div class=\"author\">{}</div>", text(&author));
    }
    if let Some(title) = field("title") {
        match field("title_link") {
            Some(link) if is_web_link(&link) => {
                let _ = write!(
                    page,
                    "<div class=\"title\"><a href=\"{}\" rel=\"noopener noreferrer\">{}</a></div>",
                    escape_html(&link),
                    text(&title)
                );
            }
            _ => {
                let _ = write!(page, "<div class=\"title\">{}</div>", text(&title));
            }
        }
    }
    if let Some(body) = field("text") {
        let _ = write!(
            page,
            "<div class=\"text\">{}</div>",
            formatted("text", &body)
        );
    }
    let fields: Vec<&Value> = attachment
        .get("fields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    if !fields.is_empty() {
        page.push_str("<div class=\"fields\">");
        for f in fields {
            let short = f.get("short").and_then(Value::as_bool) == Some(true);
            let title = f.get("title").and_then(Value::as_str).unwrap_or("");
            let value = f.get("value").and_then(Value::as_str).unwrap_or("");
            let _ = write!(
                page,
                "<div class=\"field{}\"><div class=\"field-title\">{}</div><div class=\"field-value\">{}</div></div>",
                if short { " short" } else { "" },
                text(title),
                formatted("fields", &redact(value))
            );
        }
        page.push_str("</div>");
    }
    let actions: Vec<&Value> = attachment
        .get("actions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    if !actions.is_empty() {
        page.push_str("<div class=\"actions\">");
        for action in actions {
            let label = action.get("text").and_then(Value::as_str).unwrap_or("");
            match action.get("url").and_then(Value::as_str).map(redact) {
                Some(url) if is_web_link(&url) => {
                    let _ = write!(
                        page,
                        "<a class=\"button\" href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
                        escape_html(&url),
                        text(label)
                    );
                }
                _ => {
                    let _ = write!(page, "<span class=\"button\">{}</span>", text(label));
                }
            }
        }
        page.push_str("</div>");
    }
    for key in ["image_url", "thumb_url"] {
        if let Some(url) = field(key) {
            let _ = write!(page, "<div class=\"image\">{key}: {}</div>", text(&url));
        }
    }
    if let Some(footer) = field("footer") {
        let _ = write!(
            page,
            "<div class=\"footer\">{}</div>",
            formatted("footer", &footer)
        );
    }
    page.push_str("</div></div>");
}

fn is_web_link(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;background:#f8f8f8;color:#1d1c1d;font:15px/1.46668 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Noto Sans CJK JP",sans-serif;overflow-wrap:anywhere}
main{max-width:820px;margin:0 auto;padding:12px}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:17px;margin:24px 0 8px}
a{color:#1264a3;text-decoration:none}
a:hover{text-decoration:underline}
header.run,article.notification,ol.checks li,ul.changes{background:#fff;border:1px solid #e2e2e2;border-radius:8px}
header.run{padding:12px 16px}
header.run dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0;font-size:13px}
header.run dt{color:#616061}
header.run dd{margin:0}
.verdict{font-size:13px;padding:2px 8px;border-radius:10px;vertical-align:middle;color:#fff}
.verdict.ok{background:#2eb886}.verdict.bad{background:#e01e5a}
.totals{margin:0;color:#616061}
nav{font-size:13px}
article.notification{margin:0 0 12px;overflow:hidden}
.meta{font-size:12px;color:#616061;padding:6px 16px;border-bottom:1px solid #eee;background:#fbfbfb}
.meta .seq{font-weight:700;color:#1d1c1d}
.meta .channel{font-weight:700;color:#1d1c1d}
.state{margin-left:6px;padding:0 6px;border-radius:8px;color:#fff;font-weight:700}
.state.firing{background:#a30200}.state.resolved{background:#2eb886}
.slack{display:flex;gap:8px;padding:8px 16px 10px}
.avatar{flex:0 0 36px;height:36px;border-radius:4px;background:#4a154b;color:#fff;font-weight:700;display:flex;align-items:center;justify-content:center}
.content{flex:1;min-width:0}
.head{display:flex;align-items:baseline;gap:4px;flex-wrap:wrap}
.user{font-weight:900}
.app{font-size:10px;font-weight:700;color:#616061;background:#e8e8e8;border-radius:2px;padding:0 3px}
.time{font-size:12px;color:#616061;margin-left:2px}
.pretext{margin-top:2px}
.text,.pretext,.field-value,.footer{white-space:pre-wrap}
.attachment{display:flex;margin-top:4px}
.bar{flex:0 0 4px;border-radius:4px}
.att{padding:0 0 0 12px;min-width:0;flex:1}
.author{font-size:13px;font-weight:700}
.title{font-weight:700}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin-top:6px}
.field{grid-column:1/-1}.field.short{grid-column:auto}
.field-title{font-weight:700}
.footer,.image{font-size:12px;color:#616061;margin-top:4px}
.actions{margin-top:6px;display:flex;gap:6px;flex-wrap:wrap}
.button{border:1px solid #ccc;border-radius:4px;padding:2px 10px;font-size:13px;font-weight:700;color:#1d1c1d}
code{font:12px/1.5 Monaco,Menlo,Consolas,"Courier New",monospace;color:#e01e5a;background:rgba(29,28,29,.04);border:1px solid rgba(29,28,29,.13);border-radius:3px;padding:1px 3px}
pre{font:12px/1.5 Monaco,Menlo,Consolas,"Courier New",monospace;background:rgba(29,28,29,.04);border:1px solid rgba(29,28,29,.13);border-radius:4px;padding:8px;margin:4px 0;white-space:pre-wrap}
blockquote{margin:0;padding-left:10px;border-left:4px solid #ddd}
.mention{color:#1264a3;background:rgba(29,155,209,.1);border-radius:3px;padding:0 2px}
.matched{font-size:13px;padding:6px 16px 8px;border-top:1px solid #eee;background:#fbfbfb}
.matched p{margin:4px 0}
.alerts{font-weight:700}
.detail{color:#616061}
.status{font-size:11px;font-weight:700;text-transform:uppercase;padding:1px 6px;border-radius:8px;color:#fff;white-space:nowrap}
.status.passed{background:#2eb886}.status.failed{background:#e01e5a}.status.skipped{background:#9e9ea6}
details summary{cursor:pointer;color:#616061;font-size:12px}
ol.checks{list-style:none;padding:0;margin:0}
ol.checks li{padding:8px 12px;margin:0 0 6px}
.check-head{display:flex;gap:6px;align-items:baseline;flex-wrap:wrap}
.check-name{font-weight:700}
.timing{font-size:12px;color:#616061;margin-left:auto}
ol.checks .detail{font-size:13px}
ul.changes{font:12px/1.5 Monaco,Menlo,Consolas,"Courier New",monospace;padding:8px 8px 8px 28px;margin:0}
.none{color:#616061}
@media (max-width:480px){main{padding:6px}.fields{grid-template-columns:1fr}.slack,.meta,.matched{padding-left:10px;padding-right:10px}.timing{margin-left:0}}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;
    use std::time::{Duration, UNIX_EPOCH};

    fn message(seq: usize, body: Value) -> SlackMessage {
        SlackMessage {
            seq,
            received_at: UNIX_EPOCH + Duration::from_secs(1_795_612_707 + seq as u64),
            path: "/slack/<redacted>".into(),
            headers: BTreeMap::new(),
            body,
            answered: 200,
            answered_after: None,
        }
    }

    fn check(name: &str, detail: &str) -> CheckOutcome {
        CheckOutcome {
            name: name.into(),
            status: CheckStatus::Passed,
            elapsed: Duration::from_millis(54),
            deadline: Some(Duration::from_secs(11)),
            detail: detail.into(),
            skip: None,
            messages: Vec::new(),
            evidence: None,
        }
    }

    /// A delivered check that matched message `seq`, carrying `alert` (firing).
    fn delivered(seq: usize, alert: &str) -> CheckOutcome {
        CheckOutcome {
            messages: vec![MessageMatch {
                seq,
                receiver: "slack".into(),
                group_labels: Default::default(),
                alerts: vec![(alert.into(), "firing".into())],
            }],
            ..check(
                &format!("alert {alert} delivered to Slack"),
                &format!("message #{seq} to #alerts ..."),
            )
        }
    }

    fn run<'a>(checks: &'a [CheckOutcome], changes: &'a str) -> ReviewRun<'a> {
        ReviewRun {
            backend: "process",
            manifests: "manifests",
            started_at: Some(UNIX_EPOCH + Duration::from_secs(1_795_612_700)),
            wall_ms: 7900,
            passed: true,
            totals: "1 passed, 0 failed, 0 skipped".into(),
            skipped_components: vec![],
            checks,
            changes,
        }
    }

    fn seed_like() -> SlackMessage {
        message(
            1,
            json!({
                "channel": "#alerts",
                "username": "Alertmanager",
                "attachments": [{
                    "color": "danger",
                    "title": "[FIRING:1] DeadMansSwitch",
                    "title_link": "http://vm:9093/#/alerts?receiver=slack",
                    "text": "*Alert:* DeadMansSwitch\n<script>alert(1)</script>",
                    "fields": [{"title": "sev", "value": "`crit`", "short": true}],
                    "footer": "firedrill",
                    "mrkdwn_in": ["fallback", "pretext", "text"]
                }]
            }),
        )
    }

    #[test]
    fn a_notification_shows_as_slack_shows_it_with_the_check_that_matched_it() {
        let checks = [delivered(1, "DeadMansSwitch")];
        let html = review_html(
            &run(&checks, "a -> b (time scale)\n"),
            &[seed_like()],
            &|s| s.to_string(),
        );
        assert!(
            html.contains("<b>Alert:</b> DeadMansSwitch<br>&lt;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("style=\"background:#a30200\""), "{html}");
        assert!(
            html.contains("<a href=\"http://vm:9093/#/alerts?receiver=slack\" rel=\"noopener noreferrer\">[FIRING:1] DeadMansSwitch</a>"),
            "{html}"
        );
        assert!(
            html.contains("carries <span class=\"alerts\">DeadMansSwitch (firing)</span>"),
            "{html}"
        );
        assert!(html.contains("<div class=\"field short\"><div class=\"field-title\">sev</div><div class=\"field-value\">`crit`</div>"), "fields are not in mrkdwn_in: {html}");
        assert!(html.contains("8.0 s after the run started"), "{html}");
        assert!(html.contains("<li>a -&gt; b (time scale)</li>"), "{html}");
        assert!(html.contains("<meta name=\"viewport\""), "{html}");
    }

    #[test]
    fn a_message_no_check_names_says_so_and_message_10_is_not_message_1() {
        let checks = [delivered(10, "A")];
        let html = review_html(&run(&checks, ""), &[seed_like()], &|s| s.to_string());
        assert!(html.contains("No check matched this message."), "{html}");
    }

    #[test]
    fn every_text_passes_through_the_redaction_before_it_is_escaped() {
        let secret = "s3cr&t";
        let mut msg = seed_like();
        msg.body["attachments"][0]["text"] = json!(format!("token {secret}"));
        msg.body["channel"] = json!(format!("#{secret}"));
        let checks = [check("x", &format!("saw {secret}"))];
        let html = review_html(
            &run(&checks, &format!("url: {secret} -> y\n")),
            &[msg],
            &|s| s.replace(secret, "<redacted>"),
        );
        assert!(!html.contains("s3cr"), "{html}");
        assert!(html.contains("token &lt;redacted&gt;"), "{html}");
    }

    #[test]
    fn colours_are_slacks_names_or_hex_and_nothing_else_reaches_the_style() {
        assert_eq!(bar_colour(Some("good")), "#2eb886");
        assert_eq!(bar_colour(Some("#439FE0")), "#439FE0");
        assert_eq!(bar_colour(Some("439FE0")), "#439FE0");
        assert_eq!(bar_colour(Some("red;background:url(x)")), "#dddddd");
        assert_eq!(bar_colour(None), "#dddddd");
    }

    #[test]
    fn a_title_link_that_is_not_a_web_link_is_no_link() {
        let msg = message(
            1,
            json!({"attachments": [{"title": "t", "title_link": "javascript:alert(1)"}]}),
        );
        let html = review_html(&run(&[], ""), &[msg], &|s| s.to_string());
        assert!(html.contains("<div class=\"title\">t</div>"), "{html}");
        assert!(!html.contains("javascript:alert(1)\""), "{html}");
    }
}
