//! Making a group, and changing one with a reason. What can no longer change (the schedule of a
//! running group, the language and affinity of one with members) is shown, not offered.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::no_such_group;
use crate::auth::{Auth, Permission, Role};
use crate::error::AppError;
use crate::groups::edit::{self, GroupChange};
use crate::groups::{self, Group, GroupStatus, NewGroup};
use crate::i18n::Tr;
use crate::protocol::Protocol;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, time_zone_select, with_status};
use crate::web::{RespondHtml, csrf_of, redirect};

/// One field of the form, in the order shown.
struct Field {
    name: &'static str,
    label: String,
    hint: Option<String>,
    /// `text`, `select`, `checks` (one checkbox per option) or `textarea`.
    kind: &'static str,
    /// Options (value, label) of a select or the checkboxes.
    options: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "groups/form.html")]
struct FormPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    /// The group changed (id, name), or `None` for a new one.
    group: Option<(String, String)>,
    fields: Vec<Field>,
    /// What can no longer change: label and value.
    fixed: Vec<(String, String)>,
    typed: BTreeMap<String, String>,
    problems: Problems,
}

impl FormPage {
    fn value(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }

    /// Whether a checkbox of `field` is ticked: the form keeps them as `tag:<value>` keys.
    fn ticked(&self, field: &str, value: &str) -> bool {
        self.typed.contains_key(&format!("{field}:{value}"))
    }
}

/// What the page needs from the database: the protocol, the active moderators, and when changing
/// a group, the group and how many members it has.
async fn context(
    state: &AppState,
    id: Option<String>,
) -> Result<(std::sync::Arc<Protocol>, Vec<(String, String)>, Option<(Group, i64)>), AppError> {
    state
        .run(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let moderators = crate::auth::users::list(c)?
                .into_iter()
                .filter(|u| u.role() == Role::Moderator && !u.disabled)
                .map(|u| (u.id, u.display_name))
                .collect();
            let group = match id {
                Some(id) => match groups::find(c, &id)? {
                    Some(g) => {
                        let n = groups::members_of(c, &g.id)?.len() as i64;
                        Some((g, n))
                    }
                    None => return Err(AppError::NotFound("group".into())),
                },
                None => None,
            };
            Ok((protocol, moderators, group))
        })
        .await
}

fn weekdays(tr: Tr) -> Vec<(String, String)> {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .enumerate()
        .map(|(i, d)| (i.to_string(), tr.word("weekday", d)))
        .collect()
}

/// The fields, in order, for a new group (`group` is `None`) or a change to one.
fn fields(
    tr: Tr,
    protocol: &Protocol,
    moderators: Vec<(String, String)>,
    group: Option<&(Group, i64)>,
) -> (Vec<Field>, Vec<(String, String)>) {
    let field = |name, key: &str, kind, options| Field { name, label: tr.t(key), hint: None, kind, options };
    let (mut out, mut fixed) = (Vec::new(), Vec::new());
    out.push(field("name", "group-form-name", "text", Vec::new()));
    let membership = group.is_none_or(|(_, n)| *n == 0);
    let schedule = group.is_none_or(|(g, _)| g.status == GroupStatus::Forming);
    if group.is_none() {
        let arms = protocol.arms.iter().filter(|a| a.delivers_groups);
        let options = arms.map(|a| (a.id.get_ref().clone(), a.label_in(tr.lang()).to_owned())).collect();
        out.push(field("arm_id", "group-form-arm", "select", options));
    }
    let languages: Vec<(String, String)> = protocol
        .study
        .languages
        .get_ref()
        .iter()
        .map(|l| (l.get_ref().clone(), tr.word("grid-language", l.get_ref())))
        .collect();
    let tags: Vec<(String, String)> = protocol
        .groups
        .affinity_tags
        .iter()
        .map(|t| (t.id.get_ref().clone(), t.label_in(tr.lang()).to_owned()))
        .collect();
    if membership {
        out.push(field("language", "group-form-language", "select", languages));
        let mut t = field("affinity_tags", "group-form-tags", "checks", tags);
        t.hint = Some(tr.t("group-form-tags-hint"));
        out.push(t);
    } else if let Some((g, _)) = group {
        fixed.push((tr.t("group-language-label"), tr.word("grid-language", &g.language)));
        let words: Vec<String> = g.tags().iter().map(|t| protocol.groups.tag_label(t, tr.lang())).collect();
        fixed.push((
            tr.t("group-tags-label"),
            if words.is_empty() { tr.t("groups-no-tags") } else { words.join(", ") },
        ));
    }
    let mut m = field("moderator_id", "group-form-moderator", "select", moderators);
    m.hint = group.map(|_| tr.t("group-form-moderator-hint"));
    out.push(m);
    let mut cap = field("capacity", "group-form-capacity", "text", Vec::new());
    cap.hint = Some(tr.a2(
        "group-form-capacity-hint",
        &("min", *protocol.groups.min_to_launch.get_ref()),
        &("default", *protocol.groups.capacity.get_ref()),
    ));
    out.push(cap);
    let mut link = field("meeting_url", "group-form-meeting", "text", Vec::new());
    link.hint = Some(tr.t("group-form-meeting-hint"));
    out.push(link);
    if schedule {
        out.push(field("weekday", "group-form-weekday", "select", weekdays(tr)));
        let mut t = field("local_time", "group-form-time", "text", Vec::new());
        t.hint = Some(tr.t("group-form-time-hint"));
        out.push(t);
        let zones = time_zone_select(protocol, tr)
            .options
            .into_iter()
            .map(|(v, l)| (if v.is_empty() { protocol.study.time_zone.get_ref().clone() } else { v }, l))
            .collect();
        out.push(field("time_zone", "group-form-zone", "select", zones));
        let mut d = field("start_date", "group-form-start", "text", Vec::new());
        d.hint = Some(tr.t("group-form-start-hint"));
        out.push(d);
    } else if let Some((g, _)) = group {
        let day = crate::calendar::weekday_from(g.weekday)
            .map(|d| d.to_string().to_lowercase())
            .unwrap_or_default();
        fixed.push((
            tr.t("group-schedule-label"),
            tr.args(
                "groups-schedule",
                &[
                    ("day", &tr.word("weekdays", &day)),
                    ("time", &g.local_time),
                    ("zone", &g.time_zone),
                    ("from", &g.start_date),
                ],
            ),
        ));
    }
    if group.is_some() {
        out.push(field("reason", "group-form-reason", "textarea", Vec::new()));
    }
    (out, fixed)
}

/// What a group's form shows before anything is typed.
fn as_typed(protocol: &Protocol, g: Option<&Group>) -> BTreeMap<String, String> {
    let mut t = BTreeMap::new();
    let Some(g) = g else {
        t.insert("time_zone".into(), protocol.study.time_zone.get_ref().clone());
        t.insert("local_time".into(), "18:30".into());
        return t;
    };
    for (k, v) in [
        ("name", g.name.clone()),
        ("moderator_id", g.moderator_id.clone()),
        ("capacity", g.capacity.to_string()),
        ("meeting_url", g.meeting_url.clone().unwrap_or_default()),
        ("language", g.language.clone()),
        ("weekday", g.weekday.to_string()),
        ("local_time", g.local_time.clone()),
        ("time_zone", g.time_zone.clone()),
        ("start_date", g.start_date.clone()),
    ] {
        t.insert(k.to_owned(), v);
    }
    for tag in g.tags() {
        t.insert(format!("affinity_tags:{tag}"), "on".into());
    }
    t
}

async fn form_page(
    state: &AppState,
    auth: &Auth,
    id: Option<String>,
    typed: Option<BTreeMap<String, String>>,
    problems: Problems,
) -> Result<HttpResponse, AppError> {
    let (protocol, moderators, group) = match context(state, id).await {
        Ok(found) => found,
        Err(AppError::NotFound(_)) => return Ok(no_such_group(auth)),
        Err(e) => return Err(e),
    };
    let tr = auth.tr();
    let (fields, fixed) = fields(tr, &protocol, moderators, group.as_ref());
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = FormPage {
        tr,
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        typed: typed.unwrap_or_else(|| as_typed(&protocol, group.as_ref().map(|(g, _)| g))),
        group: group.map(|(g, _)| (g.id, g.name)),
        fields,
        fixed,
        problems,
    };
    Ok(with_status(page.respond_to_html(), status))
}

#[get("/groups/new")]
pub(super) async fn new_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageGroups);
    form_page(&state, &auth, None, None, Problems::default()).await
}

#[get("/groups/{id}/edit")]
pub(super) async fn edit_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageGroups);
    form_page(&state, &auth, Some(path.into_inner()), None, Problems::default()).await
}

/// The form as sent: field → value, with each ticked checkbox as `field:value`.
fn typed_of(form: Vec<(String, String)>) -> BTreeMap<String, String> {
    form.into_iter()
        .map(
            |(k, v)| {
                if k == "affinity_tags" { (format!("affinity_tags:{v}"), "on".to_owned()) } else { (k, v) }
            },
        )
        .collect()
}

fn tags_of(typed: &BTreeMap<String, String>) -> Vec<String> {
    typed.keys().filter_map(|k| k.strip_prefix("affinity_tags:")).map(str::to_owned).collect()
}

/// A whole number from a text field; empty is `None`.
fn number(typed: &BTreeMap<String, String>, field: &str, problems: &mut Problems, tr: Tr) -> Option<i32> {
    let raw = typed.get(field).map_or("", |v| v.trim());
    if raw.is_empty() {
        return None;
    }
    raw.parse().map_err(|_| problems.add(field, tr.t("group-form-problem-number"))).ok()
}

#[post("/groups/new")]
pub(super) async fn new_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageGroups);
    let typed = typed_of(form.into_inner());
    auth.check_form_csrf(typed.get("csrf_token").map_or("", String::as_str))?;
    let (tr, mut problems) = (auth.tr(), Problems::default());
    let get = |f: &str| typed.get(f).map(|v| v.trim().to_owned()).unwrap_or_default();
    let capacity = number(&typed, "capacity", &mut problems, tr);
    let weekday = number(&typed, "weekday", &mut problems, tr).unwrap_or(-1);
    if !problems.is_empty() {
        return form_page(&state, &auth, None, Some(typed), problems).await;
    }
    let new = NewGroup {
        name: get("name"),
        arm_id: get("arm_id"),
        moderator_id: get("moderator_id"),
        language: get("language"),
        affinity_tags: tags_of(&typed),
        weekday,
        local_time: get("local_time"),
        time_zone: Some(get("time_zone")).filter(|z| !z.is_empty()),
        start_date: get("start_date"),
        capacity,
        meeting_url: Some(get("meeting_url")),
    };
    let ctx = auth.context();
    let made = state
        .write(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            Ok(groups::create(c, &ctx, &protocol, new).map_err(AppError::from))
        })
        .await?;
    match made {
        Ok(g) => Ok(redirect(&format!("/groups/{}?done=made", g.id))),
        Err(e) => {
            let (problems, _) = Problems::from_refusal(tr, e)?;
            form_page(&state, &auth, None, Some(typed), problems).await
        }
    }
}

#[post("/groups/{id}/edit")]
pub(super) async fn edit_sent(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageGroups);
    let typed = typed_of(form.into_inner());
    auth.check_form_csrf(typed.get("csrf_token").map_or("", String::as_str))?;
    let id = path.into_inner();
    let (tr, mut problems) = (auth.tr(), Problems::default());
    let get = |f: &str| typed.get(f).map(|v| v.trim().to_owned());
    let capacity = number(&typed, "capacity", &mut problems, tr);
    let weekday = number(&typed, "weekday", &mut problems, tr);
    let reason = crate::auth::routes::required_reason(&get("reason").unwrap_or_default());
    if reason.is_err() {
        problems.add("reason", tr.t("record-problem-reason"));
    }
    let (Ok(reason), true) = (reason, problems.is_empty()) else {
        return form_page(&state, &auth, Some(id), Some(typed), problems).await;
    };
    // Fields the form did not offer (fixed by now) are left out, so they stay as they are.
    let change = GroupChange {
        name: get("name"),
        moderator_id: get("moderator_id"),
        capacity,
        meeting_url: get("meeting_url"),
        language: get("language"),
        affinity_tags: get("language").map(|_| tags_of(&typed)),
        weekday,
        local_time: get("local_time"),
        time_zone: get("time_zone"),
        start_date: get("start_date"),
        reason,
    };
    let (ctx, target) = (auth.context(), id.clone());
    let done = state
        .write(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            Ok(edit::update(c, &ctx, &protocol, &target, &change).map_err(AppError::from))
        })
        .await?;
    match done {
        Ok(_) => Ok(redirect(&format!("/groups/{id}?done=changed"))),
        Err(AppError::NotFound(_)) => Ok(no_such_group(&auth)),
        Err(e) => {
            let (problems, _) = Problems::from_refusal(tr, e)?;
            form_page(&state, &auth, Some(id), Some(typed), problems).await
        }
    }
}
