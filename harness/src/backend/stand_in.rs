//! What answers at a component's port in its place while a `fail` fault holds: every request
//! gets the same HTTP status, as a scrape target or an app that fails does. The process
//! backend runs it inside the harness; the Docker and kube backends run it as
//! `firedrill stand-in` in a container of firedrill's own image, on the component's ports.
//! On Kubernetes, which cannot freeze a container, a `pause` is a stand-in that accepts
//! connections and never answers ([`Reply::Nothing`]): what a target that times out is.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How long the port its component freed may take to be bindable again.
const BIND_DEADLINE: Duration = Duration::from_secs(5);
/// How long one connection may take to send its request.
const READ_DEADLINE: Duration = Duration::from_secs(5);

/// What a stand-in does with each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// Answers this HTTP status.
    Status(u16),
    /// Accepts the connection, reads what comes and never answers (a frozen component).
    Nothing,
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Status(status) => write!(f, "answer {status}"),
            Reply::Nothing => f.write_str("accept connections without answering"),
        }
    }
}

/// Does `reply` to every HTTP request at `listen` (`host:port`) until the task is aborted,
/// which closes the port.
pub(crate) async fn answer(listen: &str, reply: Reply) -> Result<JoinHandle<()>, String> {
    let started = Instant::now();
    let listener = loop {
        match TcpListener::bind(listen).await {
            Ok(listener) => break listener,
            Err(e) if started.elapsed() >= BIND_DEADLINE => {
                return Err(format!(
                    "cannot {reply} at {listen} in its place: {e} (after {BIND_DEADLINE:?})"
                ))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let response = match reply {
        Reply::Status(status) => response(status),
        Reply::Nothing => String::new(),
    };
    Ok(tokio::spawn(async move {
        while let Ok((mut connection, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                if reply == Reply::Nothing {
                    // Held open, read and never answered, until the peer gives up.
                    let mut buffer = [0u8; 4096];
                    while let Ok(1..) = connection.read(&mut buffer).await {}
                    return;
                }
                // The request is read to its blank line (a body is ignored), then answered.
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                let read = async {
                    loop {
                        match connection.read(&mut buffer).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                request.extend_from_slice(&buffer[..n]);
                                if request.windows(4).any(|w| w == b"\r\n\r\n")
                                    || request.len() > 64 * 1024
                                {
                                    break;
                                }
                            }
                        }
                    }
                };
                if tokio::time::timeout(READ_DEADLINE, read).await.is_ok() {
                    let _ = connection.write_all(response.as_bytes()).await;
                    let _ = connection.shutdown().await;
                }
            });
        }
    }))
}

/// The whole response: the status with its reason, a short body, and `connection: close`.
fn response(status: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let body = format!("{status} {reason} (firedrill: fail fault)\n");
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_request_gets_the_status_until_the_task_ends_and_the_port_closes() {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let listen = free.local_addr().unwrap().to_string();
        drop(free);
        let answering = answer(&listen, Reply::Status(503)).await.unwrap();
        for _ in 0..2 {
            let response = reqwest::get(format!("http://{listen}/metrics"))
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 503);
            assert!(response
                .text()
                .await
                .unwrap()
                .contains("503 Service Unavailable"));
        }
        answering.abort();
        let _ = answering.await;
        assert!(
            tokio::net::TcpStream::connect(&listen).await.is_err(),
            "the port still accepts connections"
        );
    }

    #[tokio::test]
    async fn a_silent_stand_in_accepts_connections_and_never_answers() {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let listen = free.local_addr().unwrap().to_string();
        drop(free);
        let holding = answer(&listen, Reply::Nothing).await.unwrap();
        let client = reqwest::Client::new();
        let err = client
            .get(format!("http://{listen}/metrics"))
            .timeout(std::time::Duration::from_millis(300))
            .send()
            .await
            .unwrap_err();
        assert!(err.is_timeout(), "{err}");
        holding.abort();
        let _ = holding.await;
    }
}
