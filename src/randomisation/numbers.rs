//! The next allocation numbers: the next number overall and the next place in a stratum.
//!
//! Read off the end of their indexes (a stratum's places run 0, 1, 2, … and are never removed),
//! or, in the writer's batch on PostgreSQL, remembered from the allocation before: there every
//! query is a round trip that the whole batch waits for, and allocations are made only here, so
//! the numbers stay known for as long as the batch vouches for its memos (`db::chain_head`). A
//! number remembered wrongly could not slip through: both are unique in the database.

use std::cell::RefCell;
use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::allocations;
use crate::db::{DbConn, chain_head};

/// The last allocation's number and each stratum's last place, in one memo generation.
#[derive(Default)]
struct Known {
    generation: u64,
    last_seq: i64,
    last_place: HashMap<String, i32>,
}

thread_local! {
    static KNOWN: RefCell<Known> = RefCell::default();
}

/// The next allocation's number and its place in `stratum`.
pub(super) fn next(conn: &mut DbConn, stratum: &str) -> QueryResult<(i64, i32)> {
    let remembered = chain_head::memo_generation().and_then(|generation| {
        KNOWN.with_borrow(|k| {
            let place = k.last_place.get(stratum).filter(|_| k.generation == generation)?;
            Some((k.last_seq, Some(*place)))
        })
    });
    let (last_seq, last_place) = match remembered {
        Some(known) => known,
        None => {
            let (seq, place): (Option<i64>, Option<i32>) = diesel::select((
                allocations::table.select(diesel::dsl::max(allocations::seq)).single_value(),
                allocations::table
                    .filter(allocations::stratum.eq(stratum))
                    .select(diesel::dsl::max(allocations::stratum_index))
                    .single_value(),
            ))
            .get_result(conn)?;
            (seq.unwrap_or(0), place)
        }
    };
    Ok((last_seq + 1, last_place.map_or(0, |p| p + 1)))
}

/// Remembers an allocation just written, for the next one in the same memo generation.
pub(super) fn taken(stratum: &str, seq: i64, place: i32) {
    let Some(generation) = chain_head::memo_generation() else { return };
    KNOWN.with_borrow_mut(|k| {
        if k.generation != generation {
            *k = Known { generation, ..Known::default() };
        }
        k.last_seq = seq;
        k.last_place.insert(stratum.to_owned(), place);
    });
}
