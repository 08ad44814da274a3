//! Opening the start-up gate ([`crate::plan::startup`]): once Prometheus has discovered its
//! targets and scraped each of them once, one sample of `firedrill_startup_gate` is pushed
//! to it by remote write, and from its next evaluation on, its rules see the stack as it is,
//! never the gap before the first scrape as absent series. Done by the session, in the
//! background, from the moment the stack is ready.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::backend::RunningStack;
use crate::clients::{PrometheusClient, WriteSeries};
use crate::plan::startup::GATE;
use crate::plan::Timings;
use crate::time::unix_millis;

/// How often the targets are read while the gate waits.
const EVERY: Duration = Duration::from_millis(50);

/// When and why the gate opened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GateOpened {
    /// How long after the session started, in milliseconds.
    pub after_ms: u64,
    /// Every target scraped once (`None`), or what was still not when the wait gave up.
    pub unscraped: Option<String>,
}

/// Opens the gate in the background; stops when dropped.
#[derive(Debug)]
pub(crate) struct StartupGate {
    task: Option<tokio::task::JoinHandle<()>>,
    opened: Arc<Mutex<Option<GateOpened>>>,
}

impl StartupGate {
    /// Starts waiting for the first scrapes of `stack`, when its plan gates the rules.
    pub(crate) fn start(stack: &RunningStack) -> Self {
        let opened = Arc::new(Mutex::new(None));
        if !stack.plan().startup_gate {
            return Self { task: None, opened };
        }
        let prometheus = PrometheusClient::new(&stack.endpoints().prometheus);
        let timings = stack.plan().timings;
        let record = Arc::clone(&opened);
        let task = tokio::spawn(async move {
            if let Some(gate) = open(&prometheus, timings).await {
                *record.lock().unwrap_or_else(|p| p.into_inner()) = Some(gate);
            }
        });
        Self {
            task: Some(task),
            opened,
        }
    }

    /// When the gate opened, once it has.
    pub(crate) fn opened(&self) -> Option<GateOpened> {
        self.opened
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for StartupGate {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Waits until Prometheus has scraped every target once (at most its discovery floor and
/// three scrape intervals), then pushes the gate's sample until Prometheus takes it; when it
/// opened, or `None` when Prometheus never took it.
async fn open(prometheus: &PrometheusClient, timings: Timings) -> Option<GateOpened> {
    // Discovery lists the targets after its floor; each is scraped within its interval.
    let wait = Timings::DISCOVERY_FLOOR + 3 * timings.scrape_interval + Duration::from_secs(5);
    let started = Instant::now();
    let unscraped = loop {
        let left = match every_target_scraped(prometheus).await {
            Ok(()) => break None,
            Err(left) => left,
        };
        if started.elapsed() >= wait {
            break Some(left);
        }
        tokio::time::sleep(EVERY).await;
    };
    // Pushed until Prometheus takes it (it may still be starting its receiver).
    loop {
        let now = WriteSeries {
            labels: vec![("__name__".to_string(), GATE.to_string())],
            samples: vec![(unix_millis(SystemTime::now()) as i64, 1.0)],
        };
        match prometheus.remote_write(&[now]).await {
            Ok(()) => break,
            Err(e) => {
                tracing::debug!(error = %e, "pushing the start-up gate");
                if started.elapsed() >= 2 * wait {
                    tracing::warn!(error = %e, "the start-up gate could not be pushed");
                    return None;
                }
            }
        }
        tokio::time::sleep(EVERY).await;
    }
    Some(GateOpened {
        after_ms: started.elapsed().as_millis() as u64,
        unscraped,
    })
}

/// Opens the gate again after Prometheus was restarted by a fault: its latch
/// (`firedrill_started`) holds only while its last sample is within the lookback delta, and
/// a restart longer than that would close the gate and silence every gated rule. `Ok` with
/// what was done, or at once when the plan has no gate.
pub(crate) async fn reopen(stack: &RunningStack) -> Result<String, String> {
    if !stack.plan().startup_gate {
        return Ok(String::new());
    }
    let prometheus = PrometheusClient::new(&stack.endpoints().prometheus);
    match open(&prometheus, stack.plan().timings).await {
        Some(GateOpened {
            unscraped: None,
            after_ms,
        }) => Ok(format!(
            "; the start-up gate pushed again once every target was scraped ({:.1} s)",
            after_ms as f64 / 1000.0
        )),
        Some(GateOpened {
            unscraped: Some(left),
            ..
        }) => Ok(format!(
            "; the start-up gate pushed again, though not every target was scraped ({left})"
        )),
        None => Err("prometheus did not take the start-up gate again after its restart".into()),
    }
}

/// One look at Prometheus's targets: `Ok` once it has discovered some and scraped each once
/// (none `unknown`), else what is still missing.
pub(crate) async fn every_target_scraped(prometheus: &PrometheusClient) -> Result<(), String> {
    match prometheus.targets().await {
        Err(e) => Err(e.to_string()),
        Ok(targets) if targets.is_empty() => {
            Err("prometheus has discovered no target yet".to_string())
        }
        Ok(targets) => {
            let unscraped: Vec<String> = targets
                .iter()
                .filter(|t| t.health == "unknown")
                .map(|t| format!("{} {}", t.scrape_pool, t.scrape_url))
                .collect();
            if unscraped.is_empty() {
                Ok(())
            } else {
                Err(format!("not scraped yet: {}", unscraped.join(", ")))
            }
        }
    }
}
