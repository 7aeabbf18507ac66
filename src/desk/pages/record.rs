//! The participant's record (`/participants/{study id}`): everything about one person on one page,
//! and the forms that act on them. Contact details appear only when asked for, and each reveal
//! is audited; arms appear as the reader's blinding allows.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use crate::assessments::{self, status::Filter as AssessmentFilter};
use crate::auth::{Auth, Permission};
use crate::blinding::Sight;
use crate::desk::register::{self, Cell};
use crate::enrolment::participants::{self, ParticipantView};
use crate::enrolment::{Status, consent};
use crate::error::AppError;
use crate::protocol::Protocol;
use crate::state::AppState;
use crate::web::page::{self, Problems, staff_or_return, study_time};
use crate::web::{RespondHtml, csrf_of, not_found_page};

/// A time point on the record: its state, window and scores.
pub(super) struct ScheduleRow {
    pub label: String,
    pub cell: Cell,
    pub target: String,
    pub window: String,
    pub completed: String,
    /// `PHQ-9 12 (moderate)`, one per instrument scored.
    pub scores: Vec<String>,
    pub assessment_id: String,
}

pub(super) struct LinkRow {
    pub id: String,
    pub created: String,
    pub expires: String,
    pub state: String,
    pub live: bool,
}

pub(super) struct ConsentRow {
    pub id: String,
    pub version: String,
    pub signed: String,
    pub language: String,
    pub how: &'static str,
    /// E-consent: the start of the hash printed on the participant's copy.
    pub hash: Option<String>,
    /// When and why it was voided.
    pub voided: Option<String>,
}

/// The record's contents, loaded once; a refused form re-renders with them and its problems.
#[derive(Template)]
#[template(path = "desk/record.html")]
pub(super) struct RecordPage {
    pub role: String,
    pub csrf_token: String,
    pub zone: String,
    pub v: ParticipantView,
    pub status: String,
    pub arm: Option<String>,
    pub group: String,
    pub phase: String,
    pub strata: Vec<(String, String)>,
    pub contact: Option<participants::Contact>,
    pub may_read_contact: bool,
    pub consents: Vec<ConsentRow>,
    pub current_form: Option<String>,
    pub may_consent: bool,
    /// May void a consent recorded in error.
    pub may_void: bool,
    pub may_randomise: bool,
    pub may_withdraw: bool,
    pub may_manage_links: bool,
    pub schedule: Vec<ScheduleRow>,
    pub links: Vec<LinkRow>,
    pub alerts: Vec<(String, String, String)>,
    pub timeline: Vec<(String, String, String)>,
    /// Contact attempts, newest first: when, how, what came of it, the note.
    pub attempts: Vec<(String, &'static str, &'static str, String)>,
    pub may_record_attempt: bool,
    pub languages: Vec<(String, String)>,
    /// Problems of the consent form (or of a link's revocation), and what was typed.
    pub problems: Problems,
    pub typed_signature: String,
    /// A message after an action (`?done=…`).
    pub notice: Option<String>,
    /// A link just made: its address, shown this once.
    pub new_link: Option<String>,
    /// Its QR code, an inline SVG made here (no script, nothing fetched).
    pub new_link_qr: String,
    pub enrolled: String,
    /// The participant's own time zone, when it is not the study's.
    pub participant_zone: Option<String>,
    pub withdrawn: Option<String>,
}

impl RecordPage {
    /// The record of `id` as `auth` may see it; `show_contact` reveals (and audits) contact details.
    pub async fn load(
        state: &AppState,
        auth: &Auth,
        id: String,
        show_contact: bool,
    ) -> Result<Option<RecordPage>, AppError> {
        let (scope, role, ctx) = (auth.scope.clone(), auth.user.role(), auth.context());
        let library = state.instruments.clone();
        let show_contact = show_contact && Permission::ReadContacts.allows(role);
        // A read, unless the contact details are revealed: that is audited, so a write.
        let read = move |c: &mut crate::db::DbConn| {
            let Some(p) = participants::find(c, &scope, &id)? else { return Ok(None) };
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let view = participants::view_now(c, &p, role)?;
            let row = register::describe(c, &protocol, vec![p.clone()])?.pop();
            let contact = if show_contact { participants::read_contact(c, &ctx, &p.id)? } else { None };
            let consents = consent::list_for(c, &p.id)?;
            let schedule = assessments::list(c, &protocol, &scope, AssessmentFilter::All, Some(&p.id))?;
            let mut scored = Vec::new();
            for a in schedule {
                let scores = assessments::responses::scores_of(c, &a.assessment.id)?;
                scored.push((a, scores));
            }
            let links = crate::survey::links::list_for(c, &p.id)?;
            let alerts: Vec<_> = crate::safety::list(c, &scope, false)?
                .into_iter()
                .filter(|(a, _)| a.participant_id == p.id)
                .collect();
            let timeline = crate::enrolment::timeline::build(c, &scope, &p.id, role)?;
            let attempts = if Permission::ReadContacts.allows(role) {
                crate::enrolment::attempts::list_for(c, &p.id)?
            } else {
                Vec::new()
            };
            Ok(Some((protocol, view, row, contact, consents, scored, links, alerts, (timeline, attempts))))
        };
        let found = if show_contact { state.write(read).await? } else { state.run(read).await? };
        let Some((protocol, v, row, contact, consents, scored, links, alerts, (timeline, attempts))) = found
        else {
            return Ok(None);
        };
        let tz = protocol.time_zone();
        let at = |t| study_time(tz, t);
        let sight = Sight::of(&protocol, role);
        let now = crate::db::now();
        let live = v.status != Status::Withdrawn;
        let current_form = protocol.consent_form_today(&v.site).map(|f| f.version.get_ref().clone());
        // No standing consent to the form in force: never consented, a newer form approved since,
        // or the consent voided. Randomised participants re-consent too.
        let to_consent = current_form.is_some() && v.consent_form_version != current_form;
        let status_text = match (v.status, to_consent) {
            (Status::Enrolled, true) if v.needs_reconsent => {
                "enrolled: to be re-consented to the form now in force".to_owned()
            }
            (Status::Randomised, true) => {
                "randomised: to be re-consented to the form now in force".to_owned()
            }
            (s, _) => crate::enrolment::enum_text(&s),
        };
        Ok(Some(RecordPage {
            role: role.to_string(),
            csrf_token: csrf_of(auth),
            zone: protocol.study.time_zone.get_ref().clone(),
            status: status_text,
            arm: v
                .arm
                .as_ref()
                .map(|a| a.label.clone().map_or_else(|| a.code.clone(), |l| format!("{} ({l})", a.code))),
            group: row
                .as_ref()
                .and_then(|r| r.group.clone())
                .map(|g| g.1)
                .filter(|_| sight.shows_process())
                .unwrap_or_default(),
            phase: row
                .as_ref()
                .and_then(|r| r.phase.clone())
                .filter(|_| sight.shows_process())
                .unwrap_or_default()
                .replace('_', " "),
            strata: strata_lines(&protocol, &v),
            may_read_contact: Permission::ReadContacts.allows(role),
            contact,
            consents: consents
                .into_iter()
                .map(|k| ConsentRow {
                    id: k.id,
                    hash: k.content_hash.map(|h| h.chars().take(16).collect()),
                    voided: k
                        .voided_at
                        .map(|t| format!("voided {}: {}", at(t), k.void_reason.unwrap_or_default())),
                    version: k.form_version,
                    signed: at(k.signed_at),
                    language: super::register::language_name(&k.language).to_owned(),
                    how: if k.witness_user_id.is_some() {
                        "witnessed by staff"
                    } else {
                        "signed on their own link"
                    },
                })
                .collect(),
            may_void: Permission::Enrol.allows(role),
            may_consent: live && Permission::Enrol.allows(role) && to_consent,
            current_form,
            may_randomise: live && Permission::Randomise.allows(role) && v.status == Status::Consented,
            may_withdraw: live && Permission::Enrol.allows(role),
            may_manage_links: live && Permission::ManageAssessments.allows(role),
            schedule: scored
                .into_iter()
                .map(|(l, scores)| schedule_row(&protocol, &library, l, scores, today_text(&protocol)))
                .collect(),
            links: links
                .into_iter()
                .map(|k| {
                    let (state, live) = match (k.revoked_at, k.expires_at <= now) {
                        (Some(t), _) => (format!("revoked {}", at(t)), false),
                        (None, true) => ("expired".to_owned(), false),
                        (None, false) => (
                            k.last_used_at.map_or_else(
                                || "not used yet".to_owned(),
                                |t| format!("last used {}", at(t)),
                            ),
                            true,
                        ),
                    };
                    LinkRow { id: k.id, created: at(k.created_at), expires: at(k.expires_at), state, live }
                })
                .collect(),
            alerts: alerts
                .into_iter()
                .map(|(a, _)| (a.id, format!("{}: {}", at(a.created_at), a.meaning), a.status.to_string()))
                .collect(),
            timeline: timeline
                .events
                .into_iter()
                .map(|e| (at(e.at), e.event.replace('_', " "), e.detail))
                .collect(),
            attempts: attempts
                .into_iter()
                .map(|a| {
                    (at(a.attempted_at), a.channel.label(), a.outcome.label(), a.note.unwrap_or_default())
                })
                .collect(),
            may_record_attempt: live && Permission::Enrol.allows(role),
            languages: super::register::study_languages(&protocol),
            problems: Problems::default(),
            typed_signature: String::new(),
            notice: None,
            new_link: None,
            new_link_qr: String::new(),
            enrolled: at(v.enrolled_at),
            participant_zone: v.time_zone.clone(),
            withdrawn: v.withdrawn_at.map(at),
            v,
        }))
    }
}

fn today_text(protocol: &Protocol) -> String {
    protocol.today().format("%Y-%m-%d").to_string()
}

fn strata_lines(protocol: &Protocol, v: &ParticipantView) -> Vec<(String, String)> {
    protocol
        .stratification
        .iter()
        .map(|f| {
            let level = v
                .strata
                .get(f.id.get_ref())
                .and_then(|l| l.as_str())
                .map_or_else(|| "—".to_owned(), |l| f.level_label(l, "en"));
            (f.label.clone(), level)
        })
        .collect()
}

fn schedule_row(
    protocol: &Protocol,
    library: &crate::instruments::Library,
    l: assessments::Listed,
    scores: Vec<assessments::responses::StoredScore>,
    today: String,
) -> ScheduleRow {
    let tz = protocol.time_zone();
    let a = l.assessment;
    let cell = match a.status {
        assessments::status::Status::Open if a.target_date.as_ref().is_some_and(|t| *t < today) => {
            Cell::PastTarget
        }
        assessments::status::Status::Open => Cell::Open,
        assessments::status::Status::Scheduled => Cell::Scheduled,
        assessments::status::Status::Completed => Cell::Completed,
        assessments::status::Status::Missed => Cell::Missed,
        assessments::status::Status::NotApplicable => Cell::NotApplicable,
    };
    let window = match (a.opens_at, a.closes_at) {
        (Some(o), Some(c)) => {
            format!("{} to {}", page::study_day(tz, o), page::study_day(tz, c - chrono::Duration::seconds(1)))
        }
        _ => "when the group starts".to_owned(),
    };
    ScheduleRow {
        label: protocol.timepoint(&a.timepoint).map_or_else(|| a.timepoint.clone(), |t| t.label.clone()),
        cell,
        target: a.target_date.clone().unwrap_or_default(),
        window,
        completed: a.completed_at.map(|t| study_time(tz, t)).unwrap_or_default(),
        scores: scores
            .into_iter()
            .map(|s| {
                let total = s.total.map_or_else(|| "not scored".to_owned(), |t| t.to_string());
                let band = s.band.map(|b| format!(" ({})", b.replace('_', " "))).unwrap_or_default();
                let name =
                    library.get(&s.instrument).map_or_else(|| s.instrument.clone(), |i| i.short_name.clone());
                format!("{name} {total}{band}")
            })
            .collect(),
        assessment_id: a.id,
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct RecordQuery {
    /// `show`: reveal the contact details (audited).
    contact: Option<String>,
    /// What was just done, for the notice at the top.
    done: Option<String>,
}

/// The notice for `?done=…` after a form's redirect.
fn notice(done: &str) -> Option<String> {
    Some(
        match done {
            "consent" => "Consent recorded.",
            "void" => "The consent was voided. It stays on the record, struck through, with the reason.",
            "invitation" => "An invitation with a fresh link is on its way to the participant's e-mail.",
            "withdrawal" => {
                "Withdrawal recorded: questionnaires and messages to this participant have stopped."
            }
            "attempt" => "Contact attempt recorded.",
            "correction" => "The record was corrected.",
            "revocation" => "The link was revoked: it no longer opens anything.",
            "enrolment" => "Enrolled. Record consent next.",
            _ => return None,
        }
        .to_owned(),
    )
}

#[get("/participants/{id}")]
pub(super) async fn record(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    query: web::Query<RecordQuery>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadParticipants);
    let show = query.contact.as_deref() == Some("show");
    match RecordPage::load(&state, &auth, path.into_inner(), show).await? {
        Some(mut page) => {
            page.notice = query.done.as_deref().and_then(notice);
            Ok(page.respond_to_html())
        }
        None => Ok(not_found_participant(&auth)),
    }
}

/// Whether participant `id` is within the account's sites: a form about someone else's
/// participant answers 404 before anything it says is judged, as the API does.
pub(super) async fn visible(state: &AppState, auth: &Auth, id: &str) -> Result<bool, AppError> {
    let (scope, id) = (auth.scope.clone(), id.to_owned());
    state.run(move |c| Ok(participants::find(c, &scope, &id)?.is_some())).await
}

/// A participant who does not exist, or belongs to another site.
pub(super) fn not_found_participant(auth: &Auth) -> HttpResponse {
    not_found_page(auth, "participant record", "/participants", "Back to the participants")
}
