//! A mock Slack incoming webhook that records every POST it answers.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::slack::message::SlackMessage;
use crate::slack::recorder::{RecordedRequest, FAULT_PATH, RECORDED_PATH};

/// A path shaped like a real incoming webhook, for configs that point at the mock.
pub const MOCK_WEBHOOK_PATH: &str = "/services/T00000000/B00000000/firedrillmocktoken";

/// A request, when the mock answered it, and with which status.
struct Delivery {
    received_at: SystemTime,
    request: Request,
    answered: u16,
    answered_after: Option<Duration>,
}

/// How the mock answers the next POSTs: `status` instead of `200 ok`, or `200 ok` only after
/// `delay` (a slow Slack), for `count` requests (every one when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SlackFault {
    /// The HTTP status to answer (`500`, `429`, `404`, ...; `200` for a slow answer).
    pub status: u16,
    /// How many requests get it; `None`: every one from now on.
    pub count: Option<usize>,
    /// How long the mock waits before it answers. Parsed from `slow=DURATION` in scenario
    /// time; [`SlackFault::scaled`] gives what the mock waits at a time scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<Duration>,
}

impl SlackFault {
    /// `status` for the next `count` requests (every one when `None`), answered at once.
    pub fn status(status: u16, count: Option<usize>) -> Self {
        Self {
            status,
            count,
            delay: None,
        }
    }

    /// `200 ok` after `delay`, for the next `count` requests (every one when `None`).
    pub fn slow(delay: Duration, count: Option<usize>) -> Self {
        Self {
            status: 200,
            count,
            delay: Some(delay),
        }
    }

    /// The fault with its delay, given in scenario time, turned into what the mock waits at
    /// `time_scale` (one scenario second is `1 / time_scale` seconds of wall time).
    pub fn scaled(self, time_scale: f64) -> Self {
        Self {
            delay: self.delay.map(|d| {
                crate::time::PromDuration::new(d)
                    .scaled_down(time_scale)
                    .get()
            }),
            ..self
        }
    }

    /// How the mock answers, in words: `500 to the next 3 requests`, `200 after 30s to every
    /// request` (the delay as given: in scenario time when parsed).
    pub fn answers(self) -> String {
        let answer = match self.delay {
            Some(delay) => format!(
                "{} after {}",
                self.status,
                crate::time::PromDuration::new(delay)
            ),
            None => self.status.to_string(),
        };
        match self.count {
            Some(n) => format!("{answer} to the next {n} requests"),
            None => format!("{answer} to every request"),
        }
    }

    /// The body Slack answers with that status, as its webhooks document them.
    fn body(self) -> &'static str {
        match self.status {
            200..=299 => "ok",
            400 => "invalid_payload",
            403 => "action_prohibited",
            404 => "no_service",
            410 => "channel_is_archived",
            429 => "rate_limited",
            _ => "internal_error",
        }
    }
}

impl std::str::FromStr for SlackFault {
    type Err = String;

    /// `STATUS` (every request from now on), `STATUSxN` (the next N), `slow=DURATION` or
    /// `slow=DURATIONxN` (`200 ok` after DURATION of scenario time).
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{text}` is not STATUS[xN] or slow=DURATION[xN] (an HTTP status from 300 to 599, \
                 e.g. 500x3: the next 3 requests get 500; 404: every request; slow=30s: every \
                 request answered 200 after 30 s of scenario time)"
            )
        };
        let (answer, count) = match text.rsplit_once('x') {
            Some((answer, count)) => (answer, Some(count.parse::<usize>().map_err(|_| bad())?)),
            None => (text, None),
        };
        if count == Some(0) {
            return Err(bad());
        }
        if let Some(delay) = answer.strip_prefix("slow=") {
            let delay = crate::time::PromDuration::parse(delay).map_err(|_| bad())?;
            return Ok(Self::slow(delay.get(), count));
        }
        let status: u16 = answer.parse().map_err(|_| bad())?;
        if !(300..600).contains(&status) {
            return Err(bad());
        }
        Ok(Self::status(status, count))
    }
}

impl std::fmt::Display for SlackFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.delay {
            Some(delay) => write!(f, "slow={}", crate::time::PromDuration::new(delay))?,
            None => write!(f, "{}", self.status)?,
        }
        match self.count {
            Some(n) => write!(f, "x{n}"),
            None => Ok(()),
        }
    }
}

type FaultSlot = Arc<Mutex<Option<SlackFault>>>;

/// The status for the next POST, taking one from the fault's count.
fn next_status(fault: &FaultSlot) -> Option<SlackFault> {
    let mut slot = fault
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let current = (*slot)?;
    match current.count {
        Some(1) => *slot = None,
        Some(n) => {
            *slot = Some(SlackFault {
                count: Some(n - 1),
                ..current
            })
        }
        None => {}
    }
    Some(current)
}

type DeliveryLog = Arc<Mutex<Vec<Delivery>>>;

fn lock(log: &DeliveryLog) -> MutexGuard<'_, Vec<Delivery>> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Answers like Slack (`200`, `ok`, `text/plain`; or the fault it was told to answer) and
/// logs the request at that moment, which is its real arrival time.
struct RecordingResponder {
    log: DeliveryLog,
    fault: FaultSlot,
}

impl Respond for RecordingResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let fault = next_status(&self.fault);
        let answered = fault.map_or(200, |f| f.status);
        lock(&self.log).push(Delivery {
            received_at: SystemTime::now(),
            request: request.clone(),
            answered,
            answered_after: fault.and_then(|f| f.delay),
        });
        let body = fault.map_or("ok", SlackFault::body);
        let mut response =
            ResponseTemplate::new(answered).set_body_raw(body, "text/plain; charset=utf-8");
        if let Some(delay) = fault.and_then(|f| f.delay) {
            response = response.set_delay(delay);
        }
        if answered == 429 {
            response.insert_header("retry-after", "1")
        } else {
            response
        }
    }
}

/// Takes a [`SlackFault`] (`POST` [`FAULT_PATH`]) for the requests after it.
struct FaultResponder {
    fault: FaultSlot,
}

impl Respond for FaultResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match serde_json::from_slice::<SlackFault>(&request.body) {
            Ok(fault) => {
                *self
                    .fault
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(fault);
                ResponseTemplate::new(204)
            }
            Err(e) => ResponseTemplate::new(400).set_body_string(e.to_string()),
        }
    }
}

/// Lists what was recorded (`?from=N` skips the first N), for a mock that mirrors this one.
struct ListingResponder {
    log: DeliveryLog,
}

impl Respond for ListingResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let from = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "from")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let listed: Vec<RecordedRequest> = lock(&self.log)
            .iter()
            .skip(from)
            .map(|d| RecordedRequest::of(d.received_at, &d.request, d.answered, d.answered_after))
            .collect();
        ResponseTemplate::new(200).set_body_json(listed)
    }
}

/// A Slack incoming-webhook stand-in: every POST, on any path, gets `200 ok` and is recorded.
/// Each mock is its own server (not shared, not pooled); it stops when dropped.
pub struct SlackMock {
    server: MockServer,
    log: DeliveryLog,
    fault: FaultSlot,
    /// A recorder this mock mirrors (its base URL), see [`SlackMock::mirror`].
    upstream: Mutex<Option<String>>,
}

impl fmt::Debug for SlackMock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackMock")
            .field("uri", &self.uri())
            .field("received", &lock(&self.log).len())
            .finish()
    }
}

impl SlackMock {
    /// Starts a mock on a free port of 127.0.0.1.
    pub async fn start() -> SlackMock {
        Self::serve(MockServer::builder().start().await).await
    }

    /// Starts a mock on a listener the caller bound (e.g. `0.0.0.0:0`, so that containers
    /// can reach it).
    pub async fn start_on(listener: std::net::TcpListener) -> SlackMock {
        Self::serve(MockServer::builder().listener(listener).start().await).await
    }

    async fn serve(server: MockServer) -> SlackMock {
        let log = DeliveryLog::default();
        let fault = FaultSlot::default();
        Mock::given(method("POST"))
            .and(path(FAULT_PATH))
            .respond_with(FaultResponder {
                fault: fault.clone(),
            })
            .with_priority(1)
            .named("slack fault")
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(RecordingResponder {
                log: log.clone(),
                fault: fault.clone(),
            })
            .named("slack incoming webhook")
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(RECORDED_PATH))
            .respond_with(ListingResponder { log: log.clone() })
            .named("recorded requests")
            .mount(&server)
            .await;
        SlackMock {
            server,
            log,
            fault,
            upstream: Mutex::new(None),
        }
    }

    /// Mirrors the recorder at `base_url` (another mock, where the stack reaches it): from
    /// now on, reading this mock's messages first copies what the recorder received since
    /// the last read, with the recorder's arrival times.
    pub fn mirror(&self, base_url: impl Into<String>) {
        *self
            .upstream
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(base_url.into());
    }

    /// The recorder this mock mirrors, if any.
    fn upstream(&self) -> Option<String> {
        self.upstream
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Copies what the mirrored recorder received since the last read. A recorder that
    /// cannot be read leaves the log as it is (the next read tries again).
    async fn pull_from_upstream(&self) {
        let upstream = self.upstream();
        let Some(base) = upstream else {
            return;
        };
        let from = lock(&self.log).len();
        let url = format!("{base}{RECORDED_PATH}?from={from}");
        let listed = async {
            reqwest::Client::new()
                .get(&url)
                .timeout(std::time::Duration::from_secs(5))
                .send()
                .await?
                .error_for_status()?
                .json::<Vec<RecordedRequest>>()
                .await
        };
        match listed.await {
            Ok(listed) => {
                let mut log = lock(&self.log);
                if log.len() == from {
                    log.extend(listed.into_iter().filter_map(|r| {
                        let (received_at, request, answered, answered_after) = r.into_request()?;
                        Some(Delivery {
                            received_at,
                            request,
                            answered,
                            answered_after,
                        })
                    }));
                }
            }
            Err(e) => tracing::debug!(error = %e, "the slack recorder could not be read"),
        }
    }

    /// Answers the next POSTs with `fault` instead of `200 ok` (with Slack's body for that
    /// status, and `retry-after: 1` for a 429), as Slack does when it fails: what
    /// Alertmanager then does is its own (it retries a 5xx, not a 404). A mock that mirrors a
    /// recorder tells the recorder.
    pub async fn fail_next(&self, fault: SlackFault) -> Result<(), String> {
        let upstream = self.upstream();
        let Some(base) = upstream else {
            *self
                .fault
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(fault);
            return Ok(());
        };
        reqwest::Client::new()
            .post(format!("{base}{FAULT_PATH}"))
            .json(&fault)
            .timeout(std::time::Duration::from_secs(5))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map(|_| ())
            .map_err(|e| format!("the slack recorder did not take the fault {fault}: {e}"))
    }

    /// The base URL, e.g. `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The port the mock listens on.
    pub fn port(&self) -> u16 {
        self.server.address().port()
    }

    /// A webhook URL on the mock (`MOCK_WEBHOOK_PATH`), to put where `slack_api_url` goes.
    pub fn webhook_url(&self) -> String {
        format!("{}{MOCK_WEBHOOK_PATH}", self.uri())
    }

    /// Every POST received so far, in order of arrival, numbered from 1.
    pub async fn messages(&self) -> Vec<SlackMessage> {
        self.pull_from_upstream().await;
        lock(&self.log)
            .iter()
            .enumerate()
            .map(|(index, delivery)| {
                SlackMessage::from_request(
                    index + 1,
                    delivery.received_at,
                    &delivery.request,
                    delivery.answered,
                    delivery.answered_after,
                )
            })
            .collect()
    }

    /// Writes each message to `dir/NNNN.json` (4-digit `seq`, pretty JSON, see
    /// [`SlackMessage::to_json`]), creating `dir`; returns the files in order.
    pub async fn write_artifacts(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        for message in self.messages().await {
            let file = dir.join(format!("{:04}.json", message.seq));
            let mut text = serde_json::to_string_pretty(&message.to_json())?;
            text.push('\n');
            std::fs::write(&file, text)?;
            written.push(file);
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests;
