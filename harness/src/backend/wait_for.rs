//! Readiness as a value: what to poll, and for how long, before a component counts as up.

use std::time::{Duration, Instant};

/// How to tell that a component is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitFor {
    /// An HTTP GET on this path answers 2xx.
    Http {
        /// The path, e.g. `/-/ready`.
        path: String,
    },
    /// An HTTP GET on this path gets an answer, whatever its status: the server is up.
    /// Unlike [`WaitFor::Tcp`] this is not fooled by a port forwarder (Docker's
    /// `docker-proxy`) that accepts connections before the container listens.
    #[cfg(feature = "docker")]
    HttpAnyStatus {
        /// The path, e.g. `/`.
        path: String,
    },
    /// A TCP connection is accepted.
    Tcp,
}

impl WaitFor {
    /// The default deadline for a component to become ready, overridable with
    /// `FIREDRILL_START_TIMEOUT` (seconds).
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

    /// An HTTP readiness path.
    pub fn http(path: &str) -> Self {
        WaitFor::Http {
            path: path.to_string(),
        }
    }

    /// Whether the component at `host:port` is ready now.
    pub async fn is_ready(&self, client: &reqwest::Client, address: &str) -> bool {
        match self {
            WaitFor::Http { path } => client
                .get(format!("http://{address}{path}"))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false),
            #[cfg(feature = "docker")]
            WaitFor::HttpAnyStatus { path } => client
                .get(format!("http://{address}{path}"))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok(),
            WaitFor::Tcp => tokio::net::TcpStream::connect(address).await.is_ok(),
        }
    }

    /// Polls until ready, `alive` says the component died, or the deadline passes.
    /// `alive` returns `Err(reason)` once the component is known dead; it is asked first on
    /// every poll, so a dead component is never declared ready by whatever answers its port.
    pub async fn wait(
        &self,
        address: &str,
        timeout: Duration,
        mut alive: impl FnMut() -> Result<(), String>,
    ) -> Result<Duration, NotReady> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            if let Err(reason) = alive() {
                return Err(NotReady::Exited(reason));
            }
            if self.is_ready(&client, address).await {
                return Ok(started.elapsed());
            }
            if started.elapsed() >= timeout {
                return Err(NotReady::Timeout(timeout));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(250));
        }
    }
}

/// Why a component did not become ready.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotReady {
    /// The deadline passed.
    #[error("not ready within {0:?}")]
    Timeout(Duration),
    /// The component exited first.
    #[error("exited before it was ready: {0}")]
    Exited(String),
    /// Something answered on the component's port, but it was not the component (another
    /// stack's server that took the port first).
    #[error("not ready within {waited:?}: {reason}")]
    NotOurs {
        /// How long the harness waited.
        waited: Duration,
        /// Who answered instead.
        reason: String,
    },
}

/// The readiness probe of a component kind.
pub fn readiness_of(kind: crate::spec::ComponentKind) -> WaitFor {
    use crate::spec::ComponentKind::*;
    match kind {
        Prometheus | Alertmanager => WaitFor::http("/-/ready"),
        Grafana => WaitFor::http("/api/health"),
        App => WaitFor::Tcp,
    }
}
