//! What a backend hands back when it has launched a stack: the handle that owns the run
//! (logs, exit status, shutdown, removal on drop) and where each component answers.

use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use super::{NotReady, WaitFor};
use crate::spec::ComponentKind;

/// What a backend launched: the handle that owns it and where each component answers.
pub(crate) struct Launched {
    /// Owns the run: logs, exit status, shutdown; removes the run on drop.
    pub(crate) handle: Box<dyn StackHandle>,
    /// Every launched component, in the plan's order.
    pub(crate) components: Vec<LaunchedComponent>,
    /// When Prometheus was started.
    pub(crate) prometheus_started: Instant,
}

/// A launched component and where the harness reaches it.
#[derive(Debug, Clone)]
pub(crate) struct LaunchedComponent {
    /// The component's name.
    pub(crate) name: String,
    /// Its kind.
    pub(crate) kind: ComponentKind,
    /// `host:port` at which the harness reaches its main port.
    pub(crate) address: String,
    /// How the harness tells it is ready.
    pub(crate) probe: WaitFor,
    /// What it runs as, put before the reason it did not start (`container x (image y) `).
    pub(crate) what: String,
    /// `host:port` of every further replica of an app (each further pod of a Deployment or
    /// StatefulSet with `replicas` > 1); empty for a component running one pod.
    pub(crate) replicas: Vec<String>,
}

/// A running stack's backend side.
pub(crate) trait StackHandle: Send + Sync + std::fmt::Debug {
    /// Every component's log so far, as (component, text).
    fn logs(&self) -> BoxFuture<'_, Vec<(String, String)>>;

    /// Resolves once `component` has stopped running (or cannot run), with how.
    fn exited<'a>(&'a self, component: &'a str) -> BoxFuture<'a, String>;

    /// Waits until `component` is ready, it exits, or `timeout` passes.
    fn wait_ready<'a>(
        &'a mut self,
        component: &'a LaunchedComponent,
        timeout: Duration,
    ) -> BoxFuture<'a, std::result::Result<Duration, NotReady>> {
        Box::pin(async move {
            tokio::select! {
                waited = component.probe.wait(&component.address, timeout, || Ok(())) => waited,
                how = self.exited(&component.name) => Err(NotReady::Exited(how)),
            }
        })
    }

    /// Does `fault` to `component` (a component's name in the plan); `Ok` with what was done
    /// once it holds (stopped, killed, paused, running again and answering), `Err` with why
    /// not. By default the backend cannot.
    fn fault<'a>(
        &'a self,
        component: &'a str,
        fault: super::Fault,
    ) -> BoxFuture<'a, std::result::Result<String, String>> {
        let _ = component;
        Box::pin(async move { Err(format!("this backend cannot {fault} a component yet")) })
    }

    /// What to do when a component does not become ready.
    fn start_hint(&self) -> &'static str {
        "read the log above; FIREDRILL_START_TIMEOUT (seconds) raises the deadline"
    }

    /// Stops every component gracefully and removes what the run created (unless kept).
    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// Runs `teardown` to its end on a thread of its own with its own runtime, and waits for it:
/// a handle's `Drop` works so whatever runtime (or none) drops the stack, also while a test
/// panics. Where the thread cannot start, `cannot_start` says so and how to clean up by hand.
#[cfg(feature = "docker")]
pub(crate) fn teardown_on_own_thread(
    thread: &str,
    teardown: impl std::future::Future<Output = ()> + Send + 'static,
    cannot_start: impl FnOnce(std::io::Error),
) {
    let worker = std::thread::Builder::new()
        .name(thread.to_string())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(teardown);
            Ok::<(), std::io::Error>(())
        });
    match worker {
        Ok(handle) => {
            if let Ok(Err(e)) = handle.join() {
                cannot_start(e);
            }
        }
        Err(e) => cannot_start(e),
    }
}
