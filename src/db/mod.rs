//! Storage: one diesel code path over SQLite and PostgreSQL, chosen from the database URL.

pub mod batch;
pub mod chain_head;
pub mod clock;
pub mod copy;
pub mod prepared;
pub mod schema;
pub mod text_enum;
pub mod writer;

use std::fmt;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend the URL named; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// The connection pool shared by the web server's workers.
pub type Pool = r2d2::Pool<Manager>;
/// A connection borrowed from the pool.
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Which database engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parsed database URL: the backend and what its driver needs to connect.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    target: String,
}

/// Why a database URL was refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "unsupported database URL scheme `{scheme}`: use sqlite://PATH (or a plain file path) for SQLite, \
     or postgres:// / postgresql:// for PostgreSQL"
)]
pub struct UnknownScheme {
    scheme: String,
}

impl DatabaseUrl {
    /// Parses `sqlite://PATH`, a plain file path, or `postgres://` / `postgresql://` URLs.
    pub fn parse(raw: &str) -> Result<Self, UnknownScheme> {
        let raw = raw.trim();
        match raw.split_once("://") {
            Some(("sqlite", path)) => Ok(Self::sqlite(path)),
            Some(("postgres" | "postgresql", _)) => {
                Ok(Self { backend: Backend::Postgres, target: raw.to_owned() })
            }
            Some((scheme, _)) => Err(UnknownScheme { scheme: scheme.to_owned() }),
            None if raw.is_empty() => Err(UnknownScheme { scheme: String::new() }),
            // "mysql:..." or "redis:..." without slashes look like schemes, not file names.
            None if looks_like_scheme(raw) => {
                Err(UnknownScheme { scheme: raw.split(':').next().unwrap_or_default().to_owned() })
            }
            None => Ok(Self::sqlite(raw)),
        }
    }

    fn sqlite(path: &str) -> Self {
        Self { backend: Backend::Sqlite, target: path.to_owned() }
    }

    /// The engine this URL connects to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What the driver is given: a file path for SQLite, the URL for PostgreSQL.
    pub fn target(&self) -> &str {
        &self.target
    }
}

fn looks_like_scheme(raw: &str) -> bool {
    match raw.split_once(':') {
        Some((scheme, _)) => {
            scheme.len() > 1 && scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '+')
        }
        None => false,
    }
}

// Passwords in PostgreSQL URLs must never reach a log line.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.backend {
            Backend::Sqlite => write!(f, "sqlite://{}", self.target),
            // Only host, port and database: user, password and query parameters stay out of logs.
            Backend::Postgres => {
                let rest = self.target.split_once("://").map_or(self.target.as_str(), |(_, r)| r);
                let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
                write!(f, "postgres://{}", host.split('?').next().unwrap_or_default())
            }
        }
    }
}

/// Opens one connection and sets the per-connection pragmas SQLite needs.
pub fn connect(url: &DatabaseUrl) -> ConnectionResult<DbConn> {
    match url.backend {
        Backend::Postgres => PgConnection::establish(&url.target).map(DbConn::Postgres),
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(&url.target)?;
            // The busy timeout first: switching a new file to WAL needs a moment of exclusive
            // access, and the pool opens several connections at once. WAL lets readers run beside
            // the writer; FULL syncs the log at every commit, so nothing acknowledged is lost to
            // a power cut (group commit in `writer` keeps that affordable); foreign keys are off
            // by default in SQLite.
            conn.batch_execute(
                "PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConn::Sqlite(conn))
        }
    }
}

/// r2d2 manager that knows the backend up front instead of guessing from the string.
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = ConnectionError;

    fn connect(&self) -> Result<DbConn, ConnectionError> {
        connect(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectionError> {
        conn.batch_execute("SELECT 1").map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Builds the pool; connections are opened lazily so start-up errors come from `migrate` or `ping`.
pub fn pool(url: &DatabaseUrl, max_size: u32) -> Pool {
    pool_waiting(url, max_size, Duration::from_secs(10))
}

/// A pool whose checkout gives up after `wait`.
fn pool_waiting(url: &DatabaseUrl, max_size: u32, wait: Duration) -> Pool {
    r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(wait)
        // A SQLite file cannot drop a connection; testing each checkout would cost a query.
        .test_on_check_out(url.backend == Backend::Postgres)
        .build_unchecked(Manager { url: url.clone() })
}

/// The pool for a read replica: a replica that cannot be reached is given up on after two seconds,
/// and its reads go to the primary (`AppState::reader`).
pub fn read_pool(url: &DatabaseUrl, max_size: u32) -> Pool {
    pool_waiting(url, max_size, Duration::from_secs(2))
}

/// Applies every pending migration of the connection's backend; returns the versions applied.
pub fn migrate(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConn::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Reverts every applied migration (used by the migration round-trip test and by operators).
pub fn revert_all(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let reverted = match conn {
        DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS),
        DbConn::Postgres(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("revert failed: {e}"))?;
    Ok(reverted.iter().map(ToString::to_string).collect())
}

/// The migrations this build knows and those the database has applied, by version.
pub fn migration_versions(conn: &mut DbConn) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    use diesel::migration::MigrationSource;
    fn names<DB: diesel::backend::Backend>(source: &EmbeddedMigrations) -> anyhow::Result<Vec<String>>
    where
        EmbeddedMigrations: MigrationSource<DB>,
    {
        let all = MigrationSource::<DB>::migrations(source).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(all.iter().map(|m| m.name().version().to_string()).collect())
    }
    let (known, applied) = match conn {
        DbConn::Sqlite(c) => (names::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS)?, c.applied_migrations()),
        DbConn::Postgres(c) => (names::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS)?, c.applied_migrations()),
    };
    let applied = applied.map_err(|e| anyhow::anyhow!("could not read migration state: {e}"))?;
    Ok((known, applied.iter().map(ToString::to_string).collect()))
}

/// True when migrations exist that the database has not applied yet.
pub fn has_pending_migrations(conn: &mut DbConn) -> anyhow::Result<bool> {
    match conn {
        DbConn::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
        DbConn::Postgres(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("could not read migration state: {e}"))
}

/// Runs `f` in a read transaction: one snapshot of the whole database, even while a server
/// writes to it (SQLite in WAL mode keeps the snapshot of the first read; PostgreSQL's repeatable
/// read, that of the first statement). For reads of many statements that must agree with each
/// other: a copy of the trial, an export read page by page.
pub fn read_snapshot<T, E>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        if let DbConn::Postgres(_) = conn {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(conn)?;
        }
        f(conn)
    })
}

/// Runs `f` in a transaction that first takes the write lock (see `audit_head` in the migration):
/// on SQLite a deferred transaction that reads before it writes can fail with SQLITE_BUSY instead
/// of waiting, and on both backends the audit hash chain needs appends in one order.
///
/// On SQLite, writers in this process also queue on a mutex first. SQLite's own busy handler
/// sleeps in steps of up to 100 ms, leaving the lock idle while writers doze; the mutex hands it
/// straight to the next one. (Other processes, such as the CLI, still meet the busy timeout.)
///
/// Inside a transaction already (the writer's batch, see `writer`), `f` runs in a savepoint:
/// the batch holds the locks already, and a write that fails leaves nothing behind.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::TransactionManager;
    let depth = <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .flatten();
    if depth.is_some() {
        // A savepoint that rolls back takes its audit entries with it, and the head they moved.
        let head = chain_head::get();
        return savepoint(conn, f).inspect_err(|_| {
            chain_head::set(head);
            chain_head::forget_memos();
        });
    }
    let _queued = match conn {
        DbConn::Sqlite(_) => Some(sqlite_write_lock(conn)?),
        DbConn::Postgres(_) => None,
    };
    let done = conn.transaction(|conn| {
        let _head = lock_audit_head(conn, Commit::ReleaseBeforeDisk)?;
        f(conn)
    })?;
    // PostgreSQL committed without waiting for the disk, so the chain's lock went to the next
    // writer at once; the caller hears of the write only once it is on disk (decision record 0006).
    if let DbConn::Postgres(pg) = conn {
        await_durable(pg)?;
    }
    Ok(done)
}

/// Runs `f` in a savepoint of the transaction already open: rolled back to it if `f` fails.
/// On PostgreSQL every statement is a round trip that the writer's whole batch waits for, and
/// diesel's nested transaction sends two: `SAVEPOINT`, then `RELEASE SAVEPOINT`. A released
/// savepoint's changes stay part of the transaction until it commits either way, so here the commit
/// releases it: one round trip instead of two, and a batch's savepoints nest (a batch holds at most
/// 64 requests). Each has its own name, so a rollback never stops at one that `f` itself opened.
fn savepoint<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    if let DbConn::Sqlite(_) = conn {
        return conn.transaction(f);
    }
    let name = format!("write_{}", NEXT.fetch_add(1, Ordering::Relaxed));
    conn.batch_execute(&format!("SAVEPOINT {name}"))?;
    f(conn).or_else(|e| {
        conn.batch_execute(&format!("ROLLBACK TO SAVEPOINT {name}"))?;
        Err(e)
    })
}

/// Waits until everything this connection committed is on disk: a transaction of one statement
/// that writes a log record and commits synchronously, flushing the log up to and past every
/// earlier commit (PostgreSQL flushes its log in order). Concurrent callers share one flush.
/// PostgreSQL 17 offers this as `pg_logical_emit_message(…, flush => true)`; 15 needs the
/// transactional form, which gives the statement a transaction id so that its commit waits.
pub fn await_durable(conn: &mut PgConnection) -> QueryResult<()> {
    prepared::Prepared(diesel::sql_query("SELECT pg_logical_emit_message(true, 'trialdesk', 'durable')"))
        .execute(conn)?;
    Ok(())
}

/// The in-process queue for this SQLite database's write lock: one per database file, so two
/// servers in one process (the test suite starts dozens) never wait for each other. A poisoned
/// lock only means another writer panicked; the database rolled its transaction back.
fn sqlite_write_lock(conn: &mut DbConn) -> QueryResult<std::sync::MutexGuard<'static, ()>> {
    let queue = sqlite_queue(&sqlite_file(conn)?);
    Ok(queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
}

/// The queue of the database at `file`. One mutex per file the process has written to, kept for
/// the life of the process (a server has one; the test suite a few hundred, a few bytes each).
fn sqlite_queue(file: &str) -> &'static std::sync::Mutex<()> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock, PoisonError};
    static QUEUES: OnceLock<Mutex<HashMap<String, &'static Mutex<()>>>> = OnceLock::new();
    let mut queues = QUEUES.get_or_init(Default::default).lock().unwrap_or_else(PoisonError::into_inner);
    queues.entry(file.to_owned()).or_insert_with(|| Box::leak(Box::new(Mutex::new(()))))
}

/// The file of the connection's main database (empty for an in-memory one).
fn sqlite_file(conn: &mut DbConn) -> QueryResult<String> {
    #[derive(diesel::QueryableByName)]
    struct Attached {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        file: String,
    }
    let attached: Vec<Attached> = diesel::sql_query("PRAGMA database_list").load(conn)?;
    Ok(attached.into_iter().find(|a| a.name == "main").map(|a| a.file).unwrap_or_default())
}

/// How a PostgreSQL transaction that holds the chain's lock commits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Commit {
    /// Without waiting for the disk, so that the lock goes to the next writer at once; the caller
    /// then waits for the disk with `await_durable` (decision record 0006).
    ReleaseBeforeDisk,
    /// Waiting for the disk: the writer thread's batch, which has nobody to hand the lock to.
    Durable,
}

/// Takes the database's write lock at the start of a transaction. On PostgreSQL the lock is a row
/// lock that also reads the chain's head, which the transaction's audit entries then start from
/// without reading it again (one round trip fewer under the lock); the guard forgets it. The same
/// statement sets how the transaction commits (`Commit`).
fn lock_audit_head(conn: &mut DbConn, commit: Commit) -> QueryResult<chain_head::Forget> {
    use schema::audit_head::dsl::*;
    match conn {
        DbConn::Postgres(pg) => {
            let synchronous = if commit == Commit::Durable { "on" } else { "off" };
            let (seq, hash, keyed, _): (i64, String, Option<i64>, String) = audit_head
                .filter(id.eq(1))
                .select((
                    last_seq,
                    last_hash,
                    keyed_from_seq,
                    set_config("synchronous_commit", synchronous, true),
                ))
                .for_update()
                .first(pg)?;
            chain_head::set(Some(chain_head::Head { last_seq: seq, last_hash: hash, keyed_from: keyed }));
        }
        DbConn::Sqlite(_) => {
            diesel::update(audit_head.filter(id.eq(1))).set(last_seq.eq(last_seq)).execute(conn)?;
        }
    }
    Ok(chain_head::Forget)
}

diesel::define_sql_function! {
    /// PostgreSQL's `set_config(name, value, is_local)`: a `SET LOCAL` that can ride in a query.
    fn set_config(name: diesel::sql_types::Text, value: diesel::sql_types::Text, is_local: diesel::sql_types::Bool) -> diesel::sql_types::Text;
}

/// The current UTC time at the precision both backends store (microseconds), so a value read
/// back equals the value written, which the audit hash chain relies on. It is `clock::now()`:
/// the wall clock, unless the calling thread entered a clock of its own (`trialdesk demo`).
pub fn now() -> NaiveDateTime {
    clock::now()
}

#[cfg(test)]
mod tests {
    use chrono::SubsecRound;

    use super::*;

    #[test]
    fn a_clock_entered_on_one_thread_moves_only_that_threads_time_and_only_forward() {
        let past = clock::Clock::default();
        // Whole seconds: the clock reads microseconds, so a nanosecond target could read as behind.
        let year_ago = (chrono::Utc::now().naive_utc() - chrono::Duration::days(365)).trunc_subsecs(0);
        past.start_simulation_at(year_ago);
        {
            let _entered = past.enter();
            assert!(now() < year_ago + chrono::Duration::days(1), "this thread reads the simulated clock");
            let elsewhere = std::thread::spawn(now).join().expect("thread");
            assert!(
                elsewhere > year_ago + chrono::Duration::days(300),
                "another thread reads the wall clock"
            );
            assert!(past.travel_to(year_ago - chrono::Duration::days(1)).is_err(), "never backwards");
            assert!(past.travel_to(year_ago + chrono::Duration::days(30)).is_ok());
            assert!(now() >= year_ago + chrono::Duration::days(30));
        }
        assert!(now() > year_ago + chrono::Duration::days(300), "leaving restores the wall clock");
    }

    #[test]
    fn sqlite_urls_and_plain_paths_choose_sqlite() {
        for raw in ["sqlite://data/trial.db", "trialdesk.db", "/var/lib/trialdesk/t.db"] {
            assert_eq!(DatabaseUrl::parse(raw).map(|u| u.backend()).ok(), Some(Backend::Sqlite));
        }
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/trial.db").map(|u| u.target().to_owned()).ok(),
            Some("data/trial.db".to_owned())
        );
    }

    #[test]
    fn postgres_urls_choose_postgres_under_both_spellings() {
        for raw in ["postgres://u@localhost/db", "postgresql://u:p@h:5432/db"] {
            assert_eq!(DatabaseUrl::parse(raw).map(|u| u.backend()).ok(), Some(Backend::Postgres));
        }
    }

    #[test]
    fn unknown_schemes_are_refused_with_the_schemes_that_work() {
        for raw in ["mysql://root@localhost/db", "redis:localhost", ""] {
            let err = DatabaseUrl::parse(raw).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("sqlite://") && err.contains("postgres://"), "{raw}: {err}");
        }
    }

    #[test]
    fn displaying_a_postgres_url_hides_the_credentials() {
        for raw in [
            "postgres://admin:hunter2@db.example:5432/trial",
            "postgres:///trial?user=admin&password=hunter2",
        ] {
            let shown = DatabaseUrl::parse(raw).map(|u| u.to_string()).unwrap_or_default();
            assert!(!shown.contains("hunter2") && !shown.contains("admin"), "{shown}");
            assert!(shown.contains("trial"), "{shown}");
        }
    }
}
