//! The connection to the Docker engine. testcontainers 0.28 pins Docker API 1.53 and never
//! negotiates, so it cannot talk to a Docker 20.10 engine (API 1.41, as on this project's
//! machines); its re-exported bollard client, negotiated down, can.

use std::time::Duration;

pub(crate) use testcontainers::bollard::Docker;

use crate::error::{Error, Result};

/// How long reaching the engine may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// The engine `DOCKER_HOST` names (default: the local socket), as an address for messages.
pub(crate) fn docker_host() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_string())
}

/// Connects to the engine and agrees on an API version it speaks.
pub(crate) async fn connect() -> Result<Docker> {
    let host = docker_host();
    let unreachable = |why: String| {
        Error::start(
            "docker",
            format!("cannot reach the Docker daemon at {host}: {why}"),
            "start Docker (or point DOCKER_HOST at a running engine), or run on the process backend instead: --backend process (FIREDRILL_BACKEND=process)",
        )
    };
    let docker = Docker::connect_with_defaults().map_err(|e| unreachable(e.to_string()))?;
    match tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version()).await {
        Ok(Ok(docker)) => Ok(docker),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!(
            "no answer within {}s",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}
