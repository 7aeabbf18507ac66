//! The overview: the study at a glance, what needs attention today, recruitment, arms, blinding,
//! targets and the schedule, in the reader's language.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{RespondHtml, csrf_of, page, redirect, staff_page};
use crate::auth::{Auth, Permission, Role};
use crate::blinding::Sight;
use crate::enrolment::screening::Outcome;
use crate::enrolment::summary::Recruitment;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::protocol::{Protocol, store};
use crate::safety::AlertStatus;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    tr: Tr,
    role: String,
    csrf_token: String,
    study_code: String,
    study_name: String,
    /// The language the protocol's one-language texts are written in (its first), so that a
    /// screen reader on a Spanish page reads an English study name as English.
    protocol_lang: String,
    protocol_version: i32,
    randomisation_started: Option<String>,
    arms: Vec<(String, String, i64)>,
    /// Who is kept blind, what they see, and whether the reader is one of them.
    blinding: Vec<String>,
    enrolment_target: i64,
    diversity: Vec<String>,
    /// Group size, sessions and their length.
    groups_line: String,
    timepoints: Vec<String>,
    /// Recruitment lines, for roles that may read participants.
    recruitment: Vec<String>,
    /// What needs attention, for roles that handle it: a sentence and where to act on it.
    attention: Vec<(String, Option<String>)>,
}

#[get("/")]
pub(super) async fn home(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
) -> Result<HttpResponse, AppError> {
    let auth = match staff_page(auth, Permission::ReadProtocol)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    // A moderator's home is their groups.
    if auth.user.role() == Role::Moderator {
        return Ok(redirect("/groups"));
    }
    let (role, scope, tr) = (auth.user.role(), auth.scope.clone(), auth.tr());
    let (stored, started, summary, attention) = state
        .run(move |c| {
            let stored = store::current(c)?.ok_or_else(|| AppError::NotFound("protocol".into()))?;
            let summary = if Permission::ReadParticipants.allows(role) {
                Some(crate::enrolment::summary::recruitment(c, &*stored.parsed()?, &scope, role)?)
            } else {
                None
            };
            let attention = attention_lines(c, &*stored.parsed()?, &scope, role, tr)?;
            Ok((stored, store::randomisation_started(c)?, summary, attention))
        })
        .await?;
    let p = stored.parsed()?;
    let sight = Sight::of(&p, role);
    let page = HomePage {
        tr,
        role: role.to_string(),
        csrf_token: csrf_of(&auth),
        study_code: p.study.code.get_ref().clone(),
        study_name: p.study.name.clone(),
        protocol_lang: p
            .study
            .languages
            .get_ref()
            .first()
            .map_or_else(|| "en".to_owned(), |l| l.get_ref().clone()),
        protocol_version: stored.version,
        randomisation_started: started.map(|t| page::study_time(p.time_zone(), t)),
        arms: p
            .arms
            .iter()
            .map(|a| {
                let label = sight.arm_name_in(&p, a.id.get_ref(), tr);
                (a.code.get_ref().clone(), label, *a.ratio.get_ref())
            })
            .collect(),
        blinding: blinding_lines(&p, sight, tr),
        enrolment_target: *p.enrolment.target.get_ref(),
        diversity: p
            .enrolment
            .diversity_targets
            .iter()
            .map(|t| {
                tr.a2(
                    "home-diversity-target",
                    &("label", &t.label),
                    &("share", percent(*t.min_share.get_ref())),
                )
            })
            .collect(),
        groups_line: tr.args(
            "home-groups",
            &[
                ("capacity", p.groups.capacity.get_ref()),
                ("sessions", p.groups.sessions.get_ref()),
                ("minutes", p.groups.session_minutes.get_ref()),
            ],
        ),
        recruitment: summary.map(|r| recruitment_lines(&r, tr)).unwrap_or_default(),
        attention,
        timepoints: p
            .assessments
            .iter()
            .map(|t| {
                let instruments =
                    t.instruments.get_ref().iter().map(|i| i.get_ref().as_str()).collect::<Vec<_>>();
                tr.args(
                    "home-timepoint",
                    &[
                        ("label", &t.label_in(tr.lang())),
                        ("day", t.offset_days.get_ref()),
                        ("instruments", &instruments.join(", ")),
                    ],
                )
            })
            .collect(),
    };
    Ok(page.respond_to_html())
}

/// A share as a whole percentage (`0.3` → `30`).
fn percent(share: f64) -> String {
    format!("{:.0}", share * 100.0)
}

/// The protocol's blinding, in sentences, ending with what it means for the reader.
fn blinding_lines(p: &Protocol, sight: Sight, tr: Tr) -> Vec<String> {
    let names: Vec<String> = p.blinded_roles().into_iter().map(|r| tr.word("role", r.as_str())).collect();
    let mut lines = vec![tr.a("home-blind-roles", "roles", names.join(", "))];
    lines.push(tr.t(if p.blinded_see_process() {
        "home-blind-process-shown"
    } else {
        "home-blind-process-withheld"
    }));
    if sight.is_blinded() {
        lines.push(tr.t(match p.arms.first().and_then(|a| sight.arm(p, a.id.get_ref())) {
            Some(_) => "home-blind-you-codes",
            None => "home-blind-you-none",
        }));
    }
    lines
}

/// What needs someone today, each line with the page to act on it: safety alerts, the
/// follow-up queues with their counts, questionnaires open and missed.
fn attention_lines(
    c: &mut crate::db::DbConn,
    protocol: &Protocol,
    scope: &crate::sites::Scope,
    role: Role,
    tr: Tr,
) -> Result<Vec<(String, Option<String>)>, AppError> {
    let mut lines = Vec::new();
    if Permission::HandleAlerts.allows(role) {
        let now = crate::db::now();
        let alerts = crate::safety::list(c, scope, true)?;
        let open = alerts.iter().filter(|(a, _)| a.status == AlertStatus::Open).count();
        let overdue = alerts.iter().filter(|(a, _)| a.status.is_overdue(a.due_at, now)).count();
        let acknowledged = alerts.len() - open;
        let line = tr.args(
            "home-attention-alerts",
            &[("open_n", &open), ("overdue_n", &overdue), ("acknowledged_n", &acknowledged)],
        );
        lines.push((line, Some("/alerts".to_owned())));
    }
    if Permission::ReadContacts.allows(role) {
        use crate::desk::register::{self, Filter, Need};
        for need in [Need::Overdue, Need::AwaitingRandomisation, Need::AwaitingGroup] {
            let filter = Filter { need: Some(need), ..Filter::default() };
            let total = register::page(c, protocol, scope, &filter, 0, 0)?.total;
            let line = tr.a2("home-attention-queue", &("queue", tr.t(need.key())), &("n", total));
            lines.push((line, Some(format!("/queues/{}", need.as_str()))));
        }
    }
    if Permission::ReadAssessments.allows(role) {
        let (open, overdue, missed) = crate::assessments::counts(c, protocol, scope)?;
        let line = tr.args(
            "home-attention-questionnaires",
            &[("open_n", &open), ("overdue_n", &overdue), ("missed_n", &missed)],
        );
        lines.push((line, Some("/assessments".to_owned())));
    }
    Ok(lines)
}

/// The recruitment summary as sentences for the overview page.
fn recruitment_lines(r: &Recruitment, tr: Tr) -> Vec<String> {
    let count = |o: Outcome| r.screened.get(o.as_str()).copied().unwrap_or(0);
    let screened: i64 = r.screened.values().sum();
    let eligible = count(Outcome::Eligible) + count(Outcome::Enrolled);
    let mut lines = vec![
        tr.args(
            "home-recruit-screened",
            &[
                ("screened_n", &screened),
                ("eligible_n", &eligible),
                ("ineligible_n", &count(Outcome::Ineligible)),
                ("declined_n", &count(Outcome::Declined)),
            ],
        ),
        tr.args(
            "home-recruit-enrolled",
            &[
                ("enrolled_n", &r.enrolled),
                ("randomised_n", &r.randomised),
                ("target", &r.target),
                ("share", &percent(r.target_share)),
                ("withdrawn_n", &r.withdrawn),
            ],
        ),
    ];
    for a in &r.by_arm {
        let arm = a
            .arm
            .label
            .as_ref()
            .map_or_else(|| tr.a("home-arm-code", "code", &a.arm.code), |l| format!("{l} ({})", a.arm.code));
        lines.push(tr.a2("home-recruit-arm", &("arm", arm), &("n", a.randomised)));
    }
    for d in &r.diversity {
        let now = d.share.map_or_else(
            || tr.t("home-diversity-none-yet"),
            |s| tr.a("home-diversity-share", "share", percent(s)),
        );
        let state = tr.t(if d.met { "home-diversity-met" } else { "home-diversity-not-met" });
        lines.push(tr.args(
            "home-recruit-diversity",
            &[("label", &d.label), ("now", &now), ("target", &percent(d.min_share)), ("state", &state)],
        ));
    }
    // Per site once there are several, or when the account sees only some of them.
    if r.by_site.len() > 1 || r.by_site.first().is_some_and(|s| s.site != crate::sites::DEFAULT_SITE) {
        for s in &r.by_site {
            let target = s.target.map_or_else(
                || tr.t("home-site-no-target"),
                |t| {
                    let share = format!("{:.0}", 100.0 * s.randomised as f64 / f64::from(t.max(1)));
                    tr.a2("home-site-target", &("target", t), &("share", share))
                },
            );
            lines.push(tr.args(
                "home-recruit-site",
                &[
                    ("name", &s.name),
                    ("site", &s.site),
                    ("status", &tr.word("site-status", &s.status)),
                    ("screened_n", &s.screened),
                    ("enrolled_n", &s.enrolled),
                    ("randomised_n", &s.randomised),
                    ("target", &target),
                ],
            ));
        }
    }
    lines
}
