//! The expanding notation of an input series' `values` (`0+10x5 _x2 stale 7`), read the way
//! promtool's series-description lexer and grammar read it (Prometheus 2.x, float samples).
//!
//! Items are separated by spaces or tabs; each item is one of
//!
//! - `a`: one sample; `a` is a number (`1`, `-2`, `+5`, `1.5e3`, `.5`, `Inf`, `-Inf`, `NaN`,
//!   any case) or `stale` (a staleness marker);
//! - `axn`: `a` repeated n+1 times;
//! - `a+bxn` / `a-bxn`: n+1 samples `a, a±b, …, a±n·b`;
//! - `_`: one missing sample; `_xn`: n missing samples (n, not n+1, as promtool does).
//!
//! Number quirks kept from promtool: hexadecimal is refused, a whole number with a leading zero
//! is octal (`010` is 8), and `stale+bxn` is a staleness marker followed by n NaN samples.
//! The repeat count is decimal (`1x010` is eleven samples).

use super::SeriesValue;

/// The most samples one series may expand to (a week at one-second steps fits).
pub(crate) const MAX_VALUES: usize = 1_000_000;

/// Expands a `values` string into one entry per step: value k is at time k × interval.
pub(crate) fn expand_values(text: &str) -> Result<Vec<SeriesValue>, String> {
    if text.contains('\n') || text.contains('\r') {
        return Err(
            "has a line break; promtool reads each line as a new series, so write \
                    the values on one line"
                .to_string(),
        );
    }
    if let Some(start) = text.find('{') {
        let token = text[start..].split([' ', '\t']).next().unwrap_or_default();
        return Err(format!(
            "`{token}`: native histogram samples (`{{{{...}}}}`) are not supported; \
             firedrill reads float series only"
        ));
    }
    let mut values = Vec::new();
    for item in text.split([' ', '\t']).filter(|item| !item.is_empty()) {
        expand_item(item, &mut values).map_err(|why| format!("`{item}`: {why}"))?;
        if values.len() > MAX_VALUES {
            return Err(format!(
                "`{item}`: the series expands to more than {MAX_VALUES} samples; \
                 use a longer interval or fewer repetitions"
            ));
        }
    }
    Ok(values)
}

/// A token of one item, as promtool's lexer splits it.
#[derive(Debug, Clone, PartialEq)]
enum Token<'a> {
    /// `_`
    Blank,
    /// `x`, between a value and its repeat count
    Times,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// A number as written (digits, `.`, exponent; or `inf`/`nan` in any case).
    Number(&'a str),
    /// `stale`
    Stale,
    /// Any other word.
    Word(&'a str),
}

impl Token<'_> {
    fn describe(&self) -> String {
        match self {
            Token::Blank => "`_`".into(),
            Token::Times => "`x`".into(),
            Token::Plus => "`+`".into(),
            Token::Minus => "`-`".into(),
            Token::Number(text) | Token::Word(text) => format!("`{text}`"),
            Token::Stale => "`stale`".into(),
        }
    }
}

/// Splits one item into tokens.
fn tokens(item: &str) -> Result<Vec<Token<'_>>, String> {
    let bytes = item.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'_' => {
                out.push(Token::Blank);
                i += 1;
            }
            b'x' => {
                out.push(Token::Times);
                i += 1;
            }
            b'+' => {
                out.push(Token::Plus);
                i += 1;
            }
            b'-' => {
                out.push(Token::Minus);
                i += 1;
            }
            _ if c.is_ascii_digit()
                || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                let end = number_end(bytes, i);
                let after = bytes.get(end).copied();
                if after.is_some_and(|a| a != b'x' && (a.is_ascii_alphanumeric() || a == b'_')) {
                    return Err(format!("`{}` is not a number", word_at(item, i)));
                }
                out.push(Token::Number(&item[i..end]));
                i = end;
            }
            _ if c.is_ascii_alphabetic() => {
                let end = i + bytes[i..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b':')
                    .count();
                let word = &item[i..end];
                out.push(match word.to_ascii_lowercase().as_str() {
                    "inf" | "nan" => Token::Number(word),
                    "stale" => Token::Stale,
                    _ => Token::Word(word),
                });
                i = end;
            }
            _ => {
                let ch = item[i..].chars().next().unwrap_or_default();
                return Err(format!("unexpected character `{ch}`"));
            }
        }
    }
    Ok(out)
}

/// Where a number that starts at `start` ends: digits, an optional fraction, an optional
/// exponent (never hexadecimal: promtool refuses it in series values).
fn number_end(bytes: &[u8], start: usize) -> usize {
    let digits = |from: usize| {
        from + bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut end = digits(start);
    if bytes.get(end) == Some(&b'.') {
        end = digits(end + 1);
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        end += 1;
        if matches!(bytes.get(end), Some(b'+' | b'-')) {
            end += 1;
        }
        end = digits(end);
    }
    end
}

/// The run of letters, digits and `_`/`.` from `start`, for a message.
fn word_at(item: &str, start: usize) -> &str {
    let len = item[start..]
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
        .count();
    &item[start..start + len]
}

/// A number token's value, as promtool computes it: an integer in Go's base-0 syntax when it
/// is one (so a leading zero means octal), else a decimal float.
fn number(text: &str) -> Result<f64, String> {
    let integer = if text.len() > 1 && text.starts_with('0') {
        i64::from_str_radix(&text[1..], 8).ok()
    } else {
        text.parse::<i64>().ok()
    };
    if let Some(n) = integer {
        return Ok(n as f64);
    }
    text.parse::<f64>()
        .map_err(|_| format!("`{text}` is not a number"))
}

/// A repeat count: decimal digits only.
fn count(token: Option<&Token<'_>>) -> Result<u64, String> {
    match token {
        Some(Token::Number(text)) if text.bytes().all(|b| b.is_ascii_digit()) => text
            .parse::<u64>()
            .map_err(|_| format!("the repeat count `{text}` is too large")),
        Some(Token::Minus) => Err("the repeat count after `x` cannot be negative".into()),
        Some(other) => Err(format!(
            "the repeat count after `x` must be a whole number, found {}",
            other.describe()
        )),
        None => Err("a repeat count must follow `x` (e.g. `1x5`)".into()),
    }
}

/// Reads a value at `tokens[at..]`: `stale`, a number or a signed number; returns it (None
/// for `stale`) and how many tokens it took.
fn value(tokens: &[Token<'_>], at: usize) -> Result<(Option<f64>, usize), String> {
    match (tokens.get(at), tokens.get(at + 1)) {
        (Some(Token::Stale), _) => Ok((None, 1)),
        (Some(Token::Number(text)), _) => Ok((Some(number(text)?), 1)),
        (Some(sign @ (Token::Plus | Token::Minus)), Some(Token::Number(text))) => {
            let n = number(text)?;
            Ok((Some(if *sign == Token::Minus { -n } else { n }), 2))
        }
        (Some(Token::Plus | Token::Minus), next) => Err(format!(
            "a number must follow the sign, found {}",
            next.map_or("nothing".into(), Token::describe)
        )),
        (Some(Token::Word(word)), _) => Err(format!("`{word}` is neither a number nor `stale`")),
        (Some(other), _) => Err(format!(
            "expected a number or `stale`, found {}",
            other.describe()
        )),
        (None, _) => Err("expected a number or `stale`".into()),
    }
}

/// Expands one item onto `out`.
fn expand_item(item: &str, out: &mut Vec<SeriesValue>) -> Result<(), String> {
    let tokens = tokens(item)?;
    let too_many = |n: u64| n > (MAX_VALUES - out.len().min(MAX_VALUES)) as u64;
    if tokens.first() == Some(&Token::Blank) {
        let n = match tokens.get(1) {
            None => 1,
            Some(Token::Times) => count(tokens.get(2))?,
            Some(other) => {
                return Err(format!(
                    "`_` (a missing sample) can only be followed by `x` and a count, found {}",
                    other.describe()
                ))
            }
        };
        if tokens.len() > 3 {
            return Err(format!(
                "unexpected {} after the count",
                tokens[3].describe()
            ));
        }
        if too_many(n) {
            return Err(format!("more than {MAX_VALUES} samples"));
        }
        out.extend((0..n).map(|_| SeriesValue::Missing));
        return Ok(());
    }
    let (start, used) = value(&tokens, 0)?;
    let rest = &tokens[used..];
    let (step, times) = match rest.first() {
        None => (0.0, 0),
        Some(Token::Times) => (0.0, count(rest.get(1))?),
        Some(sign @ (Token::Plus | Token::Minus)) => {
            let Some(Token::Number(text)) = rest.get(1) else {
                return Err(format!(
                    "a number must follow {} (write `a+bxn`, e.g. `0+10x5`), found {}",
                    sign.describe(),
                    rest.get(1).map_or("nothing".into(), Token::describe)
                ));
            };
            let magnitude = number(text)?;
            if rest.get(2) != Some(&Token::Times) {
                return Err(format!(
                    "`x` and a count must follow the step (write `a{}{text}xn`)",
                    if *sign == Token::Minus { '-' } else { '+' }
                ));
            }
            let step = if *sign == Token::Minus {
                -magnitude
            } else {
                magnitude
            };
            (step, count(rest.get(3))?)
        }
        Some(other) => {
            return Err(format!(
                "unexpected {} after the value (write `a`, `axn` or `a+bxn`)",
                other.describe()
            ))
        }
    };
    let expected_len = match rest.first() {
        None => 0,
        Some(Token::Times) => 2,
        _ => 4,
    };
    if rest.len() > expected_len {
        return Err(format!(
            "unexpected {} after the count",
            rest[expected_len].describe()
        ));
    }
    if too_many(times.saturating_add(1)) {
        return Err(format!("more than {MAX_VALUES} samples"));
    }
    match start {
        // A staleness marker, then `stale + k·b`, which is NaN (no longer the marker).
        None => {
            out.push(SeriesValue::Stale);
            out.extend((0..times).map(|_| SeriesValue::Value(f64::NAN)));
        }
        Some(a) => {
            let mut v = a;
            for _ in 0..=times {
                out.push(SeriesValue::Value(v));
                v += step;
            }
        }
    }
    Ok(())
}
