//! The chain's key. A plain hash chain shows changes made behind trialdesk's back only to someone
//! who cannot recompute it: anyone who can write to the database could change an entry, recompute
//! every later hash and the head, and `verify` would call the trail intact. So each hash is an
//! HMAC-SHA256 with a key derived from the server's secret, which lives outside the database
//! (ASVS V7.3.3). Entries written before a database was first served with a key keep their plain
//! hashes; `audit_head.keyed_from_seq` says where keying began, and `verify` reports it.
//!
//! What the key cannot stop, anchoring does: `trialdesk audit head` prints the head to record
//! elsewhere (a ticket, a signed e-mail), and `audit verify --expect-head SEQ:HASH` proves the
//! trail up to that entry is the one recorded.

use std::sync::OnceLock;

use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::db::schema::audit_head;
use crate::db::{self, DbConn};

/// The chain key of this process: derived once from the server's secret. A process serves one
/// trial, with one secret.
static KEY: OnceLock<[u8; 32]> = OnceLock::new();

/// Derives and keeps the chain key from the server's secret (the first secret a process loads).
pub fn load_key(secret: &str) {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return };
    mac.update(b"trialdesk audit chain v1");
    let _ = KEY.set(mac.finalize().into_bytes().into());
}

/// The hash of an entry's canonical text: keyed from `keyed_from_seq` on, plain before.
pub(super) fn digest(canonical: &str, keyed: bool) -> QueryResult<String> {
    if !keyed {
        return Ok(hex::encode(Sha256::digest(canonical.as_bytes())));
    }
    let key = KEY.get().ok_or_else(|| {
        diesel::result::Error::QueryBuilderError(
            "the audit chain key is not loaded: the server's secret key is needed to write or check the trail".into(),
        )
    })?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
    mac.update(canonical.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// Whether entry `seq` carries a keyed hash.
pub(super) fn is_keyed(seq: i64, keyed_from: Option<i64>) -> bool {
    keyed_from.is_some_and(|from| seq >= from)
}

/// Keys the chain from the next entry on, once, when the key is loaded and keying has not begun.
pub fn start_keying(conn: &mut DbConn) -> QueryResult<()> {
    if KEY.get().is_none() {
        return Ok(());
    }
    db::write_tx(conn, |c| {
        let (last_seq, keyed_from): (i64, Option<i64>) =
            audit_head::table.find(1).select((audit_head::last_seq, audit_head::keyed_from_seq)).first(c)?;
        if keyed_from.is_none() {
            diesel::update(audit_head::table.find(1))
                .set(audit_head::keyed_from_seq.eq(last_seq + 1))
                .execute(c)?;
            // The head the lock read no longer says where keying began: read it again if needed.
            db::chain_head::set(None);
            if last_seq > 0 {
                tracing::info!(keyed_from = last_seq + 1, "the audit chain is keyed from this entry on");
            }
        }
        Ok(())
    })
}

/// The head of the chain: the last entry's number and hash, to record outside the database.
pub fn head(conn: &mut DbConn) -> QueryResult<(i64, String)> {
    audit_head::table.find(1).select((audit_head::last_seq, audit_head::last_hash)).first(conn)
}
