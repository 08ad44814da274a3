//! The metric check: how much firedrill's traffic raised a metric, as Prometheus scraped it.
//!
//! **The baseline** is Prometheus's own answer for `sum(expr)`, asked by the traffic check right
//! before firedrill's first request to the stack. Whatever sample that query sees was scraped
//! (the app's counter read) before the request went out, so the baseline never holds any of
//! the traffic; a scrape still in flight at that moment is not visible yet, and its sample
//! counts towards the increase. The same expression is compared before and after, so every
//! target, relabelling and aggregation counts alike. The app's own `/metrics` is not used: the
//! expectation is PromQL over what Prometheus stored, which one app's exposition is not, and on
//! kube the harness reaches one pod while Prometheus may scrape another behind a Service.
//!
//! What the baseline cannot see is what an app counted before the traffic and Prometheus had
//! not scraped yet: only the apps' own start (a counter starts at 0, so no sample yet counts
//! from 0) and requests others sent. On the process and Docker backends nobody else sends any,
//! so the increase must be **exactly** the expected one, and a check that can fail both ways
//! stays one. Where the backend runs the apps' `httpGet` probes (the kubelet on kube), those
//! requests may be counted too: the increase must then be **at least** the expected one, and
//! the detail says how much more was counted and which probes can cause it.
//!
//! The baseline is taken once per stack, before its first request, so every later check
//! measures the increase caused by all of firedrill's traffic to the stack so far.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use crate::checks::app::baselines::{sum_now, Baseline, BaselineState};
use crate::checks::checker::Checker;
use crate::checks::expectations::MetricExpectation;
use crate::checks::poll::{poll, Look};
use crate::spec::{ComponentSpec, HttpProbe};

/// A probe of an app, as the detail names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppProbe {
    /// The app (component name).
    pub(crate) app: String,
    /// Its probe.
    pub(crate) probe: HttpProbe,
}

impl fmt::Display for AppProbe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of {}", self.probe, self.app)
    }
}

/// Who besides firedrill sends the apps requests while the checks run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OtherRequests {
    /// Nobody: the backend runs no probes.
    NoProbesRun {
        /// The backend's name.
        backend: &'static str,
    },
    /// Nobody: the backend runs probes, but no app declares an `httpGet` one.
    NoHttpProbes {
        /// The backend's name.
        backend: &'static str,
    },
    /// The backend runs these `httpGet` probes of the apps.
    Probes {
        /// The backend's name.
        backend: &'static str,
        /// Every `httpGet` probe of every app.
        probes: Vec<AppProbe>,
    },
    /// The traffic went to each of several pods of the app, and Prometheus may scrape more
    /// than one of them (one target per pod): each such scrape counts the whole traffic.
    Replicas {
        /// The app.
        app: String,
        /// How many of its pods got the traffic.
        pods: usize,
        /// The `httpGet` probes the backend runs too, if any.
        probes: Vec<AppProbe>,
    },
}

impl OtherRequests {
    /// Who else sends `apps` requests on `backend`.
    /// `replicas`: the app whose pods all got the traffic, and how many, where there are
    /// several.
    pub(crate) fn of<'a>(
        backend: &'static str,
        runs_http_probes: bool,
        apps: impl Iterator<Item = &'a ComponentSpec>,
        replicas: Option<(String, usize)>,
    ) -> Self {
        let probes: Vec<AppProbe> = if runs_http_probes {
            Self::http_probes(apps)
        } else {
            Vec::new()
        };
        if let Some((app, pods)) = replicas.filter(|(_, pods)| *pods > 1) {
            return OtherRequests::Replicas { app, pods, probes };
        }
        if !runs_http_probes {
            return OtherRequests::NoProbesRun { backend };
        }
        if probes.is_empty() {
            OtherRequests::NoHttpProbes { backend }
        } else {
            OtherRequests::Probes { backend, probes }
        }
    }

    fn http_probes<'a>(apps: impl Iterator<Item = &'a ComponentSpec>) -> Vec<AppProbe> {
        apps.flat_map(|app| {
            app.http_probes.iter().map(|probe| AppProbe {
                app: app.name.clone(),
                probe: probe.clone(),
            })
        })
        .collect()
    }

    /// Whether only firedrill sends requests, so the increase must be exact.
    fn exact(&self) -> bool {
        !matches!(
            self,
            OtherRequests::Probes { .. } | OtherRequests::Replicas { .. }
        )
    }

    /// Why the increase must be exact, or which probes can add to it.
    fn why(&self) -> String {
        match self {
            OtherRequests::NoProbesRun { backend } => format!(
                "nothing else sends the apps requests on the {backend} backend, which runs no probes"
            ),
            OtherRequests::NoHttpProbes { backend } => format!(
                "nothing else sends the apps requests: the {backend} backend runs probes, but no \
                 app declares an httpGet one"
            ),
            OtherRequests::Probes { .. } => {
                format!("which {} on this backend can cause", self.probes())
            }
            OtherRequests::Replicas { .. } => format!("which {} can cause", self.probes()),
        }
    }

    /// The probes that run, `the readiness probe GET /hello of echo-server and ...`.
    fn probes(&self) -> String {
        match self {
            OtherRequests::Probes { probes, .. } => {
                join_and(&probes.iter().map(ToString::to_string).collect::<Vec<_>>())
            }
            OtherRequests::Replicas { app, pods, probes } => {
                let mut sources = vec![format!(
                    "scrapes of more than one of the {pods} pods of {app} (each got the \
                     whole traffic)"
                )];
                sources.extend(probes.iter().map(ToString::to_string));
                join_and(&sources)
            }
            _ => String::new(),
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The values of `sum(expr)` polling saw after the traffic.
#[derive(Debug, Default)]
pub(crate) struct ValuesSeen {
    /// Distinct values, in the order first seen (at most [`VALUES_KEPT`]).
    distinct: Vec<f64>,
    /// The latest answer (`None`: no sample).
    last: Option<f64>,
}

/// How many distinct values a failure lists.
const VALUES_KEPT: usize = 6;

impl ValuesSeen {
    /// Records one answer.
    pub(crate) fn observe(&mut self, value: Option<f64>) {
        self.last = value;
        if let Some(v) = value {
            if !self.distinct.contains(&v) && self.distinct.len() < VALUES_KEPT {
                self.distinct.push(v);
            }
        }
    }

    /// `; values seen: 0, 2` when more than the last one was seen.
    fn history(&self) -> String {
        if self.distinct.len() < 2 {
            return String::new();
        }
        let values: Vec<String> = self.distinct.iter().map(ToString::to_string).collect();
        format!("; values seen: {}", values.join(", "))
    }
}

/// Whether `seen` shows the increase `expected` over `before`: ready with the detail, or what
/// was seen.
pub(crate) fn judge_increase(
    expr: &str,
    expected: f64,
    before: Baseline,
    seen: &ValuesSeen,
    others: &OtherRequests,
) -> Look<String> {
    let Some(now) = seen.last else {
        return Look::NotYet(if seen.distinct.is_empty() {
            format!(
                "`{expr}` never returned a sample after the traffic: its value was never seen; \
                 expected it to rise by {expected} from {before}"
            )
        } else {
            format!("`{expr}` returned no sample any more{}", seen.history())
        });
    };
    let increase = now - before.value();
    let counted = format!("`{expr}` = {now}: {before}");
    if increase == expected {
        return Look::Ready(if others.exact() {
            format!(
                "{counted} + {expected} from firedrill's traffic, exactly ({})",
                others.why()
            )
        } else {
            format!(
                "{counted} + {expected} from firedrill's traffic (nothing more counted; {} on \
                 this backend could have added some)",
                others.probes()
            )
        });
    }
    if increase > expected {
        let more = increase - expected;
        return if others.exact() {
            Look::NotYet(format!(
                "{counted} + {increase}: rose by {more} more than the {expected} expected from \
                 firedrill's traffic, yet {}{}",
                others.why(),
                seen.history()
            ))
        } else {
            Look::Ready(format!(
                "{counted} + {expected} from firedrill's traffic + {more} more, {}",
                others.why()
            ))
        };
    }
    let rose = if increase == 0.0 {
        "never rose".to_string()
    } else if increase < 0.0 {
        format!(
            "fell by {} (a counter reset: did the app restart?)",
            -increase
        )
    } else {
        format!("rose by only {increase}")
    };
    Look::NotYet(format!(
        "{counted}: {rose}, expected {}{expected} from firedrill's traffic{}",
        if others.exact() { "" } else { "at least " },
        seen.history()
    ))
}

impl Checker<'_> {
    /// Who besides firedrill sends the apps requests on this stack.
    fn other_requests(&self) -> OtherRequests {
        let replicas = self
            .stack
            .endpoints()
            .apps
            .first()
            .map(|app| (app.name.clone(), 1 + app.replicas.len()));
        OtherRequests::of(
            self.stack.backend(),
            self.stack.runs_http_probes,
            self.stack.plan().spec.apps(),
            replicas,
        )
    }

    pub(crate) async fn metric_value(
        &mut self,
        metric: &MetricExpectation,
        deadline: Duration,
    ) -> Result<String, String> {
        let expr = metric.sum_expr();
        let before = match self.session.baselines.state(&expr) {
            BaselineState::Measured(before) => before,
            BaselineState::NotMeasured => {
                return Err(format!(
                    "`{expr}` was not measured before firedrill's first request to the stack, so \
                     the increase its traffic caused cannot be told: check the metric in the \
                     same run as the first traffic (run_checks, or Checker::for_checks)"
                ))
            }
            BaselineState::NoTraffic => {
                return Err(format!(
                    "no traffic was sent to the stack: the check measures how much firedrill's \
                     traffic raises `{expr}`; send traffic before it"
                ))
            }
        };
        let others = self.other_requests();
        let prometheus = self.prometheus.clone();
        let seen = Mutex::new(ValuesSeen::default());
        let expected = metric.increase;
        poll(deadline, || {
            let prometheus = prometheus.clone();
            let (expr, others, seen) = (&expr, &others, &seen);
            async move {
                let now = match sum_now(&prometheus, expr).await {
                    Ok(now) => now,
                    Err(e) => return Look::NotYet(e.to_string()),
                };
                let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                seen.observe(now);
                judge_increase(expr, expected, before, &seen, others)
            }
        })
        .await
        .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ProbeKind;

    const EXPR: &str = "sum(api_request_total)";

    fn seen(values: &[Option<f64>]) -> ValuesSeen {
        let mut seen = ValuesSeen::default();
        for v in values {
            seen.observe(*v);
        }
        seen
    }

    fn process() -> OtherRequests {
        OtherRequests::NoProbesRun { backend: "process" }
    }

    fn kube_with_readiness_probe() -> OtherRequests {
        OtherRequests::Probes {
            backend: "kube",
            probes: vec![AppProbe {
                app: "echo-server".into(),
                probe: HttpProbe {
                    kind: ProbeKind::Readiness,
                    path: "/hello".into(),
                },
            }],
        }
    }

    fn ready(look: Look<String>) -> String {
        match look {
            Look::Ready(detail) => detail,
            other => panic!("expected ready, got {other:?}"),
        }
    }

    fn not_yet(look: Look<String>) -> String {
        match look {
            Look::NotYet(seen) => seen,
            other => panic!("expected not yet, got {other:?}"),
        }
    }

    #[test]
    fn the_increase_is_counted_from_the_value_before_the_traffic() {
        let detail = ready(judge_increase(
            EXPR,
            3.0,
            Baseline::Value(4.0),
            &seen(&[Some(4.0), Some(7.0)]),
            &process(),
        ));
        assert_eq!(
            detail,
            "`sum(api_request_total)` = 7: 4 before the traffic + 3 from firedrill's traffic, \
             exactly (nothing else sends the apps requests on the process backend, which runs \
             no probes)"
        );
        // The absolute value the traffic alone would give is not enough.
        not_yet(judge_increase(
            EXPR,
            3.0,
            Baseline::Value(4.0),
            &seen(&[Some(3.0)]),
            &process(),
        ));
    }

    #[test]
    fn no_sample_before_the_traffic_counts_from_zero() {
        let detail = ready(judge_increase(
            EXPR,
            3.0,
            Baseline::NoSample,
            &seen(&[None, Some(3.0)]),
            &process(),
        ));
        assert!(
            detail.starts_with(
                "`sum(api_request_total)` = 3: 0 before the traffic (no sample yet) + 3"
            ),
            "{detail}"
        );
    }

    #[test]
    fn where_nothing_else_sends_requests_more_than_the_traffic_fails() {
        let last = not_yet(judge_increase(
            EXPR,
            3.0,
            Baseline::NoSample,
            &seen(&[Some(3.0), Some(5.0)]),
            &process(),
        ));
        assert!(
            last.contains("rose by 2 more than the 3 expected from firedrill's traffic"),
            "{last}"
        );
        assert!(last.contains("runs no probes"), "{last}");
        assert!(last.ends_with("values seen: 3, 5"), "{last}");
    }

    #[test]
    fn where_the_backend_runs_the_apps_probes_more_than_the_traffic_passes_and_names_them() {
        let detail = ready(judge_increase(
            EXPR,
            3.0,
            Baseline::NoSample,
            &seen(&[Some(5.0)]),
            &kube_with_readiness_probe(),
        ));
        assert_eq!(
            detail,
            "`sum(api_request_total)` = 5: 0 before the traffic (no sample yet) + 3 from \
             firedrill's traffic + 2 more, which the readiness probe GET /hello of echo-server \
             on this backend can cause"
        );
    }

    #[test]
    fn where_the_backend_runs_the_apps_probes_less_than_the_traffic_still_fails() {
        let last = not_yet(judge_increase(
            EXPR,
            3.0,
            Baseline::Value(2.0),
            &seen(&[Some(2.0), Some(4.0)]),
            &kube_with_readiness_probe(),
        ));
        assert!(
            last.contains("= 4: 2 before the traffic: rose by only 2, expected at least 3"),
            "{last}"
        );
    }

    #[test]
    fn a_value_that_never_rose_fails_saying_so() {
        let last = not_yet(judge_increase(
            EXPR,
            3.0,
            Baseline::Value(0.0),
            &seen(&[Some(0.0)]),
            &process(),
        ));
        assert!(last.contains("never rose, expected 3"), "{last}");
    }

    #[test]
    fn a_metric_never_seen_after_the_traffic_fails_saying_so() {
        let last = not_yet(judge_increase(
            EXPR,
            3.0,
            Baseline::NoSample,
            &seen(&[None, None]),
            &kube_with_readiness_probe(),
        ));
        assert!(
            last.contains("never returned a sample after the traffic: its value was never seen"),
            "{last}"
        );
    }

    #[test]
    fn probes_count_only_on_a_backend_that_runs_them_and_only_when_declared() {
        let spec = crate::load::load_dir(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/manifests/corpus/working/named-target-port/manifests"
        )))
        .expect("the variant loads");
        assert_eq!(
            OtherRequests::of("process", false, spec.apps(), None),
            OtherRequests::NoProbesRun { backend: "process" }
        );
        assert_eq!(
            OtherRequests::of("kube", true, spec.apps(), None),
            kube_with_readiness_probe()
        );
        let seed = crate::load::load_dir(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../manifests"
        )))
        .expect("the seed loads");
        let none = OtherRequests::of("kube", true, seed.apps(), Some(("echo".into(), 1)));
        assert_eq!(none, OtherRequests::NoHttpProbes { backend: "kube" });
        assert!(none.exact());
    }

    #[test]
    fn traffic_sent_to_each_of_several_pods_is_expected_at_least_once_and_says_why() {
        let seed = crate::load::load_dir(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../manifests"
        )))
        .expect("the seed loads");
        let others = OtherRequests::of("kube", true, seed.apps(), Some(("echo".into(), 2)));
        assert!(!others.exact());
        let per_pod = judge_increase(
            EXPR,
            3.0,
            Baseline::Value(0.0),
            &seen(&[Some(6.0)]),
            &others,
        );
        let Look::Ready(detail) = per_pod else {
            panic!("each scraped pod counts the whole traffic: {per_pod:?}");
        };
        assert!(
            detail.contains("more than one of the 2 pods of echo"),
            "{detail}"
        );
        let short = judge_increase(
            EXPR,
            3.0,
            Baseline::Value(0.0),
            &seen(&[Some(2.0)]),
            &others,
        );
        assert!(
            matches!(&short, Look::NotYet(why) if why.contains("expected at least 3")),
            "{short:?}"
        );
    }
}
