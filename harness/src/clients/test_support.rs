//! Helpers shared by the clients' tests.

/// A base URL on which nothing listens (a port bound then released).
pub(crate) fn refused_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
