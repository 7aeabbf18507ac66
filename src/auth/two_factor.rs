//! Two-factor sign-in: after the password, a code from an authenticator app (TOTP, RFC 6238: any
//! app, no phone number, nothing sent), or one of ten single-use recovery codes when the phone is
//! lost. Which roles must use it is configuration (`two_factor_roles`); an admin resets an
//! account's when its owner has lost both, with a reason, in the audit trail.
//!
//! Set-up is two steps so that nobody is locked out by a secret their app never took: `begin`
//! stores a fresh secret, and only `confirm` with a code made from it turns two-factor on.
//!
//! Each secret is stored sealed (AES-256-GCM, bound to its account) with a key derived from the
//! server's secret, which lives outside the database: a stolen database or backup makes no codes
//! (ASVS 2.8.2).

use std::sync::OnceLock;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::audit::{self, Change, Context, Event};
use crate::db::schema::{recovery_codes, two_factor, users};
use crate::db::{self, DbConn};
use crate::service_error::ServiceError;

/// Seconds a code lasts (what every authenticator app assumes).
pub const STEP_SECS: u64 = 30;
/// Digits in a code (what every authenticator app assumes).
const DIGITS: usize = 6;
/// Steps either side of now that are accepted: a phone whose clock is half a minute off, or a
/// code typed just as it changed, still works.
const SKEW: u64 = 1;
/// Recovery codes made at a time.
pub const RECOVERY_CODE_COUNT: usize = 10;
/// The name the authenticator app shows beside the account's e-mail.
const ISSUER: &str = "trialdesk";

/// The key that seals seeds in this process: derived once from the server's secret.
static SEAL_KEY: OnceLock<[u8; 32]> = OnceLock::new();

/// Derives and keeps the sealing key from the server's secret (the first secret a process loads).
pub fn load_key(secret: &str) {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else { return };
    mac.update(b"trialdesk two-factor seeds v1");
    let _ = SEAL_KEY.set(mac.finalize().into_bytes().into());
}

fn cipher() -> Result<Aes256Gcm, ServiceError> {
    let key = SEAL_KEY.get().ok_or_else(|| {
        anyhow::anyhow!(
            "the two-factor key is not loaded: the server's secret key is needed to sign in with a code"
        )
    })?;
    Aes256Gcm::new_from_slice(key).map_err(|e| anyhow::anyhow!("two-factor key: {e}").into())
}

/// `secret` sealed for `user_id`: `v1:` nonce `:` ciphertext, in hex. The account id is the
/// associated data, so a sealed seed copied to another account's row does not open.
fn seal(user_id: &str, secret: &str) -> Result<String, ServiceError> {
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?;
    let sealed = cipher()?
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: secret.as_bytes(), aad: user_id.as_bytes() })
        .map_err(|e| anyhow::anyhow!("sealing a two-factor seed: {e}"))?;
    Ok(format!("v1:{}:{}", hex::encode(nonce), hex::encode(sealed)))
}

/// The seed sealed by `seal` for `user_id`.
fn unseal(user_id: &str, stored: &str) -> Result<String, ServiceError> {
    let broken = || {
        ServiceError::Internal(anyhow::anyhow!(
            "a stored two-factor seed does not open with this server's key"
        ))
    };
    let mut parts = stored.splitn(3, ':');
    let (Some("v1"), Some(nonce), Some(sealed)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(broken());
    };
    let (nonce, sealed) =
        (hex::decode(nonce).map_err(|_| broken())?, hex::decode(sealed).map_err(|_| broken())?);
    if nonce.len() != 12 {
        return Err(broken());
    }
    let plain = cipher()?
        .decrypt(Nonce::from_slice(&nonce), Payload { msg: &sealed, aad: user_id.as_bytes() })
        .map_err(|_| broken())?;
    String::from_utf8(plain).map_err(|_| broken())
}

/// An account's stored two-factor state.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = two_factor)]
struct Row {
    user_id: String,
    secret: String,
    created_at: NaiveDateTime,
    enabled_at: Option<NaiveDateTime>,
    last_step: Option<i64>,
}

/// A secret to put into an authenticator app: typed (`secret`) or scanned (`uri`, the
/// `otpauth://` address a QR code carries).
#[derive(Debug, Clone)]
pub struct Setup {
    pub secret: String,
    pub uri: String,
}

/// How a sign-in's second step was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A code from the app.
    App,
    /// A recovery code, now used up; `left` remain.
    RecoveryCode { left: i64 },
}

/// Whether two-factor sign-in is on for `user_id` (set up and confirmed).
pub fn enabled(conn: &mut DbConn, user_id: &str) -> QueryResult<bool> {
    Ok(two_factor::table
        .find(user_id)
        .select(two_factor::enabled_at)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()?
        .flatten()
        .is_some())
}

/// How many unused recovery codes the account has.
pub fn recovery_codes_left(conn: &mut DbConn, user_id: &str) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

fn totp(secret: &str, email: &str) -> Result<TOTP, ServiceError> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("a stored two-factor secret is not base32: {e:?}"))?;
    // Skew 0 here: the steps either side are tried one by one in `matching_step`, which must know
    // which step matched to refuse a code used before.
    // Unchecked: the secret is ours (160 bits), and the checks would refuse an e-mail address
    // with `:` in it as a label, which the address then carries escaped.
    Ok(TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP_SECS,
        bytes,
        Some(ISSUER.into()),
        email.to_owned(),
    ))
}

/// The time step (of `STEP_SECS`) whose code `code` is, within `SKEW` steps of `now_secs`.
fn matching_step(totp: &TOTP, code: &str, now_secs: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let now = now_secs / STEP_SECS;
    let mut found = None;
    // Every candidate is computed and compared, matched or not: the time taken says nothing.
    for step in now.saturating_sub(SKEW)..=now + SKEW {
        let expected = totp.generate(step * STEP_SECS);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            found = i64::try_from(step).ok();
        }
    }
    found
}

/// Starts set-up: a new secret for the account's app, not yet in force. Starting again replaces
/// a secret never confirmed; an account already using two-factor turns it off first.
pub fn begin(conn: &mut DbConn, ctx: &Context, user_id: &str, email: &str) -> Result<Setup, ServiceError> {
    let mut raw = [0u8; 20];
    getrandom::fill(&mut raw).map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?;
    let secret = match Secret::Raw(raw.to_vec()).to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => return Err(anyhow::anyhow!("base32 encoding gave raw bytes").into()),
    };
    let uri = totp(&secret, email)?.get_url();
    db::write_tx(conn, |c| {
        if enabled(c, user_id)? {
            return Err(ServiceError::conflict(
                "two_factor_enabled",
                "two-factor sign-in is already on for this account; turn it off first to change the app",
            ));
        }
        diesel::delete(two_factor::table.find(user_id)).execute(c)?;
        let row = Row {
            user_id: user_id.to_owned(),
            secret: seal(user_id, &secret)?,
            created_at: db::now(),
            enabled_at: None,
            last_step: None,
        };
        diesel::insert_into(two_factor::table).values(&row).execute(c)?;
        let event = Event {
            action: "two_factor_setup",
            entity: "user",
            entity_id: user_id,
            changes: vec![],
            reason: None,
        };
        audit::append(c, ctx, event)?;
        Ok(Setup { secret, uri })
    })
}

/// The secret waiting for confirmation, shown again while set-up is unfinished (a mistyped code,
/// a reload). `None` once confirmed, or when set-up never started.
pub fn pending(conn: &mut DbConn, user_id: &str, email: &str) -> Result<Option<Setup>, ServiceError> {
    let row: Option<Row> = two_factor::table.find(user_id).select(Row::as_select()).first(conn).optional()?;
    match row.filter(|r| r.enabled_at.is_none()) {
        Some(r) => {
            let secret = unseal(user_id, &r.secret)?;
            Ok(Some(Setup { uri: totp(&secret, email)?.get_url(), secret }))
        }
        None => Ok(None),
    }
}

/// Finishes set-up with a code from the app: two-factor is on from now, and the account's
/// recovery codes (returned, shown once, stored only as hashes) replace any it had.
pub fn confirm(
    conn: &mut DbConn,
    ctx: &Context,
    (user_id, email): (&str, &str),
    code: &str,
    now_secs: u64,
) -> Result<Vec<String>, ServiceError> {
    db::write_tx(conn, |c| {
        let row: Option<Row> =
            two_factor::table.find(user_id).select(Row::as_select()).first(c).optional()?;
        let Some(row) = row.filter(|r| r.enabled_at.is_none()) else {
            return Err(ServiceError::conflict(
                "two_factor_not_started",
                "start two-factor set-up first: there is no new secret waiting for a code",
            ));
        };
        let Some(step) = matching_step(&totp(&unseal(user_id, &row.secret)?, email)?, code, now_secs) else {
            return Err(ServiceError::validation(
                "code",
                "is not the code your app shows now; check the app has this account's newest secret",
            ));
        };
        let now = db::now();
        diesel::update(two_factor::table.find(user_id))
            .set((two_factor::enabled_at.eq(now), two_factor::last_step.eq(step)))
            .execute(c)?;
        // A session begun with the password alone (a phished one, say) does not outlive the
        // second factor: every earlier session ends; the caller starts its own afresh.
        diesel::update(users::table.find(user_id)).set(users::sessions_valid_after.eq(now)).execute(c)?;
        let codes = replace_recovery_codes(c, user_id)?;
        let event = Event {
            action: "two_factor_enable",
            entity: "user",
            entity_id: user_id,
            changes: vec![Change::update("two_factor", false, true)],
            reason: None,
        };
        audit::append(c, ctx, event)?;
        Ok(codes)
    })
}

/// A new set of recovery codes for an account using two-factor; the old ones stop working.
pub fn renew_recovery_codes(
    conn: &mut DbConn,
    ctx: &Context,
    user_id: &str,
) -> Result<Vec<String>, ServiceError> {
    db::write_tx(conn, |c| {
        if !enabled(c, user_id)? {
            return Err(ServiceError::conflict(
                "two_factor_off",
                "two-factor sign-in is not on for this account",
            ));
        }
        let codes = replace_recovery_codes(c, user_id)?;
        let event = Event {
            action: "recovery_codes_renew",
            entity: "user",
            entity_id: user_id,
            changes: vec![],
            reason: None,
        };
        audit::append(c, ctx, event)?;
        Ok(codes)
    })
}

fn replace_recovery_codes(c: &mut DbConn, user_id: &str) -> Result<Vec<String>, ServiceError> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(c)?;
    let now = db::now();
    let mut codes = Vec::with_capacity(RECOVERY_CODE_COUNT);
    for _ in 0..RECOVERY_CODE_COUNT {
        let code = recovery_code()?;
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::id.eq(uuid::Uuid::now_v7().to_string()),
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(salted_hash(&super::random_hex(8)?, &code)),
                recovery_codes::created_at.eq(now),
            ))
            .execute(c)?;
        codes.push(code);
    }
    Ok(codes)
}

/// A recovery code: 16 characters (80 bits) from an alphabet without look-alikes, in groups of
/// four to read off paper.
fn recovery_code() -> Result<String, ServiceError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789"; // 31 letters and digits
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?;
    // 256 = 8 * 31 + 8: the small bias costs well under a bit of the code's ~79.
    let chars: Vec<char> = buf.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    Ok(chars.chunks(4).map(|g| g.iter().collect::<String>()).collect::<Vec<_>>().join("-"))
}

/// How a recovery code is stored: `salt:SHA-256(salt, code)`. A code has about 79 bits, under
/// the 112 that would need no salt (ASVS 2.6.2); the salt makes one table of precomputed hashes
/// useless against every account.
fn salted_hash(salt: &str, code: &str) -> String {
    format!("{salt}:{}", super::sha256_hex(&format!("{salt}{}", normalise_recovery_code(code))))
}

/// A recovery code as typed, the way it is hashed: case, spaces and dashes do not matter.
fn normalise_recovery_code(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Checks a sign-in's second step: a code from the app not used before (a code seen over a
/// shoulder, or replayed, is refused), else an unused recovery code, which is then used up.
/// `None`: neither. The caller has already checked the password and the sign-in throttle.
pub fn verify(
    conn: &mut DbConn,
    (user_id, email): (&str, &str),
    code: &str,
    now_secs: u64,
) -> Result<Option<Proof>, ServiceError> {
    db::write_tx(conn, |c| {
        let row: Option<Row> =
            two_factor::table.find(user_id).select(Row::as_select()).first(c).optional()?;
        let Some(row) = row.filter(|r| r.enabled_at.is_some()) else { return Ok(None) };
        if let Some(step) = matching_step(&totp(&unseal(user_id, &row.secret)?, email)?, code, now_secs) {
            if row.last_step.is_some_and(|last| step <= last) {
                return Ok(None);
            }
            diesel::update(two_factor::table.find(user_id)).set(two_factor::last_step.eq(step)).execute(c)?;
            return Ok(Some(Proof::App));
        }
        let unused: Vec<(String, String)> = recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::used_at.is_null())
            .select((recovery_codes::id, recovery_codes::code_hash))
            .load(c)?;
        let matched = unused.iter().find(|(_, stored)| {
            let salt = stored.split(':').next().unwrap_or_default();
            bool::from(salted_hash(salt, code).as_bytes().ct_eq(stored.as_bytes()))
        });
        let Some((id, _)) = matched else { return Ok(None) };
        diesel::update(recovery_codes::table.find(id))
            .set(recovery_codes::used_at.eq(db::now()))
            .execute(c)?;
        Ok(Some(Proof::RecoveryCode { left: recovery_codes_left(c, user_id)? }))
    })
}

/// Turns two-factor off for an account and forgets its secret and recovery codes: the owner's
/// own choice (`reason` None) or an admin's reset for someone who lost their phone and codes.
/// A reset also ends the account's sessions, as a password reset does.
pub fn turn_off(
    conn: &mut DbConn,
    ctx: &Context,
    user_id: &str,
    reason: Option<&str>,
) -> Result<(), ServiceError> {
    db::write_tx(conn, |c| {
        // A set-up never confirmed is not two-factor being on: nothing to turn off.
        if !enabled(c, user_id)? {
            return Err(ServiceError::conflict(
                "two_factor_off",
                "two-factor sign-in is not on for this account",
            ));
        }
        diesel::delete(two_factor::table.find(user_id)).execute(c)?;
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(c)?;
        if reason.is_some() {
            diesel::update(users::table.find(user_id))
                .set(users::sessions_valid_after.eq(db::now()))
                .execute(c)?;
        }
        let event = Event {
            action: if reason.is_some() { "two_factor_reset" } else { "two_factor_disable" },
            entity: "user",
            entity_id: user_id,
            changes: vec![Change::update("two_factor", true, false)],
            reason,
        };
        audit::append(c, ctx, event)?;
        Ok(())
    })
}

/// An admin's reset of another account's two-factor sign-in: for an owner who lost both the
/// phone and the recovery codes. They set it up again at their next sign-in.
pub fn reset(conn: &mut DbConn, ctx: &Context, user_id: &str, reason: &str) -> Result<(), ServiceError> {
    if ctx.actor.id.as_deref() == Some(user_id) {
        // A stolen session must not shed the second factor with a reason alone: turning one's
        // own off takes the password (`POST /api/v1/auth/two-factor/disable`).
        return Err(ServiceError::forbidden(
            "own_two_factor",
            "an admin resets someone else's two-step sign-in; turn your own off with your password (POST /api/v1/auth/two-factor/disable)",
        ));
    }
    let known: i64 = users::table.find(user_id).count().get_result(conn)?;
    if known == 0 {
        return Err(ServiceError::NotFound("user".into()));
    }
    turn_off(conn, ctx, user_id, Some(reason))
}

/// Seconds since 1970, as TOTP counts them: the wall clock, never the demo's replayed one.
pub fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret "12345678901234567890" gives 94287082 at T = 59 s
    /// (8 digits); our 6 digits are its last six.
    #[test]
    fn codes_match_the_rfc_6238_test_vector() {
        let secret = match Secret::Raw(b"12345678901234567890".to_vec()).to_encoded() {
            Secret::Encoded(s) => s,
            Secret::Raw(_) => String::new(),
        };
        let totp = totp(&secret, "a@example.org").expect("totp");
        assert_eq!(totp.generate(59), "287082");
        assert_eq!(totp.generate(1_111_111_109), "081804");
        assert_eq!(matching_step(&totp, "287 082", 59), Some(1));
        assert_eq!(matching_step(&totp, "287082", 59 + 30), Some(1), "one step late still works");
        assert_eq!(matching_step(&totp, "287082", 59 + 90), None, "three steps late does not");
    }

    #[test]
    fn a_sealed_seed_opens_for_its_account_only() {
        load_key("test-secret-key-that-is-long-enough-0123456789");
        let sealed = seal("user-a", "JBSWY3DPEHPK3PXP").expect("seal");
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(unseal("user-a", &sealed).expect("open"), "JBSWY3DPEHPK3PXP");
        assert!(unseal("user-b", &sealed).is_err(), "copied to another account, it does not open");
        assert_ne!(seal("user-a", "JBSWY3DPEHPK3PXP").expect("seal"), sealed, "a fresh nonce each time");
    }

    #[test]
    fn recovery_codes_read_in_groups_and_ignore_case_and_dashes() {
        let code = recovery_code().expect("code");
        assert_eq!(code.len(), 19);
        assert_eq!(code.split('-').count(), 4);
        assert_eq!(normalise_recovery_code(&code.to_uppercase().replace('-', " ")), code.replace('-', ""));
        assert_ne!(recovery_code().expect("code"), code);
    }
}
