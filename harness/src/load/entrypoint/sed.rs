//! `sed`'s `s` command as GNU sed applies it: a basic (or, with `-E`/`-r`, extended) regular
//! expression matched line by line, the first match of each line replaced (every match with
//! `g`), `&` and `\1`..`\9` in the replacement. Other sed commands and flags are refused.

use regex::{Captures, Regex, RegexBuilder};

/// One `s` command.
#[derive(Debug)]
pub(super) struct Substitution {
    regex: Regex,
    replacement: Vec<Part>,
    global: bool,
}

#[derive(Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Group(usize),
}

/// The `s` commands of one sed script (`s|a|b|g; s|c|d|`), or what firedrill does not
/// evaluate in it (never quoting the script, which may hold a secret).
pub(super) fn parse(script: &str, extended: bool) -> Result<Vec<Substitution>, String> {
    let chars: Vec<char> = script.chars().collect();
    let mut at = 0;
    let mut found = Vec::new();
    loop {
        while chars
            .get(at)
            .is_some_and(|c| c.is_whitespace() || *c == ';')
        {
            at += 1;
        }
        let Some(&command) = chars.get(at) else {
            break;
        };
        if command != 's' {
            return Err(format!(
                "the sed command `{command}` (firedrill evaluates `s` substitutions only)"
            ));
        }
        let Some(&delimiter) = chars.get(at + 1).filter(|c| **c != '\\' && **c != '\n') else {
            return Err("a sed `s` command without a delimiter".into());
        };
        at += 2;
        let pattern = section(&chars, &mut at, delimiter)?;
        let replacement = section(&chars, &mut at, delimiter)?;
        let mut global = false;
        let mut insensitive = false;
        while let Some(&flag) = chars.get(at) {
            match flag {
                'g' => global = true,
                'I' | 'i' => insensitive = true,
                ';' | '\n' | ' ' | '\t' => break,
                other if !other.is_ascii_alphanumeric() => {
                    return Err(format!(
                        "text after a sed `s` command's replacement (a value with the \
                         delimiter `{delimiter}` in it ends the pattern or replacement early)"
                    ))
                }
                other => {
                    return Err(format!(
                        "the sed flag `{other}` (firedrill evaluates `g` and `I`)"
                    ))
                }
            }
            at += 1;
        }
        let regex = RegexBuilder::new(&regex_of(&pattern, extended)?)
            .case_insensitive(insensitive)
            .build()
            .map_err(|_| "a sed pattern that is not a valid regular expression".to_string())?;
        found.push(Substitution {
            regex,
            replacement: replacement_of(&replacement)?,
            global,
        });
    }
    if found.is_empty() {
        return Err("an empty sed script".into());
    }
    Ok(found)
}

/// Applies the substitutions to each line of `text`, in order.
pub(super) fn apply(substitutions: &[Substitution], text: &str) -> String {
    text.split('\n')
        .map(|line| {
            let mut line = line.to_string();
            for substitution in substitutions {
                let replace = |caps: &Captures<'_>| {
                    let mut out = String::new();
                    for part in &substitution.replacement {
                        match part {
                            Part::Literal(text) => out.push_str(text),
                            Part::Group(n) => {
                                out.push_str(caps.get(*n).map_or("", |m| m.as_str()));
                            }
                        }
                    }
                    out
                };
                let limit = if substitution.global { 0 } else { 1 };
                line = substitution
                    .regex
                    .replacen(&line, limit, replace)
                    .into_owned();
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text up to the next unescaped `delimiter` (an escaped delimiter kept escaped, for
/// [`regex_of`] and [`replacement_of`] to read as the literal character).
fn section(chars: &[char], at: &mut usize, delimiter: char) -> Result<String, String> {
    let mut out = String::new();
    while let Some(&c) = chars.get(*at) {
        *at += 1;
        if c == delimiter {
            return Ok(out);
        }
        out.push(c);
        if c == '\\' {
            if let Some(&next) = chars.get(*at) {
                out.push(next);
                *at += 1;
            }
        }
    }
    Err(format!(
        "a sed `s` command not closed by its delimiter `{delimiter}` (a value with a \
         `{delimiter}` in it ends the pattern or replacement early)"
    ))
}

/// A POSIX basic (or extended) regular expression as a Rust one.
fn regex_of(pattern: &str, extended: bool) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    // Where `*` is literal and `^` an anchor in a basic expression: at the start of it or a group.
    let mut at_start = true;
    while i < chars.len() {
        let c = chars[i];
        let was_start = at_start;
        at_start = false;
        match c {
            '\\' => {
                i += 1;
                let Some(&next) = chars.get(i) else {
                    return Err("a sed pattern ending in `\\`".into());
                };
                match next {
                    'n' => out.push_str("\\n"),
                    't' => out.push_str("\\t"),
                    d if d.is_ascii_digit() => {
                        return Err("a back-reference in a sed pattern".into());
                    }
                    '(' | ')' | '{' | '}' | '+' | '?' | '|' if !extended => {
                        out.push(next);
                        at_start = next == '(' || next == '|';
                    }
                    other => out.push_str(&regex::escape(&other.to_string())),
                }
            }
            '[' => {
                out.push('[');
                i += 1;
                let begin = i;
                while let Some(&c) = chars.get(i) {
                    let first = i == begin || (i == begin + 1 && chars[begin] == '^');
                    if c == ']' && !first {
                        break;
                    }
                    if c == '[' && chars.get(i + 1) == Some(&':') {
                        let close = chars[i..]
                            .windows(2)
                            .position(|w| w == [':', ']'])
                            .ok_or("an unclosed character class in a sed pattern")?;
                        out.extend(&chars[i..i + close + 2]);
                        i += close + 2;
                        continue;
                    }
                    match c {
                        '\\' | '[' | '&' | '~' => {
                            out.push('\\');
                            out.push(c);
                        }
                        c => out.push(c),
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return Err("an unclosed bracket expression in a sed pattern".into());
                }
                out.push(']');
            }
            '.' => out.push('.'),
            '*' if was_start && !extended => out.push_str("\\*"),
            '*' => out.push('*'),
            '^' if was_start || extended => {
                out.push('^');
                at_start = true;
            }
            '$' if extended || i + 1 == chars.len() || chars[i + 1..].starts_with(&['\\', ')']) => {
                out.push('$')
            }
            '(' | ')' | '{' | '}' | '+' | '?' | '|' if extended => {
                out.push(c);
                at_start = c == '(' || c == '|';
            }
            c => out.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    Ok(out)
}

/// A replacement's parts: `&` the whole match, `\1`..`\9` a group, `\n` a newline, any other
/// escaped character itself.
fn replacement_of(replacement: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = replacement.chars();
    let group = |parts: &mut Vec<Part>, literal: &mut String, n: usize| {
        if !literal.is_empty() {
            parts.push(Part::Literal(std::mem::take(literal)));
        }
        parts.push(Part::Group(n));
    };
    while let Some(c) = chars.next() {
        match c {
            '&' => group(&mut parts, &mut literal, 0),
            '\\' => match chars.next() {
                Some(d) if d.is_ascii_digit() => {
                    group(&mut parts, &mut literal, d as usize - '0' as usize);
                }
                Some('n') => literal.push('\n'),
                Some(case @ ('U' | 'L' | 'u' | 'l' | 'E')) => {
                    return Err(format!(
                        "GNU sed's case conversion `\\{case}` in a replacement"
                    ));
                }
                Some(other) => literal.push(other),
                None => literal.push('\\'),
            },
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::{apply, parse};

    #[track_caller]
    fn sed(script: &str, text: &str) -> String {
        let substitutions = parse(script, false).unwrap_or_else(|e| panic!("{e}"));
        apply(&substitutions, text)
    }

    #[test]
    fn a_literal_placeholder_is_replaced_once_a_line_without_g_and_everywhere_with_it() {
        let text = "url: X X\nother: X\n";
        assert_eq!(sed("s|X|y|", text), "url: y X\nother: y\n");
        assert_eq!(sed("s|X|y|g", text), "url: y y\nother: y\n");
    }

    #[test]
    fn a_dollar_brace_placeholder_is_matched_literally_in_a_basic_expression() {
        assert_eq!(
            sed(
                "s/${SLACK_URL}/https:\\/\\/hooks/g",
                "api_url: ${SLACK_URL}\n"
            ),
            "api_url: https://hooks\n"
        );
    }

    #[test]
    fn the_replacement_reads_the_whole_match_and_groups() {
        assert_eq!(sed("s/\\(a\\)b/[&|\\1]/", "ab"), "[ab|a]");
        assert_eq!(sed("s/a.c/\\&/; s/^x/y/", "xabc"), "y&");
    }

    #[test]
    fn a_delimiter_inside_a_substituted_value_is_refused_without_quoting_it() {
        let refused = parse("s/X/https://hooks/g", false).unwrap_err();
        assert!(refused.contains("delimiter `/`"), "{refused}");
        assert!(!refused.contains("hooks"), "{refused}");
    }

    #[test]
    fn another_sed_command_is_refused_naming_it() {
        let refused = parse("/^#/d", false).unwrap_err();
        assert!(refused.contains("`/`"), "{refused}");
    }
}
