//! RFC 3339 timestamps, in UTC to the millisecond: as Prometheus and Alertmanager write them
//! ([`parse_timestamp`], [`format_timestamp`]), and in the fixed-width form of the Slack
//! mock's records ([`rfc3339_millis`]).
//!
//! The two printed forms differ only in the fraction: [`format_timestamp`] writes RFC 3339's
//! shortest (`10:00:05.12Z`, `10:00:05Z`), [`rfc3339_millis`] always three digits
//! (`10:00:05.120Z`, `10:00:05.000Z`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::time::format_description::well_known::Rfc3339;
use ::time::OffsetDateTime;

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
    let t = to_millis(time.into());
    t.format(&Rfc3339).unwrap_or_default()
}

/// Milliseconds since the Unix epoch (0 for times before it).
pub(crate) fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|since| since.as_millis() as u64)
        .unwrap_or(0)
}

/// `time` as `YYYY-MM-DDTHH:MM:SS.mmmZ`, always three digits of milliseconds (times before
/// the epoch print as the epoch).
pub(crate) fn rfc3339_millis(time: SystemTime) -> String {
    let t = OffsetDateTime::from(UNIX_EPOCH + Duration::from_millis(unix_millis(time)));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `t` with its fraction of a second cut to whole milliseconds.
fn to_millis(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(t.millisecond() as u32 * 1_000_000)
        .unwrap_or(t)
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

    #[test]
    fn the_epoch_and_a_known_instant_print_as_rfc3339() {
        assert_eq!(rfc3339_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let instant = UNIX_EPOCH + Duration::from_millis(1_624_183_205_123);
        assert_eq!(rfc3339_millis(instant), "2021-06-20T10:00:05.123Z");
        assert_eq!(unix_millis(instant), 1_624_183_205_123);
        let leap_day = UNIX_EPOCH + Duration::from_secs(1_709_164_800);
        assert_eq!(rfc3339_millis(leap_day), "2024-02-29T00:00:00.000Z");
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(rfc3339_millis(before), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn the_two_forms_differ_only_in_the_fraction_s_trailing_zeros() {
        let instant = UNIX_EPOCH + Duration::from_nanos(1_624_183_205_123_456_789);
        assert_eq!(format_timestamp(instant), "2021-06-20T10:00:05.123Z");
        assert_eq!(rfc3339_millis(instant), "2021-06-20T10:00:05.123Z");
        let tenths = UNIX_EPOCH + Duration::from_millis(1_624_183_205_120);
        assert_eq!(format_timestamp(tenths), "2021-06-20T10:00:05.12Z");
        assert_eq!(rfc3339_millis(tenths), "2021-06-20T10:00:05.120Z");
        let whole = UNIX_EPOCH + Duration::from_secs(1_709_164_800);
        assert_eq!(format_timestamp(whole), "2024-02-29T00:00:00Z");
        assert_eq!(rfc3339_millis(whole), "2024-02-29T00:00:00.000Z");
        assert_eq!(
            parse_timestamp(&rfc3339_millis(instant)),
            parse_timestamp(&format_timestamp(instant))
        );
    }
}
