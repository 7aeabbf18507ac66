//! Protocol versions in the database: the version in force, its history, and amendments.

use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{ALGORITHM, Protocol, check, parse_checked};
use crate::audit::{self, Change, Context, Event};
use crate::auth::sha256_hex;
use crate::db::schema::{protocol_versions, study_state};
use crate::db::{self, DbConn};
use crate::instruments::Library;
use crate::service_error::ServiceError;

/// A stored protocol version.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = protocol_versions)]
pub struct StoredProtocol {
    pub version: i32,
    pub study_code: String,
    /// The TOML text exactly as submitted (empty for blinded roles: it names the arms).
    pub content: String,
    pub content_sha256: String,
    #[serde(serialize_with = "crate::json::utc")]
    pub created_at: NaiveDateTime,
    pub created_by: Option<String>,
    pub reason: String,
    /// The allocation algorithm this version randomises with (`randomisation::engine`): the
    /// current one for a new study or an amendment before randomisation starts; after that, the
    /// one allocations were already made with.
    pub randomisation_algorithm: String,
}

impl StoredProtocol {
    /// The parsed protocol (stored text was checked before it was stored).
    /// Parsing takes longer than the queries around it, and the text rarely changes, so the
    /// last protocol parsed is kept, keyed by its hash.
    pub fn parsed(&self) -> Result<Arc<Protocol>, ServiceError> {
        if let Some(protocol) = cached(&self.content_sha256) {
            return Ok(protocol);
        }
        let protocol = Arc::new(self.parse_uncached()?);
        if let Ok(mut last) = LAST_PARSED.lock() {
            *last = Some((self.content_sha256.clone(), protocol.clone()));
        }
        Ok(protocol)
    }

    /// The same without touching the cache: for reading an older version, which would otherwise
    /// push the version in force out of it and make the next request parse that again.
    pub fn parse_uncached(&self) -> Result<Protocol, ServiceError> {
        parse_checked(&self.content).map_err(|errors| {
            ServiceError::Internal(anyhow::anyhow!(
                "stored protocol version {} no longer parses: {}",
                self.version,
                errors[0]
            ))
        })
    }
}

/// The last protocol parsed, with the hash of its text.
static LAST_PARSED: Mutex<Option<(String, Arc<Protocol>)>> = Mutex::new(None);

fn cached(sha256: &str) -> Option<Arc<Protocol>> {
    let last = LAST_PARSED.lock().ok()?;
    last.as_ref().filter(|(hash, _)| hash == sha256).map(|(_, p)| p.clone())
}

/// The protocol in force, parsed, and its version; reads the text only when it has changed.
pub fn current_parsed(conn: &mut DbConn) -> Result<(Arc<Protocol>, i32), ServiceError> {
    let (version, sha256): InForce = diesel::select(in_force()).get_result(conn)?;
    let (Some(version), Some(sha256)) = (version, sha256) else {
        return Err(ServiceError::NotFound("protocol".into()));
    };
    Ok((resolve(conn, version, &sha256)?, version))
}

/// What `in_force` reads: the number of the version in force and its text's hash (none before a
/// protocol is stored).
pub type InForce = (Option<i32>, Option<String>);

/// The version in force (the highest) as two subqueries, its number and its text's hash (for
/// `resolve`), to read beside another row: where every statement is a round trip under the
/// chain's lock, the protocol costs no statement of its own.
#[diesel::dsl::auto_type]
pub fn in_force() -> _ {
    let limit: i64 = 1;
    let newest = protocol_versions::table.order(protocol_versions::version.desc()).limit(limit);
    (
        newest.select(protocol_versions::version).single_value(),
        newest.select(protocol_versions::content_sha256).single_value(),
    )
}

/// Version `version` parsed, when a query has already read its text's hash: from the cache
/// when it holds that text, otherwise read and parsed.
pub fn resolve(conn: &mut DbConn, version: i32, sha256: &str) -> Result<Arc<Protocol>, ServiceError> {
    if let Some(protocol) = cached(sha256) {
        return Ok(protocol);
    }
    get(conn, version)?.ok_or_else(|| ServiceError::NotFound("protocol".into()))?.parsed()
}

/// The version in force: the highest.
pub fn current(conn: &mut DbConn) -> QueryResult<Option<StoredProtocol>> {
    protocol_versions::table
        .select(StoredProtocol::as_select())
        .order(protocol_versions::version.desc())
        .first(conn)
        .optional()
}

/// One version.
pub fn get(conn: &mut DbConn, version: i32) -> QueryResult<Option<StoredProtocol>> {
    protocol_versions::table.find(version).select(StoredProtocol::as_select()).first(conn).optional()
}

/// Every version, oldest first.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<StoredProtocol>> {
    protocol_versions::table
        .select(StoredProtocol::as_select())
        .order(protocol_versions::version.asc())
        .load(conn)
}

/// When the first participant was randomised, if anyone has been.
pub fn randomisation_started(conn: &mut DbConn) -> QueryResult<Option<NaiveDateTime>> {
    study_state::table.find(1).select(study_state::randomisation_started_at).first(conn)
}

/// Marks randomisation as started (the randomisation module calls this with the first allocation).
pub fn mark_randomisation_started(conn: &mut DbConn, ctx: &Context) -> QueryResult<()> {
    if randomisation_started(conn)?.is_some() {
        return Ok(());
    }
    let now = db::now();
    diesel::update(study_state::table.find(1))
        .set(study_state::randomisation_started_at.eq(now))
        .execute(conn)?;
    audit::append(
        conn,
        ctx,
        Event {
            action: "randomisation_started",
            entity: "study",
            entity_id: "1",
            changes: vec![Change::update("randomisation_started_at", None::<NaiveDateTime>, now)],
            reason: None,
        },
    )?;
    Ok(())
}

/// Protocol text that failed its check: every problem with line and column.
fn invalid(errors: Vec<super::ProtocolError>) -> ServiceError {
    let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
    ServiceError::validation(
        "content",
        format!("the protocol has {} problem(s): {}", list.len(), list.join("; ")),
    )
}

/// Stores `text` as version 1 if the database has no protocol yet; returns the version in force.
pub fn install_initial(
    conn: &mut DbConn,
    ctx: &Context,
    library: &Library,
    text: &str,
    reason: &str,
) -> Result<StoredProtocol, ServiceError> {
    let protocol = check(text, library).map_err(invalid)?;
    db::write_tx(conn, |c| {
        if let Some(existing) = current(c)? {
            return Ok(existing);
        }
        let draft = Draft { version: 1, protocol: &protocol, text, reason, algorithm: ALGORITHM };
        insert_version(c, ctx, draft, Vec::new())
    })
}

/// Records an amendment as a new version. Refuses changes to arms, strata or the randomisation
/// method once randomisation has started: they would invalidate allocations already made.
pub fn amend(
    conn: &mut DbConn,
    ctx: &Context,
    library: &Library,
    text: &str,
    reason: &str,
) -> Result<StoredProtocol, ServiceError> {
    let new = check(text, library).map_err(invalid)?;
    db::write_tx(conn, |c| {
        let old_row = current(c)?.ok_or_else(|| ServiceError::NotFound("protocol".into()))?;
        if old_row.content_sha256 == sha256_hex(text) {
            return Err(ServiceError::conflict(
                "unchanged",
                format!("this text is already version {}", old_row.version),
            ));
        }
        let old = old_row.parsed()?;
        if old.study.code.get_ref() != new.study.code.get_ref() {
            return Err(ServiceError::validation(
                "content",
                format!(
                    "the study code cannot change (from {} to {})",
                    old.study.code.get_ref(),
                    new.study.code.get_ref()
                ),
            ));
        }
        // Allocations already made keep their algorithm: an amendment changes none of them.
        let started = randomisation_started(c)?.is_some();
        let algorithm = if started { old_row.randomisation_algorithm.clone() } else { ALGORITHM.to_owned() };
        if started {
            // Blinded staff know the arms by their codes: moving a code to another arm would
            // relabel every allocation under them.
            for arm in &new.arms {
                if let Some(was) = old.arms.iter().find(|a| a.id.get_ref() == arm.id.get_ref())
                    && was.code.get_ref() != arm.code.get_ref()
                {
                    let message = format!(
                        "arm `{}` has had code {} since randomisation started; its code cannot change",
                        arm.id.get_ref(),
                        was.code.get_ref()
                    );
                    let at = crate::toml_file::locate(text, &arm.code.span(), message);
                    return Err(ServiceError::conflict("amendment_invalidates_allocations", at.to_string()));
                }
            }
            let changed = changed_allocation_parts(&old, &new);
            if !changed.is_empty() {
                return Err(ServiceError::conflict(
                    "amendment_invalidates_allocations",
                    format!(
                        "randomisation has started, so {} cannot change; allocations already made depend on them",
                        changed.join(", ")
                    ),
                ));
            }
        }
        let mut changes = Vec::new();
        let (was, now) = (old.blinded_roles(), new.blinded_roles());
        if was != now {
            // Unblinding a role (or blinding one) is what an auditor looks for first.
            let names = |roles: &[crate::auth::Role]| roles.iter().map(|r| r.as_str()).collect::<Vec<_>>();
            changes.push(Change::update("blinded_roles", names(&was), names(&now)));
        }
        if old.blinded_see_process() != new.blinded_see_process() {
            changes.push(Change::update(
                "blinded_see_process_data",
                old.blinded_see_process(),
                new.blinded_see_process(),
            ));
        }
        let draft =
            Draft { version: old_row.version + 1, protocol: &new, text, reason, algorithm: &algorithm };
        insert_version(c, ctx, draft, changes)
    })
}

/// Which allocation-defining parts differ between two protocols.
pub fn changed_allocation_parts(old: &Protocol, new: &Protocol) -> Vec<&'static str> {
    let (a, b) = (old.allocation_basis(), new.allocation_basis());
    let mut changed = Vec::new();
    if a["arms"] != b["arms"] {
        changed.push("arms");
    }
    if a["stratification"] != b["stratification"] {
        changed.push("stratification factors");
    }
    for key in ["method", "block_sizes", "imbalance", "probability", "stratify_by_site", "weights"] {
        if a[key] != b[key] {
            changed.push("the randomisation method and its parameters");
            break;
        }
    }
    changed
}

/// A version about to be stored.
struct Draft<'a> {
    version: i32,
    protocol: &'a Protocol,
    text: &'a str,
    reason: &'a str,
    algorithm: &'a str,
}

fn insert_version(
    conn: &mut DbConn,
    ctx: &Context,
    draft: Draft<'_>,
    changes: Vec<Change>,
) -> Result<StoredProtocol, ServiceError> {
    let Draft { version, protocol, text, reason, algorithm } = draft;
    let row = StoredProtocol {
        version,
        study_code: protocol.study.code.get_ref().clone(),
        content: text.to_owned(),
        content_sha256: sha256_hex(text),
        created_at: db::now(),
        created_by: ctx.actor.id.clone(),
        reason: reason.to_owned(),
        randomisation_algorithm: algorithm.to_owned(),
    };
    diesel::insert_into(protocol_versions::table).values(&row).execute(conn)?;
    audit::append(
        conn,
        ctx,
        Event {
            action: if version == 1 { "create" } else { "amend" },
            entity: "protocol",
            entity_id: &version.to_string(),
            changes: [
                Change::set("content_sha256", &row.content_sha256),
                Change::set("study_code", &row.study_code),
            ]
            .into_iter()
            .chain(changes)
            .collect(),
            reason: Some(reason),
        },
    )?;
    Ok(row)
}
