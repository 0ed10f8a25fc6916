//! Running COPY in a session.
//!
//! COPY FROM STDIN is driven by the protocol layer, message by message:
//! [`Session::copy_in_begin`] starts the statement (its transaction id and
//! command id, as INSERT's), [`Session::copy_in_data`] decodes and stores
//! the rows of each CopyData as it arrives, [`Session::copy_in_done`]
//! finishes at CopyDone. Rows are stored through the executor's insert path
//! ([`crate::sql::exec::insert_row`]); an error anywhere fails the
//! statement, so that none of its rows outlive the transaction.
//!
//! COPY TO STDOUT runs as a query portal whose rows the protocol layer
//! encodes with [`Session::copy_out_encoder`]. COPY to and from a
//! server-side file run whole when the portal is executed.

use std::io::{Read, Write};
use std::sync::Arc;

use crate::catalog::{Catalog, Table};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::copy::from::Decoder;
use crate::sql::copy::to::Encoder;
use crate::sql::copy::{CopyIo, CopyStmt};
use crate::sql::exec::foreign_key::FkChecks;
use crate::sql::exec::{Executor, InsertError, Progress, RowSink, check_not_null, insert_row};
use crate::sql::expr::EvalContext;
use crate::sql::types::Datum;
use crate::sql::{Bound, Statement};
use crate::storage::heap::tuple::TupleDesc;

use super::{Eval, Session};

/// Bytes read from a server-side file at a time.
const FILE_CHUNK: usize = 64 * 1024;

/// What a portal's COPY exchanges with the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyWithClient {
    /// COPY FROM STDIN.
    In,
    /// COPY TO STDOUT.
    Out,
}

/// The format a CopyInResponse or CopyOutResponse announces.
#[derive(Clone, Copy, Debug)]
pub struct CopyFormat {
    pub binary: bool,
    pub columns: usize,
}

/// A COPY FROM in progress.
pub(super) struct CopyIn {
    table: Arc<Table>,
    filter: Option<crate::sql::expr::Expr>,
    /// Columns the data does not fill that have a default, and its expression.
    defaults: Vec<(usize, crate::sql::expr::Expr)>,
    desc: TupleDesc,
    decoder: Decoder,
    xid: u64,
    cid: u32,
    rows: u64,
    values: Vec<Datum>,
    /// Rows formed but not yet stored (a table without indexes only).
    batch: TupleBatch,
    /// COPY FREEZE: the batched rows are stored frozen.
    freeze: bool,
    /// The foreign keys the rows must satisfy, checked at the end, and the
    /// statement's snapshot they are checked with under REPEATABLE READ.
    fks: Option<(FkChecks, crate::txn::Snapshot)>,
}

/// Rows of a COPY FROM into a table without indexes, formed as heap tuples
/// and stored a page at a time when about `BATCH_BYTES` have gathered (and
/// at the end of the input): one lock and one WAL record per page instead
/// of one per row. A table with indexes gets its rows one by one, each
/// with its index entries (whose unique checks may wait).
#[derive(Default)]
struct TupleBatch {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

const BATCH_BYTES: usize = 64 * 1024;

impl TupleBatch {
    /// Form a row (values too large are stored out of line now); whether
    /// the batch is due to be stored.
    fn push(
        &mut self,
        catalog: &Catalog,
        table: &Table,
        desc: &TupleDesc,
        values: &[Datum],
        xid: u64,
        cid: u32,
    ) -> Result<bool> {
        catalog.form_row(table, desc, values, xid, cid, &mut self.bytes)?;
        self.ends.push(self.bytes.len());
        Ok(self.bytes.len() >= BATCH_BYTES)
    }

    fn store(&mut self, catalog: &Catalog, table: &Table, xid: u64, cid: u32, frozen: bool) -> Result<()> {
        if self.ends.is_empty() {
            return Ok(());
        }
        let mut start = 0;
        let tuples: Vec<&[u8]> = self
            .ends
            .iter()
            .map(|&end| {
                let t = &self.bytes[start..end];
                start = end;
                t
            })
            .collect();
        catalog.insert_formed(table, &tuples, (xid, cid), frozen)?;
        self.bytes.clear();
        self.ends.clear();
        Ok(())
    }
}

fn copy_stmt(bound: &Bound) -> Option<&CopyStmt> {
    match &bound.statement {
        Statement::Copy(c) => Some(c),
        _ => None,
    }
}

impl Session {
    /// Whether executing the portal starts a COPY with the client.
    pub fn copy_with_client(&self, portal: &str) -> Option<CopyWithClient> {
        let p = self.portals.get(portal)?;
        if p.finished {
            return None;
        }
        let c = copy_stmt(p.statement.bound.as_ref()?)?;
        match (&c.io, c.from) {
            (CopyIo::Client, true) => Some(CopyWithClient::In),
            (CopyIo::Client, false) => Some(CopyWithClient::Out),
            _ => None,
        }
    }

    /// The encoder for a COPY TO STDOUT portal's rows, and its format.
    pub fn copy_out_encoder(&self, portal: &str) -> Result<(Encoder, CopyFormat)> {
        let c = self.portal_copy(portal)?;
        let format = CopyFormat { binary: c.binary(), columns: c.columns.len() };
        Ok((Encoder::new(&c.options, &c.columns, self.output_settings())?, format))
    }

    /// The settings COPY TO's text output follows: `extra_float_digits`,
    /// `bytea_output` and `TimeZone`.
    fn output_settings(&self) -> crate::sql::copy::to::OutputStyle {
        crate::sql::copy::to::OutputStyle {
            extra_float_digits: self.settings.int(crate::config::Guc::extra_float_digits) as i32,
            bytea_output: crate::sql::types::ByteaOutput::from_setting(
                self.settings.str(crate::config::Guc::bytea_output),
            ),
            // Read once per COPY, not through the session's cache (which
            // needs `&mut self`).
            time_zone: crate::sql::datetime::TimeZone::from_setting(self.settings.str(crate::config::Guc::TimeZone)),
        }
    }

    fn portal_copy(&self, portal: &str) -> Result<CopyStmt> {
        let p = self.portal(portal)?;
        p.statement
            .bound
            .as_deref()
            .and_then(copy_stmt)
            .cloned()
            .ok_or_else(|| Error::internal("portal does not hold a COPY"))
    }

    /// Start a COPY FROM STDIN portal: the caller then sends CopyInResponse
    /// in the returned format and feeds the client's data.
    pub fn copy_in_begin(&mut self, portal: &str) -> Result<CopyFormat> {
        let (c, fresh, access) = {
            let p = self.portal(portal)?;
            let access = p.statement.bound.as_ref().map(|b| b.access.clone()).unwrap_or_default();
            (self.portal_copy(portal)?, p.fresh, access)
        };
        if self.statement_start.is_none() {
            self.start_statement();
        }
        self.check_not_failed(false)?;
        self.check_access(&access)?;
        self.shared.metrics.statements.with_label_values(&["COPY"]).inc();
        let state = self.copy_in_setup(&c, fresh)?;
        self.copy_in = Some(Box::new(state));
        Ok(CopyFormat { binary: c.binary(), columns: c.columns.len() })
    }

    fn copy_in_setup(&mut self, c: &CopyStmt, fresh: bool) -> Result<CopyIn> {
        let mut table = c.table.clone().ok_or_else(|| Error::internal("COPY FROM without a table"))?;
        if !fresh {
            table = self.revalidate(&table, crate::txn::lock::LockMode::RowExclusive)?;
        }
        // FREEZE is allowed where PostgreSQL allows it: into a relation
        // file this subtransaction created, which no other transaction can
        // see before this one commits and which goes if it rolls back. The
        // rows (of a table without indexes) are then stored frozen, their
        // pages all-visible.
        if c.options.freeze && !self.created_in_subtransaction(table.rel) {
            return Err(err!(
                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                "cannot perform COPY FREEZE because the table was not created or truncated in the current subtransaction"
            ));
        }
        let mut decoder = Decoder::new(c)?;
        decoder.set_time_zone(self.time_zone());
        let xid = self.ensure_xid("COPY FROM")?;
        let catalog = self.shared.catalog.clone();
        let snapshot = self.statement_snapshot();
        let who = crate::catalog::Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        decoder.set_enum_labels(|oid| catalog.enum_labels(oid, &who))?;
        decoder.set_row_types(|oid| catalog.row_type(oid, &who))?;
        let fks = self.foreign_key_checks(&crate::sql::exec::ModifyKind::Insert, &table)?;
        let snapshot = self.statement_snapshot();
        let fks = fks.map(|f| (f, snapshot));
        let cid = self.cid;
        // Later statements see this one's rows; this one does not.
        self.cid += 1;
        let filter = c.filter.clone();
        let defaults = c.defaults.clone();
        Ok(CopyIn {
            defaults,
            desc: table.desc(),
            table,
            filter,
            decoder,
            xid,
            cid,
            rows: 0,
            values: Vec::new(),
            batch: TupleBatch::default(),
            freeze: c.options.freeze,
            fks,
        })
    }

    /// Decode and store the rows of one piece of COPY FROM data.
    pub fn copy_in_data(&mut self, data: &[u8]) -> Result<()> {
        self.copy_in_rows(Some(data))
    }

    /// The client sent CopyDone: store the last row and complete the
    /// portal. Returns the CommandComplete tag.
    pub fn copy_in_done(&mut self, portal: &str) -> Result<String> {
        self.copy_in_rows(None)?;
        let state = self.copy_in.take().ok_or_else(|| Error::internal("no COPY FROM in progress"))?;
        self.count_copied(&state);
        let sql = self.portals.get(portal).map(|p| p.statement.sql.clone());
        self.finish_statement(sql.as_deref());
        if portal.is_empty() {
            self.portals.remove(portal);
        } else if let Some(p) = self.portals.get_mut(portal) {
            p.finished = true;
        }
        Ok(format!("COPY {}", state.rows))
    }

    /// The COPY FROM failed (or the client gave up); its rows stay in the
    /// transaction, which the error aborts.
    pub fn copy_in_abort(&mut self) {
        if let Some(state) = self.copy_in.take() {
            self.count_copied(&state);
        }
    }

    /// The rows a COPY FROM stored count as inserted by the transaction.
    fn count_copied(&mut self, state: &CopyIn) {
        let c = crate::catalog::stats::Changes { inserted: state.rows, ..Default::default() };
        self.count_changes(&state.table, c);
    }

    /// Store the rows `data` completes (`None`: the input has ended).
    fn copy_in_rows(&mut self, data: Option<&[u8]>) -> Result<()> {
        let time_zone = self.time_zone();
        let Some(state) = self.copy_in.as_deref_mut() else {
            return Err(Error::internal("no COPY FROM in progress"));
        };
        let mut eval = eval_context!(self, &[], time_zone);
        let catalog = &self.shared.catalog;
        if let Some(data) = data {
            state.decoder.feed(data)?;
        }
        let CopyIn { table, filter, defaults, desc, decoder, xid, cid, rows, values, batch, freeze, fks } = state;
        let batched = table.indexes.is_empty();
        while decoder.next_row(values, data.is_none())? {
            eval.check_interrupts().map_err(|e| e.with_context(decoder.row_context(false)))?;
            for (i, e) in defaults.iter() {
                let mut row = crate::sql::exec::RowOver { inner: &mut eval, row: values };
                let v = crate::sql::expr::eval(e, &mut row).map_err(|e| e.with_context(decoder.row_context(false)))?;
                values[*i] = v;
            }
            if let Some(f) = filter {
                let mut row = crate::sql::exec::RowOver { inner: &mut eval, row: values };
                let keep =
                    crate::sql::expr::eval(f, &mut row).map_err(|e| e.with_context(decoder.row_context(true)))?;
                if keep != Datum::Bool(true) {
                    continue;
                }
            }
            if batched {
                check_not_null(table, values).map_err(|e| e.with_context(decoder.row_context(true)))?;
                crate::sql::exec::check_constraints(table, values, &mut eval)
                    .map_err(|e| e.with_context(decoder.row_context(true)))?;
                let due = batch
                    .push(catalog, table, desc, values, *xid, *cid)
                    .map_err(|e| e.with_context(decoder.row_context(false)))?;
                if due {
                    batch
                        .store(catalog, table, *xid, *cid, *freeze)
                        .map_err(|e| e.with_context(decoder.row_context(false)))?;
                }
            } else {
                insert_row(catalog, &mut eval, table, desc, values, (*xid, *cid)).map_err(|e| match e {
                    InsertError::Check(e) => e.with_context(decoder.row_context(true)),
                    InsertError::Store(e) => e.with_context(decoder.row_context(false)),
                })?;
            }
            if let Some((f, _)) = fks.as_mut() {
                f.row_inserted(values);
            }
            *rows += 1;
        }
        if data.is_none() {
            batch.store(catalog, table, *xid, *cid, *freeze)?;
            if let Some((f, snapshot)) = fks.as_mut() {
                let pid = eval.backend_pid();
                let mut wait = |other: u64| {
                    crate::sql::exec::wait_until_ended(catalog, pid, other, &mut || eval.check_interrupts())
                };
                f.run(catalog, table, snapshot, (pid, *xid), &mut wait)?;
            }
        }
        Ok(())
    }

    /// Whether relation file `rel` was created by the current
    /// subtransaction (since the innermost savepoint, if any).
    fn created_in_subtransaction(&self, rel: crate::storage::smgr::RelFileLocator) -> bool {
        let since = self.block.as_ref().and_then(|b| b.savepoints.last()).map_or(0, |sp| sp.created_files);
        self.created_files.get(since..).is_some_and(|c| c.contains(&rel))
    }

    /// COPY to or from a server-side file, run whole; returns the row count.
    pub(super) fn copy_file(&mut self, c: &CopyStmt, fresh: bool) -> Result<u64> {
        let CopyIo::File(path) = &c.io else { return Err(Error::internal("COPY with the client run as a file")) };
        if c.from {
            let mut file = std::fs::File::open(path).map_err(|e| {
                file_error(e, &format!("could not open file \"{path}\" for reading"))
                    .with_hint("COPY FROM instructs the PostgreSQL server process to read a file. You may want a client-side facility such as psql's \\copy.")
            })?;
            let state = self.copy_in_setup(c, fresh)?;
            self.copy_in = Some(Box::new(state));
            let result = (|| {
                let mut chunk = vec![0u8; FILE_CHUNK];
                loop {
                    let n = file.read(&mut chunk).map_err(|e| file_error(e, "could not read from COPY file"))?;
                    if n == 0 {
                        break;
                    }
                    self.copy_in_rows(Some(&chunk[..n]))?;
                }
                self.copy_in_rows(None)
            })();
            let state = self.copy_in.take();
            if let Some(s) = &state {
                self.count_copied(s);
            }
            result.map(|()| state.map_or(0, |s| s.rows))
        } else {
            let file = std::fs::File::create(path).map_err(|e| {
                file_error(e, &format!("could not open file \"{path}\" for writing"))
                    .with_hint("COPY TO instructs the PostgreSQL server process to write a file. You may want a client-side facility such as psql's \\copy.")
            })?;
            let mut executor = self.copy_to_executor(c, fresh)?;
            let mut sink = FileSink {
                out: std::io::BufWriter::with_capacity(FILE_CHUNK, file),
                encoder: Encoder::new(&c.options, &c.columns, self.output_settings())?,
                buf: Vec::new(),
                path: path.clone(),
            };
            sink.encoder.start(&mut sink.buf);
            let time_zone = self.time_zone();
            let mut ctx = eval_context!(self, &[], time_zone);
            let mut rows = 0u64;
            while executor.run(&mut ctx, &mut sink, 0, &mut rows, &self.arena)? != Progress::Done {}
            sink.encoder.finish(&mut sink.buf);
            sink.write_out()?;
            sink.out.flush().map_err(|e| file_error(e, &format!("could not write to file \"{path}\"")))?;
            Ok(rows)
        }
    }

    /// The executor of a COPY TO's query.
    pub(super) fn copy_to_executor(&mut self, c: &CopyStmt, fresh: bool) -> Result<Executor> {
        if let (Some(t), false) = (&c.table, fresh) {
            self.revalidate(t, crate::txn::lock::LockMode::AccessShare)?;
        }
        if let Some(b) = &mut self.block {
            b.ran_query = true;
        }
        let plan = c.plan.as_ref().ok_or_else(|| Error::internal("COPY TO without a query"))?;
        if !plan.cte_writes().is_empty() {
            return Err(Error::not_supported("COPY of a query with a data-modifying WITH"));
        }
        let snapshot = self.statement_snapshot();
        Executor::query(crate::sql::exec::Start {
            plan,
            visible: c.columns.len(),
            catalog: self.shared.catalog.clone(),
            snapshot,
            xid: self.current_xid(),
            cid: self.cid,
            timing: None,
            writes: Vec::new(),
        })
    }
}

/// An I/O error on a server-side file, with PostgreSQL's SQLSTATE for its
/// cause and `strerror`'s wording.
fn file_error(e: std::io::Error, what: &str) -> Error {
    let code = match e.kind() {
        std::io::ErrorKind::NotFound => SqlState::UNDEFINED_FILE,
        std::io::ErrorKind::PermissionDenied => SqlState::INSUFFICIENT_PRIVILEGE,
        _ => SqlState::IO_ERROR,
    };
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    err!(code, "{what}: {text}")
}

/// Rows of a COPY TO a file.
struct FileSink {
    out: std::io::BufWriter<std::fs::File>,
    encoder: Encoder,
    buf: Vec<u8>,
    path: String,
}

impl FileSink {
    fn write_out(&mut self) -> Result<()> {
        let path = &self.path;
        self.out.write_all(&self.buf).map_err(|e| file_error(e, &format!("could not write to file \"{path}\"")))?;
        self.buf.clear();
        Ok(())
    }
}

impl RowSink for FileSink {
    fn push_row(&mut self, row: &[Datum]) -> Result<bool> {
        self.encoder.row(&mut self.buf, row);
        if self.buf.len() >= FILE_CHUNK {
            self.write_out()?;
        }
        Ok(false)
    }
}
