//! A small, safe evaluator for the MVEL subset MOSIP writes in UI specs: `visible` and
//! `requiredOn` rules over the `identity` map, and `validationExpr` over biometric attributes.
//!
//! Grammar (a hand-written tokenizer and recursive-descent parser, nesting limited to
//! [`MAX_DEPTH`]); anything else is refused with its position:
//!
//! ```text
//! or      := and ('||' and)*
//! and     := compare ('&&' compare)*
//! compare := unary (('==' | '!=' | '<' | '<=' | '>' | '>=' | 'contains') unary)?
//! unary   := '!' unary | postfix
//! postfix := primary ('.' name ('(' (or (',' or)*)? ')')?)*
//! primary := 'string' | "string" | number | true | false | nil | null | empty | name | '(' or ')'
//! ```
//!
//! Methods: `get`, `equals`, `equalsIgnoreCase`, `contains`, `startsWith`, `endsWith`,
//! `isEmpty`, `size`, `length`. `identity.x` reads field `x` like `identity.get('x')`.

use std::borrow::Cow;
use std::fmt;

/// Deepest nesting of parentheses, `!` and method calls the parser accepts.
pub const MAX_DEPTH: usize = 32;

/// Longest expression accepted, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;

/// Most tokens accepted; with [`MAX_DEPTH`] this bounds evaluation depth too.
pub const MAX_TOKENS: usize = 256;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    source: String,
    root: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Literal(Literal),
    Nil,
    Empty,
    Variable(String),
    Property(Box<Node>, String),
    Call(Box<Node>, Method, Vec<Node>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Compare(Comparison, Box<Node>, Box<Node>),
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Bool(bool),
    Number(f64),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Contains,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Equals,
    EqualsIgnoreCase,
    Contains,
    StartsWith,
    EndsWith,
    IsEmpty,
    Size,
}

impl Method {
    fn parse(name: &str) -> Option<(Method, usize)> {
        Some(match name {
            "get" => (Method::Get, 1),
            "equals" => (Method::Equals, 1),
            "equalsIgnoreCase" => (Method::EqualsIgnoreCase, 1),
            "contains" => (Method::Contains, 1),
            "startsWith" => (Method::StartsWith, 1),
            "endsWith" => (Method::EndsWith, 1),
            "isEmpty" => (Method::IsEmpty, 0),
            "size" | "length" => (Method::Size, 0),
            _ => return None,
        })
    }
}

/// A value seen by an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(f64),
    Text(Cow<'a, str>),
    List(Vec<Value<'a>>),
    /// Something present that is neither text nor a number (a document, a biometrics file).
    Present,
    /// The `identity` map itself.
    Identity,
}

impl Value<'_> {
    /// MVEL's `empty`: null, an empty string or an empty list.
    fn is_empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Text(text) => text.is_empty(),
            Value::List(items) => items.is_empty(),
            _ => false,
        }
    }

    fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0,
            Value::Text(text) => text.eq_ignore_ascii_case("true"),
            Value::List(items) => !items.is_empty(),
            Value::Present | Value::Identity => true,
        }
    }

    fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Text(text) => text.trim().parse().ok(),
            _ => None,
        }
    }
}

fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Text(_)) | (Value::Text(_), Value::Number(_)) => {
            a.as_number().is_some() && a.as_number() == b.as_number()
        }
        (Value::Bool(x), Value::Text(t)) | (Value::Text(t), Value::Bool(x)) => {
            t.eq_ignore_ascii_case(if *x { "true" } else { "false" })
        }
        _ => a == b,
    }
}

/// Where an expression reads its data from.
pub trait Scope {
    /// A field of the `identity` map (`identity.get('x')`, `identity.x`).
    fn identity_field(&self, id: &str) -> Value<'_>;
    /// Any other name, e.g. a biometric attribute in a `validationExpr`.
    fn variable(&self, name: &str) -> Value<'_>;
}

/// Why an expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at column {column} (found {found}) in {expression:?}")]
pub struct ParseError {
    pub expression: String,
    /// 1-based character column.
    pub column: usize,
    pub found: String,
    pub message: String,
}

impl ParseError {
    pub fn code(&self) -> &'static str {
        "RULE_SYNTAX"
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Text(String),
    Number(f64),
    Symbol(&'static str),
    End,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Name(name) => write!(f, "'{name}'"),
            Token::Text(text) => write!(f, "string {text:?}"),
            Token::Number(n) => write!(f, "number {n}"),
            Token::Symbol(s) => write!(f, "'{s}'"),
            Token::End => write!(f, "end of expression"),
        }
    }
}

const SYMBOLS: [&str; 16] = [
    "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", ".", ",", "=", "&", "|",
];

/// Splits `source` into tokens with their byte offsets.
fn tokenize(source: &str) -> Result<Vec<(usize, Token)>, (usize, String, String)> {
    let mut tokens = Vec::new();
    let bytes = source.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
            {
                i += 1;
            }
            tokens.push((start, Token::Name(source[start..i].to_owned())));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            let text = &source[start..i];
            let number = text
                .parse()
                .map_err(|_| (start, format!("'{text}'"), "malformed number".to_owned()))?;
            tokens.push((start, Token::Number(number)));
        } else if c == b'\'' || c == b'"' {
            let start = i;
            let mut text = String::new();
            i += 1;
            loop {
                let Some(ch) = source[i..].chars().next() else {
                    return Err((
                        start,
                        "end of expression".to_owned(),
                        "unterminated string".to_owned(),
                    ));
                };
                i += ch.len_utf8();
                match ch {
                    '\\' => {
                        let Some(escaped) = source[i..].chars().next() else {
                            return Err((
                                start,
                                "end of expression".to_owned(),
                                "unterminated string".to_owned(),
                            ));
                        };
                        i += escaped.len_utf8();
                        text.push(match escaped {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                    }
                    ch if ch as u32 == u32::from(c) => break,
                    ch => text.push(ch),
                }
            }
            tokens.push((start, Token::Text(text)));
        } else {
            let rest = &source[i..];
            let Some(symbol) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) else {
                let ch = rest.chars().next().unwrap_or(' ');
                return Err((i, format!("'{ch}'"), "unexpected character".to_owned()));
            };
            if matches!(*symbol, "=" | "&" | "|") {
                return Err((
                    i,
                    format!("'{symbol}'"),
                    "unsupported operator (use ==, && or ||)".to_owned(),
                ));
            }
            tokens.push((i, Token::Symbol(symbol)));
            i += symbol.len();
        }
    }
    tokens.push((source.len(), Token::End));
    Ok(tokens)
}

struct Parser<'s> {
    source: &'s str,
    tokens: Vec<(usize, Token)>,
    position: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.position].1
    }

    fn advance(&mut self) -> Token {
        let token = self.tokens[self.position].1.clone();
        if self.position + 1 < self.tokens.len() {
            self.position += 1;
        }
        token
    }

    fn error(&self, message: &str) -> ParseError {
        let (offset, token) = &self.tokens[self.position];
        ParseError {
            expression: self.source.to_owned(),
            column: self.source[..*offset].chars().count() + 1,
            found: token.to_string(),
            message: message.to_owned(),
        }
    }

    fn eat(&mut self, symbol: &str) -> bool {
        if matches!(self.peek(), Token::Symbol(s) if *s == symbol) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, symbol: &str) -> Result<(), ParseError> {
        if self.eat(symbol) {
            Ok(())
        } else {
            Err(self.error(&format!("expected '{symbol}'")))
        }
    }

    fn nest(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Node, ParseError> {
        let mut left = self.and()?;
        while self.eat("||") {
            left = Node::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Node, ParseError> {
        let mut left = self.compare()?;
        while self.eat("&&") {
            left = Node::And(Box::new(left), Box::new(self.compare()?));
        }
        Ok(left)
    }

    fn compare(&mut self) -> Result<Node, ParseError> {
        let left = self.unary()?;
        let comparison = match self.peek() {
            Token::Symbol("==") => Comparison::Equal,
            Token::Symbol("!=") => Comparison::NotEqual,
            Token::Symbol("<") => Comparison::Less,
            Token::Symbol("<=") => Comparison::LessOrEqual,
            Token::Symbol(">") => Comparison::Greater,
            Token::Symbol(">=") => Comparison::GreaterOrEqual,
            Token::Name(name) if name == "contains" => Comparison::Contains,
            _ => return Ok(left),
        };
        self.advance();
        let right = self.unary()?;
        Ok(Node::Compare(comparison, Box::new(left), Box::new(right)))
    }

    fn unary(&mut self) -> Result<Node, ParseError> {
        if self.eat("!") {
            self.nest()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Node::Not(Box::new(inner)));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Node, ParseError> {
        let mut node = self.primary()?;
        while self.eat(".") {
            let Token::Name(name) = self.peek().clone() else {
                return Err(self.error("expected a method or property name after '.'"));
            };
            if self.tokens[self.position + 1].1 != Token::Symbol("(") {
                self.advance();
                node = Node::Property(Box::new(node), name);
                continue;
            }
            let Some((method, arity)) = Method::parse(&name) else {
                return Err(self.error("unknown method"));
            };
            self.advance();
            self.expect("(")?;
            self.nest()?;
            let mut arguments = Vec::new();
            if !self.eat(")") {
                loop {
                    arguments.push(self.or()?);
                    if self.eat(")") {
                        break;
                    }
                    self.expect(",")?;
                }
            }
            self.depth -= 1;
            if arguments.len() != arity {
                return Err(self.error(&format!("method {name} takes {arity} argument(s)")));
            }
            node = Node::Call(Box::new(node), method, arguments);
        }
        Ok(node)
    }

    fn primary(&mut self) -> Result<Node, ParseError> {
        match self.peek().clone() {
            Token::Text(text) => {
                self.advance();
                Ok(Node::Literal(Literal::Text(text)))
            }
            Token::Number(n) => {
                self.advance();
                Ok(Node::Literal(Literal::Number(n)))
            }
            Token::Name(name) => {
                let node = match name.as_str() {
                    "true" => Node::Literal(Literal::Bool(true)),
                    "false" => Node::Literal(Literal::Bool(false)),
                    "nil" | "null" => Node::Nil,
                    "empty" => Node::Empty,
                    "contains" => return Err(self.error("expected a value")),
                    _ => Node::Variable(name),
                };
                self.advance();
                Ok(node)
            }
            Token::Symbol("(") => {
                self.advance();
                self.nest()?;
                let inner = self.or()?;
                self.expect(")")?;
                self.depth -= 1;
                Ok(inner)
            }
            _ => Err(self.error("expected a value")),
        }
    }
}

impl Expression {
    /// Parses an expression, refusing anything outside the supported subset.
    pub fn parse(source: &str) -> Result<Expression, ParseError> {
        let refuse = |column: usize, found: String, message: String| ParseError {
            expression: source.to_owned(),
            column,
            found,
            message,
        };
        if source.len() > MAX_EXPRESSION_BYTES {
            return Err(refuse(
                1,
                format!("{} bytes", source.len()),
                format!("expression longer than {MAX_EXPRESSION_BYTES} bytes"),
            ));
        }
        let tokens = tokenize(source).map_err(|(offset, found, message)| {
            refuse(source[..offset].chars().count() + 1, found, message)
        })?;
        if tokens.len() > MAX_TOKENS {
            let (offset, token) = &tokens[MAX_TOKENS];
            return Err(refuse(
                source[..*offset].chars().count() + 1,
                token.to_string(),
                format!("more than {MAX_TOKENS} tokens"),
            ));
        }
        let mut parser = Parser {
            source,
            tokens,
            position: 0,
            depth: 0,
        };
        let root = parser.or()?;
        if parser.peek() != &Token::End {
            return Err(parser.error("unexpected token"));
        }
        Ok(Expression {
            source: source.to_owned(),
            root,
        })
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The free names it reads, other than `identity` (e.g. biometric attributes).
    pub fn variables(&self) -> Vec<&str> {
        fn walk<'a>(node: &'a Node, out: &mut Vec<&'a str>) {
            match node {
                Node::Variable(name) if name != "identity" => out.push(name),
                Node::Literal(_) | Node::Nil | Node::Empty | Node::Variable(_) => {}
                Node::Property(inner, _) | Node::Not(inner) => walk(inner, out),
                Node::Call(inner, _, arguments) => {
                    walk(inner, out);
                    arguments.iter().for_each(|a| walk(a, out));
                }
                Node::And(a, b) | Node::Or(a, b) | Node::Compare(_, a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// Evaluates to a boolean (null and missing values are false).
    pub fn evaluate(&self, scope: &dyn Scope) -> bool {
        evaluate(&self.root, scope).truthy()
    }
}

fn evaluate<'a>(node: &'a Node, scope: &'a dyn Scope) -> Value<'a> {
    match node {
        Node::Literal(Literal::Bool(b)) => Value::Bool(*b),
        Node::Literal(Literal::Number(n)) => Value::Number(*n),
        Node::Literal(Literal::Text(text)) => Value::Text(Cow::Borrowed(text)),
        Node::Nil => Value::Null,
        Node::Empty => Value::Text(Cow::Borrowed("")),
        Node::Variable(name) if name == "identity" => Value::Identity,
        Node::Variable(name) => scope.variable(name),
        Node::Property(inner, name) => match evaluate(inner, scope) {
            Value::Identity => scope.identity_field(name),
            _ => Value::Null,
        },
        Node::Call(inner, method, arguments) => {
            let target = evaluate(inner, scope);
            let argument = arguments.first().map(|a| evaluate(a, scope));
            call(target, *method, argument, scope)
        }
        Node::Not(inner) => Value::Bool(!evaluate(inner, scope).truthy()),
        Node::And(a, b) => Value::Bool(evaluate(a, scope).truthy() && evaluate(b, scope).truthy()),
        Node::Or(a, b) => Value::Bool(evaluate(a, scope).truthy() || evaluate(b, scope).truthy()),
        Node::Compare(comparison, a, b) => {
            let (a_node, b_node) = (a.as_ref(), b.as_ref());
            let (a, b) = (evaluate(a, scope), evaluate(b, scope));
            Value::Bool(compare(
                *comparison,
                &a,
                &b,
                matches!(a_node, Node::Empty) || matches!(b_node, Node::Empty),
            ))
        }
    }
}

fn compare(comparison: Comparison, a: &Value, b: &Value, against_empty: bool) -> bool {
    let equal = || {
        if against_empty {
            a.is_empty() && b.is_empty()
        } else {
            loosely_equal(a, b)
        }
    };
    let ordered = |test: fn(f64, f64) -> bool| match (a.as_number(), b.as_number()) {
        (Some(x), Some(y)) => test(x, y),
        _ => false,
    };
    match comparison {
        Comparison::Equal => equal(),
        Comparison::NotEqual => !equal(),
        Comparison::Less => ordered(|x, y| x < y),
        Comparison::LessOrEqual => ordered(|x, y| x <= y),
        Comparison::Greater => ordered(|x, y| x > y),
        Comparison::GreaterOrEqual => ordered(|x, y| x >= y),
        Comparison::Contains => contains(a, b),
    }
}

fn contains(haystack: &Value, needle: &Value) -> bool {
    match (haystack, needle) {
        (Value::List(items), needle) => items.iter().any(|item| loosely_equal(item, needle)),
        (Value::Text(text), Value::Text(part)) => text.contains(part.as_ref()),
        _ => false,
    }
}

fn call<'a>(
    target: Value<'a>,
    method: Method,
    argument: Option<Value<'a>>,
    scope: &'a dyn Scope,
) -> Value<'a> {
    let argument = argument.unwrap_or(Value::Null);
    match method {
        Method::Get => match (&target, &argument) {
            (Value::Identity, Value::Text(id)) => scope.identity_field(id),
            _ => Value::Null,
        },
        Method::Equals => Value::Bool(target != Value::Null && loosely_equal(&target, &argument)),
        Method::EqualsIgnoreCase => Value::Bool(match (&target, &argument) {
            (Value::Text(a), Value::Text(b)) => a.to_lowercase() == b.to_lowercase(),
            _ => false,
        }),
        Method::Contains => Value::Bool(contains(&target, &argument)),
        Method::StartsWith => Value::Bool(match (&target, &argument) {
            (Value::Text(a), Value::Text(b)) => a.starts_with(b.as_ref()),
            _ => false,
        }),
        Method::EndsWith => Value::Bool(match (&target, &argument) {
            (Value::Text(a), Value::Text(b)) => a.ends_with(b.as_ref()),
            _ => false,
        }),
        Method::IsEmpty => Value::Bool(target.is_empty()),
        Method::Size => match &target {
            Value::Text(text) => Value::Number(text.chars().count() as f64),
            Value::List(items) => Value::Number(items.len() as f64),
            _ => Value::Null,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Map(BTreeMap<&'static str, Value<'static>>);

    impl Scope for Map {
        fn identity_field(&self, id: &str) -> Value<'_> {
            self.0.get(id).cloned().unwrap_or(Value::Null)
        }
        fn variable(&self, name: &str) -> Value<'_> {
            self.0.get(name).cloned().unwrap_or(Value::Null)
        }
    }

    fn scope() -> Map {
        let text = |s: &'static str| Value::Text(Cow::Borrowed(s));
        Map(BTreeMap::from([
            ("ageGroup", text("INFANT")),
            ("introducerRID", text("")),
            ("age", Value::Number(4.0)),
            (
                "updatableFieldGroups",
                Value::List(vec![text("Address"), text("Biometrics")]),
            ),
            ("face", Value::Bool(true)),
            ("leftEye", Value::Bool(false)),
            ("isChild", Value::Bool(true)),
        ]))
    }

    #[track_caller]
    fn check(source: &str, expected: bool) {
        let expression = Expression::parse(source).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(expression.evaluate(&scope()), expected, "{source}");
    }

    #[test]
    fn mosip_constructs_evaluate() {
        check("identity.get('ageGroup') == 'INFANT'", true);
        check("identity.get('ageGroup') != \"INFANT\"", false);
        check(
            "identity.get('introducerUIN') == nil || identity.get('introducerUIN') == empty",
            true,
        );
        check("identity.get('introducerRID') == empty", true);
        check("identity.get('ageGroup') == empty", false);
        check(
            "identity.get('ageGroup') == 'INFANT' && (identity.get('introducerRID') == nil || identity.get('introducerRID') == empty)",
            true,
        );
        check(
            "identity.updatableFieldGroups contains 'Address' || identity.updatableFieldGroups contains 'Location'",
            true,
        );
        check(
            "!(identity.get('ageGroup') == 'INFANT') && !(identity.updatableFieldGroups contains 'Biometrics')",
            false,
        );
        check("identity.isChild", true);
        check("identity.get('ageGroup').equalsIgnoreCase('infant')", true);
        check("identity.get('ageGroup').contains('FAN')", true);
        check(
            "identity.get('age') < 5 && identity.get('age') >= 4.0",
            true,
        );
        check("identity.get('age') > '10'", false);
        check("identity.get('missing').isEmpty()", true);
        check("face || (leftEye && rightEye)", true);
        check("leftEye || rightEye", false);
        check("true && !false", true);
    }

    #[track_caller]
    fn check_refused(source: &str, column: usize, found: &str, message: &str) {
        let error = Expression::parse(source).unwrap_err();
        assert_eq!(error.code(), "RULE_SYNTAX");
        assert_eq!(
            (error.column, error.found.as_str()),
            (column, found),
            "{error}"
        );
        assert!(error.message.contains(message), "{error}");
    }

    #[test]
    fn anything_else_is_refused_with_its_position() {
        check_refused("identity.get('a') = 'b'", 19, "'='", "unsupported operator");
        check_refused(
            "identity.get('a') == ",
            22,
            "end of expression",
            "expected a value",
        );
        check_refused("identity.delete('a')", 10, "'delete'", "unknown method");
        check_refused("a == 'b", 6, "end of expression", "unterminated string");
        check_refused("System.exit(0)", 8, "'exit'", "unknown method");
        check_refused("a b", 3, "'b'", "unexpected token");
        check_refused("a ; b", 3, "';'", "unexpected character");
        check_refused("(a", 3, "end of expression", "expected ')'");
        check_refused(
            "identity.get('a', 'b')",
            23,
            "end of expression",
            "takes 1 argument",
        );
        let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
        check_refused(&deep, 34, "'('", "nesting deeper than 32");
        let nots = format!("{}a", "!".repeat(40));
        check_refused(&nots, 34, "'!'", "nesting deeper than 32");
    }

    #[test]
    fn long_expressions_are_refused() {
        let long = vec!["a"; 200].join(" || ");
        let error = Expression::parse(&long).unwrap_err();
        assert!(error.message.contains("more than 256 tokens"), "{error}");
        let huge = "a".repeat(MAX_EXPRESSION_BYTES + 1);
        assert!(
            Expression::parse(&huge)
                .unwrap_err()
                .message
                .contains("longer than 4096 bytes")
        );
    }

    #[test]
    fn free_variables_are_listed() {
        let expression =
            Expression::parse("face || (leftEye && identity.get('x') == 'y')").unwrap();
        assert_eq!(expression.variables(), vec!["face", "leftEye"]);
    }
}
