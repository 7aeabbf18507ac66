//! Writes that PostgreSQL parses and plans once per connection, not once per call.
//!
//! diesel keeps a prepared statement per connection only for a statement whose SQL it knows to be
//! the same on every call. It cannot know that of an `UPDATE`, a multi-row `INSERT`, an `INSERT`
//! with an optional value (`DEFAULT` or a parameter) or raw SQL, so it prepares those afresh on
//! every call; on PostgreSQL that is parsing and planning while the audit chain's lock is held
//! (docs/benchmarks.md). `Prepared` tells diesel that a statement has few variants: it is cached
//! under its SQL text, so each variant (a schedule of so many rows, a `DEFAULT` here or a value
//! there) gets a prepared statement of its own. Use it only where the protocol bounds the number
//! of variants, never for SQL built from a list of any length (an `IN` over user input, say).
//!
//! diesel decides whether to cache by walking the statement once in a pass of its own, in which
//! the inner statement would mark itself unsafe; the connection walks the statement through a
//! reference, so overriding `is_safe_to_cache_prepared` is not enough. `Prepared` therefore walks
//! the inner statement only in the passes that collect its parameters, and otherwise writes the
//! inner statement's SQL as text: the same passes diesel's own `MultiConnection` makes, with the
//! same (unstable, `diesel::internal`) helper. Cargo.lock pins diesel; the test
//! `on_postgres_a_randomisation_prepares_its_writes_once_per_connection_and_reuses_them` fails if
//! an upgrade breaks this.

use diesel::RunQueryDsl;
use diesel::internal::derives::multiconnection::AstPassHelper;
use diesel::pg::{Pg, PgQueryBuilder};
use diesel::query_builder::{AstPass, QueryBuilder, QueryFragment, QueryId};
use diesel::result::QueryResult;

/// A PostgreSQL statement diesel caches under its SQL text (see the module's documentation).
#[derive(Debug, Clone, Copy)]
pub struct Prepared<Q>(pub Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        if let Some((collector, lookup)) = pass.bind_collector() {
            return self.0.collect_binds(collector, lookup, &Pg);
        }
        if let Some((formatter, backend)) = pass.debug_binds() {
            return self.0.walk_ast(AstPass::collect_debug_binds_pass(formatter, backend));
        }
        // The text, kept by the pass that builds the SQL; the pass that asks whether the statement
        // may be cached sees no mark against it.
        let mut sql = PgQueryBuilder::default();
        self.0.to_sql(&mut sql, &Pg)?;
        pass.push_sql(&sql.finish());
        Ok(())
    }
}

// No static id: a static id would be the cache key, and one Rust type can stand for several SQL
// texts here. Without it diesel keys the cache by the SQL text and its parameters' types.
impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, Conn> RunQueryDsl<Conn> for Prepared<Q> {}
