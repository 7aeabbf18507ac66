//! Login throttling: a few attempts a minute per account from one client address, more per
//! address. The account's limit is per address so that nobody can lock a known account out (the
//! on-call clinician, during an alert) by failing to sign in as them from elsewhere; the address's
//! own limit still caps guessing from any one place.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::service_error::ServiceError;

/// Keyed rate limiters for sign-in attempts.
pub struct LoginThrottle {
    per_account: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

/// How often (in attempts) keys back at full quota are dropped, so a stream of made-up e-mail
/// addresses cannot grow memory without bound.
const SHRINK_EVERY: u64 = 1024;

impl LoginThrottle {
    /// `per_account` attempts a minute for one e-mail; four times that for one address.
    pub fn new(per_account: u32) -> Self {
        let account = NonZeroU32::new(per_account.max(1)).unwrap_or(NonZeroU32::MIN);
        let address = NonZeroU32::new(per_account.max(1).saturating_mul(4)).unwrap_or(NonZeroU32::MIN);
        Self {
            per_account: RateLimiter::keyed(Quota::per_minute(account)),
            per_address: RateLimiter::keyed(Quota::per_minute(address)),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one attempt; refuses it with 429 and a Retry-After when over either limit.
    pub fn check(&self, email: &str, address: Option<IpAddr>) -> Result<(), ServiceError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SHRINK_EVERY == SHRINK_EVERY - 1 {
            self.shrink();
        }
        let now = DefaultClock::default().now();
        let account = match address {
            Some(addr) => format!("{email} from {addr}"),
            None => email.to_owned(),
        };
        let mut refused = self.per_account.check_key(&account).err();
        if let Some(addr) = address {
            refused = refused.or(self.per_address.check_key(&addr).err());
        }
        match refused {
            None => Ok(()),
            Some(not_until) => Err(ServiceError::TooManyRequests {
                retry_after_secs: not_until.wait_time_from(now).as_secs().max(1),
            }),
        }
    }

    /// Drops state for keys that are back to full capacity.
    fn shrink(&self) {
        self.per_account.retain_recent();
        self.per_address.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_attempt_in_a_minute_for_one_account_is_refused() {
        let t = LoginThrottle::new(5);
        for _ in 0..5 {
            assert!(t.check("a@example.org", None).is_ok());
        }
        assert!(matches!(t.check("a@example.org", None), Err(ServiceError::TooManyRequests { .. })));
        assert!(t.check("b@example.org", None).is_ok());
    }

    #[test]
    fn failing_as_an_account_from_one_address_does_not_lock_it_out_from_another() {
        let t = LoginThrottle::new(5);
        let (attacker, clinician) = ("203.0.113.9".parse().ok(), "198.51.100.7".parse().ok());
        for _ in 0..5 {
            assert!(t.check("oncall@example.org", attacker).is_ok());
        }
        assert!(t.check("oncall@example.org", attacker).is_err());
        assert!(t.check("oncall@example.org", clinician).is_ok(), "the clinician still signs in");
    }
}
