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
    /// Connections to the PostgreSQL streaming replica (`database_read_url`), when there is one.
    pub read_pool: Option<Pool>,
    /// The writer thread writes go through (see `write`); `None` only where no server runs.
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
    /// The trial report, built once per change of the data (`reports::cache`).
    pub reports: Arc<crate::reports::cache::ReportCache>,
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

    /// Runs blocking database work that reads a large part of the trial and never follows a write
    /// of the same person (exports, the trial report, the analysis): on the read replica when there
    /// is one, which may lag the primary by a moment. Everything else uses `run`.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let reader = self.reader();
        web::block(move || f(&mut *reader.get()?)).await?
    }

    /// Where reads of the kind `read` runs get their connections, for work that outlives a request
    /// handler's closure (a streamed export).
    pub fn reader(&self) -> Reader {
        Reader { replica: self.read_pool.clone(), primary: self.pool.clone() }
    }

    /// Runs blocking database work that writes. It goes to the one writer thread, which commits
    /// the writes queued together as one batch (see `db::writer`); the result comes back once that
    /// batch is on disk.
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
            return Err(AppError::Internal(anyhow::anyhow!("the writer has stopped")));
        }
        rx.await.map_err(|_| AppError::Internal(anyhow::anyhow!("the writer dropped a request")))?
    }
}

/// Connections for reads that may go to the replica.
#[derive(Clone)]
pub struct Reader {
    replica: Option<Pool>,
    primary: Pool,
}

impl Reader {
    /// A replica connection; the primary's when there is no replica or it cannot be reached (a
    /// replica down must not take exports down).
    pub fn get(&self) -> Result<crate::db::PooledConn, AppError> {
        self.pick().map(|(conn, _)| conn)
    }

    /// A connection as `get` gives it and, on PostgreSQL, a second one from the same server if
    /// one is free at once: an export reads faster with two there (`exports::read`) but never
    /// waits for the second. SQLite's export reads on one, so it takes no second.
    pub fn get_pair(&self) -> Result<(crate::db::PooledConn, Option<crate::db::PooledConn>), AppError> {
        let (conn, pool) = self.pick()?;
        let second = if crate::exports::read::reads_beside(&conn) { pool.try_get() } else { None };
        Ok((conn, second))
    }

    fn pick(&self) -> Result<(crate::db::PooledConn, &Pool), AppError> {
        if let Some(replica) = &self.replica {
            match replica.get() {
                Ok(conn) => return Ok((conn, replica)),
                Err(e) => tracing::warn!(error = %e, "read replica unreachable; reading from the primary"),
            }
        }
        Ok((self.primary.get()?, &self.primary))
    }
}
