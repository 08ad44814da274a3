//! Traffic as users produce it: requests to any app of the manifests (by container,
//! Deployment or Service name), any method, path, headers and body, a count or a rate for a
//! scenario duration, and the statuses the user expects.
//!
//! Written on the command line as one string:
//!
//! ```text
//! [APP] [METHOD] PATH [xCOUNT | RATE/s for DURATION] [header 'NAME: VALUE']... [body TEXT] [expect STATUS]
//! ```
//!
//! e.g. `echo GET /boom x20 expect 5xx`, `/hello 5/s for 2m`, `shop POST /orders x3 header
//! 'Content-Type: application/json' body '{"id":1}' expect 201`. `STATUS` is a class (`2xx`
//! to `5xx`), a code (`404`) or `any`; the default is `2xx`. The old form `PATH=COUNT`
//! (`/hello=3`) still reads as `COUNT` GETs expecting 2xx.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::time::PromDuration;

/// Requests to send to one app.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Traffic {
    /// The app: a container, Deployment or Service name; `None` for the manifests' first app.
    pub app: Option<String>,
    /// The HTTP method (`GET`).
    pub method: String,
    /// The path, starting with `/`.
    pub path: String,
    /// Headers sent with each request.
    pub headers: Vec<(String, String)>,
    /// The body sent with each request.
    pub body: Option<String>,
    /// How many requests.
    pub count: u32,
    /// Spread evenly over this much scenario time (a rate); `None`: one after the other.
    pub over: Option<Duration>,
    /// The statuses every answer must have.
    pub expect: ExpectStatus,
}

/// The statuses the answers to some traffic must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExpectStatus {
    /// Any status of a class: 2 for `2xx`.
    Class(u16),
    /// Exactly this status.
    Exact(u16),
    /// Any answer at all.
    Any,
}

impl ExpectStatus {
    /// Whether `status` is what is expected.
    pub fn accepts(self, status: u16) -> bool {
        match self {
            ExpectStatus::Class(class) => status / 100 == class,
            ExpectStatus::Exact(code) => status == code,
            ExpectStatus::Any => true,
        }
    }
}

impl fmt::Display for ExpectStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectStatus::Class(class) => write!(f, "{class}xx"),
            ExpectStatus::Exact(code) => write!(f, "{code}"),
            ExpectStatus::Any => f.write_str("any status"),
        }
    }
}

impl FromStr for ExpectStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "invalid status `{s}`: expected a class (2xx to 5xx), a code (100 to 599) or any"
            )
        };
        if s == "any" {
            return Ok(ExpectStatus::Any);
        }
        if let Some(class) = s.strip_suffix("xx") {
            return match class.parse::<u16>() {
                Ok(class @ 1..=5) => Ok(ExpectStatus::Class(class)),
                _ => Err(bad()),
            };
        }
        match s.parse::<u16>() {
            Ok(code @ 100..=599) => Ok(ExpectStatus::Exact(code)),
            _ => Err(bad()),
        }
    }
}

impl Traffic {
    /// `count` GETs of `path` to the first app, each expected to answer 2xx.
    pub fn get(path: impl Into<String>, count: u32) -> Self {
        Self {
            app: None,
            method: "GET".to_string(),
            path: path.into(),
            headers: Vec::new(),
            body: None,
            count,
            over: None,
            expect: ExpectStatus::Class(2),
        }
    }

    /// The default traffic: 3 GET /hello, as the seed's author did by hand.
    pub fn default_traffic() -> Vec<Traffic> {
        vec![Traffic::get("/hello", 3)]
    }

    /// To this app (a container, Deployment or Service name).
    pub fn with_app(mut self, app: impl Into<String>) -> Self {
        self.app = Some(app.into());
        self
    }

    /// With this method.
    pub fn with_method(mut self, method: impl Into<String>) -> Self {
        self.method = method.into();
        self
    }

    /// With this header on each request.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// With this body on each request.
    pub fn with_body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Spread evenly over `scenario` time (compressed like every duration).
    pub fn over(mut self, scenario: Duration) -> Self {
        self.over = Some(scenario);
        self
    }

    /// Every answer must have this status.
    pub fn expecting(mut self, expect: ExpectStatus) -> Self {
        self.expect = expect;
        self
    }

    /// Whether this is the plain traffic the seed's metric counts: GETs answering 2xx.
    pub(crate) fn is_plain_get(&self) -> bool {
        self.method == "GET" && self.expect == ExpectStatus::Class(2)
    }
}

impl fmt::Display for Traffic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(app) = &self.app {
            write!(f, "{app} ")?;
        }
        write!(f, "{} x {} {}", self.count, self.method, self.path)?;
        if let Some(over) = self.over {
            write!(f, " over {}", PromDuration::new(over))?;
        }
        if self.expect != ExpectStatus::Class(2) {
            write!(f, " expect {}", self.expect)?;
        }
        Ok(())
    }
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

const SYNTAX: &str = "[APP] [METHOD] PATH [xCOUNT | RATE/s for DURATION] [header 'NAME: VALUE'] [body TEXT] [expect STATUS], e.g. `echo GET /boom x20 expect 5xx`";

impl FromStr for Traffic {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: String| format!("invalid traffic `{s}`: {why} (expected {SYNTAX})");
        // The old form: PATH=COUNT.
        if !s.contains(char::is_whitespace) {
            if let Some((path, count)) = s.rsplit_once('=') {
                if !path.starts_with('/') {
                    return Err(bad("the path must start with `/`".to_string()));
                }
                let count = count
                    .parse()
                    .map_err(|_| bad("COUNT must be a whole number".to_string()))?;
                return Ok(Traffic::get(path, count));
            }
        }
        let words = split_words(s).map_err(bad)?;
        let mut words = words.into_iter().peekable();
        let mut traffic = Traffic::get("", 1);
        if let Some(first) = words.peek() {
            if !first.starts_with('/') && !METHODS.contains(&first.as_str()) {
                traffic.app = words.next();
            }
        }
        if let Some(method) = words.next_if(|w| METHODS.contains(&w.as_str())) {
            traffic.method = method;
        }
        match words.next() {
            Some(path) if path.starts_with('/') => traffic.path = path,
            Some(other) => {
                return Err(bad(format!(
                    "`{other}` is not a path (it must start with `/`) nor a method ({})",
                    METHODS.join(", ")
                )))
            }
            None => return Err(bad("no path".to_string())),
        }
        let mut counted = false;
        while let Some(word) = words.next() {
            let mut value = |what: &str| {
                words
                    .next()
                    .ok_or_else(|| bad(format!("`{word}` needs {what} after it")))
            };
            match word.as_str() {
                "header" => {
                    let header = value("'NAME: VALUE'")?;
                    let (name, text) = header.split_once(':').ok_or_else(|| {
                        bad(format!("header `{header}` is not written 'NAME: VALUE'"))
                    })?;
                    traffic
                        .headers
                        .push((name.trim().to_string(), text.trim().to_string()));
                }
                "body" => traffic.body = Some(value("the body")?),
                "expect" => traffic.expect = value("a status")?.parse().map_err(bad)?,
                count if count.starts_with('x') && !counted => {
                    traffic.count =
                        count[1..].parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                            bad(format!("`{count}`: COUNT must be a whole number ≥ 1"))
                        })?;
                    counted = true;
                }
                rate if rate.ends_with("/s") && !counted => {
                    let per_second: f64 = rate[..rate.len() - 2]
                        .parse()
                        .ok()
                        .filter(|r: &f64| *r > 0.0 && r.is_finite())
                        .ok_or_else(|| bad(format!("`{rate}`: RATE must be a number > 0")))?;
                    if value("`for DURATION`")? != "for" {
                        return Err(bad(format!("`{rate}` needs `for DURATION` after it")));
                    }
                    let over = PromDuration::parse(&value("a duration")?)
                        .map_err(|e| bad(e.to_string()))?
                        .get();
                    let count = (per_second * over.as_secs_f64()).round();
                    if count < 1.0 || count > f64::from(u32::MAX) {
                        return Err(bad(format!(
                            "{rate} for {} is {count} requests",
                            PromDuration::new(over)
                        )));
                    }
                    traffic.count = count as u32;
                    traffic.over = Some(over);
                    counted = true;
                }
                other => return Err(bad(format!("`{other}` is not understood here"))),
            }
        }
        Ok(traffic)
    }
}

/// Splits on whitespace, keeping what `'...'` or `"..."` quote together (without the quotes).
fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("a quote ({q}) is not closed"));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_form_reads_as_gets_expecting_2xx() {
        assert_eq!("/hello=5".parse::<Traffic>(), Ok(Traffic::get("/hello", 5)));
        let err = "hello=5".parse::<Traffic>().unwrap_err();
        assert!(err.contains("must start with `/`"), "{err}");
        let err = "/hello=many".parse::<Traffic>().unwrap_err();
        assert!(err.contains("whole number"), "{err}");
    }

    #[test]
    fn an_app_method_path_count_and_status_read_as_written() {
        assert_eq!(
            "echo GET /boom x20 expect 5xx".parse::<Traffic>(),
            Ok(Traffic::get("/boom", 20)
                .with_app("echo")
                .expecting(ExpectStatus::Class(5)))
        );
        assert_eq!("/hello".parse::<Traffic>(), Ok(Traffic::get("/hello", 1)));
    }

    #[test]
    fn headers_and_a_quoted_body_are_kept_whole() {
        let traffic: Traffic =
            "shop POST /orders x3 header 'Content-Type: application/json' body '{\"id\": 1}' expect 201"
                .parse()
                .unwrap();
        assert_eq!(
            traffic,
            Traffic::get("/orders", 3)
                .with_app("shop")
                .with_method("POST")
                .with_header("Content-Type", "application/json")
                .with_body("{\"id\": 1}")
                .expecting(ExpectStatus::Exact(201))
        );
    }

    #[test]
    fn a_rate_for_a_duration_is_its_count_spread_over_scenario_time() {
        let traffic: Traffic = "/hello 5/s for 2m".parse().unwrap();
        assert_eq!(
            (traffic.count, traffic.over),
            (600, Some(Duration::from_secs(120)))
        );
        assert_eq!(traffic.to_string(), "600 x GET /hello over 2m");
    }

    #[test]
    fn what_cannot_be_read_is_named_with_the_syntax() {
        for (text, says) in [
            ("echo GET boom", "`boom` is not a path"),
            ("/x x0", "COUNT must be a whole number ≥ 1"),
            ("/x 5/s", "needs `for DURATION`"),
            ("/x 5/s during 2m", "needs `for DURATION`"),
            ("/x expect 6xx", "invalid status `6xx`"),
            ("/x header nocolon", "is not written 'NAME: VALUE'"),
            ("/x body 'open", "a quote (') is not closed"),
            ("/x please", "`please` is not understood here"),
        ] {
            let err = text.parse::<Traffic>().unwrap_err();
            assert!(
                err.contains(says) && err.contains("expected [APP] [METHOD] PATH"),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn a_status_class_code_or_any_accepts_what_it_says() {
        assert!(ExpectStatus::Class(5).accepts(503) && !ExpectStatus::Class(5).accepts(200));
        assert!(ExpectStatus::Exact(404).accepts(404) && !ExpectStatus::Exact(404).accepts(403));
        assert!(ExpectStatus::Any.accepts(302));
    }
}
