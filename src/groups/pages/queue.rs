//! The queue and the proposal board: who waits for a group in each arm and for how long, where
//! the proposal would place each of them and why (language, affinity, waiting time), with a choice
//! per person to place them elsewhere or not yet; placing them starts the groups that reach their
//! minimum.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::groups::formation::{self, Assignment};
use crate::groups::{self, Group, Waiting};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, with_status};
use crate::web::{RespondHtml, csrf_of, redirect};

/// A person waiting, as the board shows them.
struct Person {
    participant_id: String,
    study_id: String,
    /// "Spanish · newly diagnosed · waiting 12 days (since 2026-11-20)".
    why: String,
    /// Groups they fit: (id, name and size), the proposed one chosen.
    options: Vec<(String, String)>,
    chosen: String,
}

/// One group of the board with the people the proposal places in it.
struct Column {
    id: String,
    name: String,
    /// "forming, 4 of 10 places; starts at 6".
    state: String,
    people: Vec<Person>,
}

#[derive(Template)]
#[template(path = "groups/queue.html")]
struct QueuePage {
    tr: Tr,
    role: String,
    csrf_token: String,
    /// Per arm: its name and the people waiting, longest first.
    arms: Vec<(String, Vec<Person>)>,
    columns: Vec<Column>,
    /// People no group fits: a new group is needed.
    unplaced: Vec<Person>,
    notice: Option<String>,
    problems: Problems,
}

/// After placing: how many were placed and how many groups started.
#[derive(Debug, Deserialize)]
struct Placed {
    placed: Option<usize>,
    started: Option<usize>,
}

fn describe(tr: Tr, protocol: &crate::protocol::Protocol, w: &Waiting, today: chrono::NaiveDate) -> String {
    let mut parts = vec![tr.word("grid-language", &w.language)];
    parts.extend(w.tags.iter().map(|t| protocol.groups.tag_label(t, tr.lang())));
    let days = (today - w.queued_on).num_days();
    parts.push(tr.n_a("queue-waited", days, "since", w.queued_on));
    parts.join(" · ")
}

async fn queue_page(
    state: &AppState,
    auth: &Auth,
    problems: Problems,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let (scope, role, tr) = (auth.scope.clone(), auth.user.role(), auth.tr());
    let (protocol, waiting, proposal, open, sizes) = state
        .run(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let today = protocol.today();
            let seen = groups::seen_by(c, &scope, role)?;
            let visible = |id: &String| seen.as_ref().is_none_or(|v| v.contains(id));
            let mut waiting = groups::queue(c, &protocol, today)?;
            waiting.retain(|w| visible(&w.participant_id));
            let mut proposal = formation::propose(c, &protocol, today)?;
            proposal.assignments.retain(|a| visible(&a.participant_id));
            let open: Vec<Group> =
                groups::list(c, None)?.into_iter().filter(|g| g.status.takes_members()).collect();
            let sizes: BTreeMap<String, usize> =
                groups::members(c)?.into_iter().map(|(g, m)| (g, m.len())).collect();
            Ok((protocol, waiting, proposal, open, sizes))
        })
        .await?;
    let today = protocol.today();
    let placed: BTreeMap<&str, &str> =
        proposal.assignments.iter().map(|a| (a.participant_id.as_str(), a.group_id.as_str())).collect();
    let person = |w: &Waiting| {
        let fits = open.iter().filter(|g| formation::misfit(g, w, 0).is_none());
        let options = fits
            .map(|g| {
                let n = sizes.get(&g.id).copied().unwrap_or(0);
                (
                    g.id.clone(),
                    tr.args("queue-option", &[("name", &g.name), ("n", &n), ("capacity", &g.capacity)]),
                )
            })
            .collect();
        Person {
            participant_id: w.participant_id.clone(),
            study_id: w.study_id.clone(),
            why: describe(tr, &protocol, w, today),
            options,
            chosen: placed.get(w.participant_id.as_str()).map(|g| (*g).to_owned()).unwrap_or_default(),
        }
    };
    let arms = protocol
        .arms
        .iter()
        .filter(|a| a.delivers_groups)
        .map(|a| {
            let people = waiting.iter().filter(|w| w.arm_id == *a.id.get_ref()).map(person).collect();
            (a.label_in(tr.lang()).to_owned(), people)
        })
        .collect();
    let columns = open
        .iter()
        .filter(|g| placed.values().any(|id| *id == g.id))
        .map(|g| Column {
            id: g.id.clone(),
            name: g.name.clone(),
            state: tr.args(
                "queue-column-state",
                &[
                    ("state", &tr.word("group-status", g.status.as_str())),
                    ("n", &sizes.get(&g.id).copied().unwrap_or(0)),
                    ("capacity", &g.capacity),
                    ("min", &g.min_size),
                ],
            ),
            people: waiting
                .iter()
                .filter(|w| placed.get(w.participant_id.as_str()) == Some(&g.id.as_str()))
                .map(person)
                .collect(),
        })
        .collect();
    let unplaced =
        waiting.iter().filter(|w| !placed.contains_key(w.participant_id.as_str())).map(person).collect();
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::CONFLICT };
    let page = QueuePage {
        tr,
        role: role.to_string(),
        csrf_token: csrf_of(auth),
        arms,
        columns,
        unplaced,
        notice,
        problems,
    };
    Ok(with_status(page.respond_to_html(), status))
}

#[get("/groups/queue")]
pub(super) async fn queue(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<Placed>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageGroups);
    let tr = auth.tr();
    let notice = query.placed.map(|n| {
        format!("{} {}", tr.n("queue-placed", n), tr.n("queue-started", query.started.unwrap_or(0)))
    });
    queue_page(&state, &auth, Problems::default(), notice).await
}

/// The board as sent: `place-<participant id>` = a group's id, or empty for not now.
#[post("/groups/queue")]
pub(super) async fn queue_placed(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageGroups);
    let form = form.into_inner();
    let csrf = form.iter().find(|(k, _)| k == "csrf_token").map_or("", |(_, v)| v.as_str());
    auth.check_form_csrf(csrf)?;
    let assignments: Vec<Assignment> = form
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("place-")?, v)))
        .filter(|(_, g)| !g.is_empty())
        .map(|(p, g)| Assignment { participant_id: p.to_owned(), group_id: g.clone() })
        .collect();
    let tr = auth.tr();
    if assignments.is_empty() {
        let mut problems = Problems::default();
        problems.add(Problems::FORM, tr.t("queue-problem-none"));
        return queue_page(&state, &auth, problems, None).await;
    }
    let (ctx, scope, n) = (auth.context(), auth.scope.clone(), assignments.len());
    let done = state
        .write(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            if let Err(e) = scope.all_participants(c, assignments.iter().map(|a| a.participant_id.clone())) {
                return Ok(Err(AppError::from(e)));
            }
            Ok(formation::assign(c, &ctx, &protocol, protocol.today(), &assignments).map_err(AppError::from))
        })
        .await?;
    match done {
        Ok(started) => Ok(redirect(&format!("/groups/queue?placed={n}&started={}", started.len()))),
        Err(e) => {
            let (problems, _) = Problems::from_refusal(tr, e)?;
            queue_page(&state, &auth, problems, None).await
        }
    }
}
