//! Exports over HTTP (statistician roles only), streamed as they are read.
// utoipa's `IntoParams` expansion for `web::Query` names the query type in full, outside the
// handler, where an item-level allow does not reach.
#![allow(unused_qualifications)]

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};

use super::write::{ChannelWriter, File, write, zip_all};
use super::{ExportOptions, Source, Spec};
use crate::audit::{self, Change, Event};
use crate::auth::{Auth, Permission};
use crate::blinding::Sight;
use crate::error::{AppError, ErrorBody};
use crate::protocol::store;
use crate::state::AppState;

/// Registers this module's API routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    cfg.service(list_exports).service(download_export);
}

/// One file an export offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportFile {
    pub name: &'static str,
    pub media_type: &'static str,
    pub description: &'static str,
    pub url: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// The blinded copy: arms as codes, and no process data where it would name the arms.
    /// Always on for blinded roles.
    #[serde(default)]
    pub blinded: bool,
    /// A limited data set: calendar dates beside study days.
    #[serde(default)]
    pub dates: bool,
}

/// The files of an export: long and wide CSV, Parquet, codebook, R and Stata scripts.
#[utoipa::path(tag = "exports", responses((status = 200, description = "Success", body = Vec<ExportFile>), (status = 403, description = "The role may not do this", body = ErrorBody)))]
#[get("/exports")]
async fn list_exports(auth: Auth) -> Result<web::Json<Vec<ExportFile>>, AppError> {
    auth.require(Permission::ExportData)?;
    Ok(web::Json(
        File::ALL
            .into_iter()
            .map(|f| ExportFile {
                name: f.name(),
                media_type: f.media_type(),
                description: f.description(),
                url: format!("/api/v1/exports/{}", f.name()),
            })
            .chain([ExportFile {
                name: ALL_ZIP,
                media_type: "application/zip",
                description: "Every file above in one zip, read from the trial in one pass",
                url: format!("/api/v1/exports/{ALL_ZIP}"),
            }])
            .collect(),
    ))
}

/// The name that asks for every file at once, as one zip.
pub const ALL_ZIP: &str = "all.zip";

/// One export file, de-identified, streamed as it is read from the database; or `all.zip`, every
/// file in one zip, read from the database in one pass.
#[utoipa::path(tag = "exports", params(("file" = String, Path, description = "long.csv, wide.csv, long.parquet, codebook.csv, load.R, load.do, or all.zip for all six"), ExportQuery),
    responses((status = 200, description = "The file", content_type = "application/octet-stream", body = String), (status = 403, description = "The role may not do this", body = ErrorBody), (status = 404, description = "No such export file", body = ErrorBody)))]
#[get("/exports/{file}")]
async fn download_export(
    state: web::Data<AppState>,
    auth: Auth,
    file: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let role = auth.require(Permission::ExportData)?;
    let file = match file.as_str() {
        ALL_ZIP => None,
        name => Some(File::parse(name).ok_or_else(|| AppError::NotFound(format!("export file `{name}`")))?),
    };
    let name = file.map_or(ALL_ZIP, File::name);
    let (asked, dates) = (query.blinded, query.dates);
    let ctx = auth.context();
    // Who took which data out, and in what form, belongs in the audit trail: a write, so through
    // the writer like every other.
    let options = state
        .write(move |c| {
            let (protocol, _) = store::current_parsed(c)?;
            let blinded = Sight::for_output(&protocol, role, asked).is_blinded();
            let options = ExportOptions { blinded, dates };
            let changes = vec![Change::set("blinded", options.blinded), Change::set("dates", options.dates)];
            let event = Event { action: "export", entity: "dataset", entity_id: name, changes, reason: None };
            audit::record(c, &ctx, event)?;
            Ok(options)
        })
        .await?;
    let (library, scope) = (state.instruments.clone(), auth.scope.clone());
    let spec = state.read(move |c| Ok(Spec::load(c, &library, options, scope)?)).await?;
    let (sender, receiver) = mpsc::channel(4);
    let reader = state.reader();
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter::new(sender);
        let result = reader.get_pair().and_then(|(mut conn, mut second)| {
            let source = Source::pair(&mut conn, second.as_deref_mut());
            match file {
                Some(file) => Ok(write(source, &spec, file, &mut out)?),
                None => Ok(zip_all(source, &spec, &mut out)?),
            }
        });
        match result.and_then(|()| std::io::Write::flush(&mut out).map_err(|e| AppError::Internal(e.into())))
        {
            Ok(()) => {}
            Err(e) => {
                tracing::error!(error = %e, file = name, "export failed while streaming");
                out.fail(e.to_string());
            }
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    Ok(HttpResponse::Ok()
        .content_type(file.map_or("application/zip", File::media_type))
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .streaming(body))
}
