//! Slack's `mrkdwn` as HTML, for the review page: `*bold*`, `_italics_`, `~strike~`,
//! `` `code` ``, ```` ``` ```` blocks, `>` quotes, `<url|text>` links, mentions, line breaks,
//! and Slack's three entities (`&amp;`, `&lt;`, `&gt;`). Everything else is text: every
//! character that reaches the HTML is escaped, so a payload holding `<script>` shows as
//! `<script>`.

/// `text` with `&`, `<`, `>`, `"` and `'` escaped for HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

/// Slack `mrkdwn` as HTML (see the module's documentation). Line breaks become `<br>`.
pub fn mrkdwn_to_html(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    // Code blocks first: nothing inside them is formatted, and they may span lines.
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let Some(len) = after.find("```") else { break };
        lines_to_html(&rest[..start], true, &mut out);
        let code = after[..len].trim_start_matches('\n');
        out.push_str("<pre class=\"code\">");
        out.push_str(&escape_html(&decode_entities(code)));
        out.push_str("</pre>");
        rest = after[len + 3..]
            .strip_prefix('\n')
            .unwrap_or(&after[len + 3..]);
    }
    lines_to_html(rest, true, &mut out);
    out
}

/// Text Slack does not format (a field not in `mrkdwn_in`) as HTML: links, mentions and
/// entities are still Slack's, emphasis and code are text. Line breaks become `<br>`.
pub fn plain_to_html(text: &str) -> String {
    let mut out = String::new();
    lines_to_html(text, false, &mut out);
    out
}

fn lines_to_html(text: &str, formatted: bool, out: &mut String) {
    if text.is_empty() {
        return;
    }
    let mut quote = false;
    for (i, line) in text.split('\n').enumerate() {
        let quoted = formatted
            .then(|| {
                line.strip_prefix("&gt;")
                    .or_else(|| line.strip_prefix('>'))
                    .map(|l| l.strip_prefix(' ').unwrap_or(l))
            })
            .flatten();
        if quoted.is_some() != quote {
            out.push_str(if quote {
                "</blockquote>"
            } else {
                "<blockquote>"
            });
            quote = !quote;
        } else if i > 0 {
            out.push_str("<br>");
        }
        let chars: Vec<char> = quoted.unwrap_or(line).chars().collect();
        inline(&chars, formatted, out);
    }
    if quote {
        out.push_str("</blockquote>");
    }
}

/// `&amp;`, `&lt;`, `&gt;` as the characters they stand for.
fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn tag_for(marker: char) -> &'static str {
    match marker {
        '*' => "b",
        '_' => "i",
        _ => "s",
    }
}

/// Whether a character may stand next to a formatting marker on its outer side.
fn is_boundary(c: Option<&char>) -> bool {
    c.is_none_or(|c| !c.is_alphanumeric() && *c != '*' && *c != '_' && *c != '~')
}

/// How deep formatting nests before its markers are shown as text: Slack's own messages nest
/// three deep at most, and a line of `*(*(*(…` would otherwise recurse once per marker.
const MAX_NESTING: usize = 8;

/// The formatting markers, in the order of [`Ahead::close`].
const MARKERS: [char; 3] = ['*', '_', '~'];

/// Where, from each position of a line, the next `>`, the next `` ` `` and the next closing
/// `*`, `_` and `~` are (the line's length where there is none), found in one pass over the
/// line: a line of markers that never close renders in time linear in its length, not
/// growing with its square (40,000 characters of `(*a` took 10 s).
struct Ahead {
    gt: Vec<usize>,
    tick: Vec<usize>,
    close: [Vec<usize>; 3],
}

impl Ahead {
    fn new(chars: &[char]) -> Self {
        let n = chars.len();
        let mut gt = vec![n; n + 1];
        let mut tick = vec![n; n + 1];
        let mut close = [vec![n; n + 1], vec![n; n + 1], vec![n; n + 1]];
        for i in (0..n).rev() {
            gt[i] = if chars[i] == '>' { i } else { gt[i + 1] };
            tick[i] = if chars[i] == '`' { i } else { tick[i + 1] };
            for (k, marker) in MARKERS.iter().enumerate() {
                // A closing marker: text (not a space) before it, a boundary after it.
                let closes = chars[i] == *marker
                    && i > 0
                    && !chars[i - 1].is_whitespace()
                    && is_boundary(chars.get(i + 1));
                close[k][i] = if closes { i } else { close[k][i + 1] };
            }
        }
        Self { gt, tick, close }
    }

    /// The first position at or after `from` that `next` (one of the lists) records.
    fn next(next: &[usize], from: usize) -> Option<usize> {
        next.get(from).copied().filter(|at| at + 1 < next.len())
    }
}

/// One line's inline formatting.
fn inline(chars: &[char], formatted: bool, out: &mut String) {
    inline_nested(chars, formatted, 0, out);
}

fn inline_nested(chars: &[char], formatted: bool, depth: usize, out: &mut String) {
    let ahead = Ahead::new(chars);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '<' {
            if let Some(close) = Ahead::next(&ahead.gt, i + 1) {
                let inner: String = chars[i + 1..close].iter().collect();
                out.push_str(&control_sequence(&inner));
                i = close + 1;
                continue;
            }
        }
        if c == '&' {
            let rest: String = chars[i..chars.len().min(i + 5)].iter().collect();
            if let Some((entity, text)) = [("&amp;", "&amp;"), ("&lt;", "&lt;"), ("&gt;", "&gt;")]
                .into_iter()
                .find(|(entity, _)| rest.starts_with(entity))
            {
                out.push_str(text);
                i += entity.len();
                continue;
            }
        }
        if formatted && c == '`' {
            if let Some(close) = Ahead::next(&ahead.tick, i + 1).filter(|close| *close > i + 1) {
                let code: String = chars[i + 1..close].iter().collect();
                out.push_str("<code>");
                out.push_str(&escape_html(&decode_entities(&code)));
                out.push_str("</code>");
                i = close + 1;
                continue;
            }
        }
        if formatted && depth < MAX_NESTING && MARKERS.contains(&c) {
            if let Some(end) = closing_marker(chars, i, &ahead) {
                let tag = tag_for(c);
                out.push_str(&format!("<{tag}>"));
                inline_nested(&chars[i + 1..end], formatted, depth + 1, out);
                out.push_str(&format!("</{tag}>"));
                i = end + 1;
                continue;
            }
        }
        push_escaped(out, c);
        i += 1;
    }
}

/// Where the marker opening at `open` closes: the next same marker with text before it and
/// a boundary after it, when `open` itself has a boundary before it and text after it.
fn closing_marker(chars: &[char], open: usize, ahead: &Ahead) -> Option<usize> {
    let marker = chars[open];
    let before = open.checked_sub(1).and_then(|i| chars.get(i));
    let after = chars.get(open + 1);
    if !is_boundary(before) || after.is_none_or(|c| c.is_whitespace() || *c == marker) {
        return None;
    }
    let k = MARKERS.iter().position(|m| *m == marker)?;
    Ahead::next(&ahead.close[k], open + 2)
}

/// `<...>` as Slack shows it: a link (`http`, `https`, `mailto`, with an optional `|label`),
/// a user, channel or special mention; anything else as the text it is.
fn control_sequence(inner: &str) -> String {
    let (target, label) = match inner.split_once('|') {
        Some((target, label)) => (target, Some(label)),
        None => (inner, None),
    };
    let lower = target.to_ascii_lowercase();
    if ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        && !target.chars().any(char::is_whitespace)
    {
        let href = decode_entities(target);
        let shown = decode_entities(label.filter(|l| !l.is_empty()).unwrap_or(target));
        return format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
            escape_html(&href),
            escape_html(&shown)
        );
    }
    let mention = |sigil: &str, id: &str| -> String {
        let shown = decode_entities(label.filter(|l| !l.is_empty()).unwrap_or(id));
        format!(
            "<span class=\"mention\">{}{}</span>",
            sigil,
            escape_html(&shown)
        )
    };
    if let Some(id) = target.strip_prefix('@').filter(|id| is_slack_id(id)) {
        return mention("@", id);
    }
    if let Some(id) = target.strip_prefix('#').filter(|id| is_slack_id(id)) {
        return mention("#", id);
    }
    if let Some(special) = target
        .strip_prefix('!')
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '^'))
    {
        let name = special.split('^').next().unwrap_or(special);
        return mention("@", name);
    }
    escape_html(&format!("<{}>", decode_entities(inner)))
}

fn is_slack_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_italics_strike_and_code_become_their_html_tags() {
        assert_eq!(
            mrkdwn_to_html("*Alert:* x _it_ ~gone~ `a*b*`"),
            "<b>Alert:</b> x <i>it</i> <s>gone</s> <code>a*b*</code>"
        );
    }

    #[test]
    fn formatting_nests() {
        assert_eq!(
            mrkdwn_to_html("*bold _and italic_ `code`*"),
            "<b>bold <i>and italic</i> <code>code</code></b>"
        );
    }

    #[test]
    fn markers_inside_words_and_unclosed_markers_stay_text() {
        assert_eq!(mrkdwn_to_html("snake_case_name"), "snake_case_name");
        assert_eq!(mrkdwn_to_html("2*3*4"), "2*3*4");
        assert_eq!(mrkdwn_to_html("* not bold*"), "* not bold*");
        assert_eq!(mrkdwn_to_html("*open"), "*open");
        assert_eq!(mrkdwn_to_html("__severity__"), "__severity__");
    }

    #[test]
    fn formatting_does_not_span_lines_and_line_breaks_become_br() {
        assert_eq!(mrkdwn_to_html("*a\nb*"), "*a<br>b*");
        assert_eq!(mrkdwn_to_html("\n*a*\n"), "<br><b>a</b><br>");
    }

    #[test]
    fn links_show_their_label_and_keep_their_url() {
        assert_eq!(
            mrkdwn_to_html("see <http://x|y> and <https://e.org/a?b=1&c=2>"),
            "see <a href=\"http://x\" rel=\"noopener noreferrer\">y</a> and \
             <a href=\"https://e.org/a?b=1&amp;c=2\" rel=\"noopener noreferrer\">https://e.org/a?b=1&amp;c=2</a>"
        );
        assert_eq!(
            mrkdwn_to_html("*<http://x|runbook>*"),
            "<b><a href=\"http://x\" rel=\"noopener noreferrer\">runbook</a></b>"
        );
    }

    #[test]
    fn a_link_label_or_url_cannot_break_out_of_its_tag() {
        let html = mrkdwn_to_html("<http://x\"onmouseover=\"alert(1)|<b>y</b>>");
        assert!(!html.contains("\"onmouseover"), "{html}");
        let html = mrkdwn_to_html("<http://x|\"><script>alert(1)</script>>");
        assert!(!html.contains("<script"), "{html}");
    }

    #[test]
    fn a_javascript_url_is_no_link() {
        assert_eq!(
            mrkdwn_to_html("<javascript:alert(1)|click>"),
            "&lt;javascript:alert(1)|click&gt;"
        );
    }

    #[test]
    fn script_and_img_tags_in_a_text_are_shown_as_text() {
        assert_eq!(
            mrkdwn_to_html("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            mrkdwn_to_html("*<img src=x onerror=alert(1)>*"),
            "<b>&lt;img src=x onerror=alert(1)&gt;</b>"
        );
        assert_eq!(
            plain_to_html("<script>\"'&"),
            "&lt;script&gt;&quot;&#39;&amp;"
        );
    }

    #[test]
    fn slacks_entities_show_as_the_characters_they_stand_for() {
        assert_eq!(
            mrkdwn_to_html("a &lt;b&gt; &amp; &amp;lt; &copy;"),
            "a &lt;b&gt; &amp; &amp;lt; &amp;copy;"
        );
    }

    #[test]
    fn mentions_show_like_slack() {
        assert_eq!(
            mrkdwn_to_html("<!here> <@U123> <#C1|alerts> <!subteam^S1>"),
            "<span class=\"mention\">@here</span> <span class=\"mention\">@U123</span> \
             <span class=\"mention\">#alerts</span> <span class=\"mention\">@subteam</span>"
        );
    }

    #[test]
    fn code_blocks_keep_their_text_unformatted_across_lines() {
        assert_eq!(
            mrkdwn_to_html("before\n```\n*x* <y>\nz\n```\nafter"),
            "before<br><pre class=\"code\">*x* &lt;y&gt;\nz\n</pre>after"
        );
    }

    #[test]
    fn quotes_become_blockquotes() {
        assert_eq!(
            mrkdwn_to_html("&gt; quoted *b*\nnot"),
            "<blockquote>quoted <b>b</b></blockquote>not"
        );
    }

    #[test]
    fn a_long_line_of_markers_that_never_close_is_text() {
        // Each marker looked for its closer to the end of the line: 40,000 characters of
        // `(*a` took 10 s (debug build); the closers are now found in one pass.
        for unit in ["(*a", " *a", "<", "(_a(~a"] {
            let text = unit.repeat(40_000 / unit.len());
            assert_eq!(mrkdwn_to_html(&text), escape_html(&text), "{unit}");
        }
    }

    #[test]
    fn formatting_nests_eight_deep_at_most_and_deeper_markers_are_text() {
        let nested = |levels: usize| {
            let open = "*_~".repeat(levels / 3);
            let close: String = open.chars().rev().collect();
            mrkdwn_to_html(&format!("{open}x{close}"))
        };
        assert_eq!(
            nested(3),
            "<b><i><s>x</s></i></b>",
            "three levels, as Slack nests them"
        );
        let deep = nested(12);
        assert_eq!(deep.matches("</").count(), 8, "{deep}");
        assert!(deep.contains("<i>~*_~x~_*~</i>"), "{deep}");
    }

    #[test]
    fn plain_text_keeps_its_markers_but_not_its_angle_brackets() {
        assert_eq!(
            plain_to_html("*x* <http://a|b>\nc"),
            "*x* <a href=\"http://a\" rel=\"noopener noreferrer\">b</a><br>c"
        );
    }

    /// Any text, as Slack could send it: rendering never panics, and what comes out is HTML
    /// of the few tags the renderer writes, balanced, every other character escaped.
    /// `PROPTEST_CASES` sets how many cases.
    mod fuzz {
        use proptest::prelude::*;

        use super::*;

        /// The tags the renderer may open (`br` stands alone), and how each closes.
        const OPENING: [(&str, &str); 7] = [
            ("<b>", "</b>"),
            ("<i>", "</i>"),
            ("<s>", "</s>"),
            ("<code>", "</code>"),
            ("<blockquote>", "</blockquote>"),
            ("<pre class=\"code\">", "</pre>"),
            ("<span class=\"mention\">", "</span>"),
        ];

        const ENTITIES: [&str; 5] = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];

        /// Checks that `html` holds only the renderer's tags, balanced, and escaped text.
        #[track_caller]
        fn assert_safe_html(html: &str, from: &str) {
            let mut open: Vec<&str> = Vec::new();
            let mut rest = html;
            while let Some(c) = rest.chars().next() {
                if c == '<' {
                    let end = rest
                        .find('>')
                        .unwrap_or_else(|| panic!("an unclosed `<` in {html:?} from {from:?}"));
                    let tag = &rest[..=end];
                    if let Some((_, close)) = OPENING.iter().find(|(o, _)| *o == tag) {
                        open.push(close);
                    } else if tag == "<br>" {
                    } else if let Some(href) = tag
                        .strip_prefix("<a href=\"")
                        .and_then(|t| t.strip_suffix("\" rel=\"noopener noreferrer\">"))
                    {
                        assert!(
                            !href.contains(['"', '<', '>', '\'']),
                            "an unescaped href {href:?} in {html:?} from {from:?}"
                        );
                        let lower = href.to_ascii_lowercase();
                        assert!(
                            ["http://", "https://", "mailto:"]
                                .iter()
                                .any(|s| lower.starts_with(s)),
                            "a link to {href:?} in {html:?} from {from:?}"
                        );
                        open.push("</a>");
                    } else {
                        assert_eq!(
                            open.pop(),
                            Some(tag),
                            "`{tag}` closes nothing open in {html:?} from {from:?}"
                        );
                    }
                    rest = &rest[end + 1..];
                    continue;
                }
                if c == '&' {
                    let entity = ENTITIES.iter().find(|e| rest.starts_with(*e));
                    let entity =
                        entity.unwrap_or_else(|| panic!("a bare `&` in {html:?} from {from:?}"));
                    rest = &rest[entity.len()..];
                    continue;
                }
                assert!(
                    !matches!(c, '>' | '"' | '\''),
                    "an unescaped `{c}` in {html:?} from {from:?}"
                );
                rest = &rest[c.len_utf8()..];
            }
            assert!(
                open.is_empty(),
                "{open:?} left open in {html:?} from {from:?}"
            );
        }

        proptest! {
            #[test]
            fn any_text_renders_as_balanced_escaped_html(text in "\\PC{0,60}") {
                assert_safe_html(&mrkdwn_to_html(&text), &text);
                assert_safe_html(&plain_to_html(&text), &text);
            }

            #[test]
            fn text_full_of_markers_renders_as_balanced_escaped_html(
                text in "([*_~`<>&|!#@ \n\"']|```|&gt;|&lt;|&amp;|<http://x|<mailto:|<javascript:|a|1){0,40}"
            ) {
                assert_safe_html(&mrkdwn_to_html(&text), &text);
                assert_safe_html(&plain_to_html(&text), &text);
            }

            #[test]
            fn text_without_markers_renders_as_itself(text in "[a-zA-Z0-9 .,:;()=+/-]{0,60}") {
                prop_assert_eq!(&mrkdwn_to_html(&text), &text);
                prop_assert_eq!(&plain_to_html(&text), &text);
            }

            #[test]
            fn any_text_escaped_shows_as_itself(text in "\\PC{0,60}") {
                let escaped = escape_html(&text);
                assert_safe_html(&escaped, &text);
                let shown = escaped
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&#39;", "'")
                    .replace("&amp;", "&");
                prop_assert_eq!(shown, text);
            }
        }
    }
}
