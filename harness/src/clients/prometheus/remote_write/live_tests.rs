//! Remote write into a real Prometheus (the installed one, `FIREDRILL_PROMETHEUS_BIN` or
//! `prometheus` on PATH, 2.25 to 2.42 for `--enable-feature=remote-write-receiver`): what
//! `firedrill test` relies on when it pushes a test's samples up front, timestamps in the
//! future and staleness markers included. A missing binary fails these tests, naming how to
//! install one; it never lets them pass.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::*;
use crate::tools::{find_binary, Component};

/// How long Prometheus may take to answer `/-/ready`.
const READY_DEADLINE: Duration = Duration::from_secs(30);

/// A Prometheus started for one test, with its own storage; killed when dropped.
struct LivePrometheus {
    child: Child,
    client: PrometheusClient,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl LivePrometheus {
    /// Starts Prometheus with the remote write receiver on a free port and waits until it
    /// is ready. The port is free when chosen and released just before Prometheus binds it,
    /// so another program may take it in between: then Prometheus starts again on another.
    async fn start() -> Self {
        let binary = find_binary(Component::Prometheus).unwrap_or_else(|error| {
            panic!("these tests push samples into a real Prometheus 2.x: {error}")
        });
        let mut tries = 1;
        loop {
            let mut prometheus = Self::spawn(&binary);
            match prometheus.wait_ready().await {
                Ok(()) => return prometheus,
                Err(why) if prometheus.log().contains("address already in use") && tries < 3 => {
                    tries += 1;
                    eprintln!("{why}; starting it again on another port");
                }
                Err(why) => panic!("{why}; its log:\n{}", prometheus.log()),
            }
        }
    }

    fn spawn(binary: &std::path::Path) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(&config, "global:\n  scrape_interval: 15s\n").expect("write the config");
        let log = dir.path().join("prometheus.log");
        let log_file = std::fs::File::create(&log).expect("create the log file");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let address = listener.local_addr().expect("local address");
        drop(listener);
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={address}"))
            .arg("--enable-feature=remote-write-receiver")
            .args(
                std::env::var("SCRATCH_ARGS")
                    .ok()
                    .into_iter()
                    .flat_map(|a| a.split(' ').map(String::from).collect::<Vec<_>>()),
            )
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("clone the log file"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", binary.display()));
        LivePrometheus {
            child,
            client: PrometheusClient::new(&format!("http://{address}"))
                .with_timeout(Duration::from_secs(2)),
            log,
            _dir: dir,
        }
    }

    /// Polls `/-/ready` until it answers 2xx (`Ok`), the process exits, or the deadline
    /// passes (`Err` saying which).
    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_DEADLINE;
        let mut poll = tokio::time::interval(Duration::from_millis(50));
        loop {
            poll.tick().await;
            if let Some(status) = self.child.try_wait().expect("poll the process") {
                return Err(format!("prometheus exited ({status}) before it was ready"));
            }
            if self.client.ready().await.unwrap_or(false) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "prometheus was not ready within {READY_DEADLINE:?}"
                ));
            }
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for LivePrometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Unix milliseconds now.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_millis() as i64
}

/// Waits until the wall clock has passed `at_ms`.
async fn wall_clock_past(at_ms: i64) {
    let wait = at_ms + 1 - now_ms();
    if wait > 0 {
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    }
}

fn one(name: &str, samples: Vec<(i64, f64)>) -> WriteSeries {
    WriteSeries {
        labels: vec![
            ("__name__".into(), name.into()),
            ("case".into(), "live".into()),
        ],
        samples,
    }
}

/// The value of `expr` at `at_ms`: `None` when Prometheus has none, a panic naming the
/// time when it has several.
async fn value_at(prometheus: &LivePrometheus, expr: &str, at_ms: i64) -> Option<f64> {
    let samples = prometheus
        .client
        .query_at(expr, at_ms)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(
        samples.len() <= 1,
        "{expr} at {at_ms}: more than one series: {samples:?}"
    );
    samples.first().map(|sample| sample.value)
}

#[tokio::test]
async fn pushed_samples_are_seen_once_their_time_comes_and_gone_after_the_stale_marker() {
    let prometheus = LivePrometheus::start().await;
    let now = now_ms();
    // now+0.5 s ... now+3 s every 250 ms, then the staleness marker.
    let samples: Vec<(i64, f64)> = (0..=10)
        .map(|step| (now + 500 + step * 250, step as f64 + 0.5))
        .collect();
    let last = samples.last().expect("samples").0;
    let stale_at = last + 250;
    let mut pushed = samples.clone();
    pushed.push((stale_at, stale_marker()));
    prometheus
        .client
        .remote_write(&[one("firedrill_pushed", pushed)])
        .await
        .unwrap_or_else(|error| panic!("{error}\nits log:\n{}", prometheus.log()));

    let before = now + 499;
    wall_clock_past(before).await;
    assert_eq!(
        value_at(&prometheus, "firedrill_pushed", before).await,
        None,
        "a value 1 ms before the first sample"
    );
    for &(at, value) in &samples {
        wall_clock_past(at).await;
        assert_eq!(
            value_at(&prometheus, "firedrill_pushed", at).await,
            Some(value),
            "at the sample {at} (now+{} ms)",
            at - now
        );
    }
    // Between the last sample and the marker the last value holds (lookback).
    assert_eq!(
        value_at(&prometheus, "firedrill_pushed", last + 200).await,
        Some(10.5)
    );
    wall_clock_past(stale_at + 1_000).await;
    for at in [stale_at, stale_at + 1_000] {
        assert_eq!(
            value_at(&prometheus, "firedrill_pushed", at).await,
            None,
            "a value at {at}, at or after the staleness marker at {stale_at}"
        );
    }
}

#[tokio::test]
async fn a_sample_an_hour_older_than_the_newest_is_refused_with_prometheus_reason() {
    let prometheus = LivePrometheus::start().await;
    let now = now_ms();
    prometheus
        .client
        .remote_write(&[one("firedrill_new", vec![(now, 1.0)])])
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let old = now - 2 * 3_600_000;
    let error = prometheus
        .client
        .remote_write(&[one("firedrill_old", vec![(old, 1.0)])])
        .await
        .expect_err("a sample two hours before the newest is out of bounds");
    assert_eq!(error.status(), Some(400), "{error}");
    assert_eq!(
        error.to_string(),
        "POST /api/v1/write: http status 400: out of bounds"
    );
}

#[tokio::test]
async fn a_sample_older_than_its_series_latest_is_refused_as_out_of_order() {
    let prometheus = LivePrometheus::start().await;
    let now = now_ms();
    prometheus
        .client
        .remote_write(&[one("firedrill_order", vec![(now, 1.0)])])
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let error = prometheus
        .client
        .remote_write(&[one("firedrill_order", vec![(now - 1_000, 2.0)])])
        .await
        .expect_err("a sample before the series' latest");
    assert!(
        error
            .to_string()
            .ends_with("http status 400: out of order sample"),
        "{error}"
    );
}

#[tokio::test]
async fn a_sample_ten_minutes_in_the_future_is_accepted_and_queried_at_its_time() {
    let prometheus = LivePrometheus::start().await;
    let ahead = now_ms() + 10 * 60_000;
    prometheus
        .client
        .remote_write(&[one("firedrill_ahead", vec![(ahead, 7.0)])])
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        value_at(&prometheus, "firedrill_ahead", ahead).await,
        Some(7.0)
    );
    assert_eq!(
        value_at(&prometheus, "firedrill_ahead", ahead - 1).await,
        None
    );
}

#[tokio::test]
async fn the_same_series_pushed_twice_in_time_order_keeps_both_pushes() {
    let prometheus = LivePrometheus::start().await;
    let now = now_ms();
    for (at, value) in [(now, 1.0), (now + 1_000, 2.0)] {
        prometheus
            .client
            .remote_write(&[one("firedrill_twice", vec![(at, value)])])
            .await
            .unwrap_or_else(|error| panic!("push of {value}: {error}"));
    }
    assert_eq!(
        value_at(&prometheus, "firedrill_twice", now).await,
        Some(1.0)
    );
    assert_eq!(
        value_at(&prometheus, "firedrill_twice", now + 1_000).await,
        Some(2.0)
    );
}

#[tokio::test]
async fn a_push_spanning_two_hours_over_several_requests_is_stored_whole() {
    let prometheus = LivePrometheus::start().await;
    let now = now_ms();
    // Two series, one sample a second for two hours: 14,400 samples, two requests. Sent
    // series by series, the second series' first hour would be out of bounds.
    let span: Vec<i64> = (0..7_200).map(|second| now + second * 1_000).collect();
    let pushed: Vec<WriteSeries> = ["a", "b"]
        .iter()
        .map(|name| WriteSeries {
            labels: vec![
                ("__name__".into(), "firedrill_span".into()),
                ("series".into(), name.to_string()),
            ],
            samples: span.iter().map(|&at| (at, (at - now) as f64)).collect(),
        })
        .collect();
    assert!(split_requests(&pushed, MAX_SAMPLES_PER_REQUEST).len() > 1);
    prometheus
        .client
        .remote_write(&pushed)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    for name in ["a", "b"] {
        let expr = format!("firedrill_span{{series=\"{name}\"}}");
        for &at in [span[0], span[3_600], span[7_199]].iter() {
            assert_eq!(
                value_at(&prometheus, &expr, at).await,
                Some((at - now) as f64),
                "{expr} at now+{} ms",
                at - now
            );
        }
    }
}
