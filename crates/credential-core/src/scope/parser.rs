//! Parser for requirement expressions.
//!
//! ```text
//! expr    = all *( "OR" all )
//! all     = operand *( "AND" operand )
//! operand = scope / "(" expr ")"
//! ```
//!
//! Recursion happens only at `(`, after the depth check, so the call stack is
//! bounded by [`Requirement::MAX_DEPTH`] whatever the input.

use core::iter::Peekable;
use core::str::CharIndices;

use super::error::{ScopeError, ScopeErrorKind, ScopeInput};
use super::requirement::{Node, Requirement};
use super::token::Scope;

const AND: &str = "AND";
const OR: &str = "OR";

/// Whether `word` reads as an operator rather than a scope.
pub(super) fn is_keyword(word: &str) -> bool {
    word == AND || word == OR
}

/// Parses a requirement into a normalised tree.
pub(super) fn parse(input: &str) -> Result<Node, ScopeError> {
    if input.len() > Requirement::MAX_LEN {
        return Err(error(
            Requirement::MAX_LEN,
            ScopeErrorKind::TooLong {
                limit: Requirement::MAX_LEN,
            },
        ));
    }
    if input.is_empty() {
        return Err(error(0, ScopeErrorKind::Empty));
    }
    let mut parser = Parser {
        tokens: Lexer::new(input).peekable(),
        end: input.len(),
        leaves: 0,
    };
    let node = parser.expr(0)?;
    match parser.tokens.next() {
        None => Ok(node),
        Some(Token {
            position,
            kind: Kind::Close,
        }) => Err(error(position, ScopeErrorKind::UnmatchedParenthesis)),
        Some(token) => Err(error(token.position, ScopeErrorKind::ExpectedOperator)),
    }
}

fn error(position: usize, kind: ScopeErrorKind) -> ScopeError {
    ScopeError::new(ScopeInput::Requirement, position, kind)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind<'a> {
    Open,
    Close,
    And,
    Or,
    Word(&'a str),
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    position: usize,
    kind: Kind<'a>,
}

/// Splits the input at ASCII whitespace and around parentheses.
struct Lexer<'a> {
    input: &'a str,
    chars: Peekable<CharIndices<'a>>,
}

impl<'a> Lexer<'a> {
    fn new(input: &'a str) -> Self {
        Self {
            input,
            chars: input.char_indices().peekable(),
        }
    }
}

const fn is_delimiter(c: char) -> bool {
    c.is_ascii_whitespace() || c == '(' || c == ')'
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        while self
            .chars
            .next_if(|&(_, c)| c.is_ascii_whitespace())
            .is_some()
        {}
        let (position, c) = self.chars.next()?;
        let kind = match c {
            '(' => Kind::Open,
            ')' => Kind::Close,
            _ => {
                while self.chars.next_if(|&(_, c)| !is_delimiter(c)).is_some() {}
                let end = self.chars.peek().map_or(self.input.len(), |&(i, _)| i);
                // Both ends are character boundaries, so this always succeeds.
                match self.input.get(position..end).unwrap_or_default() {
                    AND => Kind::And,
                    OR => Kind::Or,
                    word => Kind::Word(word),
                }
            }
        };
        Some(Token { position, kind })
    }
}

struct Parser<'a> {
    tokens: Peekable<Lexer<'a>>,
    /// Byte length of the input, where "unexpected end" errors point.
    end: usize,
    leaves: usize,
}

impl Parser<'_> {
    fn expr(&mut self, depth: usize) -> Result<Node, ScopeError> {
        let mut alternatives = vec![self.all(depth)?];
        while self.tokens.next_if(|t| t.kind == Kind::Or).is_some() {
            alternatives.push(self.all(depth)?);
        }
        Ok(Node::any(alternatives))
    }

    fn all(&mut self, depth: usize) -> Result<Node, ScopeError> {
        let mut operands = vec![self.operand(depth)?];
        while self.tokens.next_if(|t| t.kind == Kind::And).is_some() {
            operands.push(self.operand(depth)?);
        }
        Ok(Node::all(operands))
    }

    fn operand(&mut self, depth: usize) -> Result<Node, ScopeError> {
        let Some(token) = self.tokens.next() else {
            return Err(error(self.end, ScopeErrorKind::ExpectedScope));
        };
        match token.kind {
            Kind::Word(word) => self.scope(word, token.position),
            Kind::Open => {
                if depth >= Requirement::MAX_DEPTH {
                    return Err(error(
                        token.position,
                        ScopeErrorKind::TooDeep {
                            limit: Requirement::MAX_DEPTH,
                        },
                    ));
                }
                let inner = self.expr(depth.saturating_add(1))?;
                match self.tokens.next() {
                    Some(Token {
                        kind: Kind::Close, ..
                    }) => Ok(inner),
                    Some(other) => Err(error(other.position, ScopeErrorKind::ExpectedOperator)),
                    None => Err(error(token.position, ScopeErrorKind::UnclosedParenthesis)),
                }
            }
            Kind::Close | Kind::And | Kind::Or => {
                Err(error(token.position, ScopeErrorKind::ExpectedScope))
            }
        }
    }

    fn scope(&mut self, word: &str, position: usize) -> Result<Node, ScopeError> {
        if self.leaves >= Requirement::MAX_SCOPES {
            return Err(error(
                position,
                ScopeErrorKind::TooManyScopes {
                    limit: Requirement::MAX_SCOPES,
                },
            ));
        }
        self.leaves = self.leaves.saturating_add(1);
        let scope = Scope::parse_within(word, position, ScopeInput::Requirement)?;
        if let Some(offset) = scope.wildcard_offset() {
            return Err(error(
                position.saturating_add(offset),
                ScopeErrorKind::WildcardInRequirement,
            ));
        }
        Ok(Node::Scope(scope))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> (usize, ScopeErrorKind) {
        let e = Requirement::parse(input).unwrap_err();
        assert_eq!(e.input, ScopeInput::Requirement);
        (e.position, e.kind)
    }

    fn words(input: &str) -> Vec<(usize, Kind<'_>)> {
        Lexer::new(input).map(|t| (t.position, t.kind)).collect()
    }

    #[test]
    fn lexer_splits_on_whitespace_and_parentheses() {
        assert_eq!(
            words(" (a:b\tAND(c))OR\nd ANDx"),
            [
                (1, Kind::Open),
                (2, Kind::Word("a:b")),
                (6, Kind::And),
                (9, Kind::Open),
                (10, Kind::Word("c")),
                (11, Kind::Close),
                (12, Kind::Close),
                (13, Kind::Or),
                (16, Kind::Word("d")),
                (18, Kind::Word("ANDx")),
            ]
        );
        assert_eq!(
            words("é(ü"),
            [(0, Kind::Word("é")), (2, Kind::Open), (3, Kind::Word("ü"))]
        );
        assert!(words(" \t\r\n").is_empty());
    }

    #[test]
    fn structural_errors() {
        assert_eq!(err(""), (0, ScopeErrorKind::Empty));
        assert_eq!(err("   "), (3, ScopeErrorKind::ExpectedScope));
        assert_eq!(err("a AND ("), (7, ScopeErrorKind::ExpectedScope));
        assert_eq!(err("a AND"), (5, ScopeErrorKind::ExpectedScope));
        assert_eq!(err("AND a"), (0, ScopeErrorKind::ExpectedScope));
        assert_eq!(err("a OR OR b"), (5, ScopeErrorKind::ExpectedScope));
        assert_eq!(err("()"), (1, ScopeErrorKind::ExpectedScope));
        assert_eq!(err("a b"), (2, ScopeErrorKind::ExpectedOperator));
        assert_eq!(err("a and b"), (2, ScopeErrorKind::ExpectedOperator));
        assert_eq!(err("a (b)"), (2, ScopeErrorKind::ExpectedOperator));
        assert_eq!(err("(a)b"), (3, ScopeErrorKind::ExpectedOperator));
        assert_eq!(err("(a b)"), (3, ScopeErrorKind::ExpectedOperator));
        assert_eq!(
            err("x AND (a OR b"),
            (6, ScopeErrorKind::UnclosedParenthesis)
        );
        assert_eq!(err("((a)"), (0, ScopeErrorKind::UnclosedParenthesis));
        assert_eq!(err("a)"), (1, ScopeErrorKind::UnmatchedParenthesis));
        assert_eq!(err("(a))"), (3, ScopeErrorKind::UnmatchedParenthesis));
    }

    #[test]
    fn scope_errors_are_offset_into_the_expression() {
        assert_eq!(err("a AND b::c"), (8, ScopeErrorKind::EmptySegment));
        assert_eq!(
            err("a OR repo:*"),
            (10, ScopeErrorKind::WildcardInRequirement)
        );
        assert_eq!(err("(*)"), (1, ScopeErrorKind::WildcardInRequirement));
        assert_eq!(err("a OR b*"), (6, ScopeErrorKind::PartialWildcard));
        assert_eq!(err("é OR ü\"x"), (0, ScopeErrorKind::InvalidCharacter('é')));
        assert_eq!(err("a OR ü\"x"), (5, ScopeErrorKind::InvalidCharacter('ü')));
        assert_eq!(
            err("a OR x\u{a0}y"),
            (6, ScopeErrorKind::InvalidCharacter('\u{a0}'))
        );
    }

    #[test]
    fn bounds() {
        let over = "a".repeat(1025);
        assert_eq!(err(&over), (1024, ScopeErrorKind::TooLong { limit: 1024 }));

        let sixteen = format!("{}a{}", "(".repeat(16), ")".repeat(16));
        assert!(Requirement::parse(&sixteen).is_ok());
        let seventeen = format!("{}a{}", "(".repeat(17), ")".repeat(17));
        assert_eq!(err(&seventeen), (16, ScopeErrorKind::TooDeep { limit: 16 }));
        assert_eq!(
            err(&"(".repeat(1024)),
            (16, ScopeErrorKind::TooDeep { limit: 16 })
        );
        assert_eq!(err(&")".repeat(1024)), (0, ScopeErrorKind::ExpectedScope));

        let leaves: Vec<String> = (0..65).map(|i| format!("s{i}")).collect();
        assert!(Requirement::parse(&leaves[..64].join(" OR ")).is_ok());
        let over = leaves.join(" OR ");
        let position = over.rfind(' ').unwrap() + 1;
        assert_eq!(
            err(&over),
            (position, ScopeErrorKind::TooManyScopes { limit: 64 })
        );
    }

    #[test]
    fn keywords_are_case_sensitive() {
        assert!(is_keyword("AND") && is_keyword("OR"));
        assert!(!is_keyword("and") && !is_keyword("Or"));
        assert!(Requirement::parse("and OR or").is_ok());
    }
}
