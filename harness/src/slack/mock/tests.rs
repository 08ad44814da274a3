use std::time::SystemTime;

use serde_json::{json, Value};

use super::*;
use crate::slack::NotificationStatus;

/// What Alertmanager's Slack notifier posts for the seed's DeadMansSwitch rule.
fn alertmanager_payload(status: &str) -> Value {
    let title = match status {
        "firing" => "[FIRING:1] DeadMansSwitch",
        _ => "[RESOLVED] DeadMansSwitch",
    };
    json!({
        "channel": "#alerts",
        "username": "Alertmanager",
        "attachments": [{
            "title": title,
            "title_link": "http://alertmanager:9093/#/alerts?receiver=slack-notifications",
            "text": "*Alert:* DeadMansSwitch\n*Summary:* テストアラート\n*Description:* このアラートは常に発生します\n*Details:*\n  • *alertname:* `DeadMansSwitch`\n  • *severity:* `__severity__`\n",
            "fallback": title,
            "color": if status == "firing" { "danger" } else { "good" },
            "mrkdwn_in": ["fallback", "pretext", "text"]
        }]
    })
}

async fn post(url: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(url)
        .header("User-Agent", "Alertmanager/0.22.2")
        .header("Authorization", "Bearer xoxb-not-to-be-kept")
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_post_is_answered_ok_in_plain_text_like_slack() {
    let slack = SlackMock::start().await;
    let response = post(&slack.webhook_url(), &alertmanager_payload("firing")).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(response.text().await.unwrap(), "ok");
    assert!(slack.uri().ends_with(&format!(":{}", slack.port())));
}

#[tokio::test]
async fn messages_are_recorded_in_order_of_arrival_with_a_redacted_path() {
    let slack = SlackMock::start().await;
    let url = format!("{}/services/T000/B000/XXXX", slack.uri());
    let before = SystemTime::now();
    post(&url, &alertmanager_payload("firing")).await;
    post(&url, &alertmanager_payload("resolved")).await;
    let after = SystemTime::now();

    let messages = slack.messages().await;
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(messages[0].status(), Some(NotificationStatus::Firing));
    assert_eq!(messages[1].status(), Some(NotificationStatus::Resolved));
    assert!(before <= messages[0].received_at);
    assert!(messages[0].received_at <= messages[1].received_at);
    assert!(messages[1].received_at <= after);
    assert_eq!(messages[0].path, "/services/T000/<redacted>/<redacted>");
    assert!(!format!("{messages:?}").contains("XXXX"));
}

#[tokio::test]
async fn headers_are_lowercased_and_authorization_is_dropped() {
    let slack = SlackMock::start().await;
    post(&slack.webhook_url(), &alertmanager_payload("firing")).await;
    let message = &slack.messages().await[0];
    assert_eq!(message.headers["user-agent"], "Alertmanager/0.22.2");
    assert_eq!(message.headers["content-type"], "application/json");
    assert!(!message.headers.contains_key("authorization"));
    assert!(!format!("{message:?}").contains("xoxb"));
}

#[tokio::test]
async fn the_payload_reads_back_as_alertmanager_sent_it() {
    let slack = SlackMock::start().await;
    post(&slack.webhook_url(), &alertmanager_payload("firing")).await;
    let message = &slack.messages().await[0];
    assert_eq!(message.channel(), Some("#alerts"));
    assert_eq!(message.username(), Some("Alertmanager"));
    assert_eq!(message.titles(), vec!["[FIRING:1] DeadMansSwitch"]);
    assert!(message.texts()[0].contains("*Summary:* テストアラート"));
    assert_eq!(message.body["attachments"][0]["color"], "danger");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_kept_as_a_string() {
    let slack = SlackMock::start().await;
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{}/hook", slack.uri()))
        .body("payload=not-json")
        .send()
        .await
        .unwrap();
    let message = &slack.messages().await[0];
    assert_eq!(message.body, Value::String("payload=not-json".into()));
    assert_eq!(message.path, "/hook");
}

#[tokio::test]
async fn a_get_is_neither_answered_ok_nor_recorded() {
    let slack = SlackMock::start().await;
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(slack.webhook_url())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(slack.messages().await.is_empty());
}

#[tokio::test]
async fn two_mocks_record_independently() {
    let first = SlackMock::start().await;
    let second = SlackMock::start().await;
    assert_ne!(first.port(), second.port());
    post(&first.webhook_url(), &alertmanager_payload("firing")).await;
    assert_eq!(first.messages().await.len(), 1);
    assert!(second.messages().await.is_empty());
}

#[tokio::test]
async fn artifacts_are_written_one_numbered_file_per_message_and_read_back() {
    let slack = SlackMock::start().await;
    let url = format!("{}/services/T000/B000/XXXX", slack.uri());
    post(&url, &alertmanager_payload("firing")).await;
    post(&url, &alertmanager_payload("resolved")).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("slack");

    let files = slack.write_artifacts(&target).await.unwrap();

    assert_eq!(
        files,
        vec![target.join("0001.json"), target.join("0002.json")]
    );
    let text = std::fs::read_to_string(&files[1]).unwrap();
    assert!(!text.contains("XXXX"), "{text}");
    assert!(!text.contains("xoxb"), "{text}");
    let record: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(record["seq"], 2);
    assert_eq!(record["path"], "/services/T000/<redacted>/<redacted>");
    assert_eq!(record["headers"]["user-agent"], "Alertmanager/0.22.2");
    assert_eq!(
        record["body"]["attachments"][0]["title"],
        "[RESOLVED] DeadMansSwitch"
    );
    assert!(record["received_at"].as_str().unwrap().ends_with('Z'));
    assert!(record["received_at_unix_ms"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn no_messages_write_no_files() {
    let slack = SlackMock::start().await;
    let dir = tempfile::tempdir().unwrap();
    assert!(slack.write_artifacts(dir.path()).await.unwrap().is_empty());
}

#[test]
fn a_fault_reads_as_status_or_status_times_n_and_says_how_to_write_it_otherwise() {
    assert_eq!(
        "500x3".parse::<SlackFault>(),
        Ok(SlackFault::status(500, Some(3)))
    );
    assert_eq!(
        "404".parse::<SlackFault>(),
        Ok(SlackFault::status(404, None))
    );
    assert_eq!(
        "slow=30sx2".parse::<SlackFault>(),
        Ok(SlackFault::slow(Duration::from_secs(30), Some(2)))
    );
    assert_eq!(
        "slow=1m".parse::<SlackFault>(),
        Ok(SlackFault::slow(Duration::from_secs(60), None))
    );
    for text in ["500x3", "404", "slow=30sx2", "slow=1m"] {
        assert_eq!(text.parse::<SlackFault>().unwrap().to_string(), text);
    }
    for bad in [
        "200",
        "500x0",
        "x3",
        "500x",
        "fivehundred",
        "slow=",
        "slow=fast",
        "slow=1sx0",
    ] {
        let error = bad.parse::<SlackFault>().unwrap_err();
        assert!(
            error.contains("STATUS[xN] or slow=DURATION[xN]"),
            "{bad}: {error}"
        );
    }
}

#[tokio::test]
async fn a_fault_answers_the_next_requests_with_slacks_status_and_body_then_ok_again() {
    let mock = SlackMock::start().await;
    mock.fail_next("500x2".parse().unwrap()).await.unwrap();
    let url = mock.webhook_url();
    let mut answers = Vec::new();
    for _ in 0..3 {
        let response = post(&url, &alertmanager_payload("firing")).await;
        answers.push((response.status().as_u16(), response.text().await.unwrap()));
    }
    assert_eq!(
        answers,
        [
            (500, "internal_error".to_string()),
            (500, "internal_error".to_string()),
            (200, "ok".to_string())
        ]
    );
    let recorded: Vec<(u16, bool)> = mock
        .messages()
        .await
        .iter()
        .map(|m| (m.answered, m.accepted()))
        .collect();
    assert_eq!(recorded, [(500, false), (500, false), (200, true)]);
}

#[tokio::test]
async fn a_mirror_tells_its_recorder_the_fault_and_sees_what_it_answered() {
    let recorder = SlackMock::start().await;
    let mirror = SlackMock::start().await;
    mirror.mirror(recorder.uri());
    mirror.fail_next("404".parse().unwrap()).await.unwrap();
    let response = post(&recorder.webhook_url(), &alertmanager_payload("firing")).await;
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(response.text().await.unwrap(), "no_service");
    let seen: Vec<u16> = mirror.messages().await.iter().map(|m| m.answered).collect();
    assert_eq!(seen, [404]);
}

#[tokio::test]
async fn a_slow_fault_holds_the_next_answers_back_and_the_mirror_sees_how_long() {
    let recorder = SlackMock::start().await;
    let mirror = SlackMock::start().await;
    mirror.mirror(recorder.uri());
    // Two minutes of scenario time at time scale 300: 400 ms of wall time.
    let fault: SlackFault = "slow=2mx1".parse().unwrap();
    mirror.fail_next(fault.scaled(300.0)).await.unwrap();
    let started = std::time::Instant::now();
    let slow = post(&recorder.webhook_url(), &alertmanager_payload("firing")).await;
    let slow_took = started.elapsed();
    assert_eq!(slow.status().as_u16(), 200);
    assert_eq!(slow.text().await.unwrap(), "ok");
    assert!(slow_took >= Duration::from_millis(400), "{slow_took:?}");
    let started = std::time::Instant::now();
    post(&recorder.webhook_url(), &alertmanager_payload("firing")).await;
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "the second answer was held back too: {:?}",
        started.elapsed()
    );
    let seen: Vec<(u16, Option<Duration>)> = mirror
        .messages()
        .await
        .iter()
        .map(|m| (m.answered, m.answered_after))
        .collect();
    assert_eq!(seen, [(200, Some(Duration::from_millis(400))), (200, None)]);
}
