//! RFC 3339 timestamps as Prometheus and Alertmanager write them.

use std::time::SystemTime;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Parses `2021-06-01T10:00:00.123456789Z`; `None` for Go's zero time or garbage.
pub fn parse_timestamp(text: &str) -> Option<SystemTime> {
    let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    if parsed.year() <= 1 {
        return None;
    }
    Some(parsed.into())
}

/// Formats a time as RFC 3339 (UTC, milliseconds).
pub fn format_timestamp(time: SystemTime) -> String {
    let t: OffsetDateTime = time.into();
    let t = t
        .replace_nanosecond(t.millisecond() as u32 * 1_000_000)
        .unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_and_alertmanager_timestamps_parse() {
        assert!(parse_timestamp("2021-06-01T10:00:00.123456789Z").is_some());
        assert!(parse_timestamp("2021-06-01T10:00:00.123+02:00").is_some());
        assert!(parse_timestamp("0001-01-01T00:00:00Z").is_none());
        assert!(parse_timestamp("yesterday").is_none());
    }
}
