//! The client held to Grafana's published HTTP API: every request has the documented
//! method, path, query and auth, and every documented answer (recorded in
//! `testdata/grafana/`, see its README for the documentation each was written from) parses
//! or becomes an error saying what to do. `server.verify()` runs before any result is
//! looked at, so a request that misses its expectation fails the test listing every
//! request the server received.

use wiremock::matchers::{body_string, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

/// A recorded answer from `testdata/grafana/`.
macro_rules! recorded {
    ($file:literal) => {
        include_str!(concat!("../testdata/grafana/", $file))
    };
}

/// `Basic base64("admin:s3cret")`.
const ADMIN_BASIC_AUTH: &str = "Basic YWRtaW46czNjcmV0";

const UID: &str = "P1809F7CD0C75ACF3";

fn client(server: &MockServer) -> GrafanaClient {
    GrafanaClient::new(&server.uri(), "admin", SecretString::new("s3cret"))
}

fn answer(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
}

/// A documented GET with login: basic auth, no body, only the given query.
fn logged_in_get(route: &str) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path(route))
        .and(header("authorization", ADMIN_BASIC_AUTH))
        .and(body_string(""))
}

/// A server answering any `GET route` with `status` and the recorded `body`.
async fn serving_raw(route: &str, status: u16, body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(answer(status, body))
        .mount(&server)
        .await;
    server
}

fn datasource(uid: Option<&str>) -> GrafanaDatasource {
    GrafanaDatasource {
        id: 1,
        uid: uid.map(str::to_string),
        name: "Prometheus".into(),
        kind: "prometheus".into(),
        url: "http://prometheus-service:9090".into(),
        is_default: true,
        access: "proxy".into(),
    }
}

fn assert_no_password(text: &str) {
    assert!(!text.contains("s3cret"), "{text}");
    assert!(!text.contains("YWRtaW46czNjcmV0"), "{text}");
}

// ---- version and route choice ----

#[test]
fn grafana_before_9_uses_the_id_route_and_9_on_the_uid_route() {
    let with_uid = datasource(Some(UID));
    assert_eq!(
        proxy_route_for(Some("7.5.9"), &with_uid),
        ProxyRoute::ById(1)
    );
    assert_eq!(
        proxy_route_for(Some("8.5.27"), &with_uid),
        ProxyRoute::ById(1)
    );
    for version in ["9.5.2", "10.4.2", "11.0.0"] {
        assert_eq!(
            proxy_route_for(Some(version), &with_uid),
            ProxyRoute::ByUid(UID.into()),
            "{version}"
        );
    }
}

#[test]
fn a_hidden_version_tries_the_uid_route_first() {
    assert_eq!(
        proxy_route_for(None, &datasource(Some(UID))),
        ProxyRoute::ByUid(UID.into())
    );
}

#[test]
fn a_datasource_without_uid_always_uses_the_id_route() {
    assert_eq!(
        proxy_route_for(Some("10.4.2"), &datasource(None)),
        ProxyRoute::ById(1)
    );
    assert_eq!(
        proxy_route_for(None, &datasource(Some(""))),
        ProxyRoute::ById(1)
    );
}

#[test]
fn the_major_version_decides_the_route() {
    assert_eq!(major_version("7.5.9"), Some(7));
    assert_eq!(major_version("v10.4.2"), Some(10));
    assert!(!uses_uid_proxy_route(Some("7.5.9")));
    assert!(!uses_uid_proxy_route(Some("v8.5.27")));
    assert!(uses_uid_proxy_route(Some("9.5.2")));
    assert!(uses_uid_proxy_route(Some("10.4.2")));
    assert!(uses_uid_proxy_route(Some("11.0.0-preview")));
    assert!(uses_uid_proxy_route(Some("main")));
    assert!(uses_uid_proxy_route(None));
}

#[test]
fn the_password_never_shows_in_debug_output() {
    let client = GrafanaClient::new(
        "http://localhost:3000",
        "admin",
        SecretString::new("s3cret"),
    );
    let debug = format!("{client:?}");
    assert_no_password(&debug);
    assert!(debug.contains("<redacted>"), "{debug}");
}

// ---- GET /api/health ----

#[tokio::test]
async fn health_of_grafana_7_5_is_read_without_logging_in() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/health"))
        .and(query_param_is_missing("query"))
        .and(body_string(""))
        .respond_with(answer(200, recorded!("7.5/health.json")))
        .expect(1)
        .mount(&server)
        .await;
    let health = client(&server).health().await;
    server.verify().await;
    assert_eq!(
        health.unwrap(),
        GrafanaHealth {
            database: "ok".into(),
            version: Some("7.5.9".into()),
            commit: Some("3c6c7a8c9d".into()),
        }
    );
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests[0].headers.get("authorization").is_none(),
        "{requests:?}"
    );
}

#[tokio::test]
async fn health_of_a_current_grafana_parses() {
    let server = serving_raw("/api/health", 200, recorded!("current/health.json")).await;
    let health = client(&server).health().await.unwrap();
    assert_eq!(health.version.as_deref(), Some("10.4.2"));
    assert_eq!(health.database, "ok");
}

#[tokio::test]
async fn health_with_the_version_hidden_parses_without_a_version() {
    let server = serving_raw(
        "/api/health",
        200,
        recorded!("current/health_version_hidden.json"),
    )
    .await;
    let health = client(&server).health().await.unwrap();
    assert_eq!((health.version, health.commit), (None, None));
}

#[tokio::test]
async fn a_failing_database_is_an_error_naming_the_database() {
    let server = serving_raw(
        "/api/health",
        503,
        recorded!("current/health_database_failing.json"),
    )
    .await;
    let err = client(&server).health().await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(
        err.to_string()
            .starts_with("Grafana cannot reach its database"),
        "{err}"
    );
}

// ---- datasources by name, by uid, and the list ----

#[tokio::test]
async fn a_datasource_is_asked_for_by_url_encoded_name_with_basic_auth() {
    let server = MockServer::start().await;
    logged_in_get("/api/datasources/name/My%20Prometheus")
        .respond_with(answer(200, recorded!("current/datasource_by_name.json")))
        .expect(1)
        .mount(&server)
        .await;
    let found = client(&server).datasource_by_name("My Prometheus").await;
    server.verify().await;
    let found = found.unwrap();
    assert_eq!(found.id, 1);
    assert_eq!(found.uid.as_deref(), Some(UID));
    assert_eq!(found.kind, "prometheus");
    assert_eq!(found.url, "http://prometheus-service:9090");
    assert!(found.is_default);
    assert_eq!(found.access, "proxy");
}

#[tokio::test]
async fn a_grafana_7_5_datasource_without_a_uid_parses() {
    let server = MockServer::start().await;
    logged_in_get("/api/datasources/name/Prometheus")
        .respond_with(answer(200, recorded!("7.5/datasource_by_name.json")))
        .expect(1)
        .mount(&server)
        .await;
    let found = client(&server).datasource_by_name("Prometheus").await;
    server.verify().await;
    let found = found.unwrap();
    assert_eq!((found.id, found.uid.as_deref()), (1, None));
    assert!(found.is_default);
    assert_eq!(found.kind, "prometheus");
}

#[tokio::test]
async fn the_datasource_list_parses_on_7_5_and_current_releases() {
    for (version, body, default) in [
        ("7.5", recorded!("7.5/datasources.json"), "Prometheus"),
        ("current", recorded!("current/datasources.json"), "Loki"),
    ] {
        let server = MockServer::start().await;
        logged_in_get("/api/datasources")
            .respond_with(answer(200, body))
            .expect(1)
            .mount(&server)
            .await;
        let all = client(&server).datasources().await;
        server.verify().await;
        let all = all.unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_eq!(all.len(), 2, "{version}");
        let defaults: Vec<_> = all.iter().filter(|d| d.is_default).collect();
        assert_eq!(defaults.len(), 1, "{version}");
        assert_eq!(defaults[0].name, default, "{version}");
        assert_eq!(
            all.iter().all(|d| d.uid.is_some()),
            version == "current",
            "{version}: 7.x lists carry no uid, current ones do"
        );
    }
}

#[tokio::test]
async fn a_missing_datasource_says_to_check_provisioning_without_the_password() {
    for body in [
        recorded!("7.5/datasource_not_found.json"),
        recorded!("current/datasource_not_found.json"),
    ] {
        let server = serving_raw("/api/datasources/name/Nope", 404, body).await;
        let err = client(&server)
            .datasource_by_name("Nope")
            .await
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert_eq!(err.status(), Some(404));
        assert!(
            err.to_string()
                .starts_with("Grafana has no datasource named `Nope`: check the name in the datasource provisioning file"),
            "{err}"
        );
        assert!(
            text.contains("GET /api/datasources/name/Nope: http status 404"),
            "{text}"
        );
        assert_no_password(&text);
    }
}

#[tokio::test]
async fn wrong_credentials_say_the_admin_password_differs_without_printing_it() {
    for body in [
        recorded!("7.5/unauthorized.json"),
        recorded!("current/unauthorized.json"),
    ] {
        let server = serving_raw("/api/datasources", 401, body).await;
        let err = client(&server).datasources().await.unwrap_err();
        assert_eq!(err.status(), Some(401));
        let text = format!("{err} {err:?}");
        assert!(
            text.contains("Grafana rejected user admin's password"),
            "{text}"
        );
        assert!(text.contains("GF_SECURITY_ADMIN_PASSWORD"), "{text}");
        assert_no_password(&text);
    }
}

#[tokio::test]
async fn a_user_who_is_not_an_org_admin_is_told_the_role_needed() {
    let server = serving_raw(
        "/api/datasources/name/Prometheus",
        403,
        r#"{"message": "Permission denied"}"#,
    )
    .await;
    let err = client(&server)
        .datasource_by_name("Prometheus")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Admin role"), "{err}");
}

// ---- GET /api/datasources/uid/:uid/health (9 and later) ----

#[tokio::test]
async fn a_datasource_health_check_that_passes_parses() {
    let server = MockServer::start().await;
    logged_in_get(&format!("/api/datasources/uid/{UID}/health"))
        .respond_with(answer(200, recorded!("current/datasource_health_ok.json")))
        .expect(1)
        .mount(&server)
        .await;
    let health = client(&server).datasource_health(UID).await;
    server.verify().await;
    let health = health.unwrap();
    assert!(health.is_ok());
    assert_eq!(health.message, "Successfully queried the Prometheus API.");
}

#[tokio::test]
async fn a_failing_datasource_health_check_is_a_result_carrying_grafanas_message() {
    let server = serving_raw(
        &format!("/api/datasources/uid/{UID}/health"),
        400,
        recorded!("current/datasource_health_error.json"),
    )
    .await;
    let health = client(&server).datasource_health(UID).await.unwrap();
    assert!(!health.is_ok());
    assert_eq!(health.status, "ERROR");
    assert!(
        health.message.contains("no such host"),
        "{}",
        health.message
    );
}

// ---- PromQL through the datasource proxy ----

#[tokio::test]
async fn grafana_7_5_is_queried_through_the_id_route_only() {
    let server = MockServer::start().await;
    logged_in_get("/api/datasources/proxy/1/api/v1/query")
        .and(query_param("query", "sum(api_request_total)"))
        .respond_with(answer(200, recorded!("prometheus_vector.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(format!(
        "/api/datasources/proxy/uid/{UID}/api/v1/query"
    )))
    .respond_with(answer(500, recorded!("7.5/proxy_uid_route_answer.json")))
    .expect(0)
    .mount(&server)
    .await;
    let answer = client(&server)
        .query_via_datasource(
            &datasource(Some(UID)),
            Some("7.5.9"),
            "sum(api_request_total)",
        )
        .await;
    server.verify().await;
    let answer = answer.unwrap();
    assert_eq!(answer.route, ProxyRoute::ById(1));
    assert_eq!(answer.samples[0].value, 3.0);
    assert_eq!(answer.samples[0].metric["job"], "echo");
}

#[tokio::test]
async fn a_current_grafana_is_queried_through_the_uid_route_only() {
    let server = MockServer::start().await;
    logged_in_get(&format!("/api/datasources/proxy/uid/{UID}/api/v1/query"))
        .and(query_param("query", "sum(api_request_total)"))
        .respond_with(answer(200, recorded!("prometheus_vector.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/datasources/proxy/1/api/v1/query"))
        .respond_with(answer(200, recorded!("prometheus_vector.json")))
        .expect(0)
        .mount(&server)
        .await;
    let answer = client(&server)
        .query_via_datasource(
            &datasource(Some(UID)),
            Some("10.4.2"),
            "sum(api_request_total)",
        )
        .await;
    server.verify().await;
    let answer = answer.unwrap();
    assert_eq!(answer.route, ProxyRoute::ByUid(UID.into()));
    assert_eq!(answer.samples[0].value, 3.0);
}

#[tokio::test]
async fn a_7_5_grafana_hiding_its_version_is_queried_by_id_after_the_uid_route_fails() {
    let server = MockServer::start().await;
    logged_in_get(&format!("/api/datasources/proxy/uid/{UID}/api/v1/query"))
        .and(query_param("query", "up"))
        .respond_with(answer(500, recorded!("7.5/proxy_uid_route_answer.json")))
        .expect(1)
        .mount(&server)
        .await;
    logged_in_get("/api/datasources/proxy/1/api/v1/query")
        .and(query_param("query", "up"))
        .respond_with(answer(200, recorded!("prometheus_vector.json")))
        .expect(1)
        .mount(&server)
        .await;
    let answer = client(&server)
        .query_via_datasource(&datasource(Some(UID)), None, "up")
        .await;
    server.verify().await;
    let answer = answer.unwrap();
    assert_eq!(answer.route, ProxyRoute::ById(1));
    assert_eq!(answer.samples.len(), 1);
}

#[tokio::test]
async fn a_datasource_the_uid_route_cannot_find_is_tried_by_id_and_then_reported() {
    let server = MockServer::start().await;
    for route in [
        format!("/api/datasources/proxy/uid/{UID}/api/v1/query"),
        "/api/datasources/proxy/1/api/v1/query".to_string(),
    ] {
        logged_in_get(&route)
            .respond_with(answer(
                404,
                recorded!("current/proxy_datasource_not_found.json"),
            ))
            .expect(1)
            .mount(&server)
            .await;
    }
    let err = client(&server)
        .query_via_datasource(&datasource(Some(UID)), Some("11.0.0"), "up")
        .await;
    server.verify().await;
    let err = err.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(
        err.to_string().starts_with(
            "Grafana has no datasource `Prometheus` through the id proxy route (id 1)"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_prometheus_error_through_the_proxy_keeps_its_text_and_is_not_retried_by_id() {
    let server = MockServer::start().await;
    logged_in_get(&format!("/api/datasources/proxy/uid/{UID}/api/v1/query"))
        .and(query_param("query", "up{"))
        .respond_with(answer(400, recorded!("prometheus_bad_data.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/datasources/proxy/1/api/v1/query"))
        .respond_with(answer(200, recorded!("prometheus_vector.json")))
        .expect(0)
        .mount(&server)
        .await;
    let err = client(&server)
        .query_via_datasource(&datasource(Some(UID)), Some("10.4.2"), "up{")
        .await;
    server.verify().await;
    assert_eq!(
        err.unwrap_err().to_string(),
        format!(
            "GET /api/datasources/proxy/uid/{UID}/api/v1/query: api error bad_data: 1:4: parse error: unexpected end of input"
        )
    );
}

#[tokio::test]
async fn a_proxy_that_cannot_reach_prometheus_says_to_check_the_datasource_url() {
    for (status, version) in [(502, "7.5.9"), (504, "10.4.2")] {
        let server = MockServer::start().await;
        let route = if version == "7.5.9" {
            "/api/datasources/proxy/1/api/v1/query".to_string()
        } else {
            format!("/api/datasources/proxy/uid/{UID}/api/v1/query")
        };
        logged_in_get(&route)
            .respond_with(ResponseTemplate::new(status).set_body_string("Bad Gateway"))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server)
            .query_via_datasource(&datasource(Some(UID)), Some(version), "up")
            .await;
        server.verify().await;
        let err = err.unwrap_err();
        assert_eq!(err.status(), Some(status), "{version}");
        assert!(
            err.to_string()
                .starts_with("Grafana could not reach datasource `Prometheus` through the")
                && err
                    .to_string()
                    .contains("its `url` must be where Grafana's server reaches Prometheus"),
            "{version}: {err}"
        );
    }
}

#[tokio::test]
async fn a_proxy_answer_that_is_not_prometheus_json_is_a_decode_error() {
    let server = MockServer::start().await;
    logged_in_get("/api/datasources/proxy/7/api/v1/query")
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>login</html>"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).query_via_proxy_id(7, "up").await;
    server.verify().await;
    assert!(matches!(err, Err(ClientError::Decode { .. })), "{err:?}");
}

#[test]
fn every_recorded_answer_names_its_source_in_the_readme() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/clients/testdata/grafana");
    let readme = recorded!("README.md");
    let mut files = Vec::new();
    for sub in ["", "7.5", "current"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".json") {
                files.push(if sub.is_empty() {
                    name
                } else {
                    format!("{sub}/{name}")
                });
            }
        }
    }
    assert!(files.len() >= 20, "{files:?}");
    for file in files {
        assert!(
            readme.contains(&format!("`{file}`")),
            "{file} has no source in testdata/grafana/README.md"
        );
    }
}
