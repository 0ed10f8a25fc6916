use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::*;

/// A statement that waits twice resumes each time with its state intact.
#[tokio::test]
async fn a_statement_resumes_after_each_wait() {
    let alarm = Alarm::default();
    let mut seen = Vec::new();
    let out = on_stack(&alarm, async {
        for i in 0..2 {
            let v = until(async move {
                tokio::time::sleep(Duration::from_millis(5)).await;
                i * 10
            });
            seen.push(v);
        }
        "done"
    })
    .unwrap()
    .await;
    assert_eq!(out, "done");
    assert_eq!(seen, [0, 10]);
}

/// Many waiting statements share one thread: none of them holds it.
#[test]
fn waiting_statements_hold_no_thread() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let local = tokio::task::LocalSet::new();
    let state = Arc::new((Mutex::new(false), Event::default()));
    let woken = Arc::new(AtomicUsize::new(0));
    let n = 200;
    local.block_on(&rt, async {
        mark_cooperative_thread();
        let mut tasks = Vec::new();
        for _ in 0..n {
            let (state, woken) = (state.clone(), woken.clone());
            tasks.push(tokio::task::spawn_local(async move {
                let alarm = Alarm::default();
                on_stack(&alarm, async {
                    let mut open = state.0.lock();
                    while !*open {
                        state.1.wait(&mut open, None);
                    }
                    woken.fetch_add(1, Ordering::SeqCst);
                })
                .unwrap()
                .await;
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(woken.load(Ordering::SeqCst), 0);
        *state.0.lock() = true;
        state.1.notify_all();
        for t in tasks {
            t.await.unwrap();
        }
    });
    assert_eq!(woken.load(Ordering::SeqCst), n);
}

/// The alarm ends a wait that nothing else would.
#[tokio::test]
async fn the_alarm_wakes_a_wait() {
    let alarm = Arc::new(Alarm::default());
    let ring = alarm.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        ring.ring();
    });
    let started = Instant::now();
    on_stack(&alarm, async { sleep(Instant::now() + Duration::from_secs(30)) }).unwrap().await;
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// Outside a coroutine, a wait blocks the thread and still ends.
#[test]
fn a_wait_outside_a_coroutine_blocks() {
    let started = Instant::now();
    sleep(started + Duration::from_millis(10));
    assert!(started.elapsed() >= Duration::from_millis(10));
}

/// A panic in a statement reaches its task, and leaves no statement behind
/// on the thread.
#[tokio::test]
async fn a_panic_reaches_the_task() {
    let alarm = Alarm::default();
    let caught = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
        on_stack(&alarm, async {
            until(tokio::task::yield_now());
            panic!("boom")
        })
        .unwrap(),
    ))
    .await;
    assert!(caught.is_err());
    assert!(CURRENT.get().is_none());
}

/// A session's message dropped while it waits (its connection gone) is
/// unwound: what it held is released, and its stack is kept for reuse.
#[tokio::test]
async fn dropping_a_waiting_coroutine_unwinds_it() {
    struct Held(Arc<AtomicUsize>);
    impl Drop for Held {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicUsize::new(0));
    let alarm = Alarm::default();
    let held = Held(dropped.clone());
    let mut waiting = on_stack(&alarm, async move {
        let _held = held;
        sleep(Instant::now() + Duration::from_secs(30));
    })
    .unwrap();
    let polled = futures_util::poll!(&mut waiting);
    assert!(polled.is_pending());
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    drop(waiting);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert!(CURRENT.get().is_none());
    assert!(STACKS.with_borrow(|s| !s.is_empty()));
}
