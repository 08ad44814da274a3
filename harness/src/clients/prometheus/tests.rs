use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::clients::prometheus_types::{AlertState, RuleKind};
use crate::clients::test_support::{refused_base_url, serving};

#[tokio::test]
async fn ready_is_true_when_prometheus_answers_200() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/-/ready"))
        .respond_with(ResponseTemplate::new(200).set_body_string("Prometheus is Ready.\n"))
        .mount(&server)
        .await;
    let client = PrometheusClient::new(&format!("{}/", server.uri()));
    assert!(client.ready().await.unwrap());
}

#[tokio::test]
async fn ready_is_false_while_prometheus_answers_503() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/-/ready"))
        .respond_with(ResponseTemplate::new(503).set_body_string("Service Unavailable"))
        .mount(&server)
        .await;
    assert!(!PrometheusClient::new(&server.uri()).ready().await.unwrap());
}

#[tokio::test]
async fn ready_is_false_when_the_connection_is_refused() {
    let client = PrometheusClient::new(&refused_base_url());
    assert!(!client.ready().await.unwrap());
}

#[tokio::test]
async fn a_query_against_a_refused_port_names_the_endpoint() {
    let err = PrometheusClient::new(&refused_base_url())
        .query("up")
        .await
        .unwrap_err();
    assert!(err.is_connect_failure(), "{err}");
    assert!(
        err.to_string()
            .starts_with("GET /api/v1/query: cannot reach the server"),
        "{err}"
    );
}

#[tokio::test]
async fn a_vector_query_returns_one_sample_per_series() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/query"))
        .and(query_param("query", "up"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "success",
            "data": {
                "resultType": "vector",
                "result": [
                    {"metric": {"__name__": "up", "job": "prometheus", "instance": "localhost:9090"},
                     "value": [1435781451.781, "1"]},
                    {"metric": {"__name__": "up", "job": "node", "instance": "localhost:9100"},
                     "value": [1435781451.781, "0"]}
                ]
            }
        })))
        .mount(&server)
        .await;
    let samples = PrometheusClient::new(&server.uri())
        .query("up")
        .await
        .unwrap();
    assert_eq!(samples.len(), 2);
    assert_eq!(samples[0].metric["job"], "prometheus");
    assert_eq!(samples[0].value, 1.0);
    assert_eq!(samples[1].metric["instance"], "localhost:9100");
    assert_eq!(samples[1].value, 0.0);
}

#[tokio::test]
async fn a_scalar_query_returns_one_sample_without_labels() {
    let server = serving(
        "/api/v1/query",
        200,
        json!({"status": "success", "data": {"resultType": "scalar", "result": [1435781451.781, "42"]}}),
    )
    .await;
    let samples = PrometheusClient::new(&server.uri())
        .query("scalar(42)")
        .await
        .unwrap();
    assert_eq!(samples.len(), 1);
    assert!(samples[0].metric.is_empty());
    assert_eq!(samples[0].value, 42.0);
}

#[tokio::test]
async fn nan_and_infinite_values_are_kept() {
    let server = serving(
        "/api/v1/query",
        200,
        json!({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"q": "nan"}, "value": [1.0, "NaN"]},
            {"metric": {"q": "inf"}, "value": [1.0, "+Inf"]},
            {"metric": {"q": "-inf"}, "value": [1.0, "-Inf"]}
        ]}}),
    )
    .await;
    let samples = PrometheusClient::new(&server.uri())
        .query("x")
        .await
        .unwrap();
    assert!(samples[0].value.is_nan());
    assert_eq!(samples[1].value, f64::INFINITY);
    assert_eq!(samples[2].value, f64::NEG_INFINITY);
}

#[tokio::test]
async fn a_bad_expression_becomes_an_api_error_with_prometheus_text() {
    let server = serving(
        "/api/v1/query",
        400,
        json!({"status": "error", "errorType": "bad_data",
               "error": "invalid parameter \"query\": 1:4: parse error: unexpected end of input"}),
    )
    .await;
    let err = PrometheusClient::new(&server.uri())
        .query("up{")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(
        err.to_string(),
        "GET /api/v1/query: api error bad_data: invalid parameter \"query\": 1:4: parse error: unexpected end of input"
    );
}

#[tokio::test]
async fn a_range_vector_result_is_refused_as_unexpected() {
    let server = serving(
        "/api/v1/query",
        200,
        json!({"status": "success", "data": {"resultType": "matrix", "result": []}}),
    )
    .await;
    let err = PrometheusClient::new(&server.uri())
        .query("up[5m]")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("matrix"), "{err}");
}

#[tokio::test]
async fn a_non_json_error_page_keeps_status_and_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/targets"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .mount(&server)
        .await;
    let err = PrometheusClient::new(&server.uri())
        .targets()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GET /api/v1/targets: http status 502: bad gateway"
    );
}

#[tokio::test]
async fn targets_are_read_from_the_documented_example() {
    let server = serving(
        "/api/v1/targets",
        200,
        json!({
            "status": "success",
            "data": {
                "activeTargets": [
                    {
                        "discoveredLabels": {"__address__": "127.0.0.1:9090", "__metrics_path__": "/metrics",
                                             "__scheme__": "http", "job": "prometheus"},
                        "labels": {"instance": "127.0.0.1:9090", "job": "prometheus"},
                        "scrapePool": "prometheus",
                        "scrapeUrl": "http://127.0.0.1:9090/metrics",
                        "globalUrl": "http://example-prometheus:9090/metrics",
                        "lastError": "",
                        "lastScrape": "2017-01-17T15:07:44.723715405+01:00",
                        "lastScrapeDuration": 0.050688943,
                        "health": "up",
                        "scrapeInterval": "1m",
                        "scrapeTimeout": "10s"
                    },
                    {
                        "discoveredLabels": {"__address__": "echo-service:80", "job": "echo"},
                        "labels": {"instance": "echo-service:80", "job": "echo"},
                        "scrapePool": "echo",
                        "scrapeUrl": "http://echo-service:80/metrics",
                        "lastError": "Get \"http://echo-service:80/metrics\": dial tcp: lookup echo-service: no such host",
                        "lastScrape": "2017-01-17T15:07:44.723715405+01:00",
                        "lastScrapeDuration": 0.001,
                        "health": "down"
                    }
                ],
                "droppedTargets": [
                    {"discoveredLabels": {"__address__": "127.0.0.1:9100", "job": "node"}}
                ]
            }
        }),
    )
    .await;
    let targets = PrometheusClient::new(&server.uri())
        .targets()
        .await
        .unwrap();
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[0].scrape_pool, "prometheus");
    assert_eq!(targets[0].scrape_url, "http://127.0.0.1:9090/metrics");
    assert_eq!(
        targets[0].global_url,
        "http://example-prometheus:9090/metrics"
    );
    assert!(targets[0].is_up());
    assert_eq!(targets[0].labels["job"], "prometheus");
    assert_eq!(
        targets[0].discovered_labels["__address__"],
        "127.0.0.1:9090"
    );
    assert!(!targets[1].is_up());
    assert!(targets[1].last_error.contains("no such host"));
    assert_eq!(targets[1].global_url, "");
}

#[tokio::test]
async fn rules_are_read_from_the_documented_example() {
    let server = serving(
        "/api/v1/rules",
        200,
        json!({
            "data": {
                "groups": [{
                    "rules": [
                        {
                            "alerts": [{
                                "activeAt": "2018-07-04T20:27:12.60602144+02:00",
                                "annotations": {"summary": "High request latency"},
                                "labels": {"alertname": "HighRequestLatency", "severity": "page"},
                                "state": "firing",
                                "value": "1e+00"
                            }],
                            "annotations": {"summary": "High request latency"},
                            "duration": 600,
                            "health": "ok",
                            "labels": {"severity": "page"},
                            "name": "HighRequestLatency",
                            "query": "job:request_latency_seconds:mean5m{job=\"myjob\"} > 0.5",
                            "state": "firing",
                            "type": "alerting"
                        },
                        {
                            "health": "err",
                            "lastError": "many-to-many matching not allowed",
                            "name": "job:http_inprogress_requests:sum",
                            "query": "sum by (job) (http_inprogress_requests)",
                            "type": "recording"
                        }
                    ],
                    "file": "/rules.yaml",
                    "interval": 60,
                    "name": "example"
                }]
            },
            "status": "success"
        }),
    )
    .await;
    let groups = PrometheusClient::new(&server.uri()).rules().await.unwrap();
    assert_eq!(groups.len(), 1);
    let group = &groups[0];
    assert_eq!(
        (group.name.as_str(), group.file.as_str()),
        ("example", "/rules.yaml")
    );
    assert_eq!(group.interval, 60.0);
    let alerting = &group.rules[0];
    assert_eq!(alerting.kind, RuleKind::Alerting);
    assert_eq!(alerting.state, Some(AlertState::Firing));
    assert_eq!(alerting.duration, 600.0);
    assert!(alerting.is_healthy());
    assert_eq!(alerting.alerts[0].name(), Some("HighRequestLatency"));
    assert_eq!(alerting.alerts[0].value, 1.0);
    let recording = &group.rules[1];
    assert_eq!(recording.kind, RuleKind::Recording);
    assert_eq!(recording.state, None);
    assert!(!recording.is_healthy());
    assert_eq!(recording.last_error, "many-to-many matching not allowed");
}

#[tokio::test]
async fn alerts_are_read_from_the_documented_example() {
    let server = serving(
        "/api/v1/alerts",
        200,
        json!({
            "data": {"alerts": [
                {"activeAt": "2018-07-04T20:27:12.60602144+02:00", "annotations": {},
                 "labels": {"alertname": "my-alert"}, "state": "firing", "value": "1e+00"},
                {"activeAt": "2018-07-04T20:28:12.60602144+02:00",
                 "annotations": {"summary": "テストアラート"},
                 "labels": {"alertname": "DeadMansSwitch", "severity": "__severity__"},
                 "state": "pending", "value": "1e+00"}
            ]},
            "status": "success"
        }),
    )
    .await;
    let alerts = PrometheusClient::new(&server.uri()).alerts().await.unwrap();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0].state, AlertState::Firing);
    assert_eq!(
        alerts[0].active_at.as_deref(),
        Some("2018-07-04T20:27:12.60602144+02:00")
    );
    assert_eq!(alerts[1].state, AlertState::Pending);
    assert_eq!(alerts[1].annotations["summary"], "テストアラート");
}

#[tokio::test]
async fn alertmanagers_lists_only_the_active_urls() {
    let server = serving(
        "/api/v1/alertmanagers",
        200,
        json!({
            "status": "success",
            "data": {
                "activeAlertmanagers": [{"url": "http://127.0.0.1:9093/api/v2/alerts"}],
                "droppedAlertmanagers": [{"url": "http://127.0.0.1:9094/api/v2/alerts"}]
            }
        }),
    )
    .await;
    let urls = PrometheusClient::new(&server.uri())
        .alertmanagers()
        .await
        .unwrap();
    assert_eq!(
        urls,
        vec!["http://127.0.0.1:9093/api/v2/alerts".to_string()]
    );
}

#[tokio::test]
async fn a_slow_server_times_out_with_the_configured_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/alerts"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_millis(500)))
        .mount(&server)
        .await;
    let client =
        PrometheusClient::new(&server.uri()).with_timeout(std::time::Duration::from_millis(50));
    let err = client.alerts().await.unwrap_err();
    assert!(err.to_string().contains("timed out after 50ms"), "{err}");
}
