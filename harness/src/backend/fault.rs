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
    /// Freeze it: its port still accepts connections, nothing answers (SIGSTOP; `docker pause`).
    Pause,
    /// Let a paused component run again (SIGCONT; `docker unpause`).
    Resume,
    /// Start a stopped or killed component again, where it was, and wait until it answers.
    Restart,
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
        }
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
