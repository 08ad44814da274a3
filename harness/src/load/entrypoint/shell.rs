//! The part of the POSIX shell a start-up script is read with: words (quotes, backslashes,
//! `$VAR` and `${VAR}` from the container's env, unquoted values split at blanks), `&&`, `;`
//! and newlines between commands, `<` and `>` redirections, `#` comments. Anything else
//! (pipes, subshells, command substitution, `${VAR:-default}`, positional parameters) is
//! refused, naming it.

use crate::spec::{EnvValue, EnvVar};

/// One word after expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Word {
    /// The word. When `secret`, never print it.
    pub text: String,
    /// Whether a Secret's value went into it.
    pub secret: bool,
}

/// One simple command: its words and redirections.
#[derive(Debug, Default)]
pub(super) struct Command {
    /// The command and its arguments.
    pub words: Vec<Word>,
    /// The file `<` reads.
    pub input: Option<Word>,
    /// The file `>` writes.
    pub output: Option<Word>,
}

/// What a script does that firedrill does not evaluate, or a variable it cannot know.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The script reads a variable the container's env does not set.
    Unset(String),
    /// Anything else, described.
    Unsupported(String),
}

enum Token {
    Word(Word),
    And,
    Semi,
    In,
    Out,
}

/// The script's simple commands, in order, every variable expanded from `env`.
pub(super) fn parse(script: &str, env: &[EnvVar]) -> Result<Vec<Command>, Refusal> {
    let tokens = Lexer {
        chars: script.chars().collect(),
        at: 0,
        env,
        tokens: Vec::new(),
        word: None,
    }
    .run()?;
    let mut commands = Vec::new();
    let mut current = Command::default();
    let mut tokens = tokens.into_iter();
    while let Some(token) = tokens.next() {
        match token {
            Token::Word(word) => current.words.push(word),
            Token::And | Token::Semi => {
                if !current.words.is_empty() || current.output.is_some() {
                    commands.push(std::mem::take(&mut current));
                }
            }
            Token::In | Token::Out => {
                let Some(Token::Word(target)) = tokens.next() else {
                    return Err(unsupported("a redirection without a file name"));
                };
                let slot = if matches!(token, Token::In) {
                    &mut current.input
                } else {
                    &mut current.output
                };
                *slot = Some(target);
            }
        }
    }
    if !current.words.is_empty() || current.output.is_some() {
        commands.push(current);
    }
    Ok(commands)
}

fn unsupported(what: impl Into<String>) -> Refusal {
    Refusal::Unsupported(what.into())
}

struct Lexer<'e> {
    chars: Vec<char>,
    at: usize,
    env: &'e [EnvVar],
    tokens: Vec<Token>,
    /// The word being read, if one has begun (an empty quoted word is a word).
    word: Option<Word>,
}

impl Lexer<'_> {
    fn run(mut self) -> Result<Vec<Token>, Refusal> {
        while let Some(c) = self.next() {
            match c {
                ' ' | '\t' => self.finish(),
                '\n' => self.operator(Token::Semi),
                '#' if self.word.is_none() => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.at += 1;
                    }
                }
                ';' => self.operator(Token::Semi),
                '&' if self.peek() == Some('&') => {
                    self.at += 1;
                    self.operator(Token::And);
                }
                '&' => return Err(unsupported("`&` (a command run in the background)")),
                '|' => return Err(unsupported("a pipe or `||`")),
                '>' if self.peek() == Some('>') => {
                    return Err(unsupported("`>>` (appending to a file)"))
                }
                '>' => self.operator(Token::Out),
                '<' => self.operator(Token::In),
                '(' | ')' | '{' | '}' if self.word.is_none() => {
                    return Err(unsupported(format!("`{c}` (a subshell or command group)")))
                }
                '`' => return Err(unsupported("command substitution (`...`)")),
                '\\' => match self.next() {
                    Some('\n') | None => {}
                    Some(c) => self.push(c, false),
                },
                '\'' => {
                    self.begin();
                    loop {
                        match self.next() {
                            Some('\'') => break,
                            Some(c) => self.push(c, false),
                            None => return Err(unsupported("an unclosed single quote")),
                        }
                    }
                }
                '"' => {
                    self.begin();
                    loop {
                        match self.next() {
                            Some('"') => break,
                            Some('\\') => match self.next() {
                                Some('\n') => {}
                                Some(c @ ('$' | '`' | '"' | '\\')) => self.push(c, false),
                                Some(c) => {
                                    self.push('\\', false);
                                    self.push(c, false);
                                }
                                None => return Err(unsupported("an unclosed double quote")),
                            },
                            Some('$') => self.dollar(true)?,
                            Some('`') => return Err(unsupported("command substitution (`...`)")),
                            Some(c) => self.push(c, false),
                            None => return Err(unsupported("an unclosed double quote")),
                        }
                    }
                }
                '$' => self.dollar(false)?,
                c => self.push(c, false),
            }
        }
        self.finish();
        Ok(self.tokens)
    }

    fn next(&mut self) -> Option<char> {
        let c = self.chars.get(self.at).copied();
        self.at += 1;
        c
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn begin(&mut self) {
        self.word.get_or_insert_with(|| Word {
            text: String::new(),
            secret: false,
        });
    }

    fn push(&mut self, c: char, secret: bool) {
        self.begin();
        if let Some(word) = &mut self.word {
            word.text.push(c);
            word.secret |= secret;
        }
    }

    fn finish(&mut self) {
        if let Some(word) = self.word.take() {
            self.tokens.push(Token::Word(word));
        }
    }

    fn operator(&mut self, token: Token) {
        self.finish();
        self.tokens.push(token);
    }

    /// After a `$`: a variable's value, or the `$` itself when no name follows.
    fn dollar(&mut self, quoted: bool) -> Result<(), Refusal> {
        let name = match self.peek() {
            Some('{') => {
                self.at += 1;
                let mut inner = String::new();
                loop {
                    match self.next() {
                        Some('}') => break,
                        Some(c) => inner.push(c),
                        None => return Err(unsupported("an unclosed `${`")),
                    }
                }
                if !is_name(&inner) {
                    return Err(unsupported(format!(
                        "the parameter expansion `${{{inner}}}` (firedrill reads `$NAME` and \
                         `${{NAME}}` only)"
                    )));
                }
                inner
            }
            Some('(') => {
                let rest: String = self.chars[self.at + 1..].iter().collect();
                let inner = rest.split(')').next().unwrap_or_default();
                let hint = if is_name(inner) {
                    format!(
                        " (Kubernetes leaves `$({inner})` as written when the env does not set \
                         {inner}, and the shell then runs `{inner}` as a command)"
                    )
                } else {
                    String::new()
                };
                return Err(unsupported(format!(
                    "the command substitution `$({inner})`{hint}"
                )));
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let mut name = String::new();
                while let Some(c) = self
                    .peek()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    name.push(c);
                    self.at += 1;
                }
                name
            }
            Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
                return Err(unsupported(format!(
                    "the special parameter `${c}`, which the manifests do not give"
                )));
            }
            _ => {
                self.push('$', false);
                return Ok(());
            }
        };
        let Some(value) = self.env.iter().rev().find(|v| v.name == name) else {
            return Err(Refusal::Unset(name));
        };
        let secret = matches!(value.value, EnvValue::Secret(_));
        let text = value.value.expose().to_string();
        if quoted {
            self.begin();
        }
        for c in text.chars() {
            if !quoted && matches!(c, ' ' | '\t' | '\n') {
                // An unquoted value is split into words at blanks.
                self.finish();
            } else {
                self.push(c, secret);
            }
        }
        if let Some(word) = &mut self.word {
            word.secret |= secret;
        }
        Ok(())
    }
}

/// Whether `name` is a shell variable name.
pub(super) fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
