//! What each follow-up queue says is due for a participant: the questionnaires past their target
//! date, or how long someone has waited for randomisation or for a group.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::register::Need;
use crate::assessments::status::Status as AssessmentStatus;
use crate::db::DbConn;
use crate::db::schema::{assessments, consents, participant_phases};
use crate::groups::status::PhaseKind;
use crate::i18n::Tr;
use crate::protocol::Protocol;

/// For each of `ids`, a sentence of what is due in queue `need`, in the language of `tr`.
pub fn waiting(
    conn: &mut DbConn,
    protocol: &Protocol,
    need: Need,
    ids: &[String],
    tr: Tr,
) -> QueryResult<BTreeMap<String, String>> {
    let today = protocol.today();
    let days = |since: NaiveDate| (today - since).num_days();
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    match need {
        Need::Overdue => {
            let rows: Vec<(String, String, Option<String>)> = assessments::table
                .filter(assessments::participant_id.eq_any(ids))
                .filter(assessments::status.eq(AssessmentStatus::Open))
                .filter(assessments::target_date.lt(today.format("%Y-%m-%d").to_string()))
                .order(assessments::target_date.asc())
                .select((assessments::participant_id, assessments::timepoint, assessments::target_date))
                .load(conn)?;
            for (pid, tp, target) in rows {
                let label = protocol.timepoint(&tp).map_or(tp.clone(), |t| t.label_in(tr.lang()).to_owned());
                let line =
                    tr.a2("queue-due-target", &("label", label), &("date", target.unwrap_or_default()));
                out.entry(pid).and_modify(|s| s.push_str(&format!("; {line}"))).or_insert(line);
            }
        }
        Need::AwaitingRandomisation | Need::Unconsented => {
            let rows: Vec<(String, chrono::NaiveDateTime)> = consents::table
                .filter(consents::participant_id.eq_any(ids))
                .filter(consents::voided_at.is_null())
                .order(consents::signed_at.asc())
                .select((consents::participant_id, consents::signed_at))
                .load(conn)?;
            for (pid, at) in rows {
                out.insert(pid, tr.n("queue-due-consented", days(at.date())));
            }
        }
        Need::AwaitingGroup => {
            let rows: Vec<(String, String)> = participant_phases::table
                .filter(participant_phases::participant_id.eq_any(ids))
                .filter(participant_phases::phase.eq(PhaseKind::Queued))
                .filter(participant_phases::ended_on.is_null())
                .select((participant_phases::participant_id, participant_phases::started_on))
                .load(conn)?;
            for (pid, since) in rows {
                if let Ok(day) = NaiveDate::parse_from_str(&since, "%Y-%m-%d") {
                    out.insert(pid, tr.n("queue-due-queued", days(day)));
                }
            }
        }
    }
    Ok(out)
}
