//! Sites: the clinics a trial recruits through. Every screening and participant belongs to one
//! site; a staff account reaches every site or only the sites granted to it (`Scope`), and what
//! lies outside its scope answers exactly as if it did not exist.

pub mod routes;
mod scope;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use scope::Scope;

use crate::audit::{self, Change, Context, Event};
use crate::db::schema::sites;
use crate::db::text_enum::text_enum;
use crate::db::{self, DbConn};
use crate::service_error::{ServiceError, ServiceResult};

/// The site a database from before sites moved everything to (migration `000006_sites`).
pub const DEFAULT_SITE: &str = "main";

text_enum! {
    /// Whether a site still screens and enrols.
    pub enum SiteStatus {
        /// Recruiting.
        Open = "open",
        /// No new screenings or enrolments; its participants carry on.
        Closed = "closed",
    }
}

/// A stored site.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = sites)]
pub struct Site {
    /// Short code, used in the API, exports and strata (`main`, `boston`).
    pub code: String,
    pub name: String,
    #[schema(value_type = String)]
    pub status: SiteStatus,
    /// How many participants the site is meant to enrol, if it has a target.
    pub recruitment_target: Option<i32>,
    #[serde(serialize_with = "crate::json::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::json::utc_opt")]
    pub closed_at: Option<NaiveDateTime>,
}

/// A site to create (the API's request body too).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    /// 1 to 32 characters: lowercase letters, digits, `-` and `_`, starting with a letter.
    #[schema(pattern = r"^[a-z][a-z0-9_-]{0,31}$")]
    pub code: String,
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    #[schema(minimum = 1)]
    pub recruitment_target: Option<i32>,
}

/// Parses a site code: short, stable and safe in file names, strata keys and URLs.
pub fn parse_code(raw: &str) -> ServiceResult<String> {
    let code = raw.trim();
    let ok = (1..=32).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(code.to_owned())
    } else {
        Err(ServiceError::validation(
            "code",
            "must be 1 to 32 lowercase letters, digits, `-` or `_`, starting with a letter",
        ))
    }
}

/// Every site, by code.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Site>> {
    sites::table.order(sites::code).select(Site::as_select()).load(conn)
}

/// The site with this code, if there is one.
pub fn find(conn: &mut DbConn, code: &str) -> QueryResult<Option<Site>> {
    sites::table.find(code).select(Site::as_select()).first(conn).optional()
}

/// Creates an open site.
pub fn create(conn: &mut DbConn, ctx: &Context, new: NewSite) -> ServiceResult<Site> {
    let code = parse_code(&new.code)?;
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ServiceError::validation("name", "must be 1 to 200 characters"));
    }
    if new.recruitment_target.is_some_and(|t| t < 1) {
        return Err(ServiceError::validation("recruitment_target", "must be at least 1"));
    }
    let site = Site {
        code,
        name,
        status: SiteStatus::Open,
        recruitment_target: new.recruitment_target,
        created_at: db::now(),
        closed_at: None,
    };
    db::write_tx(conn, |c| {
        if find(c, &site.code)?.is_some() {
            return Err(ServiceError::conflict(
                "site_exists",
                format!("a site with code `{}` exists", site.code),
            ));
        }
        diesel::insert_into(sites::table).values(&site).execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "create",
                entity: "site",
                entity_id: &site.code,
                changes: vec![
                    Change::set("name", &site.name),
                    Change::set("status", site.status),
                    Change::set("recruitment_target", site.recruitment_target),
                ],
                reason: None,
            },
        )?;
        Ok(site.clone())
    })
}

/// Closes a site to new screenings and enrolments, with the reason.
pub fn close(conn: &mut DbConn, ctx: &Context, code: &str, reason: &str) -> ServiceResult<Site> {
    db::write_tx(conn, |c| {
        let mut site = find(c, code)?.ok_or_else(|| ServiceError::NotFound("site".into()))?;
        if site.status == SiteStatus::Closed {
            return Err(ServiceError::conflict("site_closed", format!("site `{code}` is already closed")));
        }
        let now = db::now();
        diesel::update(sites::table.find(code))
            .set((sites::status.eq(SiteStatus::Closed), sites::closed_at.eq(now)))
            .execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "close",
                entity: "site",
                entity_id: code,
                changes: vec![Change::update("status", site.status, SiteStatus::Closed)],
                reason: Some(reason),
            },
        )?;
        site.status = SiteStatus::Closed;
        site.closed_at = Some(now);
        Ok(site)
    })
}

/// The site a new screening or enrolment goes to: one that exists, is open, and that the caller
/// may use. `field` names the request field in the error.
pub fn recruiting(conn: &mut DbConn, scope: &Scope, code: &str, field: &str) -> ServiceResult<Site> {
    let site = find(conn, code)?
        .ok_or_else(|| ServiceError::validation(field, format!("no site has the code `{code}`")))?;
    if !scope.allows(code) {
        return Err(ServiceError::forbidden(
            "site_not_granted",
            format!("your account has no access to site `{code}`"),
        ));
    }
    if site.status == SiteStatus::Closed {
        return Err(ServiceError::conflict("site_closed", format!("site `{code}` is closed to recruitment")));
    }
    Ok(site)
}

/// The site a new screening goes to: the one named, or (none named) the only open site the
/// caller may use. Several to choose from and none named is a validation error naming `field`.
pub fn choose(conn: &mut DbConn, scope: &Scope, requested: Option<&str>, field: &str) -> ServiceResult<Site> {
    if let Some(code) = requested {
        return recruiting(conn, scope, code.trim(), field);
    }
    let mut open: Vec<Site> =
        list(conn)?.into_iter().filter(|s| s.status == SiteStatus::Open && scope.allows(&s.code)).collect();
    match open.len() {
        1 => Ok(open.remove(0)),
        0 if scope.is_limited() => {
            Err(ServiceError::forbidden("site_not_granted", "your account has no open site to recruit at"))
        }
        0 => Err(ServiceError::conflict("site_closed", "every site is closed to recruitment")),
        _ => {
            let codes: Vec<&str> = open.iter().map(|s| s.code.as_str()).collect();
            Err(ServiceError::validation(field, format!("say which site: one of {}", codes.join(", "))))
        }
    }
}

/// A change to a site's name or recruitment target.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteChange {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    /// A new target (at least 1).
    #[schema(minimum = 1)]
    pub recruitment_target: Option<i32>,
    /// Why (kept in the audit trail).
    #[schema(min_length = 1, max_length = 1000, pattern = r"\S")]
    pub reason: String,
}

/// Renames a site or sets its recruitment target (audited, old → new).
pub fn update(conn: &mut DbConn, ctx: &Context, code: &str, change: &SiteChange) -> ServiceResult<Site> {
    let name = change.name.as_deref().map(str::trim);
    if name.is_some_and(|n| n.is_empty() || n.chars().count() > 200) {
        return Err(ServiceError::validation("name", "must be 1 to 200 characters"));
    }
    if change.recruitment_target.is_some_and(|t| t < 1) {
        return Err(ServiceError::validation("recruitment_target", "must be at least 1"));
    }
    db::write_tx(conn, |c| {
        let mut site = find(c, code)?.ok_or_else(|| ServiceError::NotFound("site".into()))?;
        let mut changes = Vec::new();
        if let Some(name) = name.filter(|n| *n != site.name) {
            changes.push(Change::update("name", &site.name, name));
            site.name = name.to_owned();
        }
        if let Some(target) = change.recruitment_target.filter(|t| Some(*t) != site.recruitment_target) {
            changes.push(Change::update("recruitment_target", site.recruitment_target, target));
            site.recruitment_target = Some(target);
        }
        if changes.is_empty() {
            return Ok(site);
        }
        diesel::update(sites::table.find(code))
            .set((sites::name.eq(&site.name), sites::recruitment_target.eq(site.recruitment_target)))
            .execute(c)?;
        audit::append(
            c,
            ctx,
            Event {
                action: "update",
                entity: "site",
                entity_id: code,
                changes,
                reason: Some(&change.reason),
            },
        )?;
        Ok(site)
    })
}
