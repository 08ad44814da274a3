//! Faults on purpose: what a run can do to a running component (an app, Prometheus,
//! Alertmanager) to prove the alerts meant for the moment it breaks.

use std::fmt;
use std::str::FromStr;

/// What to do to a running component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fault {
    /// Stop it gracefully (SIGTERM, then SIGKILL after a grace period; `docker stop`).
    Stop,
    /// Kill it at once (SIGKILL; `docker kill`).
    Kill,
    /// Freeze it: its port still accepts connections, nothing answers (SIGSTOP; `docker pause`;
    /// on Kubernetes, which cannot freeze a container, a stand-in pod in its place that never
    /// answers).
    Pause,
    /// Let a paused component run again (SIGCONT; `docker unpause`; on Kubernetes its
    /// workload scaled back, in a new pod).
    Resume,
    /// Start a stopped or killed component again, where it was, and wait until it answers.
    Restart,
    /// Stop it, and answer every request at its port with this HTTP status in its place
    /// (what a scrape target answering 500 looks like); `restart` runs it again. Inside the
    /// harness on the process backend; a stand-in container (Docker) or pod (Kubernetes) of
    /// firedrill's own image elsewhere.
    Fail(u16),
}

impl Fault {
    /// Every fault, as the CLI names them.
    pub const ALL: [Fault; 5] = [
        Fault::Stop,
        Fault::Kill,
        Fault::Pause,
        Fault::Resume,
        Fault::Restart,
    ];

    /// The fault's name (`stop`, `kill`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Fault::Stop => "stop",
            Fault::Kill => "kill",
            Fault::Pause => "pause",
            Fault::Resume => "resume",
            Fault::Restart => "restart",
            Fault::Fail(_) => "fail",
        }
    }

    /// The step that does it to `target`: `kill echo`, `fail echo 500`.
    pub fn step(self, target: &str) -> String {
        match self {
            Fault::Fail(status) => format!("fail {target} {status}"),
            other => format!("{other} {target}"),
        }
    }

    /// The start of why `backend` cannot do this fault to `component`: "the kube backend
    /// cannot fail echo 500"; the caller says why.
    #[cfg(feature = "docker")]
    pub(crate) fn cannot(self, backend: &str, component: &str) -> String {
        format!("the {backend} backend cannot {}", self.step(component))
    }

    /// `fail`'s status: `STATUS` from 400 to 599.
    pub fn fail(status: &str) -> Result<Self, String> {
        status
            .parse::<u16>()
            .ok()
            .filter(|s| (400..600).contains(s))
            .map(Fault::Fail)
            .ok_or_else(|| format!("`{status}` is not an HTTP status from 400 to 599"))
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                format!("unknown fault `{s}`: expected one of {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_answer_takes_an_error_status_and_names_its_step_with_it() {
        assert_eq!(Fault::fail("500"), Ok(Fault::Fail(500)));
        assert_eq!(Fault::Fail(503).step("echo"), "fail echo 503");
        assert_eq!(Fault::Kill.step("echo"), "kill echo");
        for bad in ["200", "600", "boom"] {
            assert!(
                Fault::fail(bad).unwrap_err().contains("from 400 to 599"),
                "{bad}"
            );
        }
    }

    #[cfg(feature = "docker")]
    #[test]
    fn what_a_backend_cannot_do_names_the_step() {
        assert_eq!(
            Fault::Fail(503).cannot("kube", "echo"),
            "the kube backend cannot fail echo 503"
        );
        assert_eq!(
            Fault::Kill.cannot("kube", "prometheus"),
            "the kube backend cannot kill prometheus"
        );
    }

    #[test]
    fn every_fault_reads_back_from_its_name_and_an_unknown_one_names_the_choices() {
        for fault in Fault::ALL {
            assert_eq!(fault.name().parse::<Fault>(), Ok(fault));
        }
        let err = "crash".parse::<Fault>().unwrap_err();
        assert_eq!(
            err,
            "unknown fault `crash`: expected one of stop, kill, pause, resume, restart"
        );
    }
}
