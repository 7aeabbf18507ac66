//! Staff accounts: queries and audited changes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::Role;
use crate::audit::{self, Change, Context, Event};
use crate::db::schema::{api_tokens, two_factor, user_sites, users};
use crate::db::{self, DbConn};
use crate::i18n::Lang;
use crate::service_error::ServiceError;
use crate::sites::{self, Scope};

/// A stored staff account.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub sessions_valid_after: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Reaches every site; otherwise only the sites granted in `user_sites`.
    pub all_sites: bool,
    /// The language of the account's pages (`i18n::Lang` code).
    pub language: String,
    /// When the password was last set; a one-time password expires some hours after it.
    pub password_set_at: Option<NaiveDateTime>,
}

impl User {
    /// Whether the account holds a one-time password older than `valid_for`: it no longer signs
    /// in, and an admin issues another. (Rows from before `password_set_at`: `updated_at`.)
    pub fn one_time_password_expired(&self, valid_for: chrono::Duration, now: NaiveDateTime) -> bool {
        self.must_change_password && now - self.password_set_at.unwrap_or(self.updated_at) > valid_for
    }
}

/// What the API shows of an account (never the hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub must_change_password: bool,
    #[serde(serialize_with = "crate::json::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::json::utc")]
    pub updated_at: NaiveDateTime,
    /// Reaches every site, present and future.
    pub all_sites: bool,
    /// The sites granted, when not `all_sites` (none: the account sees no participant).
    pub sites: Vec<String>,
    /// The language of the account's pages: `en` or `es`.
    pub language: String,
    /// Signs in with a code from an authenticator app as well as the password.
    pub two_factor: bool,
}

impl User {
    /// The role, falling back to the least privileged if the stored name is unknown.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::StatisticianBlinded)
    }

    /// The account as the API shows it, with the sites it reaches and whether it uses two-factor
    /// sign-in.
    pub fn view(&self, scope: &Scope, two_factor: bool) -> UserView {
        UserView {
            id: self.id.clone(),
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            role: self.role(),
            disabled: self.disabled,
            must_change_password: self.must_change_password,
            created_at: self.created_at,
            updated_at: self.updated_at,
            all_sites: !scope.is_limited(),
            sites: scope.codes().unwrap_or_default(),
            language: self.language.clone(),
            two_factor,
        }
    }

    /// The sites this account reaches.
    pub fn scope(&self, conn: &mut DbConn) -> QueryResult<Scope> {
        Scope::of_user(conn, &self.id, self.all_sites)
    }
}

/// An e-mail address, lower-cased and trimmed, with a plausible shape.
pub fn parse_email(raw: &str) -> Result<String, ServiceError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(ServiceError::validation("email", "must be an e-mail address like name@example.org"))
    }
}

/// Looks an account up by id.
pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<User>> {
    users::table.find(id).select(User::as_select()).first(conn).optional()
}

/// When the account's second factor was switched on, as a column of a query over `users`: each
/// request's sign-in check reads it with the account in one query, not two.
#[diesel::dsl::auto_type]
pub fn two_factor_enabled_at() -> _ {
    two_factor::table.filter(two_factor::user_id.eq(users::id)).select(two_factor::enabled_at).single_value()
}

/// A signed-in account by id, and whether its second factor is on.
pub fn find_signed_in(conn: &mut DbConn, id: &str) -> QueryResult<Option<(User, bool)>> {
    let found: Option<(User, Option<NaiveDateTime>)> =
        users::table.find(id).select((User::as_select(), two_factor_enabled_at())).first(conn).optional()?;
    Ok(found.map(|(user, at)| (user, at.is_some())))
}

/// Looks an account up by e-mail (already normalised).
pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table.filter(users::email.eq(email)).select(User::as_select()).first(conn).optional()
}

/// Every account, by e-mail.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<User>> {
    users::table.select(User::as_select()).order(users::email.asc()).load(conn)
}

/// How many accounts exist (serve tells an empty database how to create the first admin).
pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// Creates an account with a one-time password that must be changed at first sign-in.
pub fn create(
    conn: &mut DbConn,
    ctx: &Context,
    email: &str,
    display_name: &str,
    role: Role,
    password_hash: String,
    access: &Scope,
) -> Result<User, ServiceError> {
    let now = db::now();
    let user = User {
        id: uuid::Uuid::now_v7().to_string(),
        email: email.to_owned(),
        display_name: display_name.to_owned(),
        role: role.as_str().to_owned(),
        password_hash,
        must_change_password: true,
        disabled: false,
        sessions_valid_after: now,
        created_at: now,
        updated_at: now,
        all_sites: !access.is_limited(),
        language: Lang::default().code().to_owned(),
        password_set_at: Some(now),
    };
    db::write_tx(conn, |c| {
        if find_by_email(c, email)?.is_some() {
            return Err(ServiceError::conflict("email_taken", "an account with this e-mail already exists"));
        }
        diesel::insert_into(users::table).values(&user).execute(c)?;
        grant(c, &user.id, access)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "create",
                entity: "user",
                entity_id: &user.id,
                changes: vec![
                    Change::redacted("email", false),
                    Change::redacted("display_name", false),
                    Change::set("role", role),
                    Change::set("disabled", false),
                    Change::set("sites", site_access(access)),
                ],
                reason: None,
            },
        )?;
        Ok(user.clone())
    })
}

/// A change to an account's role or status.
#[derive(Debug, Default, Clone)]
pub struct Update {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub display_name: Option<String>,
    /// New site access, replacing the old.
    pub sites: Option<Scope>,
    /// The language of the account's pages.
    pub language: Option<Lang>,
}

/// Applies `update` with the reason; disabling or changing the role ends the user's sessions.
pub fn update(
    conn: &mut DbConn,
    ctx: &Context,
    id: &str,
    update: &Update,
    reason: &str,
) -> Result<User, ServiceError> {
    db::write_tx(conn, |c| {
        let old = find(c, id)?.ok_or_else(|| ServiceError::NotFound("user".into()))?;
        let mut new = old.clone();
        let mut changes = Vec::new();
        if let Some(role) = update.role.filter(|r| *r != old.role()) {
            changes.push(Change::update("role", old.role(), role));
            new.role = role.as_str().into();
        }
        if let Some(disabled) = update.disabled.filter(|d| *d != old.disabled) {
            changes.push(Change::update("disabled", old.disabled, disabled));
            new.disabled = disabled;
        }
        if let Some(name) = update.display_name.as_ref().filter(|n| **n != old.display_name) {
            changes.push(Change::redacted("display_name", true));
            new.display_name = name.clone();
        }
        if let Some(language) = update.language.map(Lang::code).filter(|l| *l != old.language) {
            changes.push(Change::update("language", &old.language, language));
            new.language = language.to_owned();
        }
        if let Some(access) = &update.sites {
            let before = old.scope(c)?;
            if *access != before {
                changes.push(Change::update("sites", site_access(&before), site_access(access)));
                new.all_sites = !access.is_limited();
                diesel::delete(user_sites::table.filter(user_sites::user_id.eq(id))).execute(c)?;
                grant(c, id, access)?;
            }
        }
        if changes.is_empty() {
            return Ok(old);
        }
        let access_changed = new.disabled != old.disabled || new.role != old.role;
        if access_changed
            && ctx.actor.id.as_deref() == Some(id)
            && (new.disabled || new.role() != Role::Admin)
        {
            return Err(ServiceError::conflict(
                "self_lockout",
                "you cannot disable yourself or remove your own admin role",
            ));
        }
        let now = db::now();
        new.updated_at = now;
        if new.role != old.role || new.disabled != old.disabled {
            new.sessions_valid_after = now;
        }
        diesel::update(users::table.find(id))
            .set((
                users::role.eq(&new.role),
                users::disabled.eq(new.disabled),
                users::display_name.eq(&new.display_name),
                users::updated_at.eq(new.updated_at),
                users::sessions_valid_after.eq(new.sessions_valid_after),
                users::all_sites.eq(new.all_sites),
                users::language.eq(&new.language),
            ))
            .execute(c)?;
        audit::append(
            c,
            ctx,
            Event { action: "update", entity: "user", entity_id: id, changes, reason: Some(reason) },
        )?;
        Ok(new)
    })
}

/// Sets a new password hash; `must_change` marks it one-time. Ends the user's other sessions; a
/// reset (`must_change`) also revokes the account's API tokens: whoever had the old password may
/// have made them, and a script's owner makes new ones once they hold their own password again.
pub fn set_password(
    conn: &mut DbConn,
    ctx: &Context,
    id: &str,
    password_hash: String,
    must_change: bool,
    reason: &str,
) -> Result<User, ServiceError> {
    db::write_tx(conn, |c| {
        let mut user = find(c, id)?.ok_or_else(|| ServiceError::NotFound("user".into()))?;
        let now = db::now();
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(&password_hash),
                users::must_change_password.eq(must_change),
                users::sessions_valid_after.eq(now),
                users::updated_at.eq(now),
                users::password_set_at.eq(now),
            ))
            .execute(c)?;
        if must_change {
            let open: Vec<String> = api_tokens::table
                .filter(api_tokens::user_id.eq(id))
                .filter(api_tokens::revoked_at.is_null())
                .select(api_tokens::id)
                .load(c)?;
            diesel::update(api_tokens::table.filter(api_tokens::id.eq_any(&open)))
                .set(api_tokens::revoked_at.eq(now))
                .execute(c)?;
            for token in &open {
                audit::append(
                    c,
                    ctx,
                    Event {
                        action: "revoke",
                        entity: "api_token",
                        entity_id: token,
                        changes: vec![Change::update("revoked_at", None::<NaiveDateTime>, now)],
                        reason: Some("the account's password was reset"),
                    },
                )?;
            }
        }
        audit::append(
            c,
            ctx,
            Event {
                action: if must_change { "password_reset" } else { "password_change" },
                entity: "user",
                entity_id: id,
                changes: vec![
                    Change::redacted("password_hash", true),
                    Change::update("must_change_password", user.must_change_password, must_change),
                ],
                reason: Some(reason),
            },
        )?;
        user.password_hash = password_hash;
        user.must_change_password = must_change;
        user.sessions_valid_after = now;
        user.updated_at = now;
        user.password_set_at = Some(now);
        Ok(user)
    })
}

/// Ends every session of an account (sign-out): cookie sessions live in the browser, so the
/// server cannot delete one; it refuses all that began before now instead.
pub fn end_sessions(conn: &mut DbConn, ctx: &Context, id: &str) -> Result<(), ServiceError> {
    db::write_tx(conn, |c| {
        diesel::update(users::table.find(id)).set(users::sessions_valid_after.eq(db::now())).execute(c)?;
        audit::append(
            c,
            ctx,
            Event { action: "logout", entity: "user", entity_id: id, changes: vec![], reason: None },
        )?;
        Ok(())
    })
}

/// Checks that every site of a limited `access` exists, and records the grants.
fn grant(c: &mut DbConn, user_id: &str, access: &Scope) -> Result<(), ServiceError> {
    for code in access.codes().unwrap_or_default() {
        if sites::find(c, &code)?.is_none() {
            return Err(ServiceError::validation("sites", format!("no site has the code `{code}`")));
        }
        diesel::insert_into(user_sites::table)
            .values((user_sites::user_id.eq(user_id), user_sites::site.eq(&code)))
            .execute(c)?;
    }
    Ok(())
}

/// Site access as the audit trail records it: `"all"` or the list of codes.
fn site_access(access: &Scope) -> serde_json::Value {
    access.codes().map_or_else(|| serde_json::json!("all"), |codes| serde_json::json!(codes))
}

/// The site access a new account gets when the request names none: every site while the study
/// has one, but an explicit choice once it has several, so that no account reaches every site
/// by omission (REDCap's users outside any data access group see everything).
pub fn default_access(conn: &mut DbConn) -> Result<Scope, ServiceError> {
    if sites::list(conn)?.len() > 1 {
        return Err(ServiceError::validation(
            "sites",
            "this study has several sites: name the sites this account may use, or give it all sites",
        ));
    }
    Ok(Scope::All)
}

/// Site access from a request: `sites` limits the account to those sites (an empty list to none);
/// `all_sites: true` gives it every site; neither leaves the access as it is (`None`).
pub fn requested_access(
    all_sites: Option<bool>,
    sites: Option<Vec<String>>,
) -> Result<Option<Scope>, ServiceError> {
    match (all_sites, sites) {
        (Some(true), Some(_)) => {
            Err(ServiceError::validation("sites", "give either the sites or all_sites: true, not both"))
        }
        (Some(true), None) => Ok(Some(Scope::All)),
        (Some(false), None) => Ok(Some(Scope::Sites(Default::default()))),
        (_, Some(codes)) => {
            let codes = codes
                .iter()
                .map(|c| {
                    sites::parse_code(c)
                        .map_err(|_| ServiceError::validation("sites", format!("`{c}` is not a site code")))
                })
                .collect::<Result<_, _>>()?;
            Ok(Some(Scope::Sites(codes)))
        }
        (None, None) => Ok(None),
    }
}

/// The account as the API shows it, with its sites read from the database.
pub fn view(conn: &mut DbConn, user: &User) -> QueryResult<UserView> {
    Ok(user.view(&user.scope(conn)?, super::two_factor::enabled(conn, &user.id)?))
}
