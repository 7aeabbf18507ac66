//! What every request handler shares.

use std::time::Duration;

use actix_web::web;

use crate::auth::throttle::LoginThrottle;
use crate::db::writer::{Completion, Job, Writer};
use crate::db::{DbConn, Pool};
use crate::error::AppError;
use crate::instruments::Library;
use crate::randomisation::StudyKey;
use std::sync::Arc;

/// Shared state: the pool, session rules and the login throttle.
pub struct AppState {
    pub pool: Pool,
    /// SQLite only: the writer thread writes go through (see `write`).
    pub writer: Option<Writer>,
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, used or not.
    pub session_max: Duration,
    pub throttle: LoginThrottle,
    /// How long a one-time password signs in after it was issued.
    pub one_time_password_valid: chrono::Duration,
    /// Roles that must sign in with two factors (see `Settings::two_factor_roles`).
    pub two_factor_roles: Vec<crate::auth::Role>,
    /// Take client addresses from proxy headers (see `Settings::trust_proxy_headers`).
    pub trust_proxy_headers: bool,
    /// Seeds the randomisation sequence; derived from the secret outside the database.
    pub study_key: StudyKey,
    /// The base of participants' links (`{public_url}/s/{token}`).
    pub public_url: String,
    /// The questionnaires this server knows: the bundled ones and the study's `instruments_dir`,
    /// loaded at start-up (each server its own: nothing about them is process-wide).
    pub instruments: Arc<Library>,
}

impl AppState {
    /// Runs blocking database work on the thread pool, never on the async executor.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs blocking database work that writes. On SQLite it goes to the one writer thread, which
    /// commits the writes queued together as one batch (see `db::writer`); the result comes back
    /// once that batch is on disk. On PostgreSQL it runs on a pooled connection.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let Some(writer) = &self.writer else { return self.run(f).await };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn: &mut DbConn| {
            let result = f(conn);
            let ok = result.is_ok();
            let completion: Completion = Box::new(move |committed: Result<(), String>| {
                let _ = tx.send(committed.map_err(|e| AppError::Internal(anyhow::anyhow!(e))).and(result));
            });
            (completion, ok)
        });
        if !writer.send(job) {
            return Err(AppError::Internal(anyhow::anyhow!("the SQLite writer has stopped")));
        }
        rx.await.map_err(|_| AppError::Internal(anyhow::anyhow!("the SQLite writer dropped a request")))?
    }
}
