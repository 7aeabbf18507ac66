//! The coordinator's record status grid (`/participants`) and its CSV: one row per participant,
//! one cell per time point, filtered, sorted and paged in SQL (`enrolment::register`).

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::{self, Event};
use crate::auth::{Auth, Permission, Role};
use crate::blinding::Sight;
use crate::desk::register::{self, Cell, Filter, Need, Sort};
use crate::enrolment::Status;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::protocol::Protocol;
use crate::state::AppState;
use crate::web::page::staff_or_return;
use crate::web::{RespondHtml, csrf_of};

const PER_PAGE: i64 = 50;

/// The grid's query string: every filter, the sort and the page.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct GridQuery {
    #[serde(default)]
    site: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    arm: String,
    #[serde(default)]
    stratum: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    need: String,
    /// A study id, or (for roles that read contact details) part of a name, e-mail or phone.
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
    page: Option<i64>,
}

fn given(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl GridQuery {
    /// The register's filter, with arm codes mapped to ids and refused to roles that see no arm.
    fn filter(&self, protocol: &Protocol, sight: Sight) -> Filter {
        let arm = given(&self.arm).and_then(|code| {
            let arm = protocol.arms.iter().find(|a| *a.code.get_ref() == code)?;
            sight.arm(protocol, arm.id.get_ref()).map(|_| arm.id.get_ref().clone())
        });
        let q = given(&self.q);
        let looks_like_id = q.as_deref().is_some_and(|q| {
            let prefix = protocol.study.id_prefix.get_ref().to_uppercase();
            // `CON-0012`, `con-00`, or just the number `12` (a phone number has more digits).
            q.to_uppercase().starts_with(&prefix) || (q.chars().all(|c| c.is_ascii_digit()) && q.len() <= 5)
        });
        Filter {
            site: given(&self.site),
            status: given(&self.status).and_then(|s| serde_json::from_value(s.into()).ok()),
            arm,
            stratum: given(&self.stratum)
                .and_then(|s| s.split_once(':').map(|(f, l)| (f.to_owned(), l.to_owned()))),
            language: given(&self.language),
            group: given(&self.group),
            need: Need::parse(&self.need),
            study_id: q.filter(|_| looks_like_id),
            among: None,
            sort: Sort::parse(&self.sort).unwrap_or_default(),
            descending: self.dir == "desc",
        }
    }

    /// The query string of this view at another page (or sort), for links.
    fn link(&self, page: i64, sort: Option<(&str, &str)>) -> String {
        let (sort, dir) = sort.unwrap_or((&self.sort, &self.dir));
        let pairs = [
            ("site", self.site.as_str()),
            ("status", &self.status),
            ("arm", &self.arm),
            ("stratum", &self.stratum),
            ("language", &self.language),
            ("group", &self.group),
            ("need", &self.need),
            ("q", &self.q),
            ("sort", sort),
            ("dir", dir),
        ];
        let page = page.to_string();
        let mut kept: Vec<(&str, &str)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        if page != "1" {
            kept.push(("page", &page));
        }
        serde_urlencoded::to_string(kept).unwrap_or_default()
    }
}

/// A `<select>`'s option: value, label, chosen.
pub(super) struct Choice {
    pub value: String,
    pub label: String,
    pub chosen: bool,
}

fn choices(current: &str, options: impl IntoIterator<Item = (String, String)>) -> Vec<Choice> {
    options.into_iter().map(|(value, label)| Choice { chosen: value == current, value, label }).collect()
}

pub(super) struct GridRow {
    pub study_id: String,
    pub site: String,
    /// The stored word (`randomised`), as the CSV writes it; the page shows `status-<word>`.
    pub status: String,
    pub arm: String,
    pub group: String,
    /// The phase as the CSV writes it (`in group`).
    pub phase: String,
    /// The phase in the page's language.
    pub phase_shown: String,
    pub language: String,
    pub cells: Vec<Cell>,
    pub open_alerts: i64,
}

#[derive(Template)]
#[template(path = "desk/register.html")]
struct GridPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    rows: Vec<GridRow>,
    total: i64,
    /// `Showing 1–50 of 120.`
    showing: String,
    timepoints: Vec<String>,
    shows_arm: bool,
    may_search_contacts: bool,
    may_enrol: bool,
    q: String,
    filters: Vec<(&'static str, String, Vec<Choice>)>,
    /// Each sort's link, label, and its order when it is the current one (else empty).
    sorts: Vec<(String, String, String)>,
    previous: Option<String>,
    next: Option<String>,
    csv: String,
    legend: [Cell; 7],
    arm_key: Vec<(String, String)>,
    searched_contacts: bool,
}

fn arm_text(protocol: &Protocol, sight: Sight, arm_id: Option<&str>, tr: Tr) -> String {
    match arm_id.and_then(|a| sight.arm(protocol, a)).map(|a| a.in_language(protocol, tr.lang())) {
        Some(a) => a.label.map_or_else(|| a.code.clone(), |l| format!("{} ({l})", a.code)),
        None if arm_id.is_some() => String::new(),
        None => "—".to_owned(),
    }
}

/// The arm's code in the grid (the key below it names the arms), or a dash before randomisation.
fn arm_code(protocol: &Protocol, sight: Sight, arm_id: Option<&str>) -> String {
    match arm_id {
        Some(a) => sight.arm(protocol, a).map(|a| a.code).unwrap_or_default(),
        None => "—".to_owned(),
    }
}

/// The grid's rows for `query` as `auth` may see them, and the total; a contact search is
/// audited per participant it finds.
async fn load(
    state: &AppState,
    auth: &Auth,
    query: &GridQuery,
    offset: i64,
    limit: i64,
) -> Result<(Vec<GridRow>, i64, std::sync::Arc<Protocol>, bool), AppError> {
    let (scope, role, ctx, query) = (auth.scope.clone(), auth.user.role(), auth.context(), query.clone());
    let tr = auth.tr();
    // A read, unless contact details are searched: each person found is audited, so a write.
    let searches_contacts = Permission::ReadContacts.allows(role) && given(&query.q).is_some();
    let read = move |c: &mut crate::db::DbConn| {
        let (protocol, _) = crate::protocol::store::current_parsed(c)?;
        let sight = Sight::of(&protocol, role);
        let mut filter = query.filter(&protocol, sight);
        let mut searched = false;
        if let Some(text) = given(&query.q).filter(|_| filter.study_id.is_none()) {
            if Permission::ReadContacts.allows(role) {
                let found = register::search_contacts(c, &scope, &text)?;
                for id in &found {
                    let event = Event {
                        action: "search_contact",
                        entity: "participant",
                        entity_id: id,
                        changes: vec![],
                        reason: None,
                    };
                    audit::record(c, &ctx, event)?;
                }
                filter.among = Some(found);
                searched = true;
            } else {
                filter.study_id = Some(text);
            }
        }
        let page = register::page(c, &protocol, &scope, &filter, offset, limit)?;
        let rows = page
            .rows
            .into_iter()
            .map(|r| GridRow {
                arm: arm_code(&protocol, sight, r.arm_id.as_deref()),
                study_id: r.participant.study_id,
                site: r.participant.site,
                status: crate::enrolment::enum_text(&r.status),
                group: r.group.map(|g| g.1).unwrap_or_default(),
                phase_shown: r.phase.as_deref().map_or_else(String::new, |p| phase_text(tr, p)),
                phase: r.phase.unwrap_or_default().replace('_', " "),
                language: r.participant.preferred_language,
                cells: r.cells,
                open_alerts: r.open_alerts as i64,
            })
            .collect();
        Ok((rows, page.total, protocol, searched))
    };
    if searches_contacts { state.write(read).await } else { state.run(read).await }
}

#[get("/participants")]
pub(super) async fn grid(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<GridQuery>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadParticipants);
    let query = query.into_inner();
    let page_no = query.page.unwrap_or(1).max(1);
    let (rows, total, protocol, searched) =
        load(&state, &auth, &query, (page_no - 1) * PER_PAGE, PER_PAGE).await?;
    let role = auth.user.role();
    let tr = auth.tr();
    let sight = Sight::of(&protocol, role);
    let scope = auth.scope.clone();
    let (sites, groups) = state
        .run(move |c| {
            let sites: Vec<(String, String)> = crate::sites::list(c)?
                .into_iter()
                .filter(|s| scope.allows(&s.code))
                .map(|s| (s.code, s.name))
                .collect();
            let groups = crate::groups::list(c, None)?.into_iter().map(|g| (g.id, g.name)).collect();
            Ok((sites, groups))
        })
        .await?;
    let filters = filter_choices(tr, &query, &protocol, sight, role, sites, groups);
    let current = Sort::parse(&query.sort).unwrap_or_default();
    let sorts = Sort::ALL
        .iter()
        .map(|(sort, name, _)| {
            // A second click on the current order reverses it.
            let (dir, order) = match (*sort == current, query.dir == "desc") {
                (true, false) => ("desc", tr.t("grid-ascending")),
                (true, true) => ("asc", tr.t("grid-descending")),
                (false, _) => ("asc", String::new()),
            };
            (format!("?{}", query.link(1, Some((name, dir)))), tr.t(sort.key()), order)
        })
        .collect();
    let first = if total == 0 { 0 } else { (page_no - 1) * PER_PAGE + 1 };
    let last = ((page_no - 1) * PER_PAGE + rows.len() as i64).min(total);
    let showing = tr.args("grid-showing", &[("first", &first), ("last", &last), ("total", &total)]);
    let page = GridPage {
        tr,
        role: role.to_string(),
        csrf_token: csrf_of(&auth),
        timepoints: protocol.assessments.iter().map(|t| t.label_in(tr.lang()).to_owned()).collect(),
        shows_arm: protocol.arms.first().is_some_and(|a| sight.arm(&protocol, a.id.get_ref()).is_some()),
        may_search_contacts: Permission::ReadContacts.allows(role),
        may_enrol: Permission::Screen.allows(role),
        q: query.q.clone(),
        filters,
        sorts,
        previous: (page_no > 1).then(|| format!("?{}", query.link(page_no - 1, None))),
        next: (last < total).then(|| format!("?{}", query.link(page_no + 1, None))),
        csv: format!("/participants.csv?{}", query.link(1, None)),
        legend: Cell::LEGEND,
        arm_key: protocol
            .arms
            .iter()
            .filter_map(|a| sight.arm(&protocol, a.id.get_ref()))
            .map(|a| a.in_language(&protocol, tr.lang()))
            .map(|a| (a.code, a.label.unwrap_or_default()))
            .collect(),
        rows,
        total,
        showing,
        searched_contacts: searched,
    };
    Ok(page.respond_to_html())
}

fn filter_choices(
    tr: Tr,
    query: &GridQuery,
    protocol: &Protocol,
    sight: Sight,
    role: Role,
    sites: Vec<(String, String)>,
    groups: Vec<(String, String)>,
) -> Vec<(&'static str, String, Vec<Choice>)> {
    let any = || (String::new(), tr.t("grid-filter-any"));
    let mut out = vec![(
        "need",
        tr.t("grid-filter-need"),
        choices(
            &query.need,
            std::iter::once((String::new(), tr.t("grid-filter-no-filter")))
                .chain(Need::ALL.iter().map(|(need, n, _)| ((*n).to_owned(), tr.t(need.key())))),
        ),
    )];
    if sites.len() > 1 {
        out.push((
            "site",
            tr.t("grid-filter-site"),
            choices(&query.site, std::iter::once(any()).chain(sites)),
        ));
    }
    let statuses = [Status::Enrolled, Status::Consented, Status::Randomised, Status::Withdrawn];
    out.push((
        "status",
        tr.t("grid-filter-status"),
        choices(
            &query.status,
            std::iter::once(any()).chain(statuses.iter().map(|s| {
                let t = crate::enrolment::enum_text(s);
                let label = tr.word("status", &t);
                (t, label)
            })),
        ),
    ));
    if protocol.arms.first().is_some_and(|a| sight.arm(protocol, a.id.get_ref()).is_some()) {
        let arms = protocol.arms.iter().map(|a| {
            let code = a.code.get_ref().clone();
            (code.clone(), arm_text(protocol, sight, Some(a.id.get_ref()), tr))
        });
        out.push(("arm", tr.t("grid-filter-arm"), choices(&query.arm, std::iter::once(any()).chain(arms))));
    }
    let strata = protocol.stratification.iter().flat_map(|f| {
        f.levels.iter().map(move |l| {
            // The protocol's wording of the factor and each level, in the page's language.
            let level = f.level_label(l.get_ref(), tr.lang());
            (format!("{}:{}", f.id.get_ref(), l.get_ref()), format!("{}: {level}", f.label_in(tr.lang())))
        })
    });
    out.push((
        "stratum",
        tr.t("grid-filter-stratum"),
        choices(&query.stratum, std::iter::once(any()).chain(strata)),
    ));
    let languages = study_languages(protocol, tr);
    out.push((
        "language",
        tr.t("grid-filter-language"),
        choices(&query.language, std::iter::once(any()).chain(languages)),
    ));
    if Permission::ReadGroups.allows(role) && !groups.is_empty() && sight.shows_process() {
        out.push((
            "group",
            tr.t("grid-filter-group"),
            choices(&query.group, std::iter::once(any()).chain(groups)),
        ));
    }
    out
}

/// A participant's phase (`in_group`) in the page's language.
fn phase_text(tr: Tr, phase: &str) -> String {
    tr.or(&format!("grid-phase-{phase}"), &phase.replace('_', " "))
}

/// The study's languages as `(code, name in the page's language)`, for a form's language choice.
pub(super) fn study_languages(protocol: &Protocol, tr: Tr) -> Vec<(String, String)> {
    let codes = protocol.study.languages.get_ref().iter().map(|l| l.get_ref());
    codes.map(|code| (code.clone(), tr.or(&format!("grid-language-{code}"), code))).collect()
}

/// The current view as CSV: every matching row, not just the page shown.
#[get("/participants.csv")]
pub(super) async fn grid_csv(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<GridQuery>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadParticipants);
    let (rows, _, protocol, _) = load(&state, &auth, &query, 0, i64::MAX / 2).await?;
    let sight = Sight::of(&protocol, auth.user.role());
    let shows_arm = protocol.arms.first().is_some_and(|a| sight.arm(&protocol, a.id.get_ref()).is_some());
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["study_id", "site", "status"];
    if shows_arm {
        header.push("arm");
    }
    header.extend(["group", "phase", "language", "open_safety_alerts"]);
    let tp: Vec<&str> = protocol.assessments.iter().map(|t| t.id.get_ref().as_str()).collect();
    let mut record: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    record.extend(tp.iter().map(|t| (*t).to_owned()));
    let csv_error = |e: csv::Error| AppError::Internal(e.into());
    out.write_record(&record).map_err(csv_error)?;
    for r in rows {
        let mut record = vec![r.study_id, r.site, r.status];
        if shows_arm {
            record.push(r.arm);
        }
        record.extend([r.group, r.phase, r.language, r.open_alerts.to_string()]);
        record.extend(r.cells.iter().map(|c| c.word().to_owned()));
        let record: Vec<String> = record.iter().map(|v| crate::csv_cell::text(v).into_owned()).collect();
        out.write_record(&record).map_err(csv_error)?;
    }
    let body = out.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"participants.csv\""))
        .body(body))
}
