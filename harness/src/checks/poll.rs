//! Polling a condition against a deadline: the only way firedrill waits.

use std::future::Future;
use std::time::{Duration, Instant};

/// What one look at the condition found.
#[derive(Debug)]
pub enum Look<T> {
    /// The condition holds.
    Ready(T),
    /// Not yet; what was seen (shown if the deadline passes).
    NotYet(String),
    /// It can no longer hold (a contradiction, e.g. a rule in error).
    Failed(String),
}

/// Why polling ended without the condition holding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PollError {
    /// The deadline passed; the last observation.
    Timeout {
        /// The deadline.
        deadline: Duration,
        /// What was last seen.
        last: String,
    },
    /// The condition was contradicted.
    Failed(String),
}

impl std::fmt::Display for PollError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PollError::Timeout { deadline, last } => {
                // What was last seen comes first: it is closest to the cause.
                write!(f, "{last} (not within {:.1} s)", deadline.as_secs_f64())
            }
            PollError::Failed(reason) => f.write_str(reason),
        }
    }
}

/// How often to look.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Looks at the condition every `POLL_INTERVAL` (100 ms) until it holds, fails, or `deadline`
/// (from now) passes. The condition is always looked at least once.
pub async fn poll<T, F, Fut>(deadline: Duration, look: F) -> Result<T, PollError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Look<T>>,
{
    poll_every(POLL_INTERVAL, deadline, look).await
}

/// [`poll`], looking every `interval` instead: for what changes faster than every 100 ms (a
/// rule group evaluated at a compressed interval).
pub(crate) async fn poll_every<T, F, Fut>(
    interval: Duration,
    deadline: Duration,
    mut look: F,
) -> Result<T, PollError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Look<T>>,
{
    let started = Instant::now();
    let mut answered: Option<String> = None;
    loop {
        let remaining = deadline.saturating_sub(started.elapsed());
        let seen = match tokio::time::timeout(remaining.max(interval), look()).await {
            Ok(Look::Ready(value)) => return Ok(value),
            Ok(Look::Failed(reason)) => return Err(PollError::Failed(reason)),
            Ok(Look::NotYet(seen)) => {
                answered = Some(seen.clone());
                seen
            }
            // What the last look that answered saw still says why (a slow look at the
            // deadline must not hide the cause).
            Err(_) => match &answered {
                Some(seen) => format!("{seen}; the last look did not answer in time"),
                None => "the last look did not answer in time".to_string(),
            },
        };
        if started.elapsed() >= deadline {
            return Err(PollError::Timeout {
                deadline,
                last: seen,
            });
        }
        tokio::time::sleep(interval.min(deadline.saturating_sub(started.elapsed()))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn polling_returns_as_soon_as_the_condition_holds() {
        let looks = AtomicU32::new(0);
        let value = poll(Duration::from_secs(5), || async {
            match looks.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Look::NotYet("warming up".into()),
                n => Look::Ready(n),
            }
        })
        .await
        .unwrap();
        assert_eq!(value, 2);
    }

    #[tokio::test]
    async fn a_timeout_reports_the_last_observation() {
        let err = poll::<(), _, _>(Duration::from_millis(250), || async {
            Look::NotYet("target down".into())
        })
        .await
        .unwrap_err();
        assert_eq!(
            err,
            PollError::Timeout {
                deadline: Duration::from_millis(250),
                last: "target down".into()
            }
        );
    }

    #[tokio::test]
    async fn a_last_look_that_does_not_answer_in_time_keeps_what_the_one_before_saw() {
        let looks = AtomicU32::new(0);
        let err = poll::<(), _, _>(Duration::from_millis(300), || async {
            if looks.fetch_add(1, Ordering::SeqCst) == 0 {
                Look::NotYet("target down: http response to https client".into())
            } else {
                // Never answers: the look is cut at the deadline.
                std::future::pending::<Look<()>>().await
            }
        })
        .await
        .unwrap_err();
        let PollError::Timeout { last, .. } = err else {
            panic!("not a timeout: {err:?}");
        };
        assert_eq!(
            last,
            "target down: http response to https client; the last look did not answer in time"
        );
    }

    #[tokio::test]
    async fn a_contradiction_ends_polling_at_once() {
        let err = poll::<(), _, _>(Duration::from_secs(60), || async {
            Look::Failed("rule in error".into())
        })
        .await
        .unwrap_err();
        assert_eq!(err, PollError::Failed("rule in error".into()));
    }
}
