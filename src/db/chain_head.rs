//! The audit chain's head as this thread's PostgreSQL write transaction holds it locked, kept
//! while the transaction runs so that each audit entry need not read it first. Only `write_tx`
//! sets it (SQLite's writer thread never does: another process may write between its batches).

use std::cell::RefCell;

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
