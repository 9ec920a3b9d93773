//! A small stand-in for `/system/bin/sh -c`: words with single and double
//! quotes and backslash escapes, `;`, `&&` and `||` between commands, and
//! `$?`. That is what `adb shell` command lines and the Lockstep adb
//! backend (which appends `; echo "…$?"` to learn exit codes over shell v1)
//! need. Pipes, redirections and substitutions are refused with a message
//! saying so (our choice: better a clear refusal than a wrong answer).

use crate::commands;
use crate::SimulatedAdbd;

/// Where a piece of output went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Stdout,
    Stderr,
}

/// What a command line printed, in order, and its exit status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pub chunks: Vec<(Channel, Vec<u8>)>,
    pub code: u8,
}

impl Output {
    pub fn ok() -> Self {
        Output::default()
    }

    pub fn out(mut self, text: impl AsRef<str>) -> Self {
        self.push(Channel::Stdout, text.as_ref());
        self
    }

    pub fn err(mut self, text: impl AsRef<str>) -> Self {
        self.push(Channel::Stderr, text.as_ref());
        self
    }

    pub fn code(mut self, code: u8) -> Self {
        self.code = code;
        self
    }

    fn push(&mut self, channel: Channel, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.chunks.last_mut() {
            Some((c, bytes)) if *c == channel => bytes.extend_from_slice(text.as_bytes()),
            _ => self.chunks.push((channel, text.as_bytes().to_vec())),
        }
    }

    fn append(&mut self, other: Output) {
        for (c, bytes) in other.chunks {
            self.push(c, &String::from_utf8_lossy(&bytes));
        }
        self.code = other.code;
    }

    /// Everything printed to one channel, as text.
    pub fn text(&self, channel: Channel) -> String {
        self.chunks.iter().filter(|(c, _)| *c == channel).map(|(_, b)| String::from_utf8_lossy(b)).collect()
    }

    /// Both channels merged in order (what shell v1 carries).
    pub fn merged(&self) -> Vec<u8> {
        self.chunks.iter().flat_map(|(_, b)| b.iter().copied()).collect()
    }
}

/// Exit status of a command that is not there.
pub const NOT_FOUND: u8 = 127;
/// Exit status of a syntax error.
const SYNTAX: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    LastStatus,
}

type Word = Vec<Part>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    Always,
    IfOk,
    IfFailed,
}

/// Run a command line on the session's device.
pub fn run(session: &SimulatedAdbd, line: &str) -> Output {
    let commands = match parse(line) {
        Ok(c) => c,
        Err(message) => return Output::ok().err(format!("/system/bin/sh: {message}\n")).code(SYNTAX),
    };
    let mut all = Output::ok();
    let mut last = 0u8;
    for (join, words) in commands {
        let go = match join {
            Join::Always => true,
            Join::IfOk => last == 0,
            Join::IfFailed => last != 0,
        };
        if !go || words.is_empty() {
            continue;
        }
        let argv: Vec<String> = words
            .iter()
            .map(|w| {
                w.iter()
                    .map(|p| match p {
                        Part::Text(t) => t.clone(),
                        Part::LastStatus => last.to_string(),
                    })
                    .collect()
            })
            .collect();
        let out = commands::execute(session, &argv);
        last = out.code;
        all.append(out);
    }
    all.code = last;
    all
}

/// Split a line into commands joined by `;`, `&&`, `||`.
fn parse(line: &str) -> Result<Vec<(Join, Vec<Word>)>, String> {
    let mut commands = Vec::new();
    let mut join = Join::Always;
    let mut words: Vec<Word> = Vec::new();
    let mut word: Word = Vec::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();

    fn push_text(word: &mut Word, c: char) {
        match word.last_mut() {
            Some(Part::Text(t)) => t.push(c),
            _ => word.push(Part::Text(c.to_string())),
        }
    }

    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            ';' | '&' | '|' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                let next = match c {
                    ';' => Join::Always,
                    '&' if chars.peek() == Some(&'&') => {
                        chars.next();
                        Join::IfOk
                    }
                    '|' if chars.peek() == Some(&'|') => {
                        chars.next();
                        Join::IfFailed
                    }
                    other => return Err(format!("`{other}` (pipes and background jobs) is not simulated")),
                };
                commands.push((join, std::mem::take(&mut words)));
                join = next;
            }
            '<' | '>' | '`' | '(' | ')' => {
                return Err(format!("`{c}` (redirections and subshells) is not simulated"));
            }
            '\'' => {
                in_word = true;
                word.push(Part::Text(String::new()));
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => push_text(&mut word, x),
                        None => return Err("syntax error: unterminated quoted string".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                word.push(Part::Text(String::new()));
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => push_text(&mut word, x),
                            Some(x) => {
                                push_text(&mut word, '\\');
                                push_text(&mut word, x);
                            }
                            None => return Err("syntax error: unterminated quoted string".into()),
                        },
                        Some('$') => dollar(&mut chars, &mut word)?,
                        Some(x) => push_text(&mut word, x),
                        None => return Err("syntax error: unterminated quoted string".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = chars.next() {
                    push_text(&mut word, x);
                }
            }
            '$' => {
                in_word = true;
                dollar(&mut chars, &mut word)?;
            }
            other => {
                in_word = true;
                push_text(&mut word, other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    commands.push((join, words));
    Ok(commands)
}

/// After a `$`: `$?` is the last status; other variables are empty (our
/// choice: the simulated shell has no environment); `$(` is refused.
fn dollar(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, word: &mut Word) -> Result<(), String> {
    match chars.peek() {
        Some('?') => {
            chars.next();
            word.push(Part::LastStatus);
        }
        Some('(') => return Err("`$(` (command substitution) is not simulated".into()),
        Some(c) if c.is_ascii_alphanumeric() || *c == '_' || *c == '{' => {
            let braced = *c == '{';
            if braced {
                chars.next();
            }
            while let Some(c) = chars.peek() {
                if c.is_ascii_alphanumeric() || *c == '_' {
                    chars.next();
                } else {
                    break;
                }
            }
            if braced && chars.next() != Some('}') {
                return Err("syntax error: bad substitution".into());
            }
        }
        _ => word.push(Part::Text("$".into())),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Vec<String>> {
        parse(line)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|(_, ws)| {
                ws.into_iter()
                    .map(|w| {
                        w.into_iter()
                            .map(|p| match p {
                                Part::Text(t) => t,
                                Part::LastStatus => "<?>".into(),
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn quotes_escapes_and_status() {
        assert_eq!(words("getprop ro.build.version.sdk"), vec![vec!["getprop", "ro.build.version.sdk"]]);
        assert_eq!(words("echo 'a b' \"c $? d\" e\\ f"), vec![vec!["echo", "a b", "c <?> d", "e f"]]);
        assert_eq!(words("x; echo \"rc=$?\""), vec![vec!["x".to_string()], vec!["echo".into(), "rc=<?>".into()]]);
        assert_eq!(words("echo ''"), vec![vec!["echo", ""]]);
        assert_eq!(words("a && b || c").len(), 3);
    }

    #[test]
    fn what_is_not_simulated_is_refused() {
        for line in ["ls | grep x", "echo > f", "echo $(id)", "echo 'open", "sleep 1 &"] {
            assert!(parse(line).is_err(), "{line}");
        }
    }
}
