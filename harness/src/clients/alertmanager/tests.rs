use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::clients::test_support::serving;

#[tokio::test]
async fn alerts_expose_state_and_receiver_names() {
    let server = serving(
        "/api/v2/alerts",
        200,
        json!([{
            "annotations": {"summary": "テストアラート", "description": "このアラートは常に発生します"},
            "endsAt": "2021-06-20T10:04:05.000Z",
            "fingerprint": "0b2d3e6b4a3f0f8c",
            "receivers": [{"name": "slack-notifications"}],
            "startsAt": "2021-06-20T10:00:05.000Z",
            "status": {"inhibitedBy": [], "silencedBy": [], "state": "active"},
            "updatedAt": "2021-06-20T10:00:05.000Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=vector%281%29",
            "labels": {"alertname": "DeadMansSwitch", "severity": "__severity__"}
        }]),
    )
    .await;
    let alerts = AlertmanagerClient::new(&server.uri())
        .alerts()
        .await
        .unwrap();
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    assert_eq!(alert.name(), Some("DeadMansSwitch"));
    assert_eq!(alert.status.state, AmAlertState::Active);
    assert!(alert.status.silenced_by.is_empty());
    assert_eq!(alert.receivers, vec!["slack-notifications".to_string()]);
    assert_eq!(alert.fingerprint, "0b2d3e6b4a3f0f8c");
    assert_eq!(alert.starts_at, "2021-06-20T10:00:05.000Z");
}

#[tokio::test]
async fn status_keeps_the_original_config_only_as_a_secret() {
    let webhook = "https://hooks.slack.com/services/T000/B000/XXXX";
    let server = serving(
        "/api/v2/status",
        200,
        json!({
            "cluster": {"name": "01F8", "peers": [], "status": "disabled"},
            "config": {"original": format!("global:\n  slack_api_url: {webhook}\n")},
            "uptime": "2021-06-20T10:00:00.000Z",
            "versionInfo": {"branch": "HEAD", "buildDate": "20210602-07:50:37", "buildUser": "root@b595c7f32520",
                            "goVersion": "go1.16.4", "revision": "eea3e6d", "version": "0.22.2"}
        }),
    )
    .await;
    let status = AlertmanagerClient::new(&server.uri())
        .status()
        .await
        .unwrap();
    assert_eq!(status.version, "0.22.2");
    assert_eq!(status.cluster_status, "disabled");
    assert_eq!(status.uptime, "2021-06-20T10:00:00.000Z");
    assert!(status.config_original.expose().contains(webhook));
    assert!(!format!("{status:?}").contains("hooks.slack.com"));
}

#[tokio::test]
async fn a_server_error_keeps_status_and_body_snippet() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/alerts"))
        .respond_with(ResponseTemplate::new(500).set_body_string("x".repeat(800)))
        .mount(&server)
        .await;
    let err = AlertmanagerClient::new(&server.uri())
        .alerts()
        .await
        .unwrap_err();
    match err {
        ClientError::Status {
            endpoint,
            status,
            body,
        } => {
            assert_eq!(endpoint.to_string(), "GET /api/v2/alerts");
            assert_eq!(status, 500);
            assert_eq!(body.chars().count(), 500);
        }
        other => panic!("expected a status error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_undocumented_body_is_a_decode_error() {
    let server = serving("/api/v2/alerts", 200, json!({"not": "a list"})).await;
    let err = AlertmanagerClient::new(&server.uri())
        .alerts()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("GET /api/v2/alerts: unexpected response:"),
        "{err}"
    );
}
