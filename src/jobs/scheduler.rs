//! Background work that depends on the clock rather than on a request: opening assessment
//! windows, marking missed assessments, escalating unacknowledged safety alerts, and completing
//! groups that owe nothing more (after a member's withdrawal). Each pass
//! is idempotent, so two servers on one database may both run it.

use std::time::Duration;

use crate::db::{self, Pool};

/// Runs a pass every `poll` until the runtime stops.
pub fn spawn(pool: Pool, poll: Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(poll).await;
            let p = pool.clone();
            match tokio::task::spawn_blocking(move || run_once(&p)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error.kind = "scheduler", error.detail = %e, "scheduler pass failed")
                }
                Err(e) => tracing::warn!(error.kind = "scheduler", error.detail = %e, "scheduler panicked"),
            }
        }
    });
}

/// One pass as of now.
pub fn run_once(pool: &Pool) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let now = db::now();
    let system = crate::audit::Context { actor: crate::audit::Actor::system(), request_id: None };
    let swept = crate::assessments::sweep(&mut conn, now)?;
    let escalated = crate::safety::escalate_due(&mut conn, now)?;
    let completed = crate::groups::attendance::settle(&mut conn, &system)?;
    if swept.opened + swept.missed + escalated + completed > 0 {
        tracing::info!(opened = swept.opened, missed = swept.missed, escalated, completed, "scheduler pass");
    }
    Ok(())
}
