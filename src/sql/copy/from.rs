//! Decoding COPY FROM input, incrementally.
//!
//! Bytes are [`Decoder::feed`]-ed in whatever pieces they arrive in; each
//! call to [`Decoder::next_row`] returns the next complete row or says that
//! more input is needed. Only the bytes of the row being assembled are
//! kept. A row is a text line (`\n`, `\r\n` or `\r`, fixed by the first
//! line, as PostgreSQL does), a CSV record (which may span lines inside
//! quotes), or a binary tuple. In text and CSV, `\.` ends the data (in CSV
//! only alone at the start of a record); what follows it is ignored.
//!
//! Line numbers count as PostgreSQL counts them (`cur_lineno`), so that
//! CONTEXT lines match: one per record, plus each newline inside quoted CSV
//! fields; the header is line 1.

use bytes::{Buf, BytesMut};

use super::options::{ColumnSet, CopyOptions, Format, HeaderMode};
use super::{CopyStmt, clip};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::datetime::{self, TimeZone};
use crate::sql::types::{Datum, PgType, parse_binary, parse_text_tz};

const BINARY_SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// One input field: the table column it fills.
struct Field {
    column: usize,
    name: String,
    ty: PgType,
    typmod: i32,
    force_not_null: bool,
    force_null: bool,
    /// An enum column's labels (or its element type's, for an array of
    /// an enum), set by [`Decoder::set_enum_labels`].
    labels: Option<crate::sql::enums::EnumLabels>,
    /// A composite column's fields, set by [`Decoder::set_row_types`].
    row_type: Option<std::sync::Arc<crate::sql::record::RowType>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Eol {
    Nl,
    Cr,
    CrNl,
}

/// Where the scan for the end of the current record stopped.
#[derive(Default)]
struct Scan {
    /// Bytes of the buffer scanned so far.
    pos: usize,
    /// CSV: inside a quoted field; the escape character just seen.
    in_quote: bool,
    escape_pending: bool,
    /// The record's first line was counted.
    started: bool,
}

/// How a record ended.
enum RecordEnd {
    /// A line of `len` content bytes, then `consumed - len` bytes of line end.
    Line { len: usize, consumed: usize },
    /// The end-of-data marker after `len` content bytes.
    Marker { len: usize },
}

pub struct Decoder {
    format: Format,
    opts: CopyOptions,
    relname: String,
    fields: Vec<Field>,
    width: usize,
    buf: BytesMut,
    scan: Scan,
    eol: Option<Eol>,
    /// PostgreSQL's `cur_lineno`: the line (or binary tuple) being read.
    line: u64,
    /// The raw text of the last record read (for CONTEXT).
    line_buf: Vec<u8>,
    header_pending: bool,
    binary_header_read: bool,
    /// The end marker (or binary trailer) was read.
    ended: bool,
    /// Reused per record: the fields' values (de-escaped) one after
    /// another, and where each is in them (`None`: NULL).
    field_bytes: Vec<u8>,
    raw_fields: Vec<Option<std::ops::Range<usize>>>,
    /// The table's columns the input does not fill (NULL in every row).
    fields_skipped: Vec<usize>,
    /// The session's zone, for date/time input without one.
    time_zone: TimeZone,
}

impl Decoder {
    /// Give the enum columns (and arrays of enums) their types' labels,
    /// which their text input needs: `labels` reads them from the catalog.
    pub fn set_enum_labels(
        &mut self,
        mut labels: impl FnMut(u32) -> Result<crate::sql::enums::EnumLabels>,
    ) -> Result<()> {
        for f in &mut self.fields {
            if let PgType::Enum(oid) | PgType::EnumArray(oid) = f.ty {
                f.labels = Some(labels(oid)?);
            }
        }
        Ok(())
    }

    /// Give the composite columns their types' fields, which their text
    /// input needs: `row_type` reads them from the catalog.
    pub fn set_row_types(
        &mut self,
        mut row_type: impl FnMut(u32) -> Result<Option<std::sync::Arc<crate::sql::record::RowType>>>,
    ) -> Result<()> {
        for f in &mut self.fields {
            if let PgType::Composite(oid) = f.ty {
                f.row_type = row_type(oid)?;
            }
        }
        Ok(())
    }

    /// Read date/time values without a zone in the session's zone `tz`
    /// (UTC until set).
    pub fn set_time_zone(&mut self, tz: TimeZone) {
        self.time_zone = tz;
    }

    pub fn new(stmt: &CopyStmt) -> Result<Decoder> {
        let table = stmt.table.as_ref().ok_or_else(|| Error::internal("COPY FROM without a table"))?;
        let opts = stmt.options.clone();
        let flag = |set: &ColumnSet, option: &str| -> Result<Vec<bool>> {
            let mut flags = vec![false; stmt.targets.len()];
            if let ColumnSet::Named(names) = set {
                for n in names {
                    let Some(col) = table.columns.iter().position(|c| &c.name == n) else {
                        return Err(err!(
                            SqlState::UNDEFINED_COLUMN,
                            "column \"{n}\" of relation \"{}\" does not exist",
                            table.name
                        ));
                    };
                    let Some(k) = stmt.targets.iter().position(|&t| t == col) else {
                        return Err(err!(
                            SqlState::INVALID_COLUMN_REFERENCE,
                            "{option} column \"{n}\" not referenced by COPY"
                        ));
                    };
                    flags[k] = true;
                }
            }
            Ok(flags)
        };
        let not_null = flag(&opts.force_not_null, "FORCE_NOT_NULL")?;
        let null = flag(&opts.force_null, "FORCE_NULL")?;
        let fields = stmt
            .targets
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let c = &table.columns[i];
                Field {
                    column: i,
                    name: c.name.clone(),
                    ty: c.ty,
                    typmod: c.typmod,
                    force_not_null: not_null[k],
                    force_null: null[k],
                    labels: None,
                    row_type: None,
                }
            })
            .collect();
        Ok(Decoder {
            format: opts.format,
            header_pending: opts.header != HeaderMode::None,
            opts,
            relname: stmt.relname.clone(),
            fields,
            width: table.columns.len(),
            buf: BytesMut::with_capacity(64 * 1024),
            scan: Scan::default(),
            eol: None,
            line: 0,
            line_buf: Vec::new(),
            binary_header_read: false,
            ended: false,
            field_bytes: Vec::new(),
            raw_fields: Vec::new(),
            fields_skipped: (0..table.columns.len()).filter(|i| !stmt.targets.contains(i)).collect(),
            time_zone: TimeZone::UTC,
        })
    }

    /// Take more input.
    pub fn feed(&mut self, data: &[u8]) -> Result<()> {
        if self.ended {
            if self.format == Format::Binary && !data.is_empty() {
                return Err(bad_format("received copy data after EOF marker"));
            }
            return Ok(());
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// Decode the next row into `values` (table column order, NULL for
    /// columns not in the input). `Ok(false)`: more input is needed, or
    /// (with `at_end`, when no more will come) the data has ended.
    pub fn next_row(&mut self, values: &mut Vec<Datum>, at_end: bool) -> Result<bool> {
        if self.format == Format::Binary {
            return self.next_binary(values, at_end);
        }
        loop {
            if self.ended {
                return Ok(false);
            }
            let Some(end) = self.find_record_end(at_end)? else { return Ok(false) };
            let (len, consumed) = match end {
                RecordEnd::Line { len, consumed } => (len, consumed),
                RecordEnd::Marker { len } => {
                    self.ended = true;
                    (len, self.buf.len())
                }
            };
            self.line_buf.clear();
            self.line_buf.extend_from_slice(&self.buf[..len]);
            self.buf.advance(consumed);
            self.scan = Scan::default();
            if self.ended && len == 0 {
                return Ok(false);
            }
            if self.header_pending {
                self.header_pending = false;
                if self.opts.header == HeaderMode::Match {
                    self.check_header()?;
                }
                continue;
            }
            self.decode_fields(values)?;
            return Ok(true);
        }
    }

    /// CONTEXT for an error about the row last returned: with its text
    /// (as for a NOT NULL violation) or only its line (as for a unique
    /// violation, which PostgreSQL finds after the line is gone).
    pub fn row_context(&self, with_line: bool) -> String {
        if with_line && self.format != Format::Binary {
            format!("COPY {}, line {}: \"{}\"", self.relname, self.line, clip(&String::from_utf8_lossy(&self.line_buf)))
        } else {
            self.line_context()
        }
    }

    fn line_context(&self) -> String {
        format!("COPY {}, line {}", self.relname, self.line)
    }

    fn line_error(&self, e: Error) -> Error {
        e.with_context(self.line_context())
    }

    // ---- text and CSV ---------------------------------------------------

    /// Find where the current record ends, scanning only bytes not yet
    /// scanned. `None`: the record is not complete yet.
    fn find_record_end(&mut self, at_end: bool) -> Result<Option<RecordEnd>> {
        if !self.scan.started {
            if self.buf.is_empty() {
                return Ok(None);
            }
            self.scan.started = true;
            self.line += 1;
        }
        let csv = self.format == Format::Csv;
        let (quote, escape) = (self.opts.quote, self.opts.escape);
        let buf = &self.buf[..];
        let mut i = self.scan.pos;
        while i < buf.len() {
            let c = buf[i];
            if csv {
                if self.scan.in_quote {
                    if self.scan.escape_pending {
                        self.scan.escape_pending = false;
                        if c == quote || c == escape {
                            i += 1;
                            continue;
                        }
                    }
                    if c == escape && escape != quote {
                        self.scan.escape_pending = true;
                    } else if c == quote {
                        self.scan.in_quote = false;
                    } else if c == self.embedded_eol_char() {
                        self.line += 1;
                    }
                    i += 1;
                    continue;
                }
                if c == quote {
                    self.scan.in_quote = true;
                    i += 1;
                    continue;
                }
            }
            match c {
                b'\n' => {
                    match self.eol {
                        None => self.eol = Some(Eol::Nl),
                        Some(Eol::Nl) => {}
                        Some(_) => return Err(self.line_error(literal_newline(csv))),
                    }
                    return Ok(Some(RecordEnd::Line { len: i, consumed: i + 1 }));
                }
                b'\r' => {
                    if i + 1 >= buf.len() && !at_end && self.eol != Some(Eol::Cr) {
                        break; // is it \r\n?
                    }
                    let crnl = buf.get(i + 1) == Some(&b'\n');
                    match (self.eol, crnl) {
                        (None, true) => self.eol = Some(Eol::CrNl),
                        (None, false) => self.eol = Some(Eol::Cr),
                        (Some(Eol::CrNl), true) | (Some(Eol::Cr), _) => {}
                        _ => return Err(self.line_error(literal_carriage_return(csv))),
                    }
                    let consumed = if self.eol == Some(Eol::CrNl) { i + 2 } else { i + 1 };
                    return Ok(Some(RecordEnd::Line { len: i, consumed }));
                }
                b'\\' if !csv || i == 0 => {
                    let Some(&c2) = buf.get(i + 1) else {
                        if at_end {
                            i += 1;
                            continue;
                        }
                        break;
                    };
                    if c2 != b'.' {
                        // In text, the byte after a backslash is data (even a newline).
                        i += if csv { 1 } else { 2 };
                        continue;
                    }
                    // `\.`: the end-of-data marker if a line end (or the end) follows.
                    match buf.get(i + 2) {
                        None if !at_end => break,
                        None | Some(b'\n') => return Ok(Some(RecordEnd::Marker { len: i })),
                        Some(b'\r') => {
                            if buf.get(i + 3).is_none() && !at_end {
                                break;
                            }
                            return Ok(Some(RecordEnd::Marker { len: i }));
                        }
                        Some(_) if csv => i += 1,
                        Some(_) => return Err(self.line_error(bad_format("end-of-copy marker corrupt"))),
                    }
                }
                _ => i += 1,
            }
        }
        self.scan.pos = i;
        if at_end && !self.buf.is_empty() {
            if self.scan.in_quote {
                self.line_buf.clear();
                self.line_buf.extend_from_slice(&self.buf);
                return Err(bad_format("unterminated CSV quoted field").with_context(self.row_context(true)));
            }
            // A last line without a line end.
            return Ok(Some(RecordEnd::Line { len: self.buf.len(), consumed: self.buf.len() }));
        }
        Ok(None)
    }

    fn embedded_eol_char(&self) -> u8 {
        // Before the first line end is seen PostgreSQL compares with `\r`.
        if self.eol == Some(Eol::Nl) { b'\n' } else { b'\r' }
    }

    /// Split the current line into fields (`field_bytes`, `raw_fields`).
    fn split_fields(&mut self) -> Result<()> {
        if let Err(e) = std::str::from_utf8(&self.line_buf) {
            let at = e.valid_up_to();
            let n = e.error_len().unwrap_or(self.line_buf.len() - at);
            return Err(self.line_error(invalid_encoding(&self.line_buf[at..at + n])));
        }
        self.raw_fields.clear();
        self.field_bytes.clear();
        let out = &mut self.field_bytes;
        let line = &self.line_buf[..];
        let delim = self.opts.delimiter;
        let null = self.opts.null.as_bytes();
        let mut i = 0;
        if self.format == Format::Csv {
            let (quote, escape) = (self.opts.quote, self.opts.escape);
            loop {
                let start = i;
                let first = out.len();
                let mut saw_quote = false;
                let mut last = true;
                'field: while i < line.len() {
                    let c = line[i];
                    i += 1;
                    if c == delim {
                        last = false;
                        break;
                    }
                    if c != quote {
                        out.push(c);
                        continue;
                    }
                    saw_quote = true;
                    loop {
                        let Some(&c) = line.get(i) else {
                            return Err(
                                bad_format("unterminated CSV quoted field").with_context(self.row_context(true))
                            );
                        };
                        i += 1;
                        if c == escape {
                            if let Some(&next) = line.get(i) {
                                if next == escape || next == quote {
                                    out.push(next);
                                    i += 1;
                                    continue;
                                }
                            }
                        }
                        if c == quote {
                            continue 'field;
                        }
                        out.push(c);
                    }
                }
                let raw_end = if last { i } else { i - 1 };
                let is_null = !saw_quote && &line[start..raw_end] == null;
                self.raw_fields.push((!is_null).then_some(first..out.len()));
                if last {
                    return Ok(());
                }
            }
        }
        loop {
            let start = i;
            let first = out.len();
            let mut last = true;
            while i < line.len() {
                // The run of plain bytes up to the next delimiter or escape, at once.
                let run = line[i..].iter().position(|&c| c == delim || c == b'\\').unwrap_or(line.len() - i);
                out.extend_from_slice(&line[i..i + run]);
                i += run;
                let Some(&c) = line.get(i) else { break };
                i += 1;
                if c == delim {
                    last = false;
                    break;
                }
                let Some(&e) = line.get(i) else { break };
                i += 1;
                let v = match e {
                    b'0'..=b'7' => {
                        let mut v = (e - b'0') as u32;
                        for _ in 0..2 {
                            match line.get(i) {
                                Some(&d @ b'0'..=b'7') => {
                                    v = v * 8 + (d - b'0') as u32;
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        (v & 0xff) as u8
                    }
                    b'x' if line.get(i).is_some_and(u8::is_ascii_hexdigit) => {
                        let mut v = 0u32;
                        for _ in 0..2 {
                            match line.get(i) {
                                Some(d) if d.is_ascii_hexdigit() => {
                                    v = v * 16 + (*d as char).to_digit(16).unwrap_or(0);
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        v as u8
                    }
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'v' => 0x0b,
                    other => other,
                };
                out.push(v);
            }
            let raw_end = if last { i } else { i - 1 };
            let is_null = &line[start..raw_end] == null;
            self.raw_fields.push((!is_null).then_some(first..out.len()));
            if last {
                return Ok(());
            }
        }
    }

    /// HEADER MATCH: the first line must name the columns, in order.
    fn check_header(&mut self) -> Result<()> {
        self.split_fields()?;
        let with_line = |d: &Decoder, e: Error| e.with_context(d.row_context(true));
        if self.raw_fields.len() != self.fields.len() {
            let e = bad_format(format!(
                "wrong number of fields in header line: got {}, expected {}",
                self.raw_fields.len(),
                self.fields.len()
            ));
            return Err(with_line(self, e));
        }
        for (k, (raw, f)) in self.raw_fields.iter().zip(&self.fields).enumerate() {
            let e = match raw.clone().map(|r| &self.field_bytes[r]) {
                None => bad_format(format!(
                    "column name mismatch in header line field {}: got null value (\"{}\"), expected \"{}\"",
                    k + 1,
                    self.opts.null,
                    f.name
                )),
                Some(name) if name != f.name.as_bytes() => bad_format(format!(
                    "column name mismatch in header line field {}: got \"{}\", expected \"{}\"",
                    k + 1,
                    String::from_utf8_lossy(name),
                    f.name
                )),
                Some(_) => continue,
            };
            return Err(with_line(self, e));
        }
        Ok(())
    }

    fn decode_fields(&mut self, values: &mut Vec<Datum>) -> Result<()> {
        self.split_fields()?;
        if self.raw_fields.len() > self.fields.len() && !self.fields.is_empty() {
            return Err(bad_format("extra data after last expected column").with_context(self.row_context(true)));
        }
        // The values of the last row stay until overwritten, so that a
        // text value's buffer is reused for the next row's.
        values.resize(self.width, Datum::Null);
        for f in &self.fields_skipped {
            values[*f] = Datum::Null;
        }
        let csv = self.format == Format::Csv;
        for (k, f) in self.fields.iter().enumerate() {
            let Some(raw) = self.raw_fields.get(k) else {
                return Err(
                    bad_format(format!("missing data for column \"{}\"", f.name)).with_context(self.row_context(true))
                );
            };
            let text: Option<&[u8]> = match raw.clone().map(|r| &self.field_bytes[r]) {
                None if csv && f.force_not_null => Some(self.opts.null.as_bytes()),
                Some(s) if csv && f.force_null && s == self.opts.null.as_bytes() => None,
                other => other,
            };
            let Some(text) = text else {
                values[f.column] = Datum::Null;
                continue;
            };
            let column_context = |text: &str| {
                format!("COPY {}, line {}, column {}: \"{}\"", self.relname, self.line, f.name, clip(text))
            };
            let text = match std::str::from_utf8(text) {
                Ok(t) if !t.contains('\0') => t,
                Ok(_) => return Err(invalid_encoding(&[0]).with_context(self.line_context())),
                Err(e) => {
                    let at = e.valid_up_to();
                    let n = e.error_len().unwrap_or(text.len() - at);
                    return Err(invalid_encoding(&text[at..at + n]).with_context(self.line_context()));
                }
            };
            let slot = &mut values[f.column];
            let done = match (&f.labels, &f.row_type) {
                (Some(labels), _) => labels.input_as(f.ty, text).map(|v| *slot = v),
                (None, Some(row)) => composite_input(row, text, &self.time_zone).map(|v| *slot = v),
                (None, None) => input_into(slot, f.ty, f.typmod, text, &self.time_zone),
            };
            done.map_err(|e| e.with_context(column_context(text)))?;
        }
        Ok(())
    }

    // ---- binary -----------------------------------------------------------

    fn next_binary(&mut self, values: &mut Vec<Datum>, at_end: bool) -> Result<bool> {
        if self.ended {
            return Ok(false);
        }
        if !self.binary_header_read {
            if !self.read_binary_header(at_end)? {
                return Ok(false);
            }
            self.binary_header_read = true;
        }
        // Parse the whole tuple before consuming it, so that a tuple split
        // across messages is simply retried when more bytes arrive.
        let buf = &self.buf[..];
        if buf.is_empty() {
            return Ok(false);
        }
        let eof = |d: &Decoder| Err(bad_format("unexpected EOF in COPY data").with_context(d.binary_context(None)));
        if buf.len() < 2 {
            return if at_end {
                self.line += 1;
                eof(self)
            } else {
                Ok(false)
            };
        }
        let count = i16::from_be_bytes([buf[0], buf[1]]);
        if count == -1 {
            self.ended = true;
            let rest = self.buf.len() - 2;
            self.buf.clear();
            if rest > 0 {
                return Err(bad_format("received copy data after EOF marker"));
            }
            return Ok(false);
        }
        if count as usize != self.fields.len() || count < 0 {
            self.line += 1;
            return Err(bad_format(format!("row field count is {count}, expected {}", self.fields.len()))
                .with_context(self.binary_context(None)));
        }
        // Find the tuple's extent first.
        let mut at = 2usize;
        let mut spans = Vec::with_capacity(self.fields.len());
        let mut complete = true;
        for _ in 0..count {
            if buf.len() < at + 4 {
                complete = false;
                break;
            }
            let len = i32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]);
            at += 4;
            if len >= 0 && buf.len() < at + len as usize {
                complete = false;
                break;
            }
            spans.push((len, at));
            at += len.max(0) as usize;
        }
        if !complete && !at_end {
            return Ok(false);
        }
        self.line += 1;
        values.clear();
        values.resize(self.width, Datum::Null);
        // Fields are checked in order, as PostgreSQL reads them, before a missing end is.
        for (f, &(len, start)) in self.fields.iter().zip(&spans) {
            if len == -1 {
                continue;
            }
            if len < -1 {
                return Err(bad_format("invalid field size").with_context(self.binary_context(Some(&f.name))));
            }
            let bytes = &buf[start..start + len as usize];
            let value = match (&f.labels, std::str::from_utf8(bytes)) {
                (Some(labels), Ok(text)) if !f.ty.is_array() => labels.input(text),
                _ => receive(f.ty, f.typmod, bytes, &self.time_zone),
            };
            values[f.column] = value.map_err(|e| e.with_context(self.binary_context(Some(&f.name))))?;
        }
        if !complete {
            return eof(self);
        }
        self.buf.advance(at);
        Ok(true)
    }

    fn binary_context(&self, column: Option<&str>) -> String {
        match column {
            Some(c) => format!("COPY {}, line {}, column {c}", self.relname, self.line),
            None => self.line_context(),
        }
    }

    /// The signature, flags and header extension. `Ok(false)`: not all here yet.
    fn read_binary_header(&mut self, at_end: bool) -> Result<bool> {
        let buf = &self.buf[..];
        let short = |what: &str| -> Result<bool> {
            if at_end { Err(bad_format(format!("invalid COPY file header ({what})"))) } else { Ok(false) }
        };
        if buf.len() < BINARY_SIGNATURE.len() {
            if !BINARY_SIGNATURE.starts_with(buf) || at_end {
                return Err(bad_format("COPY file signature not recognized"));
            }
            return Ok(false);
        }
        if &buf[..11] != BINARY_SIGNATURE {
            return Err(bad_format("COPY file signature not recognized"));
        }
        if buf.len() < 15 {
            return short("missing flags");
        }
        let flags = u32::from_be_bytes([buf[11], buf[12], buf[13], buf[14]]);
        if flags & (1 << 16) != 0 {
            return Err(bad_format("invalid COPY file header (WITH OIDS)"));
        }
        if (flags & !(1 << 16)) >> 16 != 0 {
            return Err(bad_format("unrecognized critical flags in COPY file header"));
        }
        if buf.len() < 19 {
            return short("missing length");
        }
        let ext = i32::from_be_bytes([buf[15], buf[16], buf[17], buf[18]]);
        if ext < 0 {
            return Err(bad_format("invalid COPY file header (missing length)"));
        }
        if buf.len() < 19 + ext as usize {
            return short("wrong length");
        }
        self.buf.advance(19 + ext as usize);
        Ok(true)
    }
}

/// [`input_value`] into `slot`, reusing the buffer of a text value
/// already there (COPY's values are overwritten row after row).
/// A composite value from its text form; its fields of built-in types
/// only (the input of an enum or composite field needs more of the
/// catalog than COPY reads ahead).
fn composite_input(row: &crate::sql::record::RowType, text: &str, tz: &TimeZone) -> Result<Datum> {
    let mut field_in = |f: &crate::sql::record::RowField, text: Option<&str>| -> Result<Datum> {
        match (text, f.ty) {
            (None, _) => Ok(Datum::Null),
            (Some(_), PgType::Enum(_) | PgType::EnumArray(_) | PgType::Composite(_)) => {
                Err(Error::not_supported("COPY input of a composite value with enum or composite fields"))
            }
            (Some(t), ty) => crate::sql::types::parse_text_tz(ty, t, tz),
        }
    };
    Ok(row.input(text, &mut field_in)?.into_datum())
}

fn input_into(slot: &mut Datum, ty: PgType, typmod: i32, text: &str, tz: &TimeZone) -> Result<()> {
    let reuse = |slot: &mut Datum| match std::mem::replace(slot, Datum::Null) {
        Datum::Text(mut s) | Datum::Bpchar(mut s) => {
            s.clear();
            s
        }
        _ => String::new(),
    };
    match ty {
        PgType::Text | PgType::Varchar if typmod < 4 || text.len() <= (typmod - 4) as usize => {
            // No more bytes than the limit in characters: within it.
            let mut s = reuse(slot);
            s.push_str(text);
            *slot = Datum::Text(s);
        }
        PgType::Bpchar if typmod >= 4 && text.len() == text.chars().count() => {
            let n = (typmod - 4) as usize;
            if text.len() > n && !text.as_bytes()[n..].iter().all(|&b| b == b' ') {
                return Err(err!(SqlState::STRING_DATA_RIGHT_TRUNCATION, "value too long for type character({n})"));
            }
            // One byte per character: padded or cut by bytes.
            let mut s = reuse(slot);
            s.push_str(&text[..text.len().min(n)]);
            push_spaces(&mut s, n.saturating_sub(text.len()));
            *slot = Datum::Bpchar(s);
        }
        _ => *slot = input_value(ty, typmod, text, tz)?,
    }
    Ok(())
}

/// Append `n` spaces, in runs (one `char` at a time, padding a wide
/// `char(n)` column was a tenth of a COPY's time).
fn push_spaces(s: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        s.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// A value's text input with its column's type modifier (`varchar(n)`
/// refuses longer values, except that excess spaces are cut, as
/// PostgreSQL's `varchar` input does), date/time values without a zone
/// read in the session's zone `tz`.
fn input_value(ty: PgType, typmod: i32, text: &str, tz: &TimeZone) -> Result<Datum> {
    if ty == PgType::Bpchar && typmod >= 4 {
        let n = (typmod - 4) as usize;
        if let Some((cut, _)) = text.char_indices().nth(n) {
            if !text[cut..].bytes().all(|b| b == b' ') {
                return Err(err!(SqlState::STRING_DATA_RIGHT_TRUNCATION, "value too long for type character({n})"));
            }
        }
        return Ok(Datum::Bpchar(crate::sql::types::bpchar_with_length(text, n)));
    }
    if ty == PgType::Varchar && typmod >= 4 {
        let max = (typmod - 4) as usize;
        if let Some((cut, _)) = text.char_indices().nth(max) {
            if !text[cut..].bytes().all(|b| b == b' ') {
                return Err(err!(
                    SqlState::STRING_DATA_RIGHT_TRUNCATION,
                    "value too long for type character varying({max})"
                ));
            }
            return Ok(Datum::Text(text[..cut].to_string()));
        }
    }
    if ty == PgType::RegClass {
        // Taken as written: the row is stored through the lookup of
        // `sql::reg_column`, which fails as the cast does.
        return Ok(Datum::Text(text.to_string()));
    }
    if ty == PgType::Interval && typmod >= 0 {
        // The modifier's fields say how the text reads (`'5'` is five
        // minutes in an `interval minute` column).
        return datetime::parse_interval_typmod(text, Some(typmod as u32)).map(Datum::Interval);
    }
    apply_typmod(parse_text_tz(ty, text, tz)?, typmod)
}

/// A column's type modifier applied to a value read for it, as the
/// type's input function applies it: `numeric(p,s)` rounds and checks the
/// precision; `time(p)`, `timetz(p)`, `timestamp(p)` and `timestamptz(p)`
/// round the seconds; `interval` fields and precision cut the value.
fn apply_typmod(v: Datum, typmod: i32) -> Result<Datum> {
    let Ok(p) = u32::try_from(typmod) else { return Ok(v) };
    Ok(match v {
        Datum::Numeric(n) if typmod >= 4 => Datum::Numeric(crate::sql::numeric::apply_typmod(&n, typmod)?),
        Datum::Time(t) => Datum::Time(datetime::round_micros(t, p)),
        Datum::TimeTz { micros, offset_secs } => {
            Datum::TimeTz { micros: datetime::round_micros(micros, p), offset_secs }
        }
        Datum::Timestamp(t) => Datum::Timestamp(datetime::round_timestamp(t, p)),
        Datum::TimestampTz(t) => Datum::TimestampTz(datetime::round_timestamp(t, p)),
        Datum::Interval(iv) => Datum::Interval(datetime::adjust_interval(iv, Some(p))?),
        other => other,
    })
}

/// A value's binary input (`typreceive`) with PostgreSQL's COPY messages.
fn receive(ty: PgType, typmod: i32, bytes: &[u8], tz: &TimeZone) -> Result<Datum> {
    let fixed = ty.typlen();
    if fixed > 0 && bytes.len() < fixed as usize {
        return Err(err!(SqlState::PROTOCOL_VIOLATION, "insufficient data left in message"));
    }
    if fixed > 0 && bytes.len() > fixed as usize {
        return Err(err!(SqlState::INVALID_BINARY_REPRESENTATION, "incorrect binary data format"));
    }
    let v = parse_binary(ty, bytes).map_err(|e| {
        if e.code() == SqlState::INVALID_BINARY_REPRESENTATION {
            err!(SqlState::INVALID_BINARY_REPRESENTATION, "incorrect binary data format")
        } else {
            e
        }
    })?;
    if let (Datum::Text(s), true) = (&v, ty == PgType::Varchar && typmod >= 4) {
        return input_value(ty, typmod, s, tz);
    }
    apply_typmod(v, typmod)
}

fn bad_format(message: impl Into<String>) -> Error {
    Error::new(SqlState::BAD_COPY_FILE_FORMAT, message)
}

fn invalid_encoding(bytes: &[u8]) -> Error {
    let shown: Vec<String> = bytes.iter().map(|b| format!("0x{b:02x}")).collect();
    err!(SqlState::CHARACTER_NOT_IN_REPERTOIRE, "invalid byte sequence for encoding \"UTF8\": {}", shown.join(" "))
}

fn literal_newline(csv: bool) -> Error {
    if csv {
        bad_format("unquoted newline found in data").with_hint("Use quoted CSV field to represent newline.")
    } else {
        bad_format("literal newline found in data").with_hint("Use \"\\n\" to represent newline.")
    }
}

fn literal_carriage_return(csv: bool) -> Error {
    if csv {
        bad_format("unquoted carriage return found in data")
            .with_hint("Use quoted CSV field to represent carriage return.")
    } else {
        bad_format("literal carriage return found in data").with_hint("Use \"\\r\" to represent carriage return.")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::catalog::{Column, Table};
    use crate::sql::copy::syntax::{OptValue, RawOption};
    use crate::sql::copy::{CopyIo, options};
    use crate::storage::smgr::RelFileLocator;

    fn stmt(options: &[(&str, &str)]) -> CopyStmt {
        let col = |name: &str, ty| Column::new(name, ty, -1, false);
        let table = Table {
            oid: 1,
            name: "t".into(),
            namespace: crate::catalog::PUBLIC_NAMESPACE,
            rel: RelFileLocator { db: 1, relfilenode: 1 },
            columns: vec![col("a", PgType::Int4), col("b", PgType::Text)],
            indexes: Vec::new(),
            fillfactor: 100,
            unlogged: false,
            temp: false,
            foreign_keys: Vec::new(),
            referenced_by: Vec::new(),
            checks: Vec::new(),
            toast: None,
            view: None,
            counted: (0, -1.0),
            allvisible: 0,
            stats: Vec::new(),
            sequence: false,
        };
        let raw: Vec<RawOption> = options
            .iter()
            .map(|(n, v)| RawOption {
                name: n.to_string(),
                value: OptValue::Str(v.to_string()),
                location: sqlparser::tokenizer::Location { line: 0, column: 0 },
            })
            .collect();
        CopyStmt {
            from: true,
            io: CopyIo::Client,
            table: Some(Arc::new(table)),
            relname: "t".into(),
            targets: vec![0, 1],
            defaults: Vec::new(),
            plan: None,
            filter: None,
            columns: Vec::new(),
            options: options::resolve(&raw, true, "").unwrap(),
        }
    }

    /// Decode `input` fed in pieces of `piece` bytes; the rows, or the first error.
    fn decode(options: &[(&str, &str)], input: &[u8], piece: usize) -> Result<Vec<Vec<Datum>>> {
        let mut d = Decoder::new(&stmt(options))?;
        let mut rows = Vec::new();
        let mut values = Vec::new();
        for chunk in input.chunks(piece) {
            d.feed(chunk)?;
            while d.next_row(&mut values, false)? {
                rows.push(values.clone());
            }
        }
        while d.next_row(&mut values, true)? {
            rows.push(values.clone());
        }
        Ok(rows)
    }

    fn row(a: Option<i32>, b: Option<&str>) -> Vec<Datum> {
        vec![a.map_or(Datum::Null, Datum::Int4), b.map_or(Datum::Null, |s| Datum::Text(s.into()))]
    }

    #[test]
    fn any_split_of_the_input_decodes_the_same() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [u8], std::result::Result<Vec<Vec<Datum>>, &'a str>);
        let cases: &[Case] = &[
            (&[], b"1\ta\\tb\r\n2\t\\N\r\n", Ok(vec![row(Some(1), Some("a\tb")), row(Some(2), None)])),
            (&[], b"1\tx\\\ny\n", Ok(vec![row(Some(1), Some("x\ny"))])),
            (
                &[("format", "csv")],
                b"1,\"a\nb\"\"c\"\n2,\n",
                Ok(vec![row(Some(1), Some("a\nb\"c")), row(Some(2), None)]),
            ),
            // `\.x` at the start of a CSV line is data, not the end marker.
            (&[("format", "csv")], b"\\.x,y\n", Err("invalid input syntax for type integer: \"\\.x\"")),
            (
                &[("format", "binary")],
                b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0\0\x02\0\0\0\x04\0\0\0\x07\xff\xff\xff\xff\xff\xff",
                Ok(vec![row(Some(7), None)]),
            ),
        ];
        for (options, input, want) in cases {
            for piece in 1..=input.len() {
                let got = decode(options, input, piece);
                let got = got.as_ref().map_err(|e| e.message());
                assert_eq!(got, want.as_ref().map_err(|e| *e), "{options:?} in pieces of {piece}");
            }
        }
    }

    #[test]
    fn the_end_marker_ends_the_data() {
        assert_eq!(decode(&[], b"1\ta\n\\.\n2\tb\n", 3).unwrap(), vec![row(Some(1), Some("a"))]);
        assert_eq!(decode(&[], b"1\ta\\.\n", 3).unwrap(), vec![row(Some(1), Some("a"))]);
        assert_eq!(decode(&[("format", "csv")], b"1,a\n\\.\r\n", 2).unwrap(), vec![row(Some(1), Some("a"))]);
        let e = decode(&[], b"1\ta\\.x\n", 100).unwrap_err();
        assert_eq!(e.message(), "end-of-copy marker corrupt");
    }

    #[test]
    fn line_ends_must_agree_with_the_first_line() {
        let e = decode(&[], b"1\ta\n2\tb\r\n", 100).unwrap_err();
        assert_eq!(e.message(), "literal carriage return found in data");
        assert_eq!(e.context(), Some("COPY t, line 2"));
        let e = decode(&[("format", "csv")], b"1,a\r\n2,b\n", 100).unwrap_err();
        assert_eq!(e.message(), "unquoted newline found in data");
    }

    #[test]
    fn context_names_the_line_and_column() {
        let e = decode(&[("format", "csv")], b"1,a\n2,\"x\ny\"\nz,q\n", 100).unwrap_err();
        assert_eq!(e.context(), Some("COPY t, line 4, column a: \"z\""));
        let long = format!("1\t{}\textra\n", "é".repeat(60));
        let e = decode(&[], long.as_bytes(), 100).unwrap_err();
        assert_eq!(e.message(), "extra data after last expected column");
        let shown = e.context().unwrap();
        assert!(shown.ends_with("...\""), "{shown}");
        assert!(shown.len() <= "COPY t, line 1: \"".len() + 100 + 4);
    }
}
