//! Why a check failed, as a value: the common breakages, each found by asking the components
//! (their APIs, their own metrics and logs), never guessed from the symptom. A check's own
//! reason says what did not happen; its cause says why, and comes first in the failure line.
//! Each component's module finds the causes about it (`prometheus::causes`,
//! `alertmanager::causes`).

use std::fmt;

/// A known breakage that explains a failed check.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cause {
    /// Prometheus discovered no target at all.
    NoScrapeTargets,
    /// A scrape target is down.
    TargetDown {
        /// Its scrape URL.
        url: String,
        /// Its scrape pool (job).
        job: String,
        /// What its `lastError` means.
        failure: ScrapeFailure,
    },
    /// A metric no scraped target ever exposed.
    MetricNeverExisted {
        /// The metric.
        metric: String,
        /// The nearest name that does exist.
        nearest: Option<String>,
    },
    /// An alerting rule's expression reads a metric that never existed.
    ExpressionCannotMatch {
        /// The alert.
        alert: String,
        /// Its expression.
        expr: String,
        /// The metric that never existed.
        missing: Box<Cause>,
    },
    /// An alerting rule's expression returns nothing although its metrics exist.
    ExpressionEmpty {
        /// The alert.
        alert: String,
        /// Its expression.
        expr: String,
        /// The first of its selectors that selects no series now (its metric exists, no
        /// series has those labels), if one does not.
        empty_selector: Option<String>,
    },
    /// The rules still wait for the start-up gate: Prometheus has not scraped every target
    /// once, or the harness could not tell it so.
    RulesNotStarted {
        /// The alert.
        alert: String,
    },
    /// Prometheus has no Alertmanager to send to.
    NoAlertmanager,
    /// Prometheus fails to send alerts to its Alertmanagers.
    SendingFails {
        /// The Alertmanagers Prometheus sends to.
        alertmanagers: Vec<String>,
        /// `prometheus_notifications_errors_total`.
        errors: f64,
        /// What Prometheus's log says, when it says it.
        log: Option<String>,
    },
    /// The alert fires and is sent without error, but `alert_relabel_configs` drops it.
    DroppedByRelabelling {
        /// The alert.
        alert: String,
    },
    /// Alertmanager failed to send notifications.
    NotifyFailed {
        /// `alertmanager_notifications_failed_total`.
        failed: f64,
        /// What Alertmanager's log says, when it says it.
        log: Option<String>,
    },
}

/// What a down target's `lastError` means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScrapeFailure {
    /// 404: nothing at the metrics path.
    NotFound,
    /// `scheme: https` against plain HTTP.
    HttpsAgainstHttp,
    /// Connection refused.
    NothingListens,
    /// The host name does not resolve.
    NoSuchHost,
    /// No answer within `scrape_timeout`.
    Timeout,
    /// Another HTTP status (`HTTP status 500 Internal Server Error`).
    Status(String),
    /// Anything else, as Prometheus said it.
    Other(String),
}

impl ScrapeFailure {
    /// Classifies Prometheus's `lastError` text (the only form Prometheus gives it in).
    pub(crate) fn of(error: &str) -> Self {
        if error.contains("HTTP status 404") {
            ScrapeFailure::NotFound
        } else if error.contains("HTTP response to HTTPS client")
            || error.contains("first record does not look like a TLS handshake")
        {
            ScrapeFailure::HttpsAgainstHttp
        } else if error.contains("connection refused") {
            ScrapeFailure::NothingListens
        } else if error.contains("no such host") {
            ScrapeFailure::NoSuchHost
        } else if error.contains("context deadline exceeded") {
            ScrapeFailure::Timeout
        } else if error.contains("HTTP status") {
            ScrapeFailure::Status(error.trim_start_matches("server returned ").to_string())
        } else {
            ScrapeFailure::Other(error.to_string())
        }
    }
}

impl fmt::Display for ScrapeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScrapeFailure::NotFound => {
                f.write_str("it answers 404: nothing is served at this metrics_path")
            }
            ScrapeFailure::HttpsAgainstHttp => f.write_str(
                "scheme https against a plain-HTTP endpoint (the scrape config's scheme)",
            ),
            ScrapeFailure::NothingListens => f.write_str(
                "nothing listens there: the port is no port the app serves on (the Service's \
                 port / targetPort, or the container's port)",
            ),
            ScrapeFailure::NoSuchHost => {
                f.write_str("its host name does not resolve: no Service of that name")
            }
            ScrapeFailure::Timeout => f.write_str("it does not answer within scrape_timeout"),
            ScrapeFailure::Status(status) => write!(f, "it answers {status}"),
            ScrapeFailure::Other(error) => write!(f, "it is down: {error}"),
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::NoScrapeTargets => f.write_str(
                "prometheus discovered no scrape target: scrape_configs give none it can use",
            ),
            Cause::TargetDown { url, job, failure } => {
                write!(f, "scrape target {url} (job {job}) is down: {failure}")
            }
            Cause::MetricNeverExisted { metric, nearest } => {
                write!(f, "metric `{metric}` never existed in prometheus")?;
                match nearest {
                    Some(n) => write!(f, " (nearest that does: `{n}`)"),
                    None => Ok(()),
                }
            }
            Cause::ExpressionCannotMatch {
                alert,
                expr,
                missing,
            } => write!(
                f,
                "the expression of {alert} (`{}`) can never match: {missing}",
                expr.trim()
            ),
            Cause::ExpressionEmpty {
                alert,
                expr,
                empty_selector: Some(selector),
            } => write!(
                f,
                "the expression of {alert} (`{}`) returns no series: `{selector}` selects \
                 none now (its metric exists; no series has those labels, or its targets are \
                 gone)",
                expr.trim()
            ),
            Cause::ExpressionEmpty {
                alert,
                expr,
                empty_selector: None,
            } => write!(
                f,
                "the expression of {alert} (`{}`) returns no series: its metrics exist but no \
                 value makes it true",
                expr.trim()
            ),
            Cause::RulesNotStarted { alert } => write!(
                f,
                "the rules have not started: {alert} (like every rule reading a series) waits \
                 for firedrill_started, which the harness pushes once Prometheus has scraped \
                 every target once, and it has not (see the targets below and the log)"
            ),
            Cause::NoAlertmanager => f.write_str(
                "prometheus has no alertmanager to send alerts to: alerting.alertmanagers gives \
                 none it can use",
            ),
            Cause::SendingFails {
                alertmanagers,
                errors,
                log,
            } => {
                write!(
                    f,
                    "prometheus fails to send alerts to alertmanager at {} ({errors} errors in \
                     prometheus_notifications_errors_total: wrong port or path_prefix?)",
                    alertmanagers.join(", ")
                )?;
                match log {
                    Some(line) => write!(f, "; its log: {line}"),
                    None => Ok(()),
                }
            }
            Cause::DroppedByRelabelling { alert } => write!(
                f,
                "{alert} fires in prometheus and prometheus sends to alertmanager without \
                 error, but alertmanager never receives it: alerting.alert_relabel_configs \
                 drops it"
            ),
            Cause::NotifyFailed { failed, log } => {
                write!(
                    f,
                    "alertmanager failed to send {failed} notification(s) \
                     (alertmanager_notifications_failed_total)"
                )?;
                match log {
                    Some(line) => write!(f, ": {line}"),
                    None => Ok(()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target_down(error: &str) -> String {
        Cause::TargetDown {
            url: "http://127.0.0.1:4000/metric".into(),
            job: "echo".into(),
            failure: ScrapeFailure::of(error),
        }
        .to_string()
    }

    #[test]
    fn a_down_target_is_explained_by_its_error() {
        for (error, meaning) in [
            (
                "server returned HTTP status 404 Not Found",
                "nothing is served at this metrics_path",
            ),
            (
                "Get \"https://x\": http: server gave HTTP response to HTTPS client",
                "scheme https",
            ),
            (
                "dial tcp 127.0.0.1:4000: connect: connection refused",
                "nothing listens there",
            ),
            (
                "dial tcp: lookup echo-svc: no such host",
                "does not resolve",
            ),
            (
                "server returned HTTP status 500 Internal Server Error",
                "it answers HTTP status 500 Internal Server Error",
            ),
        ] {
            let line = target_down(error);
            assert!(line.contains(meaning), "{error}: {line}");
            assert!(line.starts_with("scrape target http://127.0.0.1:4000/metric (job echo)"));
        }
    }

    #[test]
    fn rules_still_waiting_for_the_start_up_gate_say_so_and_why() {
        let text = Cause::RulesNotStarted {
            alert: "EchoDown".into(),
        }
        .to_string();
        assert!(
            text.starts_with("the rules have not started: EchoDown")
                && text.contains("firedrill_started")
                && text.contains("scraped every target once"),
            "{text}"
        );
    }

    #[test]
    fn a_missing_metric_names_the_nearest_one_that_exists() {
        let missing = Cause::MetricNeverExisted {
            metric: "api_requests_total".into(),
            nearest: Some("api_request_total".into()),
        };
        assert_eq!(
            missing.to_string(),
            "metric `api_requests_total` never existed in prometheus (nearest that does: \
             `api_request_total`)"
        );
        let rule = Cause::ExpressionCannotMatch {
            alert: "High".into(),
            expr: " api_requests_total > 1\n".into(),
            missing: Box::new(missing),
        };
        assert!(rule.to_string().starts_with(
            "the expression of High (`api_requests_total > 1`) can never match: metric"
        ));
    }
}
