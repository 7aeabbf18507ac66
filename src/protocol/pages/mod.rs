//! The protocol in the browser: the version in force (or any earlier one) shown readably, its
//! history, the difference between two versions, the file of a version, and (admins) an
//! amendment uploaded or edited through the page. What a reader sees follows the protocol in
//! force's blinding, exactly as the API's `/protocol` does.

mod amend;
mod diff;
pub mod summary;

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::Protocol;
use super::store::{self, StoredProtocol};
use crate::auth::{Auth, Permission};
use crate::blinding::Sight;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::page::{staff_or_return, study_time};
use crate::web::{RespondHtml, csrf_of, not_found_page};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(protocol_page)
        .service(diff::compare)
        .service(amend::amend_form)
        .service(amend::amend_submit)
        .service(file)
        .service(one_version);
}

/// A version in the history table.
struct Version {
    number: i32,
    recorded: String,
    by: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "protocol/protocol.html")]
struct ProtocolPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    shown: Version,
    /// The version in force, when an older one is shown.
    in_force: i32,
    tables: Vec<summary::Table>,
    history: Vec<Version>,
    /// When randomisation started, in the study's zone.
    started: Option<String>,
    may_amend: bool,
    /// The reader may have the file and the changes between versions: whoever writes the protocol
    /// (its text names the arms and holds the block sizes).
    may_read_text: bool,
    notice: Option<String>,
}

/// Every version, the protocol in force and when randomisation started, read at once.
pub(super) struct Read {
    pub versions: Vec<StoredProtocol>,
    pub in_force: Arc<Protocol>,
    pub started: Option<chrono::NaiveDateTime>,
    /// Account id → name, for "recorded by".
    pub names: HashMap<String, String>,
}

pub(super) async fn read(state: &AppState) -> Result<Read, AppError> {
    state
        .run(|c| {
            let versions = store::list(c)?;
            let (in_force, _) = store::current_parsed(c)?;
            let names = crate::auth::users::list(c)?.into_iter().map(|u| (u.id, u.display_name)).collect();
            Ok(Read { versions, in_force, started: store::randomisation_started(c)?, names })
        })
        .await
}

impl Read {
    fn version(&self, v: &StoredProtocol, tr: Tr) -> Version {
        let tz = self.in_force.time_zone();
        let by = v.created_by.as_ref().map_or_else(
            || tr.t("protocol-by-system"),
            |id| self.names.get(id).cloned().unwrap_or_else(|| id.clone()),
        );
        Version { number: v.version, recorded: study_time(tz, v.created_at), by, reason: v.reason.clone() }
    }
}

#[derive(serde::Deserialize)]
struct Done {
    amended: Option<i32>,
}

#[get("/protocol")]
async fn protocol_page(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<Done>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadProtocol);
    let notice = query.amended.map(|n| auth.tr().n("protocol-amended", n));
    show(&state, &auth, None, notice).await
}

#[get("/protocol/versions/{version}")]
async fn one_version(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ReadProtocol);
    match path.parse::<i32>() {
        Ok(n) => show(&state, &auth, Some(n), None).await,
        Err(_) => Ok(no_such_version(&auth)),
    }
}

/// The page for version `number` (the one in force when `None`).
async fn show(
    state: &AppState,
    auth: &Auth,
    number: Option<i32>,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let read = read(state).await?;
    let tr = auth.tr();
    let in_force = read.versions.last().map_or(0, |v| v.version);
    let Some(stored) = read.versions.iter().find(|v| v.version == number.unwrap_or(in_force)) else {
        return Ok(no_such_version(auth));
    };
    // Whatever version is read, the protocol in force decides what the reader may see of it.
    let sight = Sight::of(&read.in_force, auth.user.role());
    // The version in force is already parsed; an older one is parsed aside, leaving the cache be.
    let parsed =
        if stored.version == in_force { read.in_force.clone() } else { Arc::new(stored.parse_uncached()?) };
    let tables = summary::tables(&parsed, sight, &state.instruments, tr);
    let tz = read.in_force.time_zone();
    let page = ProtocolPage {
        shown: read.version(stored, tr),
        in_force,
        tables,
        history: read.versions.iter().rev().map(|v| read.version(v, tr)).collect(),
        started: read.started.map(|t| study_time(tz, t)),
        may_amend: Permission::AmendProtocol.allows(auth.user.role()),
        may_read_text: Permission::AmendProtocol.allows(auth.user.role()),
        notice,
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        tr,
    };
    Ok(page.respond_to_html())
}

/// A version's file as it was recorded, to download, edit and upload as an amendment.
#[get("/protocol/versions/{version}/file")]
async fn file(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::AmendProtocol);
    let Ok(number) = path.parse::<i32>() else { return Ok(no_such_version(&auth)) };
    // Only admins write the protocol, and a protocol cannot blind them: the file is theirs whole.
    let Some(stored) = state.run(move |c| Ok(store::get(c, number)?)).await? else {
        return Ok(no_such_version(&auth));
    };
    let name = format!("{}-protocol-v{number}.toml", stored.study_code.to_lowercase());
    Ok(HttpResponse::Ok()
        .content_type("application/toml; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .body(stored.content))
}

fn no_such_version(auth: &Auth) -> HttpResponse {
    not_found_page(auth, "protocol version", "/protocol", "Back to the protocol")
}
