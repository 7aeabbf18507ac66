//! The writer thread's batches (`db::writer`) on the backend under test: a write that fails leaves
//! nothing behind, and what a caller is told committed is what the database holds.

use std::sync::mpsc::{self, channel};

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use diesel::result::Error;
use trialdesk::db::writer::{Completion, Job, Writer};
use trialdesk::db::{self, DatabaseUrl, DbConn};

use crate::helpers::{Backend, TestDb, backend};

/// What a job reports: its number, whether its own work succeeded, whether its batch committed.
type Outcome = (i32, bool, bool);
/// A request's work: true when it succeeded.
type Work = Box<dyn FnOnce(&mut DbConn) -> bool + Send>;

fn insert(conn: &mut DbConn, n: i32) -> Result<(), Error> {
    diesel::sql_query(format!("INSERT INTO probe (n) VALUES ({n})")).execute(conn).map(drop)
}

/// Runs each piece of work as a job of one batch (a first job holds the writer until all are
/// queued) and returns what each job was told, in job order, and the rows left in `probe`.
fn one_batch(work: Vec<Work>) -> (Vec<Outcome>, Vec<i32>) {
    let db = TestDb::migrated();
    db.conn().batch_execute("CREATE TABLE probe (n INTEGER PRIMARY KEY)").expect("probe table");
    let writer = Writer::start(&DatabaseUrl::parse(&db.url).expect("url")).expect("writer");
    let (go, wait) = channel::<()>();
    assert!(writer.send(Box::new(move |_: &mut DbConn| {
        wait.recv().expect("go");
        (Box::new(|_| {}) as Completion, true)
    })));
    let (out, told) = channel::<Outcome>();
    let jobs = work.len();
    for (n, work) in (1..).zip(work) {
        let out: mpsc::Sender<Outcome> = out.clone();
        let job: Job = Box::new(move |conn: &mut DbConn| {
            let ok = work(conn);
            let completion: Completion = Box::new(move |committed: Result<(), String>| {
                let _ = out.send((n, ok, committed.is_ok()));
            });
            (completion, ok)
        });
        assert!(writer.send(job));
    }
    go.send(()).expect("go");
    let mut outcomes: Vec<Outcome> = (0..jobs).map(|_| told.recv().expect("told")).collect();
    outcomes.sort_unstable();
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        n: i32,
    }
    let rows: Vec<Row> =
        diesel::sql_query("SELECT n FROM probe ORDER BY n").load(&mut db.conn()).expect("rows");
    (outcomes, rows.into_iter().map(|r| r.n).collect())
}

#[test]
fn writes_that_fail_in_a_batch_roll_back_alone_and_the_others_commit_with_them() {
    let (told, rows) = one_batch(vec![
        Box::new(|c| db::write_tx(c, |c| insert(c, 1)).is_ok()),
        // Fails after writing: its row goes with it.
        Box::new(|c| db::write_tx(c, |c| insert(c, 2).and(Err::<(), _>(Error::RollbackTransaction))).is_ok()),
        // A statement the database refuses (a duplicate key): PostgreSQL's transaction must be
        // usable again after the rollback, or every later job would fail.
        Box::new(|c| db::write_tx(c, |c| insert(c, 1)).is_ok()),
        // A write inside a write that fails, inside one that goes on: only the inner row goes.
        Box::new(|c| {
            db::write_tx(c, |c| {
                insert(c, 4)?;
                let inner = db::write_tx(c, |c| insert(c, 5).and(Err::<(), _>(Error::RollbackTransaction)));
                assert!(inner.is_err());
                insert(c, 6)
            })
            .is_ok()
        }),
        Box::new(|c| db::write_tx(c, |c| insert(c, 7)).is_ok()),
    ]);
    assert_eq!(told, [(1, true, true), (2, false, true), (3, false, true), (4, true, true), (5, true, true)]);
    assert_eq!(rows, [1, 4, 6, 7]);
}

#[test]
fn a_statement_that_fails_outside_any_savepoint_is_never_reported_committed_when_it_was_not() {
    let (told, rows) = one_batch(vec![
        Box::new(|c| db::write_tx(c, |c| insert(c, 1)).is_ok()),
        // A request that ignores a failed statement made outside `write_tx`.
        Box::new(|c| {
            let _ = insert(c, 1);
            true
        }),
        Box::new(|c| db::write_tx(c, |c| insert(c, 3)).is_ok()),
    ]);
    match backend() {
        // SQLite undoes only the failed statement: the batch commits.
        Backend::Sqlite => {
            assert_eq!(told, [(1, true, true), (2, true, true), (3, true, true)]);
            assert_eq!(rows, [1, 3]);
        }
        // PostgreSQL aborts the whole transaction, whose COMMIT would roll back without an
        // error: every caller hears that the batch was lost, and nothing is kept.
        Backend::Postgres => {
            assert!(told.iter().all(|&(_, _, committed)| !committed), "{told:?}");
            assert_eq!(rows, Vec::<i32>::new());
        }
    }
}
