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
use crate::i18n::Tr;
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
    /// `Form 1.0, <when>, in English, witnessed by staff`, in the page's language.
    pub line: String,
    /// E-consent: the start of the hash printed on the participant's copy.
    pub hash: Option<String>,
    /// When and why it was voided.
    pub voided: Option<String>,
}

/// The record's contents, loaded once; a refused form re-renders with them and its problems.
#[derive(Template)]
#[template(path = "desk/record.html")]
pub(super) struct RecordPage {
    pub tr: Tr,
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
    /// Id, when, what it means (the instrument's English), its state.
    pub alerts: Vec<(String, String, String, String)>,
    pub timeline: Vec<(String, String, String)>,
    /// Contact attempts, newest first: when, how, what came of it, the note.
    pub attempts: Vec<(String, String, String, String)>,
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
        let tr = auth.tr();
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
            let timeline = crate::enrolment::timeline::build_in(c, &scope, &p.id, role, tr)?;
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
            (Status::Enrolled, true) if v.needs_reconsent => tr.t("record-status-enrolled-reconsent"),
            (Status::Randomised, true) => tr.t("record-status-randomised-reconsent"),
            (s, _) => tr.word("record-status", &crate::enrolment::enum_text(&s)),
        };
        Ok(Some(RecordPage {
            tr,
            role: role.to_string(),
            csrf_token: csrf_of(auth),
            zone: protocol.study.time_zone.get_ref().clone(),
            status: status_text,
            arm: v.arm.clone().map(|a| a.in_language(&protocol, tr.lang())).map(|a| {
                let code = a.code;
                a.label.map_or_else(|| code.clone(), |l| format!("{code} ({l})"))
            }),
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
                .map(|p| tr.or(&format!("record-phase-{p}"), &p.replace('_', " ")))
                .unwrap_or_default(),
            strata: strata_lines(tr, &protocol, &v),
            may_read_contact: Permission::ReadContacts.allows(role),
            contact,
            consents: consents
                .into_iter()
                .map(|k| {
                    let how = if k.witness_user_id.is_some() {
                        "consent-how-witnessed"
                    } else {
                        "consent-how-own-link"
                    };
                    let line = tr.args(
                        "consent-line",
                        &[
                            ("version", &k.form_version),
                            ("signed", &at(k.signed_at)),
                            ("language", &tr.word("consent-language", &k.language)),
                            ("how", &tr.t(how)),
                        ],
                    );
                    ConsentRow {
                        id: k.id,
                        line,
                        hash: k.content_hash.map(|h| h.chars().take(16).collect()),
                        voided: k.voided_at.map(|t| {
                            tr.a2(
                                "consent-voided",
                                &("when", at(t)),
                                &("reason", k.void_reason.unwrap_or_default()),
                            )
                        }),
                    }
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
                .map(|(l, scores)| schedule_row(tr, &protocol, &library, l, scores, today_text(&protocol)))
                .collect(),
            links: links
                .into_iter()
                .map(|k| {
                    let (state, live) = match (k.revoked_at, k.expires_at <= now) {
                        (Some(t), _) => (tr.a("link-state-revoked", "when", at(t)), false),
                        (None, true) => (tr.t("link-state-expired"), false),
                        (None, false) => (
                            k.last_used_at.map_or_else(
                                || tr.t("link-state-unused"),
                                |t| tr.a("link-state-used", "when", at(t)),
                            ),
                            true,
                        ),
                    };
                    LinkRow { id: k.id, created: at(k.created_at), expires: at(k.expires_at), state, live }
                })
                .collect(),
            alerts: alerts
                .into_iter()
                .map(|(a, _)| (a.id, at(a.created_at), a.meaning, tr.word("record-alert", a.status.as_str())))
                .collect(),
            timeline: timeline
                .events
                .into_iter()
                .map(|e| {
                    (at(e.at), tr.or(&format!("timeline-{}", e.event), &e.event.replace('_', " ")), e.detail)
                })
                .collect(),
            attempts: attempts
                .into_iter()
                .map(|a| {
                    (
                        at(a.attempted_at),
                        tr.or(&format!("record-channel-{}", a.channel.as_str()), a.channel.label()),
                        tr.or(&format!("record-outcome-{}", a.outcome.as_str()), a.outcome.label()),
                        a.note.unwrap_or_default(),
                    )
                })
                .collect(),
            may_record_attempt: live && Permission::Enrol.allows(role),
            languages: protocol
                .study
                .languages
                .get_ref()
                .iter()
                .map(|l| (l.get_ref().clone(), tr.word("record-language", l.get_ref())))
                .collect(),
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

fn strata_lines(tr: Tr, protocol: &Protocol, v: &ParticipantView) -> Vec<(String, String)> {
    protocol
        .stratification
        .iter()
        .map(|f| {
            let level = v
                .strata
                .get(f.id.get_ref())
                .and_then(|l| l.as_str())
                .map_or_else(|| "—".to_owned(), |l| f.level_label(l, tr.lang()));
            (f.label_in(tr.lang()).to_owned(), level)
        })
        .collect()
}

fn schedule_row(
    tr: Tr,
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
        (Some(o), Some(c)) => tr.a2(
            "record-window",
            &("from", page::study_day(tz, o)),
            &("to", page::study_day(tz, c - chrono::Duration::seconds(1))),
        ),
        _ => tr.t("record-window-group"),
    };
    ScheduleRow {
        label: protocol
            .timepoint(&a.timepoint)
            .map_or_else(|| a.timepoint.clone(), |t| t.label_in(tr.lang()).to_owned()),
        cell,
        target: a.target_date.clone().unwrap_or_default(),
        window,
        completed: a.completed_at.map(|t| study_time(tz, t)).unwrap_or_default(),
        scores: scores
            .into_iter()
            .map(|s| {
                let instrument = library.get(&s.instrument);
                let total = s.total.map_or_else(|| tr.t("record-score-none"), |t| t.to_string());
                // The band is stored in English: shown in the page's language from the instrument.
                let band = s
                    .band
                    .map(|b| {
                        let label =
                            instrument.map_or_else(|| b.replace('_', " "), |i| i.band_in(&b, tr.lang()));
                        format!(" ({label})")
                    })
                    .unwrap_or_default();
                let name = instrument.map_or_else(|| s.instrument.clone(), |i| i.short_name.clone());
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

/// The key of the notice for `?done=…` after a form's redirect.
fn notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "consent" => "record-done-consent",
        "void" => "record-done-void",
        "invitation" => "record-done-invitation",
        "withdrawal" => "record-done-withdrawal",
        "attempt" => "record-done-attempt",
        "correction" => "record-done-correction",
        "revocation" => "record-done-revocation",
        "enrolment" => "record-done-enrolment",
        _ => return None,
    })
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
            let tr = auth.tr();
            page.notice = query.done.as_deref().and_then(notice).map(|key| tr.t(key));
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
    let tr = auth.tr();
    not_found_page(
        auth,
        &tr.t("record-not-found-what"),
        "/participants",
        &tr.t("record-back-to-participants"),
    )
}

/// A refused form's problems placed on the record page, where the form was: a missing reason
/// under `reason_field`, anything else (a conflict) under `other_field`. `Problems::from_refusal`
/// has already put them in the page's language.
pub(super) fn reason_problems(found: &Problems, reason_field: &str, other_field: &str) -> Problems {
    let mut problems = Problems::default();
    for (field, message) in found.all() {
        problems.add(if field == "reason" { reason_field } else { other_field }, message);
    }
    problems
}
