//! Helpers shared by the clients' tests.

/// A base URL on which nothing listens (a port bound then released).
pub(crate) fn refused_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A mock server answering `GET route` with `status` and the JSON `body`.
pub(crate) async fn serving(
    route: &str,
    status: u16,
    body: serde_json::Value,
) -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("GET"))
        .and(path(route))
        .respond_with(wiremock::ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}
