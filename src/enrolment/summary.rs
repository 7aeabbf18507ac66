//! Recruitment at a glance: the screening funnel, allocations per arm, and progress against the
//! protocol's enrolment and diversity targets.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::participants::{self, ArmView, Participant};
use crate::auth::Role;
use crate::db::DbConn;
use crate::db::schema::screenings;
use crate::protocol::Protocol;

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
pub fn recruitment(conn: &mut DbConn, protocol: &Protocol, role: Role) -> QueryResult<Recruitment> {
    let outcomes: Vec<String> = screenings::table.select(screenings::outcome).load(conn)?;
    let mut screened = BTreeMap::new();
    for o in outcomes {
        *screened.entry(o).or_insert(0) += 1;
    }
    let all = participants::list(conn)?;
    let facts = participants::facts(conn)?;
    let mut per_arm: BTreeMap<String, i64> = BTreeMap::new();
    for f in facts.values() {
        if let Some(arm) = &f.arm_id {
            *per_arm.entry(arm.clone()).or_default() += 1;
        }
    }
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
            .map(|a| ArmCount {
                arm: ArmView::of(protocol, a.id.get_ref(), role),
                randomised: per_arm.get(a.id.get_ref()).copied().unwrap_or(0),
            })
            .collect(),
        target,
        target_share: if target > 0 { randomised as f64 / target as f64 } else { 0.0 },
        diversity,
    })
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
