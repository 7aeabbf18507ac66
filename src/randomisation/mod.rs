//! Concealed, reproducible randomisation: exactly once per participant, only when eligible,
//! consented and not withdrawn; replayable from the secret key; emergency unblinding.

pub mod engine;
pub mod routes;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::Sha256;
use utoipa::ToSchema;

use self::engine::{ALGORITHM, BlockSequence, Imbalance};
use crate::audit::{self, Change, Context, Event};
use crate::db::schema::{allocations, notices, participants as participants_table, screenings, unblindings};
use crate::db::{self, DbConn};
use crate::enrolment::participants::{self, Participant};
use crate::enrolment::screening::{self, Screening};
use crate::error::AppError;
use crate::protocol::{Method, Protocol, store};

/// The randomisation key, derived from the server secret (which lives outside the database).
#[derive(Clone)]
pub struct StudyKey([u8; 32]);

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
}

/// The canonical stratum key of a participant: `factor=level` in protocol order.
pub fn stratum_key(protocol: &Protocol, strata: &BTreeMap<String, String>) -> String {
    if protocol.stratification.is_empty() {
        return "all".into();
    }
    protocol
        .stratification
        .iter()
        .map(|f| format!("{}={}", f.id.get_ref(), strata.get(f.id.get_ref()).map_or("", String::as_str)))
        .collect::<Vec<_>>()
        .join("|")
}

fn ratios(protocol: &Protocol) -> Vec<u32> {
    protocol.arms.iter().map(|a| u32::try_from(*a.ratio.get_ref()).unwrap_or(1)).collect()
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Simple => "simple",
        Method::StratifiedBlocks => "stratified_blocks",
        Method::Minimisation => "minimisation",
    }
}

/// Marginal counts for minimisation: factor → level → arm, over `history`.
fn marginal_counts(protocol: &Protocol, history: &[(BTreeMap<String, String>, usize)]) -> Vec<Vec<Vec<u32>>> {
    let arms = protocol.arms.len();
    protocol
        .stratification
        .iter()
        .map(|f| {
            f.levels
                .iter()
                .map(|level| {
                    let mut per_arm = vec![0u32; arms];
                    for (strata, arm) in history {
                        if strata.get(f.id.get_ref()) == Some(level.get_ref()) {
                            per_arm[*arm] += 1;
                        }
                    }
                    per_arm
                })
                .collect()
        })
        .collect()
}

fn levels_of(protocol: &Protocol, strata: &BTreeMap<String, String>) -> Vec<usize> {
    protocol
        .stratification
        .iter()
        .map(|f| f.levels.iter().position(|l| Some(l.get_ref()) == strata.get(f.id.get_ref())).unwrap_or(0))
        .collect()
}

/// The arm index the algorithm gives: `history` is every earlier allocation (minimisation only).
fn compute_arm(
    key: &StudyKey,
    protocol: &Protocol,
    seq: i64,
    stratum: &str,
    stratum_index: usize,
    strata: &BTreeMap<String, String>,
    history: &[(BTreeMap<String, String>, usize)],
) -> usize {
    let r = &protocol.randomisation;
    match r.method.get_ref() {
        Method::StratifiedBlocks => {
            let sizes: Vec<u32> = r
                .block_sizes
                .as_ref()
                .map(|s| s.get_ref().iter().map(|v| u32::try_from(*v.get_ref()).unwrap_or(2)).collect())
                .unwrap_or_else(|| vec![2]);
            BlockSequence::new(&key.0, stratum, &ratios(protocol), &sizes).arm_at(stratum_index)
        }
        Method::Simple => engine::simple(&key.0, seq, &ratios(protocol)),
        Method::Minimisation => {
            let imbalance = match r.imbalance {
                Some(crate::protocol::Imbalance::Variance) => Imbalance::Variance,
                _ => Imbalance::Range,
            };
            let probability = r.probability.as_ref().map_or(0.8, |p| *p.get_ref());
            engine::minimise(
                &key.0,
                seq,
                &marginal_counts(protocol, history),
                &levels_of(protocol, strata),
                &ratios(protocol),
                imbalance,
                probability,
            )
        }
    }
}

/// Earlier allocations as (strata, arm index), in allocation order: what minimisation balances.
fn history(conn: &mut DbConn, protocol: &Protocol) -> QueryResult<Vec<(BTreeMap<String, String>, usize)>> {
    let rows: Vec<(String, String)> = allocations::table
        .inner_join(participants_table::table)
        .select((participants_table::strata, allocations::arm_id))
        .order(allocations::seq.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(strata, arm)| {
            let idx = protocol.arms.iter().position(|a| *a.id.get_ref() == arm).unwrap_or(0);
            (serde_json::from_str(&strata).unwrap_or_default(), idx)
        })
        .collect())
}

/// The participant with what decides whether they may be randomised, read in one query.
fn load_candidate(conn: &mut DbConn, id: &str) -> Result<(Participant, Screening, Option<i64>), AppError> {
    participants_table::table
        .inner_join(screenings::table)
        .left_join(allocations::table)
        .filter(participants_table::id.eq(id).or(participants_table::study_id.eq(id)))
        .select((Participant::as_select(), Screening::as_select(), allocations::seq.nullable()))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("participant".into()))
}

/// Why a participant cannot be randomised, if they cannot: the 409 names the reason.
fn check_allowed(
    conn: &mut DbConn,
    protocol: &Protocol,
    participant: &Participant,
    screening: &Screening,
    allocation_seq: Option<i64>,
) -> Result<(), AppError> {
    let sid = &participant.study_id;
    if participant.withdrawn_at.is_some() {
        return Err(AppError::conflict("withdrawn", format!("{sid} has withdrawn from the study")));
    }
    if allocation_seq.is_some() {
        return Err(AppError::conflict(
            "already_randomised",
            format!("{sid} is already randomised; allocations are final"),
        ));
    }
    // Strata and eligibility are checked again against the protocol in force: an amendment
    // before randomisation started may have changed them.
    if let Err(e) = participants::check_strata(protocol, &participant.strata_map()) {
        return Err(AppError::conflict(
            "strata_outdated",
            format!("{sid}: the strata recorded at enrolment no longer fit the protocol ({e})"),
        ));
    }
    let failed = screening::evaluate(protocol, &screening.answer_map())
        .unwrap_or_else(|_| vec!["(answers no longer match the criteria)".into()]);
    if !failed.is_empty() {
        return Err(AppError::conflict(
            "not_eligible",
            format!("{sid} does not meet: {}", failed.join(", ")),
        ));
    }
    let current = crate::enrolment::consent::form_in_force(protocol).map(|f| f.version.get_ref().clone());
    match participants::latest_consent_version(conn, &participant.id)? {
        None => Err(AppError::conflict("not_consented", format!("{sid} has not consented"))),
        Some(v) if Some(&v) != current.as_ref() => Err(AppError::conflict(
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
) -> Result<(Allocation, Participant, Arc<Protocol>), AppError> {
    db::write_tx(conn, |c| {
        let (protocol, protocol_version) = store::current_parsed(c)?;
        let (participant, screening, allocation_seq) = load_candidate(c, participant_id)?;
        check_allowed(c, &protocol, &participant, &screening, allocation_seq)?;
        let strata = participant.strata_map();
        let stratum = stratum_key(&protocol, &strata);
        let seq = allocations::table
            .select(diesel::dsl::max(allocations::seq))
            .first::<Option<i64>>(c)?
            .unwrap_or(0)
            + 1;
        let stratum_index: i64 =
            allocations::table.filter(allocations::stratum.eq(&stratum)).count().get_result(c)?;
        let past = if *protocol.randomisation.method.get_ref() == Method::Minimisation {
            history(c, &protocol)?
        } else {
            Vec::new()
        };
        let arm = compute_arm(key, &protocol, seq, &stratum, stratum_index as usize, &strata, &past);
        let row = Allocation {
            participant_id: participant.id.clone(),
            seq,
            arm_id: protocol.arms[arm].id.get_ref().clone(),
            stratum,
            stratum_index: stratum_index as i32,
            method: method_name(*protocol.randomisation.method.get_ref()).into(),
            algorithm: ALGORITHM.into(),
            protocol_version,
            allocated_at: db::now(),
            allocated_by: ctx.actor.id.clone(),
        };
        diesel::insert_into(allocations::table).values(&row).execute(c)?;
        if seq == 1 {
            store::mark_randomisation_started(c, ctx)?;
        }
        crate::outbox::enqueue(
            c,
            &format!("welcome:{}", participant.id),
            crate::outbox::Kind::Welcome,
            &crate::outbox::Recipient::Participant(participant.id.clone()),
            &participant.preferred_language,
            serde_json::json!({}),
            db::now(),
        )?;
        let today = crate::groups::study_today(&protocol);
        crate::groups::formation::record_allocation_phase(c, &protocol, &participant.id, &row.arm_id, today)?;
        let schedule = crate::assessments::generate(
            c,
            &protocol,
            &participant.id,
            &row.arm_id,
            today,
            &participant.preferred_language,
        )?;
        audit::append(
            c,
            ctx,
            Event {
                action: "randomise",
                entity: "participant",
                entity_id: &participant.id,
                changes: vec![
                    Change::set("arm_id", &row.arm_id),
                    Change::set("allocation_seq", row.seq),
                    Change::set("method", &row.method),
                    Change::set("assessments_scheduled", schedule.len()),
                ],
                reason: None,
            },
        )?;
        Ok((row, participant, protocol))
    })
}

/// What `replay` found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplayReport {
    pub allocations_checked: usize,
    /// One line per allocation that the key does not reproduce.
    pub mismatches: Vec<String>,
}

/// Re-derives every allocation in order from the key and reports any that differ.
pub fn replay(conn: &mut DbConn, key: &StudyKey) -> anyhow::Result<ReplayReport> {
    let rows: Vec<(Allocation, String, String)> = allocations::table
        .inner_join(participants_table::table)
        .select((Allocation::as_select(), participants_table::strata, participants_table::study_id))
        .order(allocations::seq.asc())
        .load(conn)?;
    let mut protocols: HashMap<i32, Arc<Protocol>> = HashMap::new();
    let mut next_index: HashMap<String, i32> = HashMap::new();
    let mut past: Vec<(BTreeMap<String, String>, usize)> = Vec::new();
    let mut mismatches = Vec::new();
    for (expected_seq, (a, strata_text, study_id)) in (1i64..).zip(&rows) {
        if let std::collections::hash_map::Entry::Vacant(slot) = protocols.entry(a.protocol_version) {
            let stored = store::get(conn, a.protocol_version)?
                .ok_or_else(|| anyhow::anyhow!("protocol version {} is missing", a.protocol_version))?;
            slot.insert(stored.parsed().map_err(|e| anyhow::anyhow!("{e}"))?);
        }
        let protocol = &protocols[&a.protocol_version];
        let strata: BTreeMap<String, String> = serde_json::from_str(strata_text).unwrap_or_default();
        let stratum = stratum_key(protocol, &strata);
        let index = next_index.entry(stratum.clone()).or_insert(0);
        if a.seq != expected_seq {
            mismatches.push(format!(
                "{study_id}: allocation number {} where {expected_seq} was expected (a gap or duplicate)",
                a.seq
            ));
        }
        if a.stratum != stratum || a.stratum_index != *index {
            mismatches.push(format!(
                "{study_id}: stratum position {}:{} where {stratum}:{index} was expected",
                a.stratum, a.stratum_index
            ));
        }
        if a.algorithm != ALGORITHM {
            mismatches.push(format!(
                "{study_id}: made with algorithm {}, this build replays {ALGORITHM}",
                a.algorithm
            ));
        }
        let arm = compute_arm(key, protocol, a.seq, &stratum, *index as usize, &strata, &past);
        let expected_arm = protocol.arms[arm].id.get_ref();
        if *expected_arm != a.arm_id {
            mismatches.push(format!("{study_id}: allocated {} but the key gives {expected_arm}", a.arm_id));
        }
        *index += 1;
        let stored_arm = protocol.arms.iter().position(|x| *x.id.get_ref() == a.arm_id).unwrap_or(arm);
        past.push((strata, stored_arm));
    }
    Ok(ReplayReport { allocations_checked: rows.len(), mismatches })
}

/// CONSORT items 8–10 for the protocol: how the sequence is generated and concealed. Block sizes
/// are named but never their order.
pub fn describe(protocol: &Protocol) -> String {
    let arms: Vec<String> =
        protocol.arms.iter().map(|a| format!("{} ({})", a.label, a.code.get_ref())).collect();
    let ratio: Vec<String> = protocol.arms.iter().map(|a| a.ratio.get_ref().to_string()).collect();
    let factors: Vec<String> = protocol
        .stratification
        .iter()
        .map(|f| {
            format!(
                "{} ({})",
                f.label.to_lowercase(),
                f.levels.iter().map(|l| l.get_ref().as_str()).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    let r = &protocol.randomisation;
    let kind = match r.method.get_ref() {
        Method::Simple => "simple (unrestricted) randomisation".to_owned(),
        Method::StratifiedBlocks => {
            let sizes: Vec<String> = r
                .block_sizes
                .as_ref()
                .map(|s| s.get_ref().iter().map(|v| v.get_ref().to_string()).collect())
                .unwrap_or_default();
            format!(
                "permuted blocks stratified by {}, with block sizes of {} chosen at random for each block, so that the end of a block cannot be predicted",
                factors.join(" and "),
                join_and(&sizes)
            )
        }
        Method::Minimisation => format!(
            "minimisation (Pocock and Simon) on {}, measuring marginal imbalance by its {}, assigning the arm that minimises it with probability {} and breaking ties at random",
            factors.join(" and "),
            match r.imbalance {
                Some(crate::protocol::Imbalance::Variance) => "variance",
                _ => "range",
            },
            r.probability.as_ref().map_or(0.8, |p| *p.get_ref())
        ),
    };
    format!(
        "Sequence generation (CONSORT 8a). The allocation sequence was generated by computer in trialdesk {version}, using the \
ChaCha20 cryptographically secure pseudo-random generator seeded, for each stratum or allocation, with HMAC-SHA256 of a secret \
study key held outside the study database (algorithm {ALGORITHM}). Given the key, every allocation can be re-derived for audit \
(`trialdesk randomisation replay`).\n\n\
Type of randomisation (CONSORT 8b). Participants were allocated in a {ratio} ratio to {arms} by {kind}.\n\n\
Allocation concealment (CONSORT 9). No allocation list exists in advance: each allocation is computed at the moment a \
coordinator randomises a participant who is recorded as eligible and consented, and is then final. No user, page, API response, \
log or error message shows upcoming allocations or positions within blocks; staff with blinded roles see arm codes only, and \
every allocation and unblinding is recorded in a tamper-evident audit trail.\n\n\
Implementation (CONSORT 10). Study coordinators screened and enrolled participants and requested each allocation in trialdesk; \
the software, not a person, assigned the arm.\n",
        version = env!("CARGO_PKG_VERSION"),
        ratio = ratio.join(":"),
        arms = join_and(&arms),
    )
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A notice for admins.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = notices)]
pub struct Notice {
    pub id: String,
    pub created_at: NaiveDateTime,
    pub audience: String,
    pub kind: String,
    pub message: String,
    pub entity: String,
    pub entity_id: String,
}

/// Notices for admins, newest first.
pub fn list_notices(conn: &mut DbConn) -> QueryResult<Vec<Notice>> {
    notices::table.select(Notice::as_select()).order(notices::created_at.desc()).limit(500).load(conn)
}

/// Emergency unblinding of one participant: the reason is required, the act is audited, and
/// every admin gets a notice. Returns the arm id.
pub fn unblind(
    conn: &mut DbConn,
    ctx: &Context,
    participant_id: &str,
    reason: &str,
) -> Result<(Participant, String), AppError> {
    db::write_tx(conn, |c| {
        let p =
            participants::find(c, participant_id)?.ok_or_else(|| AppError::NotFound("participant".into()))?;
        let arm: String =
            allocations::table.find(&p.id).select(allocations::arm_id).first(c).optional()?.ok_or_else(
                || AppError::conflict("not_randomised", format!("{} has not been randomised", p.study_id)),
            )?;
        let now = db::now();
        let user = ctx.actor.id.clone().unwrap_or_else(|| "cli".into());
        diesel::insert_into(unblindings::table)
            .values((
                unblindings::id.eq(uuid::Uuid::now_v7().to_string()),
                unblindings::participant_id.eq(&p.id),
                unblindings::user_id.eq(&user),
                unblindings::reason.eq(reason),
                unblindings::unblinded_at.eq(now),
            ))
            .execute(c)?;
        diesel::insert_into(notices::table)
            .values(&Notice {
                id: uuid::Uuid::now_v7().to_string(),
                created_at: now,
                audience: "admin".into(),
                kind: "emergency_unblinding".into(),
                message: format!("{} was unblinded in an emergency by user {user}", p.study_id),
                entity: "participant".into(),
                entity_id: p.id.clone(),
            })
            .execute(c)?;
        let admins: Vec<String> = crate::auth::users::list(c)?
            .into_iter()
            .filter(|u| u.role() == crate::auth::Role::Admin && !u.disabled)
            .map(|u| u.id)
            .collect();
        for admin in admins {
            crate::outbox::enqueue(
                c,
                &format!("notice:unblinding:{}:{admin}", p.id),
                crate::outbox::Kind::AdminNotice,
                &crate::outbox::Recipient::User(admin.clone()),
                "en",
                serde_json::json!({"notice": format!("{} was unblinded in an emergency", p.study_id)}),
                now,
            )?;
        }
        audit::append(
            c,
            ctx,
            Event {
                action: "emergency_unblinding",
                entity: "participant",
                entity_id: &p.id,
                changes: vec![Change::set("unblinded_by", &user)],
                reason: Some(reason),
            },
        )?;
        Ok((p, arm))
    })
}
