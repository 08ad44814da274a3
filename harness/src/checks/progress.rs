//! Live progress of a run.

use std::io::Write;

use crate::checks::CheckOutcome;

/// Receives progress while a run goes on.
pub trait Progress: Send {
    /// A free-form step (`starting the stack`).
    fn message(&mut self, text: &str);
    /// Check `n` of `total` started.
    fn check_started(&mut self, n: usize, total: usize, name: &str);
    /// Check `n` of `total` finished.
    fn check_finished(&mut self, n: usize, total: usize, outcome: &CheckOutcome);
}

/// Progress on stderr, one line per step, each check with its elapsed time.
#[derive(Debug, Default)]
pub struct StderrProgress;

impl Progress for StderrProgress {
    fn message(&mut self, text: &str) {
        eprintln!("firedrill: {text}");
    }

    fn check_started(&mut self, n: usize, total: usize, name: &str) {
        eprint!("[{n:>2}/{total}] {name} ... ");
        let _ = std::io::stderr().flush();
    }

    fn check_finished(&mut self, _n: usize, _total: usize, outcome: &CheckOutcome) {
        use crate::checks::CheckStatus::*;
        match outcome.status {
            Passed => eprintln!(
                "ok ({:.1} s) {}",
                outcome.elapsed.as_secs_f64(),
                outcome.detail
            ),
            Skipped if outcome.elapsed.is_zero() && outcome.detail.starts_with("not run") => {
                eprintln!("[--/--] {} ... not run", outcome.name)
            }
            Skipped => eprintln!("SKIPPED: {}", outcome.detail),
            Failed => {
                eprintln!(
                    "FAILED after {:.1} s: {}",
                    outcome.elapsed.as_secs_f64(),
                    outcome.detail
                );
                if let Some(evidence) = &outcome.evidence {
                    eprintln!("{evidence}");
                }
            }
        }
    }
}

/// No progress output (tests use the outcomes instead).
#[derive(Debug, Default)]
pub struct SilentProgress;

impl Progress for SilentProgress {
    fn message(&mut self, _text: &str) {}
    fn check_started(&mut self, _n: usize, _total: usize, _name: &str) {}
    fn check_finished(&mut self, _n: usize, _total: usize, _outcome: &CheckOutcome) {}
}
