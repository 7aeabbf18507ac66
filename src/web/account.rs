//! Signing in and out, and one's own account: the language of one's pages and the password.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{AcceptLanguage, Header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::page::with_status;
use super::{RespondHtml, csrf_of, redirect, signed_in};
use crate::auth::extract;
use crate::auth::routes::{change_own_password, check_credentials, finish_sign_in, set_own_language};
use crate::auth::{Auth, Permission};
use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;

/// The language for a visitor who is not signed in: the one their last session used, else the
/// first of their browser's languages that the pages speak.
pub(super) fn visitor_language(req: &HttpRequest, session: &Session) -> Tr {
    let lang = extract::session_language(session).unwrap_or_else(|| {
        let ranked = AcceptLanguage::parse(req).map(|h| h.ranked()).unwrap_or_default();
        Lang::preferred(ranked.iter().filter_map(|l| l.item()).map(|tag| tag.primary_language()))
    });
    Tr::new(lang)
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    error: Option<String>,
    email: String,
}

#[get("/login")]
pub(super) async fn login_form(
    req: HttpRequest,
    session: Session,
    auth: Result<Auth, AppError>,
) -> HttpResponse {
    if auth.is_ok() {
        return redirect("/");
    }
    LoginPage { tr: visitor_language(&req, &session), error: None, email: String::new() }.respond_to_html()
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

#[post("/login")]
pub(super) async fn login_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    // No session exists yet, so there is no token to check: SameSite=Strict cookies and
    // refusing cross-site posts stop a forged sign-in.
    extract::refuse_cross_site(&req)?;
    let LoginForm { email, password } = form.into_inner();
    match check_credentials(&state, &req, &email, password).await {
        Ok(user) => {
            let user = match finish_sign_in(&state, &req, user.clone(), None).await {
                Ok(user) => user,
                Err(AppError::CodeRequired) => {
                    // The password was right; the code from the app comes on a page of its own.
                    extract::begin_second_step(&session, &user)?;
                    return Ok(redirect("/login/code"));
                }
                Err(e) => return Err(e),
            };
            extract::start_session(&session, &user)?;
            Ok(redirect(if user.must_change_password { "/account/password" } else { "/" }))
        }
        Err(e @ (AppError::InvalidCredentials | AppError::TooManyRequests { .. })) => {
            let tr = visitor_language(&req, &session);
            let error = match &e {
                AppError::TooManyRequests { retry_after_secs } => {
                    tr.a("login-too-many", "seconds", retry_after_secs)
                }
                _ => tr.t("login-wrong"),
            };
            let status = actix_web::ResponseError::status_code(&e);
            Ok(with_status(LoginPage { tr, error: Some(error), email }.respond_to_html(), status))
        }
        Err(e) => Err(e),
    }
}

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf_token: String,
}

#[post("/logout")]
pub(super) async fn logout(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    session: Session,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    let Some(auth) = signed_in(auth)? else {
        return Ok(redirect("/login"));
    };
    auth.check_form_csrf(&form.csrf_token)?;
    let (ctx, id) = (auth.context(), auth.user.id.clone());
    state.write(move |c| Ok(crate::auth::users::end_sessions(c, &ctx, &id)?)).await?;
    // A new, empty session (not none at all): the sign-in page that follows keeps speaking the
    // account's language, and nothing of the signed-in session remains.
    session.clear();
    session.renew();
    extract::remember_language(&session, &auth.user)?;
    Ok(redirect("/login"))
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub(super) struct AccountPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    name: String,
    email: String,
    must_change: bool,
    /// Signs in with a code from an authenticator app too.
    two_factor: bool,
    /// Each language the pages speak: code, name in itself, chosen.
    languages: Vec<(&'static str, &'static str, bool)>,
    notice: Option<String>,
    /// A refused password change: the field and what is wrong with it.
    problem: Option<(String, String)>,
    /// The account's API tokens, newest first.
    pub(super) tokens: Vec<super::tokens::TokenRow>,
    /// A token just made: its secret, shown this once.
    pub(super) new_token: Option<String>,
    /// A refused token: the field and what is wrong with it, and the name and days typed.
    pub(super) token_problem: Option<(String, String)>,
    pub(super) typed_token: (String, String),
    /// Whether the role may have a calendar address (it reads groups), and the one made, if any.
    calendar_allowed: bool,
    feed: Option<super::calendar::FeedRow>,
    /// An address just made: its `webcal:` form and its `https:` form, shown this once.
    pub(super) new_feed: Option<(String, String)>,
}

impl AccountPage {
    /// The page for the signed-in account, with its tokens.
    pub(super) async fn load(
        state: &AppState,
        auth: &Auth,
        notice: Option<String>,
        problem: Option<(String, String)>,
    ) -> Result<Self, AppError> {
        let mut page = Self::for_user(auth, notice, problem);
        page.tokens = super::tokens::rows(state, auth.user.id.clone(), auth.tr()).await?;
        page.feed = super::calendar::row(state, auth).await?;
        Ok(page)
    }

    fn for_user(auth: &Auth, notice: Option<String>, problem: Option<(String, String)>) -> Self {
        let tr = auth.tr();
        Self {
            tr,
            role: auth.user.role().to_string(),
            csrf_token: csrf_of(auth),
            name: auth.user.display_name.clone(),
            email: auth.user.email.clone(),
            must_change: auth.user.must_change_password,
            two_factor: auth.two_factor_on,
            languages: Lang::ALL.iter().map(|l| (l.code(), l.endonym(), *l == tr.language())).collect(),
            notice,
            problem,
            tokens: Vec::new(),
            new_token: None,
            token_problem: None,
            typed_token: (String::new(), String::new()),
            calendar_allowed: Permission::ReadGroups.allows(auth.user.role()),
            feed: None,
            new_feed: None,
        }
    }

    /// The problem message beside `field`, if the refused change was about it.
    fn problem_of(&self, field: &str) -> Option<&str> {
        self.problem.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    /// The problem beside a field of the token form.
    fn token_problem_of(&self, field: &str) -> Option<&str> {
        self.token_problem.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

/// What `?done=` says after a change.
#[derive(Debug, Deserialize)]
struct Done {
    done: Option<String>,
}

#[get("/account")]
pub(super) async fn account_page(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    query: web::Query<Done>,
) -> Result<HttpResponse, AppError> {
    let Some(auth) = signed_in(auth)? else { return Ok(redirect("/login")) };
    let tr = auth.tr();
    let notice = match query.done.as_deref() {
        Some("language") => Some(tr.t("account-language-saved")),
        Some("token-revoked") => Some(tr.t("account-token-revoked")),
        Some("calendar-revoked") => Some(tr.t("account-calendar-revoked")),
        _ => None,
    };
    Ok(AccountPage::load(&state, &auth, notice, None).await?.respond_to_html())
}

/// The first sign-in with a one-time password lands here; the page is the account page.
#[get("/account/password")]
pub(super) async fn password_form(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
) -> Result<HttpResponse, AppError> {
    Ok(match signed_in(auth)? {
        Some(a) => AccountPage::load(&state, &a, None, None).await?.respond_to_html(),
        None => redirect("/login"),
    })
}

/// The password form's fields.
#[derive(Debug, Deserialize)]
struct PasswordForm {
    csrf_token: String,
    current_password: String,
    new_password: String,
}

#[post("/account/password")]
pub(super) async fn password_submit(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    session: Session,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let Some(auth) = signed_in(auth)? else {
        return Ok(redirect("/login"));
    };
    auth.check_form_csrf(&form.csrf_token)?;
    let form = form.into_inner();
    let user = match change_own_password(&state, &auth, form.current_password, form.new_password).await {
        Ok(user) => user,
        Err(AppError::Validation { field, message }) => {
            // The service's English names the rule; the page says it in the reader's language.
            let tr = auth.tr();
            let key = match (field.as_str(), message.as_str()) {
                ("current_password", _) => "account-problem-current-wrong",
                ("new_password", m) if m.starts_with("must differ") => "account-problem-new-same",
                ("new_password", m) if m.starts_with("must be at most") => "account-problem-new-long",
                _ => "account-problem-new-short",
            };
            let page = AccountPage::load(&state, &auth, None, Some((field, tr.t(key)))).await?;
            return Ok(with_status(page.respond_to_html(), StatusCode::UNPROCESSABLE_ENTITY));
        }
        Err(e) => return Err(e),
    };
    extract::start_session(&session, &user)?;
    Ok(redirect("/"))
}

/// The language form's fields.
#[derive(Debug, Deserialize)]
struct LanguageForm {
    csrf_token: String,
    language: String,
}

#[post("/account/language")]
pub(super) async fn language_submit(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    session: Session,
    form: web::Form<LanguageForm>,
) -> Result<HttpResponse, AppError> {
    let Some(auth) = signed_in(auth)? else {
        return Ok(redirect("/login"));
    };
    auth.check_form_csrf(&form.csrf_token)?;
    auth.require(Permission::OwnAccount)?;
    // A choice the form does not offer can only come from a hand-made request: the API's 422.
    let lang = crate::auth::routes::parse_language(&form.language)?;
    let user = set_own_language(&state, &auth, lang).await?;
    extract::remember_language(&session, &user)?;
    Ok(redirect("/account?done=language"))
}
