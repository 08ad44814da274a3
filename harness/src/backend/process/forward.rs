//! Each pod's own address on the process backend. Kubernetes discovery hands out pod IPs,
//! and a stack's relabelling rewrites them (`<pod ip>:<prometheus.io/port>`); so that such an
//! address answers as in a cluster, each pod of a stack that uses discovery gets a loopback
//! address of its own (`127.x.y.z`: all of 127.0.0.0/8 is local on Linux), where every
//! declared container port of the pod is forwarded to the port its container really
//! listens on (`127.0.0.1:PORT`).
//!
//! A workload running several pods has one more forward per container port: the port its
//! peers reach it at (a Service's address) hands each connection to the next pod in turn,
//! as kube-proxy spreads a Service's connections across its endpoints.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How many addresses are tried before giving up (another stack may hold one).
const ATTEMPTS: u32 = 64;

/// Binds every one of `ports` on a loopback address no other pod (of this or another stack)
/// holds: the address and the listeners, in `ports`' order.
pub(crate) fn bind_pod(ports: &[u16]) -> io::Result<(Ipv4Addr, Vec<TcpListener>)> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let base = std::process::id().wrapping_mul(2_654_435_761);
    let mut last = io::Error::new(io::ErrorKind::AddrInUse, "no loopback address was free");
    for _ in 0..ATTEMPTS {
        let n = base.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed).wrapping_mul(40_503));
        // 127.16.0.0 - 127.254.255.255: clear of 127.0.0.1 and the low addresses other
        // programs use.
        let ip = Ipv4Addr::new(
            127,
            16 + (n % 239) as u8,
            (n >> 8) as u8,
            1 + (n >> 16) as u8 % 254,
        );
        match ports
            .iter()
            .map(|port| TcpListener::bind((ip, *port)))
            .collect::<io::Result<Vec<_>>>()
        {
            Ok(listeners) => return Ok((ip, listeners)),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Forwarders from pods' own addresses to where their containers listen; they stop when
/// dropped.
#[derive(Debug)]
pub(crate) struct Forwarders {
    stop: Arc<AtomicBool>,
    addresses: Vec<SocketAddr>,
}

impl Forwarders {
    /// Forwards every connection accepted on each listener to its targets, in turn.
    pub(crate) fn start(pairs: Vec<(TcpListener, Vec<SocketAddr>)>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let mut addresses = Vec::new();
        for (listener, targets) in pairs {
            if targets.is_empty() {
                continue;
            }
            if let Ok(address) = listener.local_addr() {
                addresses.push(address);
            }
            let stop = stop.clone();
            let shown = targets[0];
            let spawned = std::thread::Builder::new()
                .name("firedrill-pod-forward".into())
                .spawn(move || {
                    for (n, client) in listener.incoming().enumerate() {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let target = targets[n % targets.len()];
                        if let Ok(client) = client {
                            let _ = std::thread::Builder::new()
                                .name("firedrill-pod-conn".into())
                                .spawn(move || relay(client, target));
                        }
                    }
                });
            if spawned.is_err() {
                tracing::warn!("no thread to forward a pod's port to {shown}");
            }
        }
        Self { stop, addresses }
    }
}

impl Drop for Forwarders {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes each accept loop, which then sees the flag and returns, closing its port.
        for address in &self.addresses {
            let _ = TcpStream::connect_timeout(address, Duration::from_millis(100));
        }
    }
}

/// Copies both ways until either side closes.
fn relay(client: TcpStream, target: SocketAddr) {
    let Ok(server) = TcpStream::connect_timeout(&target, Duration::from_secs(2)) else {
        return;
    };
    let (Ok(mut client_read), Ok(mut server_write)) = (client.try_clone(), server.try_clone())
    else {
        return;
    };
    let upstream = std::thread::Builder::new()
        .name("firedrill-pod-conn".into())
        .spawn(move || {
            let _ = io::copy(&mut client_read, &mut server_write);
            let _ = server_write.shutdown(std::net::Shutdown::Write);
        });
    let (mut server_read, mut client_write) = (server, client);
    let _ = io::copy(&mut server_read, &mut client_write);
    let _ = client_write.shutdown(std::net::Shutdown::Write);
    if let Ok(upstream) = upstream {
        let _ = upstream.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_pods_own_address_answers_on_its_port_with_what_the_container_serves() {
        let container = TcpListener::bind("127.0.0.1:0").unwrap();
        let target = container.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut conn, _) = container.accept().unwrap();
            let mut buf = [0u8; 4];
            conn.read_exact(&mut buf).unwrap();
            conn.write_all(b"pong").unwrap();
        });
        let free = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (ip, listeners) = bind_pod(&[free]).unwrap();
        assert_ne!(ip, Ipv4Addr::LOCALHOST);
        let forwarders =
            Forwarders::start(listeners.into_iter().map(|l| (l, vec![target])).collect());
        let mut conn = TcpStream::connect((ip, free)).unwrap();
        conn.write_all(b"ping").unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        assert_eq!(answer, "pong");
        drop(forwarders);
        // The port is closed once the accept loop has seen the flag.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while TcpStream::connect((ip, free)).is_ok() {
            assert!(
                std::time::Instant::now() < deadline,
                "{ip}:{free} still accepts"
            );
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_services_port_hands_each_connection_to_the_next_pod_in_turn() {
        let pods: Vec<TcpListener> = (0..3)
            .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        let targets: Vec<SocketAddr> = pods.iter().map(|p| p.local_addr().unwrap()).collect();
        for (i, pod) in pods.into_iter().enumerate() {
            std::thread::spawn(move || {
                for conn in pod.incoming() {
                    let _ = conn.unwrap().write_all(format!("pod {i}").as_bytes());
                }
            });
        }
        let service = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = service.local_addr().unwrap();
        let _forwarders = Forwarders::start(vec![(service, targets)]);
        let answers: Vec<String> = (0..6)
            .map(|_| {
                let mut answer = String::new();
                TcpStream::connect(address)
                    .unwrap()
                    .read_to_string(&mut answer)
                    .unwrap();
                answer
            })
            .collect();
        assert_eq!(
            answers,
            ["pod 0", "pod 1", "pod 2", "pod 0", "pod 1", "pod 2"],
            "each connection goes to the next pod"
        );
    }
}
