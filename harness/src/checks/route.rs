//! Which receiver Alertmanager's route tree gives an alert (equality matchers only).

use std::collections::BTreeMap;

use serde_yaml::Value;

/// The receiver for `labels` under `route`: the first matching child route, recursively,
/// else the route's own receiver (inherited from `parent`). Regex matchers (`=~`, `!~`,
/// `match_re`) count as not matching, so such trees fall back to the parent's receiver.
pub fn receiver_for(
    route: &Value,
    labels: &BTreeMap<String, String>,
    parent: Option<&str>,
) -> Option<String> {
    let own = route
        .get("receiver")
        .and_then(Value::as_str)
        .or(parent)
        .map(str::to_string);
    if let Some(children) = route.get("routes").and_then(Value::as_sequence) {
        for child in children {
            if matches(child, labels) {
                return receiver_for(child, labels, own.as_deref());
            }
        }
    }
    own
}

fn matches(route: &Value, labels: &BTreeMap<String, String>) -> bool {
    if route.get("match_re").is_some() {
        return false;
    }
    if let Some(map) = route.get("match").and_then(Value::as_mapping) {
        for (k, v) in map {
            let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else {
                return false;
            };
            if labels.get(k).map(String::as_str) != Some(v) {
                return false;
            }
        }
    }
    if let Some(matchers) = route.get("matchers").and_then(Value::as_sequence) {
        for matcher in matchers.iter().filter_map(Value::as_str) {
            if !matcher_holds(matcher, labels) {
                return false;
            }
        }
    }
    true
}

fn matcher_holds(matcher: &str, labels: &BTreeMap<String, String>) -> bool {
    if matcher.contains("=~") || matcher.contains("!~") {
        return false;
    }
    let (name, value, negated) = match matcher.split_once("!=") {
        Some((n, v)) => (n, v, true),
        None => match matcher.split_once('=') {
            Some((n, v)) => (n, v, false),
            None => return false,
        },
    };
    let value = value.trim().trim_matches('"');
    let actual = labels.get(name.trim()).map(String::as_str).unwrap_or("");
    (actual == value) != negated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_route_without_children_gives_its_own_receiver() {
        let route: Value =
            serde_yaml::from_str("receiver: slack-notifications\ngroup_interval: 5s").unwrap();
        assert_eq!(
            receiver_for(&route, &labels(&[]), None).as_deref(),
            Some("slack-notifications")
        );
    }

    #[test]
    fn the_first_matching_child_route_wins_and_inherits_the_receiver() {
        let route: Value = serde_yaml::from_str(
            "receiver: default\nroutes:\n- matchers: ['severity=\"page\"']\n  receiver: pager\n- match: {team: ops}\n",
        )
        .unwrap();
        assert_eq!(
            receiver_for(&route, &labels(&[("severity", "page")]), None).as_deref(),
            Some("pager")
        );
        assert_eq!(
            receiver_for(&route, &labels(&[("team", "ops")]), None).as_deref(),
            Some("default")
        );
        assert_eq!(
            receiver_for(&route, &labels(&[("severity", "info")]), None).as_deref(),
            Some("default")
        );
    }
}
