//! Scenario time on the wall clock: the time scale a test file runs at, and where each of a
//! test's samples and evaluations falls.
//!
//! A scale is faithful only where every duration the rules and the test compute with
//! (ranges, offsets, `for`, the evaluation and sample intervals, the `eval_time`s, the
//! lookback delta) divides to whole milliseconds, as Prometheus counts time; it is chosen as
//! the largest such that an evaluation still takes [`min_tick`] of wall time.

use std::time::Duration;

use crate::clients::WriteSeries;
use crate::error::{Error, InputError, Result};
use crate::plan::promql::durations;
use crate::replay::spec::MatchedRules;
use crate::ruletest::{RuleTest, SeriesValue, TestFile};

/// The shortest wall-clock evaluation interval chosen by default, for a run that replays
/// `at_once` tests at once: 100 ms for up to three a core (measured on 2 cores: six stacks
/// evaluating every 100 ms keep every evaluation; twelve skip some), 200 ms for more (24 and
/// 32 stacks every 200 ms keep every evaluation).
pub(crate) fn min_tick(at_once: usize) -> Duration {
    if at_once <= 3 * cores() {
        Duration::from_millis(100)
    } else {
        Duration::from_millis(200)
    }
}

/// The shortest wall-clock evaluation interval of a run sharing the process's slots with
/// others it cannot see.
pub(crate) const SHARED_TICK: Duration = Duration::from_millis(200);

/// The cores this machine gives the process.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// Scales tried, largest first.
const SCALES: [u32; 34] = [
    1200, 1000, 960, 900, 800, 720, 600, 480, 400, 360, 300, 240, 200, 180, 150, 120, 100, 90, 80,
    75, 60, 50, 48, 40, 30, 25, 24, 20, 15, 12, 10, 6, 5, 2,
];

/// Production's lookback delta and resend delay, which the plan scales too.
const BUILT_IN: [(&str, Duration); 2] = [
    ("the lookback delta (5m)", Duration::from_secs(300)),
    ("the resend delay (1m)", Duration::from_secs(60)),
];

/// A test file's time scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scale {
    /// Scenario time runs this many times faster than the wall clock.
    pub(crate) factor: u32,
    /// The evaluation interval on the wall clock, in milliseconds.
    pub(crate) tick_ms: i64,
}

impl Scale {
    /// A scenario duration on the wall clock, in whole milliseconds.
    pub(crate) fn wall_ms(&self, scenario: Duration) -> i64 {
        scenario.as_millis() as i64 / i64::from(self.factor)
    }
}

/// Every duration the scale must divide exactly, with where it is written.
fn durations_of(file: &TestFile, matched: &MatchedRules) -> Vec<(String, Duration)> {
    let mut all = vec![(
        "evaluation_interval".to_string(),
        file.evaluation_interval.get(),
    )];
    for (name, d) in BUILT_IN {
        all.push((name.to_string(), d));
    }
    for test in &file.tests {
        let at = format!("tests[{}]", test.index);
        all.push((format!("{at}.interval"), test.interval.get()));
        for (i, t) in test.alert_rule_test.iter().enumerate() {
            all.push((
                format!("{at}.alert_rule_test[{i}].eval_time"),
                t.eval_time.get(),
            ));
        }
        for (i, t) in test.promql_expr_test.iter().enumerate() {
            let key = format!("{at}.promql_expr_test[{i}]");
            all.push((format!("{key}.eval_time"), t.eval_time.get()));
            for d in durations(&t.expr).unwrap_or_default() {
                all.push((format!("{key}.expr"), d));
            }
        }
    }
    for (name, rule_file) in &matched.files {
        for group in &rule_file.groups {
            for rule in &group.rules {
                let which = rule
                    .alert
                    .as_deref()
                    .or(rule.record.as_deref())
                    .unwrap_or("?");
                all.push((format!("{name}: {which}.for"), rule.for_.get()));
                for d in durations(&rule.expr).unwrap_or_default() {
                    all.push((format!("{name}: {which}.expr"), d));
                }
            }
        }
    }
    all
}

fn divides(factor: u32, d: Duration) -> bool {
    d.as_millis().is_multiple_of(u128::from(factor))
}

/// The time scale for a test file: `given`, when every duration divides by it to whole
/// milliseconds (bad input naming the first that does not, otherwise), or the largest that
/// does and keeps an evaluation at least `min_tick` long.
pub(crate) fn choose_scale(
    file: &TestFile,
    matched: &MatchedRules,
    given: Option<u32>,
    min_tick: Duration,
) -> Result<Scale> {
    let all = durations_of(file, matched);
    let eval_ms = file.evaluation_interval.get().as_millis() as i64;
    let fits = |factor: u32| all.iter().find(|(_, d)| !divides(factor, *d));
    if let Some(factor) = given {
        if factor == 0 {
            return Err(bad(file, "the time scale must be at least 1".to_string()));
        }
        if let Some((key, d)) = fits(factor) {
            return Err(bad(
                file,
                format!(
                    "time scale {factor} does not divide {key} ({}) into whole milliseconds, so \
                     the replay could not compute what promtool computes; pick a scale that \
                     divides every duration, or leave it out and firedrill picks one",
                    crate::time::PromDuration::new(*d)
                ),
            ));
        }
        return Ok(Scale {
            factor,
            tick_ms: eval_ms / i64::from(factor),
        });
    }
    let factor = SCALES
        .iter()
        .copied()
        .find(|f| eval_ms / i64::from(*f) >= min_tick.as_millis() as i64 && fits(*f).is_none())
        .unwrap_or(1);
    Ok(Scale {
        factor,
        tick_ms: eval_ms / i64::from(factor),
    })
}

/// A scale at least twice as slow as `scale` that still divides every duration of `file`
/// (what a test that proved nothing on a loaded machine runs again at), if there is one
/// short of real time (which would take the test's whole scenario time) whose samples stay
/// within Prometheus's reach ([`require_within_reach`]).
pub(crate) fn slower(file: &TestFile, matched: &MatchedRules, scale: Scale) -> Option<Scale> {
    let tick = Duration::from_millis(2 * scale.tick_ms.max(1) as u64);
    choose_scale(file, matched, None, tick)
        .ok()
        .filter(|slower| slower.factor > 1 && 2 * slower.factor <= scale.factor)
        .filter(|slower| require_within_reach(file, *slower).is_ok())
}

/// How far ahead of the wall clock a test's samples may reach: Prometheus's head refuses
/// samples more than an hour older than its newest, rule results included.
pub(crate) const MAX_AHEAD: Duration = Duration::from_secs(50 * 60);

/// Bad input when a test of `file` would push samples further ahead than [`MAX_AHEAD`] at
/// `scale`.
pub(crate) fn require_within_reach(file: &TestFile, scale: Scale) -> Result<()> {
    for test in &file.tests {
        let span = test
            .last_sample_time()
            .get()
            .max(test.max_eval_time().get())
            + Duration::from_secs(600);
        let wall = Duration::from_millis(scale.wall_ms(span) as u64);
        if wall > MAX_AHEAD {
            return Err(bad(
                file,
                format!(
                    "{} spans {} of scenario time, {} min on the wall clock at time scale {}: \
                     Prometheus refuses samples more than an hour ahead of its others; give a \
                     larger --time-scale",
                    test.display_name(),
                    crate::time::PromDuration::new(span),
                    wall.as_secs() / 60,
                    scale.factor
                ),
            ));
        }
    }
    Ok(())
}

fn bad(file: &TestFile, message: String) -> Error {
    Error::Input(InputError::new(&file.path, message))
}

/// The test's input series on the wall clock from `t0_ms`: value k at `t0_ms` plus k
/// intervals (scaled), `_` left out, `stale` as Prometheus's staleness marker.
pub(crate) fn samples(test: &RuleTest, scale: Scale, t0_ms: i64) -> Vec<WriteSeries> {
    let step = scale.wall_ms(test.interval.get());
    test.input_series
        .iter()
        .map(|series| {
            let labels: Vec<(String, String)> = series
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let samples = series
                .values
                .iter()
                .enumerate()
                .filter_map(|(j, value)| {
                    let at = t0_ms + j as i64 * step;
                    match value {
                        SeriesValue::Missing => None,
                        SeriesValue::Stale => Some((at, crate::clients::stale_marker())),
                        SeriesValue::Value(v) => Some((at, *v)),
                    }
                })
                .collect();
            WriteSeries { labels, samples }
        })
        .collect()
}
