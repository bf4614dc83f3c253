//! A future polled only after it woke its task.
//!
//! A connection task waits for three things at once: input, the server's shutdown and its
//! idle deadline. Nearly every wake-up is input. `tokio::select!` polls every branch on
//! every wake-up, and polling a shutdown token or a sleep that has not fired is not free:
//! the token takes two locks and re-registers the task's waker, the sleep re-registers it
//! too. With [`OnWake`], the task polls such a future only when the future itself asked to
//! be polled (or has never been polled): its waker sets a flag, then wakes the task.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

/// The waker an [`OnWake`] polls its future with.
#[derive(Debug)]
struct Flag {
    /// Set when the future woke (and before its first poll).
    woken: AtomicBool,
    /// The task to wake.
    task: AtomicWaker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// A pinned future, polled by [`OnWake::poll_if_woken`] only when it has woken its task
/// since its last poll.
pub(crate) struct OnWake<'a, F> {
    fut: Pin<&'a mut F>,
    flag: Arc<Flag>,
    waker: Waker,
}

impl<'a, F: Future> OnWake<'a, F> {
    /// Wraps `fut`; its first [`poll_if_woken`](Self::poll_if_woken) polls it.
    pub(crate) fn new(fut: Pin<&'a mut F>) -> Self {
        let flag = Arc::new(Flag {
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        Self {
            fut,
            waker: Waker::from(Arc::clone(&flag)),
            flag,
        }
    }

    /// Whether the future has asked to be polled (one atomic load).
    pub(crate) fn is_woken(&self) -> bool {
        self.flag.woken.load(Ordering::Acquire)
    }

    /// Polls the future if it woke since its last poll; `Pending` otherwise. The task in
    /// `cx` is the one woken next time.
    pub(crate) fn poll_if_woken(&mut self, cx: &mut Context<'_>) -> Poll<F::Output> {
        if !self.flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        self.flag.task.register(cx.waker());
        self.fut
            .as_mut()
            .poll(&mut Context::from_waker(&self.waker))
    }

    /// Changes the future (a sleep's deadline); the next
    /// [`poll_if_woken`](Self::poll_if_woken) polls it.
    pub(crate) fn update(&mut self, change: impl FnOnce(Pin<&mut F>)) {
        self.flag.woken.store(true, Ordering::Release);
        change(self.fut.as_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::sync::Notify;

    #[tokio::test]
    async fn polls_on_its_first_call_then_only_when_woken() {
        let notify = Arc::new(Notify::new());
        let n = Arc::clone(&notify);
        let mut polls = 0;
        let fut = std::pin::pin!(async move {
            n.notified().await;
        });
        let mut on = OnWake::new(fut);
        let mut counting = std::future::poll_fn(|cx| {
            polls += 1;
            on.poll_if_woken(cx)
        });
        // First poll registers; the notification then wakes the task.
        assert!(futures_util::poll!(&mut counting).is_pending());
        assert!(futures_util::poll!(&mut counting).is_pending());
        notify.notify_one();
        tokio::time::timeout(Duration::from_secs(5), &mut counting)
            .await
            .expect("woken and polled");
        assert_eq!(polls, 3);
    }

    #[tokio::test]
    async fn skips_a_future_that_did_not_wake() {
        let mut inner_polls = 0u32;
        let fut = std::pin::pin!(std::future::poll_fn(|_| {
            inner_polls += 1;
            Poll::<()>::Pending
        }));
        let mut on = OnWake::new(fut);
        let waker = futures_util::task::noop_waker_ref();
        let mut cx = Context::from_waker(waker);
        for _ in 0..5 {
            assert!(on.poll_if_woken(&mut cx).is_pending());
        }
        assert!(!on.is_woken());
        on.update(|_| {});
        assert!(on.is_woken());
        assert!(on.poll_if_woken(&mut cx).is_pending());
        drop(on);
        assert_eq!(inner_polls, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_sleep_wakes_its_task() {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let sleep = std::pin::pin!(tokio::time::sleep_until(deadline));
        let mut on = OnWake::new(sleep);
        std::future::poll_fn(|cx| on.poll_if_woken(cx)).await;
        assert!(tokio::time::Instant::now() >= deadline);
    }
}
