//! Replay: re-derive every allocation from the key, to show the sequence was followed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::allocate::{Allocation, Earlier, StudyKey, allocation_strata, compute_arm, stratum_key};
use super::engine::{ALGORITHM, ALGORITHM_V1};
use crate::db::DbConn;
use crate::db::schema::{allocations, participants as participants_table};
use crate::protocol::{Protocol, store};

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
    let mut past: Vec<Earlier> = Vec::new();
    let mut mismatches = Vec::new();
    for (expected_seq, (a, strata_text, study_id)) in (1i64..).zip(&rows) {
        if let std::collections::hash_map::Entry::Vacant(slot) = protocols.entry(a.protocol_version) {
            let stored = store::get(conn, a.protocol_version)?
                .ok_or_else(|| anyhow::anyhow!("protocol version {} is missing", a.protocol_version))?;
            slot.insert(stored.parsed().map_err(|e| anyhow::anyhow!("{e}"))?);
        }
        let protocol = &protocols[&a.protocol_version];
        // The site stored with the allocation: a later transfer does not change the stratum.
        let strata: BTreeMap<String, String> = allocation_strata(protocol, strata_text, &a.site);
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
        if a.algorithm != ALGORITHM && a.algorithm != ALGORITHM_V1 {
            mismatches.push(format!(
                "{study_id}: made with algorithm {}, this build replays {ALGORITHM_V1} and {ALGORITHM}",
                a.algorithm
            ));
        }
        let (arm, slot) =
            compute_arm(key, protocol, &a.algorithm, a.seq, &stratum, *index as usize, &strata, &past);
        let expected_arm = protocol.arms[arm].id.get_ref();
        if *expected_arm != a.arm_id {
            mismatches.push(format!("{study_id}: allocated {} but the key gives {expected_arm}", a.arm_id));
        }
        let stored_slot = a.slot.and_then(|s| usize::try_from(s).ok());
        if slot != stored_slot {
            mismatches.push(format!("{study_id}: took slot {stored_slot:?} but the key gives {slot:?}"));
        }
        *index += 1;
        let stored_arm = protocol.arms.iter().position(|x| *x.id.get_ref() == a.arm_id).unwrap_or(arm);
        past.push(Earlier { strata, arm: stored_arm, slot: stored_slot });
    }
    Ok(ReplayReport { allocations_checked: rows.len(), mismatches })
}
