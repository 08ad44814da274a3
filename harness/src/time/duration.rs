//! Prometheus-style durations (`1m`, `15s`, `1h30m`, `500ms`), parsed, scaled and printed back.

use std::fmt;
use std::time::Duration;

/// A duration as Prometheus and Alertmanager write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PromDuration(Duration);

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration `{input}`: {reason} (expected e.g. `15s`, `1m`, `1h30m`, `500ms`; units ms s m h d w y)")]
pub struct DurationError {
    input: String,
    reason: &'static str,
}

const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3600 * 1000),
    ("w", 7 * 24 * 3600 * 1000),
    ("d", 24 * 3600 * 1000),
    ("h", 3600 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
];

impl PromDuration {
    /// Wraps a std duration.
    pub const fn new(duration: Duration) -> Self {
        Self(duration)
    }

    /// From whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    /// The std duration.
    pub const fn get(self) -> Duration {
        self.0
    }

    /// Parses `1h30m`, `15s`, `500ms`, `0s`, and `0` without a unit (as Prometheus does).
    pub fn parse(input: &str) -> Result<Self, DurationError> {
        let err = |reason| DurationError {
            input: input.to_string(),
            reason,
        };
        let text = input.trim();
        if text.is_empty() {
            return Err(err("empty"));
        }
        if text == "0" {
            return Ok(Self(Duration::ZERO));
        }
        let mut rest = text;
        let mut total_ms: u64 = 0;
        while !rest.is_empty() {
            let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return Err(err("a number must come before each unit"));
            }
            let number: u64 = rest[..digits]
                .parse()
                .map_err(|_| err("number too large"))?;
            rest = &rest[digits..];
            let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
            if unit_len == 0 {
                return Err(err("missing unit"));
            }
            let unit = &rest[..unit_len];
            let (_, factor) = UNITS
                .iter()
                .find(|(name, _)| *name == unit)
                .ok_or_else(|| err("unknown unit"))?;
            total_ms = number
                .checked_mul(*factor)
                .and_then(|ms| total_ms.checked_add(ms))
                .ok_or_else(|| err("too large"))?;
            rest = &rest[unit_len..];
        }
        Ok(Self(Duration::from_millis(total_ms)))
    }

    /// Divides by `factor`, never going below one millisecond unless the duration is zero.
    pub fn scaled_down(self, factor: f64) -> Self {
        if self.0.is_zero() || factor == 1.0 {
            return self;
        }
        let ms = (self.0.as_millis() as f64 / factor).round().max(1.0);
        Self(Duration::from_millis(ms as u64))
    }
}

impl fmt::Display for PromDuration {
    /// Prints the shortest exact form Prometheus accepts: `1m`, `4s`, `1s500ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // In u128: a duration longer than u64::MAX milliseconds prints exactly too.
        let mut ms = self.0.as_millis();
        if ms == 0 {
            return f.write_str("0s");
        }
        for (unit, factor) in UNITS.iter().skip(2) {
            let factor = u128::from(*factor);
            if ms >= factor {
                write!(f, "{}{}", ms / factor, unit)?;
                ms %= factor;
            }
        }
        Ok(())
    }
}

impl From<PromDuration> for Duration {
    fn from(value: PromDuration) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_durations_parse_and_print_back_the_same() {
        for text in ["15s", "1m", "1h30m", "500ms", "1s500ms", "0s", "2d"] {
            assert_eq!(PromDuration::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(PromDuration::parse("90s").unwrap().to_string(), "1m30s");
    }

    #[test]
    fn a_bare_zero_is_zero_as_in_prometheus_and_other_bare_numbers_are_refused() {
        assert_eq!(
            PromDuration::parse("0").unwrap(),
            PromDuration::from_secs(0)
        );
        assert!(PromDuration::parse("00").is_err());
        assert!(PromDuration::parse("1").is_err());
    }

    #[test]
    fn an_unknown_unit_or_a_missing_number_is_rejected_with_the_input_named() {
        let err = PromDuration::parse("1 minute").unwrap_err().to_string();
        assert!(err.contains("`1 minute`"), "{err}");
        assert!(PromDuration::parse("m").is_err());
        assert!(PromDuration::parse("10").is_err());
        assert!(PromDuration::parse("").is_err());
    }

    #[test]
    fn a_duration_past_u64_milliseconds_prints_exactly_and_is_refused_as_too_large() {
        let long = PromDuration::from_secs(18_446_744_073_709_552);
        assert_eq!(long.to_string(), "213503982334d14h25m52s");
        let err = PromDuration::parse(&long.to_string()).unwrap_err();
        assert!(err.to_string().contains("too large"), "{err}");
    }

    #[test]
    fn scaling_divides_and_keeps_at_least_a_millisecond() {
        let one_minute = PromDuration::parse("1m").unwrap();
        assert_eq!(one_minute.scaled_down(15.0).to_string(), "4s");
        assert_eq!(one_minute.scaled_down(1.0), one_minute);
        assert_eq!(
            PromDuration::parse("1ms")
                .unwrap()
                .scaled_down(100.0)
                .to_string(),
            "1ms"
        );
        assert_eq!(
            PromDuration::parse("0s")
                .unwrap()
                .scaled_down(10.0)
                .to_string(),
            "0s"
        );
    }

    /// Any text, and any duration: parsing never panics, a refusal names the input, and what
    /// is printed parses back to the same duration. `PROPTEST_CASES` sets how many cases.
    mod fuzz {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn any_text_parses_or_is_refused_naming_the_input(text in "\\PC{0,24}") {
                check_parse(&text);
            }

            #[test]
            fn text_of_digits_and_units_parses_or_is_refused_naming_the_input(
                text in "[0-9 ]{0,3}([0-9]{0,22}(ms|[smhdwy]|[a-z]{0,2}))*"
            ) {
                check_parse(&text);
            }

            #[test]
            fn a_duration_printed_parses_back_to_itself(ms in any::<u64>()) {
                let duration = PromDuration::new(Duration::from_millis(ms));
                let printed = duration.to_string();
                prop_assert_eq!(PromDuration::parse(&printed), Ok(duration), "{}", printed);
            }

            #[test]
            fn a_parsed_duration_prints_in_a_form_that_parses_to_it(
                text in "([0-9]{1,4}(ms|[smhdwy])){1,4}"
            ) {
                let duration = PromDuration::parse(&text).expect("a duration");
                prop_assert_eq!(PromDuration::parse(&duration.to_string()), Ok(duration));
            }

            #[test]
            fn any_duration_prints_exactly_to_the_millisecond(secs in any::<u64>(), ms in 0u32..1000) {
                let duration = PromDuration::new(Duration::new(secs, ms * 1_000_000));
                let printed = duration.to_string();
                match PromDuration::parse(&printed) {
                    Ok(parsed) => prop_assert_eq!(parsed, duration, "{}", printed),
                    Err(e) => prop_assert!(e.to_string().contains("too large"), "{printed}: {e}"),
                }
            }

            #[test]
            fn scaling_by_any_factor_never_panics(ms in any::<u64>(), factor in any::<f64>()) {
                let scaled = PromDuration::new(Duration::from_millis(ms)).scaled_down(factor);
                prop_assert!(ms == 0 || !scaled.get().is_zero());
            }
        }

        /// Parses `text`: a duration, or an error that quotes the input.
        #[track_caller]
        fn check_parse(text: &str) {
            match PromDuration::parse(text) {
                Ok(duration) => assert_eq!(
                    PromDuration::parse(&duration.to_string()),
                    Ok(duration),
                    "`{text}` parsed, but its printed form does not"
                ),
                Err(e) => assert!(
                    e.to_string().contains(&format!("`{text}`")),
                    "the error does not quote `{text}`: {e}"
                ),
            }
        }
    }
}
