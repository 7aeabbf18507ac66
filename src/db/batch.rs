//! A request's writes sent to PostgreSQL as one statement.
//!
//! Every statement under the audit chain's lock is a round trip that every other writer waits
//! for. Writes of one request that need not see each other's rows go to PostgreSQL as one
//! statement of data-modifying `WITH` clauses, prepared once per connection and form
//! (`db::prepared`); on SQLite, which parses in-process without a round trip, each runs as it is
//! added (decision record 0007).

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::query_dsl::methods::ExecuteDsl;
use diesel::result::QueryResult;

use super::DbConn;
use super::prepared::Prepared;

/// The backend type queries through a `DbConn` are written for.
type Multi = <DbConn as diesel::Connection>::Backend;

/// Writes that go to PostgreSQL as one statement, prepared once per form; on SQLite each runs as it
/// is added. For the writes of one request made under the chain's lock, none of which needs to see
/// another's rows: each statement under the lock is a round trip every other writer waits for.
/// Made only by `together`, which runs what was kept, so no write can be left behind.
///
/// Parts are diesel statements, never `sql_query` text with placeholders of its own (`$1`): the
/// parts' parameters are numbered together, so such a part would read another part's values. No
/// two parts may change the same row: PostgreSQL leaves the outcome of that undefined.
pub struct Batch<'a> {
    kept: Vec<Box<dyn QueryFragment<Pg> + 'a>>,
}

impl<'a> Batch<'a> {
    /// Adds a write: kept for PostgreSQL, run now on SQLite.
    pub fn add<Q>(&mut self, conn: &mut DbConn, write: Q) -> QueryResult<()>
    where
        Q: QueryFragment<Pg> + QueryFragment<Multi> + QueryId + 'a,
    {
        match conn {
            DbConn::Postgres(_) => {
                self.kept.push(Box::new(write));
                Ok(())
            }
            other @ DbConn::Sqlite(_) => ExecuteDsl::execute(write, other).map(drop),
        }
    }

    /// Keeps a write that only PostgreSQL's connection can run: for `insert_many_in!`, which calls
    /// it only on PostgreSQL (on SQLite, nothing would run what is kept).
    pub fn keep_for_postgres(&mut self, write: impl QueryFragment<Pg> + 'a) {
        self.kept.push(Box::new(write));
    }
}

/// Runs `f` with a `Batch`, then sends what it kept as one statement. Whatever `f` adds may
/// borrow only what outlives the call; build rows first, then add them.
pub fn together<'a, T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn, &mut Batch<'a>) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let mut batch = Batch { kept: Vec::new() };
    let done = f(conn, &mut batch)?;
    if let DbConn::Postgres(pg) = conn
        && !batch.kept.is_empty()
    {
        ExecuteDsl::execute(Prepared(Together(batch.kept)), pg)?;
    }
    Ok(done)
}

/// `WITH w0 AS (first), w1 AS (second), … last`: PostgreSQL runs data-modifying `WITH` clauses
/// as parts of one statement, on one snapshot. Parameters are numbered across the parts, since
/// they are written through one query builder.
struct Together<'a>(Vec<Box<dyn QueryFragment<Pg> + 'a>>);

impl QueryFragment<Pg> for Together<'_> {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let Some((last, before)) = self.0.split_last() else { return Ok(()) };
        for (i, write) in before.iter().enumerate() {
            pass.push_sql(if i == 0 { "WITH " } else { ", " });
            pass.push_sql(&format!("w{i} AS ("));
            write.walk_ast(pass.reborrow())?;
            pass.push_sql(")");
        }
        if !before.is_empty() {
            pass.push_sql(" ");
        }
        last.walk_ast(pass.reborrow())
    }
}

/// Inserts `rows` (a slice of `Insertable` structs) into `table` as part of a `Batch`, with
/// diesel's multi-row INSERT: kept for PostgreSQL's one statement, or run now on SQLite's
/// connection (where, with `Option` fields, diesel writes one row at a time). diesel 2.3 does not
/// offer multi-row INSERTs through a `MultiConnection` (its backend's default-keyword dialect is
/// not the one batch inserts need), so each backend's own connection is used. Callers insert as
/// many rows as the protocol plans, never an unbounded number: each count is a form to prepare.
macro_rules! insert_many_in {
    ($batch:expr, $conn:expr, $table:expr, $rows:expr) => {{
        use diesel::RunQueryDsl as _;
        match $conn {
            $crate::db::DbConn::Postgres(_) => {
                $batch.keep_for_postgres(diesel::insert_into($table).values($rows));
                Ok(())
            }
            $crate::db::DbConn::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c).map(drop),
        }
    }};
}
pub(crate) use insert_many_in;

/// `insert_many_in!` on its own: one multi-row INSERT, prepared on PostgreSQL.
macro_rules! insert_many {
    ($conn:expr, $table:expr, $rows:expr) => {
        $crate::db::batch::together($conn, |c, batch| {
            $crate::db::batch::insert_many_in!(batch, c, $table, $rows)
        })
    };
}
pub(crate) use insert_many;
