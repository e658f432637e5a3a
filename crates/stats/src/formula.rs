//! Formula expressions (`columns = { hai = "wage / price_m2 * 100" }`, `where = "…"`).
//!
//! The language is the one of `docs/authoring.md`: numbers (`12`, `1.5`, `1e-3`), strings in
//! double or single quotes, column names (Unicode letters, digits, `_` and `.`; anything else in
//! backticks: `` `gdp growth` ``), `true`/`false`, `+ - * / ^`, unary minus, comparisons
//! `== != < <= > >=`, `and or not`, the functions `log log10 exp sqrt abs round(x[, digits])
//! min(a, b, …) max(a, b, …) if(cond, a, b)`, the aggregates `sum mean count` over the rows left
//! after `where`, `lag(x)` (the value on the previous row) and the distribution helpers
//! `p_t(t, df)` (two-sided), `p_f(f, df1, df2)`, `p_chi2(x, df)` (upper tail) and `p_z(z)`
//! (two-sided).
//!
//! Precedence, loosest first: `or`, `and`, `not`, comparisons (not chainable), `+ -`, `* /`,
//! unary minus, `^` (right-associative, so `-x^2` is `-(x^2)` and `2^-1` is `0.5`).
//!
//! **Why a hand-written parser.** The grammar is tiny, and what matters to authors is the error:
//! a message that quotes the expression with a caret under the offending character. A Pratt
//! (precedence-climbing) parser gives exact positions, clear messages ("expected `)`", "unknown
//! function `ln`; did you mean `log`?") and no extra dependency; parser generators give neither
//! for free. Nesting is limited to 128 levels so no input can overflow the stack.
//!
//! **Missing values and domain errors.** Missing propagates through arithmetic, comparisons and
//! functions (`false and missing` is `false`, `true or missing` is `true`). Division by zero and
//! any result that is not a finite number (`log(0)`, `sqrt(-1)`, overflow) give a *missing* cell,
//! and the evaluation report lists the rows so the table gets a note saying so; an `[[expect]]` on
//! such a cell then fails as "missing", so nothing is hidden. Wrong types (`"a" + 1`, `if(1, …)`)
//! are errors with a caret. Aggregates skip missing values and the report counts how many.

use std::fmt;

use crate::dataset::Value;
use crate::numeric;

/// Maximum nesting depth of an expression.
const MAX_DEPTH: usize = 128;

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// A number (integers, years and numbers of the dataset are all numbers here).
    Num(f64),
    /// Text (also dates, as `YYYY-MM-DD`).
    Str(String),
    /// A boolean.
    Bool(bool),
    /// Missing.
    Missing,
}

impl Val {
    fn describe(&self) -> String {
        match self {
            Val::Num(x) => format!("the number {x}"),
            Val::Str(s) => format!("the text {s:?}"),
            Val::Bool(b) => format!("the boolean {b}"),
            Val::Missing => "a missing value".into(),
        }
    }
}

impl From<&Value> for Val {
    fn from(v: &Value) -> Self {
        match v {
            Value::Missing => Val::Missing,
            Value::Integer(i) => Val::Num(*i as f64),
            Value::Number(x) => Val::Num(*x),
            Value::Text(s) | Value::Date(s) => Val::Str(s.clone()),
            Value::Boolean(b) => Val::Bool(*b),
        }
    }
}

/// A syntax or type error at a character position of the expression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct FormulaError {
    /// 0-based character offset of the offending character.
    pub pos: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl FormulaError {
    fn new(pos: usize, message: impl Into<String>, hint: impl Into<String>) -> Self {
        FormulaError {
            pos,
            message: message.into(),
            hint: hint.into(),
        }
    }
    /// The message followed by the expression and a caret under the offending character:
    ///
    /// ```text
    /// unexpected `)`
    ///     wage / price_m2 * 100)
    ///                          ^
    /// ```
    pub fn render(&self, src: &str) -> String {
        render_caret(&self.message, src, self.pos)
    }
}

/// Formats `message`, then `src` and a caret under character `pos`, indented by four spaces.
pub fn render_caret(message: &str, src: &str, pos: usize) -> String {
    let one_line: String = src
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let pos = pos.min(one_line.chars().count());
    format!("{message}\n    {one_line}\n    {}^", " ".repeat(pos))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
    fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
    /// Left and right binding power.
    fn power(self) -> (u8, u8) {
        match self {
            BinOp::Or => (1, 2),
            BinOp::And => (3, 4),
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => (7, 8),
            BinOp::Add | BinOp::Sub => (9, 10),
            BinOp::Mul | BinOp::Div => (11, 12),
            BinOp::Pow => (15, 14),
        }
    }
}

const NOT_POWER: u8 = 5;
const NEG_POWER: u8 = 13;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Func {
    Log,
    Log10,
    Exp,
    Sqrt,
    Abs,
    Round,
    Min,
    Max,
    If,
    Sum,
    Mean,
    Count,
    Lag,
    PT,
    PF,
    PChi2,
    PZ,
}

const FUNCS: &[(&str, Func, usize, usize)] = &[
    ("log", Func::Log, 1, 1),
    ("log10", Func::Log10, 1, 1),
    ("exp", Func::Exp, 1, 1),
    ("sqrt", Func::Sqrt, 1, 1),
    ("abs", Func::Abs, 1, 1),
    ("round", Func::Round, 1, 2),
    ("min", Func::Min, 2, usize::MAX),
    ("max", Func::Max, 2, usize::MAX),
    ("if", Func::If, 3, 3),
    ("sum", Func::Sum, 1, 1),
    ("mean", Func::Mean, 1, 1),
    ("count", Func::Count, 1, 1),
    ("lag", Func::Lag, 1, 1),
    ("p_t", Func::PT, 2, 2),
    ("p_f", Func::PF, 3, 3),
    ("p_chi2", Func::PChi2, 2, 2),
    ("p_z", Func::PZ, 1, 1),
];

const SIMILAR: &[(&str, &str)] = &[
    ("ln", "log"),
    ("avg", "mean"),
    ("n", "count"),
    ("ifelse", "if"),
    ("iif", "if"),
    ("pow", "^"),
    ("power", "^"),
    ("total", "sum"),
    ("average", "mean"),
];

#[derive(Debug, Clone)]
enum Kind {
    Num(f64),
    Str(String),
    Bool(bool),
    /// Index into `Expr::refs`.
    Col(usize),
    Neg(Box<Node>),
    Not(Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
    /// Function call; for aggregates the `usize` is the aggregate slot.
    Call(Func, Vec<Node>, usize),
}

#[derive(Debug, Clone)]
struct Node {
    kind: Kind,
    pos: usize,
    /// Height of the tree below and including this node (bounded by `MAX_DEPTH`).
    depth: usize,
}

impl Node {
    fn new(kind: Kind, pos: usize) -> Result<Node, FormulaError> {
        let child = match &kind {
            Kind::Neg(a) | Kind::Not(a) => a.depth,
            Kind::Bin(_, a, b) => a.depth.max(b.depth),
            Kind::Call(_, args, _) => args.iter().map(|a| a.depth).max().unwrap_or(0),
            _ => 0,
        };
        let depth = child + 1;
        if depth > MAX_DEPTH {
            return Err(FormulaError::new(
                pos,
                "expression nested too deeply",
                "simplify the expression or split it into several columns",
            ));
        }
        Ok(Node { kind, pos, depth })
    }
}

/// A parsed expression.
#[derive(Debug, Clone)]
pub struct Expr {
    src: String,
    root: Node,
    refs: Vec<(String, usize)>,
    n_aggregates: usize,
}

/// Column access for evaluation: the rows an expression is evaluated over.
pub trait Frame {
    /// Number of rows.
    fn n_rows(&self) -> usize;
    /// Index of a column by name.
    fn column_index(&self, name: &str) -> Option<usize>;
    /// Value of a column at a row (rows `0..n_rows()`).
    fn get(&self, column: usize, row: usize) -> Val;
    /// All column names (for "did you mean" hints).
    fn column_names(&self) -> Vec<String>;
}

/// What happened during an evaluation that the table should tell its reader.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvalReport {
    /// Rows where a division by zero made the result missing.
    pub division_by_zero: Vec<usize>,
    /// Rows where a result was not a finite number (`log(0)`, `sqrt(-1)`, …) and became missing.
    pub invalid: Vec<usize>,
    /// Missing values skipped by `sum`, `mean` (not `count`).
    pub aggregate_skipped: usize,
}

impl EvalReport {
    /// English sentences for the table notes; `key` names a row for the reader.
    pub fn notes(&self, what: &str, key: &dyn Fn(usize) -> String) -> Vec<String> {
        let list = |rows: &[usize]| {
            let mut names: Vec<String> = rows.iter().take(5).map(|&r| key(r)).collect();
            if rows.len() > 5 {
                names.push(format!("and {} more", rows.len() - 5));
            }
            names.join(", ")
        };
        let mut out = Vec::new();
        if !self.division_by_zero.is_empty() {
            out.push(format!(
                "{what}: division by zero in {} row(s) ({}); shown as missing.",
                self.division_by_zero.len(),
                list(&self.division_by_zero)
            ));
        }
        if !self.invalid.is_empty() {
            out.push(format!(
                "{what}: the result is not a finite number in {} row(s) ({}); shown as missing.",
                self.invalid.len(),
                list(&self.invalid)
            ));
        }
        if self.aggregate_skipped > 0 {
            out.push(format!(
                "{what}: sum/mean skipped {} missing value(s).",
                self.aggregate_skipped
            ));
        }
        out
    }
}

impl Expr {
    /// Parses an expression.
    pub fn parse(src: &str) -> Result<Expr, FormulaError> {
        let tokens = lex(src)?;
        let mut p = Parser {
            tokens,
            i: 0,
            refs: Vec::new(),
            n_aggregates: 0,
            depth: 0,
        };
        let root = p.expr(0)?;
        let t = p.peek();
        if t.tok != Tok::End {
            let hint = match t.tok {
                Tok::RParen => "remove the `)` or add the matching `(`",
                _ => "an operator is missing between two values, or a name with spaces needs backticks",
            };
            return Err(FormulaError::new(
                t.pos,
                format!("unexpected {}", t.tok.describe()),
                hint,
            ));
        }
        Ok(Expr {
            src: src.to_string(),
            root,
            refs: p.refs,
            n_aggregates: p.n_aggregates,
        })
    }

    /// The expression text.
    pub fn source(&self) -> &str {
        &self.src
    }

    /// The column names the expression refers to, with their character positions.
    pub fn column_refs(&self) -> &[(String, usize)] {
        &self.refs
    }

    /// Evaluates the expression on every row of `frame`.
    pub fn eval_all(&self, frame: &dyn Frame) -> Result<(Vec<Val>, EvalReport), FormulaError> {
        let mut cols = Vec::with_capacity(self.refs.len());
        for (name, pos) in &self.refs {
            match frame.column_index(name) {
                Some(i) => cols.push(i),
                None => {
                    let names = frame.column_names();
                    let hint = match closest(name, names.iter().map(|s| s.as_str())) {
                        Some(c) => format!("did you mean `{c}`? (columns: {})", names.join(", ")),
                        None => format!("the columns are: {}", names.join(", ")),
                    };
                    return Err(FormulaError::new(
                        *pos,
                        format!("unknown column `{name}`"),
                        hint,
                    ));
                }
            }
        }
        let mut st = State {
            cols,
            aggs: vec![None; self.n_aggregates],
            report: EvalReport::default(),
            frame,
        };
        let n = frame.n_rows();
        let mut out = Vec::with_capacity(n);
        for row in 0..n {
            let before = (st.report.division_by_zero.len(), st.report.invalid.len());
            let v = eval(&self.root, row, &mut st)?;
            // record each row once
            dedup_tail(&mut st.report.division_by_zero, before.0, row);
            dedup_tail(&mut st.report.invalid, before.1, row);
            out.push(v);
        }
        Ok((out, st.report))
    }
}

fn dedup_tail(v: &mut Vec<usize>, from: usize, row: usize) {
    if v.len() > from {
        v.truncate(from);
        v.push(row);
    }
}

/// The closest name by edit distance (at most a third of the length, at least 2), if any.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = levenshtein(&lower, &c.to_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let limit = (name.chars().count() / 3).max(2);
    best.filter(|(d, _)| *d <= limit).map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Quoted(String),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Not,
    True,
    False,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Num(x) => format!("number {x}"),
            Tok::Str(s) => format!("string {s:?}"),
            Tok::Ident(s) => format!("name `{s}`"),
            Tok::Quoted(s) => format!("column `{s}`"),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Plus => "`+`".into(),
            Tok::Minus => "`-`".into(),
            Tok::Star => "`*`".into(),
            Tok::Slash => "`/`".into(),
            Tok::Caret => "`^`".into(),
            Tok::Eq => "`==`".into(),
            Tok::Ne => "`!=`".into(),
            Tok::Lt => "`<`".into(),
            Tok::Le => "`<=`".into(),
            Tok::Gt => "`>`".into(),
            Tok::Ge => "`>=`".into(),
            Tok::And => "`and`".into(),
            Tok::Or => "`or`".into(),
            Tok::Not => "`not`".into(),
            Tok::True => "`true`".into(),
            Tok::False => "`false`".into(),
            Tok::End => "end of expression".into(),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: usize,
}

fn lex(src: &str) -> Result<Vec<Token>, FormulaError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied();
    while let Some(c) = at(i) {
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let simple = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            '+' => Some(Tok::Plus),
            '-' => Some(Tok::Minus),
            '*' => Some(Tok::Star),
            '/' => Some(Tok::Slash),
            '^' => Some(Tok::Caret),
            _ => None,
        };
        if let Some(t) = simple {
            if c == '*' && at(i + 1) == Some('*') {
                return Err(FormulaError::new(
                    i,
                    "`**` is not an operator",
                    "write powers with `^`, e.g. x^2",
                ));
            }
            out.push(Token { tok: t, pos: i });
            i += 1;
            continue;
        }
        match c {
            '=' | '!' | '<' | '>' => {
                let next = at(i + 1);
                let (tok, len) = match (c, next) {
                    ('=', Some('=')) => (Tok::Eq, 2),
                    ('!', Some('=')) => (Tok::Ne, 2),
                    ('<', Some('=')) => (Tok::Le, 2),
                    ('>', Some('=')) => (Tok::Ge, 2),
                    ('<', Some('>')) => (Tok::Ne, 2),
                    ('<', _) => (Tok::Lt, 1),
                    ('>', _) => (Tok::Gt, 1),
                    ('=', _) => {
                        return Err(FormulaError::new(
                            i,
                            "`=` is not an operator",
                            "compare with `==`",
                        ))
                    }
                    _ => {
                        return Err(FormulaError::new(
                            i,
                            "`!` is not an operator",
                            "negate with `not`, compare with `!=`",
                        ))
                    }
                };
                out.push(Token { tok, pos: i });
                i += len;
            }
            '&' | '|' => {
                return Err(FormulaError::new(
                    i,
                    format!("`{c}` is not an operator"),
                    "write `and` / `or`",
                ))
            }
            '%' => {
                return Err(FormulaError::new(
                    i,
                    "`%` is not an operator",
                    "multiply by 100 for percentages",
                ))
            }
            '"' | '\'' => {
                let quote = c;
                i += 1;
                let mut s = String::new();
                loop {
                    match at(i) {
                        None => {
                            return Err(FormulaError::new(
                                start,
                                "unterminated string",
                                format!("close the string with {quote}"),
                            ))
                        }
                        Some('\\') if matches!(at(i + 1), Some('"' | '\'' | '\\')) => {
                            if let Some(n) = at(i + 1) {
                                s.push(n);
                            }
                            i += 2;
                        }
                        Some(ch) if ch == quote => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push(Token {
                    tok: Tok::Str(s),
                    pos: start,
                });
            }
            '`' => {
                i += 1;
                let mut s = String::new();
                loop {
                    match at(i) {
                        None => {
                            return Err(FormulaError::new(
                                start,
                                "unterminated backtick name",
                                "close the column name with a backtick `",
                            ))
                        }
                        Some('`') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                if s.is_empty() {
                    return Err(FormulaError::new(
                        start,
                        "empty column name ``",
                        "write the column name between the backticks",
                    ));
                }
                out.push(Token {
                    tok: Tok::Quoted(s),
                    pos: start,
                });
            }
            c if c.is_ascii_digit()
                || (c == '.' && at(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let mut s = String::new();
                while let Some(d) = at(i).filter(|d| d.is_ascii_digit()) {
                    s.push(d);
                    i += 1;
                }
                if at(i) == Some('.') {
                    s.push('.');
                    i += 1;
                    while let Some(d) = at(i).filter(|d| d.is_ascii_digit()) {
                        s.push(d);
                        i += 1;
                    }
                }
                if matches!(at(i), Some('e' | 'E')) {
                    let save = i;
                    let mut e = String::from("e");
                    i += 1;
                    if let Some(sign) = at(i).filter(|c| *c == '+' || *c == '-') {
                        e.push(sign);
                        i += 1;
                    }
                    let mut digits = 0;
                    while let Some(d) = at(i).filter(|d| d.is_ascii_digit()) {
                        e.push(d);
                        i += 1;
                        digits += 1;
                    }
                    if digits == 0 {
                        i = save;
                    } else {
                        s.push_str(&e);
                    }
                }
                if at(i).is_some_and(|c| c.is_alphabetic() || c == '_') {
                    return Err(FormulaError::new(
                        i,
                        format!("unexpected `{}` after the number {s}", at(i).unwrap_or(' ')),
                        "put an operator between a number and a name (e.g. 2 * x); names starting with a digit need backticks",
                    ));
                }
                let x: f64 = s.parse().map_err(|_| {
                    FormulaError::new(
                        start,
                        format!("invalid number `{s}`"),
                        "write numbers like 12, 1.5 or 1e-3",
                    )
                })?;
                out.push(Token {
                    tok: Tok::Num(x),
                    pos: start,
                });
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut s = String::new();
                while let Some(d) = at(i).filter(|d| d.is_alphanumeric() || *d == '_' || *d == '.')
                {
                    s.push(d);
                    i += 1;
                }
                let tok = match s.as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    _ => Tok::Ident(s),
                };
                out.push(Token { tok, pos: start });
            }
            _ => {
                return Err(FormulaError::new(
                    i,
                    format!("unexpected character `{c}`"),
                    "names with spaces or symbols need backticks, e.g. `gdp growth`",
                ))
            }
        }
    }
    out.push(Token {
        tok: Tok::End,
        pos: chars.len(),
    });
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Parser

struct Parser {
    tokens: Vec<Token>,
    i: usize,
    refs: Vec<(String, usize)>,
    n_aggregates: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Token {
        self.tokens
            .get(self.i)
            .or_else(|| self.tokens.last())
            .cloned()
            .unwrap_or(Token {
                tok: Tok::End,
                pos: 0,
            })
    }
    fn bump(&mut self) -> Token {
        let t = self.peek();
        if self.i < self.tokens.len() {
            self.i += 1;
        }
        t
    }

    fn expr(&mut self, min_bp: u8) -> Result<Node, FormulaError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let t = self.peek();
            return Err(FormulaError::new(
                t.pos,
                "expression nested too deeply",
                "simplify the expression or split it into several columns",
            ));
        }
        let r = self.expr_inner(min_bp);
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self, min_bp: u8) -> Result<Node, FormulaError> {
        let mut lhs = self.prefix()?;
        loop {
            let t = self.peek();
            let op = match t.tok {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                Tok::Caret => BinOp::Pow,
                Tok::Eq => BinOp::Eq,
                Tok::Ne => BinOp::Ne,
                Tok::Lt => BinOp::Lt,
                Tok::Le => BinOp::Le,
                Tok::Gt => BinOp::Gt,
                Tok::Ge => BinOp::Ge,
                Tok::And => BinOp::And,
                Tok::Or => BinOp::Or,
                _ => break,
            };
            let (l, r) = op.power();
            if l < min_bp {
                break;
            }
            self.bump();
            let rhs = self.expr(r)?;
            if op.is_comparison() {
                let next = self.peek();
                let chained = matches!(
                    next.tok,
                    Tok::Eq | Tok::Ne | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge
                );
                if chained {
                    return Err(FormulaError::new(
                        next.pos,
                        "comparisons cannot be chained",
                        "write `a < b and b < c`",
                    ));
                }
            }
            lhs = Node::new(Kind::Bin(op, Box::new(lhs), Box::new(rhs)), t.pos)?;
        }
        Ok(lhs)
    }

    fn prefix(&mut self) -> Result<Node, FormulaError> {
        let t = self.bump();
        let pos = t.pos;
        let kind = match t.tok {
            Tok::Num(x) => Kind::Num(x),
            Tok::Str(s) => Kind::Str(s),
            Tok::True => Kind::Bool(true),
            Tok::False => Kind::Bool(false),
            Tok::Minus => Kind::Neg(Box::new(self.expr(NEG_POWER)?)),
            Tok::Plus => return self.expr(NEG_POWER),
            Tok::Not => Kind::Not(Box::new(self.expr(NOT_POWER)?)),
            Tok::LParen => {
                let inner = self.expr(0)?;
                let close = self.bump();
                if close.tok != Tok::RParen {
                    return Err(FormulaError::new(
                        close.pos,
                        format!("expected `)`, found {}", close.tok.describe()),
                        format!("close the `(` opened at character {}", pos + 1),
                    ));
                }
                return Ok(inner);
            }
            Tok::Quoted(name) => self.col(name, pos),
            Tok::Ident(name) => {
                if self.peek().tok == Tok::LParen {
                    return self.call(name, pos);
                }
                self.col(name, pos)
            }
            other => {
                let hint = if other == Tok::End {
                    "the expression ends too early: a value is missing"
                } else {
                    "a value (number, string, column or function call) is expected here"
                };
                return Err(FormulaError::new(
                    pos,
                    format!("unexpected {}", other.describe()),
                    hint,
                ));
            }
        };
        Node::new(kind, pos)
    }

    fn col(&mut self, name: String, pos: usize) -> Kind {
        let idx = match self.refs.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                self.refs.push((name, pos));
                self.refs.len() - 1
            }
        };
        Kind::Col(idx)
    }

    fn call(&mut self, name: String, pos: usize) -> Result<Node, FormulaError> {
        let Some(&(_, func, min_args, max_args)) = FUNCS.iter().find(|(n, ..)| *n == name) else {
            let names: Vec<&str> = FUNCS.iter().map(|(n, ..)| *n).collect();
            let suggestion = SIMILAR
                .iter()
                .find(|(k, _)| *k == name.to_lowercase())
                .map(|(_, v)| *v)
                .or_else(|| closest(&name, names.iter().copied()));
            let hint = match suggestion {
                Some(s) => format!("did you mean `{s}`? (functions: {})", names.join(", ")),
                None => format!("the functions are: {}", names.join(", ")),
            };
            return Err(FormulaError::new(
                pos,
                format!("unknown function `{name}`"),
                hint,
            ));
        };
        self.bump(); // (
        let mut args = Vec::new();
        if self.peek().tok == Tok::RParen {
            self.bump();
        } else {
            loop {
                args.push(self.expr(0)?);
                let t = self.bump();
                match t.tok {
                    Tok::Comma => continue,
                    Tok::RParen => break,
                    other => {
                        return Err(FormulaError::new(
                            t.pos,
                            format!("expected `,` or `)`, found {}", other.describe()),
                            format!("close the argument list of `{name}` with `)`"),
                        ))
                    }
                }
            }
        }
        if args.len() < min_args || args.len() > max_args {
            let want = if min_args == max_args {
                format!("{min_args}")
            } else if max_args == usize::MAX {
                format!("at least {min_args}")
            } else {
                format!("{min_args} or {max_args}")
            };
            return Err(FormulaError::new(
                pos,
                format!("`{name}` takes {want} argument(s), got {}", args.len()),
                signature(func),
            ));
        }
        let slot = if matches!(func, Func::Sum | Func::Mean | Func::Count) {
            self.n_aggregates += 1;
            self.n_aggregates - 1
        } else {
            0
        };
        Node::new(Kind::Call(func, args, slot), pos)
    }
}

fn signature(f: Func) -> String {
    match f {
        Func::Log => "log(x): natural logarithm",
        Func::Log10 => "log10(x)",
        Func::Exp => "exp(x)",
        Func::Sqrt => "sqrt(x)",
        Func::Abs => "abs(x)",
        Func::Round => "round(x, digits)",
        Func::Min => "min(a, b, ...)",
        Func::Max => "max(a, b, ...)",
        Func::If => "if(condition, value_if_true, value_if_false)",
        Func::Sum => "sum(x): over all rows left after `where`",
        Func::Mean => "mean(x): over all rows left after `where`",
        Func::Count => "count(x): non-missing values over all rows left after `where`",
        Func::Lag => "lag(x): the value on the previous row",
        Func::PT => "p_t(t, df): two-sided p-value of a t statistic",
        Func::PF => "p_f(f, df1, df2): p-value of an F statistic",
        Func::PChi2 => "p_chi2(x, df): p-value of a chi-square statistic",
        Func::PZ => "p_z(z): two-sided p-value of a z statistic",
    }
    .to_string()
}

// ---------------------------------------------------------------------------------------------
// Evaluation

struct State<'a> {
    cols: Vec<usize>,
    aggs: Vec<Option<Val>>,
    report: EvalReport,
    frame: &'a dyn Frame,
}

fn type_err(pos: usize, what: &str, v: &Val) -> FormulaError {
    FormulaError::new(
        pos,
        format!("{what} needs a number, found {}", v.describe()),
        "check the column types (text columns cannot be used in arithmetic); convert with if(...) where needed",
    )
}

fn num(v: Val, pos: usize, what: &str) -> Result<Option<f64>, FormulaError> {
    match v {
        Val::Num(x) => Ok(Some(x)),
        Val::Missing => Ok(None),
        other => Err(type_err(pos, what, &other)),
    }
}

fn finite(x: f64, row: usize, st: &mut State<'_>) -> Val {
    if x.is_finite() {
        Val::Num(x)
    } else {
        st.report.invalid.push(row);
        Val::Missing
    }
}

fn eval(node: &Node, row: usize, st: &mut State<'_>) -> Result<Val, FormulaError> {
    match &node.kind {
        Kind::Num(x) => Ok(Val::Num(*x)),
        Kind::Str(s) => Ok(Val::Str(s.clone())),
        Kind::Bool(b) => Ok(Val::Bool(*b)),
        Kind::Col(i) => {
            let c = st.cols.get(*i).copied().unwrap_or(usize::MAX);
            Ok(st.frame.get(c, row))
        }
        Kind::Neg(a) => {
            let v = eval(a, row, st)?;
            Ok(match num(v, node.pos, "unary `-`")? {
                Some(x) => Val::Num(-x),
                None => Val::Missing,
            })
        }
        Kind::Not(a) => match eval(a, row, st)? {
            Val::Bool(b) => Ok(Val::Bool(!b)),
            Val::Missing => Ok(Val::Missing),
            other => Err(FormulaError::new(
                node.pos,
                format!("`not` needs a boolean, found {}", other.describe()),
                "use a comparison, e.g. not (x > 1)",
            )),
        },
        Kind::Bin(op, a, b) => eval_bin(*op, a, b, node.pos, row, st),
        Kind::Call(f, args, slot) => eval_call(*f, args, *slot, node.pos, row, st),
    }
}

fn eval_bin(
    op: BinOp,
    a: &Node,
    b: &Node,
    pos: usize,
    row: usize,
    st: &mut State<'_>,
) -> Result<Val, FormulaError> {
    if matches!(op, BinOp::And | BinOp::Or) {
        let l = eval(a, row, st)?;
        let lb = logical(l, pos, op)?;
        // short-circuit
        match (op, lb) {
            (BinOp::And, Some(false)) => return Ok(Val::Bool(false)),
            (BinOp::Or, Some(true)) => return Ok(Val::Bool(true)),
            _ => {}
        }
        let r = eval(b, row, st)?;
        let rb = logical(r, pos, op)?;
        return Ok(match (op, lb, rb) {
            (BinOp::And, _, Some(false)) => Val::Bool(false),
            (BinOp::Or, _, Some(true)) => Val::Bool(true),
            (_, Some(x), Some(y)) => Val::Bool(if op == BinOp::And { x && y } else { x || y }),
            _ => Val::Missing,
        });
    }
    let l = eval(a, row, st)?;
    let r = eval(b, row, st)?;
    if op.is_comparison() {
        if l == Val::Missing || r == Val::Missing {
            return Ok(Val::Missing);
        }
        let ord = match (&l, &r) {
            (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
            (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
            (Val::Bool(x), Val::Bool(y)) if matches!(op, BinOp::Eq | BinOp::Ne) => Some(x.cmp(y)),
            _ => {
                return Err(FormulaError::new(
                    pos,
                    format!(
                        "cannot compare {} with {} using `{}`",
                        l.describe(),
                        r.describe(),
                        op.symbol()
                    ),
                    "compare numbers with numbers and text with text (text in quotes, e.g. region == \"South\")",
                ))
            }
        };
        let Some(ord) = ord else {
            return Ok(Val::Missing);
        };
        use std::cmp::Ordering::*;
        let b = match op {
            BinOp::Eq => ord == Equal,
            BinOp::Ne => ord != Equal,
            BinOp::Lt => ord == Less,
            BinOp::Le => ord != Greater,
            BinOp::Gt => ord == Greater,
            _ => ord != Less,
        };
        return Ok(Val::Bool(b));
    }
    let what = format!("`{}`", op.symbol());
    let x = num(l, pos, &what)?;
    let y = num(r, pos, &what)?;
    let (Some(x), Some(y)) = (x, y) else {
        return Ok(Val::Missing);
    };
    let z = match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => {
            if y == 0.0 {
                st.report.division_by_zero.push(row);
                return Ok(Val::Missing);
            }
            x / y
        }
        _ => x.powf(y),
    };
    Ok(finite(z, row, st))
}

fn logical(v: Val, pos: usize, op: BinOp) -> Result<Option<bool>, FormulaError> {
    match v {
        Val::Bool(b) => Ok(Some(b)),
        Val::Missing => Ok(None),
        other => Err(FormulaError::new(
            pos,
            format!(
                "`{}` needs booleans, found {}",
                op.symbol(),
                other.describe()
            ),
            "combine comparisons, e.g. x > 1 and y < 2",
        )),
    }
}

fn eval_call(
    f: Func,
    args: &[Node],
    slot: usize,
    pos: usize,
    row: usize,
    st: &mut State<'_>,
) -> Result<Val, FormulaError> {
    let name = FUNCS
        .iter()
        .find(|(_, g, ..)| *g == f)
        .map(|(n, ..)| *n)
        .unwrap_or("?");
    let arg = |i: usize| -> Result<&Node, FormulaError> {
        args.get(i).ok_or_else(|| {
            FormulaError::new(
                pos,
                format!("`{name}` is missing an argument"),
                signature(f),
            )
        })
    };
    match f {
        Func::If => {
            let c = eval(arg(0)?, row, st)?;
            match c {
                Val::Bool(true) => eval(arg(1)?, row, st),
                Val::Bool(false) => eval(arg(2)?, row, st),
                Val::Missing => Ok(Val::Missing),
                other => Err(FormulaError::new(
                    arg(0)?.pos,
                    format!(
                        "the condition of `if` must be a boolean, found {}",
                        other.describe()
                    ),
                    "write a comparison, e.g. if(x > 0, 1, 0)",
                )),
            }
        }
        Func::Lag => {
            if row == 0 {
                Ok(Val::Missing)
            } else {
                eval(arg(0)?, row - 1, st)
            }
        }
        Func::Sum | Func::Mean | Func::Count => {
            if let Some(Some(v)) = st.aggs.get(slot) {
                return Ok(v.clone());
            }
            let a = arg(0)?;
            let n = st.frame.n_rows();
            let mut total = 0.0;
            let mut count = 0usize;
            let mut skipped = 0usize;
            for r in 0..n {
                let v = eval(a, r, st)?;
                match v {
                    Val::Missing => skipped += 1,
                    Val::Num(x) => {
                        total += x;
                        count += 1;
                    }
                    other if f == Func::Count => {
                        let _ = other;
                        count += 1;
                    }
                    other => return Err(type_err(a.pos, &format!("`{name}`"), &other)),
                }
            }
            let v = match f {
                Func::Sum => {
                    st.report.aggregate_skipped += skipped;
                    Val::Num(total)
                }
                Func::Mean => {
                    st.report.aggregate_skipped += skipped;
                    if count == 0 {
                        Val::Missing
                    } else {
                        // second pass for accuracy
                        let m = total / count as f64;
                        let mut corr = 0.0;
                        for r in 0..n {
                            if let Val::Num(x) = eval(a, r, st)? {
                                corr += x - m;
                            }
                        }
                        Val::Num(m + corr / count as f64)
                    }
                }
                _ => Val::Num(count as f64),
            };
            let v = match v {
                Val::Num(x) if !x.is_finite() => {
                    st.report.invalid.push(row);
                    Val::Missing
                }
                v => v,
            };
            if let Some(s) = st.aggs.get_mut(slot) {
                *s = Some(v.clone());
            }
            Ok(v)
        }
        _ => {
            let mut xs = Vec::with_capacity(args.len());
            let mut any_missing = false;
            for a in args {
                let v = eval(a, row, st)?;
                match num(v, a.pos, &format!("`{name}`"))? {
                    Some(x) => xs.push(x),
                    None => any_missing = true,
                }
            }
            if any_missing {
                return Ok(Val::Missing);
            }
            let x = xs.first().copied().unwrap_or(f64::NAN);
            let y = xs.get(1).copied().unwrap_or(f64::NAN);
            let z = xs.get(2).copied().unwrap_or(f64::NAN);
            let r = match f {
                Func::Log => x.ln(),
                Func::Log10 => x.log10(),
                Func::Exp => x.exp(),
                Func::Sqrt => x.sqrt(),
                Func::Abs => x.abs(),
                Func::Round => {
                    let d = if xs.len() > 1 { y } else { 0.0 };
                    if d.fract() != 0.0 || d.abs() > 20.0 {
                        return Err(FormulaError::new(
                            args.get(1).map(|a| a.pos).unwrap_or(pos),
                            format!("the digits of `round` must be a whole number between -20 and 20, found {d}"),
                            "write e.g. round(x, 2)",
                        ));
                    }
                    numeric::round_half_away(x, d as i32)
                }
                Func::Min => xs.iter().copied().fold(f64::INFINITY, f64::min),
                Func::Max => xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                Func::PT => numeric::p_t(x, y),
                Func::PF => numeric::p_f(x, y, z),
                Func::PChi2 => numeric::p_chi2(x, y),
                Func::PZ => numeric::p_z(x),
                _ => f64::NAN,
            };
            Ok(finite(r, row, st))
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.src)
    }
}

/// A frame over in-memory columns, for tests and simple callers.
#[derive(Debug, Clone, Default)]
pub struct VecFrame {
    /// Column names and values.
    pub columns: Vec<(String, Vec<Val>)>,
}

impl Frame for VecFrame {
    fn n_rows(&self) -> usize {
        self.columns.first().map(|(_, v)| v.len()).unwrap_or(1)
    }
    fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(n, _)| n == name)
    }
    fn get(&self, column: usize, row: usize) -> Val {
        self.columns
            .get(column)
            .and_then(|(_, v)| v.get(row))
            .cloned()
            .unwrap_or(Val::Missing)
    }
    fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|(n, _)| n.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> VecFrame {
        VecFrame {
            columns: vec![
                (
                    "x".into(),
                    vec![Val::Num(1.0), Val::Num(2.0), Val::Missing, Val::Num(4.0)],
                ),
                (
                    "name".into(),
                    vec![
                        Val::Str("a".into()),
                        Val::Str("b".into()),
                        Val::Str("c".into()),
                        Val::Str("d".into()),
                    ],
                ),
                (
                    "gdp growth".into(),
                    vec![Val::Num(0.0), Val::Num(1.0), Val::Num(2.0), Val::Num(3.0)],
                ),
            ],
        }
    }

    fn one(src: &str) -> Val {
        let f = VecFrame {
            columns: vec![("x".into(), vec![Val::Num(3.0)])],
        };
        Expr::parse(src).unwrap().eval_all(&f).unwrap().0.remove(0)
    }

    fn all(src: &str) -> Vec<Val> {
        Expr::parse(src).unwrap().eval_all(&frame()).unwrap().0
    }

    fn err(src: &str) -> FormulaError {
        match Expr::parse(src) {
            Err(e) => e,
            Ok(e) => e.eval_all(&frame()).unwrap_err(),
        }
    }

    #[test]
    fn precedence() {
        assert_eq!(one("1 + 2 * 3"), Val::Num(7.0));
        assert_eq!(one("(1 + 2) * 3"), Val::Num(9.0));
        assert_eq!(one("2 ^ 3 ^ 2"), Val::Num(512.0));
        assert_eq!(one("-2 ^ 2"), Val::Num(-4.0));
        assert_eq!(one("2 ^ -1"), Val::Num(0.5));
        assert_eq!(one("10 - 4 - 3"), Val::Num(3.0));
        assert_eq!(one("12 / 3 / 2"), Val::Num(2.0));
        assert_eq!(one("-x + 1"), Val::Num(-2.0));
        assert_eq!(one("1 + 2 > 2 and not 1 > 2"), Val::Bool(true));
        assert_eq!(one("true or false and false"), Val::Bool(true));
        assert_eq!(one("not true or true"), Val::Bool(true));
        assert_eq!(one("1.5e-3 * 1000"), Val::Num(1.5));
        assert_eq!(one(".5 + 1."), Val::Num(1.5));
        assert_eq!(one("'a' == \"a\""), Val::Bool(true));
        assert_eq!(one("\"b\" > 'a'"), Val::Bool(true));
    }

    #[test]
    fn functions() {
        assert_eq!(one("log(exp(2))"), Val::Num(2.0));
        assert_eq!(one("log10(1000)"), Val::Num(3.0));
        assert_eq!(one("sqrt(16) + abs(-2)"), Val::Num(6.0));
        assert_eq!(one("round(2.675, 2)"), Val::Num(2.68));
        assert_eq!(one("round(-2.5)"), Val::Num(-3.0));
        assert_eq!(one("round(1234.5, -2)"), Val::Num(1200.0));
        assert_eq!(one("min(3, 1, 2) + max(1, 5)"), Val::Num(6.0));
        assert_eq!(one("if(x > 2, \"big\", \"small\")"), Val::Str("big".into()));
        assert_eq!(one("p_z(0)"), Val::Num(1.0));
    }

    #[test]
    fn columns_aggregates_lag() {
        assert_eq!(
            all("x * 2"),
            vec![Val::Num(2.0), Val::Num(4.0), Val::Missing, Val::Num(8.0)]
        );
        assert_eq!(all("sum(x)")[0], Val::Num(7.0));
        assert_eq!(all("count(x)")[0], Val::Num(3.0));
        assert_eq!(all("count(name)")[0], Val::Num(4.0));
        assert_eq!(all("x / sum(x) * 100")[1], Val::Num(2.0 / 7.0 * 100.0));
        assert_eq!(all("mean(`gdp growth`)")[3], Val::Num(1.5));
        assert_eq!(
            all("`gdp growth` - lag(`gdp growth`)"),
            vec![Val::Missing, Val::Num(1.0), Val::Num(1.0), Val::Num(1.0)]
        );
        assert_eq!(all("lag(lag(x))")[3], Val::Num(2.0));
        let (_, rep) = Expr::parse("sum(x)").unwrap().eval_all(&frame()).unwrap();
        assert_eq!(rep.aggregate_skipped, 1);
    }

    #[test]
    fn missing_logic() {
        assert_eq!(all("x > 1")[2], Val::Missing);
        assert_eq!(all("x > 1 and false")[2], Val::Bool(false));
        assert_eq!(all("x > 1 or true")[2], Val::Bool(true));
        assert_eq!(all("if(x > 1, 1, 0)")[2], Val::Missing);
    }

    #[test]
    fn division_by_zero_is_missing_and_reported() {
        let (v, rep) = Expr::parse("1 / `gdp growth`")
            .unwrap()
            .eval_all(&frame())
            .unwrap();
        assert_eq!(v[0], Val::Missing);
        assert_eq!(v[1], Val::Num(1.0));
        assert_eq!(rep.division_by_zero, vec![0]);
        let notes = rep.notes("hai", &|r| format!("row {r}"));
        assert!(notes[0].contains("division by zero") && notes[0].contains("row 0"));
        let (v, rep) = Expr::parse("log(`gdp growth`)")
            .unwrap()
            .eval_all(&frame())
            .unwrap();
        assert_eq!(v[0], Val::Missing);
        assert_eq!(rep.invalid, vec![0]);
    }

    #[test]
    fn error_positions() {
        let e = err("wage / price_m2 * 100)");
        assert_eq!(e.pos, 21);
        let r = e.render("wage / price_m2 * 100)");
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[1], "    wage / price_m2 * 100)");
        assert_eq!(lines[2], format!("    {}^", " ".repeat(21)));

        assert_eq!(err("1 +").pos, 3);
        assert_eq!(err("(1 + 2").pos, 6);
        assert_eq!(err("x = 1").pos, 2);
        assert_eq!(err("1 < x < 3").pos, 6);
        assert_eq!(err("x && 1").pos, 2);
        assert_eq!(err("\"abc").pos, 0);
        assert_eq!(err("2x").pos, 1);
        let e = err("ln(x)");
        assert_eq!(e.pos, 0);
        assert!(e.hint.contains("`log`"));
        let e = err("round(x)  + round(x, 1, 2)");
        assert_eq!(e.pos, 12);
        let e = err("y + 1");
        assert_eq!((e.pos, e.message.as_str()), (0, "unknown column `y`"));
        let e = err("1 + nmae");
        assert!(e.hint.contains("`name`"));
        // type errors point at the operator
        let e = err("x + name");
        assert_eq!(e.pos, 2);
        assert!(e.message.contains("text"));
        let e = err("name > 1");
        assert_eq!(e.pos, 5);
        let e = err("if(x, 1, 2)");
        assert_eq!(e.pos, 3);
        let e = err("sum(name)");
        assert_eq!(e.pos, 4);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let e = Expr::parse(&src).unwrap_err();
        assert!(e.message.contains("nested"));
        let src = format!("{}1", "-".repeat(10_000));
        assert!(Expr::parse(&src).is_err());
        // long left-associative chains build deep trees without recursion in the parser
        let src = vec!["1"; 100_000].join(" + ");
        let e = Expr::parse(&src).unwrap_err();
        assert!(e.message.contains("nested"));
        let ok = vec!["1"; 100].join(" + ");
        assert_eq!(one(&ok), Val::Num(100.0));
    }

    #[test]
    fn random_expressions_never_panic() {
        let pieces = [
            "x",
            "name",
            "`gdp growth`",
            "1",
            "0",
            "2.5e3",
            "\"s\"",
            "'t'",
            "(",
            ")",
            ",",
            "+",
            "-",
            "*",
            "/",
            "^",
            "==",
            "<",
            ">=",
            "and",
            "or",
            "not",
            "true",
            "sum(",
            "mean(",
            "count(",
            "lag(",
            "if(",
            "log(",
            "round(",
            "min(",
            "p_t(",
            "p_f(",
            "p_chi2(",
            "p_z(",
            "`",
            "\"",
            "é",
            "!",
        ];
        let mut x: u64 = 42;
        for _ in 0..20_000 {
            let mut src = String::new();
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (x >> 60) as usize + 1;
            for _ in 0..n {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                src.push_str(pieces[(x >> 33) as usize % pieces.len()]);
                src.push(' ');
            }
            if let Ok(e) = Expr::parse(&src) {
                let _ = e.eval_all(&frame());
            } else if let Err(e) = Expr::parse(&src) {
                let _ = e.render(&src);
            }
        }
    }

    #[test]
    fn unicode_names() {
        let f = VecFrame {
            columns: vec![("доля".into(), vec![Val::Num(0.25)])],
        };
        let (v, _) = Expr::parse("доля * 100").unwrap().eval_all(&f).unwrap();
        assert_eq!(v[0], Val::Num(25.0));
        let e = Expr::parse("доля ? 1").unwrap_err();
        assert_eq!(e.pos, 5);
    }
}
