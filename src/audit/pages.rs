//! The audit trail for administrators: entries filtered by participant, account, action and
//! dates (the study's days), the newest first; the chain verified from the page; the whole trail
//! as CSV through the API's export.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{Entry, Filter, Verification};
use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, study_time, with_status};
use crate::web::{RespondHtml, csrf_of};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(trail);
}

/// How many entries the page shows; the CSV holds them all.
const SHOWN: i64 = 200;

/// The filter form: a participant's study id, an account's e-mail, an action, and days.
#[derive(Debug, Default, Deserialize)]
struct Query {
    #[serde(default)]
    participant: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    verify: Option<String>,
}

/// An entry as the page shows it.
struct Row {
    seq: i64,
    at: String,
    who: String,
    action: String,
    what: String,
    changes: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "audit/trail.html")]
struct TrailPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    rows: Vec<Row>,
    query: Query,
    verification: Option<Verification>,
    problems: Problems,
    zone: String,
}

/// The fields each change names, with old → new; values the trail redacted stay redacted.
fn changes(raw: &str) -> String {
    let list: Vec<serde_json::Value> = serde_json::from_str(raw).unwrap_or_default();
    let show = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    list.iter()
        .map(|c| format!("{}: {} → {}", show(&c["field"]), show(&c["old"]), show(&c["new"])))
        .collect::<Vec<_>>()
        .join("; ")
}

#[get("/audit-trail")]
async fn trail(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadAudit);
    let (tr, query) = (auth.tr(), query.into_inner());
    let mut problems = Problems::default();
    let day = |raw: &str, field: &str, problems: &mut Problems| -> Option<NaiveDate> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| problems.add(field, tr.t("refusal-start-date")))
            .ok()
    };
    let (from, to) = (day(&query.from, "from", &mut problems), day(&query.to, "to", &mut problems));
    let (participant, account, action) = (
        query.participant.trim().to_owned(),
        query.account.trim().to_owned(),
        query.action.trim().to_owned(),
    );
    let verify = query.verify.is_some();
    let found = state
        .run(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let tz = protocol.time_zone();
            // The study's days, as the page shows times.
            let midnight =
                |d: NaiveDate| crate::calendar::local_to_utc(d, chrono::NaiveTime::MIN, tz).naive_utc();
            let mut filter = Filter {
                action: Some(action).filter(|a| !a.is_empty()),
                since: from.map(midnight),
                until: to.map(|d| midnight(d + chrono::Duration::days(1))),
                newest_first: true,
                limit: Some(SHOWN),
                ..Filter::default()
            };
            if !participant.is_empty() {
                let Some(p) =
                    crate::enrolment::participants::find(c, &crate::sites::Scope::All, &participant)?
                else {
                    return Ok(None);
                };
                filter.entity_id = Some(p.id);
            }
            if !account.is_empty() {
                let Some(u) = crate::auth::users::find_by_email(c, &account)? else { return Ok(None) };
                filter.actor_id = Some(u.id);
            }
            let entries: Vec<Entry> = super::list(c, &filter)?;
            let verification = if verify { Some(super::verify(c)?) } else { None };
            let names: std::collections::BTreeMap<String, String> =
                crate::auth::users::list(c)?.into_iter().map(|u| (u.id, u.email)).collect();
            Ok(Some((entries, verification, names, tz)))
        })
        .await?;
    let (rows, verification, zone) = match found {
        Some((entries, verification, names, tz)) => {
            let rows = entries
                .into_iter()
                .map(|e| Row {
                    seq: e.seq,
                    at: study_time(tz, e.at),
                    who: e
                        .actor_id
                        .as_ref()
                        .and_then(|id| names.get(id).cloned())
                        .unwrap_or_else(|| e.actor_kind.clone()),
                    action: e.action,
                    what: format!("{} {}", e.entity, e.entity_id),
                    changes: changes(&e.changes),
                    reason: e.reason.unwrap_or_default(),
                })
                .collect();
            (rows, verification, tz.name().to_owned())
        }
        None => {
            problems.add(Problems::FORM, tr.t("trail-no-such"));
            (Vec::new(), None, String::new())
        }
    };
    let status = if problems.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = TrailPage {
        tr,
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(&auth),
        rows,
        query,
        verification,
        problems,
        zone,
    };
    Ok(with_status(page.respond_to_html(), status))
}
