//! Readiness of a child process, proven to be ours.
//!
//! Ports are reserved, then released just before the components bind them: in parallel runs
//! another stack's server may take a port first. So every poll checks liveness first (an
//! exited child fails at once, with its exit status), and a server that answers the readiness
//! probe only counts once it proves to be our child: Prometheus reports our `config.file`
//! (`/api/v1/status/flags`, a path inside this stack's work dir); any other component holds
//! the listening socket itself (on Linux, the socket's inode is one of the child's, or its
//! descendants', open files).

use std::time::{Duration, Instant};

use super::child::ManagedChild;
use crate::backend::{readiness_of, NotReady, WaitFor};
use crate::spec::ComponentKind;

/// How a server answering on our port proves it is our child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Identity {
    /// Prometheus's `/api/v1/status/flags` reports this `config.file`.
    PrometheusConfigFile(String),
    /// The listening socket belongs to the child or one of its descendants.
    HoldsTheListener,
}

impl Identity {
    /// The proof for a component of `kind` started with `args`.
    pub(crate) fn of(kind: ComponentKind, args: &[String]) -> Self {
        match (kind, flag_value(args, "--config.file")) {
            (ComponentKind::Prometheus, Some(path)) => Identity::PrometheusConfigFile(path),
            _ => Identity::HoldsTheListener,
        }
    }

    /// `Err(why not)` when the server at `address` is not the process `pid`.
    async fn check(&self, client: &reqwest::Client, address: &str, pid: u32) -> Result<(), String> {
        match self {
            Identity::PrometheusConfigFile(ours) => {
                let url = format!("http://{address}/api/v1/status/flags");
                let flags: serde_json::Value = client
                    .get(&url)
                    .timeout(Duration::from_secs(2))
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| format!("GET {url} failed: {e}"))?
                    .json()
                    .await
                    .map_err(|e| format!("GET {url} answered no JSON: {e}"))?;
                let theirs = flags.pointer("/data/config.file").and_then(|v| v.as_str());
                if theirs == Some(ours.as_str()) {
                    Ok(())
                } else {
                    Err(format!(
                        "the server on {address} is not this stack's prometheus: its config.file is {}, ours is {ours}",
                        theirs.unwrap_or("<not reported>")
                    ))
                }
            }
            Identity::HoldsTheListener => listener_held_by(address, pid),
        }
    }
}

/// Polls the child until it is ready and proven ours, it exits, or `timeout` passes.
/// Liveness comes first on every poll: an exited child fails at once with its exit status.
pub(crate) async fn wait_until_ours(
    kind: ComponentKind,
    identity: &Identity,
    address: &str,
    child: &mut ManagedChild,
    timeout: Duration,
) -> Result<Duration, NotReady> {
    let probe: WaitFor = readiness_of(kind);
    let client = reqwest::Client::new();
    let pid = child.pid();
    let started = Instant::now();
    let mut pause = Duration::from_millis(20);
    let mut impostor = None;
    loop {
        child.alive().map_err(NotReady::Exited)?;
        if probe.is_ready(&client, address).await {
            let Some(pid) = pid else {
                return Err(NotReady::Exited("exited (no pid)".into()));
            };
            match identity.check(&client, address, pid).await {
                Ok(()) => return Ok(started.elapsed()),
                Err(reason) => impostor = Some(reason),
            }
        }
        if started.elapsed() >= timeout {
            return Err(match impostor {
                Some(reason) => NotReady::NotOurs {
                    waited: timeout,
                    reason,
                },
                None => NotReady::Timeout(timeout),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

/// The value of `--flag=value` or `--flag value` in `args`.
fn flag_value(args: &[String], flag: &str) -> Option<String> {
    let prefix = format!("{flag}=");
    args.iter().enumerate().find_map(|(i, arg)| {
        if let Some(value) = arg.strip_prefix(&prefix) {
            Some(value.to_string())
        } else if arg == flag {
            args.get(i + 1).cloned()
        } else {
            None
        }
    })
}

/// `Ok` when the socket listening on `address`'s port belongs to `pid` or a descendant.
#[cfg(target_os = "linux")]
fn listener_held_by(address: &str, pid: u32) -> Result<(), String> {
    let port = address
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .ok_or_else(|| format!("`{address}` has no port"))?;
    let Some(listeners) = listening_inodes(port) else {
        // No /proc/net/tcp to read (a hardened /proc): the proof cannot be made here.
        tracing::debug!(
            address,
            "cannot read /proc/net/tcp; listener identity not checked"
        );
        return Ok(());
    };
    let ours = socket_inodes_of_tree(pid);
    if listeners.iter().any(|inode| ours.contains(inode)) {
        Ok(())
    } else if listeners.is_empty() {
        Err(format!("nothing of this stack listens on {address} yet"))
    } else {
        Err(format!(
            "the server on {address} is another process, not this stack's child (pid {pid})"
        ))
    }
}

#[cfg(not(target_os = "linux"))]
fn listener_held_by(_address: &str, _pid: u32) -> Result<(), String> {
    Ok(())
}

/// Inodes of the sockets in state LISTEN on `port` (IPv4 and IPv6), `None` when
/// `/proc/net/tcp` cannot be read.
#[cfg(target_os = "linux")]
fn listening_inodes(port: u16) -> Option<Vec<u64>> {
    const LISTEN: &str = "0A";
    let wanted = format!("{port:04X}");
    let mut inodes = Vec::new();
    let mut readable = false;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        readable = true;
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            let local_port = local.rsplit(':').next().unwrap_or("");
            if local_port == wanted && *state == LISTEN {
                if let Ok(inode) = inode.parse() {
                    inodes.push(inode);
                }
            }
        }
    }
    readable.then_some(inodes)
}

/// Inodes of every socket `pid` and its descendants hold open.
#[cfg(target_os = "linux")]
fn socket_inodes_of_tree(pid: u32) -> Vec<u64> {
    let mut inodes = Vec::new();
    let mut pending = vec![pid];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(pid) = pending.pop() {
        if !seen.insert(pid) {
            continue;
        }
        if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
            for fd in fds.flatten() {
                let Ok(target) = std::fs::read_link(fd.path()) else {
                    continue;
                };
                let target = target.to_string_lossy();
                if let Some(inode) = target
                    .strip_prefix("socket:[")
                    .and_then(|rest| rest.strip_suffix(']'))
                    .and_then(|n| n.parse().ok())
                {
                    inodes.push(inode);
                }
            }
        }
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for task in tasks.flatten() {
                if let Ok(children) = std::fs::read_to_string(task.path().join("children")) {
                    pending.extend(
                        children
                            .split_whitespace()
                            .filter_map(|c| c.parse::<u32>().ok()),
                    );
                }
            }
        }
    }
    inodes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::process::launch::{Launch, Program};
    use std::path::PathBuf;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// A child that never binds anything (a component that failed to bind but lives on).
    fn spawn(program: &str, args: &[&str], dir: &std::path::Path) -> ManagedChild {
        let mut launch = Launch {
            program: Program::Executable(PathBuf::from(program)),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
            listen: String::new(),
            listener: None,
            shown_args: String::new(),
        };
        ManagedChild::spawn("component", &mut launch, dir.join("component.log")).unwrap()
    }

    /// Another stack's server: answers every readiness probe (TCP, `/-/ready`).
    async fn impostor(config_file: &str) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/status/flags"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "status": "success",
                "data": {"config.file": config_file}
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        server
    }

    fn address(server: &MockServer) -> String {
        server.address().to_string()
    }

    #[tokio::test]
    async fn another_stacks_prometheus_on_our_port_is_not_taken_for_ours() {
        let dir = tempfile::tempdir().unwrap();
        let server =
            impostor("/tmp/firedrill-other/prometheus/root/etc/prometheus/prometheus.yaml").await;
        let mut child = spawn("sleep", &["30"], dir.path());
        let ours = "/tmp/firedrill-ours/prometheus/root/etc/prometheus/prometheus.yaml";
        let identity = Identity::of(
            ComponentKind::Prometheus,
            &[format!("--config.file={ours}")],
        );
        let waited = wait_until_ours(
            ComponentKind::Prometheus,
            &identity,
            &address(&server),
            &mut child,
            Duration::from_millis(600),
        )
        .await;
        child.stop(Duration::from_secs(1)).await;
        let error = waited
            .expect_err("the impostor was declared ready")
            .to_string();
        assert!(
            error.contains("config.file is /tmp/firedrill-other/") && error.contains(ours),
            "{error}"
        );
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_server_of_another_process_on_an_apps_port_is_not_taken_for_the_app() {
        let dir = tempfile::tempdir().unwrap();
        let server = impostor("unused").await;
        let mut child = spawn("sleep", &["30"], dir.path());
        let waited = wait_until_ours(
            ComponentKind::App,
            &Identity::of(ComponentKind::App, &[]),
            &address(&server),
            &mut child,
            Duration::from_millis(600),
        )
        .await;
        child.stop(Duration::from_secs(1)).await;
        let error = waited
            .expect_err("the impostor was declared ready")
            .to_string();
        assert!(error.contains("another process"), "{error}");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_listener_is_recognised_as_held_by_its_own_process_only() {
        let dir = tempfile::tempdir().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        listener_held_by(&address, std::process::id())
            .unwrap_or_else(|e| panic!("this process's own listener: {e}"));
        let mut child = spawn("sleep", &["30"], dir.path());
        let held = listener_held_by(&address, child.pid().unwrap());
        child.stop(Duration::from_secs(1)).await;
        assert!(held.unwrap_err().contains("another process"));
    }

    #[tokio::test]
    async fn a_child_that_exited_fails_at_once_with_its_status_even_when_the_port_answers() {
        let dir = tempfile::tempdir().unwrap();
        let server = impostor("unused").await;
        let mut child = spawn("sh", &["-c", "exit 3"], dir.path());
        child.wait().await;
        let started = Instant::now();
        let waited = wait_until_ours(
            ComponentKind::Alertmanager,
            &Identity::HoldsTheListener,
            &address(&server),
            &mut child,
            Duration::from_secs(30),
        )
        .await;
        match waited {
            Err(NotReady::Exited(reason)) => assert!(reason.contains("status: 3"), "{reason}"),
            other => panic!("expected the exit to be reported, got {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
