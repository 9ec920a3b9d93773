//! The Gherkin grammar, held strictly, line by line, before cucumber sees a
//! file. cucumber-rs's parser is lenient where the official one is not: a
//! step under `Feature:` or a misspelt `Scenario:` becomes description text
//! and the file quietly runs nothing. This pass follows the official grammar
//! (the state machine of cucumber/gherkin's `gherkin.berp`: feature header,
//! background, scenarios, rules, examples, steps with a table or docstring)
//! and reports the first token that does not fit, at the line and column it
//! is on.
//!
//! It also yields the file's outline ([`Outline`]): where each scenario and
//! each Examples row really is, which the suite uses for `PATH:LINE`
//! selection and for naming an Examples row by its own line.
//!
//! Our choices beyond the official grammar, each stricter and each because the
//! lenient form runs nothing or runs the wrong thing:
//! - a `Scenario Outline:` / `Scenario Template:` without Examples, and an
//!   Examples table with a header but no rows, are errors;
//! - a description line that looks like a misspelt keyword (`Scenaro:`,
//!   `scenario:`, `Exmples:`; within two edits of a keyword, followed by a
//!   colon) is reported as the misspelt keyword it almost certainly is;
//! - a scenario without steps (it would pass having checked nothing), and a
//!   line of a scenario's description that looks like a misspelt step
//!   (`Givn ...`), are errors;
//! - only English keywords (`# language: en`), which is what the suite uses.

use std::fmt;

/// A token that does not fit the grammar, where it is (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrammarError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for GrammarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Where the scenarios of a file are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    pub scenarios: Vec<ScenarioOutline>,
}

/// One `Scenario:` (or outline) of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScenarioOutline {
    /// The line of its keyword.
    pub line: usize,
    /// The column of its keyword.
    pub column: usize,
    /// The last line that belongs to it (its last step, table or row).
    pub last_line: usize,
    pub is_outline: bool,
    pub examples: Vec<ExamplesOutline>,
    /// How many steps it has of its own (a background's not counted).
    pub steps: usize,
}

/// One `Examples:` block: its keyword's line and its data rows' lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExamplesOutline {
    pub line: usize,
    pub rows: Vec<usize>,
}

const FEATURE: [&str; 3] = ["Feature", "Business Need", "Ability"];
const RULE: [&str; 1] = ["Rule"];
const BACKGROUND: [&str; 1] = ["Background"];
const SCENARIO: [&str; 2] = ["Scenario", "Example"];
const OUTLINE: [&str; 2] = ["Scenario Outline", "Scenario Template"];
const EXAMPLES: [&str; 2] = ["Examples", "Scenarios"];
const STEPS: [&str; 5] = ["Given", "When", "Then", "And", "But"];

/// What a line is, as the official grammar's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Empty,
    Comment,
    Tags,
    Feature,
    Rule,
    Background,
    Scenario { outline: bool },
    Examples,
    Step,
    Row,
    DocString,
    Other,
}

fn header(text: &str, keywords: &[&str]) -> bool {
    keywords.iter().any(|k| text.strip_prefix(k).is_some_and(|rest| rest.starts_with(':')))
}

fn classify(text: &str) -> Token {
    if text.is_empty() {
        Token::Empty
    } else if text.starts_with('#') {
        Token::Comment
    } else if text.starts_with('@') {
        Token::Tags
    } else if text.starts_with('|') {
        Token::Row
    } else if text.starts_with("\"\"\"") || text.starts_with("```") {
        Token::DocString
    } else if header(text, &FEATURE) {
        Token::Feature
    } else if header(text, &RULE) {
        Token::Rule
    } else if header(text, &BACKGROUND) {
        Token::Background
    } else if header(text, &OUTLINE) {
        Token::Scenario { outline: true }
    } else if header(text, &SCENARIO) {
        Token::Scenario { outline: false }
    } else if header(text, &EXAMPLES) {
        Token::Examples
    } else if text.starts_with("* ")
        || text == "*"
        || STEPS.iter().any(|k| text.strip_prefix(k).is_some_and(|r| r.starts_with(' ')))
    {
        Token::Step
    } else {
        Token::Other
    }
}

/// Where in the grammar the previous tokens left us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before `Feature:` (tags, comments, a language line).
    Start,
    /// Tags read; a header must follow.
    Tagged(Tagged),
    /// In the description of a header (Feature, Rule, Background, Scenario, Examples).
    Description(Block),
    /// Steps of a background or scenario.
    Steps(Block),
    /// A step's data table.
    StepTable(Block),
    /// Inside a docstring of a step; the fence it opened with.
    DocString(Block, Fence),
    /// Examples rows (after the header row).
    ExamplesRows,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tagged {
    Feature,
    /// A scenario, rule or (inside a scenario) Examples may follow.
    Child,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Feature,
    Rule,
    Background,
    Scenario,
    Examples,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fence {
    Quotes,
    Backticks,
}

/// Check `text` against the grammar; on success, its outline.
pub fn check(text: &str) -> Result<Outline, GrammarError> {
    Checker::default().run(text)
}

#[derive(Debug)]
struct Checker {
    state: State,
    outline: Outline,
    seen_feature: bool,
    /// Whether the current feature or rule has had a scenario yet (a
    /// background may not follow one).
    children: bool,
    /// The header row's cell count of the current table.
    cells: Option<usize>,
    /// A description line of the current header that looks like a misspelt keyword.
    suspect: Option<GrammarError>,
    /// Where tags before a child started: whether Examples may follow them.
    tags_in_scenario: bool,
}

impl Default for Checker {
    fn default() -> Self {
        Checker {
            state: State::Start,
            outline: Outline::default(),
            seen_feature: false,
            children: false,
            cells: None,
            suspect: None,
            tags_in_scenario: false,
        }
    }
}

impl Checker {
    fn run(mut self, text: &str) -> Result<Outline, GrammarError> {
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim_start();
            let column = raw.chars().count() - trimmed.chars().count() + 1;
            let text = trimmed.trim_end();
            self.token(line, column, text)?;
        }
        self.end(text.lines().count() + 1)?;
        Ok(self.outline)
    }

    fn err(&self, line: usize, column: usize, message: String) -> GrammarError {
        GrammarError { line, column, message }
    }

    fn token(&mut self, line: usize, column: usize, text: &str) -> Result<(), GrammarError> {
        // Inside a docstring everything is content until the closing fence.
        if let State::DocString(block, fence) = self.state {
            let closes = match fence {
                Fence::Quotes => text.starts_with("\"\"\""),
                Fence::Backticks => text.starts_with("```"),
            };
            if closes {
                self.state = State::Steps(block);
                self.extend(line);
            }
            return Ok(());
        }
        let token = classify(text);
        if token == Token::Comment && self.state == State::Start {
            if let Some(lang) = language(text) {
                if lang != "en" {
                    return Err(self.err(
                        line,
                        column,
                        format!("`# language: {lang}`: only English keywords are supported"),
                    ));
                }
            }
        }
        // Comments and blank lines may sit anywhere, between table rows too.
        if matches!(token, Token::Empty | Token::Comment) {
            return Ok(());
        }
        if token != Token::Row {
            self.cells = None;
        }
        match (self.state, token) {
            // --- the feature header
            (State::Start, Token::Tags) => self.state = State::Tagged(Tagged::Feature),
            (State::Tagged(Tagged::Feature), Token::Tags) => {}
            (State::Start | State::Tagged(Tagged::Feature), Token::Feature) => {
                self.seen_feature = true;
                self.open(Block::Feature);
            }
            (State::Start | State::Tagged(Tagged::Feature), _) => {
                return Err(self.expected(
                    line,
                    column,
                    text,
                    "`Feature:` (a file holds one feature, optionally after its tags)",
                ));
            }
            (_, Token::Feature) => {
                return Err(self.err(line, column, "a second `Feature:`; a file holds one feature".into()));
            }

            // --- descriptions: free text until the first structural token
            (State::Description(_), Token::Other) => {
                if self.suspect.is_none() {
                    self.suspect = misspelt_keyword(text).map(|m| self.err(line, column, m));
                }
            }

            // --- tags: a scenario, rule or examples must follow
            (State::Tagged(Tagged::Child), Token::Tags) => {}
            (_, Token::Tags) if self.can_start_child() => {
                self.tags_in_scenario = self.in_scenario();
                self.state = State::Tagged(Tagged::Child);
            }

            // --- background
            (State::Description(Block::Feature | Block::Rule), Token::Background) if !self.children => {
                self.open(Block::Background);
            }
            (_, Token::Background) => {
                return Err(self.err(
                    line,
                    column,
                    "`Background:` must come right after the feature's or rule's description, before any scenario, and only once".into(),
                ));
            }

            // --- scenarios and rules
            (_, Token::Scenario { outline })
                if self.can_start_child() || self.state == State::Tagged(Tagged::Child) =>
            {
                self.close_scenario()?;
                self.children = true;
                self.outline.scenarios.push(ScenarioOutline {
                    line,
                    column,
                    last_line: line,
                    is_outline: outline,
                    examples: Vec::new(),
                    steps: 0,
                });
                self.open(Block::Scenario);
            }
            (_, Token::Rule) if self.can_start_child() || self.state == State::Tagged(Tagged::Child) => {
                self.close_scenario()?;
                self.children = false;
                self.open(Block::Rule);
            }

            // --- examples, inside a scenario after its steps
            (_, Token::Examples) if self.in_scenario() => {
                if let Some(s) = self.outline.scenarios.last_mut() {
                    s.examples.push(ExamplesOutline { line, rows: Vec::new() });
                    s.last_line = line;
                }
                self.open(Block::Examples);
            }
            (State::Description(Block::Examples) | State::ExamplesRows, Token::Row) => {
                self.row(line, column, text)?;
                if self.state == State::ExamplesRows {
                    if let Some(e) = self.outline.scenarios.last_mut().and_then(|s| s.examples.last_mut()) {
                        e.rows.push(line);
                    }
                } else {
                    self.state = State::ExamplesRows;
                }
                self.extend(line);
            }

            // --- steps and their arguments
            (
                State::Description(b @ (Block::Background | Block::Scenario)) | State::Steps(b) | State::StepTable(b),
                Token::Step,
            ) => {
                self.suspect = None;
                self.state = State::Steps(b);
                if b == Block::Scenario {
                    if let Some(s) = self.outline.scenarios.last_mut() {
                        s.steps += 1;
                    }
                }
                self.extend(line);
            }
            (State::Steps(b) | State::StepTable(b), Token::Row) => {
                self.row(line, column, text)?;
                self.state = State::StepTable(b);
                self.extend(line);
            }
            (State::Steps(b), Token::DocString) => {
                let fence = if text.starts_with("```") { Fence::Backticks } else { Fence::Quotes };
                self.state = State::DocString(b, fence);
                self.extend(line);
            }

            // --- everything else is out of place
            (State::Description(Block::Feature | Block::Rule), Token::Step) => {
                return Err(self.suspect.take().unwrap_or_else(|| {
                    self.err(
                        line,
                        column,
                        format!(
                            "`{text}`: a step outside any scenario; steps belong under `Scenario:` or `Background:`"
                        ),
                    )
                }));
            }
            (state, _) => {
                if let Some(suspect) = self.suspect.take() {
                    return Err(suspect);
                }
                let what = match state {
                    State::Tagged(_) => "`Scenario:`, `Scenario Outline:`, `Rule:` or `Examples:` after tags",
                    State::Description(Block::Examples) => "the Examples table's header row (`| name | ... |`)",
                    State::Description(Block::Feature | Block::Rule) => "`Background:`, `Scenario:`, `Rule:` or tags",
                    State::Description(_) | State::Steps(_) | State::StepTable(_) => {
                        "a step (Given, When, Then, And, But, *), a table row, a docstring, `Examples:`, `Scenario:`, `Rule:` or tags"
                    }
                    State::ExamplesRows => "a table row, `Examples:`, `Scenario:`, `Rule:` or tags",
                    State::Start | State::DocString(..) => "`Feature:`",
                };
                return Err(self.expected(line, column, text, what));
            }
        }
        Ok(())
    }

    fn expected(&self, line: usize, column: usize, text: &str, what: &str) -> GrammarError {
        let hint = misspelt_keyword(text).map(|m| format!(" ({m})")).unwrap_or_default();
        self.err(line, column, format!("unexpected `{text}`; expected {what}{hint}"))
    }

    fn open(&mut self, block: Block) {
        self.suspect = None;
        self.state = State::Description(block);
    }

    /// A scenario or rule may start here.
    fn can_start_child(&self) -> bool {
        matches!(
            self.state,
            State::Description(Block::Feature | Block::Rule | Block::Background | Block::Scenario)
                | State::Steps(_)
                | State::StepTable(_)
                | State::ExamplesRows
        )
    }

    /// Examples may start here (after a scenario's steps or another Examples).
    fn in_scenario(&self) -> bool {
        let scenario_state = matches!(
            self.state,
            State::Description(Block::Scenario)
                | State::Steps(Block::Scenario)
                | State::StepTable(Block::Scenario)
                | State::ExamplesRows
        );
        // Tags after a scenario's steps may belong to Examples or to the next
        // scenario; the token after them decides.
        scenario_state || (self.state == State::Tagged(Tagged::Child) && self.tags_in_scenario)
    }

    fn extend(&mut self, line: usize) {
        if let Some(s) = self.outline.scenarios.last_mut() {
            s.last_line = line;
        }
    }

    fn row(&mut self, line: usize, column: usize, text: &str) -> Result<(), GrammarError> {
        let n = cells(text);
        if !text.ends_with('|') || text.len() < 2 {
            return Err(self.err(line, column, "a table row must end with `|`".into()));
        }
        match self.cells {
            None => self.cells = Some(n),
            Some(header) if header != n => {
                return Err(self.err(
                    line,
                    column,
                    format!(
                        "this row has {n} cell{}, the table's first row has {header}",
                        if n == 1 { "" } else { "s" }
                    ),
                ));
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// The scenario before this point is complete: an outline has Examples
    /// and every Examples has rows.
    fn close_scenario(&mut self) -> Result<(), GrammarError> {
        if let Some(s) = self.outline.scenarios.last() {
            if s.steps == 0 {
                // A misspelt first step (`Givn ...`) reads as description
                // and leaves the scenario empty: name that line.
                if let Some(suspect) = self.suspect.take() {
                    return Err(suspect);
                }
                return Err(self.err(
                    s.line,
                    s.column,
                    "a scenario without steps checks nothing and would pass; add its steps".into(),
                ));
            }
            if s.is_outline && s.examples.is_empty() {
                return Err(self.err(s.line, s.column, "a `Scenario Outline:` without `Examples:` runs nothing; add an Examples table or make it a `Scenario:`".into()));
            }
            if let Some(e) = s.examples.iter().find(|e| e.rows.is_empty()) {
                return Err(self.err(
                    e.line,
                    1,
                    "`Examples:` without data rows runs nothing; add rows under the header row".into(),
                ));
            }
        }
        Ok(())
    }

    fn end(&mut self, eof_line: usize) -> Result<(), GrammarError> {
        if let Some(s) = self.suspect.take() {
            return Err(s);
        }
        match self.state {
            State::Start if !self.seen_feature => Ok(()),
            State::Tagged(_) => Err(self.err(
                eof_line,
                1,
                "the file ends after tags; a `Feature:`, `Scenario:` or `Examples:` must follow them".into(),
            )),
            State::DocString(..) => Err(self.err(
                eof_line,
                1,
                "the file ends inside a docstring; close it with the fence it opened with".into(),
            )),
            State::Description(Block::Examples) => {
                Err(self.err(eof_line, 1, "the file ends after `Examples:`; add its table".into()))
            }
            _ => self.close_scenario(),
        }
    }
}

/// The cells of a table row `| a | b |`, counting escaped pipes as text.
fn cells(text: &str) -> usize {
    let mut n: usize = 0;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
    }
    n.saturating_sub(1)
}

fn language(comment: &str) -> Option<String> {
    let rest = comment.trim_start_matches('#').trim();
    rest.strip_prefix("language:").map(|l| l.trim().to_owned())
}

/// `Scenaro:` -> "`Scenaro:` looks like a misspelt `Scenario:`".
fn misspelt_keyword(text: &str) -> Option<String> {
    misspelt_header(text).or_else(|| misspelt_step(text))
}

fn misspelt_header(text: &str) -> Option<String> {
    // `Scenaro: x`, or `Scenarioo x` with the colon lost too (one word, then
    // only the closer match counts).
    let (word, colon) = match text.split_once(':') {
        Some((w, _)) => (w.trim(), true),
        None => (text.split_whitespace().next()?, false),
    };
    if !colon && word.len() < 5 {
        return None;
    }
    if word.is_empty() || word.len() > 20 {
        return None;
    }
    let keywords = FEATURE.iter().chain(&RULE).chain(&BACKGROUND).chain(&SCENARIO).chain(&OUTLINE).chain(&EXAMPLES);
    let lower = word.to_lowercase();
    keywords
        .filter(|k| **k != word)
        .map(|k| (k, edit_distance(&lower, &k.to_lowercase())))
        .filter(|(_, d)| *d <= if colon { 2 } else { 1 })
        .min_by_key(|(_, d)| *d)
        .map(|(k, _)| format!("`{word}{}` looks like a misspelt `{k}:`", if colon { ":" } else { "" }))
}

fn misspelt_step(text: &str) -> Option<String> {
    let first = text.split_whitespace().next()?;
    STEPS
        .iter()
        .filter(|k| **k != first)
        .find(|k| first.len() > 2 && edit_distance(&first.to_lowercase(), &k.to_lowercase()) <= 1)
        .map(|k| format!("`{first}` looks like a misspelt `{k}`"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            row.push((prev[j] + cost).min(prev[j + 1] + 1).min(row[j] + 1));
        }
        prev = row;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn error(text: &str) -> GrammarError {
        check(text).unwrap_err()
    }

    #[test]
    fn a_well_formed_file_has_its_outline() {
        let text = "@f\nFeature: f\n  text\n\n  Background:\n    Given a\n\n  Scenario: one\n    Given a\n      | x |\n    When b\n      \"\"\"\n      Given not a step\n      \"\"\"\n\n  @o\n  Scenario Outline: two <n>\n    Given <n>\n\n    @e\n    Examples: first\n      | n |\n      # a comment between rows\n      | 1 |\n\n      | 2 |\n    Examples:\n      | n |\n      | 3 |\n\n  Rule: r\n    Scenario: three\n      Then c\n";
        let o = check(text).unwrap();
        let lines: Vec<usize> = o.scenarios.iter().map(|s| s.line).collect();
        assert_eq!(lines, [8, 17, 32]);
        assert_eq!(o.scenarios[1].examples[0].rows, [24, 26]);
        assert_eq!(o.scenarios[1].examples[1].rows, [29]);
        assert_eq!(o.scenarios[0].last_line, 14);
        assert!(o.scenarios[1].is_outline);
    }

    #[test]
    fn a_step_under_the_feature_is_refused_on_its_line() {
        let e = error("Feature: f\n  Given a step in the description\n");
        assert_eq!((e.line, e.column), (2, 3));
        assert!(e.message.contains("outside any scenario"), "{e}");
    }

    #[test]
    fn a_misspelt_keyword_is_named_on_its_own_line() {
        let e = error("Feature: f\n  Scenaro: x\n    Given a\n");
        assert_eq!((e.line, e.column), (2, 3), "{e}");
        assert!(e.message.contains("misspelt `Scenario:`"), "{e}");
        let e = error("Feature: f\n  Scenario: x\n    Given a\n  Scenarioo broken\n");
        assert_eq!((e.line, e.column), (4, 3), "{e}");
        assert!(e.message.contains("misspelt `Scenario:`"), "{e}");
        let e = error("Feature: f\n  Scenario: x\n    Givn a\n");
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("misspelt `Given`"), "{e}");
        let e = error("Feature: f\n  scenario: lower case\n    Given a\n");
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn examples_rows_must_match_their_header() {
        let e = error("Feature: f\n  Scenario Outline: o\n    Given <a>\n    Examples:\n      | a | b |\n      | 1 | 2 |\n      | 3 |\n");
        assert_eq!((e.line, e.column), (7, 7), "{e}");
        assert!(e.message.contains("1 cell,"), "{e}");
    }

    #[test]
    fn an_outline_needs_examples_with_rows() {
        let e = error("Feature: f\n  Scenario Outline: o <a>\n    Given <a>\n  Scenario: next\n    Given b\n");
        assert_eq!(e.line, 2, "{e}");
        let e = error("Feature: f\n  Scenario Outline: o <a>\n    Given <a>\n");
        assert_eq!(e.line, 2, "{e}");
        let e = error("Feature: f\n  Scenario Outline: o <a>\n    Given <a>\n    Examples:\n      | a |\n");
        assert_eq!(e.line, 4, "{e}");
    }

    #[test]
    fn other_misplaced_tokens() {
        assert_eq!(error("Given a\n").line, 1);
        assert_eq!(error("Feature: a\nFeature: b\n").line, 2);
        assert_eq!(error("Feature: a\n  Scenario: s\n    Given x\n  Background:\n    Given y\n").line, 4);
        assert_eq!(error("Feature: a\n  Scenario: s\n    Given x\n      \"\"\"\n      open\n").line, 6);
        assert_eq!(error("Feature: a\n  Scenario: s\n    Given x\n  @t\n").line, 5);
        assert!(error("# language: fr\nFonctionnalité: x\n").message.contains("English"));
        assert_eq!(error("Feature: a\n  Scenario: s\n    Given x\n      | a | b\n").line, 4);
    }

    #[test]
    fn tolerated_as_the_official_grammar_does() {
        // Descriptions may hold any text, including words with colons.
        check(
            "Feature: f\n  Note: this is prose.\n  As a user: I want x\n\n  Scenario: s\n    Some prose\n    Given a\n",
        )
        .unwrap();
        // An empty file, comments only, or a feature without scenarios.
        check("").unwrap();
        check("# nothing yet\n").unwrap();
        check("Feature: empty\n").unwrap();
        // Background with no steps, Examples with tags, Rule with background.
        check("Feature: f\n  Rule: r\n    Background:\n      Given a\n    Scenario: s\n      Given b\n").unwrap();
    }
}
