//! The start-up gap, gated: between Prometheus's start and its first scrape of each target
//! (its discovery lists targets ~5 s after the start, then each is scraped within its
//! interval), every series is absent. In compressed time those seconds are minutes of
//! scenario time, so `absent(up{job="api"})` or a `rate(...) == 0` rule would go pending and
//! fire on a healthy stack, which production, where the gap is seconds, never sees.
//!
//! So every rule that reads a series is evaluated as `(expr) and on() firedrill_started`
//! (labels and values untouched), and a group of firedrill's own records `firedrill_started`
//! once the harness has pushed one sample of `firedrill_startup_gate` (by remote write, after
//! Prometheus scraped every target once), then keeps it from its own last value. Before that,
//! every gated rule returns nothing; after it, exactly what it would. A rule with no selector
//! (`vector(1)`) is not gated: it reads nothing the gap could hide. Each gated expression, the
//! added rule file and the remote-write receiver flag are listed changes.
//!
//! Prometheus before 2.25 has no remote-write receiver: its rules are left ungated, and the
//! change list says so.

use serde_yaml::{Mapping, Value};

use super::changes::{Change, ChangeLog};
use crate::spec::{ComponentSpec, FileContent, PrometheusSpec};
use crate::tools::download::Release;
use crate::tools::Component;

/// The series the harness pushes once Prometheus has scraped every target.
pub const GATE: &str = "firedrill_startup_gate";
/// The series firedrill's group records from the gate on: the rules' condition.
pub const STARTED: &str = "firedrill_started";
/// The rule group recording [`STARTED`].
const GROUP: &str = "firedrill-startup";
/// The rule file holding that group: in a directory of its own, never inside one of the
/// manifests' volumes (on Kubernetes a file cannot be mounted into another volume's
/// read-only mount, a projected one or a ConfigMap mounted by `items`).
pub(crate) const FILE: &str = "/etc/firedrill/firedrill-startup.yaml";
/// The flag that turns on the remote-write receiver (Prometheus 2.25 and later; 2.33 and later
/// also name it `--web.enable-remote-write-receiver`, and still accept this one).
pub(crate) const RECEIVER_FLAG: &str = "--enable-feature=remote-write-receiver";
/// The receiver's other name (2.33 and later).
pub(crate) const RECEIVER_WEB_FLAG: &str = "--web.enable-remote-write-receiver";

/// Whether the plan gates this Prometheus's rules at start-up: `Ok(true)` when time is
/// compressed, it scrapes something and its version has a remote-write receiver; `Ok(false)`
/// at time scale 1 (the gap is then what production sees at every restart) or when it scrapes
/// nothing (a replay: its series arrive by remote write); `Err(why not)` when its version
/// cannot.
pub(crate) fn gates(
    me: &ComponentSpec,
    prometheus: &PrometheusSpec,
    scale: f64,
) -> Result<bool, String> {
    // At time scale 1 the gap is as long as production's own at every restart.
    if scale == 1.0 {
        return Ok(false);
    }
    let scrapes = prometheus
        .config
        .get("scrape_configs")
        .and_then(Value::as_sequence)
        .is_some_and(|jobs| !jobs.is_empty());
    if !scrapes {
        return Ok(false);
    }
    if let Ok(release) = Release::of_image(Component::Prometheus, &me.image) {
        let mut parts = release.version.split(['.', '-', '+']);
        let major: Option<u64> = parts.next().and_then(|p| p.parse().ok());
        let minor: Option<u64> = parts.next().and_then(|p| p.parse().ok());
        if let (Some(2), Some(minor)) = (major, minor) {
            if minor < 25 {
                return Err(format!(
                    "Prometheus {} has no remote-write receiver (2.25 and later): rules see the \
                     gap before the first scrape as absent series",
                    release.version
                ));
            }
        }
    }
    Ok(true)
}

/// `expr` gated on [`STARTED`] when it reads a series; `None` when it reads none (or cannot
/// be read: lint names it, and Prometheus says what is wrong with it).
pub(crate) fn gated_expr(expr: &str) -> Option<String> {
    if !super::promql::reads_series(expr) {
        return None;
    }
    super::promql::gated(expr, STARTED).ok()
}

/// The rule file recording [`STARTED`], at [`FILE`], evaluated every `interval` (the
/// shortest of the rule groups', so that the latch never lapses between two of its own
/// evaluations).
pub(crate) fn gate_rule_file(interval: &str) -> (String, FileContent) {
    let path = FILE.to_string();
    let mut rule = Mapping::new();
    rule.insert("record".into(), STARTED.into());
    rule.insert(
        "expr".into(),
        format!("vector(1) and on() ({GATE} or {STARTED})").into(),
    );
    let mut group = Mapping::new();
    group.insert("name".into(), GROUP.into());
    group.insert("interval".into(), interval.into());
    group.insert("rules".into(), Value::Sequence(vec![Value::Mapping(rule)]));
    let mut root = Mapping::new();
    root.insert(
        "groups".into(),
        Value::Sequence(vec![Value::Mapping(group)]),
    );
    let text = serde_yaml::to_string(&Value::Mapping(root)).expect("a YAML value serializes");
    (path, FileContent::Plain(text))
}

/// Adds the receiver flag to `args` unless present, as a listed change.
pub(crate) fn require_receiver(args: &mut Vec<String>, component: &str, changes: &mut Vec<Change>) {
    if args
        .iter()
        .any(|a| a == RECEIVER_FLAG || a == RECEIVER_WEB_FLAG)
    {
        return;
    }
    args.push(RECEIVER_FLAG.to_string());
    changes.push(Change {
        component: component.to_string(),
        file: "args".to_string(),
        key: format!("args[{}]", args.len() - 1),
        reason: "start-up gap",
        from: "<absent>".to_string(),
        to: format!(
            "{RECEIVER_FLAG} (the harness pushes one sample of {GATE} once every target was \
             scraped)"
        ),
    });
}

/// Records, as a change, that this Prometheus's rules are not gated, and why.
pub(crate) fn record_ungated(log: &mut ChangeLog<'_>, why: String) {
    log.record(
        "rules",
        "start-up gap",
        "<every rule>",
        format!("<not gated: {why}>"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::seed_manifests;
    use crate::spec::ComponentConfig;

    fn seed_prometheus() -> (ComponentSpec, PrometheusSpec) {
        let spec = crate::load::load_dir(&seed_manifests()).expect("the seed loads");
        let me = spec
            .components
            .iter()
            .find(|c| matches!(c.config, ComponentConfig::Prometheus(_)))
            .expect("the seed runs prometheus")
            .clone();
        let ComponentConfig::Prometheus(prometheus) = me.config.clone() else {
            unreachable!("found by kind")
        };
        (me, prometheus)
    }

    #[test]
    fn a_rule_reading_a_series_waits_for_the_gate_and_a_constant_does_not() {
        assert_eq!(
            gated_expr("absent(up{job=\"echo\"})").as_deref(),
            Some("(absent(up{job=\"echo\"})) and on() firedrill_started")
        );
        assert_eq!(
            gated_expr("rate(x[1m]) == 0").as_deref(),
            Some("(rate(x[1m]) == 0) and on() firedrill_started")
        );
        assert_eq!(gated_expr("vector(1)"), None);
        assert_eq!(gated_expr("1 > 0"), None);
    }

    #[test]
    fn the_seed_is_gated_in_compressed_time_only() {
        let (me, prometheus) = seed_prometheus();
        assert_eq!(gates(&me, &prometheus, 30.0), Ok(true));
        assert_eq!(gates(&me, &prometheus, 1.0), Ok(false));
    }

    #[test]
    fn a_prometheus_that_scrapes_nothing_is_not_gated() {
        let (me, mut prometheus) = seed_prometheus();
        prometheus
            .config
            .as_mapping_mut()
            .expect("a mapping")
            .insert("scrape_configs".into(), Value::Sequence(Vec::new()));
        assert_eq!(gates(&me, &prometheus, 30.0), Ok(false));
    }

    #[test]
    fn a_prometheus_older_than_2_25_is_not_gated_and_says_why() {
        let (mut me, prometheus) = seed_prometheus();
        me.image = "prom/prometheus:v2.24.1".to_string();
        let why = gates(&me, &prometheus, 30.0).unwrap_err();
        assert!(
            why.contains("2.24.1") && why.contains("remote-write receiver"),
            "{why}"
        );
    }

    #[test]
    fn the_gate_latches_on_its_own_last_value() {
        let (path, content) = gate_rule_file("500ms");
        assert_eq!(path, "/etc/firedrill/firedrill-startup.yaml");
        let text = content.expose().to_string();
        assert!(
            text.contains("interval: 500ms")
                && text
                    .contains("vector(1) and on() (firedrill_startup_gate or firedrill_started)"),
            "{text}"
        );
    }
}
