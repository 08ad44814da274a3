//! A scenario, in steps: `firedrill verify --step ...`, in order. Each step is checks:
//!
//! | step | what it does |
//! |---|---|
//! | `traffic SPEC` | sends traffic ([`Traffic`]'s syntax: `traffic echo GET /boom x20 expect 5xx`) |
//! | `stop NAME`, `kill NAME`, `pause NAME`, `resume NAME`, `restart NAME` | does that to a container, Deployment or Service ([`Fault`]) |
//! | `fail NAME STATUS` | stops it and answers STATUS at its port in its place until `restart NAME` (process backend) |
//! | `expect NAME` | the alert goes pending, fires, reaches Alertmanager and is delivered to Slack |
//! | `expect-resolved NAME` | the alert resolves and the resolved message is delivered |
//! | `slack-fail STATUS[xN]`, `slack-fail slow=DURATION[xN]` | the Slack mock answers STATUS, or 200 after DURATION of scenario time (to the next N requests) |
//! | `wait DURATION` | lets DURATION of scenario time pass (an outage held, a window filled) |
//!
//! e.g. `--step 'traffic /hello x3' --step 'kill echo' --step 'expect EchoDown' --step
//! 'restart echo' --step 'expect-resolved EchoDown'`.

use std::fmt;
use std::str::FromStr;

use crate::backend::Fault;
use crate::checks::{Check, Traffic};
use crate::slack::SlackFault;
use crate::time::PromDuration;

/// One step of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send traffic.
    Traffic(Traffic),
    /// Do a fault to a component.
    Fault(String, Fault),
    /// The alert fires and is delivered.
    Expect(String),
    /// The alert resolves and the resolved message is delivered.
    ExpectResolved(String),
    /// The Slack mock fails as Slack does.
    SlackFail(SlackFault),
    /// Scenario time passes.
    Wait(std::time::Duration),
}

impl Step {
    /// The checks the step is.
    pub fn checks(&self) -> Vec<Check> {
        match self {
            Step::Traffic(traffic) => vec![Check::SendTraffic(vec![traffic.clone()])],
            Step::Fault(target, fault) => vec![Check::Fault(target.clone(), *fault)],
            Step::Expect(alert) => vec![
                Check::AlertPending(alert.clone()),
                Check::AlertFiring(alert.clone()),
                Check::AlertInAlertmanager(alert.clone()),
                Check::AlertDelivered(alert.clone()),
            ],
            Step::ExpectResolved(alert) => vec![Check::AlertResolved(alert.clone())],
            Step::SlackFail(fault) => vec![Check::SlackFails(*fault)],
            Step::Wait(duration) => vec![Check::Wait(*duration)],
        }
    }

    /// The alert the step expects, if any.
    pub fn alert(&self) -> Option<&str> {
        match self {
            Step::Expect(alert) | Step::ExpectResolved(alert) => Some(alert),
            _ => None,
        }
    }

    /// The component the step does a fault to, if any.
    pub fn target(&self) -> Option<&str> {
        match self {
            Step::Fault(target, _) => Some(target),
            Step::Traffic(traffic) => traffic.app.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Traffic(traffic) => write!(f, "traffic {traffic}"),
            Step::Fault(target, fault) => f.write_str(&fault.step(target)),
            Step::Expect(alert) => write!(f, "expect {alert}"),
            Step::ExpectResolved(alert) => write!(f, "expect-resolved {alert}"),
            Step::SlackFail(fault) => write!(f, "slack-fail {fault}"),
            Step::Wait(duration) => write!(f, "wait {}", PromDuration::new(*duration)),
        }
    }
}

const STEPS: &str = "traffic SPEC, stop|kill|pause|resume|restart NAME, fail NAME STATUS, expect ALERT, expect-resolved ALERT, slack-fail STATUS[xN]|slow=DURATION[xN], wait DURATION";

impl FromStr for Step {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (verb, rest) = s
            .split_once(char::is_whitespace)
            .map_or((s, ""), |(v, r)| (v, r.trim()));
        let one_name = |what: &str| -> Result<String, String> {
            if rest.is_empty() || rest.contains(char::is_whitespace) {
                Err(format!(
                    "invalid step `{s}`: `{verb}` takes one {what} (steps: {STEPS})"
                ))
            } else {
                Ok(rest.to_string())
            }
        };
        match verb {
            "traffic" => rest
                .parse()
                .map(Step::Traffic)
                .map_err(|e| format!("invalid step `{s}`: {e}")),
            "expect" => Ok(Step::Expect(one_name("alert name")?)),
            "expect-resolved" => Ok(Step::ExpectResolved(one_name("alert name")?)),
            "fail" => match rest.split_whitespace().collect::<Vec<_>>().as_slice() {
                [name, status] => Fault::fail(status)
                    .map(|fault| Step::Fault(name.to_string(), fault))
                    .map_err(|e| format!("invalid step `{s}`: {e}")),
                _ => Err(format!(
                    "invalid step `{s}`: `fail` takes a container, Deployment or Service name and \
                     an HTTP status, e.g. `fail echo 500` (steps: {STEPS})"
                )),
            },
            "wait" => PromDuration::parse(&one_name("duration (`5m`, `90s`)")?)
                .map(|d| Step::Wait(d.into()))
                .map_err(|e| format!("invalid step `{s}`: {e}")),
            "slack-fail" => one_name("STATUS[xN] or slow=DURATION[xN]")?
                .parse()
                .map(Step::SlackFail)
                .map_err(|e| format!("invalid step `{s}`: {e}")),
            verb => match verb.parse::<Fault>() {
                Ok(fault) => Ok(Step::Fault(
                    one_name("container, Deployment or Service name")?,
                    fault,
                )),
                Err(_) => Err(format!(
                    "invalid step `{s}`: `{verb}` is not a step (steps: {STEPS})"
                )),
            },
        }
    }
}

/// The checks of a scenario: the app reachable and the rules healthy, every step's checks
/// in order, then Grafana's datasource.
pub fn scenario_checks(steps: &[Step]) -> Vec<Check> {
    let mut checks = vec![Check::AppReachable, Check::RulesHealthy];
    checks.extend(steps.iter().flat_map(Step::checks));
    checks.push(Check::GrafanaDatasource);
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kill_and_restart_scenario_reads_as_written() {
        let steps: Vec<Step> = [
            "traffic /hello x3",
            "kill echo",
            "expect EchoDown",
            "restart echo",
            "expect-resolved EchoDown",
            "slack-fail 500x3",
            "wait 5m",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        assert_eq!(
            steps,
            vec![
                Step::Traffic(Traffic::get("/hello", 3)),
                Step::Fault("echo".into(), Fault::Kill),
                Step::Expect("EchoDown".into()),
                Step::Fault("echo".into(), Fault::Restart),
                Step::ExpectResolved("EchoDown".into()),
                Step::SlackFail(SlackFault::status(500, Some(3))),
                Step::Wait(std::time::Duration::from_secs(300)),
            ]
        );
        let names: Vec<String> = steps.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "traffic 3 x GET /hello",
                "kill echo",
                "expect EchoDown",
                "restart echo",
                "expect-resolved EchoDown",
                "slack-fail 500x3",
                "wait 5m"
            ]
        );
    }

    #[test]
    fn an_expect_step_is_the_four_checks_of_an_alert() {
        let checks = Step::Expect("EchoDown".into()).checks();
        let names: Vec<String> = checks.iter().map(Check::name).collect();
        assert_eq!(
            names,
            [
                "alert EchoDown pending",
                "alert EchoDown firing, not before its for",
                "alert EchoDown in Alertmanager with its receiver",
                "alert EchoDown delivered to Slack"
            ]
        );
    }

    #[test]
    fn a_wait_takes_one_prometheus_duration() {
        for bad in ["wait", "wait 5 m", "wait soon"] {
            let err = bad.parse::<Step>().unwrap_err();
            assert!(err.starts_with(&format!("invalid step `{bad}`")), "{err}");
        }
    }

    #[test]
    fn an_unknown_step_names_every_step() {
        let err = "crash echo".parse::<Step>().unwrap_err();
        assert!(
            err.contains("`crash` is not a step") && err.contains("stop|kill|pause|resume|restart"),
            "{err}"
        );
        let err = "kill".parse::<Step>().unwrap_err();
        assert!(err.contains("takes one container"), "{err}");
        let err = "traffic echo GET boom".parse::<Step>().unwrap_err();
        assert!(err.contains("`boom` is not a path"), "{err}");
    }
}
