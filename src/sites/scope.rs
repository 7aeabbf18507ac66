//! Which sites a staff account reaches. Every participant-level read and write asks the caller's
//! scope; a record outside it is reported as missing, so that an id from another site reveals
//! nothing, not even that it exists.

use std::collections::BTreeSet;

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{assessments, participants, safety_alerts, survey_links, user_sites};
use crate::service_error::{ServiceError, ServiceResult};

/// The sites an account may see and act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every site, present and future (accounts from before sites, and the CLI).
    All,
    /// Only these sites; an empty set sees nothing.
    Sites(BTreeSet<String>),
}

impl Scope {
    /// The scope of an account: `all_sites`, or the sites granted to it.
    pub fn of_user(conn: &mut DbConn, user_id: &str, all_sites: bool) -> QueryResult<Scope> {
        if all_sites {
            return Ok(Scope::All);
        }
        let codes: Vec<String> =
            user_sites::table.filter(user_sites::user_id.eq(user_id)).select(user_sites::site).load(conn)?;
        Ok(Scope::Sites(codes.into_iter().collect()))
    }

    /// Whether records of `site` are visible.
    pub fn allows(&self, site: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Sites(codes) => codes.contains(site),
        }
    }

    /// The granted sites, or `None` for every site: for filtering queries.
    pub fn codes(&self) -> Option<Vec<String>> {
        match self {
            Scope::All => None,
            Scope::Sites(codes) => Some(codes.iter().cloned().collect()),
        }
    }

    /// Whether the scope is limited to some sites.
    pub fn is_limited(&self) -> bool {
        matches!(self, Scope::Sites(_))
    }

    /// The participant's site (by id or study id) if the scope sees them; `NotFound("participant")`
    /// otherwise, the same answer as for an id that does not exist.
    pub fn participant(&self, conn: &mut DbConn, id_or_study_id: &str) -> ServiceResult<String> {
        let site: Option<String> = participants::table
            .filter(participants::id.eq(id_or_study_id).or(participants::study_id.eq(id_or_study_id)))
            .select(participants::site)
            .first(conn)
            .optional()?;
        site.filter(|s| self.allows(s)).ok_or_else(|| ServiceError::NotFound("participant".into()))
    }

    /// Passes when the scope sees the participant a record belongs to; otherwise the record is
    /// `NotFound(what)`, exactly as when it does not exist.
    fn owner(&self, conn: &mut DbConn, participant_id: Option<String>, what: &str) -> ServiceResult<()> {
        let site: Option<String> = match participant_id {
            Some(pid) => participants::table.find(pid).select(participants::site).first(conn).optional()?,
            None => None,
        };
        match site {
            Some(s) if self.allows(&s) => Ok(()),
            _ => Err(ServiceError::NotFound(what.into())),
        }
    }

    /// Passes when the scope sees every one of these participants (ids); the first it does not
    /// see is `NotFound("participant")`.
    pub fn all_participants(
        &self,
        conn: &mut DbConn,
        ids: impl IntoIterator<Item = String>,
    ) -> ServiceResult<()> {
        if self.is_limited() {
            for id in ids {
                self.participant(conn, &id)?;
            }
        }
        Ok(())
    }

    /// Passes when the scope sees the assessment's participant.
    pub fn assessment(&self, conn: &mut DbConn, id: &str) -> ServiceResult<()> {
        if !self.is_limited() {
            return Ok(());
        }
        let pid = assessments::table.find(id).select(assessments::participant_id).first(conn).optional()?;
        self.owner(conn, pid, "assessment")
    }

    /// Passes when the scope sees the alert's participant.
    pub fn alert(&self, conn: &mut DbConn, id: &str) -> ServiceResult<()> {
        if !self.is_limited() {
            return Ok(());
        }
        let pid =
            safety_alerts::table.find(id).select(safety_alerts::participant_id).first(conn).optional()?;
        self.owner(conn, pid, "alert")
    }

    /// Passes when the scope sees the survey link's participant.
    pub fn survey_link(&self, conn: &mut DbConn, id: &str) -> ServiceResult<()> {
        if !self.is_limited() {
            return Ok(());
        }
        let pid = survey_links::table.find(id).select(survey_links::participant_id).first(conn).optional()?;
        self.owner(conn, pid, "survey link")
    }

    /// The ids of the participants the scope sees, or `None` for all: for filtering lists of
    /// participant-level records (assessments, alerts, outbox, exports).
    pub fn participant_ids(&self, conn: &mut DbConn) -> QueryResult<Option<BTreeSet<String>>> {
        let Some(codes) = self.codes() else { return Ok(None) };
        let ids: Vec<String> = participants::table
            .filter(participants::site.eq_any(codes))
            .select(participants::id)
            .load(conn)?;
        Ok(Some(ids.into_iter().collect()))
    }
}
