//! The single writer, with group commit: every write a request makes goes through it, on SQLite
//! and on PostgreSQL.
//!
//! Every commit waits for the disk (SQLite's `synchronous = FULL`, PostgreSQL's synchronous
//! commit): an answer a participant was told is sent, or an allocation a coordinator was shown,
//! must survive a power cut. Writes are one at a time anyway (each takes the audit chain's head
//! first). One writer thread owns a write connection; the requests queued while it commits are
//! run next, one after another inside one transaction that holds the chain's lock, and then
//! committed together: one wait for the disk for the whole batch. Each caller hears its result
//! only after that commit.
//!
//! Each `db::write_tx` inside a request runs in a savepoint, so a write that fails leaves nothing
//! behind and the others commit. On SQLite the whole request also runs in a savepoint of its own
//! (free there: no round trip). On PostgreSQL every statement is a round trip that the whole batch
//! waits for, so a request gets no savepoint beyond its `write_tx`s: the same outcome as on a pooled
//! connection, where each `write_tx` commits on its own (decision record 0008).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use diesel::Connection;
use diesel::connection::SimpleConnection;

use super::{DatabaseUrl, DbConn};

/// Told whether the batch committed (`Err` carries why not).
pub type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
/// Work for the writer: runs on the write connection and returns what to do after the commit,
/// and whether it succeeded (a failed job's writes are rolled back to its savepoint).
pub type Job = Box<dyn FnOnce(&mut DbConn) -> (Completion, bool) + Send>;

/// A batch never holds more requests than this, so one batch's latency stays bounded.
const MAX_BATCH: usize = 64;

/// The handle request handlers send work to.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Opens the write connection and starts the writer thread.
    pub fn start(url: &DatabaseUrl) -> anyhow::Result<Self> {
        let mut conn = super::connect(url)?;
        // SQLite: the in-process queue of this database file, looked up once, not once per batch.
        // PostgreSQL's other writers wait for the chain's row lock instead.
        let queue_of_file = match conn {
            DbConn::Sqlite(_) => Some(super::sqlite_queue(&super::sqlite_file(&mut conn)?)),
            DbConn::Postgres(_) => None,
        };
        let url = url.clone();
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new().name("db-writer".into()).spawn(move || {
            while let Ok(first) = queue.recv() {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH
                    && let Ok(next) = queue.try_recv()
                {
                    batch.push(next);
                }
                if !run_batch(&mut conn, queue_of_file, batch) {
                    // A request panicked, or the commit failed: start again on a fresh connection.
                    match super::connect(&url) {
                        Ok(fresh) => conn = fresh,
                        Err(e) => {
                            tracing::error!(error.detail = %e, "the writer could not reconnect")
                        }
                    }
                }
            }
        })?;
        Ok(Self { jobs })
    }

    /// Queues a job; `false` if the writer has stopped.
    pub fn send(&self, job: Job) -> bool {
        self.jobs.send(job).is_ok()
    }
}

/// Runs one batch in one transaction and tells each job the outcome. Returns `false` if the
/// connection should be replaced: a job panicked, or the commit failed (every job is told).
fn run_batch(conn: &mut DbConn, queue: Option<&std::sync::Mutex<()>>, batch: Vec<Job>) -> bool {
    let mut completions = Vec::with_capacity(batch.len());
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // In-process SQLite writers outside this thread (the scheduler, the outbox worker) queue here.
        let _lock = queue.map(|q| q.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            let _head = super::lock_audit_head(c, super::Commit::Durable)?;
            super::chain_head::begin_batch();
            for job in batch {
                if let DbConn::Postgres(_) = c {
                    completions.push(job(c).0);
                    continue;
                }
                // Each job in a savepoint of its own: one that fails leaves nothing behind.
                let mut done = None;
                let _ = c.transaction::<_, diesel::result::Error, _>(|c| {
                    let (completion, ok) = job(c);
                    done = Some(completion);
                    if ok { Ok(()) } else { Err(diesel::result::Error::RollbackTransaction) }
                });
                completions.extend(done);
            }
            if let DbConn::Postgres(_) = c {
                // A statement that failed outside any savepoint (a job may have ignored its error)
                // leaves PostgreSQL's transaction aborted, and COMMIT would then roll it back
                // without an error: this fails instead, and every job hears the batch is lost.
                c.batch_execute("SELECT 1")?;
            }
            super::chain_head::end_batch();
            Ok(())
        })
    }));
    // After a failed commit the connection may be unusable: start afresh.
    if !matches!(outcome, Ok(Ok(()))) {
        super::chain_head::batch_lost();
    }
    let (result, healthy) = match outcome {
        Ok(Ok(())) => (Ok(()), true),
        Ok(Err(e)) => (Err(format!("the batch did not commit: {e}")), false),
        Err(_) => (Err("a write panicked; its batch was rolled back".to_owned()), false),
    };
    for done in completions {
        done(result.clone());
    }
    healthy
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::channel;

    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;

    use super::*;

    /// A job that inserts `n` in a savepoint and fails when `fail`, reporting (n, its result,
    /// the batch's commit outcome) on `out`.
    fn insert(n: i32, fail: bool, out: mpsc::Sender<(i32, bool, bool)>) -> Job {
        Box::new(move |conn: &mut DbConn| {
            let result = crate::db::write_tx(conn, |c| {
                diesel::sql_query(format!("INSERT INTO probe (n) VALUES ({n})")).execute(c)?;
                if fail { Err(diesel::result::Error::RollbackTransaction) } else { Ok(()) }
            });
            let ok = result.is_ok();
            let completion: Completion = Box::new(move |committed: Result<(), String>| {
                let _ = out.send((n, ok, committed.is_ok()));
            });
            (completion, ok)
        })
    }

    #[test]
    fn a_failed_request_in_a_batch_rolls_back_alone_and_the_rest_commit_together() {
        let dir = tempfile::tempdir().expect("dir");
        let url = DatabaseUrl::parse(&dir.path().join("w.db").display().to_string()).expect("url");
        let mut setup = crate::db::connect(&url).expect("connect");
        crate::db::migrate(&mut setup).expect("migrate");
        setup.batch_execute("CREATE TABLE probe (n INTEGER NOT NULL)").expect("table");
        let writer = Writer::start(&url).expect("writer");
        // The first job holds the writer until three more are queued: those then run as one batch.
        let (go, wait) = channel::<()>();
        let (out, results) = channel();
        let first_out = out.clone();
        assert!(writer.send(Box::new(move |conn: &mut DbConn| {
            wait.recv().expect("go");
            insert(0, false, first_out)(conn)
        })));
        for (n, fail) in [(1, false), (2, true), (3, false)] {
            assert!(writer.send(insert(n, fail, out.clone())));
        }
        go.send(()).expect("go");
        let mut got: Vec<(i32, bool, bool)> = (0..4).map(|_| results.recv().expect("result")).collect();
        got.sort();
        assert_eq!(got, [(0, true, true), (1, true, true), (2, false, true), (3, true, true)]);
        let mut check = crate::db::connect(&url).expect("connect");
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            n: i32,
        }
        let rows: Vec<Row> =
            diesel::sql_query("SELECT n FROM probe ORDER BY n").load(&mut check).expect("rows");
        assert_eq!(
            rows.iter().map(|r| r.n).collect::<Vec<_>>(),
            [0, 1, 3],
            "the failed request's row is gone"
        );
    }
}
