use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

/// `Basic base64("admin:s3cret")`.
const ADMIN_BASIC_AUTH: &str = "Basic YWRtaW46czNjcmV0";

fn client(server: &MockServer) -> GrafanaClient {
    GrafanaClient::new(&server.uri(), "admin", SecretString::new("s3cret"))
}

fn datasource(uid: Option<&str>) -> GrafanaDatasource {
    GrafanaDatasource {
        id: 1,
        uid: uid.map(str::to_string),
        name: "Prometheus".into(),
        kind: "prometheus".into(),
        url: "http://localhost:9090".into(),
        is_default: true,
        access: "proxy".into(),
    }
}

fn vector_of_one(value: &str) -> serde_json::Value {
    json!({"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"__name__": "api_request_total", "job": "echo"}, "value": [1624183205.0, value]}
    ]}})
}

#[test]
fn grafana_before_9_uses_the_id_route_and_9_on_the_uid_route() {
    let with_uid = datasource(Some("P1809F7CD0C75ACF3"));
    assert_eq!(proxy_route_for("7.5.9", &with_uid), ProxyRoute::ById(1));
    for version in ["9.5.2", "10.4.1", "11.0.0"] {
        assert_eq!(
            proxy_route_for(version, &with_uid),
            ProxyRoute::ByUid("P1809F7CD0C75ACF3".into()),
            "{version}"
        );
    }
}

#[test]
fn a_datasource_without_uid_always_uses_the_id_route() {
    assert_eq!(
        proxy_route_for("10.4.1", &datasource(None)),
        ProxyRoute::ById(1)
    );
    assert_eq!(
        proxy_route_for("10.4.1", &datasource(Some(""))),
        ProxyRoute::ById(1)
    );
}

#[test]
fn the_major_version_decides_the_route() {
    assert!(!uses_uid_proxy_route("7.5.9"));
    assert!(!uses_uid_proxy_route("v8.5.27"));
    assert!(uses_uid_proxy_route("9.5.2"));
    assert!(uses_uid_proxy_route("10.4.1"));
    assert!(uses_uid_proxy_route("11.0.0-preview"));
    assert!(uses_uid_proxy_route("main"));
}

#[test]
fn the_password_never_shows_in_debug_output() {
    let client = GrafanaClient::new(
        "http://localhost:3000",
        "admin",
        SecretString::new("s3cret"),
    );
    let debug = format!("{client:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
}

#[tokio::test]
async fn health_is_read_without_logging_in() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/health"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "commit": "a1b2c3d", "database": "ok", "version": "7.5.9"
        })))
        .mount(&server)
        .await;
    let health = client(&server).health().await.unwrap();
    assert_eq!(
        health,
        GrafanaHealth {
            database: "ok".into(),
            version: "7.5.9".into()
        }
    );
    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn a_datasource_is_found_by_url_encoded_name_with_basic_auth() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasources/name/My%20Prometheus"))
        .and(header("authorization", ADMIN_BASIC_AUTH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 1, "uid": "P1809F7CD0C75ACF3", "orgId": 1, "name": "My Prometheus",
            "type": "prometheus", "typeLogoUrl": "", "access": "proxy",
            "url": "http://localhost:9090", "password": "", "user": "", "database": "",
            "basicAuth": false, "basicAuthUser": "", "basicAuthPassword": "",
            "withCredentials": false, "isDefault": true, "jsonData": {},
            "secureJsonFields": {}, "version": 1, "readOnly": true
        })))
        .mount(&server)
        .await;
    let found = client(&server)
        .datasource_by_name("My Prometheus")
        .await
        .unwrap();
    assert_eq!(found.id, 1);
    assert_eq!(found.uid.as_deref(), Some("P1809F7CD0C75ACF3"));
    assert_eq!(found.kind, "prometheus");
    assert!(found.is_default);
    assert_eq!(found.access, "proxy");
}

#[tokio::test]
async fn a_datasource_from_grafana_7_may_lack_a_uid() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasources/name/Prometheus"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 3, "orgId": 1, "name": "Prometheus", "type": "prometheus",
            "access": "proxy", "url": "http://localhost:9090", "isDefault": true
        })))
        .mount(&server)
        .await;
    let found = client(&server)
        .datasource_by_name("Prometheus")
        .await
        .unwrap();
    assert_eq!((found.id, found.uid), (3, None));
}

#[tokio::test]
async fn a_missing_datasource_is_a_404_without_the_password() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasources/name/Nope"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"message": "Data source not found"})),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .datasource_by_name("Nope")
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        err.to_string()
            .starts_with("GET /api/datasources/name/Nope: http status 404"),
        "{err}"
    );
    assert!(!text.contains("s3cret"), "{text}");
}

#[tokio::test]
async fn wrong_credentials_are_a_401() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasources/name/Prometheus"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"message": "Invalid username or password"})),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .datasource_by_name("Prometheus")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
}

#[tokio::test]
async fn grafana_7_is_queried_through_the_id_route_with_basic_auth() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasources/proxy/1/api/v1/query"))
        .and(query_param("query", "api_request_total"))
        .and(header("authorization", ADMIN_BASIC_AUTH))
        .respond_with(ResponseTemplate::new(200).set_body_json(vector_of_one("3")))
        .expect(1)
        .mount(&server)
        .await;
    let samples = client(&server)
        .query_via_datasource(&datasource(Some("abc")), "7.5.9", "api_request_total")
        .await
        .unwrap();
    assert_eq!(samples[0].value, 3.0);
    assert_eq!(samples[0].metric["job"], "echo");
}

#[tokio::test]
async fn grafana_10_is_queried_through_the_uid_route_with_basic_auth() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/api/datasources/proxy/uid/P1809F7CD0C75ACF3/api/v1/query",
        ))
        .and(query_param("query", "api_request_total"))
        .and(header("authorization", ADMIN_BASIC_AUTH))
        .respond_with(ResponseTemplate::new(200).set_body_json(vector_of_one("NaN")))
        .expect(1)
        .mount(&server)
        .await;
    let samples = client(&server)
        .query_via_datasource(
            &datasource(Some("P1809F7CD0C75ACF3")),
            "10.4.1",
            "api_request_total",
        )
        .await
        .unwrap();
    assert!(samples[0].value.is_nan());
}

#[tokio::test]
async fn a_prometheus_error_through_the_proxy_keeps_its_text() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasources/proxy/uid/u1/api/v1/query"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": "error", "errorType": "bad_data", "error": "parse error: unexpected end of input"
        })))
        .mount(&server)
        .await;
    let err = client(&server)
        .query_via_proxy_uid("u1", "up{")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GET /api/datasources/proxy/uid/u1/api/v1/query: api error bad_data: parse error: unexpected end of input"
    );
}

#[tokio::test]
async fn a_proxy_failure_without_prometheus_json_is_a_status_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasources/proxy/7/api/v1/query"))
        .respond_with(ResponseTemplate::new(502).set_body_string("Bad Gateway"))
        .mount(&server)
        .await;
    let err = client(&server)
        .query_via_proxy_id(7, "up")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
}
