//! The coordinator's questionnaire list: what is open, past its target date, or missed.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use crate::assessments::{self, Filter};
use crate::auth::{Auth, Permission};
use crate::error::AppError;
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
    status: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "assessments/list.html")]
struct ListPage {
    role: String,
    csrf_token: String,
    filter: String,
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
    let name = query.into_inner().status.unwrap_or_else(|| "overdue".into());
    let filter = match name.as_str() {
        "open" => Filter::Open,
        "missed" => Filter::Missed,
        _ => Filter::Overdue,
    };
    let rows = state
        .run(move |c| {
            let (protocol, _) = crate::protocol::store::current_parsed(c)?;
            let rows = assessments::list(c, &protocol, filter, None)?
                .into_iter()
                .map(|l| Row {
                    timepoint: protocol
                        .timepoint(&l.assessment.timepoint)
                        .map_or_else(|| l.assessment.timepoint.clone(), |t| t.label.clone()),
                    target: l.assessment.target_date.clone().unwrap_or_default(),
                    last_day: assessments::last_day(&protocol, &l.assessment)
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                    status: l.assessment.status.clone(),
                    overdue: l.overdue,
                    study_id: l.study_id,
                })
                .collect::<Vec<_>>();
            Ok(rows)
        })
        .await?;
    let filter = match filter {
        Filter::Open => "open",
        Filter::Missed => "missed",
        _ => "overdue",
    };
    Ok(ListPage {
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(&auth),
        filter: filter.into(),
        rows,
    }
    .respond_to_html())
}
