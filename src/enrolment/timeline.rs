//! A participant's timeline: screened, enrolled, consented, randomised, withdrawn, with the audit
//! entries behind it, as the caller's role may see them: arms and process data as the blinding
//! policy says (`crate::blinding`); no exact answers or free-text reasons for statisticians.

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::participants;
use super::screening;
use crate::audit::{self, Entry, Filter};
use crate::auth::Role;
use crate::blinding::Sight;
use crate::db::DbConn;
use crate::i18n::Tr;
use crate::protocol::store;
use crate::service_error::ServiceError;
use crate::sites::Scope;

/// One event in a participant's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEvent {
    #[serde(serialize_with = "crate::json::utc")]
    pub at: NaiveDateTime,
    /// `screened`, `enrolled`, `consented`, `consent_voided`, `randomised`, `unblinded`, `withdrawn`,
    /// `contact_attempt`.
    pub event: String,
    pub detail: String,
}

/// A participant's history and the audit entries behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    pub study_id: String,
    pub events: Vec<TimelineEvent>,
    pub audit: Vec<Entry>,
}

/// The timeline of participant `id` (participant id or study id) as `role` may see it, its
/// details in English (the API's).
pub fn build(c: &mut DbConn, scope: &Scope, id: &str, role: Role) -> Result<Timeline, ServiceError> {
    build_in(c, scope, id, role, Tr::default())
}

/// The timeline with its details worded in `tr`'s language (a staff page's).
pub fn build_in(
    c: &mut DbConn,
    scope: &Scope,
    id: &str,
    role: Role,
    tr: Tr,
) -> Result<Timeline, ServiceError> {
    let (protocol, _) = store::current_parsed(c)?;
    let p = participants::find_or_404(c, scope, id)?;
    let mut events = Vec::new();
    if let Some(s) = screening::find(c, scope, &p.screening_id)? {
        events.push(TimelineEvent {
            at: s.screened_at,
            event: "screened".into(),
            detail: tr.a("timeline-detail-screened", "source", tr.word("source", &s.referral_source)),
        });
    }
    events.push(TimelineEvent { at: p.enrolled_at, event: "enrolled".into(), detail: p.study_id.clone() });
    for consent in super::consent::list_for(c, &p.id)? {
        let key = if consent.content_hash.is_some() {
            "timeline-detail-consented-own-link"
        } else {
            "timeline-detail-consented"
        };
        events.push(TimelineEvent {
            at: consent.signed_at,
            event: "consented".into(),
            detail: tr.a2(key, &("version", &consent.form_version), &("language", &consent.language)),
        });
        if let Some(at) = consent.voided_at {
            let why = consent.void_reason.unwrap_or_default();
            let detail =
                tr.a2("timeline-detail-voided", &("version", &consent.form_version), &("reason", why));
            events.push(TimelineEvent { at, event: "consent_voided".into(), detail });
        }
    }
    let sight = Sight::of(&protocol, role);
    let facts = participants::facts_of(c, &p.id)?;
    if let (Some(arm), Some(at)) = (&facts.arm_id, facts.randomised_at) {
        events.push(TimelineEvent {
            at,
            event: "randomised".into(),
            detail: sight.arm_name_in(&protocol, arm, tr),
        });
    }
    for mark in &facts.unblindings {
        let detail = tr.a("timeline-detail-unblinded", "account", &mark.user_id);
        events.push(TimelineEvent { at: mark.at, event: "unblinded".into(), detail });
    }
    if let Some(at) = p.withdrawn_at {
        let keep = if p.withdrawal_keep_data == Some(true) {
            "timeline-detail-data-kept"
        } else {
            "timeline-detail-data-not-used"
        };
        events.push(TimelineEvent { at, event: "withdrawn".into(), detail: tr.t(keep) });
    }
    // Retention work is the study team's, not the analysts'.
    if crate::auth::Permission::ReadContacts.allows(role) {
        for a in super::attempts::list_for(c, &p.id)? {
            let note = a.note.map(|n| format!(" ({n})")).unwrap_or_default();
            let (channel, outcome) =
                (tr.word("channel", a.channel.as_str()), tr.word("outcome", a.outcome.as_str()));
            let detail = format!("{channel}: {outcome}{note}");
            events.push(TimelineEvent { at: a.attempted_at, event: "contact_attempt".into(), detail });
        }
    }
    events.sort_by_key(|e| e.at);
    let mut entries = audit::list(
        c,
        &Filter {
            entity: Some("participant".into()),
            entity_id: Some(p.id.clone()),
            limit: Some(1000),
            ..Filter::default()
        },
    )?;
    entries.extend(audit::list(
        c,
        &Filter {
            entity: Some("screening".into()),
            entity_id: Some(p.screening_id.clone()),
            limit: Some(1000),
            ..Filter::default()
        },
    )?);
    entries.retain(|e| sight.shows_participant_action(&e.action));
    entries.sort_by_key(|e| e.seq);
    let statistician = matches!(role, Role::StatisticianBlinded | Role::StatisticianUnblinded);
    for e in &mut entries {
        e.changes = sight.audit_changes(&protocol, &e.changes);
        if statistician {
            // Exact answers (an age over 89) and free-text reasons can identify someone.
            e.changes = withhold(&e.changes, &["answers"]);
            e.reason = e.reason.as_ref().map(|_| "[withheld]".to_owned());
        }
    }
    Ok(Timeline { study_id: p.study_id, events, audit: entries })
}

/// Replaces the values of `fields` in audit changes with a marker.
fn withhold(changes: &str, fields: &[&str]) -> String {
    let Ok(mut list) = serde_json::from_str::<Vec<audit::Change>>(changes) else { return "[]".into() };
    for ch in list.iter_mut().filter(|c| fields.contains(&c.field.as_str())) {
        let marker = Some(Value::String("[withheld]".into()));
        ch.old = ch.old.as_ref().and(marker.clone());
        ch.new = ch.new.as_ref().and(marker);
    }
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
}
