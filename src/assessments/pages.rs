//! The coordinator's questionnaire list: what is open, past its target date, or missed.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use crate::assessments::{self, Filter};
use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::{RespondHtml, csrf_of, staff_page};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_page);
}

struct Row {
    study_id: String,
    timepoint: String,
    target: String,
    last_day: String,
    /// The status in the page's language.
    status: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "assessments/list.html")]
struct ListPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    filter: Filter,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
struct Query {
    status: Option<String>,
}

#[get("/assessments")]
async fn list_page(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let auth = match staff_page(auth, Permission::ReadAssessments)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    // The page offers three lists; anything else shows the overdue one.
    let filter = match query.into_inner().status.as_deref().and_then(Filter::parse) {
        Some(f @ (Filter::Open | Filter::Missed)) => f,
        _ => Filter::Overdue,
    };
    let (scope, tr) = (auth.scope.clone(), auth.tr());
    let rows = state
        .run(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let rows = assessments::list(c, &protocol, &scope, filter, None)?
                .into_iter()
                .map(|l| Row {
                    timepoint: protocol
                        .timepoint(&l.assessment.timepoint)
                        .map_or_else(|| l.assessment.timepoint.clone(), |t| t.label_in(tr.lang()).to_owned()),
                    target: l.assessment.target_date.clone().unwrap_or_default(),
                    last_day: assessments::last_day(&protocol, &l.assessment)
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                    status: {
                        let status = l.assessment.status.as_str();
                        tr.or(&format!("assessments-status-{}", status.replace('_', "-")), status)
                    },
                    overdue: l.overdue,
                    study_id: l.study_id,
                })
                .collect::<Vec<_>>();
            Ok(rows)
        })
        .await?;

    Ok(ListPage { tr, role: auth.user.role().to_string(), csrf_token: csrf_of(&auth), filter, rows }
        .respond_to_html())
}
