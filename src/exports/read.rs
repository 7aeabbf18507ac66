//! Reading an export's records page by page, in one snapshot of the trial, on one connection or
//! (on PostgreSQL) two side by side.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use diesel::prelude::*;

use super::records::{self, Record};
#[cfg(test)]
use super::spec::PAGE;
use super::spec::Spec;
use crate::db::DbConn;
use crate::service_error::ServiceError;

/// The connections an export reads from. A second connection helps on PostgreSQL only: there the
/// reading is the database server's work (a B-tree descent per visit for its answers, about as
/// long as everything the export does itself), and a second server process puts the second core
/// to it. On SQLite the reading runs in this process and already shares the cores with the
/// writing, so a second connection is not used.
pub struct Source<'a> {
    first: &'a mut DbConn,
    second: Option<&'a mut DbConn>,
}

impl<'a> From<&'a mut DbConn> for Source<'a> {
    fn from(first: &'a mut DbConn) -> Self {
        Source { first, second: None }
    }
}

impl<'a> Source<'a> {
    /// Two connections to the same database server (never a primary and its replica: the second
    /// joins the first's snapshot). The second is dropped where it does not help.
    pub fn pair(first: &'a mut DbConn, second: Option<&'a mut DbConn>) -> Self {
        let second = second.filter(|_| reads_beside(first));
        Source { first, second }
    }
}

/// Whether an export on `conn`'s database reads on a second connection beside it: the one rule
/// that `Source::pair`, the HTTP readers and `trialdesk export` follow.
pub fn reads_beside(conn: &DbConn) -> bool {
    matches!(conn, DbConn::Postgres(_))
}

type Page = Result<Vec<Record>, ServiceError>;

/// Calls `f` with each page of records, in study-number order.
///
/// The pages are read in one snapshot of the trial, so together they are one state of it even
/// while people answer questionnaires during the export. Pages are read on threads of their own
/// while `f` handles the one before: reading is the database's work (on PostgreSQL, the
/// server's), handling it is formatting and compressing, so the two overlap instead of taking
/// turns. Each reader keeps at most one page waiting.
pub fn for_each_page(
    source: Source<'_>,
    spec: &Spec,
    mut f: impl FnMut(&[Record]) -> Result<(), ServiceError>,
) -> Result<(), ServiceError> {
    let Source { first, second } = source;
    let readers = 1 + usize::from(second.is_some());
    let (senders, receivers): (Vec<SyncSender<Page>>, Vec<Receiver<Page>>) =
        (0..readers).map(|_| sync_channel(1)).unzip();
    let mut senders = senders.into_iter();
    std::thread::scope(|threads| {
        let first_pages = senders.next().unwrap_or_else(|| unreachable!("one reader at least"));
        let (joined, join) = sync_channel::<(String, Vec<(i32, i32)>)>(1);
        let (ready, wait_ready) = sync_channel::<()>(1);
        if let (Some(conn), Some(pages)) = (second, senders.next()) {
            threads.spawn(move || {
                let read = conn.transaction(|c| {
                    // The pages and the snapshot come from the first reader, which waits until this
                    // one has joined it (a snapshot can only be joined while its exporter is open).
                    let Ok((snapshot, ranges)) = join.recv() else { return Ok(()) };
                    join_snapshot(c, &snapshot)?;
                    drop(ready);
                    read_pages(c, spec, ranges.iter().skip(1).step_by(2), &pages)
                });
                if let Err(e) = read {
                    let _ = pages.send(Err(e));
                }
            });
        } else {
            drop((join, ready));
        }
        threads.spawn(move || {
            let read = crate::db::read_snapshot(first, |c| {
                let ranges = page_ranges(&records::numbers(c, &spec.scope)?, spec.page_size);
                if readers > 1 {
                    let snapshot = export_snapshot(c)?;
                    if joined.send((snapshot, ranges.clone())).is_ok() {
                        // An error there reaches the handler through the second reader's pages.
                        let _ = wait_ready.recv();
                    }
                }
                read_pages(c, spec, ranges.iter().step_by(readers), &first_pages)
            });
            if let Err(e) = read {
                let _ = first_pages.send(Err(e));
            }
        });
        // Owned here, so that returning early (a handler's error) hangs up on readers waiting to
        // hand over a page: the scope waits for them before it returns.
        let receivers = receivers;
        // Page k comes from reader k mod readers; a reader that has no more pages hangs up.
        for k in 0.. {
            let Ok(page) = receivers[k % readers].recv() else { break };
            let page = page?;
            if !page.is_empty() {
                f(&page)?;
            }
        }
        Ok(())
    })
}

/// Study-number ranges of at most `size` randomised participants each.
fn page_ranges(numbers: &[i32], size: usize) -> Vec<(i32, i32)> {
    numbers.chunks(size.max(1)).map(|c| (c[0], c[c.len() - 1])).collect()
}

fn read_pages<'r>(
    conn: &mut DbConn,
    spec: &Spec,
    ranges: impl Iterator<Item = &'r (i32, i32)>,
    pages: &SyncSender<Page>,
) -> Result<(), ServiceError> {
    for &range in ranges {
        let page = records::page(conn, &spec.scope, spec.zone, spec.answers, range)?;
        // The handler stopped listening (an error of its own): stop reading too.
        if pages.send(Ok(page)).is_err() {
            break;
        }
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Snapshot {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

/// Exports the snapshot of this (PostgreSQL, repeatable read) transaction for a second one to join.
fn export_snapshot(conn: &mut DbConn) -> QueryResult<String> {
    let s: Snapshot = diesel::sql_query("SELECT pg_export_snapshot() AS id").get_result(conn)?;
    Ok(s.id)
}

/// Makes this transaction see exactly what the exporting one sees.
fn join_snapshot(conn: &mut DbConn, snapshot: &str) -> QueryResult<()> {
    // The identifier comes from the server (hex digits and dashes), never from a user; checked
    // anyway, since SET TRANSACTION SNAPSHOT takes no bind parameter.
    if !snapshot.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(diesel::result::Error::QueryBuilderError(
            format!("unexpected snapshot identifier {snapshot:?}").into(),
        ));
    }
    diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(conn)?;
    diesel::sql_query(format!("SET TRANSACTION SNAPSHOT '{snapshot}'")).execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_split_the_numbers_into_ranges_of_at_most_a_page() {
        let numbers: Vec<i32> = (1..=1000).filter(|n| n % 7 != 0).collect();
        let ranges = page_ranges(&numbers, PAGE);
        assert_eq!(ranges.len(), numbers.len().div_ceil(PAGE));
        assert_eq!(ranges[0].0, 1);
        assert_eq!(ranges.last().map(|r| r.1), Some(1000));
        assert!(ranges.windows(2).all(|w| w[0].1 < w[1].0), "{ranges:?}");
        assert!(page_ranges(&[], PAGE).is_empty());
        assert_eq!(page_ranges(&[4, 9], 0), [(4, 4), (9, 9)], "a page holds one participant at least");
    }
}
