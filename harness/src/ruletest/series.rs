//! Series notation (`name{label="value", ...}`), as promtool reads an input series and an
//! expected sample's labels: a metric name, a label set, or both; only `=`, each label once.
//!
//! The label set is parsed by promql-parser; the metric name is split off first, so that a
//! name PromQL reserves as a keyword (`sum`, `count`, `offset`), valid in a series, still reads.

use std::collections::BTreeMap;

use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr};

/// The label every parse starts with, so that `{}` and `{a=""}` parse too; never returned.
const ANCHOR: &str = "__firedrill_anchor__";

/// Where a series text comes from, which decides what may be empty and where spaces may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeriesUse {
    /// `input_series[].series`: at least one label; no space between the name and `{`; a
    /// label with an empty value is left out, as Prometheus stores the series.
    Input,
    /// `exp_samples[].labels`: may be empty (a scalar result, or labels all dropped).
    Expected,
}

/// The labels of `text`, the metric name as `__name__`.
pub(crate) fn parse_series(
    text: &str,
    usage: SeriesUse,
) -> Result<BTreeMap<String, String>, String> {
    let trimmed = text.trim();
    let name_len = trimmed
        .char_indices()
        .take_while(|(i, c)| {
            c.is_ascii_alphabetic() || *c == '_' || *c == ':' || (*i > 0 && c.is_ascii_digit())
        })
        .count();
    let (name, rest) = trimmed.split_at(name_len);
    let mut labels = BTreeMap::new();
    if !name.is_empty() {
        labels.insert("__name__".to_string(), name.to_string());
    }
    let braces = rest.trim_start();
    if !braces.is_empty() && !braces.starts_with('{') {
        return Err(format!(
            "`{trimmed}` is not a series: write `name{{label=\"value\", ...}}`"
        ));
    }
    if braces.len() != rest.len() && !name.is_empty() && usage == SeriesUse::Input {
        return Err(format!(
            "`{trimmed}` has a space between the metric name and `{{`; promtool reads what \
             follows the space as values, so write `{name}{braces}`"
        ));
    }
    if !braces.is_empty() {
        let inside = &braces[1..];
        for (label, value) in label_set(trimmed, inside)? {
            if label == "__name__" && !name.is_empty() {
                return Err(format!(
                    "`{trimmed}` names the metric twice (before `{{` and as `__name__`); keep one"
                ));
            }
            if labels.contains_key(&label) {
                return Err(format!("`{trimmed}` sets the label `{label}` twice"));
            }
            // Prometheus stores no label with an empty value: an input series has none.
            if value.is_empty() && usage == SeriesUse::Input {
                continue;
            }
            labels.insert(label, value);
        }
    }
    if labels.is_empty() && usage == SeriesUse::Input {
        return Err(format!(
            "`{trimmed}` has no metric name and no label; promtool refuses an empty label set"
        ));
    }
    Ok(labels)
}

/// The `label="value"` pairs of `{` + `inside`, in their written order.
fn label_set(whole: &str, inside: &str) -> Result<Vec<(String, String)>, String> {
    let anchored = format!("{{{ANCHOR}=\"1\",{inside}");
    let expr = parser::parse(&anchored).map_err(|e| {
        format!(
            "`{whole}` is not a series ({}); write `name{{label=\"value\", ...}}`",
            e.trim()
        )
    })?;
    let Expr::VectorSelector(selector) = expr else {
        return Err(format!(
            "`{whole}` is an expression, not a series; write `name{{label=\"value\", ...}}`"
        ));
    };
    if selector.offset.is_some() || selector.at.is_some() {
        return Err(format!(
            "`{whole}` has a modifier (`offset` or `@`); a series is only a name and labels"
        ));
    }
    if !selector.matchers.or_matchers.is_empty() {
        return Err(format!(
            "`{whole}` uses `or` between labels; a series has one label set"
        ));
    }
    let mut pairs = Vec::new();
    for matcher in selector.matchers.matchers {
        if matcher.name == ANCHOR {
            continue;
        }
        if matcher.op != MatchOp::Equal {
            return Err(format!(
                "`{whole}`: the label `{}` is matched with `{}`; a series sets each label \
                 with `=`",
                matcher.name, matcher.op
            ));
        }
        pairs.push((matcher.name, matcher.value));
    }
    Ok(pairs)
}
