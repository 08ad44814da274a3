//! Durations given as command-line flags rather than in a config file.

use super::changes::Change;
use crate::time::PromDuration;

/// Scales `--flag=DURATION` (or `--flag DURATION`) in `args`; when absent and the scale is not
/// 1, adds the scaled `default`. Prometheus's `--rules.alert.resend-delay` (1m) is one: an
/// alert that fires before Prometheus has discovered its Alertmanager is dropped and only sent
/// again after that delay.
pub(crate) fn scale_flag(
    args: &mut Vec<String>,
    component: &str,
    flag: &str,
    default: PromDuration,
    scale: f64,
    changes: &mut Vec<Change>,
) {
    if scale == 1.0 {
        return;
    }
    let mut record = |key: String, from: String, to: String| {
        changes.push(Change {
            component: component.to_string(),
            file: "args".to_string(),
            key,
            reason: "time scale",
            from,
            to,
        })
    };
    let prefix = format!("{flag}=");
    for i in 0..args.len() {
        let value = if let Some(value) = args[i].strip_prefix(&prefix) {
            Some((i, value.to_string(), true))
        } else if args[i] == flag && i + 1 < args.len() {
            Some((i + 1, args[i + 1].clone(), false))
        } else {
            None
        };
        if let Some((at, value, joined)) = value {
            let Ok(duration) = PromDuration::parse(&value) else {
                return;
            };
            let scaled = duration.scaled_down(scale).to_string();
            let before = args[at].clone();
            args[at] = if joined {
                format!("{flag}={scaled}")
            } else {
                scaled
            };
            record(format!("args[{at}]"), before, args[at].clone());
            return;
        }
    }
    let added = format!("{flag}={}", default.scaled_down(scale));
    record(
        flag.to_string(),
        format!("<absent, default {default}>"),
        added.clone(),
    );
    args.push(added);
}

/// Lowers `--flag=DURATION` in `args` to `cap` when it is longer (the flag must be there),
/// listing the change with `why`.
pub(crate) fn cap_flag(
    args: &mut [String],
    component: &str,
    flag: &str,
    cap: PromDuration,
    why: &str,
    changes: &mut Vec<Change>,
) {
    // `--flag=D`, or `--flag D` (two args, as scale_flag keeps it).
    let prefix = format!("{flag}=");
    let (i, joined) = match args.iter().position(|a| a.starts_with(&prefix)) {
        Some(i) => (i, true),
        None => match args.iter().position(|a| a == flag) {
            Some(i) if i + 1 < args.len() => (i + 1, false),
            _ => return,
        },
    };
    let text = if joined {
        &args[i][prefix.len()..]
    } else {
        args[i].as_str()
    };
    let Ok(value) = PromDuration::parse(text) else {
        return;
    };
    if value.get() <= cap.get() {
        return;
    }
    let before = args[i].clone();
    args[i] = if joined {
        format!("{flag}={cap}")
    } else {
        cap.to_string()
    };
    changes.push(Change {
        component: component.to_string(),
        file: "args".to_string(),
        key: flag.to_string(),
        reason: "start-up gap",
        from: before,
        to: format!("{} ({why})", args[i]),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_longer_than_its_cap_is_lowered_and_listed_and_a_shorter_one_is_kept() {
        let mut args = vec!["--rules.alert.resend-delay=2s".to_string()];
        let mut changes = Vec::new();
        let half = PromDuration::new(std::time::Duration::from_millis(250));
        cap_flag(
            &mut args,
            "prometheus",
            "--rules.alert.resend-delay",
            half,
            "why",
            &mut changes,
        );
        assert_eq!(args, ["--rules.alert.resend-delay=250ms"]);
        assert_eq!(changes.len(), 1);
        let long = PromDuration::from_secs(1);
        cap_flag(
            &mut args,
            "prometheus",
            "--rules.alert.resend-delay",
            long,
            "why",
            &mut changes,
        );
        assert_eq!(args, ["--rules.alert.resend-delay=250ms"]);
        assert_eq!(changes.len(), 1);
        // Written as two args, it stays two.
        let mut split = vec!["--rules.alert.resend-delay".to_string(), "2s".to_string()];
        cap_flag(
            &mut split,
            "prometheus",
            "--rules.alert.resend-delay",
            half,
            "why",
            &mut changes,
        );
        assert_eq!(split, ["--rules.alert.resend-delay", "250ms"]);
        assert_eq!(changes.len(), 2);
    }

    #[test]
    fn an_absent_flag_gets_its_scaled_default_and_the_change_is_listed() {
        let mut args = vec!["--config.file=/etc/prometheus/prometheus.yaml".to_string()];
        let mut changes = Vec::new();
        scale_flag(
            &mut args,
            "prometheus",
            "--rules.alert.resend-delay",
            PromDuration::from_secs(60),
            30.0,
            &mut changes,
        );
        assert_eq!(args[1], "--rules.alert.resend-delay=2s");
        assert_eq!(changes.len(), 1, "{changes:?}");
    }

    #[test]
    fn a_given_flag_is_scaled_in_place_in_either_form() {
        let mut changes = Vec::new();
        let mut joined = vec!["--rules.alert.resend-delay=30s".to_string()];
        scale_flag(
            &mut joined,
            "p",
            "--rules.alert.resend-delay",
            PromDuration::from_secs(60),
            10.0,
            &mut changes,
        );
        assert_eq!(joined, vec!["--rules.alert.resend-delay=3s"]);
        let mut split = vec!["--rules.alert.resend-delay".to_string(), "30s".to_string()];
        scale_flag(
            &mut split,
            "p",
            "--rules.alert.resend-delay",
            PromDuration::from_secs(60),
            10.0,
            &mut changes,
        );
        assert_eq!(split, vec!["--rules.alert.resend-delay", "3s"]);
    }

    #[test]
    fn at_scale_one_nothing_changes() {
        let mut args = vec![];
        let mut changes = Vec::new();
        scale_flag(
            &mut args,
            "p",
            "--rules.alert.resend-delay",
            PromDuration::from_secs(60),
            1.0,
            &mut changes,
        );
        assert!(
            args.is_empty() && changes.is_empty(),
            "{args:?} {changes:?}"
        );
    }
}
