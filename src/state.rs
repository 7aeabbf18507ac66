//! What every request handler shares.

use std::time::Duration;

use actix_web::web;

use crate::auth::throttle::LoginThrottle;
use crate::db::{DbConn, Pool};
use crate::error::AppError;
use crate::randomisation::StudyKey;

/// Shared state: the pool, session rules and the login throttle.
pub struct AppState {
    pub pool: Pool,
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, used or not.
    pub session_max: Duration,
    pub throttle: LoginThrottle,
    /// Seeds the randomisation sequence; derived from the secret outside the database.
    pub study_key: StudyKey,
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
}
