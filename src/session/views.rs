//! Running view DDL in a session: CREATE [OR REPLACE] VIEW, and what DROP
//! must do about views that depend on what it drops (refuse with 2BP01,
//! or with CASCADE drop them too, with PostgreSQL's NOTICE).

use crate::catalog::{Column, FIRST_NORMAL_OID, Reader, RelKind, describe};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::txn::lock::LockMode;

use super::Session;

/// A view that depends on something being dropped: its OID and name, and
/// what it depends on (kind and name), for the messages.
pub(super) struct Dependent {
    pub oid: u32,
    pub name: String,
    pub on: (RelKind, String),
}

impl Session {
    pub(super) fn create_view(
        &mut self,
        name: &str,
        columns: &[Column],
        sql: &str,
        reads: &[u32],
        or_replace: bool,
    ) -> Result<()> {
        let xid = self.ensure_xid("CREATE VIEW")?;
        let name = &self.view_name_for(name, reads, xid)?;
        let qualified = self.creation_name(name, xid)?;
        let name = qualified.as_str();
        let bare = crate::catalog::namespace::split_qualified(name)?.1;
        self.lock_for_ddl(name, LockMode::AccessExclusive)?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = self.shared.catalog.clone();
        let exists = || err!(SqlState::DUPLICATE_TABLE, "relation \"{bare}\" already exists");
        match catalog.relation(name, &who)? {
            None => {
                catalog.create_view(name, columns, sql, reads, xid, self.cid)?;
            }
            Some(_) if !or_replace => return Err(exists()),
            Some(rel) if rel.kind != RelKind::View => {
                return Err(err!(SqlState::WRONG_OBJECT_TYPE, "\"{bare}\" is not a view"));
            }
            Some(rel) if rel.oid < FIRST_NORMAL_OID => return Err(exists()),
            Some(_) => {
                let old = catalog.lookup(name, &who)?.ok_or_else(|| Error::internal("view vanished"))?;
                check_replacement(&old.columns, columns)?;
                catalog.replace_view(&old, columns, sql, reads, xid, self.cid, &who)?;
            }
        }
        self.catalog_changed = true;
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }

    /// The views that depend on the relations `doomed` (OID, kind, name),
    /// directly or through other views, in PostgreSQL's reporting order;
    /// relations in `doomed` themselves are left out.
    pub(super) fn dependent_views(
        &self,
        doomed: &[(u32, RelKind, String)],
        who: &Reader<'_>,
    ) -> Result<Vec<Dependent>> {
        let mut out: Vec<Dependent> = Vec::new();
        let mut stack: Vec<(u32, RelKind, String)> = doomed.iter().rev().cloned().collect();
        while let Some((oid, kind, name)) = stack.pop() {
            let mut children = Vec::new();
            for (view, view_name) in self.shared.catalog.dependent_views(oid, who)? {
                if doomed.iter().any(|d| d.0 == view) || out.iter().any(|d| d.oid == view) {
                    continue;
                }
                out.push(Dependent { oid: view, name: view_name.clone(), on: (kind, name.clone()) });
                children.push((view, RelKind::View, view_name));
            }
            stack.extend(children.into_iter().rev());
        }
        Ok(out)
    }

    /// Refuse to drop `doomed` while other objects depend on them (unless
    /// `cascade`); with `cascade`, lock the dependent views and tell the
    /// client. `found` is each dependent (its creation order, how it is
    /// named, and what it depends on), listed in creation order as
    /// PostgreSQL's dependency scan finds them.
    pub(super) fn check_dependents(
        &mut self,
        doomed: &[(u32, RelKind, String)],
        mut found: Vec<(u32, String, String)>,
        views: &[Dependent],
        cascade: bool,
    ) -> Result<()> {
        if found.is_empty() {
            return Ok(());
        }
        found.sort_by_key(|d| d.0);
        if !cascade {
            let detail: Vec<String> = found.iter().map(|(_, what, on)| format!("{what} depends on {on}")).collect();
            let message = match doomed {
                [(_, kind, name)] => format!("cannot drop {} {name} because other objects depend on it", kind.noun()),
                _ => "cannot drop desired object(s) because other objects depend on them".to_string(),
            };
            return Err(err!(SqlState::DEPENDENT_OBJECTS_STILL_EXIST, "{message}")
                .with_detail(detail.join("\n"))
                .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        for d in views {
            self.locker().relation(d.oid, LockMode::AccessExclusive)?;
        }
        let list: Vec<String> = found.into_iter().map(|(_, what, _)| what).collect();
        self.cascade_notice(&list);
        Ok(())
    }
}

/// CREATE OR REPLACE VIEW may add columns at the end, and change nothing
/// about the ones there are.
fn check_replacement(old: &[Column], new: &[Column]) -> Result<()> {
    if new.len() < old.len() {
        return Err(err!(SqlState::INVALID_TABLE_DEFINITION, "cannot drop columns from view"));
    }
    for (o, n) in old.iter().zip(new) {
        if o.name != n.name {
            return Err(err!(
                SqlState::INVALID_TABLE_DEFINITION,
                "cannot change name of view column \"{}\" to \"{}\"",
                o.name,
                n.name
            )
            .with_hint("Use ALTER VIEW ... RENAME COLUMN ... to change name of view column instead."));
        }
        if o.ty != n.ty || o.typmod != n.typmod {
            return Err(err!(
                SqlState::INVALID_TABLE_DEFINITION,
                "cannot change data type of view column \"{}\" from {} to {}",
                o.name,
                describe::format_type(o.ty.oid(), Some(o.typmod)),
                describe::format_type(n.ty.oid(), Some(n.typmod))
            ));
        }
    }
    Ok(())
}
