//! Two-factor sign-in in the browser: the second step after the password (`/login/code`), and
//! one's own set-up (`/account/two-factor`): scan a QR code or type the key, prove it with a code,
//! keep the recovery codes shown once; later, new recovery codes or turning it off, each after
//! the password again.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::account::visitor_language;
use super::page::{qr_svg, with_status};
use super::{RespondHtml, csrf_of, redirect, signed_in};
use crate::auth::routes::{check_current_password, confirm_own, finish_sign_in};
use crate::auth::{Auth, Permission, extract, two_factor, users};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "login_code.html")]
struct CodePage {
    tr: Tr,
    error: Option<String>,
}

#[get("/login/code")]
pub(super) async fn code_form(req: HttpRequest, session: Session) -> HttpResponse {
    if extract::pending_second_step(&session).is_none() {
        return redirect("/login");
    }
    CodePage { tr: visitor_language(&req, &session), error: None }.respond_to_html()
}

/// The second step's field.
#[derive(Debug, Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

#[post("/login/code")]
pub(super) async fn code_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    extract::refuse_cross_site(&req)?;
    let Some(id) = extract::pending_second_step(&session) else { return Ok(redirect("/login")) };
    let user = state.run(move |c| Ok(users::find(c, &id)?)).await?;
    let Some(user) = user.filter(|u| !u.disabled) else { return Ok(redirect("/login")) };
    let tr = visitor_language(&req, &session);
    let refused = match finish_sign_in(&state, &req, user, Some(form.into_inner().code)).await {
        Ok(user) => {
            extract::start_session(&session, &user)?;
            return Ok(redirect(if user.must_change_password { "/account/password" } else { "/" }));
        }
        Err(e @ (AppError::InvalidCode | AppError::CodeRequired | AppError::TooManyRequests { .. })) => e,
        Err(e) => return Err(e),
    };
    let error = match &refused {
        AppError::TooManyRequests { retry_after_secs } => tr.a("login-too-many", "seconds", retry_after_secs),
        AppError::CodeRequired => tr.t("login-code-missing"),
        _ => tr.t("login-code-wrong"),
    };
    let status = actix_web::ResponseError::status_code(&refused);
    Ok(with_status(CodePage { tr, error: Some(error) }.respond_to_html(), status))
}

/// A secret being set up, as the page shows it.
struct SetupView {
    /// The key in groups of four, for typing.
    secret: String,
    /// The QR code of the `otpauth://` address, as inline SVG.
    qr: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "two_factor.html")]
struct SetupPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    on: bool,
    /// The role must sign in with two factors.
    required: bool,
    /// Unused recovery codes, when on.
    left: i64,
    setup: Option<SetupView>,
    /// Recovery codes just made, shown this once.
    new_codes: Option<Vec<String>>,
    notice: Option<String>,
    /// A refused form: the field and what is wrong.
    problem: Option<(String, String)>,
}

impl SetupPage {
    fn problem_of(&self, field: &str) -> Option<&str> {
        self.problem.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

/// The account's two-factor page as it stands now.
async fn load(state: &AppState, auth: &Auth) -> Result<SetupPage, AppError> {
    let (id, email) = (auth.user.id.clone(), auth.user.email.clone());
    let (on, left, pending) = state
        .run(move |c| {
            let on = two_factor::enabled(c, &id)?;
            let left = two_factor::recovery_codes_left(c, &id)?;
            Ok((on, left, two_factor::pending(c, &id, &email)?))
        })
        .await?;
    let setup = match pending {
        Some(s) => Some(SetupView { qr: qr_svg(&s.uri)?, secret: grouped(&s.secret) }),
        None => None,
    };
    Ok(SetupPage {
        tr: auth.tr(),
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        on,
        required: auth.two_factor_required,
        left,
        setup,
        new_codes: None,
        notice: None,
        problem: None,
    })
}

/// A base32 key in groups of four: easier to read off the screen and type into a phone.
fn grouped(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars.chunks(4).map(|g| g.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

/// The signed-in account for these pages; `Err` is where to send the visitor instead.
fn own(auth: Result<Auth, AppError>) -> Result<Result<Auth, HttpResponse>, AppError> {
    let Some(auth) = signed_in(auth)? else { return Ok(Err(redirect("/login"))) };
    auth.require(Permission::OwnAccount)?;
    if auth.user.must_change_password {
        return Ok(Err(redirect("/account/password")));
    }
    Ok(Ok(auth))
}

#[derive(Debug, Deserialize)]
struct Done {
    done: Option<String>,
}

#[get("/account/two-factor")]
pub(super) async fn setup_page(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<Done>,
) -> Result<HttpResponse, AppError> {
    let auth = match own(auth)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    let mut page = load(&state, &auth).await?;
    if query.done.as_deref() == Some("off") {
        page.notice = Some(page.tr.t("two-factor-turned-off"));
    }
    Ok(page.respond_to_html())
}

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf_token: String,
}

#[post("/account/two-factor")]
pub(super) async fn setup_begun(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    let auth = match own(auth)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    auth.check_form_csrf(&form.csrf_token)?;
    let (ctx, id, email) = (auth.context(), auth.user.id.clone(), auth.user.email.clone());
    let begun =
        state.write(move |c| Ok(two_factor::begin(c, &ctx, &id, &email).map_err(AppError::from))).await?;
    match begun {
        // Already on (a second tab): the page says so.
        Ok(_) | Err(AppError::Conflict { .. }) => Ok(redirect("/account/two-factor")),
        Err(e) => Err(e),
    }
}

/// A code typed into a form.
#[derive(Debug, Deserialize)]
struct CodeConfirmForm {
    csrf_token: String,
    #[serde(default)]
    code: String,
}

#[post("/account/two-factor/confirm")]
pub(super) async fn setup_confirmed(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    session: Session,
    form: web::Form<CodeConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let auth = match own(auth)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    auth.check_form_csrf(&form.csrf_token)?;
    let confirmed = confirm_own(&state, &auth, form.into_inner().code).await;
    let mut page = load(&state, &auth).await?;
    let tr = page.tr;
    match confirmed {
        Ok(codes) => {
            // Every session begun before ends (a phished one too); this browser's starts anew.
            page.csrf_token = extract::start_session(&session, &auth.user)?;
            page.new_codes = Some(codes);
            page.notice = Some(tr.t("two-factor-now-on"));
            // Shown on this answer only, not behind a redirect: the codes must not sit in a URL.
            Ok(page.respond_to_html())
        }
        Err(e @ (AppError::Validation { .. } | AppError::TooManyRequests { .. })) => {
            let message = match &e {
                AppError::TooManyRequests { retry_after_secs } => {
                    tr.a("login-too-many", "seconds", retry_after_secs)
                }
                _ => tr.t("two-factor-problem-code"),
            };
            page.problem = Some(("code".into(), message));
            let status = actix_web::ResponseError::status_code(&e);
            Ok(with_status(page.respond_to_html(), status))
        }
        Err(AppError::Conflict { .. }) => Ok(redirect("/account/two-factor")),
        Err(e) => Err(e),
    }
}

/// One's password again.
#[derive(Debug, Deserialize)]
struct PasswordAgainForm {
    csrf_token: String,
    #[serde(default)]
    current_password: String,
}

/// New recovery codes (`what` = `recovery-codes`) or turning two-factor off (`disable`), each after
/// the password again.
#[post("/account/two-factor/{what}")]
pub(super) async fn changed(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    form: web::Form<PasswordAgainForm>,
) -> Result<HttpResponse, AppError> {
    let auth = match own(auth)? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    auth.check_form_csrf(&form.csrf_token)?;
    let what = path.into_inner();
    if what != "recovery-codes" && what != "disable" {
        return Ok(super::not_found_page(&auth, "page", "/account/two-factor", "Back to two-step sign-in"));
    }
    let tr = auth.tr();
    if let Err(e) = check_current_password(&state, &auth, form.into_inner().current_password).await {
        let message = match &e {
            AppError::TooManyRequests { retry_after_secs } => {
                tr.a("login-too-many", "seconds", retry_after_secs)
            }
            AppError::Validation { .. } => tr.t("account-problem-current-wrong"),
            _ => return Err(e),
        };
        let mut page = load(&state, &auth).await?;
        page.problem = Some((format!("{what}-password"), message));
        return Ok(with_status(page.respond_to_html(), actix_web::ResponseError::status_code(&e)));
    }
    let (ctx, id) = (auth.context(), auth.user.id.clone());
    if what == "disable" {
        state.write(move |c| Ok(two_factor::turn_off(c, &ctx, &id, None)?)).await?;
        return Ok(redirect("/account/two-factor?done=off"));
    }
    let codes = state.write(move |c| Ok(two_factor::renew_recovery_codes(c, &ctx, &id)?)).await?;
    let mut page = load(&state, &auth).await?;
    page.new_codes = Some(codes);
    Ok(page.respond_to_html())
}
