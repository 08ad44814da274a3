//! Reaching pods from the harness: a listener on 127.0.0.1 per component whose every
//! connection is port-forwarded (through the API server) to the component's pod.

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
    task: JoinHandle<()>,
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
        let pod = pod.to_string();
        let task = tokio::spawn(async move {
            loop {
                let Ok((connection, _)) = listener.accept().await else {
                    break;
                };
                let pods = pods.clone();
                let pod = pod.clone();
                tokio::spawn(async move {
                    if let Err(e) = forward_one(connection, &pods, &pod, port).await {
                        tracing::debug!(pod, port, error = %e, "port-forward connection ended");
                    }
                });
            }
        });
        Ok(Self { address, task })
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> &str {
        &self.address
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
