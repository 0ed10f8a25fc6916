//! `pg_get_viewdef`'s text for a view: tusk keeps a view's query as the
//! SQL it was created with, PostgreSQL prints it from the parsed query, its
//! columns qualified and its clauses on lines of their own:
//!
//! ```text
//!  SELECT p.a AS x,
//!     p.b
//!    FROM p
//!   WHERE p.c > 0;
//! ```
//!
//! [`layout`] writes that form for the views whose text it can lay out
//! exactly as PostgreSQL does: a select list of columns (with aliases)
//! from one table, filtered by comparisons of columns with integers joined
//! by AND. Other views keep their own text.

use sqlparser::ast::{self, BinaryOperator as Op, Expr, SelectItem, SetExpr, TableFactor, Value};

use crate::catalog::describe::quote_identifier;

/// The definition `definition` (` SELECT …;`) laid out as PostgreSQL
/// prints it, if it is a view of the simple shape; `pretty` leaves out the
/// parentheses around each condition.
pub fn layout(definition: &str, pretty: bool) -> Option<String> {
    let sql = definition.trim().strip_suffix(';')?;
    let mut statements = crate::sql::parser::stored_text_parser(sql).and_then(|mut p| p.parse_statements()).ok()?;
    let [ast::Statement::Query(query)] = statements.as_mut_slice() else { return None };
    if query.with.is_some() || query.order_by.is_some() || query.limit_clause.is_some() || query.fetch.is_some() {
        return None;
    }
    let SetExpr::Select(select) = query.body.as_ref() else { return None };
    if select.distinct.is_some() || select.having.is_some() || !select.named_window.is_empty() {
        return None;
    }
    if !matches!(&select.group_by, ast::GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty()) {
        return None;
    }
    let [from] = select.from.as_slice() else { return None };
    if !from.joins.is_empty() {
        return None;
    }
    let TableFactor::Table { name, alias, args: None, .. } = &from.relation else { return None };
    let [table] = name.0.as_slice() else { return None };
    let table = table.as_ident()?.value.clone();
    let qualifier = match alias {
        Some(a) if a.columns.is_empty() => a.name.value.clone(),
        Some(_) => return None,
        None => table.clone(),
    };
    let column = |e: &Expr| -> Option<String> {
        let name = match e {
            Expr::Identifier(id) => &id.value,
            Expr::CompoundIdentifier(ids) => match ids.as_slice() {
                [q, c] if q.value == qualifier => &c.value,
                _ => return None,
            },
            _ => return None,
        };
        Some(name.clone())
    };
    let qualified = |c: &str| format!("{}.{}", quote_identifier(&qualifier), quote_identifier(c));
    let mut items = Vec::with_capacity(select.projection.len());
    for item in &select.projection {
        items.push(match item {
            SelectItem::UnnamedExpr(e) => qualified(&column(e)?),
            SelectItem::ExprWithAlias { expr, alias } => {
                let c = column(expr)?;
                if alias.value == c {
                    qualified(&c)
                } else {
                    format!("{} AS {}", qualified(&c), quote_identifier(&alias.value))
                }
            }
            _ => return None,
        });
    }
    let mut out = format!(" SELECT {}\n   FROM {}", items.join(",\n    "), quote_identifier(&table));
    if alias.is_some() {
        out.push(' ');
        out.push_str(&quote_identifier(&qualifier));
    }
    if let Some(filter) = &select.selection {
        let mut conditions = Vec::new();
        and_arms(filter, &mut conditions);
        let mut written = Vec::with_capacity(conditions.len());
        for c in conditions {
            let Expr::BinaryOp { left, op, right } = c else { return None };
            let op = match op {
                Op::Eq => "=",
                Op::NotEq => "<>",
                Op::Lt => "<",
                Op::LtEq => "<=",
                Op::Gt => ">",
                Op::GtEq => ">=",
                _ => return None,
            };
            let Expr::Value(v) = right.as_ref() else { return None };
            let Value::Number(n, _) = &v.value else { return None };
            // Integers print as written; others would carry a cast.
            if n.parse::<i32>().ok()?.to_string() != *n {
                return None;
            }
            let text = format!("{} {op} {n}", qualified(&column(left)?));
            written.push(if pretty { text } else { format!("({text})") });
        }
        let joined = written.join(" AND ");
        let joined = if !pretty && written.len() > 1 { format!("({joined})") } else { joined };
        out.push_str("\n  WHERE ");
        out.push_str(&joined);
    }
    out.push(';');
    Some(out)
}

/// The conditions of an AND chain, left to right.
fn and_arms<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::BinaryOp { left, op: Op::And, right } => {
            and_arms(left, out);
            and_arms(right, out);
        }
        other => out.push(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_views_print_as_postgres_does() {
        assert_eq!(layout(" SELECT a, b FROM p;", true).unwrap(), " SELECT p.a,\n    p.b\n   FROM p;");
        assert_eq!(
            layout(" SELECT a AS x, b, c FROM p WHERE c > 0 AND a < 10;", true).unwrap(),
            " SELECT p.a AS x,\n    p.b,\n    p.c\n   FROM p\n  WHERE p.c > 0 AND p.a < 10;"
        );
        assert_eq!(
            layout(" SELECT a AS x FROM p WHERE c > 0 AND a < 10;", false).unwrap(),
            " SELECT p.a AS x\n   FROM p\n  WHERE ((p.c > 0) AND (p.a < 10));"
        );
        assert_eq!(layout(" SELECT q.a FROM p q;", true).unwrap(), " SELECT q.a\n   FROM p q;");
        assert_eq!(
            layout(" SELECT a, b FROM p WHERE c >= 5;", false).unwrap(),
            " SELECT p.a,\n    p.b\n   FROM p\n  WHERE (p.c >= 5);"
        );
    }

    #[test]
    fn other_views_keep_their_text() {
        assert!(layout(" SELECT * FROM p;", true).is_none());
        assert!(layout(" SELECT a FROM p JOIN r ON true;", true).is_none());
        assert!(layout(" SELECT a + 1 FROM p;", true).is_none());
        assert!(layout(" SELECT a FROM p WHERE b = 'x';", true).is_none());
        assert!(layout(" SELECT a FROM p WHERE c > 1.5;", true).is_none());
    }
}
