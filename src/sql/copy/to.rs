//! Encoding COPY TO output, byte for byte as PostgreSQL's `CopyOneRowTo`:
//! text with backslash escapes, CSV with quoting where needed (or forced),
//! or binary with the `PGCOPY` header and each type's send form.

use bytes::BufMut;

use super::options::{ColumnSet, CopyOptions, Format, HeaderMode};
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::Column;
use crate::sql::datetime::TimeZone;
use crate::sql::types::{ByteaOutput, Datum, TextStyle};

pub struct Encoder {
    opts: CopyOptions,
    force_quote: Vec<bool>,
    names: Vec<String>,
    style: OutputStyle,
    scratch: Vec<u8>,
}

/// The session settings text output follows in COPY TO, as in results.
#[derive(Clone, Debug)]
pub struct OutputStyle {
    pub extra_float_digits: i32,
    pub bytea_output: ByteaOutput,
    /// The zone timestamptz values are shown in.
    pub time_zone: TimeZone,
}

impl Default for OutputStyle {
    fn default() -> Self {
        OutputStyle { extra_float_digits: 1, bytea_output: ByteaOutput::Hex, time_zone: TimeZone::UTC }
    }
}

impl Encoder {
    /// An encoder for rows of `columns`, printing values as `style` says;
    /// FORCE_QUOTE names must be among the columns.
    pub fn new(opts: &CopyOptions, columns: &[Column], style: OutputStyle) -> Result<Encoder> {
        let force_quote = match &opts.force_quote {
            ColumnSet::None => vec![false; columns.len()],
            ColumnSet::All => vec![true; columns.len()],
            ColumnSet::Named(names) => {
                let mut flags = vec![false; columns.len()];
                for n in names {
                    let k = columns.iter().position(|c| &c.name == n).ok_or_else(|| {
                        err!(SqlState::INVALID_COLUMN_REFERENCE, "FORCE_QUOTE column \"{n}\" not referenced by COPY")
                    })?;
                    flags[k] = true;
                }
                flags
            }
        };
        Ok(Encoder {
            opts: opts.clone(),
            force_quote,
            names: columns.iter().map(|c| c.name.clone()).collect(),
            style,
            scratch: Vec::new(),
        })
    }

    /// What precedes the rows: the binary header, or a header line.
    pub fn start(&mut self, out: &mut impl BufMut) {
        match self.opts.format {
            Format::Binary => {
                out.put_slice(b"PGCOPY\n\xff\r\n\0");
                out.put_i32(0);
                out.put_i32(0);
            }
            _ if self.opts.header == HeaderMode::Present => {
                let single = self.names.len() == 1;
                for (i, name) in self.names.iter().enumerate() {
                    if i > 0 {
                        out.put_u8(self.opts.delimiter);
                    }
                    if self.opts.format == Format::Csv {
                        self.csv_attribute(out, name.as_bytes(), false, single);
                    } else {
                        self.text_attribute(out, name.as_bytes());
                    }
                }
                out.put_u8(b'\n');
            }
            _ => {}
        }
    }

    /// Whether [`Encoder::start`] writes anything.
    pub fn has_start(&self) -> bool {
        self.opts.format == Format::Binary || self.opts.header == HeaderMode::Present
    }

    /// What follows the rows: the binary trailer.
    pub fn finish(&self, out: &mut impl BufMut) {
        if self.opts.format == Format::Binary {
            out.put_i16(-1);
        }
    }

    pub fn has_finish(&self) -> bool {
        self.opts.format == Format::Binary
    }

    /// Encode one row.
    pub fn row(&mut self, out: &mut impl BufMut, row: &[Datum]) {
        if self.opts.format == Format::Binary {
            out.put_i16(row.len() as i16);
            for v in row {
                if v.is_null() {
                    out.put_i32(-1);
                    continue;
                }
                self.scratch.clear();
                v.write_binary(&mut self.scratch);
                out.put_i32(self.scratch.len() as i32);
                out.put_slice(&self.scratch);
            }
            return;
        }
        let csv = self.opts.format == Format::Csv;
        let single = row.len() == 1;
        let mut scratch = std::mem::take(&mut self.scratch);
        let style = TextStyle {
            extra_float_digits: self.style.extra_float_digits,
            time_zone: &self.style.time_zone,
            bytea_output: self.style.bytea_output,
        };
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                out.put_u8(self.opts.delimiter);
            }
            if v.is_null() {
                out.put_slice(self.opts.null.as_bytes());
                continue;
            }
            scratch.clear();
            v.write_text_as(&mut scratch, &style);
            if csv {
                self.csv_attribute(out, &scratch, self.force_quote[i], single);
            } else {
                self.text_attribute(out, &scratch);
            }
        }
        self.scratch = scratch;
        out.put_u8(b'\n');
    }

    /// `CopyAttributeOutText`: backslash escapes for the delimiter, the
    /// backslash and control characters.
    fn text_attribute(&self, out: &mut impl BufMut, s: &[u8]) {
        let delim = self.opts.delimiter;
        let mut start = 0;
        for (i, &c) in s.iter().enumerate() {
            let escaped = match c {
                0x08 => Some(b'b'),
                0x0c => Some(b'f'),
                b'\n' => Some(b'n'),
                b'\r' => Some(b'r'),
                b'\t' => Some(b't'),
                0x0b => Some(b'v'),
                b'\\' => Some(b'\\'),
                c if c == delim => Some(c),
                _ => None,
            };
            if let Some(e) = escaped {
                out.put_slice(&s[start..i]);
                out.put_u8(b'\\');
                out.put_u8(e);
                start = i + 1;
            }
        }
        out.put_slice(&s[start..]);
    }

    /// `CopyAttributeOutCSV`: quoted when forced, when equal to the NULL
    /// string, when holding the delimiter, the quote or a line end, or
    /// when it is `\.` alone in a one-column row.
    fn csv_attribute(&self, out: &mut impl BufMut, s: &[u8], force: bool, single: bool) {
        let (delim, quote, escape) = (self.opts.delimiter, self.opts.quote, self.opts.escape);
        let needs = force
            || s == self.opts.null.as_bytes()
            || (single && s == b"\\.")
            || s.iter().any(|&c| c == delim || c == quote || c == b'\n' || c == b'\r');
        if !needs {
            out.put_slice(s);
            return;
        }
        out.put_u8(quote);
        let mut start = 0;
        for (i, &c) in s.iter().enumerate() {
            if c == quote || c == escape {
                out.put_slice(&s[start..i]);
                out.put_u8(escape);
                start = i;
            }
        }
        out.put_slice(&s[start..]);
        out.put_u8(quote);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::copy::options::resolve;
    use crate::sql::copy::syntax::{OptValue, RawOption};
    use crate::sql::types::PgType;

    fn encode(options: &[(&str, OptValue)], rows: &[Vec<Datum>]) -> Vec<u8> {
        let raw: Vec<RawOption> = options
            .iter()
            .map(|(n, v)| RawOption {
                name: n.to_string(),
                value: v.clone(),
                location: sqlparser::tokenizer::Location { line: 0, column: 0 },
            })
            .collect();
        let opts = resolve(&raw, false, "").unwrap();
        let columns: Vec<Column> =
            (0..rows[0].len()).map(|i| Column { name: format!("c{i}"), ty: PgType::Text, typmod: -1 }).collect();
        let mut e = Encoder::new(&opts, &columns, OutputStyle::default()).unwrap();
        let mut out = Vec::new();
        e.start(&mut out);
        for r in rows {
            e.row(&mut out, r);
        }
        e.finish(&mut out);
        out
    }

    fn text(s: &str) -> Datum {
        Datum::Text(s.into())
    }

    #[test]
    fn text_escapes() {
        let out = encode(&[], &[vec![text("a\tb\\c\nd\r\x08\x0c\x0b\x01"), Datum::Null]]);
        assert_eq!(out, b"a\\tb\\\\c\\nd\\r\\b\\f\\v\x01\t\\N\n");
        let out = encode(&[("delimiter", OptValue::Str(",".into()))], &[vec![text("a,b"), text("")]]);
        assert_eq!(out, b"a\\,b,\n");
    }

    #[test]
    fn csv_quotes_only_where_needed() {
        let csv = || ("format", OptValue::Str("csv".into()));
        let out = encode(&[csv()], &[vec![text("plain"), text(""), Datum::Null, text("a\"b"), text("x,y")]]);
        assert_eq!(out, b"plain,\"\",,\"a\"\"b\",\"x,y\"\n");
        // `\.` alone in a one-column row would read back as the end marker.
        assert_eq!(encode(&[csv()], &[vec![text("\\.")]]), b"\"\\.\"\n");
        assert_eq!(encode(&[csv()], &[vec![text("\\."), text("x")]]), b"\\.,x\n");
        let out = encode(&[csv(), ("force_quote", OptValue::Star), ("header", OptValue::None)], &[vec![text("1")]]);
        assert_eq!(out, b"c0\n\"1\"\n");
    }

    #[test]
    fn binary_framing() {
        let out = encode(&[("format", OptValue::Str("binary".into()))], &[vec![text("hi"), Datum::Null]]);
        assert_eq!(out, b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0\0\x02\0\0\0\x02hi\xff\xff\xff\xff\xff\xff");
    }
}
