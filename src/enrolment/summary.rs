//! Recruitment at a glance: the screening funnel, allocations per arm, and progress against the
//! protocol's enrolment and diversity targets.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::participants::{self, Participant};
use crate::auth::Role;
use crate::blinding::{ArmView, Sight};
use crate::db::DbConn;
use crate::db::schema::screenings;
use crate::protocol::Protocol;
use crate::sites::{self, Scope};

/// How many are at each step, and how far the targets are met.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recruitment {
    /// Screenings by outcome (`eligible`, `ineligible`, `declined`, `other`, `enrolled`).
    pub screened: BTreeMap<String, i64>,
    pub enrolled: i64,
    pub randomised: i64,
    pub withdrawn: i64,
    /// Randomised per arm, as the role may see arms.
    pub by_arm: Vec<ArmCount>,
    pub target: i64,
    /// Randomised as a share of the target.
    pub target_share: f64,
    pub diversity: Vec<DiversityProgress>,
    /// Each site the caller reaches, against its own target.
    pub by_site: Vec<SiteCount>,
}

/// One site's recruitment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteCount {
    pub site: String,
    pub name: String,
    /// `open` or `closed`.
    pub status: String,
    pub screened: i64,
    pub enrolled: i64,
    pub randomised: i64,
    pub target: Option<i32>,
    pub diversity: Vec<DiversityProgress>,
}

/// Participants randomised to one arm.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArmCount {
    pub arm: ArmView,
    pub randomised: i64,
}

/// One diversity target and where enrolment stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiversityProgress {
    pub label: String,
    pub min_share: f64,
    /// Share among enrolled participants (null before anyone is enrolled).
    pub share: Option<f64>,
    pub met: bool,
}

/// The summary as `role` may see it.
pub fn recruitment(
    conn: &mut DbConn,
    protocol: &Protocol,
    scope: &Scope,
    role: Role,
) -> QueryResult<Recruitment> {
    let mut q = screenings::table.select((screenings::outcome, screenings::site)).into_boxed();
    if let Some(codes) = scope.codes() {
        q = q.filter(screenings::site.eq_any(codes));
    }
    let outcomes: Vec<(String, String)> = q.load(conn)?;
    let mut screened = BTreeMap::new();
    let mut screened_at: BTreeMap<String, i64> = BTreeMap::new();
    for (o, site) in outcomes {
        *screened.entry(o).or_insert(0) += 1;
        *screened_at.entry(site).or_default() += 1;
    }
    let all = participants::list(conn, scope)?;
    let facts = participants::facts(conn)?;
    let mut per_arm: BTreeMap<String, i64> = BTreeMap::new();
    for p in &all {
        if let Some(arm) = facts.get(&p.id).and_then(|f| f.arm_id.as_ref()) {
            *per_arm.entry(arm.clone()).or_default() += 1;
        }
    }
    let by_site = site_counts(conn, protocol, scope, &screened_at, &all, &facts)?;
    let randomised: i64 = per_arm.values().sum();
    let target = *protocol.enrolment.target.get_ref();
    let diversity = diversity_progress(protocol, &all);
    Ok(Recruitment {
        screened,
        enrolled: all.len() as i64,
        randomised,
        withdrawn: all.iter().filter(|p| p.withdrawn_at.is_some()).count() as i64,
        by_arm: protocol
            .arms
            .iter()
            .filter_map(|a| {
                let arm = Sight::of(protocol, role).arm(protocol, a.id.get_ref())?;
                Some(ArmCount { arm, randomised: per_arm.get(a.id.get_ref()).copied().unwrap_or(0) })
            })
            .collect(),
        target,
        target_share: if target > 0 { randomised as f64 / target as f64 } else { 0.0 },
        diversity,
        by_site,
    })
}

/// Each site within `scope` against its own target: screened, enrolled and randomised there, and
/// its enrolment against the diversity targets.
pub fn by_site(conn: &mut DbConn, protocol: &Protocol, scope: &Scope) -> QueryResult<Vec<SiteCount>> {
    let mut q = screenings::table.select(screenings::site).into_boxed();
    if let Some(codes) = scope.codes() {
        q = q.filter(screenings::site.eq_any(codes));
    }
    let mut screened_at: BTreeMap<String, i64> = BTreeMap::new();
    for site in q.load::<String>(conn)? {
        *screened_at.entry(site).or_default() += 1;
    }
    let all = participants::list(conn, scope)?;
    let facts = participants::facts(conn)?;
    site_counts(conn, protocol, scope, &screened_at, &all, &facts)
}

fn site_counts(
    conn: &mut DbConn,
    protocol: &Protocol,
    scope: &Scope,
    screened_at: &BTreeMap<String, i64>,
    all: &[Participant],
    facts: &BTreeMap<String, participants::Facts>,
) -> QueryResult<Vec<SiteCount>> {
    Ok(sites::list(conn)?
        .into_iter()
        .filter(|s| scope.allows(&s.code))
        .map(|s| {
            let here: Vec<Participant> = all.iter().filter(|p| p.site == s.code).cloned().collect();
            let randomised =
                here.iter().filter(|p| facts.get(&p.id).is_some_and(|f| f.arm_id.is_some())).count();
            SiteCount {
                screened: screened_at.get(&s.code).copied().unwrap_or(0),
                enrolled: here.len() as i64,
                randomised: randomised as i64,
                target: s.recruitment_target,
                diversity: diversity_progress(protocol, &here),
                status: s.status.as_str().to_owned(),
                name: s.name,
                site: s.code,
            }
        })
        .collect())
}

/// Each diversity target's share among `enrolled` participants, against its minimum.
pub fn diversity_progress(protocol: &Protocol, enrolled: &[Participant]) -> Vec<DiversityProgress> {
    protocol
        .enrolment
        .diversity_targets
        .iter()
        .map(|t| {
            let counted = enrolled
                .iter()
                .filter(|p| {
                    t.levels.iter().any(|l| p.strata_map().get(t.factor.get_ref()) == Some(l.get_ref()))
                })
                .count();
            let share = (!enrolled.is_empty()).then(|| counted as f64 / enrolled.len() as f64);
            DiversityProgress {
                label: t.label.clone(),
                min_share: *t.min_share.get_ref(),
                share,
                met: share.is_some_and(|s| s >= *t.min_share.get_ref()),
            }
        })
        .collect()
}
