//! Divides the durations of a YAML mapping by the time scale.

use serde_yaml::{Mapping, Value};

use super::changes::ChangeLog;
use crate::time::PromDuration;

/// Scales the duration under `key` of `map` (at YAML path `path`) by `scale`.
/// When the key is absent and `default` is given, the scaled default is written, so that
/// a component's built-in default (Alertmanager's 30s group_wait) is scaled too.
/// Returns the effective (scaled) duration, if any.
pub(crate) fn scale_key(
    map: &mut Mapping,
    key: &str,
    path: &str,
    scale: f64,
    default: Option<PromDuration>,
    log: &mut ChangeLog<'_>,
) -> Option<PromDuration> {
    let full_key = if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    };
    let current = map.get(key).and_then(Value::as_str).map(str::to_string);
    let (before, from_text) = match current {
        Some(text) => (PromDuration::parse(&text).ok()?, text),
        None => {
            let default = default?;
            (default, format!("<absent, default {default}>"))
        }
    };
    let after = before.scaled_down(scale);
    if scale == 1.0 {
        return Some(before);
    }
    map.insert(Value::from(key), Value::from(after.to_string()));
    log.record(full_key, "time scale", from_text, after.to_string());
    Some(after)
}

/// A mutable mapping under `key`, created when absent (or replaced when not a mapping).
pub(crate) fn mapping_mut<'a>(map: &'a mut Mapping, key: &str) -> &'a mut Mapping {
    let entry = map
        .entry(Value::from(key))
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if !entry.is_mapping() {
        *entry = Value::Mapping(Mapping::new());
    }
    entry.as_mapping_mut().expect("just made a mapping")
}
