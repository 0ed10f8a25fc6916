use std::sync::Arc;

use super::*;
use crate::storage::heap::tuple::{Attr, HeaderMut, TupleDesc, form};

fn setup(tag: &str) -> (std::path::PathBuf, TransactionManager) {
    let dir = std::env::temp_dir().join(format!("tusk-txn-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let wal = Arc::new(Wal::open(&dir.join("wal"), 1 << 20, false, 0, 0).unwrap());
    let clog = Clog::open(&dir.join("xact")).unwrap();
    let multis = MultiXacts::open(&dir.join("multixact")).unwrap();
    (dir, TransactionManager::new(clog, multis, wal, 3))
}

fn tuple(xmin: u64, cid: u32) -> Vec<u8> {
    let mut t = form(&TupleDesc::new(vec![Attr { len: 4, align: 4 }]), &[Some(&1i32.to_le_bytes())]);
    let mut h = HeaderMut(&mut t);
    h.set_xmin(xmin);
    h.set_cid(cid);
    t
}

fn delete(t: &mut [u8], xmax: u64, cid: u32) {
    let mut h = HeaderMut(t);
    h.set_xmax(xmax);
    h.set_cid(cid);
}

#[test]
fn visibility_follows_commit_and_snapshots() {
    let (dir, tm) = setup("vis");
    let a = tm.assign(1);
    let t = tuple(a, 0);
    let before = tm.snapshot();
    assert!(!tm.tuple_visible(&t, &before, 0, 0).unwrap(), "uncommitted insert is invisible to others");
    assert!(tm.tuple_visible(&t, &tm.snapshot(), a, 1).unwrap(), "own insert visible to later commands");
    assert!(!tm.tuple_visible(&t, &tm.snapshot(), a, 0).unwrap(), "not to the inserting command");
    let lsn = tm.log_commit(a).unwrap();
    tm.finish_commit(a, lsn).unwrap();
    assert!(!tm.tuple_visible(&t, &before, 0, 0).unwrap(), "a snapshot from before the commit still does not see it");
    let after = tm.snapshot();
    assert!(tm.tuple_visible(&t, &after, 0, 0).unwrap());

    // A delete by a transaction that aborts leaves the tuple visible.
    let b = tm.assign(1);
    let mut t2 = t.clone();
    delete(&mut t2, b, 0);
    assert!(tm.tuple_visible(&t2, &tm.snapshot(), 0, 0).unwrap());
    assert!(!tm.tuple_visible(&t2, &tm.snapshot(), b, 1).unwrap(), "own delete hides it from later commands");
    tm.abort(b).unwrap();
    assert!(tm.tuple_visible(&t2, &tm.snapshot(), 0, 0).unwrap());

    // A committed delete hides it from new snapshots only.
    let c = tm.assign(1);
    let mut t3 = t.clone();
    delete(&mut t3, c, 0);
    let old = tm.snapshot();
    let lsn = tm.log_commit(c).unwrap();
    tm.finish_commit(c, lsn).unwrap();
    assert!(tm.tuple_visible(&t3, &old, 0, 0).unwrap());
    assert!(!tm.tuple_visible(&t3, &tm.snapshot(), 0, 0).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn snapshots_list_only_running_writers() {
    let (dir, tm) = setup("snap");
    let a = tm.assign(1);
    let b = tm.assign(1);
    let s = tm.snapshot();
    assert_eq!((s.xmin, s.xmax, s.running.clone()), (a, b + 1, vec![a, b]));
    tm.abort(a).unwrap();
    let s = tm.snapshot();
    assert_eq!((s.xmin, s.running.clone()), (b, vec![b]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn commit_records_replay_into_the_commit_log() {
    let (dir, tm) = setup("redo");
    let a = tm.assign(1);
    let b = tm.assign(1);
    let end = tm.log_commit(a).unwrap();
    tm.abort(b).unwrap();
    tm.wal.flush_to(tm.wal.insert_end()).unwrap();
    let _ = end;
    // A fresh manager (its commit log never written) replays the WAL.
    let (_, fresh) = {
        let wal = Arc::new(Wal::open(&dir.join("wal2"), 1 << 20, false, 0, 0).unwrap());
        let clog = Clog::open(&dir.join("xact2")).unwrap();
        ((), TransactionManager::new(clog, MultiXacts::open(&dir.join("multixact2")).unwrap(), wal, 3))
    };
    for rec in Wal::read_from(&dir.join("wal"), 1 << 20, 0, 0) {
        fresh.redo(&rec).unwrap();
    }
    assert_eq!(fresh.status(a).unwrap(), XidStatus::Committed);
    assert_eq!(fresh.status(b).unwrap(), XidStatus::Aborted);
    assert!(fresh.next_xid() > b);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_checkpoint_during_a_commit_flush_keeps_the_commit() {
    // A commit logged but still waiting for its flush when a checkpoint
    // takes its redo point: recovery starts after the commit record, so the
    // checkpoint's commit-log flush must already hold the commit.
    let (dir, tm) = setup("ckpt");
    let a = tm.assign(1);
    let lsn = tm.log_commit(a).unwrap();
    let (redo, _) = tm.wal.begin_checkpoint();
    assert!(redo >= lsn, "the redo point follows the commit record");
    ResourceManager::checkpoint(&tm, &tm.wal).unwrap();
    assert!(tm.is_running(a), "not visible before finish_commit");
    let reopened = Clog::open(&dir.join("xact")).unwrap();
    assert_eq!(reopened.status(a).unwrap(), XidStatus::Committed);
    tm.finish_commit(a, lsn).unwrap();
    assert!(!tm.is_running(a));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn subtransactions_are_the_family_s_own_and_end_with_it() {
    let (dir, tm) = setup("subxact");
    let top = tm.assign(1);
    let kept = tm.assign_sub(1, top);
    let undone = tm.assign_sub(1, top);
    let other = tm.assign(2);
    let (t_top, t_kept, t_undone) = (tuple(top, 0), tuple(kept, 0), tuple(undone, 0));
    let snap = tm.snapshot();
    assert_eq!(snap.running, vec![top, kept, undone, other], "every running id is in the snapshot");
    // Any member of the family sees the others' rows as its own.
    for me in [top, kept, undone] {
        for t in [&t_top, &t_kept, &t_undone] {
            assert!(tm.tuple_visible(t, &snap, me, 1).unwrap());
        }
    }
    assert!(!tm.tuple_visible(&t_kept, &snap, other, 1).unwrap(), "not another transaction's");
    assert!(!tm.is_mine(kept, other) && !tm.is_mine(kept, 0));

    // ROLLBACK TO: the subtransaction's rows vanish for the family at once.
    tm.abort_subs(&[undone]).unwrap();
    assert!(!tm.is_running(undone) && tm.is_running(top));
    assert!(!tm.tuple_visible(&t_undone, &tm.snapshot(), kept, 1).unwrap());
    assert!(!tm.is_mine(undone, top));
    // A row deleted by the rolled-back subtransaction is alive again.
    let mut deleted = t_top.clone();
    delete(&mut deleted, undone, 0);
    assert!(tm.tuple_visible(&deleted, &tm.snapshot(), top, 1).unwrap());
    assert_eq!(tm.update_check(&deleted, top).unwrap(), UpdateCheck::Free);
    let mut by_kept = t_top.clone();
    delete(&mut by_kept, kept, 0);
    assert_eq!(tm.update_check(&by_kept, top).unwrap(), UpdateCheck::SelfModified);
    assert_eq!(tm.update_check(&by_kept, other).unwrap(), UpdateCheck::BeingModified(kept));

    // The commit takes the remaining subtransaction with it, in one record.
    let lsn = tm.log_commit(top).unwrap();
    assert!(tm.is_running(kept), "invisible until the commit finishes");
    tm.finish_commit(top, lsn).unwrap();
    assert!(!tm.is_running(kept));
    assert!(tm.tuple_visible(&t_kept, &tm.snapshot(), 0, 0).unwrap());
    assert!(!tm.tuple_visible(&t_undone, &tm.snapshot(), 0, 0).unwrap());
    tm.abort(other).unwrap();

    // Replayed into a fresh commit log, the record marks the subtransaction too.
    tm.wal.flush_to(tm.wal.insert_end()).unwrap();
    let wal = Arc::new(Wal::open(&dir.join("wal2"), 1 << 20, false, 0, 0).unwrap());
    let multis = MultiXacts::open(&dir.join("multixact2")).unwrap();
    let fresh = TransactionManager::new(Clog::open(&dir.join("xact2")).unwrap(), multis, wal, 3);
    for rec in Wal::read_from(&dir.join("wal"), 1 << 20, 0, 0) {
        fresh.redo(&rec).unwrap();
    }
    assert_eq!(fresh.status(top).unwrap(), XidStatus::Committed);
    assert_eq!(fresh.status(kept).unwrap(), XidStatus::Committed);
    assert_eq!(fresh.status(undone).unwrap(), XidStatus::Aborted);
    assert_eq!(fresh.status(other).unwrap(), XidStatus::Aborted);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn vacuum_freezes_and_the_logs_are_cut_below_what_tuples_refer_to() {
    use crate::storage::heap::tuple::XmaxStamp;
    use multixact::{Member, MemberStatus};
    let dir = std::env::temp_dir().join(format!("tusk-txn-freeze-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let wal = Arc::new(Wal::open(&dir.join("wal"), 1 << 20, false, 0, 0).unwrap());
    let clog = Clog::open(&dir.join("xact")).unwrap();
    // Old transactions in the first commit-log segments; new ones start in the fourth.
    let per_segment = clog::XIDS_PER_PAGE * clog::PAGES_PER_SEGMENT;
    let (old_commit, old_abort, old_locker) = (10, 11, 12);
    clog.set(old_commit, XidStatus::Committed, 0).unwrap();
    clog.set(old_abort, XidStatus::Aborted, 0).unwrap();
    clog.set(old_locker, XidStatus::Committed, 0).unwrap();
    clog.set(per_segment + 5, XidStatus::Committed, 0).unwrap();
    let multis = MultiXacts::open(&dir.join("multixact")).unwrap();
    let tm = TransactionManager::new(clog, multis, wal, 3 * per_segment);

    // Enough multixacts of ended lockers to fill more than one segment.
    let lockers = [
        Member { xid: old_commit, status: MemberStatus::ForShare },
        Member { xid: old_locker, status: MemberStatus::ForKeyShare },
    ];
    let first = tm.multixacts.create(&lockers, &tm.wal).unwrap();
    for _ in 0..20_000 {
        tm.multixacts.create(&lockers, &tm.wal).unwrap();
    }
    tm.checkpoint(&tm.wal).unwrap();
    assert_eq!(tm.clog.segments().unwrap(), vec![0, 1]);
    let (offsets, members) = tm.multixacts.segments().unwrap();
    assert_eq!((offsets.len(), members.len()), (2, 3));

    // A live row from an old commit, locked by a multixact of ended lockers;
    // one deleted long ago; one whose insert aborted.
    let running = tm.assign(1);
    let horizon = tm.horizon();
    let mut live = tuple(old_commit, 0);
    HeaderMut(&mut live).set_xmax_stamp(XmaxStamp {
        xmax: first,
        flags: crate::storage::heap::tuple::XMAX_IS_MULTI | crate::storage::heap::tuple::XMAX_LOCK_ONLY,
        keys: false,
    });
    let mut deleted = tuple(old_commit, 0);
    delete(&mut deleted, per_segment + 5, 0);
    let aborted = tuple(old_abort, 0);
    let mut oldest = rowlock::Frozen { oldest_xid: u64::MAX, oldest_multi: u64::MAX };
    for t in [&mut live, &mut deleted, &mut aborted.clone()] {
        let (_, f) = tm.freeze_tuple(t, horizon).unwrap();
        oldest.oldest_xid = oldest.oldest_xid.min(f.oldest_xid);
        oldest.oldest_multi = oldest.oldest_multi.min(f.oldest_multi);
    }
    assert!(Header(&live).xmin_frozen(), "an old committed insert is frozen");
    assert!(Header(&live).infomask() & crate::storage::heap::tuple::XMAX_INVALID != 0, "ended lockers are dropped");
    assert_eq!(oldest.oldest_multi, u64::MAX, "no multixact is referred to any more");
    assert_eq!(oldest.oldest_xid, u64::MAX, "nor any old transaction");

    let cut = oldest.oldest_xid.min(horizon);
    tm.clog.truncate(cut).unwrap();
    tm.multixacts.truncate(oldest.oldest_multi.min(tm.multixacts.next())).unwrap();
    assert_eq!(tm.clog.segments().unwrap(), Vec::<u64>::new(), "segments 0 and 1 went (3 was never written)");
    let (offsets, members) = tm.multixacts.segments().unwrap();
    assert_eq!((offsets, members), (vec![1], vec![2]), "the segments before the next multixact went");
    assert!(tm.multixacts.members(first).unwrap().is_empty());

    // What the tuples say without the commit log: the frozen insert is
    // visible, the hinted delete is dead, the aborted insert stays aborted.
    let snap = tm.snapshot();
    assert!(tm.tuple_visible(&live, &snap, 0, 0).unwrap());
    assert!(!tm.tuple_visible(&deleted, &snap, 0, 0).unwrap());
    assert!(tm.dead_to_all(&deleted, horizon).unwrap());
    assert!(tm.inserted_by_aborted(&aborted).unwrap());
    assert!(!tm.tuple_visible(&aborted, &snap, 0, 0).unwrap());

    // The running transaction's id holds its own segment back.
    tm.clog.set(running, XidStatus::Committed, 0).unwrap();
    tm.clog.flush(|_| Ok(())).unwrap();
    assert_eq!(tm.clog.truncate(tm.horizon()).unwrap(), 0);
    assert_eq!(tm.clog.segments().unwrap(), vec![3]);
    let _ = std::fs::remove_dir_all(&dir);
}
