//! The trial report, computed once per change of the data. Every change to trial data appends an
//! audit entry, so the audit chain's last sequence number names the data a report was built from:
//! a report asked for again before anything changed (or by another reader with the same view) is
//! the one already built. The day is part of the key too, since what is due depends on it.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::NaiveDate;

use super::Report;
use crate::db::DbConn;
use crate::instruments::Library;
use crate::service_error::ServiceError;
use crate::sites::Scope;

/// Which report: the data it was built from and the view of it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    audit_seq: i64,
    day: NaiveDate,
    blinded: bool,
    scope: Scope,
}

/// Reports built since the data last changed, one per view (blinded or not, and site scope).
#[derive(Default)]
pub struct ReportCache {
    built: Mutex<Vec<(Key, Arc<Report>)>>,
}

/// Views kept at once: a few site scopes, each blinded and not.
const VIEWS: usize = 16;

impl ReportCache {
    /// The report of the data as it is now, built only if this view of this data has not been.
    pub fn get_or_build(
        &self,
        conn: &mut DbConn,
        library: &Library,
        blinded: bool,
        scope: &Scope,
    ) -> Result<Arc<Report>, ServiceError> {
        // Read before the data: a change landing in between makes the key older than what was
        // read, which costs one more build later, never a stale report.
        let (audit_seq, _) = crate::audit::chain::head(conn)?;
        let key = Key { audit_seq, day: crate::db::now().date(), blinded, scope: scope.clone() };
        if let Some(report) = self.lock().iter().find(|(k, _)| *k == key).map(|(_, r)| r.clone()) {
            return Ok(report);
        }
        let report = Arc::new(super::build(conn, library, blinded, scope)?);
        let mut built = self.lock();
        built.retain(|(k, _)| k.audit_seq >= audit_seq && k.day >= key.day && *k != key);
        if built.len() >= VIEWS {
            built.remove(0);
        }
        built.push((key, report.clone()));
        Ok(report)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Key, Arc<Report>)>> {
        // A panic while the list was held leaves it whole (pushes and removes only).
        self.built.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
