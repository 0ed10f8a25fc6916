//! What a table scan returns of its rows besides their values: their
//! system columns (`ctid`, `xmin`, `cmin`, `xmax`, `cmax`, `tableoid`, in
//! [`crate::catalog::system::SYSTEM_COLUMNS`]' order) when the query names
//! one, then their address as an int8 when the rows are to be changed or
//! locked (see `Plan::Scan`).
//!
//! The values are the tuple header's, as PostgreSQL's `heap_getsysattr`
//! gives them: the raw `xmin` and `xmax` (an `xmax` that only locks the
//! row, or whose deleter aborted, is still shown; 0 when none was ever
//! set), and the header's one command id as both `cmin` and `cmax`.
//! Transaction ids are cut to their low 32 bits (see `PgType::Xid`).

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, UInt32Array};

use crate::sql::types::Datum;
use crate::storage::heap::Tid;
use crate::storage::heap::tuple::Header;

/// The headers of one batch's rows, a column at a time.
#[derive(Debug, Default)]
pub struct RowHeaders {
    /// The query names a system column: the transaction fields are kept too.
    system: bool,
    ctids: Vec<i64>,
    xmins: Vec<u32>,
    cids: Vec<u32>,
    xmaxs: Vec<u32>,
}

impl RowHeaders {
    /// For a scan returning its rows' system columns (`system`) or only
    /// their addresses.
    pub fn new(system: bool) -> RowHeaders {
        RowHeaders { system, ..RowHeaders::default() }
    }

    /// Note the row version `tuple` at `tid`.
    pub fn push(&mut self, tid: Tid, tuple: &[u8]) {
        self.ctids.push(super::ctid_value(tid));
        if self.system {
            let h = Header(tuple);
            self.xmins.push(h.xmin() as u32);
            self.cids.push(h.cid());
            self.xmaxs.push(h.xmax() as u32);
        }
    }

    /// Append the batch's columns to `columns`: the system columns of
    /// table `table_oid` when kept, then the addresses as int8 if `ctid`.
    pub fn finish(self, table_oid: u32, ctid: bool, columns: &mut Vec<ArrayRef>) {
        let rows = self.ctids.len();
        let ctids: ArrayRef = Arc::new(Int64Array::from(self.ctids));
        if self.system {
            let cids: ArrayRef = Arc::new(UInt32Array::from(self.cids));
            columns.push(ctids.clone());
            columns.push(Arc::new(UInt32Array::from(self.xmins)));
            columns.push(cids.clone());
            columns.push(Arc::new(UInt32Array::from(self.xmaxs)));
            columns.push(cids);
            columns.push(Arc::new(UInt32Array::from_value(table_oid, rows)));
        }
        if ctid {
            columns.push(ctids);
        }
    }
}

/// The system columns of the row version `tuple` at `tid` of table
/// `table_oid`, as values (a row checked again after a concurrent change,
/// a RETURNING row).
pub fn system_values(tid: Tid, tuple: &[u8], table_oid: u32) -> Vec<Datum> {
    let h = Header(tuple);
    let cid = Datum::Oid(h.cid());
    vec![
        Datum::Tid(tid.block, tid.offset),
        Datum::Oid(h.xmin() as u32),
        cid.clone(),
        Datum::Oid(h.xmax() as u32),
        cid,
        Datum::Oid(table_oid),
    ]
}
