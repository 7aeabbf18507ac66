//! Staff accounts for administrators: the list, a new account (its one-time password shown once),
//! and one account: its name, role and sites changed with a reason, disabled or enabled with a
//! reason, and its password reset (a new one-time password, shown once). Same services as
//! `/api/v1/users`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::page::{Problems, staff_or_return, study_time, with_status};
use super::{RespondHtml, csrf_of, not_found_page, redirect};
use crate::auth::routes::{hash_password_off_thread, required_reason};
use crate::auth::users::{self, UserView};
use crate::auth::{Auth, Permission, Role};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;

/// The form as sent (sites repeated).
type Typed = Vec<(String, String)>;

fn value<'a>(typed: &'a Typed, name: &str) -> &'a str {
    typed.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim())
}

#[derive(Template)]
#[template(path = "staff/staff.html")]
struct StaffPage {
    tr: Tr,
    role: String,
    csrf_token: String,
    accounts: Vec<UserView>,
    /// The account being shown, for its own page.
    one: Option<UserView>,
    sites: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    /// A one-time password just made: whose, and the password, shown this once.
    secret: Option<(String, String)>,
    /// The account's API tokens, on its own page.
    tokens: Vec<super::tokens::TokenRow>,
    notice: Option<String>,
    problems: Problems,
    typed: Typed,
    /// When the shown account was made and last changed (study's zone).
    made: String,
}

impl StaffPage {
    fn value(&self, name: &str) -> &str {
        value(&self.typed, name)
    }

    /// The status form's step for the shown account: enable a disabled one, else disable.
    fn status_what(&self) -> &'static str {
        if self.one.as_ref().is_some_and(|u| u.disabled) { "enable" } else { "disable" }
    }

    fn ticked(&self, name: &str, v: &str) -> bool {
        self.typed.iter().any(|(k, x)| k == name && x == v)
    }
}

async fn render(
    state: &AppState,
    auth: &Auth,
    id: Option<String>,
    (typed, problems, secret, notice): (Typed, Problems, Option<(String, String)>, Option<String>),
) -> Result<HttpResponse, AppError> {
    let (tr, wanted) = (auth.tr(), id.clone());
    let (accounts, one, sites, protocol) = state
        .run(move |c| {
            // One account's page needs that account; only the list needs them all.
            let (all, one) = match wanted {
                Some(id) => (Vec::new(), users::find(c, &id)?.map(|u| users::view(c, &u)).transpose()?),
                None => {
                    (users::list(c)?.iter().map(|u| users::view(c, u)).collect::<Result<Vec<_>, _>>()?, None)
                }
            };
            let sites = crate::sites::list(c)?.into_iter().map(|s| (s.code, s.name)).collect::<Vec<_>>();
            Ok((all, one, sites, crate::protocol::store::current_parsed(c)?.0))
        })
        .await?;
    if id.is_some() && one.is_none() {
        return Ok(not_found_page(auth, "staff account", "/staff", "Back to the staff accounts"));
    }
    // An account's own page starts from what it is now.
    // A refused reset or disable sends only its reason: the change form still shows the account.
    let sent_change = typed.iter().any(|(k, _)| k == "display_name");
    let typed = match (&one, sent_change) {
        (Some(u), false) => {
            let mut t = vec![
                ("display_name".to_owned(), u.display_name.clone()),
                ("role".to_owned(), u.role.as_str().to_owned()),
            ];
            if u.all_sites {
                t.push(("all_sites".into(), "true".into()));
            }
            t.extend(u.sites.iter().map(|s| ("sites".to_owned(), s.clone())));
            t
        }
        _ => typed,
    };
    let tz = protocol.time_zone();
    let tokens = match &one {
        Some(u) => super::tokens::rows(state, u.id.clone(), tr).await?,
        None => Vec::new(),
    };
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = StaffPage {
        role: auth.user.role().to_string(),
        csrf_token: csrf_of(auth),
        made: one
            .as_ref()
            .map(|u| {
                tr.a2(
                    "staff-made",
                    &("made", study_time(tz, u.created_at)),
                    &("changed", study_time(tz, u.updated_at)),
                )
            })
            .unwrap_or_default(),
        accounts,
        one,
        sites,
        roles: Role::ALL.iter().map(|r| (r.as_str().to_owned(), tr.word("role", r.as_str()))).collect(),
        secret,
        tokens,
        notice,
        problems,
        typed,
        tr,
    };
    Ok(with_status(page.respond_to_html(), status))
}

/// A service's refusal beside its field, in the reader's language.
fn refused(tr: Tr, e: AppError) -> Result<Problems, AppError> {
    Ok(Problems::from_refusal(tr, e)?.0)
}

/// The sites of the form: every site, or those ticked.
fn access(typed: &Typed) -> Result<Option<crate::sites::Scope>, AppError> {
    let all = value(typed, "all_sites") == "true";
    let ticked: Vec<String> = typed.iter().filter(|(k, _)| k == "sites").map(|(_, v)| v.clone()).collect();
    // Nothing ticked leaves the sites as they are (a new account: the only site, if there is one).
    let (all, sites) = match (all, ticked.is_empty()) {
        (true, _) => (Some(true), None),
        (false, true) => (None, None),
        (false, false) => (None, Some(ticked)),
    };
    Ok(users::requested_access(all, sites)?)
}

#[get("/staff")]
pub(super) async fn staff_list(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageUsers);
    render(&state, &auth, None, (Vec::new(), Problems::default(), None, None)).await
}

#[post("/staff")]
pub(super) async fn staff_made(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    form: web::Form<Typed>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageUsers);
    let typed = form.into_inner();
    auth.check_form_csrf(value(&typed, "csrf_token"))?;
    let tr = auth.tr();
    let name = value(&typed, "display_name").to_owned();
    let checked = (|| -> Result<_, AppError> {
        let email = users::parse_email(value(&typed, "email"))?;
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::validation("display_name", "must be 1 to 200 characters"));
        }
        let role = Role::parse(value(&typed, "role"))
            .ok_or_else(|| AppError::validation("role", "choose a role"))?;
        Ok((email, role, access(&typed)?))
    })();
    let (email, role, access) = match checked {
        Ok(ok) => ok,
        Err(e) => return render(&state, &auth, None, (typed, refused(tr, e)?, None, None)).await,
    };
    let password = crate::auth::one_time_password()?;
    let hash = hash_password_off_thread(password.clone()).await?;
    let (ctx, shown) = (auth.context(), email.clone());
    let made = state
        .write(move |c| {
            let access = match access {
                Some(a) => a,
                None => match users::default_access(c) {
                    Ok(a) => a,
                    Err(e) => return Ok(Err(AppError::from(e))),
                },
            };
            Ok(users::create(c, &ctx, &email, &name, role, hash, &access).map_err(AppError::from))
        })
        .await?;
    match made {
        Ok(_) => {
            render(&state, &auth, None, (Vec::new(), Problems::default(), Some((shown, password)), None))
                .await
        }
        Err(e) => render(&state, &auth, None, (typed, refused(tr, e)?, None, None)).await,
    }
}

/// What `?done=` says after a change.
#[derive(Debug, serde::Deserialize)]
struct Done {
    done: Option<String>,
}

#[get("/staff/{id}")]
pub(super) async fn staff_one(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<String>,
    query: web::Query<Done>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageUsers);
    let tr = auth.tr();
    let notice = match query.done.as_deref() {
        Some("change") => Some(tr.t("staff-changed")),
        Some("disable") => Some(tr.t("staff-disabled")),
        Some("enable") => Some(tr.t("staff-enabled")),
        Some("token") => Some(tr.t("staff-token-revoked")),
        Some("two-factor") => Some(tr.t("staff-two-factor-was-reset")),
        _ => None,
    };
    render(&state, &auth, Some(path.into_inner()), (Vec::new(), Problems::default(), None, notice)).await
}

/// A change to an account: `what` is `change` (name, role, sites), `disable`, `enable`,
/// `password` (a reset) or `two-factor` (a reset); each with a reason.
#[post("/staff/{id}/{what}")]
pub(super) async fn staff_changed(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<(String, String)>,
    form: web::Form<Typed>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageUsers);
    let typed = form.into_inner();
    auth.check_form_csrf(value(&typed, "csrf_token"))?;
    let (id, what) = path.into_inner();
    let tr = auth.tr();
    let reason = match required_reason(value(&typed, "reason")) {
        Ok(r) => r,
        Err(_) => {
            let mut p = Problems::default();
            p.add(format!("{what}-reason"), tr.t("record-problem-reason"));
            return render(&state, &auth, Some(id), (typed, p, None, None)).await;
        }
    };
    let ctx = auth.context();
    if what == "password" {
        let password = crate::auth::one_time_password()?;
        let hash = hash_password_off_thread(password.clone()).await?;
        let target = id.clone();
        let done = state
            .write(move |c| {
                Ok(users::set_password(c, &ctx, &target, hash, true, &reason).map_err(AppError::from))
            })
            .await?;
        return match done {
            Ok(u) => {
                render(
                    &state,
                    &auth,
                    Some(id),
                    (Vec::new(), Problems::default(), Some((u.email, password)), None),
                )
                .await
            }
            Err(e) => render(&state, &auth, Some(id), (typed, refused(tr, e)?, None, None)).await,
        };
    }
    if what == "two-factor" {
        let target = id.clone();
        let done = state
            .write(move |c| {
                Ok(crate::auth::two_factor::reset(c, &ctx, &target, &reason).map_err(AppError::from))
            })
            .await?;
        return match done {
            Ok(()) => Ok(redirect(&format!("/staff/{id}?done=two-factor"))),
            Err(AppError::NotFound(_)) => {
                Ok(not_found_page(&auth, "staff account", "/staff", "Back to the staff accounts"))
            }
            Err(e) => render(&state, &auth, Some(id), (typed, refused(tr, e)?, None, None)).await,
        };
    }
    let update = match what.as_str() {
        "disable" | "enable" => users::Update { disabled: Some(what == "disable"), ..Default::default() },
        "change" => {
            let role = Role::parse(value(&typed, "role"));
            let name = value(&typed, "display_name");
            if name.is_empty() || name.chars().count() > 200 {
                let mut p = Problems::default();
                p.add("display_name", tr.t("staff-problem-name"));
                return render(&state, &auth, Some(id), (typed, p, None, None)).await;
            }
            let sites = match access(&typed) {
                Ok(s) => s,
                Err(e) => {
                    return render(&state, &auth, Some(id), (typed.clone(), refused(tr, e)?, None, None))
                        .await;
                }
            };
            users::Update { role, display_name: Some(name.to_owned()), sites, ..Default::default() }
        }
        _ => return Ok(not_found_page(&auth, "staff account", "/staff", "Back to the staff accounts")),
    };
    let target = id.clone();
    let done = state
        .write(move |c| Ok(users::update(c, &ctx, &target, &update, &reason).map_err(AppError::from)))
        .await?;
    match done {
        Ok(_) => Ok(redirect(&format!("/staff/{id}?done={what}"))),
        Err(AppError::NotFound(_)) => {
            Ok(not_found_page(&auth, "staff account", "/staff", "Back to the staff accounts"))
        }
        Err(e) => render(&state, &auth, Some(id), (typed, refused(tr, e)?, None, None)).await,
    }
}

/// An administrator revokes one of the account's API tokens (audited, as any revocation).
#[post("/staff/{id}/tokens/{token}/revoke")]
pub(super) async fn staff_token_revoked(
    state: web::Data<AppState>,
    auth: Result<Auth, AppError>,
    path: web::Path<(String, String)>,
    form: web::Form<Typed>,
) -> Result<HttpResponse, AppError> {
    let auth = staff_or_return!(auth, Permission::ManageUsers);
    auth.check_form_csrf(value(&form, "csrf_token"))?;
    let (id, token) = path.into_inner();
    let (ctx, owner) = (auth.context(), id.clone());
    let done = state.write(move |c| Ok(crate::auth::tokens::revoke(c, &ctx, &token, Some(&owner))?)).await;
    match done {
        Ok(_) => Ok(redirect(&format!("/staff/{id}?done=token"))),
        Err(AppError::NotFound(_)) => {
            Ok(not_found_page(&auth, "API token", &format!("/staff/{id}"), "Back to the staff account"))
        }
        Err(e) => Err(e),
    }
}
