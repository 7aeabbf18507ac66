//! Allocating: the key, the stored allocation, the checks before it, and the one transaction that allocates, schedules and queues the welcome.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::engine::{self, ALGORITHM_V1, BlockSequence, Imbalance};
use crate::audit::{self, Change, Context, Event};
use crate::db::schema::{
    allocations, assessments, consents, outbox, participant_phases, participants as participants_table,
    protocol_versions, screenings,
};
use crate::db::{self, DbConn};
use crate::enrolment::participants::{self, Participant};
use crate::enrolment::screening::{self, Screening};
use crate::groups::formation::allocation_phase;
use crate::outbox::{Kind, Message, Recipient};
use crate::protocol::{Method, Protocol, SITE_FACTOR, store};
use crate::service_error::ServiceError;

/// The randomisation key, derived from the server secret (which lives outside the database).
#[derive(Clone)]
pub struct StudyKey(pub(super) [u8; 32]);

impl StudyKey {
    /// Derives the key; a different secret gives an unrelated sequence.
    pub fn derive(secret: &SecretString) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"trialdesk randomisation key v1");
        Self(mac.finalize().into_bytes().into())
    }
}

/// A stored allocation. `stratum_index` is the position in the stratum's sequence: it never
/// leaves the server, since with the block sizes it would hint at the next allocation.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = allocations)]
pub struct Allocation {
    pub participant_id: String,
    pub seq: i64,
    pub arm_id: String,
    pub stratum: String,
    pub stratum_index: i32,
    pub method: String,
    pub algorithm: String,
    pub protocol_version: i32,
    pub allocated_at: NaiveDateTime,
    pub allocated_by: Option<String>,
    /// The participant's site when randomised (a stratum factor under `stratify_by_site`).
    pub site: String,
    /// Minimisation (v2): the slot taken, one of an arm's `ratio` slots (engine::minimise_slots).
    pub slot: Option<i32>,
}

/// An earlier allocation, as minimisation counts it.
pub(super) struct Earlier {
    pub strata: BTreeMap<String, String>,
    pub arm: usize,
    pub slot: Option<usize>,
}

/// The levels randomisation works with: the participant's strata and, when the protocol
/// stratifies by site, the site they were randomised at under `SITE_FACTOR`.
pub fn allocation_strata(protocol: &Protocol, strata: &str, site: &str) -> BTreeMap<String, String> {
    let mut levels: BTreeMap<String, String> = serde_json::from_str(strata).unwrap_or_default();
    if protocol.randomisation.stratify_by_site {
        levels.insert(SITE_FACTOR.to_owned(), site.to_owned());
    }
    levels
}

/// The factor ids randomisation stratifies by, in order: the protocol's, then the site's.
fn factor_ids(protocol: &Protocol) -> Vec<&str> {
    let mut ids: Vec<&str> = protocol.stratification.iter().map(|f| f.id.get_ref().as_str()).collect();
    if protocol.randomisation.stratify_by_site {
        ids.push(SITE_FACTOR);
    }
    ids
}

/// The canonical stratum key of a participant: `factor=level` in protocol order, the site last.
/// A site opened mid-trial is a new level, so it starts strata of its own.
pub fn stratum_key(protocol: &Protocol, strata: &BTreeMap<String, String>) -> String {
    let ids = factor_ids(protocol);
    if ids.is_empty() {
        return "all".into();
    }
    ids.iter()
        .map(|id| format!("{id}={}", strata.get(*id).map_or("", String::as_str)))
        .collect::<Vec<_>>()
        .join("|")
}

pub(super) fn ratios(protocol: &Protocol) -> Vec<u32> {
    protocol.arms.iter().map(|a| u32::try_from(*a.ratio.get_ref()).unwrap_or(1)).collect()
}

/// Each factor minimisation balances, with its levels: the protocol's factors, then (under
/// `stratify_by_site`) the sites seen so far and the current participant's, in code order.
fn factors(
    protocol: &Protocol,
    history: &[Earlier],
    current: &BTreeMap<String, String>,
) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = protocol
        .stratification
        .iter()
        .map(|f| (f.id.get_ref().clone(), f.levels.iter().map(|l| l.get_ref().clone()).collect()))
        .collect();
    if protocol.randomisation.stratify_by_site {
        let sites: std::collections::BTreeSet<String> = history
            .iter()
            .map(|h| &h.strata)
            .chain([current])
            .filter_map(|s| s.get(SITE_FACTOR).cloned())
            .collect();
        out.push((SITE_FACTOR.to_owned(), sites.into_iter().collect()));
    }
    out
}

/// Marginal counts for minimisation: factor → level → column, over `history`, where `column`
/// says how an earlier allocation counts (its arm for v1, its slot or its arm's slots for v2).
fn marginal_counts(
    factors: &[(String, Vec<String>)],
    history: &[Earlier],
    columns: usize,
    column: impl Fn(&Earlier, &mut [f64]),
) -> Vec<Vec<Vec<f64>>> {
    factors
        .iter()
        .map(|(id, levels)| {
            levels
                .iter()
                .map(|level| {
                    let mut per_column = vec![0.0; columns];
                    for earlier in history.iter().filter(|e| e.strata.get(id) == Some(level)) {
                        column(earlier, &mut per_column);
                    }
                    per_column
                })
                .collect()
        })
        .collect()
}

fn levels_of(factors: &[(String, Vec<String>)], strata: &BTreeMap<String, String>) -> Vec<usize> {
    factors
        .iter()
        .map(|(id, levels)| levels.iter().position(|l| Some(l) == strata.get(id)).unwrap_or(0))
        .collect()
}

/// The arm index the algorithm gives, and the slot it took under v2 minimisation: `history` is
/// every earlier allocation (minimisation only); `algorithm` is the protocol version's.
#[allow(clippy::too_many_arguments)]
pub(super) fn compute_arm(
    key: &StudyKey,
    protocol: &Protocol,
    algorithm: &str,
    seq: i64,
    stratum: &str,
    stratum_index: usize,
    strata: &BTreeMap<String, String>,
    history: &[Earlier],
) -> (usize, Option<usize>) {
    let r = &protocol.randomisation;
    match r.method.get_ref() {
        Method::StratifiedBlocks => {
            let sizes: Vec<u32> = r
                .block_sizes
                .as_ref()
                .map(|s| s.get_ref().iter().map(|v| u32::try_from(*v.get_ref()).unwrap_or(2)).collect())
                .unwrap_or_else(|| vec![2]);
            (BlockSequence::new(&key.0, stratum, &ratios(protocol), &sizes).arm_at(stratum_index), None)
        }
        Method::Simple => (engine::simple(&key.0, seq, &ratios(protocol)), None),
        Method::Minimisation => {
            let imbalance = match r.imbalance {
                Some(crate::protocol::Imbalance::Variance) => Imbalance::Variance,
                _ => Imbalance::Range,
            };
            let probability = r.probability.as_ref().map_or(0.8, |p| *p.get_ref());
            let factors = factors(protocol, history, strata);
            let ratios = ratios(protocol);
            let levels = levels_of(&factors, strata);
            if algorithm == ALGORITHM_V1 {
                let counts = marginal_counts(&factors, history, ratios.len(), |e, c| c[e.arm] += 1.0);
                let counts: Vec<Vec<Vec<u32>>> = counts
                    .iter()
                    .map(|f| f.iter().map(|l| l.iter().map(|&n| n as u32).collect()).collect())
                    .collect();
                let arm = engine::minimise(&key.0, seq, &counts, &levels, &ratios, imbalance, probability);
                return (arm, None);
            }
            // An allocation made before slots were recorded counts in equal parts on its arm's slots.
            let first_slot: Vec<usize> =
                ratios.iter().scan(0, |next, r| Some(std::mem::replace(next, *next + *r as usize))).collect();
            let slots = ratios.iter().sum::<u32>() as usize;
            let counts = marginal_counts(&factors, history, slots, |e, c| match e.slot {
                Some(slot) => c[slot] += 1.0,
                None => {
                    let share = f64::from(ratios[e.arm].max(1));
                    let own = first_slot[e.arm]..first_slot[e.arm] + ratios[e.arm] as usize;
                    c[own].iter_mut().for_each(|n| *n += 1.0 / share);
                }
            });
            let weights: Vec<f64> = factors.iter().map(|(id, _)| r.weight(id)).collect();
            let slot =
                engine::minimise_slots(&key.0, seq, &counts, &levels, &weights, imbalance, probability);
            (engine::slot_arm(&ratios, slot), Some(slot))
        }
    }
}

/// Earlier allocations in allocation order: what minimisation balances.
pub(super) fn history(conn: &mut DbConn, protocol: &Protocol) -> QueryResult<Vec<Earlier>> {
    let rows: Vec<(String, String, String, Option<i32>)> = allocations::table
        .inner_join(participants_table::table)
        .select((participants_table::strata, allocations::site, allocations::arm_id, allocations::slot))
        .order(allocations::seq.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(strata, site, arm, slot)| Earlier {
            strata: allocation_strata(protocol, &strata, &site),
            arm: protocol.arms.iter().position(|a| *a.id.get_ref() == arm).unwrap_or(0),
            slot: slot.and_then(|s| usize::try_from(s).ok()),
        })
        .collect())
}

/// What decides whether a participant may be randomised: the participant, their screening, an
/// allocation they already have and the consent form they last signed (not voided).
struct Candidate {
    participant: Participant,
    screening: Screening,
    allocation_seq: Option<i64>,
    consent_version: Option<String>,
}

/// The protocol version in force as the candidate's query reads it: (number, text hash), algorithm.
type InForce = (store::InForce, Option<String>);

/// The candidate and the protocol version in force, read in one query (every statement is a
/// round trip under the write lock on PostgreSQL).
fn load_candidate(conn: &mut DbConn, id: &str) -> Result<(Candidate, InForce), ServiceError> {
    let consent_version = consents::table
        .filter(consents::participant_id.eq(participants_table::id))
        .filter(consents::voided_at.is_null())
        .order(consents::signed_at.desc())
        .select(consents::form_version)
        .limit(1)
        .single_value();
    let in_force = (
        store::in_force(),
        protocol_versions::table
            .order(protocol_versions::version.desc())
            .limit(1)
            .select(protocol_versions::randomisation_algorithm)
            .single_value(),
    );
    participants_table::table
        .inner_join(screenings::table)
        .left_join(allocations::table)
        .filter(participants_table::id.eq(id).or(participants_table::study_id.eq(id)))
        .select((
            Participant::as_select(),
            Screening::as_select(),
            allocations::seq.nullable(),
            consent_version,
            in_force,
        ))
        .first(conn)
        .map(|(participant, screening, allocation_seq, consent_version, in_force)| {
            (Candidate { participant, screening, allocation_seq, consent_version }, in_force)
        })
        .optional()?
        .ok_or_else(|| ServiceError::NotFound("participant".into()))
}

/// Why a participant cannot be randomised, if they cannot: the 409 names the reason.
fn check_allowed(protocol: &Protocol, candidate: &Candidate) -> Result<(), ServiceError> {
    let Candidate { participant, screening, allocation_seq, consent_version } = candidate;
    let sid = &participant.study_id;
    if participant.withdrawn_at.is_some() {
        return Err(ServiceError::conflict("withdrawn", format!("{sid} has withdrawn from the study")));
    }
    if allocation_seq.is_some() {
        return Err(ServiceError::conflict(
            "already_randomised",
            format!("{sid} is already randomised; allocations are final"),
        ));
    }
    // Strata and eligibility are checked again against the protocol in force: an amendment
    // before randomisation started may have changed them.
    if let Err(e) = participants::check_strata(protocol, &participant.strata_map()) {
        return Err(ServiceError::conflict(
            "strata_outdated",
            format!("{sid}: the strata recorded at enrolment no longer fit the protocol ({e})"),
        ));
    }
    let failed = screening::evaluate(protocol, &screening.answer_map())
        .unwrap_or_else(|_| vec!["(answers no longer match the criteria)".into()]);
    if !failed.is_empty() {
        return Err(ServiceError::conflict(
            "not_eligible",
            format!("{sid} does not meet: {}", failed.join(", ")),
        ));
    }
    let current = protocol.consent_form_today(&participant.site).map(|f| f.version.get_ref().clone());
    match consent_version {
        None => Err(ServiceError::conflict("not_consented", format!("{sid} has not consented"))),
        Some(v) if Some(v) != current.as_ref() => Err(ServiceError::conflict(
            "reconsent_required",
            format!("{sid} consented to form {v}, but form {} is in force", current.unwrap_or_default()),
        )),
        Some(_) => Ok(()),
    }
}

/// Randomises one participant. Runs in one write transaction, so concurrent requests are applied
/// one at a time: a participant gets one allocation, and no slot of a block is skipped or reused.
pub fn randomise(
    conn: &mut DbConn,
    ctx: &Context,
    key: &StudyKey,
    participant_id: &str,
) -> Result<(Allocation, Participant, Arc<Protocol>), ServiceError> {
    db::write_tx(conn, |c| {
        let (candidate, in_force) = load_candidate(c, participant_id)?;
        let ((Some(protocol_version), Some(sha256)), Some(algorithm)) = in_force else {
            return Err(ServiceError::NotFound("protocol".into()));
        };
        let protocol = store::resolve(c, protocol_version, &sha256)?;
        check_allowed(&protocol, &candidate)?;
        let participant = candidate.participant;
        let strata = allocation_strata(&protocol, &participant.strata, &participant.site);
        let stratum = stratum_key(&protocol, &strata);
        let (seq, stratum_index) = super::numbers::next(c, &stratum)?;
        let past = if *protocol.randomisation.method.get_ref() == Method::Minimisation {
            history(c, &protocol)?
        } else {
            Vec::new()
        };
        let (arm, slot) =
            compute_arm(key, &protocol, &algorithm, seq, &stratum, stratum_index as usize, &strata, &past);
        let row = Allocation {
            participant_id: participant.id.clone(),
            seq,
            arm_id: protocol.arms[arm].id.get_ref().clone(),
            stratum,
            stratum_index,
            method: protocol.randomisation.method.get_ref().as_str().into(),
            algorithm,
            protocol_version,
            allocated_at: db::now(),
            allocated_by: ctx.actor.id.clone(),
            site: participant.site.clone(),
            slot: slot.map(|s| s as i32),
        };
        if seq == 1 {
            store::mark_randomisation_started(c, ctx)?;
        }
        // What the allocation starts, built first and then written with the allocation and its
        // audit entry as one statement on PostgreSQL: every statement is a round trip under the
        // chain's lock (docs/benchmarks.md). The keys and ids are new (one allocation per
        // participant), so nothing is looked up first.
        let (today, language) = (protocol.today(), &participant.preferred_language);
        let welcome = Message::new(
            &format!("welcome:{}", participant.id),
            Kind::Welcome,
            &Recipient::Participant(participant.id.clone()),
            language,
            &serde_json::json!({}),
            db::now(),
        );
        let (phase, waitlist) =
            match allocation_phase(&protocol, &participant.id, &row.arm_id, today, language) {
                Some((phase, message)) => (Some(phase), message),
                None => (None, None),
            };
        let (schedule, invitations) =
            crate::assessments::plan(&protocol, &participant.id, &row.arm_id, today, language);
        let messages: Vec<Message> = [welcome].into_iter().chain(waitlist).chain(invitations).collect();
        db::batch::together(c, |c, batch| {
            batch.add(c, diesel::insert_into(allocations::table).values(&row))?;
            // The register filters on these columns (docs/benchmarks.md); allocation and phases
            // stay the record.
            batch.add(
                c,
                diesel::update(participants_table::table.find(&participant.id)).set((
                    participants_table::allocated_arm.eq(&row.arm_id),
                    participants_table::current_phase.eq(phase.as_ref().map(|p| p.phase.as_str())),
                )),
            )?;
            if let Some(phase) = &phase {
                batch.add(c, diesel::insert_into(participant_phases::table).values(phase))?;
            }
            if !schedule.is_empty() {
                db::batch::insert_many_in!(batch, c, assessments::table, &schedule)?;
            }
            db::batch::insert_many_in!(batch, c, outbox::table, &messages)?;
            audit::append_in(
                batch,
                c,
                ctx,
                Event {
                    action: "randomise",
                    entity: "participant",
                    entity_id: &participant.id,
                    changes: vec![
                        Change::set("arm_id", &row.arm_id),
                        Change::set("allocation_seq", row.seq),
                        Change::set("site", &row.site),
                        Change::set("method", &row.method),
                        Change::set("assessments_scheduled", schedule.len()),
                    ],
                    reason: None,
                },
            )
        })?;
        super::numbers::taken(&row.stratum, row.seq, row.stratum_index);
        Ok((row, participant, protocol))
    })
}
