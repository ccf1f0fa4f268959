//! What a user types into search, made into a `tsquery` without ever handing their text to
//! `to_tsquery` as syntax.
//!
//! The syntax is web search's: words (all must match), `"a phrase"`, `-excluded` (a word or a
//! phrase), and `or` between two terms. The last word, when it is a plain word of at least
//! [`PREFIX_MIN`] characters, also matches as a prefix (results while typing). Anything else in
//! the text (tsquery operators, quotes, backslashes, control characters) is only ever part of a
//! quoted lexeme: each term reaches PostgreSQL as a bound parameter, quoted as a tsquery literal
//! (`'…'`, quotes doubled, backslashes escaped), so `&`, `|`, `!`, `(`, `:*` are just text that
//! the text parser splits into words or drops.
//!
//! Each term matches in both parts of a message's document (migration
//! `…000200_search_word_forms`): its English stems or its words as written. So "meetings" finds
//! "meeting", a word in another language or an English stop word still finds itself, and an
//! excluded term excludes both forms (`!(english | simple)`).

use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

/// The shortest last word that also matches as a prefix: one or two letters would expand to a
/// large part of the vocabulary (a GIN union of thousands of posting lists) and find little.
pub const PREFIX_MIN: usize = 3;

/// One term: its tsquery text (a quoted literal, maybe with `:*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term(String);

/// A clause of the query: all clauses must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// One of these terms (`a or b`; usually one).
    Any(Vec<Term>),
    /// Not this term (`-word`, `-"a phrase"`).
    Not(Term),
}

/// A parsed query: clauses in the order typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub clauses: Vec<Clause>,
}

/// A query ready to run: PostgreSQL's text form of the tsquery (lexemes quoted by PostgreSQL
/// itself), passed back as `$n::tsquery`. Only [`SearchQuery::compile`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery(String);

impl SearchQuery {
    /// The tsquery text (bind it as text and cast it: `$2::tsquery`).
    pub fn as_tsquery(&self) -> &str {
        &self.0
    }

    /// This query negated: excluded words only, which [`Self::compile`] never returns (tests
    /// show what such a query would read).
    #[cfg(feature = "testing")]
    #[must_use]
    pub fn negated_for_tests(&self) -> Self {
        Self(format!("!( {} )", self.0))
    }

    /// Parses `input` and asks PostgreSQL for the combined query. `None` when the query has no
    /// word a message must contain (empty, punctuation or stop-word-free nothing, only excluded
    /// words): such a query would read every message (`shared/tests/search.rs`).
    pub fn compile(conn: &mut PgConnection, input: &str) -> QueryResult<Option<Self>> {
        let parsed = parse(input);
        if parsed.clauses.is_empty() {
            return Ok(None);
        }
        let mut terms = Vec::new();
        let expr = sql_expression(&parsed, &mut terms);
        let sql =
            format!("SELECT q::text AS query, querytree(q) NOT IN ('', 'T') AS indexable FROM (SELECT {expr} AS q) s");
        let mut query = diesel::sql_query(sql).into_boxed();
        for term in terms {
            query = query.bind::<Text, _>(term);
        }
        let row: Compiled = query.get_result(conn)?;
        Ok(match row.query {
            Some(q) if row.indexable => Some(Self(q)),
            _ => None,
        })
    }
}

#[derive(Debug, QueryableByName)]
struct Compiled {
    #[diesel(sql_type = Nullable<Text>)]
    query: Option<String>,
    #[diesel(sql_type = Bool)]
    indexable: bool,
}

/// The SQL expression of the whole query: placeholders only (`$1`, `$2`, …, pushed to `binds`
/// in order), never the user's text. A term is `to_tsquery('english', t) || to_tsquery('simple',
/// t)`; a term without lexemes (a stop word in English) is empty there and drops out.
fn sql_expression(parsed: &Parsed, binds: &mut Vec<String>) -> String {
    let mut term = |t: &Term| {
        binds.push(t.0.clone());
        let n = binds.len();
        format!("(to_tsquery('english', ${n}) || to_tsquery('simple', ${n}))")
    };
    let clauses: Vec<String> = parsed
        .clauses
        .iter()
        .map(|c| match c {
            Clause::Any(terms) => format!("({})", terms.iter().map(&mut term).collect::<Vec<_>>().join(" || ")),
            Clause::Not(t) => format!("(!! {})", term(t)),
        })
        .collect();
    clauses.join(" && ")
}

/// One token of the input.
#[derive(Debug, PartialEq, Eq)]
enum Token {
    Word { text: String, negated: bool },
    Phrase { text: String, negated: bool },
    Or,
}

/// Parses web-search syntax into clauses (pure; any input parses).
pub fn parse(input: &str) -> Parsed {
    let tokens = tokenize(input);
    let last_word = tokens.iter().rposition(|t| matches!(t, Token::Word { negated: false, .. }));
    let prefix_at = last_word.filter(|&i| {
        let at_end = i + 1 == tokens.len();
        let long = matches!(&tokens[i], Token::Word { text, .. } if text.chars().count() >= PREFIX_MIN);
        at_end && long && !input.ends_with(char::is_whitespace)
    });
    let mut clauses: Vec<Clause> = Vec::new();
    let mut join_next = false;
    for (i, token) in tokens.into_iter().enumerate() {
        let (term, negated) = match token {
            Token::Or => {
                // `or` joins the terms either side; at the start or after `-x` it is a word.
                join_next = matches!(clauses.last(), Some(Clause::Any(_)));
                if !join_next {
                    clauses.push(Clause::Any(vec![literal("or", false)]));
                }
                continue;
            }
            Token::Word { text, negated } => (literal(&text, prefix_at == Some(i)), negated),
            Token::Phrase { text, negated } => (literal(&text, false), negated),
        };
        match (negated, clauses.last_mut()) {
            (true, _) => clauses.push(Clause::Not(term)),
            (false, Some(Clause::Any(terms))) if join_next => terms.push(term),
            (false, _) => clauses.push(Clause::Any(vec![term])),
        }
        join_next = false;
    }
    Parsed { clauses }
}

/// `text` as a tsquery literal: quoted, `'` doubled, `\` escaped (inside quotes nothing else
/// is syntax); `:*` after it for a prefix.
fn literal(text: &str, prefix: bool) -> Term {
    let mut out = String::with_capacity(text.len() + 4);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    if prefix {
        out.push_str(":*");
    }
    Term(out)
}

/// Splits at whitespace; `"…"` is one phrase (an unterminated one runs to the end); a leading
/// `-` excludes; `or` (any case) is the operator. Control characters count as whitespace (NUL
/// cannot even be bound as text).
fn tokenize(input: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().map(|c| if c.is_control() { ' ' } else { c }).peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let negated = c == '-';
        if negated {
            chars.next();
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            let text: String = chars.by_ref().take_while(|&c| c != '"').collect();
            if !text.trim().is_empty() {
                tokens.push(Token::Phrase { text, negated });
            }
            continue;
        }
        let mut text = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            text.push(c);
            chars.next();
        }
        if text.is_empty() {
            continue;
        }
        if !negated && text.eq_ignore_ascii_case("or") {
            tokens.push(Token::Or);
        } else {
            tokens.push(Token::Word { text, negated });
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(terms: &[&str]) -> Clause {
        Clause::Any(terms.iter().map(|t| Term((*t).to_owned())).collect())
    }

    #[test]
    fn words_phrases_exclusions_and_or() {
        let p = parse(r#"budget "quarterly report" -draft a OR b -"old news" tea"#);
        assert_eq!(
            p.clauses,
            vec![
                any(&["'budget'"]),
                any(&["'quarterly report'"]),
                Clause::Not(Term("'draft'".into())),
                any(&["'a'", "'b'"]),
                Clause::Not(Term("'old news'".into())),
                any(&["'tea':*"]),
            ]
        );
    }

    #[test]
    fn only_the_last_plain_word_is_a_prefix_while_typing() {
        assert_eq!(parse("jumping fox").clauses, vec![any(&["'jumping'"]), any(&["'fox':*"])]);
        assert_eq!(parse("jumping fox ").clauses, vec![any(&["'jumping'"]), any(&["'fox'"])], "a finished word");
        assert_eq!(parse("jumping fo").clauses, vec![any(&["'jumping'"]), any(&["'fo'"])], "too short");
        assert_eq!(parse("meet -fox").clauses[0], any(&["'meet'"]), "not before an exclusion");
    }

    #[test]
    fn syntax_characters_stay_inside_quoted_literals() {
        let p = parse(r"it's a\b & (c|d):* !e");
        assert_eq!(
            p.clauses,
            vec![any(&["'it''s'"]), any(&[r"'a\\b'"]), any(&["'&'"]), any(&["'(c|d):*'"]), any(&["'!e'"]),]
        );
        assert_eq!(parse("\"unterminated phrase").clauses, vec![any(&["'unterminated phrase'"])]);
        assert_eq!(parse("a\0b").clauses, vec![any(&["'a'"]), any(&["'b'"])], "control characters split");
        assert!(parse(" - \"\" ").clauses.is_empty());
        assert_eq!(parse("or tea").clauses, vec![any(&["'or'"]), any(&["'tea':*"])], "a leading or is a word");
    }

    #[test]
    fn the_sql_holds_placeholders_only() {
        let mut binds = Vec::new();
        let sql = sql_expression(&parse("x' OR 1=1; -- y"), &mut binds);
        assert!(!sql.contains('x') && !sql.contains("1=1"), "{sql}");
        assert_eq!(binds, ["'x'''", "'1=1;'", "'-'", "'y'"], "`--` excludes `-`");
    }
}
