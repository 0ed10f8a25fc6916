//! How catalog objects print: the text behind `format_type`,
//! `pg_get_indexdef`, `pg_get_userbyid` and the search path, as
//! PostgreSQL's `format_type.c`, `ruleutils.c` and `namespace.c` print them.
//! The SQL functions themselves are in [`crate::sql::func`]; they reach the
//! parts that read the catalog through `EvalContext`.

use std::fmt::Write;

use super::bootstrap;
use super::system::{INFORMATION_SCHEMA_NAMESPACE, PG_CATALOG_NAMESPACE, PUBLIC_NAMESPACE, SUPERUSER};
use super::{Catalog, Reader};
use crate::error::Result;

/// The bootstrap superuser's `rolname`, the only role there is.
pub const SUPERUSER_NAME: &str = "postgres";

/// The schemas there are, by OID and name.
const NAMESPACES: [(u32, &str); 3] = [
    (PG_CATALOG_NAMESPACE, "pg_catalog"),
    (PUBLIC_NAMESPACE, "public"),
    (INFORMATION_SCHEMA_NAMESPACE, "information_schema"),
];

pub fn namespace_name(oid: u32) -> Option<&'static str> {
    NAMESPACES.iter().find(|n| n.0 == oid).map(|n| n.1)
}

/// The roles there are: the superuser and PostgreSQL's predefined roles
/// (`pg_authid`'s rows).
fn roles() -> Vec<(u32, String)> {
    super::system::authid_rows()
        .into_iter()
        .filter_map(|r| match (&r[0], r[1].as_str()) {
            (crate::sql::types::Datum::Oid(o), Some(n)) => Some((*o, n.to_string())),
            _ => None,
        })
        .collect()
}

pub fn role_name(oid: u32) -> Option<String> {
    roles().into_iter().find(|r| r.0 == oid).map(|r| r.1)
}

pub fn role_oid(name: &str) -> Option<u32> {
    roles().into_iter().find(|r| r.1 == name).map(|r| r.0)
}

/// The databases `pg_database` lists, by OID and name.
const DATABASES: [(u32, &str); 3] = [(5, "postgres"), (1, "template1"), (4, "template0")];

pub fn database_name(oid: u32) -> Option<&'static str> {
    DATABASES.iter().find(|d| d.0 == oid).map(|d| d.1)
}

pub fn database_oid(name: &str) -> Option<u32> {
    DATABASES.iter().find(|d| d.1 == name).map(|d| d.0)
}

/// `pg_get_userbyid`: the role's name, or PostgreSQL's placeholder for an
/// OID that names no role.
pub fn user_name(oid: u32) -> String {
    match oid {
        SUPERUSER => SUPERUSER_NAME.to_string(),
        // The role that owns schema `public`, as in PostgreSQL 15.
        6171 => "pg_database_owner".to_string(),
        _ => format!("unknown (OID={oid})"),
    }
}

/// The schemas a `search_path` setting names that exist, in order, without
/// repeats (`"$user"` is the session user's schema, which never exists yet).
/// With `implicit`, `pg_catalog` comes first unless the path names it, as
/// it is searched first then (`current_schemas(true)`).
pub fn search_path(setting: &str, user: &str, implicit: bool) -> Vec<u32> {
    let mut out = Vec::new();
    for name in search_path_items(setting, user) {
        if let Some(&(oid, _)) = NAMESPACES.iter().find(|n| n.1 == name)
            && !out.contains(&oid)
        {
            out.push(oid);
        }
    }
    if implicit && !out.contains(&PG_CATALOG_NAMESPACE) {
        out.insert(0, PG_CATALOG_NAMESPACE);
    }
    out
}

/// The schema names a `search_path` setting lists, in order, with
/// `"$user"` read as `user`.
pub fn search_path_items(setting: &str, user: &str) -> Vec<String> {
    let mut out = Vec::new();
    for item in setting.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let name = match item.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            Some("$user") => user.to_string(),
            Some(quoted) => quoted.replace("\"\"", "\""),
            None if item == "$user" => user.to_string(),
            None => item.to_ascii_lowercase(),
        };
        out.push(name);
    }
    out
}

/// PostgreSQL's key words that are not unreserved: an identifier spelled
/// like one of them needs quotes.
const KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// `quote_identifier`: the name as SQL must spell it to mean it.
pub fn quote_identifier(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain && !KEYWORDS.contains(&name) { name.to_string() } else { format!("\"{}\"", name.replace('"', "\"\"")) }
}

/// `format_type(oid, typmod)`: a type's SQL name, with its modifier when
/// one is given (`typmod` is `None` when the argument is NULL, which
/// differs from -1 only for `bpchar`). `-` for OID 0 and `???` for an OID
/// that names no type, as PostgreSQL prints them.
pub fn format_type(oid: u32, typmod: Option<i32>) -> String {
    if oid == 0 {
        return "-".to_string();
    }
    let given = typmod.is_some();
    let with_typmod = typmod.is_some_and(|t| t >= 0);
    let typmod = typmod.unwrap_or(-1);
    let Some(naming) = bootstrap::type_naming(oid) else { return "???".to_string() };
    if let Some(elem) = naming.array_of {
        return format!("{}[]", format_type(elem, with_typmod.then_some(typmod)));
    }
    let (name, modifier) = match oid {
        16 => ("boolean", None),
        20 => ("bigint", None),
        21 => ("smallint", None),
        23 => ("integer", None),
        700 => ("real", None),
        701 => ("double precision", None),
        // An explicit -1 means a `bpchar` of any length, which has no
        // `character` spelling.
        1042 if given && !with_typmod => ("bpchar", None),
        1042 => ("character", Some(length_modifier(typmod))),
        1043 => ("character varying", Some(length_modifier(typmod))),
        1700 => ("numeric", Some(numeric_modifier(typmod))),
        1083 => return precision_type("time", typmod, with_typmod, " without time zone"),
        1266 => return precision_type("time", typmod, with_typmod, " with time zone"),
        1114 => return precision_type("timestamp", typmod, with_typmod, " without time zone"),
        1184 => return precision_type("timestamp", typmod, with_typmod, " with time zone"),
        1186 => ("interval", Some(interval_modifier(typmod))),
        _ => return generic_type(naming.typname, typmod, with_typmod),
    };
    match modifier {
        Some(m) if with_typmod => format!("{name}{m}"),
        _ => name.to_string(),
    }
}

/// Whether `pg_type` has a row for `oid`.
pub fn type_exists(oid: u32) -> bool {
    bootstrap::type_naming(oid).is_some()
}

/// What `format_type` needs of a `pg_type` row.
pub struct TypeNaming {
    pub typname: &'static str,
    /// The element type of a true array type (`_name` → `name`).
    pub array_of: Option<u32>,
}

fn generic_type(typname: &str, typmod: i32, with_typmod: bool) -> String {
    let name = quote_identifier(typname);
    if with_typmod { format!("{name}({typmod})") } else { name }
}

/// `bpchar`/`varchar`'s modifier: the length plus the 4-byte header.
fn length_modifier(typmod: i32) -> String {
    if typmod > 4 { format!("({})", typmod - 4) } else { String::new() }
}

/// `numeric`'s modifier: `((precision << 16) | scale) + 4`, the scale an
/// 11-bit signed number.
fn numeric_modifier(typmod: i32) -> String {
    if typmod < 4 {
        return String::new();
    }
    let t = typmod - 4;
    let scale = ((t & 0x7ff) ^ 1024) - 1024;
    format!("({},{scale})", (t >> 16) & 0xffff)
}

fn precision_type(name: &str, typmod: i32, with_typmod: bool, zone: &str) -> String {
    if with_typmod { format!("{name}({typmod}){zone}") } else { format!("{name}{zone}") }
}

/// `interval`'s modifier: a field range in the high 16 bits, a precision
/// (0xFFFF for none) in the low ones.
fn interval_modifier(typmod: i32) -> String {
    const YEAR: i32 = 1 << 2;
    const MONTH: i32 = 1 << 1;
    const DAY: i32 = 1 << 3;
    const HOUR: i32 = 1 << 10;
    const MINUTE: i32 = 1 << 11;
    const SECOND: i32 = 1 << 12;
    if typmod < 0 {
        return String::new();
    }
    let (range, precision) = ((typmod >> 16) & 0x7fff, typmod & 0xffff);
    let fields = match range {
        YEAR => " year",
        MONTH => " month",
        DAY => " day",
        HOUR => " hour",
        MINUTE => " minute",
        SECOND => " second",
        r if r == YEAR | MONTH => " year to month",
        r if r == DAY | HOUR => " day to hour",
        r if r == DAY | HOUR | MINUTE => " day to minute",
        r if r == DAY | HOUR | MINUTE | SECOND => " day to second",
        r if r == HOUR | MINUTE => " hour to minute",
        r if r == HOUR | MINUTE | SECOND => " hour to second",
        r if r == MINUTE | SECOND => " minute to second",
        _ => "",
    };
    let mut out = fields.to_string();
    if precision != 0xffff {
        let _ = write!(out, "({precision})");
    }
    out
}

/// How a definition names a relation's schema (PostgreSQL's
/// `generate_qualified_relation_name` and `generate_relation_name`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qualify {
    /// Not at all: the search path finds the relation.
    Not,
    /// As `pg_temp`: the session's own temporary schema, whatever its number.
    OwnTemp,
    /// By the schema's name.
    Named,
}

impl Catalog {
    /// Schema `namespace` as a definition qualifies a name with it, quoted:
    /// the session's own temporary schema (on its search path `path`) is
    /// `pg_temp` (PostgreSQL's `get_namespace_name_or_temp`).
    pub fn schema_or_temp(&self, namespace: u32, path: &[u32], who: &Reader<'_>) -> Result<String> {
        let name = self.namespace_name(namespace, who)?.unwrap_or_default();
        if super::namespace::is_temp_namespace_name(&name) && path.contains(&namespace) {
            return Ok("pg_temp".to_string());
        }
        Ok(quote_identifier(&name))
    }

    /// `pg_get_indexdef(oid, column, …)`: the `CREATE INDEX` command that
    /// makes index `oid` (`column` 0), or its `column`th key (from 1; empty
    /// past the last). `qualify` says how the table's schema is named;
    /// `pretty` drops the parentheses around the predicate, as
    /// PostgreSQL's pretty form does. `None` when `oid` is no index.
    pub fn index_definition(
        &self,
        oid: u32,
        column: usize,
        qualify: &dyn Fn(u32) -> Qualify,
        pretty: bool,
        who: &Reader<'_>,
    ) -> Result<Option<String>> {
        let Some(table) = self.table_of_index(oid, who)? else { return Ok(None) };
        let Some(index) = table.indexes.iter().find(|i| i.oid == oid) else { return Ok(None) };
        let key = |c: usize| match index.exprs.get(c).and_then(Option::as_ref) {
            Some(e) => e.text.clone(),
            None => quote_identifier(&table.columns[index.columns[c]].name),
        };
        if column > 0 {
            let n = index.columns.len();
            return Ok(Some(match index.include.get(column.wrapping_sub(n + 1)) {
                _ if column <= n => key(column - 1),
                Some(&c) => quote_identifier(&table.columns[c].name),
                None => String::new(),
            }));
        }
        let mut out =
            format!("CREATE {}INDEX {} ON ", if index.unique { "UNIQUE " } else { "" }, quote_identifier(&index.name));
        match qualify(table.namespace) {
            Qualify::Not => {}
            Qualify::OwnTemp => out.push_str("pg_temp."),
            Qualify::Named => {
                out.push_str(&quote_identifier(&self.namespace_name(table.namespace, who)?.unwrap_or_default()));
                out.push('.');
            }
        }
        out.push_str(&quote_identifier(&table.name));
        out.push_str(" USING btree (");
        for (i, order) in index.orders.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            // An expression other than a function call gets parentheses
            // of its own: `lower(t)`, but `((a + 1))`.
            match index.exprs.get(i).and_then(Option::as_ref) {
                Some(e) if !matches!(e.expr, crate::sql::expr::Expr::Call(..)) => {
                    out.push('(');
                    out.push_str(&key(i));
                    out.push(')');
                }
                _ => out.push_str(&key(i)),
            }
            // The default for each direction is left out: NULLS LAST for
            // ascending keys, NULLS FIRST for descending ones.
            out.push_str(match (order.descending, order.nulls_first) {
                (false, false) => "",
                (false, true) => " NULLS FIRST",
                (true, true) => " DESC",
                (true, false) => " DESC NULLS LAST",
            });
        }
        out.push(')');
        if !index.include.is_empty() {
            let names: Vec<String> = index.include.iter().map(|&c| quote_identifier(&table.columns[c].name)).collect();
            out.push_str(&format!(" INCLUDE ({})", names.join(", ")));
        }
        if let Some(p) = &index.predicate {
            out.push_str(" WHERE ");
            out.push_str(if pretty { without_outer_parentheses(&p.text) } else { &p.text });
        }
        Ok(Some(out))
    }
}

impl Catalog {
    /// `pg_get_constraintdef(oid)`: the constraint as `ALTER TABLE … ADD`
    /// would spell it (`PRIMARY KEY (a)`, `UNIQUE (b)`, `FOREIGN KEY (c)
    /// REFERENCES t(a) ON DELETE CASCADE`). `pretty` drops the parentheses
    /// around a CHECK's expression (`CHECK (a > 0)`, not `CHECK ((a > 0))`).
    /// `None` when there is none.
    pub fn constraint_definition(
        &self,
        oid: u32,
        pretty: bool,
        path: &[u32],
        who: &Reader<'_>,
    ) -> Result<Option<String>> {
        let Some((_, con)) = self.constraints(who, &|c| c.oid == oid)?.into_iter().next() else { return Ok(None) };
        let columns_of = |relid: u32, key: &[i16]| -> Result<String> {
            let table = match self.relation_by_oid(relid, who)? {
                Some((name, rel)) => self.lookup_in(rel.namespace, &name, who)?,
                None => None,
            };
            let names: Vec<String> = key
                .iter()
                .map(|&a| {
                    let column = table.as_ref().and_then(|t| t.columns.get((a - 1) as usize));
                    column.map_or_else(|| a.to_string(), |c| quote_identifier(&c.name))
                })
                .collect();
            Ok(names.join(", "))
        };
        let key = columns_of(con.relid, &con.key)?;
        let mut def = match con.kind {
            b'p' => format!("PRIMARY KEY ({key})"),
            b'u' => format!("UNIQUE ({key})"),
            b'f' => {
                let mut out = format!("FOREIGN KEY ({key}) REFERENCES ");
                if let Some((name, rel)) = self.relation_by_oid(con.frelid, who)? {
                    // Qualified only when the search path would not find it.
                    let visible = self.relation_on_path(path, &name, who)?.is_some_and(|r| r.oid == con.frelid);
                    if !visible {
                        out.push_str(&self.schema_or_temp(rel.namespace, path, who)?);
                        out.push('.');
                    }
                    out.push_str(&quote_identifier(&name));
                }
                let _ = write!(out, "({})", columns_of(con.frelid, &con.fkey)?);
                for (action, label) in [(con.update_action, "UPDATE"), (con.delete_action, "DELETE")] {
                    let what = match action {
                        b'r' => "RESTRICT",
                        b'c' => "CASCADE",
                        b'n' => "SET NULL",
                        b'd' => "SET DEFAULT",
                        _ => continue,
                    };
                    let _ = write!(out, " ON {label} {what}");
                }
                out
            }
            b'c' => {
                let check = con.check.as_deref().unwrap_or("true");
                let mut out = format!("CHECK ({})", if pretty { without_outer_parentheses(check) } else { check });
                if con.no_inherit {
                    out.push_str(" NO INHERIT");
                }
                out
            }
            _ => return Ok(None),
        };
        def.push_str(con.deferral.clause());
        if !con.validated {
            def.push_str(" NOT VALID");
        }
        Ok(Some(def))
    }
}

/// `text` without the pair of parentheses around all of it, if it has
/// one: `(c > 0)` → `c > 0`, but `(a) + (b)` stays. Deeper parentheses
/// stay as stored (PostgreSQL's pretty form also drops those that
/// operator precedence makes redundant).
fn without_outer_parentheses(text: &str) -> &str {
    let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else { return text };
    let (mut depth, mut quoted) = (0i32, false);
    for c in inner.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth < 0 {
                    return text;
                }
            }
            _ => {}
        }
    }
    if depth == 0 { inner } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_definitions_lose_only_enclosing_parentheses() {
        assert_eq!(without_outer_parentheses("(c > 0)"), "c > 0");
        assert_eq!(without_outer_parentheses("((a > 0) AND (b < 1))"), "(a > 0) AND (b < 1)");
        assert_eq!(without_outer_parentheses("(a) + (b)"), "(a) + (b)");
        assert_eq!(without_outer_parentheses("(t = ')')"), "t = ')'");
        assert_eq!(without_outer_parentheses("a > 0"), "a > 0");
    }

    #[test]
    fn format_type_matches_postgres() {
        let cases: &[(u32, Option<i32>, &str)] = &[
            (23, Some(-1), "integer"),
            (23, Some(5), "integer"),
            (1043, Some(14), "character varying(10)"),
            (1043, Some(3), "character varying"),
            (1042, Some(9), "character(5)"),
            (1042, Some(-1), "bpchar"),
            (1042, None, "character"),
            (1700, Some(655366), "numeric(10,2)"),
            (1700, Some(655360), "numeric(9,-4)"),
            (1700, Some(3), "numeric"),
            (1114, Some(3), "timestamp(3) without time zone"),
            (1184, None, "timestamp with time zone"),
            (1083, Some(2), "time(2) without time zone"),
            (18, Some(-1), "\"char\""),
            (25, Some(7), "text(7)"),
            (1003, Some(-1), "name[]"),
            (1015, Some(14), "character varying(10)[]"),
            (22, None, "int2vector"),
            (0, None, "-"),
            (99999, None, "???"),
        ];
        for (oid, typmod, want) in cases {
            assert_eq!(format_type(*oid, *typmod), *want, "format_type({oid}, {typmod:?})");
        }
    }

    #[test]
    fn identifiers_are_quoted_when_needed() {
        assert_eq!(quote_identifier("t_pkey"), "t_pkey");
        assert_eq!(quote_identifier("Weird Col"), "\"Weird Col\"");
        assert_eq!(quote_identifier("select"), "\"select\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_identifier("1a"), "\"1a\"");
    }

    #[test]
    fn search_path_lists_existing_schemas() {
        assert_eq!(search_path("\"$user\", public", "postgres", true), vec![PG_CATALOG_NAMESPACE, PUBLIC_NAMESPACE]);
        assert_eq!(search_path("\"$user\", public", "postgres", false), vec![PUBLIC_NAMESPACE]);
        assert_eq!(search_path("public, pg_catalog", "postgres", true), vec![PUBLIC_NAMESPACE, PG_CATALOG_NAMESPACE]);
        assert_eq!(search_path("nosuch", "postgres", false), Vec::<u32>::new());
    }
}
