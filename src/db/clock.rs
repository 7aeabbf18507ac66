//! The clock the service layer reads.
//!
//! `trialdesk demo` replays six months of a trial in seconds through the same functions the HTTP
//! handlers call, and those read the time through `db::now()` (timestamps, windows opening,
//! sessions held, the study's "today"). The demo makes a `Clock` of its own, set in the past, and
//! enters it on the thread that runs the simulation: `db::now()` on that thread reads it, every
//! other thread (and every other server in the process) reads the wall clock. Nothing about time
//! is process-wide. A clock only moves forward (`travel_to` refuses to go back), so audit
//! timestamps stay in order; the demo ends at the real present.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{Duration, NaiveDateTime, SubsecRound, Utc};

/// A clock: the wall clock plus an offset (zero unless a simulation moved it).
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Microseconds added to the wall clock (negative: the simulated present lies in the past).
    offset_micros: Arc<AtomicI64>,
}

thread_local! {
    /// The clock `now()` reads on this thread, when one was entered.
    static ENTERED: RefCell<Option<Clock>> = const { RefCell::new(None) };
}

/// The current UTC time on this thread's clock, truncated to microseconds.
pub fn now() -> NaiveDateTime {
    ENTERED.with(|c| c.borrow().as_ref().map_or_else(wall, Clock::now))
}

fn wall() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Why the clock was not moved.
#[derive(Debug, thiserror::Error)]
#[error("the clock only moves forward: it reads {now}, so it cannot be set to {wanted}")]
pub struct Backwards {
    pub now: NaiveDateTime,
    pub wanted: NaiveDateTime,
}

/// While it lives, `now()` on this thread reads the entered clock.
#[must_use = "the clock is entered only while the guard lives"]
pub struct Entered {
    previous: Option<Clock>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        ENTERED.with(|c| *c.borrow_mut() = previous);
    }
}

impl Clock {
    /// What this clock reads now.
    pub fn now(&self) -> NaiveDateTime {
        let offset = Duration::microseconds(self.offset_micros.load(Ordering::SeqCst));
        (Utc::now().naive_utc() + offset).trunc_subsecs(6)
    }

    /// Makes this the clock `db::now()` reads on the current thread until the guard drops.
    pub fn enter(&self) -> Entered {
        let previous = ENTERED.with(|c| c.borrow_mut().replace(self.clone()));
        Entered { previous }
    }

    /// Puts the clock at `t`, in the past, to replay history from there. The caller must have
    /// made sure nothing is recorded after `t` (the demo refuses a database whose audit trail
    /// goes past it); from then on the clock only moves forward.
    pub fn start_simulation_at(&self, t: NaiveDateTime) {
        let offset = t - Utc::now().naive_utc();
        self.offset_micros.store(offset.num_microseconds().unwrap_or(0), Ordering::SeqCst);
    }

    /// Moves the clock so that it reads `t` now and runs on from there.
    pub fn travel_to(&self, t: NaiveDateTime) -> Result<(), Backwards> {
        let now = self.now();
        if t < now {
            return Err(Backwards { now, wanted: t });
        }
        let offset = t - Utc::now().naive_utc();
        self.offset_micros.store(offset.num_microseconds().unwrap_or(0), Ordering::SeqCst);
        Ok(())
    }

    /// Moves the clock back to the wall clock; refused if that would move it backwards (the
    /// simulated present lies ahead of the real one).
    pub fn reset(&self) -> Result<(), Backwards> {
        let now = self.now();
        let real = wall();
        if real < now {
            return Err(Backwards { now, wanted: real });
        }
        self.offset_micros.store(0, Ordering::SeqCst);
        Ok(())
    }
}
