//! Outer joins that the conditions above them make inner, as PostgreSQL's
//! `reduce_outer_joins` finds them.
//!
//! A LEFT JOIN's null-extended rows have NULL in every column of its right
//! side. A WHERE conjunct that cannot be true when some right-side column
//! is NULL (`b.y = 1`, `b.id IS NOT NULL`, `b.x + 1 > 0`) removes every
//! such row again, so the join may as well be inner, which lets its
//! conjuncts move into the scans and its tables join in any order. The
//! same holds for either side of a FULL JOIN (which becomes a LEFT or
//! RIGHT join, or inner if both sides are constrained), and for outer
//! joins nested below: an inner join passes down its own conditions and
//! those above it, an outer join passes the conditions above it to its
//! preserved side and only its ON conditions to its nullable side (a
//! nullable side's row the ON condition rejects is never joined).

use super::query::{FromItem, columns_used, push_filter};
use super::{Binder, Result};
use crate::sql::expr::Expr;
use crate::sql::plan::{JoinKind, Plan};
use crate::sql::types::Datum;

/// The two items an explicit JOIN joins, kept so that the join can be
/// rebuilt when it is reduced.
#[derive(Clone)]
pub(super) struct JoinParts {
    pub left: FromItem,
    pub right: FromItem,
    pub kind: JoinKind,
    /// The ON conditions, over the level's row.
    pub on: Vec<Expr>,
}

impl Binder<'_> {
    /// Reduce the outer joins among `items` that the conjuncts `filters`
    /// (over the level's row) make inner, and move the conjuncts that read
    /// only an outer join's preserved side into that side.
    pub(super) fn reduce_outer_joins(
        &mut self,
        items: Vec<FromItem>,
        filters: &mut Vec<Expr>,
    ) -> Result<Vec<FromItem>> {
        let nonnull = nonnullable(filters);
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let item = self.reduce_item(item, &nonnull)?;
            let item = self.anti_join(item, filters)?;
            if item.joined.is_none() {
                out.push(item);
                continue;
            }
            let own = take_within(filters, &item);
            out.push(self.push_into(item, own)?);
        }
        Ok(out)
    }

    /// A LEFT JOIN that a conjunct `right_column IS NULL` above it keeps
    /// to its null-extended rows, where its ON condition cannot be true
    /// with that column NULL: an anti join (the right side's columns all
    /// NULL), the conjunct taken out of `filters`.
    fn anti_join(&mut self, item: FromItem, filters: &mut Vec<Expr>) -> Result<FromItem> {
        let Some(parts) = &item.joined else { return Ok(item) };
        if parts.kind != JoinKind::Left || !item.lateral.is_empty() {
            return Ok(item);
        }
        let strict = nonnullable(&parts.on);
        let is_null = filters.iter().position(|f| {
            matches!(f, Expr::IsNull(x, false)
                if matches!(x.as_ref(), Expr::Column(c, _) if (parts.right.start..parts.right.end).contains(c) && strict.contains(c)))
        });
        let Some(k) = is_null else { return Ok(item) };
        filters.remove(k);
        let JoinParts { left, right, on, .. } = *item.joined.expect("checked above");
        // What reads only the left side filters it below the join.
        let to_left = take_within(filters, &left);
        let left = self.push_into(left, to_left)?;
        let left_types = left.plan.types();
        let right_types = right.plan.types();
        let anti = self.join_two(left.plan, right.plan, left.start, left.end, on, JoinKind::Anti);
        let mut exprs: Vec<Expr> = left_types.iter().enumerate().map(|(i, t)| Expr::Column(i, *t)).collect();
        exprs.extend(right_types.iter().map(|t| Expr::Const(Datum::Null, *t)));
        let plan = Plan::Project { input: Box::new(anti), exprs };
        Ok(FromItem { plan, joined: None, ..item })
    }

    /// `item` with the conjuncts `filters` (which read only its columns)
    /// applied as far down as they can go: into the preserved side of an
    /// outer join, into the scans of an inner one.
    fn push_into(&mut self, item: FromItem, filters: Vec<Expr>) -> Result<FromItem> {
        if filters.is_empty() {
            return Ok(item);
        }
        // The conditions applied above may make its outer joins inner.
        let item = self.reduce_item(item, &nonnullable(&filters))?;
        let Some(parts) = item.joined else {
            if item.parts.is_empty() {
                let plan = push_filter(item.plan, filters, item.start);
                return Ok(FromItem { plan, ..item });
            }
            let mut conds = item.conds;
            conds.extend(filters);
            let plan = self.join_items(item.parts.clone(), conds.clone())?;
            return Ok(FromItem { plan, conds, ..item });
        };
        let JoinParts { left, right, kind, on } = *parts;
        let (mut to_left, mut to_right, mut rest) = (Vec::new(), Vec::new(), Vec::new());
        for f in filters {
            if kind != JoinKind::Right && kind != JoinKind::Full && within(&f, &left) {
                to_left.push(f);
            } else if kind != JoinKind::Left && kind != JoinKind::Full && within(&f, &right) {
                to_right.push(f);
            } else {
                rest.push(f);
            }
        }
        let left = self.push_into(left, to_left)?;
        let right = self.push_into(right, to_right)?;
        let joined = self.join_of(left, right, kind, on)?;
        if rest.is_empty() {
            return Ok(joined);
        }
        // What reads both sides stays above the join (which can then no
        // longer be rebuilt from its parts).
        let plan = push_filter(joined.plan, rest, joined.start);
        Ok(FromItem { plan, joined: None, ..joined })
    }

    /// `item` with its outer joins reduced, given the columns (`nonnull`)
    /// that conditions above it require to be non-NULL.
    fn reduce_item(&mut self, item: FromItem, nonnull: &[usize]) -> Result<FromItem> {
        let Some(parts) = item.joined else { return Ok(item) };
        let JoinParts { left, right, kind, on } = *parts;
        let rejects = |side: &FromItem| nonnull.iter().any(|&c| c >= side.start && c < side.end);
        let kind = match kind {
            JoinKind::Left if rejects(&right) => JoinKind::Inner,
            JoinKind::Right if rejects(&left) => JoinKind::Inner,
            JoinKind::Full => match (rejects(&left), rejects(&right)) {
                (true, true) => JoinKind::Inner,
                (true, false) => JoinKind::Left,
                (false, true) => JoinKind::Right,
                (false, false) => JoinKind::Full,
            },
            k => k,
        };
        let local = nonnullable(&on);
        let both = || nonnull.iter().chain(&local).copied().collect::<Vec<_>>();
        let (pass_left, pass_right) = match kind {
            JoinKind::Inner => (both(), both()),
            JoinKind::Left | JoinKind::Semi | JoinKind::Anti => (nonnull.to_vec(), local),
            JoinKind::Right => (local, nonnull.to_vec()),
            JoinKind::Full => (Vec::new(), Vec::new()),
        };
        let left = self.reduce_item(left, &pass_left)?;
        let right = self.reduce_item(right, &pass_right)?;
        self.join_of(left, right, kind, on)
    }

    /// The FROM item joining `left` and `right` (adjacent, `left` first)
    /// by `kind` on the conjuncts `on`: inner joins of inner items stay
    /// flat (their order is chosen with the rest of the FROM clause); a
    /// condition that reads only a side that is not preserved moves into
    /// it (a row it rejects there joins nothing).
    pub(super) fn join_of(
        &mut self,
        left: FromItem,
        right: FromItem,
        kind: JoinKind,
        on: Vec<Expr>,
    ) -> Result<FromItem> {
        let (start, end) = (left.start, right.end);
        if kind == JoinKind::Inner && left.inner && right.inner {
            let plan = self.join_two(left.plan.clone(), right.plan.clone(), left.start, left.end, on.clone(), kind);
            let mut parts = left.leaves();
            parts.extend(right.leaves());
            let mut conds = left.conds.clone();
            conds.extend(right.conds.iter().cloned());
            conds.extend(on);
            return Ok(FromItem { plan, start, end, inner: true, parts, conds, lateral: Vec::new(), joined: None });
        }
        let (mut to_left, mut to_right, mut rest) = (Vec::new(), Vec::new(), Vec::new());
        for c in on {
            if matches!(kind, JoinKind::Inner | JoinKind::Right) && within(&c, &left) {
                to_left.push(c);
            } else if matches!(kind, JoinKind::Inner | JoinKind::Left) && within(&c, &right) {
                to_right.push(c);
            } else {
                rest.push(c);
            }
        }
        let left = self.push_into(left, to_left)?;
        let right = self.push_into(right, to_right)?;
        let plan = self.join_two(left.plan.clone(), right.plan.clone(), left.start, left.end, rest.clone(), kind);
        let joined = Some(Box::new(JoinParts { left, right, kind, on: rest }));
        Ok(FromItem {
            plan,
            start,
            end,
            inner: false,
            parts: Vec::new(),
            conds: Vec::new(),
            lateral: Vec::new(),
            joined,
        })
    }
}

/// The conjuncts of `filters` that read only columns of `side`, taken out.
fn take_within(filters: &mut Vec<Expr>, side: &FromItem) -> Vec<Expr> {
    let mut taken = Vec::new();
    filters.retain(|f| {
        let mine = within(f, side);
        if mine {
            taken.push(f.clone());
        }
        !mine
    });
    taken
}

/// Whether `f` reads columns, and only columns of `side`.
fn within(f: &Expr, side: &FromItem) -> bool {
    columns_used(f).is_some_and(|c| !c.is_empty() && c.iter().all(|&i| i >= side.start && i < side.end))
}

/// Columns (of the level's row) such that a NULL in any one of them keeps
/// every one of the conjuncts `conds` from being true.
fn nonnullable(conds: &[Expr]) -> Vec<usize> {
    let mut out = Vec::new();
    for c in conds {
        rejecting(c, &mut out);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Columns a NULL in which makes the condition `e` not true.
fn rejecting(e: &Expr, out: &mut Vec<usize>) {
    match e {
        Expr::And(a, b) => {
            rejecting(a, out);
            rejecting(b, out);
        }
        Expr::Or(a, b) => {
            // Both arms must be false (or NULL).
            let (mut x, mut y) = (Vec::new(), Vec::new());
            rejecting(a, &mut x);
            rejecting(b, &mut y);
            out.extend(x.into_iter().filter(|c| y.contains(c)));
        }
        // NOT of NULL is NULL; IS NOT NULL, IS TRUE and IS FALSE of NULL are false.
        Expr::Not(x) | Expr::IsNull(x, true) | Expr::IsBool(x, _, false) => strict(x, out),
        Expr::IsNull(_, false) | Expr::IsBool(_, _, true) | Expr::Distinct(..) => {}
        other => strict(other, out),
    }
}

/// Columns a NULL in which makes `e` NULL: through the operators and casts
/// that give NULL for a NULL operand (functions are not looked into).
fn strict(e: &Expr, out: &mut Vec<usize>) {
    match e {
        Expr::Column(i, _) => out.push(*i),
        Expr::Cmp(_, a, b) | Expr::Arith(_, a, b, _) | Expr::Concat(a, b) | Expr::Like(a, b, ..) => {
            strict(a, out);
            strict(b, out);
        }
        Expr::Neg(a) | Expr::Cast(a, ..) | Expr::Assign(a, ..) | Expr::Not(a) => strict(a, out),
        _ => {}
    }
}
