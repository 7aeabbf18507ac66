//! The audit chain's head as this thread's PostgreSQL write transaction holds it locked, kept
//! while the transaction runs so that each audit entry need not read it first. Only taking the
//! lock sets it (`write_tx`, or the writer's batch); on SQLite nothing does, since SQLite's lock
//! reads no head. Also what the writer may remember between requests while it holds the lock.

use std::cell::{Cell, RefCell};

/// The last entry's number and hash, and where keying began.
#[derive(Debug, Clone)]
pub struct Head {
    pub last_seq: i64,
    pub last_hash: String,
    pub keyed_from: Option<i64>,
}

thread_local! {
    static HEAD: RefCell<Option<Head>> = const { RefCell::new(None) };
}

/// The head, when this thread's write transaction holds it.
pub fn get() -> Option<Head> {
    HEAD.with(|h| h.borrow().clone())
}

/// Records the head (after the lock, or after an entry was appended).
pub fn set(head: Option<Head>) {
    HEAD.with(|h| *h.borrow_mut() = head);
}

/// Forgets the head when the transaction ends, however it ends.
pub struct Forget;

impl Drop for Forget {
    fn drop(&mut self) {
        set(None);
    }
}

// What a writer thread read under the chain's lock and keeps for its next requests (a memo, such
// as the next allocation numbers) is valid while the memos' generation is the current one. Only the
// writer's batch vouches for memos: it holds the lock from its first request to its commit, and
// between its batches it can tell whether anyone else wrote, since every change to trial data
// appends to the chain and so moves its head.
thread_local! {
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    static VOUCHING: Cell<bool> = const { Cell::new(false) };
    /// Where this thread's last committed batch left the head.
    static LEFT_AT: Cell<Option<i64>> = const { Cell::new(None) };
}

/// The generation memos are valid in, while the writer's batch vouches for them.
pub fn memo_generation() -> Option<u64> {
    VOUCHING.get().then(|| GENERATION.get())
}

/// Makes every memo stale: a write that memos may have counted was rolled back.
pub fn forget_memos() {
    GENERATION.set(GENERATION.get().wrapping_add(1));
}

/// Vouches for memos during the writer's batch, which holds the head (locked and read): those of
/// earlier batches stay valid only if the head is where the last committed batch left it.
pub fn begin_batch() {
    let at = get().map(|h| h.last_seq);
    if at.is_none() || at != LEFT_AT.get() {
        forget_memos();
    }
    VOUCHING.set(at.is_some());
}

/// Ends the batch's vouching, just before its commit: where it leaves the head.
pub fn end_batch() {
    LEFT_AT.set(get().map(|h| h.last_seq));
    VOUCHING.set(false);
}

/// The batch did not commit: nothing it memoised holds.
pub fn batch_lost() {
    LEFT_AT.set(None);
    VOUCHING.set(false);
    forget_memos();
}
