//! Running a list of checks in order on one stack: progress as each starts and finishes, and
//! after a failure the rest reported as not run.

use super::{Check, CheckOutcome, CheckStatus, Checker, Progress, Session, SkipReason};
use crate::backend::RunningStack;

/// Runs `checks` in order on `stack`, remembering what they see in `session`; after a
/// failure, the rest are reported as not run (skipped).
pub(crate) async fn run_checks(
    stack: &RunningStack,
    session: &Session,
    checks: &[Check],
    margin: Option<std::time::Duration>,
    progress: &mut dyn Progress,
) -> Vec<CheckOutcome> {
    let mut checker = Checker::new(stack, session).for_checks(checks);
    if let Some(margin) = margin {
        checker = checker.with_margin(margin);
    }
    let mut outcomes = Vec::new();
    let mut failed: Option<String> = None;
    for (i, check) in checks.iter().enumerate() {
        let outcome = match &failed {
            Some(name) => CheckOutcome::skipped(
                check.name(),
                SkipReason::EarlierFailed {
                    check: name.clone(),
                },
            ),
            None => {
                progress.check_started(i + 1, checks.len(), &check.name());
                checker.run(check).await
            }
        };
        if outcome.status == CheckStatus::Failed {
            failed = Some(outcome.name.clone());
        }
        progress.check_finished(i + 1, checks.len(), &outcome);
        outcomes.push(outcome);
    }
    outcomes
}
