//! Every check's deadline, derived from the plan's scaled timings plus the components' own
//! floors and a stated margin.

use std::time::Duration;

use crate::plan::Timings;

/// Deadlines of the checks, from the scaled configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Deadlines {
    /// The scaled timings they derive from.
    pub timings: Timings,
    /// The stated margin added to every deadline (`FIREDRILL_MARGIN`, seconds).
    pub margin: Duration,
}

impl Deadlines {
    /// The default margin: slack for a loaded CI machine.
    pub const DEFAULT_MARGIN: Duration = Duration::from_secs(10);

    /// Deadlines for these timings with the default margin.
    pub fn new(timings: Timings) -> Self {
        Self {
            timings,
            margin: Self::DEFAULT_MARGIN,
        }
    }

    /// The app answers.
    pub fn app_reachable(&self) -> Duration {
        self.margin
    }

    /// A target is discovered (5 s floor), then scraped within two intervals.
    pub fn scraped(&self) -> Duration {
        Timings::DISCOVERY_FLOOR + 2 * self.timings.scrape_interval + self.margin
    }

    /// Every rule has been evaluated once.
    pub fn rules_evaluated(&self) -> Duration {
        2 * self.timings.tick() + self.margin
    }

    /// A constant alert becomes pending at its group's first evaluation.
    pub fn pending(&self) -> Duration {
        2 * self.timings.tick() + self.margin
    }

    /// Pending to firing: `for`, rounded up to the next tick.
    pub fn firing(&self, for_: Duration) -> Duration {
        for_ + 2 * self.timings.tick() + self.margin
    }

    /// Firing to present in Alertmanager: Prometheus sends at once, but only once its
    /// Alertmanager discovery has run (5 s floor).
    pub fn in_alertmanager(&self) -> Duration {
        Timings::DISCOVERY_FLOOR + self.timings.tick() + self.margin
    }

    /// In Alertmanager to delivered: group_wait.
    pub fn delivered(&self) -> Duration {
        self.timings.group_wait
            + self
                .timings
                .group_interval
                .min(self.timings.group_wait.max(Duration::from_secs(1)))
            + self.margin
    }

    /// No longer firing in Prometheus: the next evaluations.
    pub fn stops_firing(&self) -> Duration {
        2 * self.timings.tick() + self.margin
    }

    /// Resolved to the resolved notification: the next group_interval flush.
    pub fn resolved_delivered(&self) -> Duration {
        self.timings.group_interval + self.timings.tick() + self.margin
    }

    /// Grafana's datasource answers.
    pub fn grafana(&self) -> Duration {
        self.margin
    }
}

/// `FIREDRILL_MARGIN` in seconds, else the default.
pub fn margin_from_env() -> crate::error::Result<Duration> {
    match std::env::var("FIREDRILL_MARGIN") {
        Err(_) => Ok(Deadlines::DEFAULT_MARGIN),
        Ok(value) => value
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| {
                crate::error::Error::Input(crate::error::InputError::new(
                    "environment",
                    format!("FIREDRILL_MARGIN={value:?} is invalid: expected seconds ≥ 0"),
                ))
            }),
    }
}
