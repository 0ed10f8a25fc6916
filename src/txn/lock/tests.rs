use std::sync::Arc;
use std::time::Duration;

use super::*;

const T1: LockTag = LockTag::Relation { db: 5, rel: 16384 };
const T2: LockTag = LockTag::Relation { db: 5, rel: 16390 };

fn no_owner(_: u64) -> Option<i32> {
    None
}

fn take(m: &LockManager, pid: i32, tag: LockTag, mode: LockMode, nowait: bool) -> Result<bool> {
    let mut ok = || Ok(());
    let mut wait = Wait {
        nowait,
        timeout: Some(Duration::from_secs(10)),
        deadlock_timeout: Duration::from_secs(1),
        interrupted: &mut ok,
    };
    m.acquire(pid, tag, mode, false, &mut wait, &no_owner)
}

#[test]
fn conflict_table_is_postgresqls() {
    use LockMode::*;
    // Symmetric, and a few cells checked by hand against the documentation.
    for a in LockMode::ALL {
        for b in LockMode::ALL {
            assert_eq!(a.conflicts_with(b), b.conflicts_with(a), "{a:?} / {b:?}");
        }
    }
    assert!(!AccessShare.conflicts_with(Exclusive));
    assert!(AccessShare.conflicts_with(AccessExclusive));
    assert!(!RowExclusive.conflicts_with(RowExclusive));
    assert!(RowExclusive.conflicts_with(Share));
    assert!(!Share.conflicts_with(Share));
    assert!(ShareUpdateExclusive.conflicts_with(ShareUpdateExclusive));
    assert!(ShareRowExclusive.conflicts_with(ShareRowExclusive));
    assert!(!RowShare.conflicts_with(ShareRowExclusive));
}

#[test]
fn shared_modes_coexist_and_exclusive_waits_in_line() {
    let m = LockManager::default();
    assert!(take(&m, 1, T1, LockMode::AccessShare, true).unwrap());
    assert!(take(&m, 2, T1, LockMode::RowExclusive, true).unwrap());
    assert!(!take(&m, 3, T1, LockMode::AccessExclusive, true).unwrap());
    assert!(take(&m, 3, T2, LockMode::AccessExclusive, true).unwrap(), "other tables are unaffected");
    m.release_all(1, true, false);
    m.release_all(2, true, false);
    assert!(take(&m, 3, T1, LockMode::AccessExclusive, true).unwrap());
    assert!(!take(&m, 1, T1, LockMode::AccessShare, true).unwrap());
}

#[test]
fn a_waiter_is_granted_when_the_holder_ends_and_later_requests_queue_behind_it() {
    let m = Arc::new(LockManager::default());
    assert!(take(&m, 1, T1, LockMode::AccessShare, true).unwrap());
    let waiter = {
        let m = m.clone();
        std::thread::spawn(move || take(&m, 2, T1, LockMode::AccessExclusive, false))
    };
    while m.snapshot().iter().all(|l| l.3) {
        std::thread::sleep(Duration::from_millis(5));
    }
    // A newcomer's AccessShare would not conflict with the holder, but it
    // does with the waiting AccessExclusive: it queues behind it.
    assert!(!take(&m, 3, T1, LockMode::AccessShare, true).unwrap());
    // The holder itself may take more (queueing behind a waiter that waits
    // for it would deadlock).
    assert!(take(&m, 1, T1, LockMode::RowExclusive, true).unwrap());
    m.release_all(1, true, false);
    assert!(waiter.join().unwrap().unwrap());
    assert_eq!(m.snapshot(), vec![(2, T1, LockMode::AccessExclusive, true)]);
}

#[test]
fn lock_timeout_and_interrupts_end_a_wait() {
    let m = LockManager::default();
    assert!(take(&m, 1, T1, LockMode::AccessExclusive, true).unwrap());
    let mut ok = || Ok(());
    let mut wait = Wait {
        nowait: false,
        timeout: Some(Duration::from_millis(50)),
        deadlock_timeout: Duration::from_secs(1),
        interrupted: &mut ok,
    };
    let e = m.acquire(2, T1, LockMode::AccessShare, false, &mut wait, &no_owner).unwrap_err();
    assert_eq!((e.code(), e.message()), (SqlState::LOCK_NOT_AVAILABLE, "canceling statement due to lock timeout"));
    let mut cancel = || Err(err!(SqlState::QUERY_CANCELED, "canceling statement due to user request"));
    let mut wait =
        Wait { nowait: false, timeout: None, deadlock_timeout: Duration::from_secs(1), interrupted: &mut cancel };
    let e = m.acquire(2, T1, LockMode::AccessShare, false, &mut wait, &no_owner).unwrap_err();
    assert_eq!(e.code(), SqlState::QUERY_CANCELED);
    assert_eq!(m.snapshot().len(), 1, "the failed waiters left the queue");
}

#[test]
fn a_deadlock_is_found_by_the_waiter_whose_timer_runs_out() {
    let m = Arc::new(LockManager::default());
    assert!(take(&m, 1, T1, LockMode::AccessExclusive, true).unwrap());
    assert!(take(&m, 2, T2, LockMode::AccessExclusive, true).unwrap());
    let first = {
        let m = m.clone();
        std::thread::spawn(move || {
            let r = take(&m, 1, T2, LockMode::AccessShare, false);
            m.release_all(1, true, false);
            r
        })
    };
    while m.snapshot().iter().all(|l| l.3) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut ok = || Ok(());
    let mut wait =
        Wait { nowait: false, timeout: None, deadlock_timeout: Duration::from_millis(30), interrupted: &mut ok };
    let e = m.acquire(2, T1, LockMode::RowExclusive, false, &mut wait, &no_owner).unwrap_err();
    assert_eq!(e.code(), SqlState::T_R_DEADLOCK_DETECTED);
    assert_eq!(
        e.detail(),
        Some(
            "Process 2 waits for RowExclusiveLock on relation 16384 of database 5; blocked by process 1.\n\
             Process 1 waits for AccessShareLock on relation 16390 of database 5; blocked by process 2."
        )
    );
    // The victim's transaction ends; the other proceeds.
    m.release_all(2, true, false);
    assert!(first.join().unwrap().unwrap());
}

#[test]
fn a_cycle_through_a_transaction_wait_is_a_deadlock() {
    let m = LockManager::default();
    // Session 1 holds the table; session 2 waits for session 1's
    // transaction 700 to end (a row lock); session 1 then waits for a
    // transaction of session 2's (801): a cycle of two transaction waits.
    let owner = |xid: u64| match xid {
        700 => Some(1),
        801 => Some(2),
        _ => None,
    };
    m.wait_for_transaction(2, 700, &owner).unwrap();
    let e = m.wait_for_transaction(1, 801, &owner).unwrap_err();
    assert_eq!(e.code(), SqlState::T_R_DEADLOCK_DETECTED);
    assert_eq!(
        e.detail(),
        Some(
            "Process 1 waits for ShareLock on transaction 801; blocked by process 2.\n\
             Process 2 waits for ShareLock on transaction 700; blocked by process 1."
        )
    );
    // And a table-lock wait closing a cycle with a transaction wait.
    assert!(take(&m, 1, T1, LockMode::Share, true).unwrap());
    let mut ok = || Ok(());
    let mut wait = Wait { nowait: false, timeout: None, deadlock_timeout: Duration::ZERO, interrupted: &mut ok };
    // Session 2 still waits for 700 (session 1): session 1 asking for what
    // session 2 holds closes the cycle.
    assert!(take(&m, 2, T2, LockMode::Exclusive, true).unwrap());
    let e = m.acquire(1, T2, LockMode::RowShare, false, &mut wait, &owner).unwrap_err();
    assert_eq!(e.code(), SqlState::T_R_DEADLOCK_DETECTED);
    m.stop_waiting(2);
}

#[test]
fn advisory_session_locks_outlive_the_transaction() {
    let m = LockManager::default();
    let key = LockTag::Advisory { db: 5, key: 42, pair: false };
    let mut ok = || Ok(());
    let mut wait = Wait { nowait: true, timeout: None, deadlock_timeout: Duration::from_secs(1), interrupted: &mut ok };
    assert!(m.acquire(1, key, LockMode::Exclusive, true, &mut wait, &no_owner).unwrap());
    assert!(m.acquire(1, key, LockMode::Exclusive, true, &mut wait, &no_owner).unwrap(), "re-entrant");
    m.release_all(1, true, false);
    assert!(!m.acquire(2, key, LockMode::Exclusive, true, &mut wait, &no_owner).unwrap());
    assert!(m.release_one(1, key, LockMode::Exclusive));
    assert!(!m.acquire(2, key, LockMode::Exclusive, true, &mut wait, &no_owner).unwrap(), "taken twice");
    assert!(m.release_one(1, key, LockMode::Exclusive));
    assert!(!m.release_one(1, key, LockMode::Exclusive), "not held any more");
    assert!(m.acquire(2, key, LockMode::Exclusive, true, &mut wait, &no_owner).unwrap());
    assert_eq!(key.to_string(), "advisory lock [5,0,42,1]");
}

fn wait_lockers(m: &LockManager, pid: i32, mode: LockMode) -> Result<()> {
    let mut ok = || Ok(());
    let mut wait =
        Wait { nowait: false, timeout: None, deadlock_timeout: Duration::from_secs(1), interrupted: &mut ok };
    m.wait_for_lockers(pid, T1, mode, &mut wait, &no_owner)
}

#[test]
fn a_wait_for_lockers_waits_for_the_holders_there_were_only() {
    let m = Arc::new(LockManager::default());
    // Session 1 holds the table as a writer; session 3 as a reader, which
    // does not conflict with SHARE.
    assert!(take(&m, 1, T1, LockMode::RowExclusive, true).unwrap());
    assert!(take(&m, 3, T1, LockMode::AccessShare, true).unwrap());
    let waiter = {
        let m = m.clone();
        std::thread::spawn(move || wait_lockers(&m, 2, LockMode::Share))
    };
    std::thread::sleep(Duration::from_millis(50));
    assert!(!waiter.is_finished(), "it waits for the writer");
    // The waiter takes no lock: a new writer is not held up, and is not
    // waited for.
    assert!(take(&m, 4, T1, LockMode::RowExclusive, true).unwrap());
    // The writer ends and starts again: a new holder, not waited for.
    m.release_all(1, true, false);
    assert!(take(&m, 1, T1, LockMode::RowExclusive, true).unwrap());
    waiter.join().unwrap().unwrap();
    // Nothing conflicting held by others: no wait at all.
    m.release_all(1, true, false);
    m.release_all(4, true, false);
    wait_lockers(&m, 2, LockMode::Share).unwrap();
    assert_eq!(m.snapshot(), vec![(3, T1, LockMode::AccessShare, true)]);
}
