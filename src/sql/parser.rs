//! The parser front: `sqlparser` with the PostgreSQL dialect, with its
//! errors turned into PostgreSQL's (`syntax error at or near "x"`, 42601,
//! with the cursor position).

use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Whitespace, Word};

use crate::error::{Error, Result, SqlState};

/// Deep nesting is refused with an error instead of exhausting the stack.
const RECURSION_LIMIT: usize = 200;

/// The deepest syntax tree a statement may parse into, by [`nesting_bound`].
/// Chains of infix operators (`1 + 1 + …`, `a AND b AND …`, `x::t::t…`)
/// and of set operations nest one level per link, and `sqlparser` builds
/// them in a loop, outside [`RECURSION_LIMIT`]; dropping, cloning or
/// printing such a tree recurses as deep, and cannot stop with an error.
/// A session's stack leaves room for this many levels of that (see
/// `crate::txn::wait`); the binder and evaluation check their own depth.
/// Chain links take two tokens at least (an operator and an operand), so
/// a chain of 50,000 links is read (PostgreSQL reads any AND chain, and
/// fails on an arithmetic one of about 5,000).
const MAX_NESTING: usize = 100_000;

/// A parsed statement: `sqlparser`'s, or one of PostgreSQL's that it does not know.
#[derive(Clone, Debug)]
pub enum Parsed {
    Sql(Box<Statement>),
    /// `CHECKPOINT`
    Checkpoint,
    /// `CREATE USER name [WITH] options…`: `CREATE ROLE` that logs in by
    /// default (`sqlparser` reads CREATE USER in another dialect's grammar).
    CreateUser(Box<sqlparser::ast::CreateRole>),
    /// `COPY`, parsed by [`super::copy::syntax`] (its options are wider than `sqlparser`'s).
    Copy(Box<super::copy::syntax::CopyAst>),
    /// `VACUUM [(options)] [FULL] [FREEZE] [VERBOSE] [ANALYZE] [tables]` or
    /// `ANALYZE [VERBOSE] [tables]` (PostgreSQL's grammar, which
    /// `sqlparser` does not have).
    Vacuum {
        vacuum: bool,
        analyze: bool,
        full: bool,
        tables: Vec<sqlparser::ast::ObjectName>,
    },
    /// `REINDEX [(VERBOSE)] {INDEX | TABLE} [CONCURRENTLY] name` (no
    /// grammar in `sqlparser`).
    Reindex {
        /// TABLE (every index of the table) rather than INDEX.
        table: bool,
        name: sqlparser::ast::ObjectName,
        /// `CONCURRENTLY` (or the option `(CONCURRENTLY)`).
        concurrently: bool,
        /// A form that parses but is not built (refused with 0A000 when bound).
        unsupported: Option<&'static str>,
    },
    /// `ALTER SEQUENCE [IF EXISTS] name options…` (no grammar in `sqlparser`):
    /// the options CREATE SEQUENCE takes, and `RESTART [[WITH] n]`.
    AlterSequence {
        if_exists: bool,
        name: sqlparser::ast::ObjectName,
        options: Vec<sqlparser::ast::SequenceOptions>,
        /// `RESTART` (`Some(None)`) or `RESTART [WITH] n`.
        restart: Option<Box<Option<sqlparser::ast::Expr>>>,
    },
    /// `CREATE`, `DROP` or `ALTER DATABASE` ([`super::database`]).
    Database(super::database::DatabaseStmt),
    /// `ALTER ROLE … SET | RESET …` ([`super::db_role_setting`]).
    RoleSetting(Box<super::db_role_setting::AlterSetting>),
    /// `CREATE`, `DROP` or `ALTER DOMAIN` ([`super::domain`]).
    Domain(Box<super::domain::DomainSyntax>),
    /// A statement PostgreSQL has that is not built: refused (0A000) when
    /// bound.
    Unsupported(&'static str),
    /// `DROP INDEX CONCURRENTLY [IF EXISTS] names… [CASCADE | RESTRICT]`
    /// (`sqlparser` has no CONCURRENTLY there).
    DropIndexConcurrently {
        if_exists: bool,
        names: Vec<sqlparser::ast::ObjectName>,
        cascade: bool,
    },
    /// `BEGIN`, `START TRANSACTION` or `SET TRANSACTION` with a
    /// `[NOT] DEFERRABLE` mode (which `sqlparser` does not know); the
    /// other forms are `sqlparser`'s.
    TransactionModes {
        /// `SET TRANSACTION` rather than a start.
        set: bool,
        /// `START TRANSACTION` rather than `BEGIN`.
        start: bool,
        isolation: Option<String>,
        read_only: Option<bool>,
        deferrable: bool,
    },
    /// `CREATE TABLE name (… LIKE source [INCLUDING | EXCLUDING option]… …)`:
    /// the statement without its LIKE clauses, and each clause with the
    /// number of column definitions written before it.
    CreateTableLike {
        table: Box<sqlparser::ast::CreateTable>,
        likes: Vec<(usize, LikeClause)>,
    },
    /// `ALTER TABLE [IF EXISTS] [ONLY] name ALTER [COLUMN] column SET
    /// STATISTICS n` (no grammar in `sqlparser`).
    SetStatistics {
        if_exists: bool,
        name: sqlparser::ast::ObjectName,
        column: sqlparser::ast::Ident,
        target: i64,
    },
    /// `ALTER TABLE [IF EXISTS] [ONLY] name ALTER [COLUMN] column` with an
    /// identity column's changes (no grammar in `sqlparser`): `DROP
    /// IDENTITY [IF EXISTS]` (`drop`: `Some(if_exists)`), or any of `SET
    /// GENERATED {ALWAYS | BY DEFAULT}`, `SET` sequence option and `RESTART
    /// [[WITH] n]`.
    AlterIdentity(Box<AlterIdentity>),
    /// `SET CONSTRAINTS { ALL | name [, …] } { DEFERRED | IMMEDIATE }` (no
    /// grammar in `sqlparser`); `names` is `None` for ALL.
    SetConstraints {
        names: Option<Vec<sqlparser::ast::ObjectName>>,
        deferred: bool,
    },
    /// `ALTER TABLE [IF EXISTS] [ONLY] name ALTER CONSTRAINT c [NOT]
    /// DEFERRABLE [INITIALLY …]` (no grammar in `sqlparser`).
    AlterConstraint {
        if_exists: bool,
        table: sqlparser::ast::ObjectName,
        name: sqlparser::ast::Ident,
        characteristics: Option<sqlparser::ast::ConstraintCharacteristics>,
    },
    /// `ALTER {TABLE | VIEW | SEQUENCE} [IF EXISTS] name SET SCHEMA schema`
    /// (no grammar in `sqlparser` for tables and sequences).
    SetSchema {
        /// `TABLE`, `VIEW` or `SEQUENCE`.
        kind: Keyword,
        if_exists: bool,
        name: sqlparser::ast::ObjectName,
        schema: sqlparser::ast::Ident,
    },
}

/// [`Parsed::AlterIdentity`]'s parts.
#[derive(Clone, Debug)]
pub struct AlterIdentity {
    pub if_exists: bool,
    pub name: sqlparser::ast::ObjectName,
    pub column: sqlparser::ast::Ident,
    /// `DROP IDENTITY`, with whether `IF EXISTS` was given.
    pub drop: Option<bool>,
    /// `SET GENERATED ALWAYS` (`a`) or `BY DEFAULT` (`d`).
    pub generated: Option<u8>,
    pub options: Vec<sqlparser::ast::SequenceOptions>,
    /// `RESTART` (`Some(None)`) or `RESTART [WITH] n`.
    pub restart: Option<Option<sqlparser::ast::Expr>>,
}

/// A `LIKE source` table element: which of the source's properties the
/// new table copies besides its columns' names, types and NOT NULL.
#[derive(Clone, Debug)]
pub struct LikeClause {
    pub source: sqlparser::ast::ObjectName,
    pub defaults: bool,
    pub constraints: bool,
    pub indexes: bool,
    pub identity: bool,
}

/// Parse a query string that may hold several statements.
pub fn parse(sql: &str) -> Result<Vec<Parsed>> {
    parse_sql(sql)
}

fn parse_sql(sql: &str) -> Result<Vec<Parsed>> {
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql).tokenize_with_location().map_err(|e| syntax_error(sql, e.into()))?;
    let nesting = nesting_bound(&tokens);
    if nesting > MAX_NESTING {
        return Err(crate::txn::wait::stack_depth_exceeded());
    }
    if nesting > DEEP_NESTING {
        crate::txn::wait::release_stack_after();
    }
    let mut p = Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(mark_field_stars(mark_group_by_quantifier(mark_locking_clauses(tokens))));
    parse_statements(&mut p).map_err(|e| syntax_error(sql, e))
}

/// A parser over SQL that tusk stored itself (a column default, a CHECK
/// constraint, an index expression, a view's definition), allowing the
/// nesting that a client's statement is allowed: what was accepted when
/// written must parse again when read.
pub fn stored_text_parser(text: &str) -> std::result::Result<Parser<'static>, ParserError> {
    Parser::new(&PostgreSqlDialect {}).with_recursion_limit(RECURSION_LIMIT).try_with_sql(text)
}

/// Past this [`nesting_bound`], the session's stack may be touched deep
/// down while the statement is handled; it is given back afterwards
/// rather than kept for the next message.
const DEEP_NESTING: usize = 10_000;

/// An upper bound on how deep the syntax tree of `tokens` nests, without
/// parsing them. Items of a comma-separated list are siblings, so within
/// each bracket the deepest item counts: an item's tokens (every one may
/// be a link of an operator chain) plus its deepest bracket. A chain of
/// `UNION`, `INTERSECT` or `EXCEPT` links items across commas: its links
/// are added to the bracket's depth.
fn nesting_bound(tokens: &[TokenWithSpan]) -> usize {
    #[derive(Default)]
    struct Bracket {
        /// Tokens of the current item.
        tokens: usize,
        /// The deepest bracket closed in the current item.
        inner: usize,
        /// The deepest item so far.
        deepest: usize,
        set_operations: usize,
    }
    impl Bracket {
        fn end_item(&mut self) {
            self.deepest = self.deepest.max(self.tokens + self.inner);
            self.tokens = 0;
            self.inner = 0;
        }
        fn depth(mut self) -> usize {
            self.end_item();
            self.deepest + self.set_operations + 1
        }
    }
    let mut open = vec![Bracket::default()];
    let mut deepest = 0;
    for t in tokens {
        match &t.token {
            Token::Whitespace(_) => {}
            Token::LParen | Token::LBracket | Token::LBrace => open.push(Bracket::default()),
            Token::RParen | Token::RBracket | Token::RBrace if open.len() > 1 => {
                let depth = open.pop().map_or(0, Bracket::depth);
                if let Some(b) = open.last_mut() {
                    b.tokens += 1;
                    b.inner = b.inner.max(depth);
                }
            }
            Token::Comma => open.last_mut().into_iter().for_each(Bracket::end_item),
            Token::SemiColon if open.len() == 1 => {
                deepest = deepest.max(open.pop().map_or(0, Bracket::depth));
                open.push(Bracket::default());
            }
            Token::Word(w) if matches!(w.keyword, Keyword::UNION | Keyword::INTERSECT | Keyword::EXCEPT) => {
                open.last_mut().into_iter().for_each(|b| b.set_operations += 1)
            }
            _ => open.last_mut().into_iter().for_each(|b| b.tokens += 1),
        }
    }
    // Brackets left open (a syntax error the parser reports) nest too.
    while let Some(b) = open.pop() {
        let depth = b.depth();
        match open.last_mut() {
            Some(outer) => outer.inner = outer.inner.max(depth),
            None => deepest = deepest.max(depth),
        }
    }
    deepest
}

/// The field name `(r).*` is read with: `sqlparser` takes no `.*` after
/// a parenthesised expression, so the `*` becomes this (quoted) field name,
/// which the binder expands into the row's fields. It starts with a
/// control character, which no identifier a client writes unquoted has
/// (a quoted `"\u{1}*"` would be read as the same marker).
pub const FIELD_STAR: &str = "\u{1}*";

/// `(expr).*` as `(expr)."<FIELD_STAR>"`.
fn mark_field_stars(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    // Whitespace skipped: whether the token before was `)`, and whether
    // the two before were `)` and `.`.
    let (mut paren, mut paren_period) = (false, false);
    for t in &mut tokens {
        if matches!(t.token, Token::Whitespace(_)) {
            continue;
        }
        if paren_period && matches!(t.token, Token::Mul) {
            t.token = Token::Word(Word {
                value: FIELD_STAR.to_string(),
                quote_style: Some('"'),
                keyword: Keyword::NoKeyword,
            });
        }
        paren_period = paren && matches!(t.token, Token::Period);
        paren = matches!(t.token, Token::RParen);
    }
    tokens
}

/// The quoted name `GROUP BY DISTINCT` is read as: `sqlparser` has no
/// set quantifier after GROUP BY, so `DISTINCT` becomes a first GROUP BY
/// item of this name, which the binder takes off again (`ALL`, the
/// default, is dropped). It starts with a control character, as
/// [`FIELD_STAR`] does.
pub const GROUP_BY_DISTINCT: &str = "\u{1}distinct";

/// `GROUP BY DISTINCT …` as `GROUP BY "<GROUP_BY_DISTINCT>", …` and
/// `GROUP BY ALL …` as `GROUP BY …`.
fn mark_group_by_quantifier(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let is =
        |t: &TokenWithSpan, k: Keyword| matches!(&t.token, Token::Word(w) if w.quote_style.is_none() && w.keyword == k);
    let solid = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_));
    let any = tokens.iter().any(|t| is(t, Keyword::DISTINCT) || is(t, Keyword::ALL));
    if !any {
        return tokens;
    }
    // One pass, copying: the last two tokens that were not whitespace
    // tell whether this one follows GROUP BY.
    let mut out = Vec::with_capacity(tokens.len() + 1);
    let (mut before_last, mut last): (Option<usize>, Option<usize>) = (None, None);
    for t in tokens {
        let after_group_by = matches!((before_last, last), (Some(a), Some(b))
            if is(&out[a], Keyword::GROUP) && is(&out[b], Keyword::BY));
        if after_group_by && is(&t, Keyword::ALL) {
            continue;
        }
        if after_group_by && is(&t, Keyword::DISTINCT) {
            let span = t.span;
            out.push(TokenWithSpan {
                token: Token::Word(Word {
                    value: GROUP_BY_DISTINCT.to_string(),
                    quote_style: Some('"'),
                    keyword: Keyword::NoKeyword,
                }),
                span,
            });
            out.push(TokenWithSpan { token: Token::Comma, span });
            (before_last, last) = (Some(out.len() - 2), Some(out.len() - 1));
            continue;
        }
        let keep = solid(&t);
        out.push(t);
        if keep {
            (before_last, last) = (last, Some(out.len() - 1));
        }
    }
    out
}

/// Starts the first part of a locking clause's `OF` name that carries what
/// `sqlparser` cannot parse: the strength (`FOR NO KEY UPDATE` and
/// `FOR KEY SHARE`) and several relation names. No identifier a client
/// sends can hold it.
pub const LOCK_MARK: char = '\0';
/// Separates the relation names of a marked `OF` name.
pub const LOCK_NAME_SEPARATOR: &str = "\0,";

/// Rewrite `FOR NO KEY UPDATE` and `FOR KEY SHARE` as `FOR UPDATE` and
/// `FOR SHARE`, and a locking clause's `OF a, b` list as one name, with
/// what was rewritten marked in that name (read back by the binder).
fn mark_locking_clauses(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let is =
        |t: &TokenWithSpan, k: Keyword| matches!(&t.token, Token::Word(w) if w.quote_style.is_none() && w.keyword == k);
    let word = |value: String, span| TokenWithSpan {
        token: Token::Word(Word { value, quote_style: Some('"'), keyword: Keyword::NoKeyword }),
        span,
    };
    let solid: Vec<usize> = (0..tokens.len()).filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_))).collect();
    let at = |k: usize| solid.get(k).map(|&i| &tokens[i]);
    let mut out = Vec::new();
    let mut next = 0; // the next token to copy
    let mut k = 0;
    while k < solid.len() {
        let Some(t) = at(k) else { break };
        if !is(t, Keyword::FOR) {
            k += 1;
            continue;
        }
        let (strength, kind, len) = match (at(k + 1), at(k + 2), at(k + 3)) {
            (Some(a), Some(b), Some(c)) if is(a, Keyword::NO) && is(b, Keyword::KEY) && is(c, Keyword::UPDATE) => {
                (Some("no key update"), Keyword::UPDATE, 3)
            }
            (Some(a), Some(b), _) if is(a, Keyword::KEY) && is(b, Keyword::SHARE) => {
                (Some("key share"), Keyword::SHARE, 2)
            }
            (Some(a), ..) if is(a, Keyword::UPDATE) => (None, Keyword::UPDATE, 1),
            (Some(a), ..) if is(a, Keyword::SHARE) => (None, Keyword::SHARE, 1),
            _ => {
                k += 1;
                continue;
            }
        };
        // The OF list: names of dotted parts, separated by commas.
        let mut end = k + 1 + len;
        let mut names: Vec<Vec<TokenWithSpan>> = Vec::new();
        if at(end).is_some_and(|t| is(t, Keyword::OF)) {
            end += 1;
            let mut name = Vec::new();
            while let Some(t) = at(end) {
                if !matches!(t.token, Token::Word(_)) {
                    break;
                }
                name.push(t.clone());
                end += 1;
                match at(end).map(|t| &t.token) {
                    Some(Token::Period) => {
                        name.push(tokens[solid[end]].clone());
                        end += 1;
                    }
                    Some(Token::Comma) => {
                        names.push(std::mem::take(&mut name));
                        end += 1;
                    }
                    _ => break,
                }
            }
            names.push(name);
        }
        if strength.is_none() && names.len() <= 1 {
            k = end;
            continue;
        }
        let span = t.span;
        out.extend(tokens[next..solid[k]].iter().cloned());
        out.push(t.clone());
        let kw = if kind == Keyword::UPDATE { "UPDATE" } else { "SHARE" };
        out.push(TokenWithSpan {
            token: Token::Word(Word { value: kw.into(), quote_style: None, keyword: kind }),
            span,
        });
        out.push(TokenWithSpan { token: Token::Whitespace(Whitespace::Space), span });
        out.push(TokenWithSpan { token: Token::make_keyword("OF"), span });
        out.push(TokenWithSpan { token: Token::Whitespace(Whitespace::Space), span });
        out.push(word(format!("{LOCK_MARK}{}", strength.unwrap_or("")), span));
        for name in names.into_iter().filter(|n| !n.is_empty()) {
            out.push(TokenWithSpan { token: Token::Period, span });
            out.push(word(LOCK_NAME_SEPARATOR.into(), span));
            out.push(TokenWithSpan { token: Token::Period, span });
            out.extend(name);
        }
        out.push(TokenWithSpan { token: Token::Whitespace(Whitespace::Space), span });
        next = solid.get(end).copied().unwrap_or(tokens.len());
        k = end;
    }
    if out.is_empty() {
        // Nothing rewritten (the usual case): the tokens as they came.
        return tokens;
    }
    out.extend(tokens[next..].iter().cloned());
    out
}

/// `Parser::parse_statements`, with COPY parsed by tusk.
fn parse_statements(p: &mut Parser<'_>) -> Result<Vec<Parsed>, ParserError> {
    let mut out = Vec::new();
    let mut expecting_delimiter = false;
    loop {
        while p.consume_token(&Token::SemiColon) {
            expecting_delimiter = false;
        }
        if p.peek_token_ref().token == Token::EOF {
            break;
        }
        if expecting_delimiter {
            return p.expected_ref("end of statement", p.peek_token_ref());
        }
        if p.parse_keyword(Keyword::COPY) {
            out.push(Parsed::Copy(Box::new(super::copy::syntax::parse_copy(p)?)));
        } else if p.parse_keyword(Keyword::VACUUM) {
            out.push(parse_vacuum(p, true)?);
        } else if p.parse_keyword(Keyword::ANALYZE) {
            out.push(parse_vacuum(p, false)?);
        } else if matches!(&p.peek_token_ref().token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("reindex"))
        {
            p.next_token();
            out.push(parse_reindex(p)?);
        } else if matches!(
            p.peek_tokens_ref::<3>().map(|t| match &t.token {
                Token::Word(w) => w.keyword,
                _ => Keyword::NoKeyword,
            }),
            [Keyword::DROP, Keyword::INDEX, Keyword::CONCURRENTLY]
        ) {
            for _ in 0..3 {
                p.next_token();
            }
            out.push(parse_drop_index_concurrently(p)?);
        } else if super::database::starts_database_statement(p) {
            out.push(Parsed::Database(super::database::parse_database_statement(p)?));
        } else if super::db_role_setting::starts_role_setting(p) {
            out.push(Parsed::RoleSetting(Box::new(super::db_role_setting::parse_role_setting(p)?)));
        } else if super::domain::starts_domain_statement(p) {
            out.push(Parsed::Domain(Box::new(super::domain::parse_domain_statement(p)?)));
        } else if let Some(what) = super::domain::skip_unbuilt_statement(p) {
            out.push(Parsed::Unsupported(what));
        } else if let Some(extension) = parse_extension(p)? {
            out.push(extension);
        } else if p.parse_keywords(&[Keyword::RESET, Keyword::TIME, Keyword::ZONE]) {
            // `RESET TIME ZONE`, PostgreSQL's spelling of `RESET timezone`.
            let name = sqlparser::ast::ObjectName::from(vec![sqlparser::ast::Ident::new("timezone")]);
            let reset = sqlparser::ast::Reset::ConfigurationParameter(name);
            out.push(Parsed::Sql(Box::new(Statement::Reset(sqlparser::ast::ResetStatement { reset }))));
        } else if matches!(
            p.peek_tokens_ref::<2>().map(|t| match &t.token {
                Token::Word(w) => w.keyword,
                _ => Keyword::NoKeyword,
            }),
            [Keyword::ALTER, Keyword::SEQUENCE]
        ) {
            p.next_token();
            p.next_token();
            out.push(parse_alter_sequence(p)?);
        } else if matches!(
            p.peek_tokens_ref::<2>().map(|t| match &t.token {
                Token::Word(w) => w.keyword,
                _ => Keyword::NoKeyword,
            }),
            [Keyword::CREATE, Keyword::USER]
        ) {
            p.next_token();
            p.next_token();
            let create = p.parse_create_role(sqlparser::ast::RoleKeyword::Role)?;
            out.push(Parsed::CreateUser(Box::new(create)));
        } else if matches!(&p.peek_token_ref().token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("checkpoint"))
        {
            // `CHECKPOINT` (no grammar in sqlparser), anywhere in a query string.
            p.next_token();
            out.push(Parsed::Checkpoint);
        } else {
            out.push(Parsed::Sql(Box::new(p.parse_statement()?)));
        }
        expecting_delimiter = true;
    }
    Ok(out)
}

/// One of the statement forms [`parse_extension`] tries.
type Extension = fn(&mut Parser<'_>) -> Result<Parsed, ParserError>;

/// A statement of the forms tusk parses itself where `sqlparser` falls
/// short, tried in turn (`None`: none of them, for `sqlparser` to parse).
/// Each starts with one of a few keywords; other statements skip the
/// attempts, whose failures each cost a formatted error message.
fn parse_extension(p: &mut Parser<'_>) -> Result<Option<Parsed>, ParserError> {
    let lead = match &p.peek_token_ref().token {
        Token::Word(w) => w.keyword,
        _ => Keyword::NoKeyword,
    };
    if !matches!(lead, Keyword::BEGIN | Keyword::START | Keyword::SET | Keyword::ALTER | Keyword::CREATE) {
        return Ok(None);
    }
    let attempts: [Extension; 9] = [
        parse_deferrable_modes,
        parse_set_schema,
        parse_create_table_as,
        parse_create_table_like,
        parse_set_statistics,
        parse_alter_identity,
        parse_set_constraints,
        parse_alter_constraint,
        parse_schema_elements,
    ];
    for attempt in attempts {
        if let Some(parsed) = p.maybe_parse(attempt)? {
            return Ok(Some(parsed));
        }
    }
    Ok(None)
}

/// `BEGIN [WORK | TRANSACTION]`, `START TRANSACTION` or `SET TRANSACTION`
/// with transaction modes of which one is `[NOT] DEFERRABLE` (without one,
/// this fails and `sqlparser` parses the statement).
fn parse_deferrable_modes(p: &mut Parser<'_>) -> Result<Parsed, ParserError> {
    let (set, start) = if p.parse_keyword(Keyword::BEGIN) {
        _ = p.parse_one_of_keywords(&[Keyword::WORK, Keyword::TRANSACTION]);
        (false, false)
    } else if p.parse_keywords(&[Keyword::START, Keyword::TRANSACTION]) {
        (false, true)
    } else {
        p.expect_keywords(&[Keyword::SET, Keyword::TRANSACTION])?;
        (true, false)
    };
    let (mut isolation, mut read_only, mut deferrable) = (None, None, None);
    loop {
        if p.parse_keywords(&[Keyword::ISOLATION, Keyword::LEVEL]) {
            let level = if p.parse_keyword(Keyword::SERIALIZABLE) {
                "serializable"
            } else if p.parse_keywords(&[Keyword::REPEATABLE, Keyword::READ]) {
                "repeatable read"
            } else if p.parse_keywords(&[Keyword::READ, Keyword::COMMITTED]) {
                "read committed"
            } else {
                p.expect_keywords(&[Keyword::READ, Keyword::UNCOMMITTED])?;
                "read uncommitted"
            };
            isolation = Some(level.to_string());
        } else if p.parse_keywords(&[Keyword::READ, Keyword::ONLY]) {
            read_only = Some(true);
        } else if p.parse_keywords(&[Keyword::READ, Keyword::WRITE]) {
            read_only = Some(false);
        } else if p.parse_keyword(Keyword::DEFERRABLE) {
            deferrable = Some(true);
        } else if p.parse_keywords(&[Keyword::NOT, Keyword::DEFERRABLE]) {
            deferrable = Some(false);
        } else {
            break;
        }
        _ = p.consume_token(&Token::Comma);
    }
    let Some(deferrable) = deferrable else { return p.expected_ref("DEFERRABLE", p.peek_token_ref()) };
    expect_end(p)?;
    Ok(Parsed::TransactionModes { set, start, isolation, read_only, deferrable })
}

/// The rest of a REINDEX statement. SCHEMA, DATABASE and SYSTEM parse,
/// and are refused when bound.
fn parse_reindex(p: &mut Parser<'_>) -> Result<Parsed, ParserError> {
    let mut unsupported = None;
    let mut concurrently = false;
    if p.consume_token(&Token::LParen) {
        loop {
            let option = p.parse_identifier()?.value.to_ascii_lowercase();
            if !matches!(&p.peek_token_ref().token, Token::Comma | Token::RParen) {
                p.parse_expr()?;
            }
            match option.as_str() {
                "verbose" => {}
                "concurrently" => concurrently = true,
                "tablespace" => unsupported = Some("REINDEX with TABLESPACE"),
                _ => return Err(ParserError::ParserError(format!("unrecognized REINDEX option \"{option}\""))),
            }
            if p.consume_token(&Token::RParen) {
                break;
            }
            p.expect_token(&Token::Comma)?;
        }
    }
    let kinds = [Keyword::INDEX, Keyword::TABLE, Keyword::SCHEMA, Keyword::DATABASE, Keyword::SYSTEM];
    let table = match p.parse_one_of_keywords(&kinds) {
        Some(Keyword::INDEX) => false,
        Some(Keyword::TABLE) => true,
        Some(Keyword::SCHEMA) => unsupported.replace("REINDEX SCHEMA").is_none(),
        Some(_) => unsupported.replace("REINDEX DATABASE and SYSTEM").is_none(),
        None => return p.expected_ref("INDEX, TABLE, SCHEMA, DATABASE or SYSTEM", p.peek_token_ref()),
    };
    if p.parse_keyword(Keyword::CONCURRENTLY) {
        concurrently = true;
    }
    // REINDEX DATABASE and SYSTEM may omit the name.
    let name = match p.peek_token_ref().token {
        Token::EOF | Token::SemiColon => sqlparser::ast::ObjectName::from(vec![]),
        _ => p.parse_object_name(false)?,
    };
    Ok(Parsed::Reindex { table, name, concurrently, unsupported })
}

/// The rest of `DROP INDEX CONCURRENTLY` (after those three words).
fn parse_drop_index_concurrently(p: &mut Parser<'_>) -> Result<Parsed, ParserError> {
    let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
    let names = p.parse_comma_separated(|p| p.parse_object_name(false))?;
    let cascade = matches!(p.parse_one_of_keywords(&[Keyword::CASCADE, Keyword::RESTRICT]), Some(Keyword::CASCADE));
    Ok(Parsed::DropIndexConcurrently { if_exists, names, cascade })
}

/// `ALTER {TABLE | VIEW | SEQUENCE} [IF EXISTS] name SET SCHEMA schema`,
/// whole; an error (the caller then parses the statement otherwise) if it
/// is another statement.
fn parse_set_schema(p: &mut Parser<'_>) -> Result<Parsed, ParserError> {
    p.expect_keyword(Keyword::ALTER)?;
    let Some(kind) = p.parse_one_of_keywords(&[Keyword::TABLE, Keyword::VIEW, Keyword::SEQUENCE]) else {
        return p.expected_ref("TABLE, VIEW or SEQUENCE", p.peek_token_ref());
    };
    let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
    let name = p.parse_object_name(false)?;
    p.expect_keywords(&[Keyword::SET, Keyword::SCHEMA])?;
    let schema = p.parse_identifier()?;
    if !matches!(p.peek_token_ref().token, Token::EOF | Token::SemiColon) {
        return p.expected_ref("end of statement", p.peek_token_ref());
    }
    Ok(Parsed::SetSchema { kind, if_exists, name, schema })
}

/// `CREATE [[GLOBAL | LOCAL] {TEMP | TEMPORARY} | UNLOGGED] TABLE [IF NOT
/// EXISTS] name [(column names)] [WITH (options)] [ON COMMIT …] AS
/// {query | EXECUTE …} [WITH [NO] DATA]`, whole: `sqlparser` wants a type
/// for each column of the list, and has no `AS EXECUTE`. An error (the
/// caller then parses the statement otherwise) if it is another statement.
fn parse_create_table_as(p: &mut Parser<'_>) -> Result<Parsed, ParserError> {
    use sqlparser::ast::{ColumnDef, DataType, OnCommit, WithData};
    p.expect_keyword(Keyword::CREATE)?;
    let global = match p.parse_one_of_keywords(&[Keyword::GLOBAL, Keyword::LOCAL]) {
        Some(Keyword::GLOBAL) => Some(true),
        Some(_) => Some(false),
        None => None,
    };
    let temporary = p.parse_one_of_keywords(&[Keyword::TEMP, Keyword::TEMPORARY]).is_some();
    if global.is_some() && !temporary {
        return p.expected_ref("TEMPORARY", p.peek_token_ref());
    }
    let unlogged = !temporary && p.parse_keyword(Keyword::UNLOGGED);
    p.expect_keyword(Keyword::TABLE)?;
    let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = p.parse_object_name(false)?;
    let mut columns = Vec::new();
    if p.consume_token(&Token::LParen) {
        loop {
            let name = p.parse_identifier()?;
            columns.push(ColumnDef { name, data_type: DataType::Unspecified, options: Vec::new() });
            if p.consume_token(&Token::RParen) {
                break;
            }
            p.expect_token(&Token::Comma)?;
        }
    }
    let options = p.parse_options(Keyword::WITH)?;
    let on_commit = if p.parse_keywords(&[Keyword::ON, Keyword::COMMIT]) {
        Some(if p.parse_keywords(&[Keyword::DELETE, Keyword::ROWS]) {
            OnCommit::DeleteRows
        } else if p.parse_keywords(&[Keyword::PRESERVE, Keyword::ROWS]) {
            OnCommit::PreserveRows
        } else {
            p.expect_keyword(Keyword::DROP)?;
            OnCommit::Drop
        })
    } else {
        None
    };
    p.expect_keyword(Keyword::AS)?;
    if p.parse_keyword(Keyword::EXECUTE) {
        while !matches!(p.peek_token_ref().token, Token::EOF | Token::SemiColon) {
            p.next_token();
        }
        return Ok(Parsed::Unsupported("CREATE TABLE … AS EXECUTE"));
    }
    let query = p.parse_query()?;
    let with_data = if p.parse_keywords(&[Keyword::WITH, Keyword::DATA]) {
        Some(WithData { data: true, statistics: None })
    } else if p.parse_keywords(&[Keyword::WITH, Keyword::NO, Keyword::DATA]) {
        Some(WithData { data: false, statistics: None })
    } else {
        None
    };
    expect_end(p)?;
    let ct = new_table(name, options)
        .temporary(temporary)
        .global(global)
        .unlogged(unlogged)
        .if_not_exists(if_not_exists)
        .columns(columns)
        .on_commit(on_commit)
        .query(Some(query))
        .with_data(with_data)
        .build();
    Ok(Parsed::Sql(Box::new(Statement::CreateTable(ct))))
}

/// `CREATE [UNLOGGED] TABLE [IF NOT EXISTS] name (elements) [WITH (options)]`
/// where an element is a `LIKE` clause (which `sqlparser` does not have in
/// PostgreSQL's form), whole; an error (the caller then parses the
/// statement otherwise) if there is no LIKE among the elements.
fn parse_create_table_like(p: &mut Parser<'_>) -> Result<Parsed, ParserError> {
    p.expect_keyword(Keyword::CREATE)?;
    let unlogged = p.parse_keyword(Keyword::UNLOGGED);
    p.expect_keyword(Keyword::TABLE)?;
    let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = p.parse_object_name(false)?;
    p.expect_token(&Token::LParen)?;
    let (mut columns, mut constraints, mut likes) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        if p.parse_keyword(Keyword::LIKE) {
            let mut like = LikeClause {
                source: p.parse_object_name(false)?,
                defaults: false,
                constraints: false,
                indexes: false,
                identity: false,
            };
            while let Some(k) = p.parse_one_of_keywords(&[Keyword::INCLUDING, Keyword::EXCLUDING]) {
                let on = k == Keyword::INCLUDING;
                let option = p.parse_identifier()?.value.to_ascii_lowercase();
                match option.as_str() {
                    "defaults" => like.defaults = on,
                    "constraints" => like.constraints = on,
                    "indexes" => like.indexes = on,
                    "identity" => like.identity = on,
                    "all" => {
                        (like.defaults, like.constraints, like.indexes, like.identity) = (on, on, on, on);
                    }
                    // Nothing of these exists to copy yet (comments are
                    // not copied either).
                    "comments" | "statistics" | "storage" | "compression" | "generated" => {}
                    _ => return p.expected("INCLUDING or EXCLUDING option", p.peek_token()),
                }
            }
            likes.push((columns.len(), like));
        } else if let Some(c) = p.parse_optional_table_constraint()? {
            constraints.push(c);
        } else {
            columns.push(p.parse_column_def()?);
        }
        if p.consume_token(&Token::RParen) {
            break;
        }
        p.expect_token(&Token::Comma)?;
    }
    if likes.is_empty() {
        return p.expected("LIKE", p.peek_token());
    }
    let options = p.parse_options(Keyword::WITH)?;
    expect_end(p)?;
    let table = new_table(name, options)
        .unlogged(unlogged)
        .if_not_exists(if_not_exists)
        .columns(columns)
        .constraints(constraints)
        .build();
    Ok(Parsed::CreateTableLike { table: Box::new(table), likes })
}

/// An error unless the statement ends here.
fn expect_end(p: &mut Parser<'_>) -> Result<(), ParserError> {
    match p.peek_token_ref().token {
        Token::EOF | Token::SemiColon => Ok(()),
        _ => p.expected_ref("end of statement", p.peek_token_ref()),
    }
}

/// A CREATE TABLE statement's builder, with its `WITH (…)` options.
fn new_table(
    name: sqlparser::ast::ObjectName,
    options: Vec<sqlparser::ast::SqlOption>,
) -> sqlparser::ast::helpers::stmt_create_table::CreateTableBuilder {
    use sqlparser::ast::CreateTableOptions;
    let options = if options.is_empty() { CreateTableOptions::None } else { CreateTableOptions::With(options) };
    sqlparser::ast::helpers::stmt_create_table::CreateTableBuilder::new(name).table_options(options)
}

fn parse_set_statistics(p: &mut Parser<'_>) -> Result<Parsed, ParserError> {
    let (if_exists, name, column) = parse_alter_column_head(p)?;
    p.expect_keywords(&[Keyword::SET, Keyword::STATISTICS])?;
    let negative = p.consume_token(&Token::Minus);
    let target = match p.next_token().token {
        Token::Number(n, _) => n.parse::<i64>().map_err(|_| ParserError::ParserError(format!("invalid number {n}")))?,
        _ => return p.expected_ref("an integer", p.peek_token_ref()),
    };
    if !matches!(p.peek_token_ref().token, Token::EOF | Token::SemiColon) {
        return p.expected_ref("end of statement", p.peek_token_ref());
    }
    Ok(Parsed::SetStatistics { if_exists, name, column, target: if negative { -target } else { target } })
}

/// `ALTER TABLE [IF EXISTS] [ONLY] name ALTER [COLUMN] column`, the part
/// before the column's change.
fn parse_alter_column_head(
    p: &mut Parser<'_>,
) -> Result<(bool, sqlparser::ast::ObjectName, sqlparser::ast::Ident), ParserError> {
    p.expect_keywords(&[Keyword::ALTER, Keyword::TABLE])?;
    let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
    let _ = p.parse_keyword(Keyword::ONLY);
    let name = p.parse_object_name(false)?;
    p.expect_keyword(Keyword::ALTER)?;
    let _ = p.parse_keyword(Keyword::COLUMN);
    Ok((if_exists, name, p.parse_identifier()?))
}

/// `ALTER TABLE … ALTER [COLUMN] c DROP IDENTITY [IF EXISTS]`, or `…
/// ALTER [COLUMN] c` followed by `SET GENERATED …`, `SET` sequence options
/// and `RESTART …` in any number and order, whole.
fn parse_alter_identity(p: &mut Parser<'_>) -> Result<Parsed, ParserError> {
    use sqlparser::ast::SequenceOptions as O;
    let (if_exists, name, column) = parse_alter_column_head(p)?;
    let (mut drop, mut generated, mut options, mut restart) = (None, None, Vec::new(), None);
    if p.parse_keywords(&[Keyword::DROP, Keyword::IDENTITY]) {
        drop = Some(p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]));
    } else {
        loop {
            if p.parse_keyword(Keyword::RESTART) {
                let with = p.parse_keyword(Keyword::WITH);
                restart = match p.peek_token_ref().token {
                    Token::Number(..) | Token::Minus | Token::Plus => Some(Some(p.parse_expr()?)),
                    _ if with => return p.expected_ref("a number", p.peek_token_ref()),
                    _ => Some(None),
                };
            } else if p.parse_keywords(&[Keyword::SET, Keyword::GENERATED]) {
                generated = Some(if p.parse_keyword(Keyword::ALWAYS) {
                    b'a'
                } else {
                    p.expect_keywords(&[Keyword::BY, Keyword::DEFAULT])?;
                    b'd'
                });
            } else if p.parse_keyword(Keyword::SET) {
                options.push(if p.parse_keyword(Keyword::INCREMENT) {
                    let by = p.parse_keyword(Keyword::BY);
                    O::IncrementBy(p.parse_expr()?, by)
                } else if p.parse_keyword(Keyword::START) {
                    let with = p.parse_keyword(Keyword::WITH);
                    O::StartWith(p.parse_expr()?, with)
                } else if p.parse_keyword(Keyword::MINVALUE) {
                    O::MinValue(Some(p.parse_expr()?))
                } else if p.parse_keyword(Keyword::MAXVALUE) {
                    O::MaxValue(Some(p.parse_expr()?))
                } else if p.parse_keyword(Keyword::CACHE) {
                    O::Cache(p.parse_expr()?)
                } else if p.parse_keyword(Keyword::CYCLE) {
                    O::Cycle(false)
                } else if p.parse_keywords(&[Keyword::NO, Keyword::MINVALUE]) {
                    O::MinValue(None)
                } else if p.parse_keywords(&[Keyword::NO, Keyword::MAXVALUE]) {
                    O::MaxValue(None)
                } else if p.parse_keywords(&[Keyword::NO, Keyword::CYCLE]) {
                    O::Cycle(true)
                } else {
                    return p.expected_ref("GENERATED or a sequence option", p.peek_token_ref());
                });
            } else {
                break;
            }
        }
        if generated.is_none() && options.is_empty() && restart.is_none() {
            return p.expected_ref("DROP IDENTITY, SET GENERATED or RESTART", p.peek_token_ref());
        }
    }
    if !matches!(p.peek_token_ref().token, Token::EOF | Token::SemiColon) {
        return p.expected_ref("end of statement", p.peek_token_ref());
    }
    Ok(Parsed::AlterIdentity(Box::new(AlterIdentity { if_exists, name, column, drop, generated, options, restart })))
}

/// `SET CONSTRAINTS { ALL | name [, …] } { DEFERRED | IMMEDIATE }`.
fn parse_set_constraints(p: &mut Parser<'_>) -> Result<Parsed, ParserError> {
    p.expect_keyword(Keyword::SET)?;
    match &p.next_token().token {
        Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("constraints") => {}
        _ => return p.expected_ref("CONSTRAINTS", p.peek_token_ref()),
    }
    let names = if p.parse_keyword(Keyword::ALL) {
        None
    } else {
        Some(p.parse_comma_separated(|p| p.parse_object_name(false))?)
    };
    let deferred = p.expect_one_of_keywords(&[Keyword::DEFERRED, Keyword::IMMEDIATE])? == Keyword::DEFERRED;
    Ok(Parsed::SetConstraints { names, deferred })
}

/// `ALTER TABLE [IF EXISTS] [ONLY] name ALTER CONSTRAINT c [NOT] DEFERRABLE
/// [INITIALLY DEFERRED | INITIALLY IMMEDIATE]`.
fn parse_alter_constraint(p: &mut Parser<'_>) -> Result<Parsed, ParserError> {
    p.expect_keywords(&[Keyword::ALTER, Keyword::TABLE])?;
    let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
    let _ = p.parse_keyword(Keyword::ONLY);
    let table = p.parse_object_name(false)?;
    p.expect_keywords(&[Keyword::ALTER, Keyword::CONSTRAINT])?;
    let name = p.parse_identifier()?;
    let characteristics = p.parse_constraint_characteristics()?;
    if !matches!(p.peek_token_ref().token, Token::EOF | Token::SemiColon) {
        return p.expected_ref("end of statement", p.peek_token_ref());
    }
    Ok(Parsed::AlterConstraint { if_exists, table, name, characteristics })
}

/// `CREATE SCHEMA … CREATE …` or `… GRANT …`: schema elements, which
/// `sqlparser` has no grammar for and tusk does not run; the statement is
/// skipped to its end. An error if it is another statement.
fn parse_schema_elements(p: &mut Parser<'_>) -> Result<Parsed, ParserError> {
    p.expect_keywords(&[Keyword::CREATE, Keyword::SCHEMA])?;
    let _ = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    if !p.parse_keyword(Keyword::AUTHORIZATION) {
        p.parse_identifier()?;
        if p.parse_keyword(Keyword::AUTHORIZATION) {
            p.parse_identifier()?;
        }
    } else {
        p.parse_identifier()?;
    }
    if p.parse_one_of_keywords(&[Keyword::CREATE, Keyword::GRANT]).is_none() {
        return p.expected_ref("CREATE or GRANT", p.peek_token_ref());
    }
    while !matches!(p.peek_token_ref().token, Token::EOF | Token::SemiColon) {
        p.next_token();
    }
    Ok(Parsed::Unsupported("CREATE SCHEMA with schema elements"))
}

/// The rest of an ALTER SEQUENCE statement.
fn parse_alter_sequence(p: &mut Parser<'_>) -> Result<Parsed, ParserError> {
    use sqlparser::ast::SequenceOptions as O;
    let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
    let name = p.parse_object_name(false)?;
    let mut options = Vec::new();
    let mut restart = None;
    loop {
        let option = if p.parse_keyword(Keyword::INCREMENT) {
            let by = p.parse_keyword(Keyword::BY);
            O::IncrementBy(p.parse_number()?, by)
        } else if p.parse_keyword(Keyword::MINVALUE) {
            O::MinValue(Some(p.parse_number()?))
        } else if p.parse_keywords(&[Keyword::NO, Keyword::MINVALUE]) {
            O::MinValue(None)
        } else if p.parse_keyword(Keyword::MAXVALUE) {
            O::MaxValue(Some(p.parse_number()?))
        } else if p.parse_keywords(&[Keyword::NO, Keyword::MAXVALUE]) {
            O::MaxValue(None)
        } else if p.parse_keyword(Keyword::START) {
            let with = p.parse_keyword(Keyword::WITH);
            O::StartWith(p.parse_number()?, with)
        } else if p.parse_keyword(Keyword::RESTART) {
            let with = p.parse_keyword(Keyword::WITH);
            let value = match &p.peek_token_ref().token {
                Token::Number(..) | Token::Minus | Token::Plus => Some(p.parse_number()?),
                _ if with => Some(p.parse_number()?),
                _ => None,
            };
            if restart.replace(Box::new(value)).is_some() {
                return Err(ParserError::ParserError("conflicting or redundant options".into()));
            }
            continue;
        } else if p.parse_keyword(Keyword::CACHE) {
            O::Cache(p.parse_number()?)
        } else if p.parse_keywords(&[Keyword::NO, Keyword::CYCLE]) {
            O::Cycle(true)
        } else if p.parse_keyword(Keyword::CYCLE) {
            O::Cycle(false)
        } else if p.parse_keyword(Keyword::AS) {
            O::DataType(p.parse_data_type()?)
        } else if p.parse_keywords(&[Keyword::OWNED, Keyword::BY]) {
            let owner = p.parse_object_name(false)?;
            let none = owner.0.len() == 1 && owner.to_string().eq_ignore_ascii_case("none");
            O::OwnedBy((!none).then_some(owner))
        } else {
            break;
        };
        if options.iter().any(|o| std::mem::discriminant(o) == std::mem::discriminant(&option)) {
            return Err(ParserError::ParserError("conflicting or redundant options".into()));
        }
        options.push(option);
    }
    Ok(Parsed::AlterSequence { if_exists, name, options, restart })
}

/// The rest of a VACUUM (`vacuum`) or ANALYZE statement.
fn parse_vacuum(p: &mut Parser<'_>, vacuum: bool) -> Result<Parsed, ParserError> {
    let (mut analyze, mut full) = (!vacuum, false);
    if p.consume_token(&Token::LParen) {
        loop {
            let option = p.parse_identifier()?.value.to_ascii_lowercase();
            // An optional boolean (or other) argument.
            let on = match &p.peek_token_ref().token {
                Token::Comma | Token::RParen => true,
                _ => !matches!(p.parse_expr()?.to_string().to_ascii_lowercase().as_str(), "false" | "off" | "0"),
            };
            match option.as_str() {
                "analyze" if vacuum => analyze = on,
                "full" if vacuum => full = on,
                "verbose"
                | "freeze"
                | "skip_locked"
                | "index_cleanup"
                | "process_toast"
                | "truncate"
                | "disable_page_skipping"
                | "parallel"
                | "process_main"
                | "buffer_usage_limit" => {}
                _ => {
                    return Err(ParserError::ParserError(format!(
                        "unrecognized {} option \"{option}\"",
                        if vacuum { "VACUUM" } else { "ANALYZE" }
                    )));
                }
            }
            if p.consume_token(&Token::RParen) {
                break;
            }
            p.expect_token(&Token::Comma)?;
        }
    } else {
        full = vacuum && p.parse_keyword(Keyword::FULL);
        let _ = vacuum && p.parse_keyword(Keyword::FREEZE);
        let _ = p.parse_keyword(Keyword::VERBOSE);
        analyze |= vacuum && p.parse_keyword(Keyword::ANALYZE);
    }
    let mut tables = Vec::new();
    if !matches!(p.peek_token_ref().token, Token::EOF | Token::SemiColon) {
        loop {
            tables.push(p.parse_object_name(false)?);
            // A column list (ANALYZE t (a, b)) narrows what is sampled; all are.
            if p.consume_token(&Token::LParen) {
                p.parse_comma_separated(|p| p.parse_identifier())?;
                p.expect_token(&Token::RParen)?;
            }
            if !p.consume_token(&Token::Comma) {
                break;
            }
        }
    }
    Ok(Parsed::Vacuum { vacuum, analyze, full, tables })
}

/// The 1-based character position of a parser location, as PostgreSQL reports it.
pub fn position(sql: &str, loc: Location) -> Option<u32> {
    if loc.line == 0 {
        return None;
    }
    let mut pos = 0u64;
    for (i, line) in sql.split('\n').enumerate() {
        if i as u64 + 1 == loc.line {
            return Some((pos + loc.column) as u32);
        }
        pos += line.chars().count() as u64 + 1;
    }
    None
}

fn syntax_error(sql: &str, e: ParserError) -> Error {
    let msg = match e {
        ParserError::RecursionLimitExceeded => return crate::txn::wait::stack_depth_exceeded(),
        ParserError::ParserError(m) | ParserError::TokenizerError(m) => m,
    };
    // sqlparser's messages end with " at Line: L, Column: C".
    let (body, loc) = match msg.rsplit_once(" at Line: ") {
        Some((body, rest)) => {
            let mut parts = rest.split(", Column: ");
            let line = parts.next().and_then(|l| l.trim().parse().ok()).unwrap_or(0);
            let column = parts.next().and_then(|c| c.trim().parse().ok()).unwrap_or(0);
            (body.to_string(), Location { line, column })
        }
        None => (msg.clone(), Location { line: 0, column: 0 }),
    };
    let end = sql.chars().count() as u32 + 1;
    if let Some((_, found)) = body.rsplit_once("found: ") {
        if found == "EOF" {
            return Error::new(SqlState::SYNTAX_ERROR, "syntax error at end of input").with_position(end);
        }
        let token = found.trim_matches('"');
        // A recursive CTE's SEARCH or CYCLE clause, which sqlparser has no grammar for.
        let after_with = sql.to_ascii_lowercase().contains("with recursive");
        if after_with && (token.eq_ignore_ascii_case("search") || token.eq_ignore_ascii_case("cycle")) {
            let mut e = Error::not_supported(format!("{} clause in WITH", token.to_ascii_uppercase()));
            if let Some(p) = position(sql, loc) {
                e = e.with_position(p);
            }
            return e;
        }
        let mut e = Error::new(SqlState::SYNTAX_ERROR, format!("syntax error at or near \"{token}\""));
        if let Some(p) = position(sql, loc) {
            e = e.with_position(p);
        }
        return e;
    }
    if body.starts_with("Unterminated string literal") {
        let p = position(sql, loc).unwrap_or(end);
        let rest: String = sql.chars().skip(p.saturating_sub(1) as usize).collect();
        return Error::new(SqlState::SYNTAX_ERROR, format!("unterminated quoted string at or near \"{rest}\""))
            .with_position(p);
    }
    let mut e = Error::new(SqlState::SYNTAX_ERROR, format!("syntax error: {}", body.trim()));
    if let Some(p) = position(sql, loc) {
        e = e.with_position(p);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_read_like_postgres() {
        let e = parse("select 1 +* from").unwrap_err();
        assert_eq!(e.code(), SqlState::SYNTAX_ERROR);
        assert!(e.message().starts_with("syntax error at or near"), "{}", e.message());
        let e = parse("selec 1").unwrap_err();
        assert_eq!(e.message(), "syntax error at or near \"selec\"");
        assert_eq!(e.position(), Some(1));
        let e = parse("select (1").unwrap_err();
        assert_eq!(e.message(), "syntax error at end of input");
        assert_eq!(e.position(), Some(10));
    }

    #[test]
    fn several_statements() {
        assert_eq!(parse("select 1; select 2;").unwrap().len(), 2);
        assert_eq!(parse("").unwrap().len(), 0);
    }
}
