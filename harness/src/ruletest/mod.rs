//! promtool's rule unit-test files (`promtool test rules tests.yml`), read as written: the
//! rule files, the evaluation interval, the group order and each test's input series (the
//! expanding notation expanded), expected alerts and expected PromQL samples.
//!
//! The format is Prometheus 2.x's, read as strictly as promtool reads it (an unknown key is
//! an error). One difference: a test without `interval` steps its series by the file's
//! `evaluation_interval`, as promtool does since 2.48; promtool before 2.48 put every value
//! at time 0. Native histogram samples (`{{...}}`) are refused. Every error names the file,
//! the test and the key, and for the notation the offending token.

pub(crate) mod expect;
mod series;
mod values;
mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::{InputError, Result};
use crate::time::PromDuration;

pub(crate) use expect::{read_expectations, NotificationExpectation, TestExpectations};
pub(crate) use series::{parse_series, SeriesUse};
pub(crate) use values::expand_values;
use yaml::Node;

/// The evaluation interval when the file gives none (or `0s`), as in promtool.
const DEFAULT_EVALUATION_INTERVAL: PromDuration = PromDuration::from_secs(60);

const FILE_KEYS: [&str; 4] = [
    "rule_files",
    "evaluation_interval",
    "group_eval_order",
    "tests",
];
const TEST_KEYS: [&str; 7] = [
    "name",
    "interval",
    "input_series",
    "alert_rule_test",
    "promql_expr_test",
    "external_labels",
    "external_url",
];
const SERIES_KEYS: [&str; 2] = ["series", "values"];
const ALERT_TEST_KEYS: [&str; 3] = ["eval_time", "alertname", "exp_alerts"];
const ALERT_KEYS: [&str; 2] = ["exp_labels", "exp_annotations"];
const EXPR_TEST_KEYS: [&str; 3] = ["expr", "eval_time", "exp_samples"];
const SAMPLE_KEYS: [&str; 2] = ["labels", "value"];

/// One rule test file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TestFile {
    /// The file read.
    pub(crate) path: PathBuf,
    /// The rule files as written (relative ones are relative to the test file's directory;
    /// promtool expands globs).
    pub(crate) rule_files: Vec<String>,
    /// How often the rules are evaluated (default 1m).
    pub(crate) evaluation_interval: PromDuration,
    /// Rule groups to evaluate first, in this order; the others after them.
    pub(crate) group_eval_order: Vec<String>,
    /// The tests, in the file's order.
    pub(crate) tests: Vec<RuleTest>,
}

/// One entry of `tests`: input series and what the rules must make of them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RuleTest {
    /// Its position in `tests` (from 0, as in the key `tests[2]`).
    pub(crate) index: usize,
    /// `name`, when given.
    pub(crate) name: Option<String>,
    /// The step between values of the input series (default: the evaluation interval).
    pub(crate) interval: PromDuration,
    /// The input series.
    pub(crate) input_series: Vec<InputSeries>,
    /// Expected firing alerts at given times.
    pub(crate) alert_rule_test: Vec<AlertRuleTest>,
    /// Expected results of PromQL expressions at given times.
    pub(crate) promql_expr_test: Vec<PromqlExprTest>,
    /// External labels the alert templates see.
    pub(crate) external_labels: BTreeMap<String, String>,
    /// The external URL the alert templates see.
    pub(crate) external_url: Option<String>,
}

/// One input series: its labels and its values, one per interval from time 0.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InputSeries {
    /// `series` as written.
    pub(crate) text: String,
    /// The labels, the metric name as `__name__`.
    pub(crate) labels: BTreeMap<String, String>,
    /// Value k is at time k × interval.
    pub(crate) values: Vec<SeriesValue>,
}

/// One step of an input series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SeriesValue {
    /// `_`: no sample at this step.
    Missing,
    /// `stale`: a staleness marker.
    Stale,
    /// A sample.
    Value(f64),
}

/// One entry of `alert_rule_test`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlertRuleTest {
    /// When, from time 0.
    pub(crate) eval_time: PromDuration,
    /// The alert's name.
    pub(crate) alertname: String,
    /// The alerts firing then under that name (none: it must not fire).
    pub(crate) exp_alerts: Vec<ExpAlert>,
}

/// One expected firing alert.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExpAlert {
    /// Its labels (without `alertname`, which promtool adds).
    pub(crate) exp_labels: BTreeMap<String, String>,
    /// Its annotations, expanded.
    pub(crate) exp_annotations: BTreeMap<String, String>,
}

/// One entry of `promql_expr_test`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PromqlExprTest {
    /// The expression.
    pub(crate) expr: String,
    /// When, from time 0.
    pub(crate) eval_time: PromDuration,
    /// The samples it must return (none: an empty result).
    pub(crate) exp_samples: Vec<ExpSample>,
}

/// One expected sample.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExpSample {
    /// `labels` as written (may be empty, for a scalar).
    pub(crate) text: String,
    /// The labels, the metric name as `__name__`.
    pub(crate) labels: BTreeMap<String, String>,
    /// The value.
    pub(crate) value: f64,
}

impl RuleTest {
    /// `name`, or `test N` with N its index in `tests`.
    pub(crate) fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("test {}", self.index))
    }

    /// The latest `eval_time` of its alert and PromQL tests (0 when it has none): promtool
    /// evaluates the rules from 0 up to this time.
    pub(crate) fn max_eval_time(&self) -> PromDuration {
        let alerts = self.alert_rule_test.iter().map(|t| t.eval_time);
        let exprs = self.promql_expr_test.iter().map(|t| t.eval_time);
        alerts
            .chain(exprs)
            .max()
            .unwrap_or(PromDuration::from_secs(0))
    }

    /// The time of the last sample (a value or a staleness marker) of any input series; 0
    /// when there is none. Missing steps (`_`) at the end are not samples.
    pub(crate) fn last_sample_time(&self) -> PromDuration {
        let last_step = self
            .input_series
            .iter()
            .filter_map(|s| s.values.iter().rposition(|v| *v != SeriesValue::Missing))
            .max()
            .unwrap_or(0);
        step_time(self.interval, last_step)
    }
}

/// Reads and parses a rule test file.
pub(crate) fn read_test_file(path: &Path) -> Result<TestFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(path, format!("cannot read the rule test file: {e}")))?;
    parse_test_file(path, &text)
}

/// Parses a rule test file's text; `path` is only named in errors and kept.
pub(crate) fn parse_test_file(path: &Path, text: &str) -> Result<TestFile> {
    Ok(parse(path, text)?)
}

fn parse(path: &Path, text: &str) -> Result<TestFile, InputError> {
    crate::load::yaml_size::check_expanded_size(text).map_err(|why| InputError::new(path, why))?;
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(" at line {} column {}", l.line(), l.column()))
            .unwrap_or_default();
        InputError::new(path, format!("not valid YAML{at}: {e}"))
    })?;
    let root = Node::root(&value, path).mapping(&FILE_KEYS)?;
    let evaluation_interval = match root.duration_of("evaluation_interval")? {
        Some(interval) if !interval.get().is_zero() => interval,
        _ => DEFAULT_EVALUATION_INTERVAL,
    };
    let group_eval_order = root.texts_of("group_eval_order")?;
    let mut seen = BTreeSet::new();
    for (i, group) in group_eval_order.iter().enumerate() {
        if !seen.insert(group) {
            return Err(InputError::new(
                path,
                format!("the group `{group}` is listed twice; list each group once"),
            )
            .key(format!("group_eval_order[{i}]")));
        }
    }
    let tests = root
        .items_of("tests")?
        .into_iter()
        .enumerate()
        .map(|(index, node)| rule_test(index, node, evaluation_interval))
        .collect::<Result<_, _>>()?;
    Ok(TestFile {
        path: path.to_path_buf(),
        rule_files: root.texts_of("rule_files")?,
        evaluation_interval,
        group_eval_order,
        tests,
    })
}

fn rule_test(
    index: usize,
    node: Node<'_>,
    evaluation_interval: PromDuration,
) -> Result<RuleTest, InputError> {
    let name = node.text_of("name")?.filter(|name| !name.is_empty());
    let node = node
        .in_test(name.as_ref().map(|name| format!("test `{name}`")))
        .mapping(&TEST_KEYS)?;
    let interval = match node.duration_of("interval")? {
        Some(interval) if !interval.get().is_zero() => interval,
        _ => evaluation_interval,
    };
    let input_series = node
        .items_of("input_series")?
        .into_iter()
        .map(input_series)
        .collect::<Result<_, _>>()?;
    let alert_rule_test = node
        .items_of("alert_rule_test")?
        .into_iter()
        .map(alert_rule_test)
        .collect::<Result<_, _>>()?;
    let promql_expr_test = node
        .items_of("promql_expr_test")?
        .into_iter()
        .map(promql_expr_test)
        .collect::<Result<_, _>>()?;
    Ok(RuleTest {
        index,
        name,
        interval,
        input_series,
        alert_rule_test,
        promql_expr_test,
        external_labels: node.string_map("external_labels")?,
        external_url: node.text_of("external_url")?,
    })
}

fn input_series(node: Node<'_>) -> Result<InputSeries, InputError> {
    let node = node.mapping(&SERIES_KEYS)?;
    let (text, series_node) = node.required_text(
        "series",
        "name the series, e.g. `series: 'up{job=\"api\"}'`",
    )?;
    let labels = parse_series(&text, SeriesUse::Input).map_err(|why| series_node.error(why))?;
    let values = match node.get("values") {
        Some(values_node) => {
            let text = values_node.text()?;
            expand_values(&text).map_err(|why| values_node.error(why))?
        }
        None => Vec::new(),
    };
    Ok(InputSeries {
        text,
        labels,
        values,
    })
}

fn alert_rule_test(node: Node<'_>) -> Result<AlertRuleTest, InputError> {
    let node = node.mapping(&ALERT_TEST_KEYS)?;
    let (alertname, _) = node.required_text("alertname", "name the alert to check")?;
    let exp_alerts = node
        .items_of("exp_alerts")?
        .into_iter()
        .map(|alert| {
            let alert = alert.mapping(&ALERT_KEYS)?;
            Ok(ExpAlert {
                exp_labels: alert.string_map("exp_labels")?,
                exp_annotations: alert.string_map("exp_annotations")?,
            })
        })
        .collect::<Result<_, InputError>>()?;
    Ok(AlertRuleTest {
        eval_time: required_eval_time(&node)?,
        alertname,
        exp_alerts,
    })
}

fn promql_expr_test(node: Node<'_>) -> Result<PromqlExprTest, InputError> {
    let node = node.mapping(&EXPR_TEST_KEYS)?;
    let (expr, _) = node.required_text("expr", "write the PromQL expression to evaluate")?;
    let exp_samples = node
        .items_of("exp_samples")?
        .into_iter()
        .map(|sample| {
            let sample = sample.mapping(&SAMPLE_KEYS)?;
            let (text, labels) = match sample.get("labels") {
                Some(labels_node) => {
                    let text = labels_node.text()?;
                    let labels = parse_series(&text, SeriesUse::Expected)
                        .map_err(|why| labels_node.error(why))?;
                    (text, labels)
                }
                None => (String::new(), BTreeMap::new()),
            };
            Ok(ExpSample {
                text,
                labels,
                value: sample.number_or_zero("value")?,
            })
        })
        .collect::<Result<_, InputError>>()?;
    Ok(PromqlExprTest {
        expr,
        eval_time: required_eval_time(&node)?,
        exp_samples,
    })
}

/// `eval_time`, which must be given: promtool would read a missing one as 0s, which is
/// rarely what was meant.
fn required_eval_time(node: &Node<'_>) -> Result<PromDuration, InputError> {
    node.duration_of("eval_time")?.ok_or_else(|| {
        node.missing(
            "eval_time",
            "say when to check, e.g. `eval_time: 10m` (promtool would read a missing one as 0s)",
        )
    })
}

/// `interval × step`: the time of value `step` of an input series.
pub(crate) fn step_time(interval: PromDuration, step: usize) -> PromDuration {
    let steps = u32::try_from(step).unwrap_or(u32::MAX);
    PromDuration::new(interval.get().saturating_mul(steps))
}

#[cfg(test)]
mod tests;
