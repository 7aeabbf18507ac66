//! Staff accounts, roles, permissions, sessions, API tokens and login throttling.

pub mod extract;
pub mod permissions;
pub mod routes;
pub mod throttle;
pub mod tokens;
pub mod two_factor;
pub mod users;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use extract::Auth;
pub use permissions::Permission;

/// A staff role. Who of them is kept blind is the protocol's choice (`crate::blinding`); the
/// blinded statistician always is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Coordinator,
    Moderator,
    StatisticianBlinded,
    StatisticianUnblinded,
    /// The study clinician: acts on safety alerts and may read participants' contact details.
    Clinician,
}

impl Role {
    /// Every role, in the order the permission matrix lists them.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Coordinator,
        Role::Moderator,
        Role::StatisticianBlinded,
        Role::StatisticianUnblinded,
        Role::Clinician,
    ];

    /// The name stored in the database and used in the API and CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::Moderator => "moderator",
            Role::StatisticianBlinded => "statistician_blinded",
            Role::StatisticianUnblinded => "statistician_unblinded",
            Role::Clinician => "clinician",
        }
    }

    /// Parses a stored or typed role name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a role name that is not one of ours.
pub fn role_names() -> String {
    Role::ALL.map(Role::as_str).join(", ")
}

/// Hashes a password with Argon2id (the crate's defaults follow OWASP's recommendation).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

/// Checks a password against a stored Argon2 hash in constant time.
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// A hash used to make timing of unknown e-mails match known ones at login.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

/// `n` random bytes from the operating system, hex-encoded.
pub fn random_hex(n: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?;
    Ok(hex::encode(buf))
}

/// A one-time password: 20 characters from an alphabet without look-alike letters.
pub fn one_time_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 20];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?;
    // 256 is not a multiple of 55; the bias (under 0.5%) does not matter for a password that
    // has about 115 bits and must be changed at first sign-in.
    Ok(buf.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect())
}

/// SHA-256 of a high-entropy secret (API tokens): enough, since they cannot be guessed.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The minimum rules for a new password.
pub fn check_new_password(password: &str) -> Result<(), &'static str> {
    if password.chars().count() < 12 {
        return Err("must be at least 12 characters");
    }
    if password.len() > 1024 {
        return Err("must be at most 1024 bytes");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password("correct horse battery").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
    }

    #[test]
    fn every_role_name_round_trips() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("superuser"), None);
    }

    #[test]
    fn one_time_passwords_are_long_and_differ() {
        let a = one_time_password().unwrap_or_default();
        let b = one_time_password().unwrap_or_default();
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert!(check_new_password(&a).is_ok());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_new_password("short").is_err());
    }
}
