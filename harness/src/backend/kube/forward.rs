//! Reaching pods from the harness: a listener on 127.0.0.1 per component whose every
//! connection is port-forwarded (through the API server) to the component's pod. A fault
//! that replaces the pod (a restart) points the same listener at the new one.

use std::sync::{Arc, RwLock};

use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::Client;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::error::{Error, Result};

/// A local port forwarding to a pod's port; stops when dropped.
#[derive(Debug)]
pub struct Forward {
    address: String,
    target: PodTarget,
    task: JoinHandle<()>,
}

/// The pod a forward reaches, shared with whoever may replace it: each new connection goes
/// to the pod named at that moment.
#[derive(Debug, Clone)]
pub struct PodTarget(Arc<RwLock<String>>);

impl PodTarget {
    fn new(pod: &str) -> Self {
        Self(Arc::new(RwLock::new(pod.to_string())))
    }

    /// The pod's name.
    pub fn get(&self) -> String {
        match self.0.read() {
            Ok(pod) => pod.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Points every later connection at `pod`.
    pub fn set(&self, pod: &str) {
        let mut current = match self.0.write() {
            Ok(current) => current,
            Err(poisoned) => poisoned.into_inner(),
        };
        *current = pod.to_string();
    }
}

impl Forward {
    /// Listens on a free port of 127.0.0.1 and forwards each connection to `pod`'s `port`.
    pub async fn start(client: Client, namespace: &str, pod: &str, port: u16) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Error::io("binding a port-forward listener on 127.0.0.1", e))?;
        let address = listener
            .local_addr()
            .map_err(|e| Error::io("reading a port-forward listener's address", e))?
            .to_string();
        let pods: Api<Pod> = Api::namespaced(client, namespace);
        let target = PodTarget::new(pod);
        let current = target.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((connection, _)) = listener.accept().await else {
                    break;
                };
                let pods = pods.clone();
                let pod = current.get();
                tokio::spawn(async move {
                    if let Err(e) = forward_one(connection, &pods, &pod, port).await {
                        tracing::debug!(pod, port, error = %e, "port-forward connection ended");
                    }
                });
            }
        });
        Ok(Self {
            address,
            target,
            task,
        })
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The pod it reaches, to be replaced when the pod is.
    pub fn target(&self) -> PodTarget {
        self.target.clone()
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward_one(
    mut connection: TcpStream,
    pods: &Api<Pod>,
    pod: &str,
    port: u16,
) -> std::result::Result<(), String> {
    let mut forwarder = pods
        .portforward(pod, &[port])
        .await
        .map_err(|e| e.to_string())?;
    let mut upstream = forwarder
        .take_stream(port)
        .ok_or("the port-forward gave no stream")?;
    tokio::io::copy_bidirectional(&mut connection, &mut upstream)
        .await
        .map_err(|e| e.to_string())?;
    drop(upstream);
    forwarder.abort();
    Ok(())
}
