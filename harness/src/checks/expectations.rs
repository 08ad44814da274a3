//! What the run expects: the traffic to send, the alerts that must fire (and resolve), the
//! increase of a metric the traffic must cause.

use std::str::FromStr;

use super::traffic::Traffic;
use crate::error::InputError;
use crate::spec::{StackSpec, ECHO_SERVER_IMAGE};

/// How much a metric (summed over series) must rise with the traffic: from its value right
/// before the traffic's first request to its value after it. Exactly that much where nothing
/// else sends the apps requests; at least that much where the backend runs the apps' `httpGet`
/// probes (kube), which the app may count as well.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MetricExpectation {
    /// The metric (a PromQL expression; summed).
    pub name: String,
    /// The increase the traffic must cause.
    pub increase: f64,
}

impl MetricExpectation {
    /// `sum(NAME)`, the expression the metric check compares.
    pub(crate) fn sum_expr(&self) -> String {
        format!("sum({})", self.name)
    }
}

impl FromStr for MetricExpectation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, increase) = s.rsplit_once('=').ok_or_else(|| {
            format!(
                "invalid metric expectation `{s}`: expected NAME=INCREASE, e.g. api_request_total=3"
            )
        })?;
        let increase = increase
            .parse()
            .map_err(|_| format!("invalid metric expectation `{s}`: INCREASE must be a number"))?;
        Ok(MetricExpectation {
            name: name.to_string(),
            increase,
        })
    }
}

/// Everything a run expects.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Expectations {
    /// Traffic sent before the checks that depend on it.
    pub traffic: Vec<Traffic>,
    /// Alerts that must go pending, fire, reach Alertmanager and be delivered.
    pub alerts: Vec<String>,
    /// Alerts that must also resolve, with the resolved message delivered.
    pub resolved: Vec<String>,
    /// The increase of a metric the traffic must cause, when known.
    pub metric: Option<MetricExpectation>,
}

impl Expectations {
    /// Expectations for `spec`. With no `alerts`, the alerting rules whose expression is
    /// constant (`vector(1)`) are expected. With no `traffic`, 3 GET /hello. With no metric
    /// and the seed's app, `api_request_total` must rise by the requests sent to /hello.
    /// Alerts the rules do not define are bad input.
    pub fn for_spec(
        spec: &StackSpec,
        traffic: Vec<Traffic>,
        alerts: Vec<String>,
        resolved: Vec<String>,
        metric: Option<MetricExpectation>,
    ) -> Result<Self, InputError> {
        require_defined(spec, alerts.iter().chain(&resolved), "--expect-alert")?;
        let defined = defined_alerts(spec);
        let mut alerts = if alerts.is_empty() {
            spec.prometheus()
                .alert_rules()
                .filter(|(_, r)| r.is_constant())
                .filter_map(|(_, r)| r.alert.clone())
                .collect()
        } else {
            alerts
        };
        for name in &resolved {
            if !alerts.contains(name) {
                alerts.push(name.clone());
            }
        }
        if alerts.is_empty() {
            // A run that expects no alert proves nothing about alerting: refuse it rather
            // than pass having checked none.
            return Err(InputError::new(
                &spec.dir,
                format!(
                    "nothing to expect: no rule has a constant expression (vector(1)), so no alert \
                     is expected by default; name the alerts that must fire with --expect-alert \
                     NAME (defined: {})",
                    if defined.is_empty() {
                        "none; add an alerting rule".to_string()
                    } else {
                        defined.join(", ")
                    }
                ) + &unmatched_rule_files(spec),
            )
            .key("--expect-alert"));
        }
        let traffic = if traffic.is_empty() {
            Traffic::default_traffic()
        } else {
            traffic
        };
        let metric = metric.or_else(|| {
            spec.apps()
                .any(|a| a.image == ECHO_SERVER_IMAGE)
                .then(|| MetricExpectation {
                    name: "api_request_total".to_string(),
                    increase: traffic
                        .iter()
                        .filter(|t| t.path == "/hello" && t.is_plain_get() && to_echo(spec, t))
                        .map(|t| f64::from(t.count))
                        .sum(),
                })
        });
        Ok(Self {
            traffic,
            alerts,
            resolved,
            metric,
        })
    }
}

impl Expectations {
    /// What a list of checks expects, as written (no defaults): for the summary of a run
    /// driven from Rust.
    pub(crate) fn of_checks<'a>(checks: impl IntoIterator<Item = &'a super::Check>) -> Self {
        use super::Check;
        let mut expectations = Expectations {
            traffic: Vec::new(),
            alerts: Vec::new(),
            resolved: Vec::new(),
            metric: None,
        };
        for check in checks {
            match check {
                Check::SendTraffic(traffic) => expectations.traffic.extend(traffic.iter().cloned()),
                Check::MetricValue(metric) => expectations.metric = Some(metric.clone()),
                Check::AlertResolved(alert) if !expectations.resolved.contains(alert) => {
                    expectations.resolved.push(alert.clone());
                }
                _ => {}
            }
            if let Some(alert) = check.alert() {
                if !expectations.alerts.iter().any(|a| a == alert) {
                    expectations.alerts.push(alert.to_string());
                }
            }
        }
        expectations
    }
}

/// Whether `traffic` goes to the seed's app (the one named, else the first app), whose
/// `api_request_total` counts each GET /hello.
fn to_echo(spec: &StackSpec, traffic: &Traffic) -> bool {
    let app = match &traffic.app {
        Some(name) => spec
            .component_called(name, |_| true)
            .ok()
            .and_then(|name| spec.components.iter().find(|c| c.name == name)),
        None => spec.apps().next(),
    };
    app.is_some_and(|a| a.image == ECHO_SERVER_IMAGE)
}

/// The alerts the stack's alerting rules define.
fn defined_alerts(spec: &StackSpec) -> Vec<&str> {
    spec.prometheus()
        .alert_rules()
        .filter_map(|(_, r)| r.alert.as_deref())
        .collect()
}

/// `Err` naming the first of `alerts` no alerting rule of `spec` defines, with those that
/// are defined; `key` is what named it (`--expect-alert`, a check).
pub(crate) fn require_defined<'a>(
    spec: &StackSpec,
    alerts: impl IntoIterator<Item = &'a String>,
    key: &str,
) -> Result<(), InputError> {
    let defined = defined_alerts(spec);
    for name in alerts {
        if !defined.contains(&name.as_str()) {
            return Err(InputError::new(
                &spec.dir,
                format!(
                    "expected alert `{name}` is not defined by any rule (defined: {}){}",
                    if defined.is_empty() {
                        "none".to_string()
                    } else {
                        defined.join(", ")
                    },
                    unmatched_rule_files(spec)
                ),
            )
            .key(key));
        }
    }
    Ok(())
}

/// `; rule_files `X` matches no mounted file` for each `rule_files` pattern of the
/// Prometheus config that loaded no rule file (Prometheus accepts that silently).
fn unmatched_rule_files(spec: &StackSpec) -> String {
    crate::load::unmatched_rule_files(spec.prometheus())
        .into_iter()
        .map(|(_, pattern)| format!("; rule_files `{pattern}` matches no mounted file"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_with_rule_expr(expr: &str) -> StackSpec {
        let mut spec = crate::load::load_dir(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../manifests"
        )))
        .expect("the seed loads");
        for component in &mut spec.components {
            if let crate::spec::ComponentConfig::Prometheus(p) = &mut component.config {
                for rule in p
                    .rule_files
                    .iter_mut()
                    .flat_map(|f| &mut f.groups)
                    .flat_map(|g| &mut g.rules)
                {
                    rule.expr = expr.to_string();
                }
            }
        }
        spec
    }

    #[test]
    fn hellos_to_the_seed_app_by_any_of_its_names_count_toward_its_request_counter() {
        let spec = seed_with_rule_expr("vector(1)");
        let traffic = vec![
            Traffic::get("/hello", 2),
            Traffic::get("/hello", 3).with_app("echo-service"),
            Traffic::get("/hello", 4).with_app("echo-deployment"),
            // Not counted: another path, another expected status.
            Traffic::get("/nowhere", 5).with_app("echo-service"),
            Traffic::get("/hello", 6).expecting(crate::checks::ExpectStatus::Any),
        ];
        let expectations = Expectations::for_spec(&spec, traffic, vec![], vec![], None).unwrap();
        assert_eq!(
            expectations.metric.map(|m| m.increase),
            Some(9.0),
            "2 + 3 + 4 GET /hello to the seed's app"
        );
    }

    #[test]
    fn expecting_no_alert_at_all_is_bad_input_that_names_the_flag() {
        let spec = seed_with_rule_expr("up == 0");
        let err = Expectations::for_spec(&spec, vec![], vec![], vec![], None).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("--expect-alert"), "{text}");
        assert!(text.contains("DeadMansSwitch"), "{text}");
        let named =
            Expectations::for_spec(&spec, vec![], vec!["DeadMansSwitch".into()], vec![], None)
                .expect("a named alert is something to expect");
        assert_eq!(named.alerts, vec!["DeadMansSwitch".to_string()]);
        let seed = seed_with_rule_expr("vector(1)");
        assert!(Expectations::for_spec(&seed, vec![], vec![], vec![], None).is_ok());
    }

    #[test]
    fn a_metric_expectation_parses_name_and_increase() {
        let m: MetricExpectation = "api_request_total=3".parse().unwrap();
        assert_eq!(m.name, "api_request_total");
        assert_eq!(m.increase, 3.0);
        assert!("api_request_total".parse::<MetricExpectation>().is_err());
    }
}
