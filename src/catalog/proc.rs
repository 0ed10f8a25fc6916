//! `pg_proc` and `pg_operator`: the functions and operators tusk has.
//!
//! Both are written at bootstrap and never change (there is no `CREATE
//! FUNCTION` or `CREATE OPERATOR`). Their rows are PostgreSQL 15's own
//! (`bootstrap/pg_proc.tsv`, `bootstrap/pg_operator.tsv`), so OIDs, result
//! and argument types, kinds, volatility and strictness are PostgreSQL's —
//! but only the rows tusk implements are kept:
//!
//! - a plain function's row when [`Func::registry`] has its name with
//!   exactly its argument types among the function's signatures;
//! - an aggregate's or window function's row when the binder knows the
//!   name ([`AggFunc::BY_NAME`], [`WinFunc::BY_NAME`]) and every type it
//!   takes and returns is one tusk has (polymorphic pseudo-types count);
//! - a set-returning function's row likewise, for those callable in FROM;
//! - an operator's row when tusk's operator resolution binds it to the
//!   same result type (checked by `tests/psql.rs` and `sql-tests/pg_proc.slt`).
//!
//! A signature tusk accepts that PostgreSQL does not have is not listed.
//! The text of `pg_get_function_arguments`/`_result` is computed here too.

use std::sync::LazyLock;

use super::system::{
    ACLITEM_ARRAY, CHAR_ARRAY, OID_ARRAY, OIDVECTOR, PG_NODE_TREE, REGPROC, SystemCatalog, TEXT_ARRAY,
};
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::func::Func;
use crate::sql::plan::{AggFunc, WinFunc};
use crate::sql::types::{Datum, PgType, parse_text};

use PgType::{Bool, Char, Float4, Int2, Name, Oid, Text};

pub const PG_PROC: SystemCatalog = SystemCatalog {
    oid: 1255,
    name: "pg_proc",
    columns: &[
        ("oid", Oid),
        ("proname", Name),
        ("pronamespace", Oid),
        ("proowner", Oid),
        ("prolang", Oid),
        ("procost", Float4),
        ("prorows", Float4),
        ("provariadic", Oid),
        ("prosupport", REGPROC),
        ("prokind", Char),
        ("prosecdef", Bool),
        ("proleakproof", Bool),
        ("proisstrict", Bool),
        ("proretset", Bool),
        ("provolatile", Char),
        ("proparallel", Char),
        ("pronargs", Int2),
        ("pronargdefaults", Int2),
        ("prorettype", Oid),
        ("proargtypes", OIDVECTOR),
        ("proallargtypes", OID_ARRAY),
        ("proargmodes", CHAR_ARRAY),
        ("proargnames", TEXT_ARRAY),
        ("proargdefaults", PG_NODE_TREE),
        ("protrftypes", OID_ARRAY),
        ("prosrc", Text),
        ("probin", Text),
        ("prosqlbody", PG_NODE_TREE),
        ("proconfig", TEXT_ARRAY),
        ("proacl", ACLITEM_ARRAY),
    ],
};

pub const PG_OPERATOR: SystemCatalog = SystemCatalog {
    oid: 2617,
    name: "pg_operator",
    columns: &[
        ("oid", Oid),
        ("oprname", Name),
        ("oprnamespace", Oid),
        ("oprowner", Oid),
        ("oprkind", Char),
        ("oprcanmerge", Bool),
        ("oprcanhash", Bool),
        ("oprleft", Oid),
        ("oprright", Oid),
        ("oprresult", Oid),
        ("oprcom", Oid),
        ("oprnegate", Oid),
        ("oprcode", REGPROC),
        ("oprrest", REGPROC),
        ("oprjoin", REGPROC),
    ],
};

/// Set-returning functions callable in FROM.
const SET_RETURNING: &[&str] = &[
    "generate_series",
    "pg_show_all_settings",
    "pg_prepared_statement",
    "pg_get_keywords",
    "json_each",
    "jsonb_each",
    "json_each_text",
    "jsonb_each_text",
    "json_array_elements",
    "jsonb_array_elements",
    "json_array_elements_text",
    "jsonb_array_elements_text",
    "json_object_keys",
    "jsonb_object_keys",
    "pg_snapshot_xip",
    "txid_snapshot_xip",
];

/// The polymorphic pseudo-types (`"any"`, `anyelement`, `anycompatible`,
/// `anynonarray`) that functions of arguments of any type take.
const POLYMORPHIC: &[u32] = &[2276, 2283, 5077, 2776];

/// Parse a COPY-text file of catalog rows (`\N` is NULL).
pub(super) fn parse_rows(text: &str, catalog: &SystemCatalog) -> Vec<Vec<Datum>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            line.split('\t')
                .zip(catalog.columns)
                .map(|(field, (_, ty))| match field {
                    "\\N" => Datum::Null,
                    // The text comes from PostgreSQL's own output of these types.
                    text => parse_text(*ty, text).unwrap_or(Datum::Null),
                })
                .collect()
        })
        .collect()
}

/// One `pg_proc` row's facts that tusk reads back.
#[derive(Clone, Debug)]
pub struct ProcInfo {
    pub oid: u32,
    pub name: String,
    pub kind: u8,
    pub retset: bool,
    pub rettype: u32,
    pub argtypes: Vec<u32>,
    /// `proallargtypes`, `proargmodes`, `proargnames` when present.
    pub all_argtypes: Option<Vec<u32>>,
    pub modes: Option<Vec<String>>,
    pub names: Option<Vec<String>>,
    pub variadic: u32,
}

fn at(name: &str) -> usize {
    PG_PROC.attno(name)
}

fn oid_list(d: &Datum) -> Vec<u32> {
    match d {
        Datum::Array(a) => a
            .items
            .iter()
            .filter_map(|x| match x {
                Datum::Oid(o) => Some(*o),
                _ => None,
            })
            .collect(),
        // oidvector: its text form.
        _ => d.as_str().unwrap_or("").split(' ').filter_map(|s| s.parse().ok()).collect(),
    }
}

fn text_list(d: &Datum) -> Option<Vec<String>> {
    match d {
        Datum::Array(a) => Some(a.items.iter().map(|x| x.to_text()).collect()),
        _ => None,
    }
}

impl ProcInfo {
    fn of(row: &[Datum]) -> ProcInfo {
        let oid = |c: &str| match row[at(c)] {
            Datum::Oid(o) => o,
            _ => 0,
        };
        ProcInfo {
            oid: oid("oid"),
            name: row[at("proname")].as_str().unwrap_or("").to_string(),
            kind: row[at("prokind")].as_str().and_then(|s| s.bytes().next()).unwrap_or(b'f'),
            retset: row[at("proretset")] == Datum::Bool(true),
            rettype: oid("prorettype"),
            argtypes: oid_list(&row[at("proargtypes")]),
            all_argtypes: (!row[at("proallargtypes")].is_null()).then(|| oid_list(&row[at("proallargtypes")])),
            modes: text_list(&row[at("proargmodes")]),
            names: text_list(&row[at("proargnames")]),
            variadic: oid("provariadic"),
        }
    }

    /// Whether tusk implements this function (see the module doc).
    fn implemented(&self, registry: &[(String, Func)]) -> bool {
        let known = |t: &u32| {
            POLYMORPHIC.contains(t) || PgType::from_oid(*t).is_some_and(|t| !matches!(t, PgType::TextForm(_)))
        };
        // `record`, and `anyarray` as the result of `anynonarray` arguments.
        let all_known =
            self.argtypes.iter().all(known) && (known(&self.rettype) || matches!(self.rettype, 2249 | 2277));
        match self.kind {
            b'a' => AggFunc::lookup(&self.name).is_some() && all_known,
            b'w' => WinFunc::lookup(&self.name).is_some() && all_known,
            _ if self.retset => SET_RETURNING.contains(&self.name.as_str()) && self.argtypes.iter().all(known),
            _ => registry.iter().filter(|(n, _)| *n == self.name).any(|(_, f)| {
                let signatures = f.signatures();
                // Functions of arguments of any type have no fixed signatures.
                if signatures.is_empty() {
                    return all_known;
                }
                signatures.iter().any(|(args, ret)| {
                    ret.oid() == self.rettype && args.iter().map(|t| t.oid()).eq(self.argtypes.iter().copied())
                })
            }),
        }
    }
}

/// The `pg_proc` rows of the functions tusk has, in OID order.
static PROC_ROWS: LazyLock<Vec<Vec<Datum>>> = LazyLock::new(|| {
    let registry = Func::registry();
    parse_rows(include_str!("bootstrap/pg_proc.tsv"), &PG_PROC)
        .into_iter()
        .filter(|row| ProcInfo::of(row).implemented(&registry))
        .collect()
});

static PROCS: LazyLock<Vec<ProcInfo>> = LazyLock::new(|| PROC_ROWS.iter().map(|r| ProcInfo::of(r)).collect());

/// The rows bootstrap writes to `pg_proc`.
pub fn proc_rows() -> Vec<Vec<Datum>> {
    PROC_ROWS.clone()
}

static OPERATOR_ROWS: LazyLock<Vec<Vec<Datum>>> =
    LazyLock::new(|| parse_rows(include_str!("bootstrap/pg_operator.tsv"), &PG_OPERATOR));

/// The rows bootstrap writes to `pg_operator`.
pub fn operator_rows() -> Vec<Vec<Datum>> {
    OPERATOR_ROWS.clone()
}

/// Whether tusk has the operator with OID `oid`.
pub fn operator_exists(oid: u32) -> bool {
    OPERATOR_ROWS.iter().any(|r| r[0] == Datum::Oid(oid))
}

/// The functions tusk has, in the order of their rows.
pub fn procs() -> &'static [ProcInfo] {
    &PROCS
}

/// The function with OID `oid`, if tusk has it.
pub fn proc_info(oid: u32) -> Option<&'static ProcInfo> {
    PROCS.iter().find(|p| p.oid == oid)
}

/// `pg_get_function_arguments` (`identity`: `pg_get_function_identity_arguments`,
/// which leaves out OUT arguments). tusk's functions have no defaults.
pub fn function_arguments(p: &ProcInfo, identity: bool) -> String {
    let types = p.all_argtypes.clone().unwrap_or_else(|| p.argtypes.clone());
    let mut out = Vec::new();
    for (i, ty) in types.iter().enumerate() {
        let mode = p.modes.as_ref().and_then(|m| m.get(i)).map_or("i", String::as_str);
        if mode == "t" || (mode == "o" && identity) {
            continue;
        }
        let mut arg = String::from(match mode {
            "o" => "OUT ",
            "b" => "INOUT ",
            "v" => "VARIADIC ",
            _ => "",
        });
        if let Some(name) = p.names.as_ref().and_then(|n| n.get(i)).filter(|n| !n.is_empty()) {
            arg.push_str(&super::describe::quote_identifier(name));
            arg.push(' ');
        }
        arg.push_str(&super::describe::format_type(*ty, None));
        out.push(arg);
    }
    out.join(", ")
}

/// `pg_get_function_result`: the result type, `SETOF type`, or
/// `TABLE(…)` for a set of rows described by TABLE arguments.
pub fn function_result(p: &ProcInfo) -> String {
    if p.retset && p.modes.as_ref().is_some_and(|m| m.iter().any(|m| m == "t")) {
        let types = p.all_argtypes.clone().unwrap_or_default();
        let columns: Vec<String> = types
            .iter()
            .enumerate()
            .filter(|(i, _)| p.modes.as_ref().and_then(|m| m.get(*i)).is_some_and(|m| m == "t"))
            .map(|(i, ty)| {
                let name = p.names.as_ref().and_then(|n| n.get(i)).cloned().unwrap_or_default();
                format!("{} {}", super::describe::quote_identifier(&name), super::describe::format_type(*ty, None))
            })
            .collect();
        return format!("TABLE({})", columns.join(", "));
    }
    let ty = super::describe::format_type(p.rettype, None);
    if p.retset { format!("SETOF {ty}") } else { ty }
}

/// `pg_get_functiondef(oid)`: the `CREATE OR REPLACE FUNCTION` command
/// that would make function `oid`, laid out as PostgreSQL's
/// `pg_get_functiondef` lays it out; `None` for an OID that names no
/// function, 42809 for an aggregate.
pub fn function_definition(oid: u32) -> Result<Option<String>> {
    let Some(row) = PROC_ROWS.iter().find(|r| r[at("oid")] == Datum::Oid(oid)) else {
        return Ok(None);
    };
    let p = ProcInfo::of(row);
    if p.kind == b'a' {
        return Err(err!(SqlState::WRONG_OBJECT_TYPE, "\"{}\" is an aggregate function", p.name));
    }
    let text = |c: &str| row[at(c)].as_str().unwrap_or("");
    let flag = |c: &str| row[at(c)] == Datum::Bool(true);
    let number = |c: &str| match row[at(c)] {
        Datum::Float4(v) => v,
        _ => 0.0,
    };
    let quote = super::describe::quote_identifier;
    let mut def = format!(
        "CREATE OR REPLACE FUNCTION {}.{}({})\n RETURNS {}\n LANGUAGE internal\n",
        quote("pg_catalog"),
        quote(&p.name),
        function_arguments(&p, false),
        function_result(&p),
    );
    let mut options = String::new();
    if p.kind == b'w' {
        options.push_str(" WINDOW");
    }
    options.push_str(match text("provolatile") {
        "i" => " IMMUTABLE",
        "s" => " STABLE",
        _ => "",
    });
    options.push_str(match text("proparallel") {
        "s" => " PARALLEL SAFE",
        "r" => " PARALLEL RESTRICTED",
        _ => "",
    });
    for (column, word) in
        [("proisstrict", " STRICT"), ("prosecdef", " SECURITY DEFINER"), ("proleakproof", " LEAKPROOF")]
    {
        if flag(column) {
            options.push_str(word);
        }
    }
    // The default cost of an internal function is 1.
    if number("procost") != 1.0 {
        options.push_str(&format!(" COST {}", number("procost")));
    }
    let rows = number("prorows");
    if rows > 0.0 && rows != 1000.0 {
        options.push_str(&format!(" ROWS {rows}"));
    }
    if !matches!(text("prosupport"), "" | "-") {
        options.push_str(&format!(" SUPPORT {}", text("prosupport")));
    }
    if !options.is_empty() {
        def.push_str(&options);
        def.push('\n');
    }
    let source = text("prosrc");
    let mut quote_tag = String::from("$function");
    while source.contains(&quote_tag) {
        quote_tag.push('x');
    }
    quote_tag.push('$');
    def.push_str(&format!("AS {quote_tag}{source}{quote_tag}\n"));
    Ok(Some(def))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_functions_have_their_postgres_rows() {
        let abs: Vec<&ProcInfo> = PROCS.iter().filter(|p| p.name == "abs").collect();
        assert_eq!(abs.len(), 6);
        assert!(PROCS.iter().any(|p| p.name == "count" && p.kind == b'a' && p.argtypes.is_empty()));
        assert!(PROCS.iter().any(|p| p.name == "row_number" && p.kind == b'w'));
        assert!(!PROCS.iter().any(|p| p.name == "sum" && p.argtypes == [790]), "money is no tusk type");
    }

    /// Every function name tusk resolves has its `pg_proc` rows (psql's
    /// `\\df` and clients' metadata queries find it), but for the names
    /// PostgreSQL 15 does not have.
    #[test]
    fn every_function_tusk_has_is_listed() {
        // SQL's own syntax in PostgreSQL, not functions.
        const NOT_IN_POSTGRES: &[&str] = &[
            "coalesce",
            "current_catalog",
            "current_date",
            "current_role",
            "current_time",
            "current_timestamp",
            "greatest",
            "least",
            "localtime",
            "localtimestamp",
            "nullif",
            "user",
        ];
        let listed: std::collections::HashSet<&str> = PROCS.iter().map(|p| p.name.as_str()).collect();
        let registry = Func::registry();
        let names = registry
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(AggFunc::BY_NAME.iter().map(|(n, _)| *n))
            .chain(WinFunc::BY_NAME.iter().map(|(n, _)| *n))
            .chain(SET_RETURNING.iter().copied());
        let mut missing: Vec<&str> = names.filter(|n| !listed.contains(n) && !NOT_IN_POSTGRES.contains(n)).collect();
        missing.sort_unstable();
        missing.dedup();
        assert!(missing.is_empty(), "functions without pg_proc rows: {}", missing.join(" "));
    }

    #[test]
    fn arguments_and_results_print_as_postgres() {
        let make_date = PROCS.iter().find(|p| p.name == "make_date").unwrap();
        assert_eq!(function_arguments(make_date, false), "year integer, month integer, day integer");
        assert_eq!(function_result(make_date), "date");
        assert!(!PROCS.iter().any(|p| p.name == "rank" && p.kind == b'a'), "no hypothetical-set aggregates");
    }
}
