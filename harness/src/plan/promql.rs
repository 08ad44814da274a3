//! PromQL in scenario time. A rule's expression is read with a real PromQL parser
//! (`promql-parser`) and rewritten so that compressing time does not change what it computes:
//! every range (`[5m]`), `offset` and subquery range and step is divided by the time scale,
//! and what a per-second function returns (`rate`, `irate`, `deriv`: per *wall* second, which
//! the scale makes `scale` times shorter than a scenario second) is divided by the scale too,
//! as is `predict_linear`'s horizon in seconds. Counts over a window (`increase`, `changes`,
//! `count_over_time`, ...) need nothing more: the scaled window holds what the production
//! window holds.
//!
//! What cannot be kept faithful is named, never smoothed over: the wall clock (`time()`,
//! `timestamp()`, `hour()` and the other calendar functions) and `@` with an absolute time
//! compare against the real clock, which the scale does not compress.

use std::fmt;
use std::time::Duration;

use promql_parser::parser::token::{TokenType, T_DIV};
use promql_parser::parser::{
    self, AtModifier, BinaryExpr, Expr, NumberLiteral, Offset, ParenExpr, VectorSelector,
};

use crate::time::PromDuration;

/// Functions whose value is per second.
const PER_SECOND: [&str; 3] = ["rate", "irate", "deriv"];

/// Functions that read the wall clock.
const WALL_CLOCK: [&str; 10] = [
    "time",
    "timestamp",
    "minute",
    "hour",
    "day_of_week",
    "day_of_month",
    "day_of_year",
    "days_in_month",
    "month",
    "year",
];

/// An expression rewritten for the time scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scaled {
    /// The expression to run.
    pub(crate) expr: String,
    /// Whether it differs from the one written.
    pub(crate) changed: bool,
}

/// What the time scale cannot keep faithful in an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unfaithful {
    /// A function that reads the wall clock.
    WallClock {
        /// The function.
        function: &'static str,
    },
    /// `@` with an absolute time.
    AbsoluteAt,
    /// The parser could not read the expression, so it runs unscaled.
    Unreadable {
        /// The parser's complaint.
        error: String,
    },
}

impl fmt::Display for Unfaithful {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unfaithful::WallClock { function } => write!(
                f,
                "`{function}()` reads the wall clock, which the time scale does not compress: \
                 compared with scenario time, its value is not what production computes"
            ),
            Unfaithful::AbsoluteAt => f.write_str(
                "`@` with an absolute time points at the wall clock, which the time scale does \
                 not compress",
            ),
            Unfaithful::Unreadable { error } => write!(
                f,
                "not scaled: the PromQL parser cannot read it ({error}), so its ranges run in \
                 real time against a compressed `for`"
            ),
        }
    }
}

/// `expr` rewritten for `scale` (see the module's documentation); `Err` with the parser's
/// complaint when it cannot be read.
pub(crate) fn scale_expr(expr: &str, scale: f64) -> Result<Scaled, String> {
    if scale == 1.0 {
        return Ok(Scaled {
            expr: expr.to_string(),
            changed: false,
        });
    }
    let mut ast = parser::parse(expr)?;
    let mut changed = false;
    rewrite(&mut ast, scale, &mut changed);
    Ok(Scaled {
        expr: if changed {
            ast.to_string()
        } else {
            expr.to_string()
        },
        changed,
    })
}

/// What the time scale cannot keep faithful in `expr`.
pub(crate) fn unfaithful(expr: &str) -> Vec<Unfaithful> {
    let ast = match parser::parse(expr) {
        Ok(ast) => ast,
        Err(error) => return vec![Unfaithful::Unreadable { error }],
    };
    let mut found = Vec::new();
    visit(&ast, &mut |node| match node {
        Expr::Call(call) => {
            if let Some(function) = WALL_CLOCK.iter().find(|f| **f == call.func.name) {
                let item = Unfaithful::WallClock { function };
                if !found.contains(&item) {
                    found.push(item);
                }
            }
        }
        Expr::VectorSelector(vs) => note_at(vs.at.as_ref(), &mut found),
        Expr::MatrixSelector(ms) => note_at(ms.vs.at.as_ref(), &mut found),
        Expr::Subquery(sq) => note_at(sq.at.as_ref(), &mut found),
        _ => {}
    });
    found
}

/// The metric names `expr` selects (by name or `__name__="..."`), in order, once each;
/// empty when it cannot be read.
pub(crate) fn metric_names(expr: &str) -> Vec<String> {
    let Ok(ast) = parser::parse(expr) else {
        return Vec::new();
    };
    let mut names: Vec<String> = Vec::new();
    let mut add = |vs: &VectorSelector| {
        let name = vs.name.clone().or_else(|| {
            vs.matchers
                .matchers
                .iter()
                .find(|m| m.name == "__name__" && m.op.to_string() == "=")
                .map(|m| m.value.clone())
        });
        if let Some(name) = name {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    };
    each_selector(&ast, &mut add);
    names
}

/// Every series selector `expr` holds, as an instant selector without its offset or `@`
/// (`rate(http_requests_total{code="500"}[5m] offset 1h)` gives
/// `http_requests_total{code="500"}`), in order, once each: what can be asked whether it
/// selects anything now. Empty when it cannot be read.
pub(crate) fn selectors(expr: &str) -> Vec<String> {
    let Ok(ast) = parser::parse(expr) else {
        return Vec::new();
    };
    let mut found: Vec<String> = Vec::new();
    let mut add = |vs: &VectorSelector| {
        let mut bare = vs.clone();
        bare.offset = None;
        bare.at = None;
        let text = bare.to_string();
        if !found.contains(&text) {
            found.push(text);
        }
    };
    each_selector(&ast, &mut add);
    found
}

/// Calls `f` with every series selector of `ast` (a range selector's own instant one).
fn each_selector<'a>(ast: &'a Expr, f: &mut impl FnMut(&'a VectorSelector)) {
    visit(ast, &mut |node| match node {
        Expr::VectorSelector(vs) => f(vs),
        Expr::MatrixSelector(ms) => f(&ms.vs),
        _ => {}
    });
}

/// Whether `expr` selects a series anywhere (an instant or range selector); `false` for a
/// constant (`vector(1)`) or an expression that cannot be read.
pub(crate) fn reads_series(expr: &str) -> bool {
    let Ok(ast) = parser::parse(expr) else {
        return false;
    };
    let mut found = false;
    visit(&ast, &mut |node| {
        if matches!(node, Expr::VectorSelector(_) | Expr::MatrixSelector(_)) {
            found = true;
        }
    });
    found
}

/// Every duration written in `expr` (ranges, offsets, subquery ranges and steps): what the
/// time scale divides, so that a scale is faithful only where each divides to whole
/// milliseconds. `Err` with the parser's complaint when it cannot be read.
pub(crate) fn durations(expr: &str) -> Result<Vec<Duration>, String> {
    let ast = parser::parse(expr)?;
    let mut found = Vec::new();
    let offset = |offset: &Option<Offset>, found: &mut Vec<Duration>| match offset {
        Some(Offset::Pos(d)) | Some(Offset::Neg(d)) => found.push(*d),
        None => {}
    };
    visit(&ast, &mut |node| match node {
        Expr::VectorSelector(vs) => offset(&vs.offset, &mut found),
        Expr::MatrixSelector(ms) => {
            found.push(ms.range);
            offset(&ms.vs.offset, &mut found);
        }
        Expr::Subquery(sq) => {
            found.push(sq.range);
            found.extend(sq.step);
            offset(&sq.offset, &mut found);
        }
        _ => {}
    });
    Ok(found)
}

/// `expr`, returning nothing while `gate` (an instant vector selector) has no sample and
/// exactly what `expr` returns (labels and values) while it has one: `(expr) and on() gate`.
/// A scalar expression is first made the one-element vector Prometheus makes of a scalar
/// rule result (`vector(expr)`). `Err` with the parser's complaint when it cannot be read.
pub(crate) fn gated(expr: &str, gate: &str) -> Result<String, String> {
    let ast = parser::parse(expr)?;
    let operand = match ast.value_type() {
        parser::value::ValueType::Scalar => format!("vector({})", expr.trim()),
        _ => format!("({})", expr.trim()),
    };
    let text = format!("{operand} and on() {gate}");
    parser::parse(&text)?;
    Ok(text)
}

fn note_at(at: Option<&AtModifier>, found: &mut Vec<Unfaithful>) {
    if matches!(at, Some(AtModifier::At(_))) && !found.contains(&Unfaithful::AbsoluteAt) {
        found.push(Unfaithful::AbsoluteAt);
    }
}

fn scaled(duration: Duration, scale: f64) -> Duration {
    PromDuration::new(duration).scaled_down(scale).get()
}

fn scale_offset(offset: &mut Option<Offset>, scale: f64, changed: &mut bool) {
    if let Some(offset) = offset {
        *offset = match offset {
            Offset::Pos(d) => Offset::Pos(scaled(*d, scale)),
            Offset::Neg(d) => Offset::Neg(scaled(*d, scale)),
        };
        *changed = true;
    }
}

/// `(expr / scale)`, in parentheses so that it binds as one operand wherever it stands; `expr`
/// itself in parentheses unless it is one term (printing adds none for precedence).
fn divided(expr: Expr, scale: f64) -> Expr {
    let expr = match expr {
        Expr::Binary(_) | Expr::Unary(_) => Expr::Paren(ParenExpr {
            expr: Box::new(expr),
        }),
        term => term,
    };
    Expr::Paren(ParenExpr {
        expr: Box::new(Expr::Binary(BinaryExpr {
            op: TokenType::new(T_DIV),
            lhs: Box::new(expr),
            rhs: Box::new(Expr::NumberLiteral(NumberLiteral::new(scale))),
            modifier: None,
        })),
    })
}

fn rewrite(expr: &mut Expr, scale: f64, changed: &mut bool) {
    match expr {
        Expr::Aggregate(agg) => {
            rewrite(&mut agg.expr, scale, changed);
            if let Some(param) = &mut agg.param {
                rewrite(param, scale, changed);
            }
        }
        Expr::Unary(unary) => rewrite(&mut unary.expr, scale, changed),
        Expr::Binary(binary) => {
            rewrite(&mut binary.lhs, scale, changed);
            rewrite(&mut binary.rhs, scale, changed);
        }
        Expr::Paren(paren) => rewrite(&mut paren.expr, scale, changed),
        Expr::Subquery(sq) => {
            rewrite(&mut sq.expr, scale, changed);
            sq.range = scaled(sq.range, scale);
            if let Some(step) = &mut sq.step {
                *step = scaled(*step, scale);
            }
            scale_offset(&mut sq.offset, scale, changed);
            *changed = true;
        }
        Expr::VectorSelector(vs) => scale_offset(&mut vs.offset, scale, changed),
        Expr::MatrixSelector(ms) => {
            ms.range = scaled(ms.range, scale);
            scale_offset(&mut ms.vs.offset, scale, changed);
            *changed = true;
        }
        Expr::Call(call) => {
            for arg in call.args.args.iter_mut() {
                rewrite(arg, scale, changed);
            }
            if call.func.name == "predict_linear" {
                if let Some(horizon) = call.args.args.get_mut(1) {
                    let seconds = std::mem::replace(
                        horizon.as_mut(),
                        Expr::NumberLiteral(NumberLiteral::new(0.0)),
                    );
                    **horizon = divided(seconds, scale);
                    *changed = true;
                }
            }
            if PER_SECOND.contains(&call.func.name) {
                let call = std::mem::replace(expr, Expr::NumberLiteral(NumberLiteral::new(0.0)));
                *expr = divided(call, scale);
                *changed = true;
            }
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn visit<'a>(expr: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    f(expr);
    match expr {
        Expr::Aggregate(agg) => {
            visit(&agg.expr, f);
            if let Some(param) = &agg.param {
                visit(param, f);
            }
        }
        Expr::Unary(unary) => visit(&unary.expr, f),
        Expr::Binary(binary) => {
            visit(&binary.lhs, f);
            visit(&binary.rhs, f);
        }
        Expr::Paren(paren) => visit(&paren.expr, f),
        Expr::Subquery(sq) => visit(&sq.expr, f),
        Expr::Call(call) => {
            for arg in &call.args.args {
                visit(arg, f);
            }
        }
        Expr::VectorSelector(_)
        | Expr::MatrixSelector(_)
        | Expr::NumberLiteral(_)
        | Expr::StringLiteral(_)
        | Expr::Extension(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_30(expr: &str) -> String {
        scale_expr(expr, 30.0)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .expr
    }

    #[test]
    fn every_range_offset_and_subquery_duration_is_listed() {
        let found = durations("rate(x[5m] offset 1h) > max_over_time(y[10m:30s])").unwrap();
        let secs: Vec<u64> = found.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, vec![300, 3600, 600, 30]);
    }

    #[test]
    fn a_gated_expression_keeps_its_labels_and_a_scalar_becomes_a_vector() {
        assert_eq!(
            gated("sum by (job) (rate(x[5m])) > 1", "armed").unwrap(),
            "(sum by (job) (rate(x[5m])) > 1) and on() armed"
        );
        assert_eq!(gated("1", "armed").unwrap(), "vector(1) and on() armed");
        assert!(gated("sum(", "armed").is_err());
    }

    #[test]
    fn ranges_offsets_and_subqueries_are_divided_by_the_scale() {
        assert_eq!(
            at_30("increase(api_request_total[5m]) > 3"),
            "increase(api_request_total[10s]) > 3"
        );
        assert_eq!(
            at_30("absent_over_time(up{job=\"echo\"}[10m])"),
            "absent_over_time(up{job=\"echo\"}[20s])"
        );
        assert_eq!(at_30("x offset 1h < x"), "x offset 2m < x");
        assert_eq!(
            at_30("max_over_time(deriv(x[1m])[30m:1m])"),
            "max_over_time((deriv(x[2s]) / 30)[1m:2s])"
        );
    }

    #[test]
    fn per_second_values_are_brought_back_to_scenario_seconds() {
        assert_eq!(
            at_30("sum by (job) (rate(api_request_total{code=~\"5..\"}[5m])) / sum by (job) (rate(api_request_total[5m])) > 0.05"),
            "sum by (job) ((rate(api_request_total{code=~\"5..\"}[10s]) / 30)) / sum by (job) ((rate(api_request_total[10s]) / 30)) > 0.05"
        );
        assert_eq!(
            at_30("histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.5"),
            "histogram_quantile(0.99, sum by (le) ((rate(http_request_duration_seconds_bucket[10s]) / 30))) > 0.5"
        );
        assert_eq!(at_30("irate(x[1m]) > 5"), "(irate(x[2s]) / 30) > 5");
    }

    #[test]
    fn predict_linear_looks_as_far_ahead_in_scenario_time() {
        assert_eq!(
            at_30("predict_linear(node_filesystem_free_bytes[1h], 4 * 3600) < 0"),
            "predict_linear(node_filesystem_free_bytes[2m], ((4 * 3600) / 30)) < 0"
        );
        assert_eq!(
            at_30("predict_linear(x[1h], 3600 + 60) < 0"),
            "predict_linear(x[2m], ((3600 + 60) / 30)) < 0"
        );
    }

    #[test]
    fn an_expression_without_time_in_it_is_left_as_written() {
        for expr in [
            "up == 0",
            "absent(up{job=\"echo\"})",
            "vector(1)",
            "sum(api_request_total)  >= 3",
        ] {
            let scaled = scale_expr(expr, 30.0).unwrap();
            assert_eq!(
                scaled,
                Scaled {
                    expr: expr.to_string(),
                    changed: false
                }
            );
        }
        assert!(!scale_expr("rate(x[5m])", 1.0).unwrap().changed);
    }

    #[test]
    fn the_rewritten_expression_parses_again() {
        for expr in [
            "sum by (job) (rate(a[5m])) / on (job) group_left sum by (job) (rate(b[5m])) > bool 0.1",
            "-rate(x[1m]) < -1",
            "rate(x[5m]) ^ 2",
            "topk(3, rate(x[5m]))",
            "quantile_over_time(0.9, rate(x[1m])[10m:])",
        ] {
            let scaled = at_30(expr);
            parser::parse(&scaled).unwrap_or_else(|e| panic!("{expr} -> {scaled}: {e}"));
        }
    }

    #[test]
    fn what_the_scale_cannot_keep_is_named() {
        assert_eq!(
            unfaithful("time() - process_start_time_seconds < 600"),
            vec![Unfaithful::WallClock { function: "time" }]
        );
        assert_eq!(
            unfaithful("hour() > 8 and rate(x[5m]) > 1"),
            vec![Unfaithful::WallClock { function: "hour" }]
        );
        assert_eq!(
            unfaithful("x @ 1609746000 > 1"),
            vec![Unfaithful::AbsoluteAt]
        );
        assert!(unfaithful("rate(x[5m]) > 1").is_empty());
        assert!(matches!(
            unfaithful("rate(x[5m] > 1").as_slice(),
            [Unfaithful::Unreadable { .. }]
        ));
    }

    #[test]
    fn the_metrics_of_an_expression_are_its_selectors() {
        assert_eq!(
            metric_names("sum by (job) (rate(api_requests_total{code=~\"5..\"}[5m])) > 0.1"),
            vec!["api_requests_total"]
        );
        assert_eq!(
            metric_names("a:b:rate5m / on(instance) group_left up offset 5m"),
            vec!["a:b:rate5m", "up"]
        );
        assert_eq!(metric_names("{__name__=\"x\", job=\"a\"} > 1"), vec!["x"]);
        assert!(metric_names("vector(1)").is_empty());
    }

    #[test]
    fn the_selectors_of_an_expression_are_instant_and_bare_once_each() {
        assert_eq!(
            selectors(
                r#"sum(rate(http_requests_total{code=~"5.."}[5m] offset 1h)) / sum(rate(http_requests_total{code=~"5.."}[5m])) > absent(up{job="echo"})"#
            ),
            [r#"http_requests_total{code=~"5.."}"#, r#"up{job="echo"}"#]
        );
        assert!(selectors("vector(1)").is_empty());
        assert!(selectors("rate(").is_empty());
    }
}
