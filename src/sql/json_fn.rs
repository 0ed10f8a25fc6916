//! The json and jsonb operators and functions: `-> ->> #> #>>`, `@> <@
//! ? ?| ?&`, `||`, `-`, `#-`, the `to_json`/`*_build_*` constructors,
//! `jsonb_set` and its kin, and the casts from jsonb to SQL scalars. The
//! binder types each call (see `binder/json.rs`); here they compute over
//! [`super::json`]'s values. json (text) arguments are parsed on each call
//! and their parts returned verbatim, as PostgreSQL's json functions do.

use super::json::{self, Jsonb, Node, NodeKind};
use super::types::{Datum, PgType, TextStyle};
use crate::err;
use crate::error::{Error, Result, SqlState};

/// A json/jsonb operation; `jsonb` says which of the two types it is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonFn {
    /// `-> text` / `->> text` (`as_text`).
    Field {
        jsonb: bool,
        as_text: bool,
    },
    /// `-> int` / `->> int`.
    Element {
        jsonb: bool,
        as_text: bool,
    },
    /// `#> text[]` / `#>> text[]`.
    Path {
        jsonb: bool,
        as_text: bool,
    },
    /// `@>`; `<@` is the same with its operands swapped by the binder.
    Contains,
    /// `?`.
    Exists,
    /// `?|` (`all` false) and `?&`.
    ExistsAnyAll {
        all: bool,
    },
    /// `jsonb || jsonb`.
    Concat,
    /// `jsonb - text`.
    DeleteKey,
    /// `jsonb - int`.
    DeleteIndex,
    /// `jsonb - text[]`.
    DeleteKeys,
    /// `#-`.
    DeletePath,
    /// `to_json`, `to_jsonb`. `json_args` has bit `i` set when argument
    /// `i` is of type json (held as text, but JSON rather than a string).
    To {
        jsonb: bool,
        json_args: u64,
    },
    /// `row_to_json(record)`: an object of the row's fields. The binder
    /// adds the field names as a second argument (`text[]`) where it knows
    /// them; without, they are `f1`, `f2`, ….
    RowToJson,
    /// `json_build_object`, `jsonb_build_object`.
    BuildObject {
        jsonb: bool,
        json_args: u64,
    },
    /// `json_build_array`, `jsonb_build_array`.
    BuildArray {
        jsonb: bool,
        json_args: u64,
    },
    /// `json_typeof`, `jsonb_typeof`.
    TypeOf {
        jsonb: bool,
    },
    /// `json_array_length`, `jsonb_array_length`.
    ArrayLength {
        jsonb: bool,
    },
    /// `jsonb_set(target, path, new [, create_missing])`.
    Set,
    /// `jsonb_insert(target, path, new [, insert_after])`.
    Insert,
    /// `json_strip_nulls`, `jsonb_strip_nulls`.
    StripNulls {
        jsonb: bool,
    },
    Pretty,
    /// `gen_random_uuid()`.
    GenRandomUuid,
}

/// The functions by name (the operators are bound from their symbols).
pub const FUNCTIONS: &[(&str, JsonFn)] = &[
    ("to_json", JsonFn::To { jsonb: false, json_args: 0 }),
    ("to_jsonb", JsonFn::To { jsonb: true, json_args: 0 }),
    ("row_to_json", JsonFn::RowToJson),
    ("json_build_object", JsonFn::BuildObject { jsonb: false, json_args: 0 }),
    ("jsonb_build_object", JsonFn::BuildObject { jsonb: true, json_args: 0 }),
    ("json_build_array", JsonFn::BuildArray { jsonb: false, json_args: 0 }),
    ("jsonb_build_array", JsonFn::BuildArray { jsonb: true, json_args: 0 }),
    ("json_typeof", JsonFn::TypeOf { jsonb: false }),
    ("jsonb_typeof", JsonFn::TypeOf { jsonb: true }),
    ("json_array_length", JsonFn::ArrayLength { jsonb: false }),
    ("jsonb_array_length", JsonFn::ArrayLength { jsonb: true }),
    ("jsonb_set", JsonFn::Set),
    ("jsonb_insert", JsonFn::Insert),
    ("json_strip_nulls", JsonFn::StripNulls { jsonb: false }),
    ("jsonb_strip_nulls", JsonFn::StripNulls { jsonb: true }),
    ("jsonb_pretty", JsonFn::Pretty),
    ("gen_random_uuid", JsonFn::GenRandomUuid),
    ("jsonb_extract_path", JsonFn::Path { jsonb: true, as_text: false }),
    ("jsonb_extract_path_text", JsonFn::Path { jsonb: true, as_text: true }),
    ("json_extract_path", JsonFn::Path { jsonb: false, as_text: false }),
    ("json_extract_path_text", JsonFn::Path { jsonb: false, as_text: true }),
];

/// `text[]`.
pub const TEXT_ARRAY: PgType = PgType::array_by_oid(1009);

impl JsonFn {
    pub fn lookup(name: &str) -> Option<JsonFn> {
        FUNCTIONS.iter().find(|f| f.0 == name).map(|f| f.1)
    }

    /// The SQL name, for EXPLAIN.
    pub fn name(self) -> &'static str {
        let plain = match self {
            JsonFn::To { jsonb, .. } => JsonFn::To { jsonb, json_args: 0 },
            JsonFn::BuildObject { jsonb, .. } => JsonFn::BuildObject { jsonb, json_args: 0 },
            JsonFn::BuildArray { jsonb, .. } => JsonFn::BuildArray { jsonb, json_args: 0 },
            other => other,
        };
        if let Some(f) = FUNCTIONS.iter().find(|f| f.1 == plain) {
            return f.0;
        }
        match self {
            JsonFn::Field { as_text: false, .. } | JsonFn::Element { as_text: false, .. } => "->",
            JsonFn::Field { .. } | JsonFn::Element { .. } => "->>",
            JsonFn::Path { as_text: false, .. } => "#>",
            JsonFn::Path { .. } => "#>>",
            JsonFn::Contains => "@>",
            JsonFn::Exists => "?",
            JsonFn::ExistsAnyAll { all: false } => "?|",
            JsonFn::ExistsAnyAll { all: true } => "?&",
            JsonFn::Concat => "||",
            JsonFn::DeleteKey | JsonFn::DeleteIndex | JsonFn::DeleteKeys => "-",
            JsonFn::DeletePath => "#-",
            _ => "json",
        }
    }

    /// Functions whose arguments may be of any type: the fewest and most
    /// there may be, and the result type.
    pub fn takes_any(self) -> Option<(usize, usize, PgType)> {
        let ty = |jsonb: bool| if jsonb { PgType::Jsonb } else { PgType::Json };
        match self {
            JsonFn::To { jsonb, .. } => Some((1, 1, ty(jsonb))),
            JsonFn::RowToJson => Some((1, 1, PgType::Json)),
            JsonFn::BuildObject { jsonb, .. } | JsonFn::BuildArray { jsonb, .. } => Some((0, usize::MAX, ty(jsonb))),
            _ => None,
        }
    }

    /// The fixed signatures (as `pg_proc` lists them).
    pub fn signatures(self) -> &'static [(&'static [PgType], PgType)] {
        use PgType::{Bool, Int4, Json, Jsonb, Text, Uuid};
        match self {
            JsonFn::TypeOf { jsonb: true } => &[(&[Jsonb], Text)],
            JsonFn::TypeOf { jsonb: false } => &[(&[Json], Text)],
            JsonFn::ArrayLength { jsonb: true } => &[(&[Jsonb], Int4)],
            JsonFn::ArrayLength { jsonb: false } => &[(&[Json], Int4)],
            JsonFn::StripNulls { jsonb: true } => &[(&[Jsonb], Jsonb)],
            JsonFn::StripNulls { jsonb: false } => &[(&[Json], Json)],
            JsonFn::Pretty => &[(&[Jsonb], Text)],
            JsonFn::Set => &[(&[Jsonb, TEXT_ARRAY, Jsonb, Bool], Jsonb), (&[Jsonb, TEXT_ARRAY, Jsonb], Jsonb)],
            JsonFn::Insert => &[(&[Jsonb, TEXT_ARRAY, Jsonb, Bool], Jsonb), (&[Jsonb, TEXT_ARRAY, Jsonb], Jsonb)],
            JsonFn::GenRandomUuid => &[(&[], Uuid)],
            // As pg_proc lists them (VARIADIC text[]); the binder types the calls.
            JsonFn::Path { jsonb: true, as_text: false } => &[(&[Jsonb, TEXT_ARRAY], Jsonb)],
            JsonFn::Path { jsonb: true, as_text: true } => &[(&[Jsonb, TEXT_ARRAY], Text)],
            JsonFn::Path { jsonb: false, as_text: false } => &[(&[Json, TEXT_ARRAY], Json)],
            JsonFn::Path { jsonb: false, as_text: true } => &[(&[Json, TEXT_ARRAY], Text)],
            _ => &[],
        }
    }

    pub fn volatile(self) -> bool {
        self == JsonFn::GenRandomUuid
    }

    /// Whether a NULL argument makes the result NULL without a call.
    pub fn strict(self) -> bool {
        !matches!(self, JsonFn::To { .. } | JsonFn::BuildObject { .. } | JsonFn::BuildArray { .. })
    }
}

fn jsonb_arg(d: &Datum) -> Result<&Jsonb> {
    match d {
        Datum::Jsonb(j) => Ok(j),
        _ => Err(Error::internal("jsonb function given another type")),
    }
}

fn take_jsonb(d: Datum) -> Result<Jsonb> {
    match d {
        Datum::Jsonb(j) => Ok(*j),
        _ => Err(Error::internal("jsonb function given another type")),
    }
}

fn jsonb(j: Jsonb) -> Datum {
    Datum::Jsonb(Box::new(j))
}

/// A `text[]` argument's items (NULL items as `None`).
fn text_items(d: &Datum) -> Vec<Option<String>> {
    match d {
        Datum::Array(a) => a.items.iter().map(|i| i.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// The path of `#>` (a `text[]`) or of `jsonb_extract_path` (the
/// arguments after the first).
fn path_of(values: &[Datum]) -> Vec<Option<String>> {
    match values {
        [_, a @ Datum::Array(_)] => text_items(a),
        _ => values.iter().skip(1).map(|d| d.as_str().map(str::to_string)).collect(),
    }
}

/// Compute `f` over its evaluated arguments.
pub fn call(f: JsonFn, mut values: Vec<Datum>, style: &TextStyle<'_>) -> Result<Datum> {
    let arg = |i: usize| values.get(i).unwrap_or(&Datum::Null);
    Ok(match f {
        JsonFn::Field { jsonb: true, as_text } => {
            let (Datum::Jsonb(j), Some(k)) = (arg(0), arg(1).as_str()) else { return Ok(Datum::Null) };
            jsonb_out(j.get(k), as_text)
        }
        JsonFn::Element { jsonb: true, as_text } => {
            let (Datum::Jsonb(j), Some(i)) = (arg(0), arg(1).as_i64()) else { return Ok(Datum::Null) };
            // A top-level scalar is element 0 (and -1) of itself, as
            // PostgreSQL stores it as a one-element array.
            let scalar = !matches!(**j, Jsonb::Array(_) | Jsonb::Object(_));
            jsonb_out(if scalar && (i == 0 || i == -1) { Some(&**j) } else { j.index(i) }, as_text)
        }
        JsonFn::Path { jsonb: true, as_text } => {
            let Datum::Jsonb(j) = arg(0) else { return Ok(Datum::Null) };
            let path = path_of(&values);
            let mut at: &Jsonb = j;
            for step in &path {
                let Some(step) = step else { return Ok(Datum::Null) };
                let next = match at {
                    Jsonb::Object(_) => at.get(step),
                    Jsonb::Array(_) => step.trim().parse::<i64>().ok().and_then(|i| at.index(i)),
                    _ => None,
                };
                match next {
                    Some(n) => at = n,
                    None => return Ok(Datum::Null),
                }
            }
            jsonb_out(Some(at), as_text)
        }
        JsonFn::Field { jsonb: false, as_text } | JsonFn::Element { jsonb: false, as_text } => {
            let Some(text) = arg(0).as_str() else { return Ok(Datum::Null) };
            let node = json::parse(text, false)?;
            let (key, index) = match arg(1) {
                Datum::Null => return Ok(Datum::Null),
                d => (d.as_str(), d.as_i64()),
            };
            json_out(text, json::json_field(text, &node, key, index), as_text)
        }
        JsonFn::Path { jsonb: false, as_text } => {
            let Some(text) = arg(0).as_str() else { return Ok(Datum::Null) };
            let node = json::parse(text, false)?;
            let path = path_of(&values);
            let mut at = Some(&node);
            for step in &path {
                let (Some(n), Some(step)) = (at, step) else { return Ok(Datum::Null) };
                at = match n.kind {
                    NodeKind::Array(_) => json::json_field(text, n, None, step.trim().parse().ok()),
                    _ => json::json_field(text, n, Some(step), None),
                };
            }
            json_out(text, at, as_text)
        }
        JsonFn::Contains => Datum::Bool(json::contains(jsonb_arg(arg(0))?, jsonb_arg(arg(1))?)),
        JsonFn::Exists => Datum::Bool(json::exists(jsonb_arg(arg(0))?, arg(1).as_str().unwrap_or(""))),
        JsonFn::ExistsAnyAll { all } => {
            let j = jsonb_arg(arg(0))?;
            let keys = text_items(arg(1));
            let mut keys = keys.iter().flatten();
            Datum::Bool(if all { keys.all(|k| json::exists(j, k)) } else { keys.any(|k| json::exists(j, k)) })
        }
        JsonFn::Concat => {
            let b = take_jsonb(values.pop().unwrap_or(Datum::Null))?;
            let a = take_jsonb(values.pop().unwrap_or(Datum::Null))?;
            jsonb(json::concat(a, b))
        }
        JsonFn::DeleteKey => {
            let k = values.pop().and_then(|d| d.as_str().map(str::to_string)).unwrap_or_default();
            jsonb(json::delete_key(take_jsonb(values.pop().unwrap_or(Datum::Null))?, &k)?)
        }
        JsonFn::DeleteIndex => {
            let i = values.pop().and_then(|d| d.as_i64()).unwrap_or(0);
            jsonb(json::delete_index(take_jsonb(values.pop().unwrap_or(Datum::Null))?, i)?)
        }
        JsonFn::DeleteKeys => {
            let keys = text_items(arg(1));
            let mut j = take_jsonb(values.swap_remove(0))?;
            if j.is_scalar() {
                return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "cannot delete from scalar"));
            }
            for k in keys.iter().flatten() {
                j = json::delete_key(j, k)?;
            }
            jsonb(j)
        }
        JsonFn::DeletePath => {
            let path = text_items(arg(1));
            jsonb(json::delete_path(take_jsonb(values.swap_remove(0))?, &path)?)
        }
        JsonFn::Set | JsonFn::Insert => {
            let flag = values.get(3).map(|d| matches!(d, Datum::Bool(true)));
            let path = text_items(arg(1));
            let new = take_jsonb(values.swap_remove(2))?;
            let target = take_jsonb(values.swap_remove(0))?;
            if f == JsonFn::Set {
                jsonb(json::set_path(target, &path, new, None, flag.unwrap_or(true))?)
            } else {
                jsonb(json::set_path(target, &path, new, Some(flag.unwrap_or(false)), false)?)
            }
        }
        JsonFn::RowToJson | JsonFn::To { .. } if matches!(arg(0), Datum::Record(_)) => {
            let Datum::Record(r) = arg(0) else { return Ok(Datum::Null) };
            let names = match arg(1) {
                Datum::Array(a) => a.items.iter().map(|n| n.as_str().unwrap_or_default().to_string()).collect(),
                _ => field_names(r.values.len()),
            };
            match f {
                JsonFn::To { jsonb: true, .. } => jsonb(record_to_jsonb(r, &names, style)?),
                _ => Datum::Text(record_to_json(r, &names, style)),
            }
        }
        JsonFn::RowToJson => Datum::Null,
        JsonFn::To { jsonb: true, json_args } => match arg(0) {
            Datum::Null => Datum::Null,
            d => jsonb(value_to_jsonb(d, json_args & 1 != 0, style)?),
        },
        JsonFn::To { jsonb: false, json_args } => match arg(0) {
            Datum::Null => Datum::Null,
            d => Datum::Text(value_to_json(d, json_args & 1 != 0, style)),
        },
        JsonFn::BuildObject { jsonb: is_jsonb, json_args } => {
            if values.len() % 2 != 0 {
                return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "argument list must have even number of elements")
                    .with_hint(format!(
                        "The arguments of {} must consist of alternating keys and values.",
                        if is_jsonb { "jsonb_build_object()" } else { "json_build_object()" }
                    )));
            }
            let mut pairs = Vec::with_capacity(values.len() / 2);
            for (i, pair) in values.chunks(2).enumerate() {
                let key = match &pair[0] {
                    Datum::Null => {
                        return Err(err!(
                            SqlState::INVALID_PARAMETER_VALUE,
                            "argument {}: key must not be null",
                            i * 2 + 1
                        ));
                    }
                    Datum::Text(s) | Datum::Bpchar(s) => s.clone(),
                    other => {
                        let mut out = Vec::new();
                        other.write_text_as(&mut out, style);
                        String::from_utf8(out).unwrap_or_default()
                    }
                };
                pairs.push((key, &pair[1], is_json_arg(json_args, i * 2 + 1)));
            }
            if is_jsonb {
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v, json) in pairs {
                    out.push((k, value_to_jsonb(v, json, style)?));
                }
                jsonb(Jsonb::object(out))
            } else {
                let mut out = String::from("{");
                for (i, (k, v, json)) in pairs.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    json::write_string(&mut out, &k);
                    out.push_str(" : ");
                    out.push_str(&value_to_json(v, json, style));
                }
                out.push('}');
                Datum::Text(out)
            }
        }
        JsonFn::BuildArray { jsonb: is_jsonb, json_args } => {
            let json = |i: usize| is_json_arg(json_args, i);
            if is_jsonb {
                let items = values.iter().enumerate().map(|(i, v)| value_to_jsonb(v, json(i), style));
                jsonb(Jsonb::Array(items.collect::<Result<_>>()?))
            } else {
                let items: Vec<String> =
                    values.iter().enumerate().map(|(i, v)| value_to_json(v, json(i), style)).collect();
                Datum::Text(format!("[{}]", items.join(", ")))
            }
        }
        JsonFn::TypeOf { jsonb: true } => Datum::Text(jsonb_arg(arg(0))?.type_name().to_string()),
        JsonFn::TypeOf { jsonb: false } => {
            let node = json::parse(arg(0).as_str().unwrap_or(""), false)?;
            Datum::Text(json::node_type_name(&node).to_string())
        }
        JsonFn::ArrayLength { jsonb: true } => match jsonb_arg(arg(0))? {
            Jsonb::Array(items) => Datum::Int4(items.len() as i32),
            j if j.is_scalar() => {
                return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "cannot get array length of a scalar"));
            }
            _ => return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "cannot get array length of a non-array")),
        },
        JsonFn::ArrayLength { jsonb: false } => {
            let node = json::parse(arg(0).as_str().unwrap_or(""), false)?;
            match node.kind {
                NodeKind::Array(items) => Datum::Int4(items.len() as i32),
                NodeKind::Object(_) => {
                    return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "cannot get array length of a non-array"));
                }
                _ => return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "cannot get array length of a scalar")),
            }
        }
        JsonFn::StripNulls { jsonb: true } => jsonb(json::strip_nulls(take_jsonb(values.swap_remove(0))?)),
        JsonFn::StripNulls { jsonb: false } => {
            let text = arg(0).as_str().unwrap_or("");
            let node = json::parse(text, false)?;
            let mut out = String::new();
            write_json_stripped(text, &node, &mut out);
            Datum::Text(out)
        }
        JsonFn::Pretty => Datum::Text(jsonb_arg(arg(0))?.pretty()),
        JsonFn::GenRandomUuid => Datum::Uuid(super::uuid::random()),
    })
}

/// `json_strip_nulls`: the text without null-valued object fields, the
/// rest written compactly as PostgreSQL writes it.
fn write_json_stripped(text: &str, node: &Node, out: &mut String) {
    match &node.kind {
        NodeKind::Object(pairs) => {
            out.push('{');
            let mut first = true;
            for (k, v) in pairs {
                if matches!(v.kind, NodeKind::Null) {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                json::write_string(out, k);
                out.push(':');
                write_json_stripped(text, v, out);
            }
            out.push('}');
        }
        NodeKind::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_stripped(text, v, out);
            }
            out.push(']');
        }
        _ => out.push_str(&text[node.span.clone()]),
    }
}

fn jsonb_out(v: Option<&Jsonb>, as_text: bool) -> Datum {
    match v {
        None => Datum::Null,
        Some(j) if as_text => j.as_text().map_or(Datum::Null, Datum::Text),
        Some(j) => jsonb(j.clone()),
    }
}

fn json_out(text: &str, v: Option<&Node>, as_text: bool) -> Datum {
    match v {
        None => Datum::Null,
        Some(n) if as_text => json::json_node_text(text, n).map_or(Datum::Null, Datum::Text),
        Some(n) => Datum::Text(text[n.span.clone()].to_string()),
    }
}

fn is_json_arg(mask: u64, i: usize) -> bool {
    i < 64 && mask & (1 << i) != 0
}

/// A value as jsonb; `json` when it is of type json (text that is JSON).
pub fn value_to_jsonb(d: &Datum, json: bool, style: &TextStyle<'_>) -> Result<Jsonb> {
    match d {
        Datum::Text(t) if json => Jsonb::parse(t),
        d => to_jsonb(d, style),
    }
}

/// A value as json text; `json` when it is of type json (kept as written).
pub fn value_to_json(d: &Datum, json: bool, style: &TextStyle<'_>) -> String {
    match d {
        Datum::Text(t) if json => t.clone(),
        d => to_json_text(d, style),
    }
}

/// A value's text output form.
fn output(d: &Datum, style: &TextStyle<'_>) -> String {
    let mut out = Vec::new();
    d.write_text_as(&mut out, style);
    String::from_utf8(out).unwrap_or_default()
}

/// Date/time values in JSON are ISO 8601: a `T` between date and time.
fn datetime_json(d: &Datum, style: &TextStyle<'_>) -> Option<String> {
    match d {
        Datum::Timestamp(t) | Datum::TimestampTz(t) if !super::datetime::is_finite_ts(*t) => Some(output(d, style)),
        Datum::Timestamp(_) | Datum::TimestampTz(_) => Some(output(d, style).replacen(' ', "T", 1)),
        Datum::Date(_) | Datum::Time(_) | Datum::TimeTz { .. } => Some(output(d, style)),
        _ => None,
    }
}

/// `to_jsonb`: a SQL value as jsonb. Numbers stay numbers (but NaN and
/// infinities, which JSON lacks, become strings), booleans booleans,
/// arrays arrays, json and jsonb themselves; the rest strings of their
/// text form. A json value is held as text: the caller marks it by type,
/// so text reaching here is a string.
pub fn to_jsonb(d: &Datum, style: &TextStyle<'_>) -> Result<Jsonb> {
    Ok(match d {
        Datum::Null => Jsonb::Null,
        Datum::Bool(b) => Jsonb::Bool(*b),
        Datum::Int2(_) | Datum::Int4(_) | Datum::Int8(_) | Datum::Oid(_) => Jsonb::Number(output(d, style)),
        Datum::Float4(_) | Datum::Float8(_) | Datum::Numeric(_) => {
            let text = output(d, style);
            match super::numeric::canonical(&text) {
                Ok(n) if n != "NaN" && !text.contains("Infinity") => Jsonb::Number(n),
                _ => Jsonb::String(text),
            }
        }
        Datum::Jsonb(j) => (**j).clone(),
        Datum::Array(a) => Jsonb::Array(a.items.iter().map(|i| to_jsonb(i, style)).collect::<Result<_>>()?),
        Datum::Record(r) => record_to_jsonb(r, &field_names(r.values.len()), style)?,
        other => Jsonb::String(datetime_json(other, style).unwrap_or_else(|| output(other, style))),
    })
}

/// `to_json`: a SQL value as json text.
pub fn to_json_text(d: &Datum, style: &TextStyle<'_>) -> String {
    match d {
        Datum::Null => "null".to_string(),
        Datum::Bool(b) => (if *b { "true" } else { "false" }).to_string(),
        Datum::Int2(_) | Datum::Int4(_) | Datum::Int8(_) | Datum::Oid(_) => output(d, style),
        Datum::Float4(_) | Datum::Float8(_) | Datum::Numeric(_) => {
            let text = output(d, style);
            if text == "NaN" || text.contains("Infinity") {
                let mut out = String::new();
                json::write_string(&mut out, &text);
                out
            } else {
                text
            }
        }
        Datum::Jsonb(j) => j.to_string(),
        Datum::Array(a) => {
            let items: Vec<String> = a.items.iter().map(|i| to_json_text(i, style)).collect();
            format!("[{}]", items.join(","))
        }
        Datum::Record(r) => record_to_json(r, &field_names(r.values.len()), style),
        other => {
            let mut out = String::new();
            json::write_string(&mut out, &datetime_json(other, style).unwrap_or_else(|| output(other, style)));
            out
        }
    }
}

/// The names of the fields of a record whose names are not known:
/// PostgreSQL's `f1`, `f2`, ….
fn field_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("f{i}")).collect()
}

/// `row_to_json`: `{"a":1,"b":"x"}` (no spaces, unlike
/// `json_build_object`); a json field is kept as written.
fn record_to_json(r: &super::record::RecordValue, names: &[String], style: &TextStyle<'_>) -> String {
    let mut out = String::from("{");
    for (i, (v, ty)) in r.values.iter().zip(&r.types).enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::write_string(&mut out, names.get(i).map_or("", String::as_str));
        out.push(':');
        out.push_str(&value_to_json(v, *ty == PgType::Json, style));
    }
    out.push('}');
    out
}

/// `to_jsonb` of a record: an object of its fields.
fn record_to_jsonb(r: &super::record::RecordValue, names: &[String], style: &TextStyle<'_>) -> Result<Jsonb> {
    let mut pairs = Vec::with_capacity(r.values.len());
    for (i, (v, ty)) in r.values.iter().zip(&r.types).enumerate() {
        pairs.push((names.get(i).cloned().unwrap_or_default(), value_to_jsonb(v, *ty == PgType::Json, style)?));
    }
    Ok(Jsonb::object(pairs))
}

/// The casts from jsonb: to json and text forms, and to numbers and
/// booleans when the value is one (`('{"a":1}'::jsonb->'a')::int`).
pub fn cast_jsonb(j: &Jsonb, to: PgType, style: &TextStyle<'_>) -> Result<Datum> {
    let wrong =
        |what: &str| err!(SqlState::INVALID_PARAMETER_VALUE, "cannot cast jsonb {what} to type {}", to.sql_name());
    let kind = match j {
        Jsonb::Null => "null",
        Jsonb::String(_) => "string",
        Jsonb::Number(_) => "numeric",
        Jsonb::Bool(_) => "boolean",
        Jsonb::Array(_) => "array",
        Jsonb::Object(_) => "object",
    };
    match (j, to) {
        (_, PgType::Json) => Ok(Datum::Text(j.to_string())),
        (Jsonb::Number(n), t) if t.is_numeric() => {
            super::expr::cast_styled(Datum::Numeric(n.clone()), PgType::Numeric, t, None, style)
        }
        (Jsonb::Bool(b), PgType::Bool) => Ok(Datum::Bool(*b)),
        (_, t) if t.is_numeric() || t == PgType::Bool => Err(wrong(kind)),
        _ => Err(err!(SqlState::CANNOT_COERCE, "cannot cast type jsonb to {}", to.sql_name())),
    }
}

/// The style aggregates print values in: PostgreSQL's defaults (the
/// aggregate state does not see the session's settings).
fn default_style<R>(f: impl FnOnce(&TextStyle<'_>) -> R) -> R {
    let tz = super::datetime::TimeZone::UTC;
    f(&TextStyle { extra_float_digits: 1, time_zone: &tz, bytea_output: super::types::ByteaOutput::Hex })
}

/// `json_agg`, `jsonb_agg`: the values (of type `ty`) as an array.
/// json_agg writes `[a, b]`, with a line break before each array after
/// the first, as PostgreSQL does.
pub fn json_agg(values: Vec<Datum>, ty: PgType, is_jsonb: bool, names: Option<&[String]>) -> Result<Datum> {
    let json = ty == PgType::Json;
    default_style(|style| {
        // A row's fields by the names the binder knew (a whole-row
        // reference's columns), else `f1`, `f2`, ….
        let record = |r: &super::record::RecordValue| match names {
            Some(n) => n.to_vec(),
            None => field_names(r.values.len()),
        };
        if is_jsonb {
            let mut items = Vec::with_capacity(values.len());
            for v in &values {
                items.push(match v {
                    Datum::Record(r) => record_to_jsonb(r, &record(r), style)?,
                    v => value_to_jsonb_or_null(v, json, style)?,
                });
            }
            return Ok(jsonb(Jsonb::Array(items)));
        }
        let mut out = String::from("[");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
                // Arrays and rows each start a line, as PostgreSQL writes them.
                if !v.is_null() && (ty.is_array() || ty.is_row()) {
                    out.push_str("\n ");
                }
            }
            match v {
                Datum::Record(r) => out.push_str(&record_to_json(r, &record(r), style)),
                v => out.push_str(&value_to_json(v, json, style)),
            }
        }
        out.push(']');
        Ok(Datum::Text(out))
    })
}

/// `json_object_agg`, `jsonb_object_agg`: `{ "k" : v, … }` for json.
pub fn json_object_agg(pairs: Vec<(Datum, Datum)>, types: [PgType; 2], is_jsonb: bool) -> Result<Datum> {
    default_style(|style| {
        let key = |k: &Datum| match k {
            Datum::Text(s) | Datum::Bpchar(s) => s.clone(),
            other => output(other, style),
        };
        let json = types[1] == PgType::Json;
        if is_jsonb {
            let mut out = Vec::with_capacity(pairs.len());
            for (k, v) in &pairs {
                out.push((key(k), value_to_jsonb_or_null(v, json, style)?));
            }
            return Ok(jsonb(Jsonb::object(out)));
        }
        let mut out = String::from("{ ");
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            json::write_string(&mut out, &key(k));
            out.push_str(" : ");
            out.push_str(&value_to_json(v, json, style));
        }
        out.push_str(" }");
        Ok(Datum::Text(out))
    })
}

fn value_to_jsonb_or_null(d: &Datum, json: bool, style: &TextStyle<'_>) -> Result<Jsonb> {
    if d.is_null() { Ok(Jsonb::Null) } else { value_to_jsonb(d, json, style) }
}

/// The json set-returning functions, called in FROM (see `Plan::Unnest`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonSrf {
    /// `json[b]_each[_text]`: `key`, `value`.
    Each { jsonb: bool, text: bool },
    /// `json[b]_array_elements[_text]`: `value`.
    ArrayElements { jsonb: bool, text: bool },
    /// `json[b]_object_keys`: the keys.
    ObjectKeys { jsonb: bool },
}

pub const SET_FUNCTIONS: &[(&str, JsonSrf)] = &[
    ("json_each", JsonSrf::Each { jsonb: false, text: false }),
    ("jsonb_each", JsonSrf::Each { jsonb: true, text: false }),
    ("json_each_text", JsonSrf::Each { jsonb: false, text: true }),
    ("jsonb_each_text", JsonSrf::Each { jsonb: true, text: true }),
    ("json_array_elements", JsonSrf::ArrayElements { jsonb: false, text: false }),
    ("jsonb_array_elements", JsonSrf::ArrayElements { jsonb: true, text: false }),
    ("json_array_elements_text", JsonSrf::ArrayElements { jsonb: false, text: true }),
    ("jsonb_array_elements_text", JsonSrf::ArrayElements { jsonb: true, text: true }),
    ("json_object_keys", JsonSrf::ObjectKeys { jsonb: false }),
    ("jsonb_object_keys", JsonSrf::ObjectKeys { jsonb: true }),
];

impl JsonSrf {
    pub fn lookup(name: &str) -> Option<JsonSrf> {
        SET_FUNCTIONS.iter().find(|f| f.0 == name).map(|f| f.1)
    }

    pub fn name(self) -> &'static str {
        SET_FUNCTIONS.iter().find(|f| f.1 == self).map_or("json", |f| f.0)
    }

    /// The argument's type.
    pub fn arg_type(self) -> PgType {
        match self {
            JsonSrf::Each { jsonb, .. } | JsonSrf::ArrayElements { jsonb, .. } | JsonSrf::ObjectKeys { jsonb } => {
                if jsonb {
                    PgType::Jsonb
                } else {
                    PgType::Json
                }
            }
        }
    }

    /// The result columns: names (`None`: named after the function or its
    /// alias) and types.
    pub fn columns(self) -> Vec<(Option<&'static str>, PgType)> {
        let value = |text: bool| if text { PgType::Text } else { self.arg_type() };
        match self {
            JsonSrf::Each { text, .. } => vec![(Some("key"), PgType::Text), (Some("value"), value(text))],
            JsonSrf::ArrayElements { text, .. } => vec![(Some("value"), value(text))],
            JsonSrf::ObjectKeys { .. } => vec![(None, PgType::Text)],
        }
    }

    /// The rows of a call, column by column (none for NULL).
    pub fn rows(self, arg: &Datum) -> Result<Vec<Vec<Datum>>> {
        let width = self.columns().len();
        let mut cols: Vec<Vec<Datum>> = vec![Vec::new(); width];
        let fname = self.name();
        // PostgreSQL's messages differ between the json and jsonb versions.
        let not_that = |actual: &str| {
            let msg = match (self, actual) {
                (JsonSrf::ObjectKeys { .. }, _) => format!("cannot call {fname} on {actual}"),
                (JsonSrf::Each { jsonb: true, .. }, _) => format!("cannot call {fname} on a non-object"),
                (JsonSrf::Each { .. }, "an array") => "cannot deconstruct an array as an object".to_string(),
                (JsonSrf::Each { .. }, _) => "cannot deconstruct a scalar".to_string(),
                (JsonSrf::ArrayElements { jsonb: true, .. }, _) => format!("cannot extract elements from {actual}"),
                (JsonSrf::ArrayElements { .. }, "a scalar") => format!("cannot call {fname} on a scalar"),
                (JsonSrf::ArrayElements { .. }, _) => format!("cannot call {fname} on a non-array"),
            };
            err!(SqlState::INVALID_PARAMETER_VALUE, "{msg}")
        };
        match arg {
            Datum::Null => return Ok(cols),
            Datum::Jsonb(j) => match (self, &**j) {
                (JsonSrf::Each { text, .. }, Jsonb::Object(pairs)) => {
                    for (k, v) in pairs {
                        cols[0].push(Datum::Text(k.clone()));
                        cols[1].push(jsonb_out(Some(v), text));
                    }
                }
                (JsonSrf::ArrayElements { text, .. }, Jsonb::Array(items)) => {
                    for v in items {
                        cols[0].push(jsonb_out(Some(v), text));
                    }
                }
                (JsonSrf::ObjectKeys { .. }, Jsonb::Object(pairs)) => {
                    cols[0].extend(pairs.iter().map(|(k, _)| Datum::Text(k.clone())));
                }
                (_, Jsonb::Array(_)) => return Err(not_that("an array")),
                (_, Jsonb::Object(_)) => return Err(not_that("an object")),
                _ => return Err(not_that("a scalar")),
            },
            Datum::Text(text) => {
                let node = json::parse(text, false)?;
                match (self, &node.kind) {
                    (JsonSrf::Each { text: as_text, .. }, NodeKind::Object(pairs)) => {
                        for (k, v) in pairs {
                            cols[0].push(Datum::Text(k.clone()));
                            cols[1].push(json_out(text, Some(v), as_text));
                        }
                    }
                    (JsonSrf::ArrayElements { text: as_text, .. }, NodeKind::Array(items)) => {
                        for v in items {
                            cols[0].push(json_out(text, Some(v), as_text));
                        }
                    }
                    (JsonSrf::ObjectKeys { .. }, NodeKind::Object(pairs)) => {
                        cols[0].extend(pairs.iter().map(|(k, _)| Datum::Text(k.clone())));
                    }
                    (_, NodeKind::Array(_)) => return Err(not_that("an array")),
                    (_, NodeKind::Object(_)) => return Err(not_that("an object")),
                    _ => return Err(not_that("a scalar")),
                }
            }
            _ => return Err(Error::internal("json set-returning function given another type")),
        }
        Ok(cols)
    }
}

/// `json_populate_record(base, json)` and `jsonb_populate_record`: a value
/// of the base's composite type whose fields are the object's values of
/// the same names, read by the fields' input functions (a string's text,
/// any other value's JSON text); a field the object lacks keeps the
/// base's value (NULL for a NULL base).
pub fn populate_record(args: &[super::expr::Expr], ctx: &mut dyn super::expr::EvalContext) -> Result<Datum> {
    let [base_expr, json_expr] = args else { return Err(Error::internal("populate_record takes two arguments")) };
    let PgType::Composite(oid) = base_expr.ty() else {
        return Err(Error::internal("populate_record of a non-composite type"));
    };
    let (base, json) = (super::expr::eval(base_expr, ctx)?, super::expr::eval(json_expr, ctx)?);
    let object = match json {
        Datum::Null => return Ok(base),
        Datum::Jsonb(j) => *j,
        Datum::Text(t) => Jsonb::parse(&t)?,
        _ => return Err(Error::internal("populate_record of a non-json value")),
    };
    let pairs = match object {
        Jsonb::Object(pairs) => pairs,
        Jsonb::Array(_) => {
            return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "cannot call populate_composite on an array"));
        }
        _ => return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "cannot call populate_composite on a scalar")),
    };
    let row = ctx.row_type(oid)?;
    let mut base = match base {
        Datum::Record(r) => Some(r),
        _ => None,
    };
    let mut out = super::record::RecordValue {
        types: Vec::with_capacity(row.fields.len()),
        values: Vec::with_capacity(row.fields.len()),
    };
    for (i, f) in row.fields.iter().enumerate() {
        let value = match pairs.iter().find(|(k, _)| *k == f.name) {
            None => base
                .as_mut()
                .and_then(|b| b.values.get_mut(i))
                .map_or(Datum::Null, |v| std::mem::replace(v, Datum::Null)),
            Some((_, Jsonb::Null)) => Datum::Null,
            Some((_, v)) => {
                let text = match v {
                    Jsonb::String(s) => s.clone(),
                    other => other.to_string(),
                };
                super::expr::field_input(f, &text, ctx)?
            }
        };
        out.types.push(f.ty);
        out.values.push(value);
    }
    Ok(out.into_datum())
}
