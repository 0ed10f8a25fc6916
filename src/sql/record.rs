//! Row values of the anonymous type `record` (OID 2249): what `ROW(a, b)`,
//! `(a, b)` and a whole-row reference `t` evaluate to.
//!
//! A [`RecordValue`] carries each field's type with its value, as
//! PostgreSQL's `HeapTupleHeader` carries its row type: the type `record`
//! alone says nothing about the fields, and output, comparison and
//! storage all need them. Field *names* are known only to the binder,
//! which resolves `(row).field` while binding.
//!
//! Comparisons follow `record_eq`/`record_cmp` (`rowtypes.c`): field by
//! field, two NULL fields equal and a NULL field above any value; fields
//! of different types, or records of different widths, are an error.
//! (A comparison between two row *constructors* never gets here: the
//! binder expands it column by column, see `binder::row_compare`.)
//!
//! Stored form (in the executor's Arrow columns and in heap tuples): the
//! field count (u32), then per field its type (a tag byte and an OID, see
//! [`type_code`]), its length (i32, -1 for NULL) and its stored bytes.
//!
//! A value of a composite type ([`PgType::Composite`]: a relation's row
//! type, or one made by `CREATE TYPE … AS (…)`) is a record too; its
//! type's [`RowType`], read from the catalog, names its fields and reads
//! it from text ([`RowType::input`], PostgreSQL's `record_in`).

use std::cmp::Ordering;

use bytes::BufMut;

use super::types::{Datum, PgType, TextStyle};
use crate::err;
use crate::error::{Error, Result, SqlState};

/// A row value: its fields' types and values, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordValue {
    pub types: Vec<PgType>,
    pub values: Vec<Datum>,
}

impl RecordValue {
    pub fn into_datum(self) -> Datum {
        Datum::Record(Box::new(self))
    }

    /// `record_out`: `(1,,"a b")`. A NULL field is empty; a field is quoted
    /// when it is empty or holds a quote, backslash, parenthesis, comma or
    /// white space, and quotes and backslashes inside are doubled.
    pub fn write_text(&self, out: &mut impl BufMut, style: &TextStyle<'_>) {
        out.put_u8(b'(');
        let mut buf = Vec::new();
        for (i, v) in self.values.iter().enumerate() {
            if i > 0 {
                out.put_u8(b',');
            }
            if v.is_null() {
                continue;
            }
            buf.clear();
            v.write_text_as(&mut buf, style);
            let quote = buf.is_empty()
                || buf.iter().any(|b| matches!(b, b'"' | b'\\' | b'(' | b')' | b',') || b.is_ascii_whitespace());
            if !quote {
                out.put_slice(&buf);
                continue;
            }
            out.put_u8(b'"');
            for &b in &buf {
                if b == b'"' || b == b'\\' {
                    out.put_u8(b);
                }
                out.put_u8(b);
            }
            out.put_u8(b'"');
        }
        out.put_u8(b')');
    }

    /// `record_send`: the field count, then per field its type's OID and
    /// its binary form with its length (-1 for NULL).
    pub fn write_binary(&self, out: &mut impl BufMut) {
        out.put_i32(self.values.len() as i32);
        let mut buf = Vec::new();
        for (ty, v) in self.types.iter().zip(&self.values) {
            out.put_u32(ty.oid());
            if v.is_null() {
                out.put_i32(-1);
                continue;
            }
            buf.clear();
            v.write_binary(&mut buf);
            out.put_i32(buf.len() as i32);
            out.put_slice(&buf);
        }
    }

    /// Read [`RecordValue::write_binary`]'s form, as a client does.
    /// (The server takes no record input, text or binary, as PostgreSQL
    /// takes none for anonymous records.)
    pub fn read_binary(b: &[u8]) -> Result<RecordValue> {
        let bad = || err!(SqlState::INVALID_BINARY_REPRESENTATION, "insufficient data left in message");
        let mut at = 0;
        let mut take = |n: usize| -> Result<&[u8]> {
            let s = b.get(at..at + n).ok_or_else(bad)?;
            at += n;
            Ok(s)
        };
        let count = i32::from_be_bytes(take(4)?.try_into().map_err(|_| bad())?).max(0) as usize;
        let mut out =
            RecordValue { types: Vec::with_capacity(count.min(64)), values: Vec::with_capacity(count.min(64)) };
        for _ in 0..count {
            let oid = u32::from_be_bytes(take(4)?.try_into().map_err(|_| bad())?);
            let ty = PgType::from_oid(oid)
                .ok_or_else(|| err!(SqlState::UNDEFINED_OBJECT, "type with OID {oid} does not exist"))?;
            let len = i32::from_be_bytes(take(4)?.try_into().map_err(|_| bad())?);
            let v = match (len, ty) {
                (..0, _) => Datum::Null,
                (_, PgType::Record) => RecordValue::read_binary(take(len as usize)?)?.into_datum(),
                _ => super::types::parse_binary(ty, take(len as usize)?)?,
            };
            out.types.push(ty);
            out.values.push(v);
        }
        Ok(out)
    }

    /// The stored form (see the module doc).
    pub fn write_storage(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.values.len() as u32).to_le_bytes());
        for (ty, v) in self.types.iter().zip(&self.values) {
            out.extend_from_slice(&type_code(*ty));
            if v.is_null() {
                out.extend_from_slice(&(-1i32).to_le_bytes());
                continue;
            }
            let bytes = v.storage_bytes();
            out.extend_from_slice(&(bytes.len() as i32).to_le_bytes());
            out.extend_from_slice(&bytes);
        }
    }

    /// A record from its stored form.
    pub fn from_storage(b: &[u8]) -> Result<RecordValue> {
        let bad = || Error::new(SqlState::DATA_CORRUPTED, "invalid stored record value");
        let mut at = 0;
        let mut take = |n: usize| -> Result<&[u8]> {
            let s = b.get(at..at + n).ok_or_else(bad)?;
            at += n;
            Ok(s)
        };
        let count = u32::from_le_bytes(take(4)?.try_into().map_err(|_| bad())?) as usize;
        let mut out =
            RecordValue { types: Vec::with_capacity(count.min(64)), values: Vec::with_capacity(count.min(64)) };
        for _ in 0..count {
            let ty = type_of_code(take(5)?).ok_or_else(bad)?;
            let len = i32::from_le_bytes(take(4)?.try_into().map_err(|_| bad())?);
            let v = if len < 0 { Datum::Null } else { Datum::from_storage(ty, take(len as usize)?)? };
            out.types.push(ty);
            out.values.push(v);
        }
        Ok(out)
    }

    /// `IS NULL` of a row: every field NULL (`not`: no field NULL).
    pub fn null_test(&self, not: bool) -> bool {
        self.values.iter().all(|v| v.is_null() != not)
    }
}

/// A field's type in the stored form: a tag and an OID. Enum and
/// composite types need the tag: their OIDs are the catalog's, not known
/// to [`PgType::from_oid`].
fn type_code(ty: PgType) -> [u8; 5] {
    let (tag, oid) = match ty {
        PgType::Enum(oid) => (1u8, oid),
        PgType::EnumArray(oid) => (2, oid),
        PgType::Composite(oid) => (3, oid),
        other => (0, other.oid()),
    };
    let o = oid.to_le_bytes();
    [tag, o[0], o[1], o[2], o[3]]
}

fn type_of_code(b: &[u8]) -> Option<PgType> {
    let oid = u32::from_le_bytes(b.get(1..5)?.try_into().ok()?);
    match b[0] {
        0 => PgType::from_oid(oid),
        1 => Some(PgType::Enum(oid)),
        2 => Some(PgType::EnumArray(oid)),
        3 => Some(PgType::Composite(oid)),
        _ => None,
    }
}

/// A composite type as the catalog defines it: its name and its fields
/// (the relation's columns that are not dropped, in order).
#[derive(Clone, Debug, PartialEq)]
pub struct RowType {
    /// The `pg_type` OID.
    pub oid: u32,
    /// `pg_type.typname`.
    pub name: String,
    /// `pg_type.typrelid`: the relation whose columns are the fields.
    pub relid: u32,
    pub fields: Vec<RowField>,
}

/// One field of a [`RowType`].
#[derive(Clone, Debug, PartialEq)]
pub struct RowField {
    pub name: String,
    pub ty: PgType,
    pub typmod: i32,
}

impl RowType {
    /// The place of field `name`, if the type has one.
    pub fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The fields' names, in order.
    pub fn names(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.name.clone()).collect()
    }

    /// `record_in`: a value of this type from its text form, each field
    /// read by `field_in` (its type's input function; `None` for NULL).
    /// White space is kept inside unquoted fields, as PostgreSQL keeps it.
    pub fn input(
        &self,
        text: &str,
        field_in: &mut dyn FnMut(&RowField, Option<&str>) -> Result<Datum>,
    ) -> Result<RecordValue> {
        let malformed = |detail: &str| {
            err!(SqlState::INVALID_TEXT_REPRESENTATION, "malformed record literal: \"{text}\"").with_detail(detail)
        };
        let b = text.as_bytes();
        let mut at = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
        if b.get(at) != Some(&b'(') {
            return Err(malformed("Missing left parenthesis."));
        }
        at += 1;
        let mut out =
            RecordValue { types: Vec::with_capacity(self.fields.len()), values: Vec::with_capacity(self.fields.len()) };
        let mut buf = Vec::new();
        for (i, f) in self.fields.iter().enumerate() {
            if i > 0 {
                if b.get(at) != Some(&b',') {
                    return Err(malformed("Too few columns."));
                }
                at += 1;
            }
            let value = match b.get(at) {
                Some(b',' | b')') => None,
                _ => {
                    buf.clear();
                    let mut quoted = false;
                    loop {
                        let Some(&c) = b.get(at) else { return Err(malformed("Unexpected end of input.")) };
                        if !quoted && (c == b',' || c == b')') {
                            break;
                        }
                        at += 1;
                        match c {
                            b'\\' => {
                                let Some(&next) = b.get(at) else { return Err(malformed("Unexpected end of input.")) };
                                buf.push(next);
                                at += 1;
                            }
                            b'"' if !quoted => quoted = true,
                            b'"' if b.get(at) == Some(&b'"') => {
                                buf.push(b'"');
                                at += 1;
                            }
                            b'"' => quoted = false,
                            _ => buf.push(c),
                        }
                    }
                    Some(String::from_utf8_lossy(&buf).into_owned())
                }
            };
            out.types.push(f.ty);
            out.values.push(field_in(f, value.as_deref())?);
        }
        if b.get(at) != Some(&b')') {
            return Err(malformed("Too many columns."));
        }
        at += 1;
        if b[at..].iter().any(|c| !c.is_ascii_whitespace()) {
            return Err(malformed("Junk after right parenthesis."));
        }
        Ok(out)
    }
}

/// What a comparison needs of the fields' types: equality (`=`, `<>`,
/// `IS DISTINCT FROM`) or an order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Equality,
    Order,
}

/// `record_eq`/`record_cmp`: the order of two records, or PostgreSQL's
/// error where their fields cannot be compared. Fields are checked up to
/// the first that differs, as PostgreSQL does, so `(1,'a')` and `(2,3)`
/// compare (the first field decides) but `(1,'a')` and `(1,3)` do not.
pub fn compare(a: &RecordValue, b: &RecordValue, need: Need) -> Result<Ordering> {
    let width = a.values.len().min(b.values.len());
    for i in 0..width {
        let (ta, tb) = (a.types[i], b.types[i]);
        if ta != tb {
            return Err(err!(
                SqlState::DATATYPE_MISMATCH,
                "cannot compare dissimilar column types {} and {} at record column {}",
                ta.sql_name(),
                tb.sql_name(),
                i + 1
            ));
        }
        if !comparable(ta) {
            return Err(match need {
                Need::Equality => {
                    err!(
                        SqlState::UNDEFINED_FUNCTION,
                        "could not identify an equality operator for type {}",
                        ta.sql_name()
                    )
                }
                Need::Order => {
                    err!(
                        SqlState::UNDEFINED_FUNCTION,
                        "could not identify a comparison function for type {}",
                        ta.sql_name()
                    )
                }
            });
        }
        let o = field_order(&a.values[i], &b.values[i])?;
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    if a.values.len() != b.values.len() {
        return Err(err!(SqlState::DATATYPE_MISMATCH, "cannot compare record types with different numbers of columns"));
    }
    Ok(Ordering::Equal)
}

/// Two fields of one type: NULLs equal, NULL above a value.
fn field_order(x: &Datum, y: &Datum) -> Result<Ordering> {
    Ok(match (x, y) {
        (Datum::Null, Datum::Null) => Ordering::Equal,
        (Datum::Null, _) => Ordering::Greater,
        (_, Datum::Null) => Ordering::Less,
        (Datum::Record(x), Datum::Record(y)) => compare(x, y, Need::Order)?,
        _ => super::expr::compare(x, y),
    })
}

/// The order of two records for sorting and grouping, where an error has
/// no place: as [`compare`], fields of different types ordered by type
/// OID and a shorter record first.
pub fn sort_order(a: &RecordValue, b: &RecordValue) -> Ordering {
    for ((ta, x), (tb, y)) in a.types.iter().zip(&a.values).zip(b.types.iter().zip(&b.values)) {
        let o = ta.oid().cmp(&tb.oid()).then_with(|| match (x, y) {
            (Datum::Record(x), Datum::Record(y)) => sort_order(x, y),
            _ => field_order(x, y).unwrap_or(Ordering::Equal),
        });
        if o != Ordering::Equal {
            return o;
        }
    }
    a.values.len().cmp(&b.values.len())
}

/// Whether values of the type have the btree operators `record_eq` and
/// `record_cmp` look up (`unknown` and `json` have none).
fn comparable(ty: PgType) -> bool {
    !matches!(ty, PgType::Unknown | PgType::Json | PgType::Void)
}

/// Input of an anonymous record from text (`'(1,2)'::record`), which
/// PostgreSQL does not implement either.
pub fn input_not_implemented() -> Error {
    err!(SqlState::FEATURE_NOT_SUPPORTED, "input of anonymous composite types is not implemented")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(values: Vec<Datum>) -> RecordValue {
        let types = values
            .iter()
            .map(|v| match v {
                Datum::Int4(_) => PgType::Int4,
                _ => PgType::Text,
            })
            .collect();
        RecordValue { types, values }
    }

    #[test]
    fn text_output_quotes_like_record_out() {
        let r = rec(vec![
            Datum::Int4(1),
            Datum::Null,
            Datum::Text("a b".into()),
            Datum::Text(String::new()),
            Datum::Text("q\"x".into()),
            Datum::Text("b\\c".into()),
            Datum::Text("(x)".into()),
        ]);
        assert_eq!(r.into_datum().to_text(), r#"(1,,"a b","","q""x","b\\c","(x)")"#);
    }

    #[test]
    fn storage_round_trip() {
        let r = rec(vec![Datum::Int4(7), Datum::Null, Datum::Text("x".into())]);
        let mut bytes = Vec::new();
        r.write_storage(&mut bytes);
        assert_eq!(RecordValue::from_storage(&bytes).unwrap(), r);
    }

    #[test]
    fn nulls_equal_and_sort_last() {
        let a = RecordValue { types: vec![PgType::Int4; 2], values: vec![Datum::Int4(1), Datum::Null] };
        let b = rec(vec![Datum::Int4(1), Datum::Int4(2)]);
        assert_eq!(compare(&a, &a, Need::Equality).unwrap(), Ordering::Equal);
        assert_eq!(compare(&a, &b, Need::Order).unwrap(), Ordering::Greater);
        let c = rec(vec![Datum::Int4(1), Datum::Text("x".into())]);
        assert!(compare(&b, &c, Need::Equality).is_err());
    }
}
