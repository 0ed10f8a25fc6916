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
    let out = run(&alarm, || {
        for i in 0..2 {
            let v = until(async move {
                tokio::time::sleep(Duration::from_millis(5)).await;
                i * 10
            });
            seen.push(v);
        }
        "done"
    })
    .await
    .unwrap();
    assert_eq!(out, "done");
    assert_eq!(seen, [0, 10]);
}

/// Many waiting statements share one worker thread: none of them holds it.
#[test]
fn waiting_statements_hold_no_thread() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let state = Arc::new((Mutex::new(false), Event::default()));
    let woken = Arc::new(AtomicUsize::new(0));
    let n = 200;
    rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..n {
            let (state, woken) = (state.clone(), woken.clone());
            tasks.push(tokio::spawn(async move {
                let alarm = Alarm::default();
                run(&alarm, || {
                    let mut open = state.0.lock();
                    while !*open {
                        state.1.wait(&mut open, None);
                    }
                    woken.fetch_add(1, Ordering::SeqCst);
                })
                .await
                .unwrap();
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
    run(&alarm, || sleep(Instant::now() + Duration::from_secs(30))).await.unwrap();
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
    let caught = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(run(&alarm, || {
        until(async {});
        panic!("boom")
    })))
    .await;
    assert!(caught.is_err());
    assert!(CURRENT.get().is_none());
}
