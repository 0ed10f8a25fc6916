//! Binding of `CREATE TABLE name (… LIKE source [INCLUDING …] …)`: each
//! LIKE clause stands for the source's columns (names, types, typmods and
//! NOT NULL, always), in place among the columns written out, with its
//! defaults, identity, CHECK constraints and indexes (PRIMARY KEY and
//! UNIQUE constraints among them) when included. The table is created as any other; nothing
//! links it to its source afterwards.

use sqlparser::ast;

use super::Binder;
use crate::catalog;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::parser::LikeClause;
use crate::sql::{CheckDef, ColumnSequence, IndexDef, Statement};
use crate::txn::lock::LockMode;

impl Binder<'_> {
    pub(super) fn bind_create_table_like(
        &mut self,
        ct: &ast::CreateTable,
        likes: &[(usize, LikeClause)],
    ) -> Result<Statement> {
        let mut statement = self.bind_create_table(ct)?;
        let Statement::CreateTable { columns, indexes, sequences, checks, .. } = &mut statement else {
            return Err(Error::internal("CREATE TABLE bound to another statement"));
        };
        let mut own = std::mem::take(columns).into_iter();
        let mut out: Vec<catalog::Column> = Vec::new();
        let mut written = 0;
        for (at, like) in likes {
            while written < *at {
                out.extend(own.next());
                written += 1;
            }
            let source = self.table(&like.source, LockMode::AccessShare)?;
            if source.sequence {
                return Err(err!(SqlState::WRONG_OBJECT_TYPE, "\"{}\" is not a table", source.name));
            }
            let live: Vec<&catalog::Column> = source.columns.iter().filter(|c| !c.dropped).collect();
            for c in &live {
                let mut col = catalog::Column::new(c.name.clone(), c.ty, c.typmod, c.not_null);
                // An identity column's default is its sequence's: copied
                // with INCLUDING IDENTITY, as a new sequence.
                if like.defaults && c.identity == 0 {
                    col.default = c.default.clone();
                }
                if like.identity && c.identity != 0 {
                    sequences.push(ColumnSequence {
                        column: c.name.clone(),
                        identity: c.identity,
                        options: Default::default(),
                    });
                }
                out.push(col);
            }
            if like.constraints {
                // CHECK constraints keep their names (NOT NULL always comes along).
                for c in &source.checks {
                    checks.push(CheckDef {
                        name: Some(c.name.clone()),
                        expr: c.text.clone(),
                        column: None,
                        not_valid: false,
                        no_inherit: c.no_inherit,
                    });
                }
            }
            if like.indexes {
                for ix in &source.indexes {
                    indexes.push(copied_index(ix, &source.columns));
                }
            }
        }
        out.extend(own);
        for (i, c) in out.iter().enumerate() {
            if out[..i].iter().any(|o| o.name == c.name) {
                return Err(err!(SqlState::DUPLICATE_COLUMN, "column \"{}\" specified more than once", c.name));
            }
        }
        if indexes.iter().filter(|i| i.primary).count() > 1 {
            return Err(err!(SqlState::INVALID_TABLE_DEFINITION, "multiple primary keys for table are not allowed"));
        }
        *columns = out;
        Ok(statement)
    }
}

/// The definition that builds an index like `ix` on the new table (its
/// name chosen anew, as PostgreSQL does).
fn copied_index(ix: &catalog::Index, columns: &[catalog::Column]) -> IndexDef {
    let keys = ix
        .columns
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let name = match columns.get(i) {
                Some(c) => c.name.clone(),
                // An expression's key part.
                None => ix.exprs.get(k).cloned().flatten().map(|e| e.text.clone()).unwrap_or_default(),
            };
            (name, ix.orders.get(k).copied().unwrap_or(catalog::keycode::KeyOrder::ASC))
        })
        .collect();
    IndexDef {
        name: None,
        columns: keys,
        unique: ix.unique,
        primary: ix.primary,
        constraint: ix.constraint,
        predicate: ix.predicate.as_ref().map(|p| p.text.clone()),
        exprs: ix.exprs.iter().map(|e| e.as_ref().map(|e| e.text.clone())).collect(),
        include: ix.include.iter().filter_map(|&i| columns.get(i).map(|c| c.name.clone())).collect(),
        deferral: ix.deferral,
    }
}
