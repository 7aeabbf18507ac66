//! Moving a participant to another site: their records go with them, and access follows at once
//! (scope is read on every request), so the old site's staff lose sight of them and the new
//! site's staff gain it in the same instant.

use diesel::prelude::*;

use super::participants::{self, Participant};
use crate::audit::{self, Change, Context, Event};
use crate::db::schema::{participants as participants_table, screenings};
use crate::db::{self, DbConn};
use crate::service_error::ServiceError;
use crate::sites::{self, Scope, SiteStatus};

/// Moves participant `id` (seen through `scope`) to site `to`, with the reason. The caller must
/// reach both sites; the new site may be closed to recruitment (a clinic that stopped enrolling
/// still follows up the people it has), but must exist.
pub fn transfer(
    conn: &mut DbConn,
    ctx: &Context,
    scope: &Scope,
    id: &str,
    to: &str,
    reason: &str,
) -> Result<Participant, ServiceError> {
    db::write_tx(conn, |c| {
        let mut p = participants::find_or_404(c, scope, id)?;
        let site = sites::find(c, to.trim())?.ok_or_else(|| {
            ServiceError::validation("site", format!("no site has the code `{}`", to.trim()))
        })?;
        if !scope.allows(&site.code) {
            return Err(ServiceError::forbidden(
                "site_not_granted",
                format!("your account has no access to site `{}`", site.code),
            ));
        }
        if site.code == p.site {
            return Err(ServiceError::conflict(
                "same_site",
                format!("{} already belongs to site `{}`", p.study_id, p.site),
            ));
        }
        diesel::update(participants_table::table.find(&p.id))
            .set(participants_table::site.eq(&site.code))
            .execute(c)?;
        // The screening belongs to the participant's site too: the new site's staff see where
        // their participant came from, the old site's no longer see someone they do not follow.
        diesel::update(screenings::table.find(&p.screening_id))
            .set(screenings::site.eq(&site.code))
            .execute(c)?;
        let mut changes = vec![Change::update("site", &p.site, &site.code)];
        if site.status == SiteStatus::Closed {
            changes.push(Change::set("site_closed_to_recruitment", true));
        }
        audit::append(
            c,
            ctx,
            Event {
                action: "transfer",
                entity: "participant",
                entity_id: &p.id,
                changes,
                reason: Some(reason),
            },
        )?;
        p.site = site.code;
        Ok(p)
    })
}
