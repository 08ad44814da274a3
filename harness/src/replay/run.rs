//! One test, live: its own Prometheus and Alertmanager (the manifests', as the replay spec
//! changes them), its series pushed by remote write from a time zero aligned with the replay
//! group's evaluations, the alerts read from Prometheus at each `eval_time` and compared with
//! what promtool found, and every alert the test expects to fire followed through
//! Alertmanager to Slack by the checks `verify` runs.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime};

use crate::backend::{self, RunningStack, StartOptions};
use crate::checks::{poll, poll_every, run_checks, Check, CheckOutcome, Look, Session};
use crate::clients::{AlertmanagerClient, PrometheusClient, RuleKind, WriteSeries};
use crate::plan::promql::scale_expr;
use crate::plan::Timings;
use crate::replay::oracle::PromtoolVerdict;
use crate::replay::outcome::{Disagreement, FiredAlert, TestReport};
use crate::replay::spec::{ARMED, GROUP, TICK};
use crate::replay::timeline::{samples, Scale};
use crate::ruletest::{NotificationExpectation, RuleTest, TestExpectations};
use crate::spec::StackSpec;
use crate::time::{parse_timestamp, unix_millis};

/// How far ahead of time zero the series are pushed: the push must be in Prometheus before
/// the first evaluation that reads it.
const LEAD: Duration = Duration::from_millis(400);

/// What one test needs besides itself.
pub(crate) struct TestRun<'a> {
    pub(crate) spec: &'a StackSpec,
    pub(crate) options: &'a StartOptions,
    pub(crate) scale: Scale,
    pub(crate) margin: Duration,
    pub(crate) promtool: PromtoolVerdict,
    pub(crate) artifacts: Option<std::path::PathBuf>,
    /// The snapshot its Slack payloads are compared with, and whether to write it.
    pub(crate) snapshot: Option<(std::path::PathBuf, bool)>,
    /// What firedrill expects of the test's notifications beyond promtool.
    pub(crate) expect: TestExpectations,
    /// The limits its stack counts against.
    pub(crate) slots: Slots,
}

/// How many stacks are up at once, and how many of them replay at once. A stack spends its
/// first seconds waiting for Prometheus to discover its Alertmanager (the floor, idle but
/// for the clock); twice as many stacks are up as replay, so the next tests pay that floor
/// while the current ones replay, and the floor is paid about once per run, not once a wave.
#[derive(Debug, Clone)]
pub(crate) struct Slots {
    up: std::sync::Arc<tokio::sync::Semaphore>,
    live: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Slots {
    /// `jobs` tests replaying at once, whatever their tick, and as many more starting.
    pub(crate) fn new(jobs: usize) -> Self {
        let jobs = jobs.max(1);
        Self {
            up: std::sync::Arc::new(tokio::sync::Semaphore::new(2 * jobs)),
            live: std::sync::Arc::new(tokio::sync::Semaphore::new(jobs)),
        }
    }

    /// The process-wide limits ([`super::default_jobs`]), shared by every run that was given
    /// no number of jobs (tests running in parallel in one process).
    pub(crate) fn shared() -> Self {
        static SHARED: std::sync::OnceLock<Slots> = std::sync::OnceLock::new();
        SHARED
            .get_or_init(|| Slots::new(super::default_jobs()))
            .clone()
    }

    /// A replay slot.
    async fn live(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.live.clone().acquire_owned().await.ok()
    }
}

impl TestRun<'_> {
    /// Runs `test`; never fails as a whole: what goes wrong is the report's failure.
    pub(crate) async fn run(self, test: &RuleTest) -> TestReport {
        // However many runs this process makes at once (tests run in parallel), no more
        // stacks than the machine keeps on time.
        let _up = self.slots.up.clone().acquire_owned().await;
        let mut report = TestReport::new(test, self.promtool.clone());
        let wall = Instant::now();
        let running = match backend::start(self.spec, self.options).await {
            Ok(running) => running,
            Err(e) => {
                report.fail(format!("the stack did not start: {e}"));
                report.wall = wall.elapsed();
                return report;
            }
        };
        let prometheus = PrometheusClient::new(&running.endpoints().prometheus);
        // Prometheus hands alerts to an Alertmanager only once its discovery has listed it
        // (5 s after the start): the test starts after that, when a replay slot is free.
        let warm = poll(Timings::DISCOVERY_FLOOR + self.margin, || async {
            match prometheus.alertmanagers().await {
                Ok(list) if !list.is_empty() => Look::Ready(()),
                Ok(_) => Look::NotYet("Prometheus lists no Alertmanager yet".to_string()),
                Err(e) => Look::NotYet(e.to_string()),
            }
        })
        .await
        .map_err(|e| Stop::Failed(format!("Prometheus never listed its Alertmanager: {e}")));
        let waiting = Instant::now();
        let live = self.slots.live().await;
        let waited = waiting.elapsed();
        let session = Session::start_watching_every(
            &running,
            Duration::from_millis((self.scale.tick_ms / 4).clamp(10, 200) as u64),
        );
        let mut armed_until = None;
        let replayed = match warm {
            Ok(()) => {
                self.live(
                    test,
                    &running,
                    &session,
                    &mut report,
                    wall,
                    &mut armed_until,
                )
                .await
            }
            Err(stop) => Err(stop),
        };
        drop(live);
        // The floor is the stack's own start-up, not the wait for a slot.
        report.floor = report.floor.saturating_sub(waited);
        match replayed {
            Ok(()) => {}
            Err(Stop::Failed(reason)) => report.fail(reason),
            Err(Stop::Inconclusive(reason)) => {
                report.fail(reason);
                report.inconclusive = true;
            }
        }
        // The test's messages are those sent while its rules were armed: once the replay
        // disarms them (ten minutes of scenario time after the last eval_time), every alert
        // resolves, which no test is about; a loaded machine may still be checking then.
        let messages: Vec<_> = running
            .slack()
            .messages()
            .await
            .into_iter()
            .filter(|m| armed_until.is_none_or(|until| m.received_at < until))
            .collect();
        report.messages = messages.len();
        for expected in &self.expect.notifications {
            let check = notified(expected, &report.checks, &messages, wall.elapsed());
            report.checks.push(check);
        }
        report.payloads = crate::snapshot::normalised_payloads_of(&running, &messages);
        if let Some((path, update)) = &self.snapshot {
            report.checks.push(snapshot_check(
                path,
                &report.payloads,
                *update,
                wall.elapsed(),
            ));
        }
        if let Some(dir) = &self.artifacts {
            let summary = crate::report::Summary::new(
                &running,
                &crate::checks::Expectations::of_checks(
                    report.checks.iter().filter_map(|o| o.check.as_ref()),
                ),
                report.checks.iter().map(|o| o.outcome.clone()).collect(),
                SystemTime::now(),
                report.floor,
                wall.elapsed(),
            );
            if let Err(e) = crate::report::write_artifacts(dir, &running, &summary).await {
                report.fail(format!("the artifacts were not written: {e}"));
            }
        }
        drop(session);
        running.shutdown().await;
        report.wall = wall.elapsed();
        report
    }

    async fn live(
        &self,
        test: &RuleTest,
        running: &RunningStack,
        session: &Session,
        report: &mut TestReport,
        wall: Instant,
        armed_until: &mut Option<SystemTime>,
    ) -> Result<(), Stop> {
        let prometheus = PrometheusClient::new(&running.endpoints().prometheus);
        let tick = Duration::from_millis(self.scale.tick_ms as u64);
        // The group's evaluation times, as Prometheus chose them: its tick rule's sample
        // (exact), and how long after that time the evaluation runs by the wall clock (the
        // rules API's `lastEvaluation`): read between two looks at the rules that agree.
        let (last_tick, lag) = poll_every(tick / 4, 3 * tick + self.margin, || async {
            let first = tick_evaluated(&prometheus).await;
            let sample = match prometheus.query(&format!("timestamp({TICK})")).await {
                Ok(samples) => samples.first().map(|s| (s.value * 1000.0).round() as i64),
                Err(e) => return Look::NotYet(e.to_string()),
            };
            let second = tick_evaluated(&prometheus).await;
            match (first, sample, second) {
                (Some(a), Some(at), Some(b)) if a == b && a >= at => Look::Ready((at, a - at)),
                _ => Look::NotYet(format!("no settled evaluation of {TICK} yet")),
            }
        })
        .await
        .map_err(|e| format!("the replay group was never evaluated: {e}"))?;
        report.floor = wall.elapsed();
        // Evaluations skipped before time zero (a slow start) change nothing: all is gated.
        let missed_before = missed_evaluations(&prometheus).await;
        let now = unix_millis(SystemTime::now()) as i64 + LEAD.as_millis() as i64;
        let ticks_ahead = (now - last_tick + self.scale.tick_ms - 1) / self.scale.tick_ms;
        let t0 = last_tick + ticks_ahead * self.scale.tick_ms;

        let end = test.max_eval_time().get();
        let mut series: Vec<WriteSeries> = samples(test, self.scale, t0);
        // Armed from time zero until ten minutes (of scenario time) after the last eval_time.
        let armed_ticks =
            (self.scale.wall_ms(end + Duration::from_secs(600)) / self.scale.tick_ms).max(1);
        series.push(WriteSeries {
            labels: vec![("__name__".to_string(), ARMED.to_string())],
            samples: (0..=armed_ticks)
                .map(|k| (t0 + k * self.scale.tick_ms, 1.0))
                .collect(),
        });
        *armed_until = Some(
            SystemTime::UNIX_EPOCH
                + Duration::from_millis((t0 + armed_ticks * self.scale.tick_ms).max(0) as u64),
        );
        prometheus
            .remote_write(&series)
            .await
            .map_err(|e| format!("Prometheus refused the test's series: {e}"))?;
        let pushed = unix_millis(SystemTime::now()) as i64;
        if pushed >= t0 {
            return Err(Stop::Inconclusive(format!(
                "the series reached Prometheus {} ms after the test's time zero (the machine is too \
                 loaded for time scale {}): rerun with a smaller --time-scale",
                pushed - t0,
                self.scale.factor
            )));
        }
        let t0_instant = Instant::now() + Duration::from_millis((t0 - pushed) as u64);
        let at = |scenario: Duration| t0 + self.scale.wall_ms(scenario);

        let expected = expected_alerts(test);
        let wanted: BTreeSet<i64> = test
            .alert_rule_test
            .iter()
            .map(|case| self.scale.wall_ms(case.eval_time.get()) / self.scale.tick_ms)
            .collect();
        // On a thread and runtime of its own: its reads are due within one tick, whatever
        // the caller's runtime (a test's single thread) and the checks are busy with.
        let observe = {
            let (sender, receiver) = tokio::sync::oneshot::channel();
            let (prometheus, scale, margin) = (prometheus.clone(), self.scale, self.margin);
            let t0 = t0 + lag;
            std::thread::spawn(move || {
                let seen = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => {
                        runtime.block_on(observe(prometheus, wanted, t0, t0_instant, scale, margin))
                    }
                    Err(e) => Err(Stop::Failed(format!("no runtime for the observer: {e}"))),
                };
                let _ = sender.send(seen);
            });
            receiver
        };
        let ends = t0_instant + Duration::from_millis(self.scale.wall_ms(end) as u64);
        let follow = futures::future::join_all(expected.iter().map(|(alert, plan)| {
            let start = t0_instant + Duration::from_millis(self.scale.wall_ms(plan.start) as u64);
            self.follow(running, session, alert, plan, start, ends)
        }));
        let (observed, followed) = futures::join!(observe, follow);
        let mut late = Vec::new();
        for (outcomes, came_late) in followed {
            report.checks.extend(outcomes);
            late.extend(came_late);
        }
        let observed =
            observed.map_err(|e| Stop::Failed(format!("the observer stopped: {e}")))??;
        // A Prometheus that skipped evaluations (a loaded machine) did not compute what
        // promtool does: the run proves nothing either way, and says so.
        if let (Some(before), Some(after)) = (missed_before, missed_evaluations(&prometheus).await)
        {
            let missed = after - before;
            if missed > 0.0 {
                return Err(Stop::Inconclusive(format!(
                    "Prometheus skipped {missed} evaluations of the replay group (the machine is \
                     too loaded for time scale {}), so the live run is not what promtool \
                     computes; rerun with a smaller --time-scale or fewer --jobs",
                    self.scale.factor
                )));
            }
        }
        // A notification that came, but after its deadline, was held up (a loaded machine,
        // Slack refusing it first): a missing one fails the test, a late one proves nothing.
        if !late.is_empty() {
            return Err(Stop::Inconclusive(format!(
                "{}: a notification that comes late at time scale {} proves nothing either way \
                 (a machine too loaded, or Slack refusing it first); rerun with a smaller \
                 --time-scale or fewer --jobs",
                late.join("; "),
                self.scale.factor
            )));
        }

        // Agreement with promtool at every eval_time.
        for (i, case) in test.alert_rule_test.iter().enumerate() {
            let k = self.scale.wall_ms(case.eval_time.get()) / self.scale.tick_ms;
            let expected: Vec<FiredAlert> = case
                .exp_alerts
                .iter()
                .map(|e| {
                    let mut labels = e.exp_labels.clone();
                    labels.insert("alertname".to_string(), case.alertname.clone());
                    FiredAlert {
                        labels,
                        annotations: e.exp_annotations.clone(),
                    }
                })
                .collect();
            let Some(snapshot) = observed.get(&k) else {
                return Err(Stop::Failed(format!(
                    "the evaluation at {} was not observed",
                    case.eval_time
                )));
            };
            if snapshot.named(&case.alertname).any(|(tick, _)| tick != k) {
                report.read_later += 1;
            }
            let live = recover(
                &prometheus,
                &case.alertname,
                k,
                at(case.eval_time.get()),
                snapshot,
            )
            .await
            .map_err(|why| {
                Stop::Inconclusive(format!(
                    "the evaluation at {} was over before {} could be read, and {why}: the \
                         machine is too loaded for time scale {}; rerun with a smaller \
                         --time-scale or fewer --jobs",
                    case.eval_time, case.alertname, self.scale.factor
                ))
            })?;
            let mut expected = expected;
            expected.sort();
            report.compared += 1;
            if live != expected {
                report.disagreements.push(Disagreement::Alerts {
                    index: i,
                    eval_time: case.eval_time.to_string(),
                    alertname: case.alertname.clone(),
                    promtool: expected,
                    promtool_passed: self.promtool.passed,
                    live,
                });
            }
        }
        for (i, case) in test.promql_expr_test.iter().enumerate() {
            let expr = scale_expr(&case.expr, f64::from(self.scale.factor))
                .map_err(|e| {
                    format!("promql_expr_test[{i}]: the PromQL parser cannot read it ({e})")
                })?
                .expr;
            let got = prometheus
                .query_at(&expr, at(case.eval_time.get()))
                .await
                .map_err(|e| format!("promql_expr_test[{i}]: {e}"))?;
            let mut live: Vec<(BTreeMap<String, String>, f64)> =
                got.into_iter().map(|s| (s.metric, s.value)).collect();
            let mut expected: Vec<(BTreeMap<String, String>, f64)> = case
                .exp_samples
                .iter()
                .map(|s| (s.labels.clone(), s.value))
                .collect();
            live.sort_by(|a, b| a.0.cmp(&b.0));
            expected.sort_by(|a, b| a.0.cmp(&b.0));
            report.compared += 1;
            let agrees = live.len() == expected.len()
                && live
                    .iter()
                    .zip(&expected)
                    .all(|(l, e)| l.0 == e.0 && same_value(l.1, e.1));
            if !agrees {
                report.disagreements.push(Disagreement::Samples {
                    index: i,
                    eval_time: case.eval_time.to_string(),
                    expr: case.expr.clone(),
                    scaled: expr,
                    promtool: expected,
                    promtool_passed: self.promtool.passed,
                    live,
                });
            }
        }
        // An alert the test names but never expects firing sends nothing while the test runs.
        let end_wall =
            SystemTime::UNIX_EPOCH + Duration::from_millis((t0 + self.scale.wall_ms(end)) as u64);
        let groups = session.seen_alerts.groups();
        for alert in silent_alerts(test, &expected) {
            report
                .checks
                .push(sends_nothing(&alert, &groups, end_wall, wall.elapsed()));
        }
        if self.expect.no_other_notifications {
            report
                .checks
                .push(no_other(&expected, &groups, end_wall, wall.elapsed()));
        }
        Ok(())
    }

    /// `verify`'s checks for one alert the test expects to fire, from just before it should;
    /// and, when its notification did not come in time but came after all (before the test
    /// `ends`, or within as long again), how late.
    async fn follow(
        &self,
        running: &RunningStack,
        session: &Session,
        alert: &str,
        plan: &Follow,
        start: Instant,
        ends: Instant,
    ) -> (Vec<crate::replay::outcome::FollowedCheck>, Option<String>) {
        tokio::time::sleep_until(start.into()).await;
        let mut checks = vec![
            Check::AlertInAlertmanager(alert.to_string()),
            Check::AlertDelivered(alert.to_string()),
        ];
        if plan.resolves {
            checks.push(Check::AlertResolved(alert.to_string()));
        }
        let outcomes = run_checks(
            running,
            session,
            &checks[..1],
            Some(self.margin),
            &mut crate::checks::SilentProgress,
        )
        .await;
        let in_alertmanager = outcomes[0].clone();
        if in_alertmanager.status == crate::checks::CheckStatus::Failed {
            if let Some(by) = inhibited_by(running, alert).await {
                let inhibited = crate::replay::outcome::FollowedCheck {
                    check: None,
                    outcome: CheckOutcome {
                        name: format!("alert {alert} inhibited in Alertmanager"),
                        status: crate::checks::CheckStatus::Passed,
                        detail: format!(
                            "Alertmanager inhibits {alert} while {by} fires (its inhibit_rules), so it \
                             sends nothing for it"
                        ),
                        ..in_alertmanager
                    },
                };
                return (vec![inhibited], None);
            }
        }
        let mut followed = vec![crate::replay::outcome::FollowedCheck {
            check: Some(checks[0].clone()),
            outcome: in_alertmanager,
        }];
        let rest = run_checks(
            running,
            session,
            &checks[1..],
            Some(self.margin),
            &mut crate::checks::SilentProgress,
        )
        .await;
        let failed_first = followed[0].outcome.status == crate::checks::CheckStatus::Failed;
        let late = if !failed_first && rest[0].status == crate::checks::CheckStatus::Failed {
            let waited = rest[0].deadline.unwrap_or(self.margin);
            self.came_late(running, session, &checks[1], waited, ends)
                .await
        } else {
            None
        };
        for (check, outcome) in checks[1..].iter().zip(rest) {
            let outcome = if failed_first {
                CheckOutcome::skipped(
                    check.name(),
                    crate::checks::SkipReason::EarlierFailed {
                        check: checks[0].name(),
                    },
                )
            } else {
                outcome
            };
            followed.push(crate::replay::outcome::FollowedCheck {
                check: Some(check.clone()),
                outcome,
            });
        }
        (followed, late)
    }

    /// After `delivered` failed, having waited `waited`: whether the firing notification
    /// comes still, looked for again until the test `ends` (at least as long again), and if
    /// so, how late. (A notification Slack refused and Alertmanager gave up on comes as
    /// resolved, if at all: still missing.)
    async fn came_late(
        &self,
        running: &RunningStack,
        session: &Session,
        delivered: &Check,
        waited: Duration,
        ends: Instant,
    ) -> Option<String> {
        let failed_at = Instant::now();
        let window = waited.max(ends.saturating_duration_since(failed_at));
        let again = run_checks(
            running,
            session,
            std::slice::from_ref(delivered),
            Some(window),
            &mut crate::checks::SilentProgress,
        )
        .await;
        (again[0].status == crate::checks::CheckStatus::Passed).then(|| {
            format!(
                "{} only {:.1} s after its deadline",
                delivered.name(),
                failed_at.elapsed().as_secs_f64()
            )
        })
    }
}

/// How many evaluations Prometheus has skipped so far (its own counter), if it says.
async fn missed_evaluations(prometheus: &PrometheusClient) -> Option<f64> {
    let metrics = prometheus.own_metrics().await.ok()?;
    Some(crate::checks::metric_sum(
        &metrics,
        "prometheus_rule_group_iterations_missed_total",
    ))
}

/// When the tick rule was last evaluated, by the wall clock (milliseconds).
async fn tick_evaluated(prometheus: &PrometheusClient) -> Option<i64> {
    let groups = prometheus.rules().await.ok()?;
    let group = groups.into_iter().find(|g| g.name == GROUP)?;
    let rule = group.rules.into_iter().find(|r| r.name == TICK)?;
    rule.last_evaluation
        .as_deref()
        .and_then(parse_timestamp)
        .map(|t| unix_millis(t) as i64)
}

/// The alerts that inhibit `alert` in Alertmanager now, by name; `None` when it is not inhibited.
async fn inhibited_by(running: &RunningStack, alert: &str) -> Option<String> {
    let alerts = AlertmanagerClient::new(&running.endpoints().alertmanager)
        .alerts()
        .await
        .ok()?;
    let found = alerts.iter().find(|a| a.name() == Some(alert))?;
    if found.status.inhibited_by.is_empty() {
        return None;
    }
    let names: Vec<String> = found
        .status
        .inhibited_by
        .iter()
        .map(|f| {
            alerts
                .iter()
                .find(|a| &a.fingerprint == f)
                .and_then(|a| a.name())
                .map_or_else(|| f.clone(), str::to_string)
        })
        .collect();
    Some(names.join(", "))
}

/// The alerts some alert_rule_test names and none expects firing.
fn silent_alerts(test: &RuleTest, expected: &BTreeMap<String, Follow>) -> BTreeSet<String> {
    test.alert_rule_test
        .iter()
        .map(|case| case.alertname.clone())
        .filter(|name| !expected.contains_key(name))
        .collect()
}

/// Whether Alertmanager ever held `alert` unmuted, started by the test's last eval_time
/// (the session watched its groups all along): then it may have notified.
fn sends_nothing(
    alert: &str,
    groups: &[crate::checks::SeenGroup],
    end: SystemTime,
    elapsed: Duration,
) -> crate::replay::outcome::FollowedCheck {
    let reached = reached_receivers(groups, end, |name| name == alert);
    let (status, detail) = if reached.is_empty() {
        (
            crate::checks::CheckStatus::Passed,
            format!(
                "no eval_time expects {alert} firing, and it never reached alertmanager while the \
                 test ran"
            ),
        )
    } else {
        (
            crate::checks::CheckStatus::Failed,
            format!(
                "no eval_time expects {alert} firing, but it reached alertmanager (and may be \
                 notified): {}",
                reached.join("; ")
            ),
        )
    };
    verdict(
        format!("alert {alert} sends nothing"),
        status,
        detail,
        None,
        elapsed,
    )
}

/// Every alert whose name `pick` takes that Alertmanager held unmuted in a group, started by
/// `end` (the session watched the groups all along): each as `NAME for receiver R from T`.
fn reached_receivers(
    groups: &[crate::checks::SeenGroup],
    end: SystemTime,
    pick: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut reached: Vec<String> = groups
        .iter()
        .flat_map(|g| g.current.iter().chain(&g.gone).map(move |a| (g, a)))
        .filter(|(_, a)| a.name().is_some_and(&pick))
        .filter(|(_, a)| a.status.state != crate::clients::AmAlertState::Suppressed)
        .filter(|(_, a)| parse_timestamp(&a.starts_at).is_some_and(|t| t <= end))
        .map(|(g, a)| {
            format!(
                "{} for receiver {} from {}",
                a.name().unwrap_or_default(),
                g.receiver,
                a.starts_at
            )
        })
        .collect();
    reached.sort();
    reached.dedup();
    reached
}

/// `no_other_notifications`: every alert that reached a receiver is one the test expects
/// firing.
fn no_other(
    expected: &BTreeMap<String, Follow>,
    groups: &[crate::checks::SeenGroup],
    end: SystemTime,
    elapsed: Duration,
) -> crate::replay::outcome::FollowedCheck {
    let others = reached_receivers(groups, end, |name| !expected.contains_key(name));
    let (status, detail) = if others.is_empty() {
        (
            crate::checks::CheckStatus::Passed,
            format!(
                "only the alerts the test expects firing reached alertmanager's receivers ({})",
                expected.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        )
    } else {
        (
            crate::checks::CheckStatus::Failed,
            format!(
                "alerts the test never expects firing reached alertmanager's receivers (and \
                 may be notified): {}",
                others.join("; ")
            ),
        )
    };
    verdict(
        "no other notification".to_string(),
        status,
        detail,
        None,
        elapsed,
    )
}

/// Where an alert's notifications went (the messages the delivered checks matched to it),
/// against where the expectations say they must go.
fn notified(
    expected: &NotificationExpectation,
    checks: &[crate::replay::outcome::FollowedCheck],
    messages: &[crate::slack::SlackMessage],
    elapsed: Duration,
) -> crate::replay::outcome::FollowedCheck {
    use crate::checks::CheckStatus::{Failed, Passed};
    let alert = &expected.alertname;
    let mut wants = Vec::new();
    if let Some(receiver) = &expected.receiver {
        wants.push(format!("through receiver {receiver}"));
    }
    if let Some(channel) = &expected.channel {
        wants.push(format!("in {channel}"));
    }
    let name = format!("alert {alert} notified {}", wants.join(" "));
    let matched: Vec<&crate::checks::MessageMatch> = checks
        .iter()
        .flat_map(|c| &c.outcome.messages)
        .filter(|m| m.alerts.iter().any(|(a, s)| a == alert && s == "firing"))
        .collect();
    let mut receivers: Vec<&str> = matched.iter().map(|m| m.receiver.as_str()).collect();
    receivers.sort_unstable();
    receivers.dedup();
    let mut channels: Vec<String> = matched
        .iter()
        .filter_map(|m| messages.iter().find(|message| message.seq == m.seq))
        .map(|message| {
            message
                .body
                .get("channel")
                .and_then(serde_json::Value::as_str)
                .map_or_else(|| "the webhook's own channel".to_string(), str::to_string)
        })
        .collect();
    channels.sort();
    channels.dedup();
    let (status, detail) = if matched.is_empty() {
        (
            Failed,
            format!(
                "no Slack message was matched to {alert} firing (its delivered check says why)"
            ),
        )
    } else {
        let receiver_ok = expected
            .receiver
            .as_ref()
            .is_none_or(|r| receivers.contains(&r.as_str()));
        let channel_ok = expected
            .channel
            .as_ref()
            .is_none_or(|c| channels.contains(c));
        let found = format!(
            "{alert} was notified through {} in {}",
            receivers.join(", "),
            channels.join(", ")
        );
        if receiver_ok && channel_ok {
            (Passed, found)
        } else {
            (Failed, format!("{found}, not {}", wants.join(" ")))
        }
    };
    verdict(name, status, detail, None, elapsed)
}

/// A verdict the replay adds to `verify`'s checks (it has no [`Check`] of its own).
fn verdict(
    name: String,
    status: crate::checks::CheckStatus,
    detail: String,
    evidence: Option<String>,
    elapsed: Duration,
) -> crate::replay::outcome::FollowedCheck {
    crate::replay::outcome::FollowedCheck {
        check: None,
        outcome: CheckOutcome {
            name,
            status,
            elapsed,
            deadline: None,
            detail,
            skip: None,
            messages: Vec::new(),
            evidence,
        },
    }
}

/// The test's Slack payloads against their snapshot at `path`.
fn snapshot_check(
    path: &std::path::Path,
    payloads: &str,
    update: bool,
    elapsed: Duration,
) -> crate::replay::outcome::FollowedCheck {
    use crate::checks::CheckStatus::{Failed, Passed};
    use crate::snapshot::SnapshotMatch;
    let name = "Slack messages match their snapshot".to_string();
    let shown = path.display();
    let (status, detail, evidence) =
        match crate::snapshot::compare_with_file(path, payloads, update) {
            Ok(SnapshotMatch::Same) => (Passed, format!("the payloads are {shown}"), None),
            Ok(SnapshotMatch::Recorded) => (
                Passed,
                format!("recorded {shown}: review it, then commit it"),
                None,
            ),
            Ok(SnapshotMatch::Missing) => (
                Failed,
                format!(
                "there is no snapshot {shown}: run again with --update-snapshots to record it, \
                 review it, then commit it"
            ),
                Some(payloads.to_string()),
            ),
            Ok(SnapshotMatch::Differs(diff)) => (
                Failed,
                format!(
                "the payloads differ from {shown} (the diff below); if the change is meant, run \
                 again with --update-snapshots, review it, then commit it"
            ),
                Some(diff),
            ),
            Err(e) => (
                Failed,
                format!("{shown} could not be read or written: {e}"),
                None,
            ),
        };
    verdict(name, status, detail, evidence, elapsed)
}

/// How to follow one alert: from when, and whether it should be seen resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Follow {
    /// The eval_time before the first one it is expected firing at (scenario time).
    pub(crate) start: Duration,
    /// Whether a later eval_time expects it gone.
    pub(crate) resolves: bool,
}

/// Every alert some alert_rule_test expects firing, with how to follow it.
pub(crate) fn expected_alerts(test: &RuleTest) -> BTreeMap<String, Follow> {
    let mut cases: Vec<_> = test.alert_rule_test.iter().collect();
    cases.sort_by_key(|c| c.eval_time.get());
    let mut follows: BTreeMap<String, Follow> = BTreeMap::new();
    let mut last_seen: BTreeMap<&str, Duration> = BTreeMap::new();
    for case in cases {
        let name = case.alertname.as_str();
        if case.exp_alerts.is_empty() {
            if let Some(follow) = follows.get_mut(name) {
                follow.resolves = true;
            }
        } else if !follows.contains_key(name) {
            let start = last_seen.get(name).copied().unwrap_or(Duration::ZERO);
            follows.insert(
                name.to_string(),
                Follow {
                    start,
                    resolves: false,
                },
            );
        }
        last_seen.insert(name, case.eval_time.get());
    }
    follows
}

/// Equal, or both NaN, or within what a division by the scale may change in the last digits.
fn same_value(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// The replay group's alerting rules at each eval_time an alert_rule_test names, read from
/// Prometheus right after that evaluation (its state lasts one tick).
async fn observe(
    prometheus: PrometheusClient,
    wanted: BTreeSet<i64>,
    t0: i64,
    t0_instant: Instant,
    scale: Scale,
    margin: Duration,
) -> Result<BTreeMap<i64, Snapshot>, Stop> {
    let tick = scale.tick_ms;
    let mut seen = BTreeMap::new();
    for k in wanted {
        // Wakes at the evaluation's scheduled time, then reads until every rule has run: a
        // read every eighth of a tick, without waiting for the ones in flight (on a loaded
        // machine an answer may take longer than a tick; what counts is when Prometheus
        // read). Each rule is taken from the answer that shows it at the tick; one read only
        // after a later evaluation is kept, the earliest, to recover from.
        let due = t0_instant + Duration::from_millis((k * tick) as u64);
        tokio::time::sleep_until(due.into()).await;
        let every = Duration::from_millis((tick / 8).max(2) as u64);
        let deadline = Instant::now() + Duration::from_millis(tick as u64) + margin;
        let mut inflight = futures::stream::FuturesUnordered::new();
        let mut next = Instant::now();
        let mut snapshot = Snapshot::default();
        let mut last_seen = String::from("no answer yet");
        loop {
            let now = Instant::now();
            let complete = snapshot.complete();
            if snapshot.all_at(k) || (complete && inflight.is_empty()) {
                break;
            }
            if !complete && now >= next && now < deadline && inflight.len() < 16 {
                let prometheus = prometheus.clone();
                inflight.push(async move { prometheus.rules().await });
                next = now + every;
            }
            if inflight.is_empty() && now >= deadline {
                return Err(Stop::Inconclusive(format!(
                    "the evaluation at tick {k} never showed within {} ms ({last_seen}): the \
                     machine is too loaded for time scale {}; rerun with a smaller --time-scale \
                     or fewer --jobs",
                    tick + margin.as_millis() as i64,
                    scale.factor
                )));
            }
            // The next read is due at `next` while reads are still being made; else only the
            // answers in flight are awaited.
            let wake = if !complete && now < deadline {
                next
            } else {
                deadline.max(now) + margin
            };
            let answer = tokio::select! {
                Some(answer) = futures::StreamExt::next(&mut inflight) => answer,
                () = tokio::time::sleep_until(wake.into()) => continue,
            };
            if let Some(why) = snapshot.merge(answer, k, t0, tick)? {
                last_seen = why;
            }
        }
        seen.insert(k, snapshot);
    }
    Ok(seen)
}

/// Why a live run stopped before its verdict.
#[derive(Debug)]
pub(crate) enum Stop {
    /// What Prometheus computed could not be read in time (a machine too loaded for the time
    /// scale): the run proves nothing either way.
    Inconclusive(String),
    /// Anything else.
    Failed(String),
}

impl From<String> for Stop {
    fn from(reason: String) -> Self {
        Stop::Failed(reason)
    }
}

/// The replay group's alerting rules as read for one evaluation: each rule (in the group's
/// order) with the tick it was read at, that evaluation's or, where that one was over before
/// it could be read, the earliest later one.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    rules: Vec<Option<(i64, crate::clients::RuleStatus)>>,
    /// An answer showed the group without any alerting rule.
    seen_empty: bool,
}

impl Snapshot {
    /// Every rule read, at the tick or after it.
    pub(crate) fn complete(&self) -> bool {
        !self.rules.is_empty() && self.rules.iter().all(Option::is_some)
    }

    /// Every rule read at tick `k` (or the group has no alerting rule).
    pub(crate) fn all_at(&self, k: i64) -> bool {
        self.seen_empty
            || (!self.rules.is_empty()
                && self
                    .rules
                    .iter()
                    .all(|r| matches!(r, Some((i, _)) if *i == k)))
    }

    /// Takes what one answer of the rules API shows of the evaluation at tick `k`: each
    /// rule's own `lastEvaluation` says which evaluation its state is (an answer may come
    /// while the group evaluates its rules one after another). Returns why the answer showed
    /// nothing new, if it did not.
    pub(crate) fn merge(
        &mut self,
        answer: Result<Vec<crate::clients::RuleGroupStatus>, crate::clients::ClientError>,
        k: i64,
        t0: i64,
        tick: i64,
    ) -> Result<Option<String>, Stop> {
        let groups = match answer {
            Ok(groups) => groups,
            Err(e) => return Ok(Some(e.to_string())),
        };
        let Some(group) = groups.into_iter().find(|g| g.name == GROUP) else {
            return Err(Stop::Failed(format!(
                "Prometheus has no rule group {GROUP}"
            )));
        };
        let rules: Vec<crate::clients::RuleStatus> = group
            .rules
            .into_iter()
            .filter(|r| r.kind == RuleKind::Alerting)
            .collect();
        if rules.is_empty() {
            self.seen_empty = true;
            return Ok(None);
        }
        if self.rules.len() != rules.len() {
            self.rules = vec![None; rules.len()];
        }
        let mut behind = None;
        for (slot, rule) in self.rules.iter_mut().zip(rules) {
            let Some(last) = rule
                .last_evaluation
                .as_deref()
                .and_then(parse_timestamp)
                .map(|t| unix_millis(t) as i64)
            else {
                return Err(Stop::Failed(
                    "Prometheus does not say when it last evaluated a rule (2.17 and later do)"
                        .to_string(),
                ));
            };
            // `t0` is time zero's evaluation by the wall clock: the nearest tick.
            let index = (last - t0 + tick / 2).div_euclid(tick);
            let keep = match slot {
                _ if index < k => {
                    behind = Some(format!("{} was last evaluated at tick {index}", rule.name));
                    false
                }
                None => true,
                Some((kept, _)) => index == k || (*kept != k && index < *kept),
            };
            if keep {
                *slot = Some((index, rule));
            }
        }
        Ok(behind)
    }

    /// The alerting rules named `alert`, each with the tick it was read at.
    pub(crate) fn named<'s>(
        &'s self,
        alert: &'s str,
    ) -> impl Iterator<Item = (i64, &'s crate::clients::RuleStatus)> + 's {
        self.rules
            .iter()
            .flatten()
            .filter(move |(_, r)| r.name == alert)
            .map(|(i, r)| (*i, r))
    }
}

/// The firing alerts named `alert` at tick `k` (`at_ms`), from the rules as read: a rule
/// read at that tick gives its alerts as they are; where a rule was read only at a later
/// evaluation, the labels come from Prometheus's own record (`ALERTS` at that time) and the
/// annotations from the later evaluation, which is sound only where each alert's value then
/// is its value at `at_ms` (the expression, as Prometheus runs it, queried at that time):
/// annotations are rendered from the labels and the value.
async fn recover(
    prometheus: &PrometheusClient,
    alert: &str,
    k: i64,
    at_ms: i64,
    snapshot: &Snapshot,
) -> Result<Vec<FiredAlert>, String> {
    let firing =
        |alert: &crate::clients::PromAlert| alert.state == crate::clients::AlertState::Firing;
    let mut live: Vec<FiredAlert> = snapshot
        .named(alert)
        .filter(|(tick, _)| *tick == k)
        .flat_map(|(_, r)| r.alerts.iter().filter(|a| firing(a)))
        .map(|a| FiredAlert {
            labels: a.labels.clone(),
            annotations: a.annotations.clone(),
        })
        .collect();
    let later: Vec<&crate::clients::RuleStatus> = snapshot
        .named(alert)
        .filter(|(tick, _)| *tick != k)
        .map(|(_, r)| r)
        .collect();
    if !later.is_empty() {
        let recorded = prometheus
            .query_at(
                &format!("ALERTS{{alertname=\"{alert}\",alertstate=\"firing\"}}"),
                at_ms,
            )
            .await
            .map_err(|e| format!("ALERTS could not be read ({e})"))?;
        let mut values = Vec::new();
        for rule in &later {
            let samples = prometheus
                .query_at(&rule.query, at_ms)
                .await
                .map_err(|e| format!("the expression could not be queried ({e})"))?;
            values.extend(samples);
        }
        for sample in recorded {
            let mut labels = sample.metric;
            labels.remove("__name__");
            labels.remove("alertstate");
            if live.iter().any(|a| a.labels == labels) {
                continue;
            }
            let then = later
                .iter()
                .flat_map(|r| &r.alerts)
                .find(|a| a.labels == labels)
                .ok_or_else(|| format!("{labels:?} no longer fired at the evaluation read"))?;
            let value = values
                .iter()
                .find(|v| {
                    v.metric
                        .iter()
                        .filter(|(k, _)| k.as_str() != "__name__")
                        .all(|(k, val)| labels.get(k) == Some(val))
                })
                .map(|v| v.value)
                .ok_or_else(|| format!("no value of {labels:?} at the eval_time"))?;
            if !(value == then.value || value.is_nan() && then.value.is_nan()) {
                return Err(format!(
                    "the value of {labels:?} changed from {value} to {} by the evaluation read",
                    then.value
                ));
            }
            live.push(FiredAlert {
                labels,
                annotations: then.annotations.clone(),
            });
        }
    }
    live.sort();
    Ok(live)
}
