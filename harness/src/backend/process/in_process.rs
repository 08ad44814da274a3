//! The seed's app (`echo_server:latest`) served inside firedrill itself, on a thread of its
//! own: a downstream crate's tests need no `firedrill` executable to run it.
//!
//! The thread has its own runtime, so the app lives as long as the stack, whichever runtime
//! (or test) started it. The listener is bound before the thread starts: once the app is
//! running, the port is provably ours. Stopping is a signal plus a bounded join.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The app's thread: stopped on [`InProcessApp::stop`] or on drop.
#[derive(Debug)]
pub(crate) struct InProcessApp {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Why the app ended, once it has.
    ended: Arc<Mutex<Option<String>>>,
}

impl InProcessApp {
    /// Serves the app on `listener` (the port's reservation), else on `listen`
    /// (`127.0.0.1:PORT`), bound now; `log_path` gets the app's log (its listening line, and
    /// how it ended).
    pub(crate) fn start(
        name: &str,
        listen: &str,
        listener: Option<TcpListener>,
        log_path: &Path,
        append: bool,
    ) -> Result<Self> {
        let listener = match listener {
            Some(listener) => listener,
            None => TcpListener::bind(listen).map_err(|e| {
                Error::start(
                    name,
                    format!("could not listen on {listen}: {e}"),
                    "another program took the port firedrill reserved; run again",
                )
            })?,
        };
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io("making the app's listener non-blocking", e))?;
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(log_path)
            .map_err(|e| Error::io(format!("creating {}", log_path.display()), e))?;
        let _ = writeln!(
            log,
            "listening on {listen} (the seed's app, served inside firedrill)"
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let ended = Arc::new(Mutex::new(None));
        let ended_in_thread = Arc::clone(&ended);
        let thread = std::thread::Builder::new()
            .name(format!("firedrill-{name}"))
            .spawn(move || {
                let outcome = serve(listener, stopped);
                let _ = writeln!(log, "{outcome}");
                *ended_in_thread
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(outcome);
            })
            .map_err(|e| Error::io("starting the app's thread", e))?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
            ended,
        })
    }

    /// `Err(reason)` once the app has ended.
    pub(crate) fn alive(&self) -> std::result::Result<(), String> {
        match self
            .ended
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
        {
            None => Ok(()),
            Some(reason) => Err(reason),
        }
    }

    /// Asks the app to stop, without waiting.
    pub(crate) fn signal_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Stops the app and waits up to `grace` for its thread (in-flight requests finish).
    pub(crate) async fn stop(&mut self, grace: Duration) {
        self.signal_stop();
        let deadline = Instant::now() + grace;
        while self.thread.as_ref().is_some_and(|t| !t.is_finished()) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if let Some(thread) = self.thread.take_if(|t| t.is_finished()) {
            let _ = thread.join();
        }
    }
}

impl Drop for InProcessApp {
    fn drop(&mut self) {
        // The thread ends by itself once signalled; never block or panic here.
        self.signal_stop();
    }
}

/// Serves until `stopped` fires (or its sender is dropped); returns how it ended.
fn serve(listener: TcpListener, stopped: tokio::sync::oneshot::Receiver<()>) -> String {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return format!("could not start its runtime: {e}"),
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(e) => return format!("could not use its listener: {e}"),
        };
        let shutdown = async {
            let _ = stopped.await;
        };
        match echo_server::serve_with_shutdown(listener, shutdown).await {
            Ok(()) => "stopped".to_string(),
            Err(e) => format!("ended with an error: {e}"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free_address() -> String {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().to_string()
    }

    #[tokio::test]
    async fn the_app_answers_counts_and_stops_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let address = free_address();
        let mut app =
            InProcessApp::start("echo", &address, None, &dir.path().join("echo.log"), false)
                .unwrap();
        let client = reqwest::Client::new();
        let hello = client
            .get(format!("http://{address}/hello"))
            .send()
            .await
            .unwrap();
        assert_eq!(hello.status(), 200);
        let metrics = client
            .get(format!("http://{address}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(metrics.contains("api_request_total 1"), "{metrics}");
        assert_eq!(app.alive(), Ok(()));

        app.stop(Duration::from_secs(5)).await;
        assert_eq!(app.alive(), Err("stopped".to_string()));
        assert!(
            client
                .get(format!("http://{address}/hello"))
                .send()
                .await
                .is_err(),
            "the app still answers after stop"
        );
        let log = std::fs::read_to_string(dir.path().join("echo.log")).unwrap();
        assert!(log.contains(&format!("listening on {address}")), "{log}");
    }

    #[tokio::test]
    async fn the_app_serves_on_the_reserved_listener_it_is_handed() {
        let dir = tempfile::tempdir().unwrap();
        let reserved = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = reserved.local_addr().unwrap().to_string();
        // Handed over, the port is never free: binding it again must not be needed.
        let mut app = InProcessApp::start(
            "echo",
            &address,
            Some(reserved),
            &dir.path().join("echo.log"),
            false,
        )
        .unwrap();
        let hello = reqwest::get(format!("http://{address}/hello"))
            .await
            .unwrap();
        assert_eq!(hello.status(), 200);
        app.stop(Duration::from_secs(5)).await;
    }

    #[test]
    fn a_taken_port_fails_the_start_naming_the_address() {
        let dir = tempfile::tempdir().unwrap();
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap().to_string();
        let error =
            InProcessApp::start("echo", &address, None, &dir.path().join("echo.log"), false)
                .unwrap_err()
                .to_string();
        assert!(error.contains(&address), "{error}");
    }

    #[test]
    fn the_app_outlives_the_runtime_that_started_it_and_stops_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let address = free_address();
        let app = tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async {
                InProcessApp::start("echo", &address, None, &dir.path().join("l"), false)
            })
            .unwrap();
        let answered = std::net::TcpStream::connect(&address).is_ok();
        let ended = Arc::clone(&app.ended);
        drop(app);
        assert!(answered, "the app died with the runtime that started it");
        let deadline = Instant::now() + Duration::from_secs(5);
        while ended.lock().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the app did not stop on drop");
            std::thread::yield_now();
        }
    }
}
