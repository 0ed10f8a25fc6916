//! Views in the catalog. A view is a `pg_class` row of kind `v` with
//! `pg_attribute` rows for its columns and no file; its query is the
//! action of its `_RETURN` rule in `pg_rewrite`, kept as SQL text (where
//! PostgreSQL keeps a node tree) that the binder parses and expands like a
//! subquery in FROM wherever the view is named.
//!
//! `pg_depend` records what the rule reads: one row per relation its query
//! names directly (a view over a view depends on that view, not on the
//! tables below it), and one internal row tying the rule to its view. DROP
//! follows these rows to refuse (2BP01) or cascade.
//!
//! The system views (`pg_tables`, `pg_settings`, …) are views like any
//! other, written into the catalog at bootstrap ([`SYSTEM_VIEWS`]).

use super::system::{self, PG_CATALOG_NAMESPACE, PG_CLASS, PG_DEPEND, PG_REWRITE};
use super::{Catalog, Column, FIRST_NORMAL_OID, Reader, Table, text_of, u32_of};
use crate::error::{Error, Result};
use crate::sql::types::PgType;
use crate::storage::heap::Tid;
use crate::storage::heap::tuple::deform;

/// A view that bootstrap creates in `pg_catalog`.
pub struct SystemView {
    pub name: &'static str,
    /// Its OID; its rule's is the next one.
    pub oid: u32,
    pub columns: &'static [(&'static str, PgType)],
    pub sql: &'static str,
}

/// A view's rules (OID and address) and their `pg_depend` rows' addresses.
type RuleRows = (Vec<(u32, Tid)>, Vec<Tid>);

mod definitions;
mod information_schema;
pub use definitions::SYSTEM_VIEWS;
pub use information_schema::INFORMATION_SCHEMA_VIEWS;

impl Catalog {
    /// The SQL text of view `oid`'s query.
    pub(super) fn view_query(&self, oid: u32, who: &Reader<'_>) -> Result<String> {
        let desc = PG_REWRITE.desc();
        let mut sql = None;
        self.scan(&PG_REWRITE, who, |_, t| {
            let v = deform(&desc, t);
            if u32_of(v[system::RW_EV_CLASS]) == oid {
                sql = Some(text_of(v[system::RW_EV_ACTION]));
            }
        })?;
        sql.ok_or_else(|| Error::internal(format!("view {oid} has no _RETURN rule")))
    }

    /// Record a new view `name` of `columns` whose query is `sql` and reads
    /// the relations `reads` (OIDs), as transaction `xid` at command `cid`.
    pub fn create_view(
        &self,
        name: &str,
        columns: &[Column],
        sql: &str,
        reads: &[u32],
        xid: u64,
        cid: u32,
    ) -> Result<u32> {
        let (namespace, name) = self.creation_target(name, xid, cid)?;
        let oid = self.engine.allocate_oid()?;
        let reltype = self.create_row_type(oid, &name, namespace, xid, cid)?;
        let rule = self.engine.allocate_oid()?;
        self.insert_view_rows((oid, reltype), rule, &name, namespace, columns, sql, xid, cid)?;
        self.insert_rule_dependencies(rule, oid, reads, xid, cid)?;
        Ok(oid)
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_view_rows(
        &self,
        (oid, reltype): (u32, u32),
        rule: u32,
        name: &str,
        namespace: u32,
        columns: &[Column],
        sql: &str,
        xid: u64,
        cid: u32,
    ) -> Result<()> {
        let class = system::ClassRow {
            oid,
            name,
            namespace,
            kind: b'v',
            relfilenode: 0,
            natts: columns.len() as i16,
            has_index: false,
            shared: false,
            persistence: system::persistence(false, self.is_temp_namespace(namespace, xid, cid)?),
            options: None,
            toast: 0,
            reltype,
        };
        self.insert_catalog_row(&PG_CLASS, &class.values(), xid, cid)?;
        for (i, c) in columns.iter().enumerate() {
            let row = system::attribute_row(oid, i as i16 + 1, &c.name, c.ty, c.typmod, false);
            self.insert_catalog_row(&system::PG_ATTRIBUTE, &row, xid, cid)?;
        }
        self.insert_catalog_row(&PG_REWRITE, &system::rewrite_row(rule, oid, sql), xid, cid)?;
        Ok(())
    }

    /// The rule is part of its view, and needs what its query reads.
    fn insert_rule_dependencies(&self, rule: u32, view: u32, reads: &[u32], xid: u64, cid: u32) -> Result<()> {
        let row = system::depend_row(PG_REWRITE.oid, rule, PG_CLASS.oid, view, b'i');
        self.insert_catalog_row(&PG_DEPEND, &row, xid, cid)?;
        for &r in reads {
            if r != view {
                let row = system::depend_row(PG_REWRITE.oid, rule, PG_CLASS.oid, r, b'n');
                self.insert_catalog_row(&PG_DEPEND, &row, xid, cid)?;
            }
        }
        Ok(())
    }

    /// CREATE OR REPLACE VIEW of an existing view: its query becomes
    /// `sql`, columns past its old ones are added, and what it reads is
    /// recorded afresh. The caller has checked that the old columns stay.
    #[allow(clippy::too_many_arguments)]
    pub fn replace_view(
        &self,
        view: &Table,
        columns: &[Column],
        sql: &str,
        reads: &[u32],
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        let rel = self.relation_by_oid(view.oid, who)?.map(|r| r.1).ok_or_else(|| Error::internal("view vanished"))?;
        if columns.len() != view.columns.len() {
            let natts = columns.len() as i16;
            self.update_class_row(&rel, xid, cid, &|v| v[system::CLASS_RELNATTS] = Some(natts.to_le_bytes().to_vec()))?;
            for (i, c) in columns.iter().enumerate().skip(view.columns.len()) {
                let row = system::attribute_row(view.oid, i as i16 + 1, &c.name, c.ty, c.typmod, false);
                self.insert_catalog_row(&system::PG_ATTRIBUTE, &row, xid, cid)?;
            }
        }
        let (rules, deps) = self.rule_rows(view.oid, who)?;
        self.delete_rows(&PG_REWRITE, &rules.iter().map(|r| r.1).collect::<Vec<_>>(), xid, cid)?;
        self.delete_rows(&PG_DEPEND, &deps, xid, cid)?;
        let rule = self.engine.allocate_oid()?;
        self.insert_catalog_row(&PG_REWRITE, &system::rewrite_row(rule, view.oid, sql), xid, cid)?;
        self.insert_rule_dependencies(rule, view.oid, reads, xid, cid)
    }

    /// The rules of view `oid` (OID and address) and the addresses of the
    /// `pg_depend` rows of those rules.
    fn rule_rows(&self, oid: u32, who: &Reader<'_>) -> Result<RuleRows> {
        let rdesc = PG_REWRITE.desc();
        let mut rules = Vec::new();
        self.scan(&PG_REWRITE, who, |tid, t| {
            let v = deform(&rdesc, t);
            if u32_of(v[system::RW_EV_CLASS]) == oid {
                rules.push((u32_of(v[system::RW_OID]), tid));
            }
        })?;
        let ddesc = PG_DEPEND.desc();
        let mut deps = Vec::new();
        self.scan(&PG_DEPEND, who, |tid, t| {
            let v = deform(&ddesc, t);
            let objid = u32_of(v[system::DEP_OBJID]);
            if u32_of(v[system::DEP_CLASSID]) == PG_REWRITE.oid && rules.iter().any(|r| r.0 == objid) {
                deps.push(tid);
            }
        })?;
        Ok((rules, deps))
    }

    /// Delete a view's rule and its dependency rows (part of dropping it).
    pub(super) fn drop_view_rules(&self, oid: u32, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let (rules, deps) = self.rule_rows(oid, who)?;
        self.delete_rows(&PG_REWRITE, &rules.iter().map(|r| r.1).collect::<Vec<_>>(), xid, cid)?;
        self.delete_rows(&PG_DEPEND, &deps, xid, cid)
    }

    fn delete_rows(&self, catalog: &system::SystemCatalog, tids: &[Tid], xid: u64, cid: u32) -> Result<()> {
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let heap = self.heap(self.catalog_rel(catalog));
        for &tid in tids {
            heap.delete_checked(tid, xid, cid, &check)?;
        }
        Ok(())
    }

    /// The views whose queries read relation `oid` directly: (OID, name).
    pub fn dependent_views(&self, oid: u32, who: &Reader<'_>) -> Result<Vec<(u32, String)>> {
        let ddesc = PG_DEPEND.desc();
        let mut rules = Vec::new();
        self.scan(&PG_DEPEND, who, |_, t| {
            let v = deform(&ddesc, t);
            if u32_of(v[system::DEP_REFCLASSID]) == PG_CLASS.oid
                && u32_of(v[system::DEP_REFOBJID]) == oid
                && u32_of(v[system::DEP_CLASSID]) == PG_REWRITE.oid
                && v[system::DEP_DEPTYPE] == Some(b"n")
            {
                rules.push(u32_of(v[system::DEP_OBJID]));
            }
        })?;
        if rules.is_empty() {
            return Ok(Vec::new());
        }
        let rdesc = PG_REWRITE.desc();
        let mut views = Vec::new();
        self.scan(&PG_REWRITE, who, |_, t| {
            let v = deform(&rdesc, t);
            if rules.contains(&u32_of(v[system::RW_OID])) {
                views.push(u32_of(v[system::RW_EV_CLASS]));
            }
        })?;
        let mut out = Vec::with_capacity(views.len());
        for v in views {
            if let Some((name, _)) = self.relation_by_oid(v, who)? {
                out.push((v, name));
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// `pg_get_viewdef`: the view's query as PostgreSQL prints it — a
    /// leading space and a closing semicolon — if `oid` is a view.
    pub fn view_definition(&self, oid: u32, who: &Reader<'_>) -> Result<Option<String>> {
        match self.relation_by_oid(oid, who)? {
            Some((_, rel)) if rel.kind == super::RelKind::View => Ok(Some(format!(" {};", self.view_query(oid, who)?))),
            _ => Ok(None),
        }
    }

    /// `pg_get_ruledef`: rule `oid` (a view's `_RETURN` rule) as the
    /// CREATE RULE statement that would make it, if there is such a rule.
    pub fn rule_definition(&self, oid: u32, who: &Reader<'_>) -> Result<Option<String>> {
        let desc = PG_REWRITE.desc();
        let mut found = None;
        self.scan(&PG_REWRITE, who, |_, t| {
            let v = deform(&desc, t);
            if u32_of(v[system::RW_OID]) == oid {
                found = Some((u32_of(v[system::RW_EV_CLASS]), text_of(v[system::RW_EV_ACTION])));
            }
        })?;
        let Some((view, sql)) = found else { return Ok(None) };
        let Some((name, rel)) = self.relation_by_oid(view, who)? else { return Ok(None) };
        let schema = self.namespace_name(rel.namespace, who)?.unwrap_or_default();
        let schema = schema.as_str();
        let target =
            format!("{}.{}", super::describe::quote_identifier(schema), super::describe::quote_identifier(&name));
        Ok(Some(format!("CREATE RULE \"_RETURN\" AS ON SELECT TO {target} DO INSTEAD {sql};")))
    }

    /// Bootstrap: the system views.
    pub(super) fn write_system_views(&self, xid: u64) -> Result<()> {
        let pg_catalog = SYSTEM_VIEWS.iter().map(|v| (v, PG_CATALOG_NAMESPACE));
        let standard = INFORMATION_SCHEMA_VIEWS.iter().map(|v| (v, system::INFORMATION_SCHEMA_NAMESPACE));
        for (v, namespace) in pg_catalog.chain(standard) {
            debug_assert!(v.oid + 1 < FIRST_NORMAL_OID);
            let columns: Vec<Column> = v.columns.iter().map(|(name, ty)| Column::new(*name, *ty, -1, false)).collect();
            self.insert_view_rows((v.oid, 0), v.oid + 1, v.name, namespace, &columns, v.sql, xid, 0)?;
        }
        Ok(())
    }
}
