//! API tokens for scripts: shown once at creation, stored as SHA-256 hashes, revocable.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::users::User;
use crate::audit::{self, Change, Context, Event};
use crate::db::schema::{api_tokens, users};
use crate::db::{self, DbConn};
use crate::service_error::ServiceError;

/// Every token starts with this, so leaked ones are easy to find in logs and repositories.
pub const PREFIX: &str = "td_";

/// A stored token (its hash, never the token).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    #[serde(serialize_with = "crate::json::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub expires_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub last_used_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub revoked_at: Option<NaiveDateTime>,
}

/// How long a token works when its maker does not say: a script's token that is forgotten stops
/// by itself. Nobody gets a token that never expires.
pub const DEFAULT_VALID_DAYS: i64 = 90;

/// Creates a token for `user_id`, valid `valid_days` (else `DEFAULT_VALID_DAYS`); returns the
/// stored row and the secret, which is never stored.
pub fn create(
    conn: &mut DbConn,
    ctx: &Context,
    user_id: &str,
    name: &str,
    valid_days: Option<i64>,
) -> Result<(ApiToken, String), ServiceError> {
    let secret = format!("{PREFIX}{}", super::random_hex(32)?);
    let now = db::now();
    let token = ApiToken {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_owned(),
        name: name.to_owned(),
        token_hash: super::sha256_hex(&secret),
        created_at: now,
        expires_at: Some(now + Duration::days(valid_days.unwrap_or(DEFAULT_VALID_DAYS))),
        last_used_at: None,
        revoked_at: None,
    };
    db::write_tx(conn, |c| -> QueryResult<()> {
        diesel::insert_into(api_tokens::table).values(&token).execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "create",
                entity: "api_token",
                entity_id: &token.id,
                changes: vec![
                    Change::set("user_id", user_id),
                    Change::set("name", name),
                    Change::set("expires_at", token.expires_at),
                ],
                reason: None,
            },
        )?;
        Ok(())
    })?;
    Ok((token, secret))
}

/// Tokens of one user, or of everyone when `user_id` is `None`.
pub fn list(conn: &mut DbConn, user_id: Option<&str>) -> QueryResult<Vec<ApiToken>> {
    let mut q =
        api_tokens::table.select(ApiToken::as_select()).order(api_tokens::created_at.asc()).into_boxed();
    if let Some(u) = user_id {
        q = q.filter(api_tokens::user_id.eq(u.to_owned()));
    }
    q.load(conn)
}

/// Revokes a token; `owner` limits it to that user's tokens (the CLI passes `None`).
pub fn revoke(
    conn: &mut DbConn,
    ctx: &Context,
    id: &str,
    owner: Option<&str>,
) -> Result<ApiToken, ServiceError> {
    db::write_tx(conn, |c| {
        let mut token: ApiToken = api_tokens::table
            .find(id)
            .select(ApiToken::as_select())
            .first(c)
            .optional()?
            .filter(|t| owner.is_none_or(|o| o == t.user_id))
            .ok_or_else(|| ServiceError::NotFound("token".into()))?;
        if token.revoked_at.is_some() {
            return Ok(token);
        }
        let now = db::now();
        diesel::update(api_tokens::table.find(id)).set(api_tokens::revoked_at.eq(now)).execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "revoke",
                entity: "api_token",
                entity_id: id,
                changes: vec![Change::update("revoked_at", None::<NaiveDateTime>, now)],
                reason: None,
            },
        )?;
        token.revoked_at = Some(now);
        Ok(token)
    })
}

/// The active user behind a presented token, if it is valid, unexpired and unrevoked.
pub fn authenticate(conn: &mut DbConn, secret: &str) -> QueryResult<Option<(ApiToken, User, bool)>> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let now = db::now();
    let found: Option<(ApiToken, User, Option<NaiveDateTime>)> = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(super::sha256_hex(secret)))
        .filter(api_tokens::revoked_at.is_null())
        .select((ApiToken::as_select(), User::as_select(), super::users::two_factor_enabled_at()))
        .first(conn)
        .optional()?;
    let Some((token, user, two_factor_at)) = found else { return Ok(None) };
    if token.expires_at.is_some_and(|e| e <= now) || user.disabled {
        return Ok(None);
    }
    // Recording every use would make each API call a write; once a minute is enough to audit.
    if token.last_used_at.is_none_or(|t| now - t > Duration::minutes(1)) {
        // Bookkeeping, not trial data: no audit entry, so no need for the audit chain's lock.
        diesel::update(api_tokens::table.find(&token.id))
            .set(api_tokens::last_used_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some((token, user, two_factor_at.is_some())))
}
