//! A one-shot alarm for long, rarely moved deadlines (a driver's next poll, upsmon's next
//! poll, upsd's next PING to a driver: seconds away), which wakes the process once when it is
//! due.
//!
//! tokio's timer wheel is built for many short timers: a deadline some seconds away sits in
//! a coarse level of the wheel and is cascaded to finer ones on its way down, and each
//! cascade is a wake-up of the runtime (strace of an idle upsd showed three wake-ups for
//! each deadline about 5 s away: the 4,096 ms slot, the 64 ms slot, the deadline). An idle
//! daemon on a router or a NAS should wake only when it has something to do, so on Linux
//! the alarm is a `timerfd` in the runtime's epoll set: the kernel wakes the process once,
//! at the deadline. Elsewhere it is tokio's sleep. (The `tokio-timerfd` crate does the same
//! through an `AsyncFd` constructor tokio has since deprecated, and would bring a second
//! copy of rustix; nix, already here, has the timerfd.)
//!
//! The alarm keeps the real time (`std::time::Instant`, CLOCK_MONOTONIC): it does not follow
//! tokio's paused clock (`tokio::time::pause`, `#[tokio::test(start_paused = true)]`), so code
//! whose tests run on that clock must keep a tokio sleep for them: the driver runtime sleeps on
//! the alarm only when asked ([`with_poll_alarm`](crate::DriverRuntime::with_poll_alarm)).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use std::time::{Duration, Instant};
//! use nut_driver_api::alarm::Alarm;
//!
//! let mut alarm = Alarm::new(Instant::now() + Duration::from_millis(10));
//! alarm.due().await;
//! alarm.reset(Instant::now() + Duration::from_millis(10));
//! alarm.due().await;
//! # }
//! ```

use std::time::Instant;

/// A deadline that can be moved and awaited, waking once when it is due.
#[derive(Debug)]
pub struct Alarm {
    inner: imp::Inner,
}

impl Alarm {
    /// An alarm due at `at` (at once if `at` has passed).
    pub fn new(at: Instant) -> Self {
        Self {
            inner: imp::Inner::new(at),
        }
    }

    /// When the alarm is due.
    pub fn deadline(&self) -> Instant {
        self.inner.deadline
    }

    /// Moves the alarm to `at` (at once if `at` has passed).
    pub fn reset(&mut self, at: Instant) {
        if at != self.inner.deadline {
            self.inner.reset(at);
        }
    }

    /// Waits until the alarm is due. It stays due (a second wait returns at once) until
    /// [`Alarm::reset`] moves it. Cancel-safe: dropping the future loses nothing.
    pub async fn due(&mut self) {
        self.inner.due().await;
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use std::os::fd::{AsFd, AsRawFd, RawFd};
    use std::time::{Duration, Instant};

    use nix::sys::time::TimeSpec;
    use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;

    /// The timerfd as tokio's `AsyncFd` wants it.
    #[derive(Debug)]
    struct Timer(TimerFd);

    impl AsRawFd for Timer {
        fn as_raw_fd(&self) -> RawFd {
            self.0.as_fd().as_raw_fd()
        }
    }

    /// The timerfd, or tokio's sleep if the kernel refused one (then nothing is lost but
    /// the wake-ups).
    #[derive(Debug)]
    pub(super) struct Inner {
        pub(super) deadline: Instant,
        fd: Option<AsyncFd<Timer>>,
        /// Made only if the timerfd fails: a tokio sleep, once reset, sits in tokio's
        /// timer wheel (and wakes the runtime) even when nobody awaits it.
        fallback: Option<super::fallback::Inner>,
        fired: bool,
    }

    impl Inner {
        pub(super) fn new(at: Instant) -> Self {
            let fd = TimerFd::new(
                ClockId::CLOCK_MONOTONIC,
                TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
            )
            .ok()
            .and_then(|fd| {
                // SAFETY: `Timer` owns the timerfd and gives up its descriptor to nobody, so
                // the descriptor stays open and the same for the `AsyncFd`'s whole life.
                #[allow(unsafe_code)]
                let registered =
                    unsafe { AsyncFd::register_with_interest(Timer(fd), Interest::READABLE) };
                registered.ok()
            });
            let mut inner = Self {
                deadline: at,
                fd,
                fallback: None,
                fired: false,
            };
            inner.arm();
            inner
        }

        pub(super) fn reset(&mut self, at: Instant) {
            self.deadline = at;
            if let Some(fallback) = &mut self.fallback {
                fallback.reset(at);
            }
            self.arm();
        }

        /// Sets the timerfd to fire at the deadline, relative to now (std's `Instant` is
        /// CLOCK_MONOTONIC on Linux, but does not expose its value for an absolute time).
        fn arm(&mut self) {
            self.fired = false;
            let Some(fd) = &self.fd else { return };
            // A zero expiration disarms a timerfd: a deadline that has passed fires in 1 ns.
            let after = self
                .deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_nanos(1));
            if fd
                .get_ref()
                .0
                .set(
                    Expiration::OneShot(TimeSpec::from_duration(after)),
                    TimerSetTimeFlags::empty(),
                )
                .is_err()
            {
                self.fd = None;
            }
        }

        /// Gives up the timerfd for tokio's sleep.
        async fn fall_back(&mut self) {
            self.fd = None;
            let deadline = self.deadline;
            self.fallback
                .get_or_insert_with(|| super::fallback::Inner::new(deadline))
                .due()
                .await;
        }

        pub(super) async fn due(&mut self) {
            if self.fired {
                return;
            }
            let Some(fd) = &self.fd else {
                return self.fall_back().await;
            };
            loop {
                let Ok(mut ready) = fd.readable().await else {
                    return self.fall_back().await;
                };
                // Reading the expiration count consumes it; a would-block read means the
                // readiness was stale (the timer was re-armed since).
                let read = ready.try_io(|fd| fd.get_ref().0.wait().map_err(std::io::Error::from));
                drop(ready);
                match read {
                    Ok(Ok(())) => break,
                    Ok(Err(_)) => return self.fall_back().await,
                    Err(_would_block) => continue,
                }
            }
            self.fired = true;
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod imp {
    pub(super) use super::fallback::Inner;
}

/// tokio's sleep, where there is no timerfd.
mod fallback {
    use std::pin::Pin;
    use std::time::Instant;

    /// A pinned tokio sleep.
    #[derive(Debug)]
    pub(super) struct Inner {
        pub(super) deadline: Instant,
        sleep: Pin<Box<tokio::time::Sleep>>,
    }

    impl Inner {
        pub(super) fn new(at: Instant) -> Self {
            Self {
                deadline: at,
                sleep: Box::pin(tokio::time::sleep_until(at.into())),
            }
        }

        pub(super) fn reset(&mut self, at: Instant) {
            self.deadline = at;
            self.sleep.as_mut().reset(at.into());
        }

        pub(super) async fn due(&mut self) {
            self.sleep.as_mut().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn fires_at_the_deadline_and_stays_due_until_moved() {
        let start = Instant::now();
        let mut alarm = Alarm::new(start + Duration::from_millis(50));
        alarm.due().await;
        assert!(start.elapsed() >= Duration::from_millis(50));
        // Still due: returns at once.
        tokio::time::timeout(Duration::from_millis(20), alarm.due())
            .await
            .expect("a fired alarm stays due");
        // Moved into the future: not due until then.
        alarm.reset(Instant::now() + Duration::from_millis(200));
        assert!(
            tokio::time::timeout(Duration::from_millis(50), alarm.due())
                .await
                .is_err(),
            "a moved alarm waits for its new deadline"
        );
        alarm.due().await;
    }

    #[tokio::test]
    async fn a_deadline_in_the_past_fires_at_once() {
        let mut alarm = Alarm::new(Instant::now() - Duration::from_secs(1));
        tokio::time::timeout(Duration::from_millis(500), alarm.due())
            .await
            .expect("due at once");
    }

    #[tokio::test]
    async fn moving_the_deadline_earlier_fires_earlier_and_a_cancelled_wait_loses_nothing() {
        let mut alarm = Alarm::new(Instant::now() + Duration::from_secs(60));
        // A wait cancelled midway (as by select!) leaves the alarm usable.
        assert!(tokio::time::timeout(Duration::from_millis(20), alarm.due())
            .await
            .is_err());
        let at = Instant::now() + Duration::from_millis(30);
        alarm.reset(at);
        assert_eq!(alarm.deadline(), at);
        tokio::time::timeout(Duration::from_secs(5), alarm.due())
            .await
            .expect("fires at the earlier deadline");
        assert!(Instant::now() >= at);
    }
}
