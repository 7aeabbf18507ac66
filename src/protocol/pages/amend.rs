//! An amendment through the page (admins): the amended file uploaded, or the text in force
//! edited in place, and why. It is checked before anything is stored; every problem is shown with
//! its line and column and the line itself, and nothing is lost: the text comes back to be fixed.

use actix_multipart::form::MultipartForm;
use actix_multipart::form::bytes::Bytes;
use actix_multipart::form::text::Text;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use crate::auth::routes::required_reason;
use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::protocol::{check, store};
use crate::state::AppState;
use crate::web::page::{Problems, staff_or_return, with_status};
use crate::web::{RespondHtml, csrf_of, redirect};

/// A problem in the submitted text, with the line it is on.
struct Located {
    line: usize,
    column: usize,
    message: String,
    /// The text of that line, as submitted.
    source: String,
}

#[derive(Template)]
#[template(path = "protocol/amend.html")]
struct AmendPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    in_force: i32,
    content: String,
    reason: String,
    /// The uploaded file's name, when the text came from one.
    file_name: Option<String>,
    located: Vec<Located>,
    problems: Problems,
    started: bool,
}

/// What the page sends: a file, or the edited text (a chosen file wins), and a reason.
#[derive(MultipartForm)]
pub(super) struct AmendForm {
    csrf_token: Text<String>,
    #[multipart(limit = "1MiB")]
    file: Option<Bytes>,
    #[multipart(limit = "1MiB")]
    content: Option<Text<String>>,
    reason: Option<Text<String>>,
}

#[get("/protocol/amend")]
pub(super) async fn amend_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::AmendProtocol);
    let current = state.run(|c| Ok(store::current(c)?)).await?;
    let content = current.map(|v| v.content).unwrap_or_default();
    page(&state, &auth, content, String::new(), None, Vec::new(), Problems::default()).await
}

#[post("/protocol/amend")]
pub(super) async fn amend_submit(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    form: Result<MultipartForm<AmendForm>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    // Who is asking comes first: a refused role hears so, whatever it sent.
    let auth = staff_or_return!(auth, Permission::AmendProtocol);
    let tr = auth.tr();
    let mut problems = Problems::default();
    let Ok(form) = form else {
        // Too large, or not a form a browser sends: nothing of it can be shown again.
        problems.add("file", tr.t("amend-unreadable"));
        let current = state.run(|c| Ok(store::current(c)?)).await?.map(|v| v.content).unwrap_or_default();
        return page(&state, &auth, current, String::new(), None, Vec::new(), problems).await;
    };
    let form = form.into_inner();
    auth.check_form_csrf(&form.csrf_token)?;
    let reason = form.reason.map(|r| r.into_inner()).unwrap_or_default();
    let typed = form.content.map(|c| c.into_inner()).unwrap_or_default();
    // A file field left empty sends a part with no name and no data; a chosen file has a name.
    let chosen =
        form.file.filter(|f| !f.data.is_empty() || f.file_name.as_deref().is_some_and(|n| !n.is_empty()));
    let file_name = chosen.as_ref().and_then(|f| f.file_name.clone());
    let content = match chosen {
        Some(file) if file.data.is_empty() => {
            problems.add("file", tr.t("amend-file-empty"));
            typed
        }
        Some(file) => String::from_utf8(file.data.to_vec()).unwrap_or_else(|_| {
            problems.add("file", tr.t("amend-not-text"));
            typed
        }),
        None => typed,
    };
    // Browsers send a textarea's lines ended by CR LF, and Windows editors save files so: one
    // text is one text, whatever ended its lines (else an unchanged text is a new version).
    let content = content.replace("\r\n", "\n");
    if content.trim().is_empty() && problems.is_empty() {
        problems.add("content", tr.t("amend-empty"));
    }
    if required_reason(&reason).is_err() {
        problems.add("reason", tr.t("amend-no-reason"));
    }
    // Checked here too, so that every problem comes back with its place, not one joined message.
    let located = match check(&content, &state.instruments) {
        Err(errors) if !content.trim().is_empty() => {
            let lines: Vec<&str> = content.lines().collect();
            errors
                .into_iter()
                .map(|e| Located {
                    source: lines.get(e.line.saturating_sub(1)).map_or("", |l| l.trim_end()).to_owned(),
                    line: e.line,
                    column: e.column,
                    message: e.message,
                })
                .collect()
        }
        _ => Vec::new(),
    };
    if !located.is_empty() {
        problems.add("content", tr.n("amend-problems", located.len()));
    }
    if !problems.is_empty() {
        return page(&state, &auth, content, reason, file_name, located, problems).await;
    }
    let (ctx, library, text, why) =
        (auth.context(), state.instruments.clone(), content.clone(), reason.clone());
    let done = state
        .write(move |c| Ok(store::amend(c, &ctx, &library, &text, why.trim()).map_err(AppError::from)))
        .await?;
    match done {
        Ok(stored) => Ok(redirect(&format!(
            "/protocol/changes?from={}&to={}&saved=1",
            stored.version - 1,
            stored.version
        ))),
        Err(e) => {
            let (problems, _) = Problems::from_refusal(tr, e)?;
            page(&state, &auth, content, reason, file_name, Vec::new(), problems).await
        }
    }
}

/// The form, with what was sent and why it was refused when it was.
async fn page(
    state: &AppState,
    auth: &Auth,
    content: String,
    reason: String,
    file_name: Option<String>,
    located: Vec<Located>,
    problems: Problems,
) -> Result<HttpResponse, AppError> {
    let (in_force, started) = state
        .run(|c| {
            Ok((store::current(c)?.map_or(0, |v| v.version), store::randomisation_started(c)?.is_some()))
        })
        .await?;
    let status = if problems.is_empty() {
        StatusCode::OK
    } else if problems.has(Problems::FORM) {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AmendPage {
        tr: auth.tr(),
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        in_force,
        content,
        reason,
        file_name,
        located,
        problems,
        started,
    };
    Ok(with_status(page.respond_to_html(), status))
}
