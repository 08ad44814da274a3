//! Durations and timestamps: Prometheus-style durations (`PromDuration`, crate-internal) and
//! RFC 3339 timestamps, parsed and printed in one place.
//!
//! Only [`format_timestamp`] and [`parse_timestamp`] are public; everything else here is the
//! crate's own. (The external date-time crate is `::time`.)

mod duration;
mod timestamp;

pub(crate) use duration::PromDuration;
pub use timestamp::{format_timestamp, parse_timestamp};
pub(crate) use timestamp::{rfc3339_millis, unix_millis};
