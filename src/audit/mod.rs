//! The audit trail: append-only, hash-chained, field-level.
//!
//! Every entry's hash covers its content and the previous entry's hash, so changing, deleting or
//! reordering any entry breaks the chain from that point; `verify` names the first entry at fault.
//! The hashes are keyed with a key outside the database (`chain`), so they cannot be recomputed
//! by whoever can write to it.
//! Appends happen inside `db::write_tx`, which locks `audit_head` first: one order, no gaps.

pub mod chain;
pub mod pages;
pub mod routes;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::batch::Batch;
use crate::db::schema::{audit_head, audit_log};
use crate::db::text_enum::text_enum;
use crate::db::{self, DbConn};

text_enum! {
    /// What kind of actor made a change.
    pub enum ActorKind {
        /// A signed-in staff member.
        User = "user",
        /// Someone at the server's command line.
        Cli = "cli",
        /// The server itself.
        System = "system",
        /// A participant, through their survey link.
        Participant = "participant",
    }
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Actor {
    /// `user`, `cli`, `system` or `participant`.
    pub kind: String,
    /// The user id, the operating-system user for `cli`, or the survey link id.
    pub id: Option<String>,
    pub role: Option<String>,
}

impl Actor {
    /// A signed-in staff member.
    pub fn user(id: &str, role: &str) -> Self {
        Self { kind: ActorKind::User.as_str().into(), id: Some(id.into()), role: Some(role.into()) }
    }

    /// Someone at the server's command line; named by their operating-system account.
    pub fn cli() -> Self {
        let who = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).ok();
        Self::cli_named(who)
    }

    /// The server itself (start-up, background work).
    pub fn system() -> Self {
        Self { kind: ActorKind::System.as_str().into(), id: None, role: None }
    }

    /// Someone at the command line under a name of our choosing (the demo).
    pub fn cli_named(who: Option<String>) -> Self {
        Self { kind: ActorKind::Cli.as_str().into(), id: who, role: None }
    }

    /// The name a record keeps of who made it (`recorded_by`): the actor's id, or `cli` when the
    /// command line gave none.
    pub fn recorder(&self) -> String {
        self.id.clone().unwrap_or_else(|| ActorKind::Cli.as_str().into())
    }

    /// A participant answering through their link (`link_id`, when there is one).
    pub fn participant(link_id: Option<String>) -> Self {
        Self { kind: ActorKind::Participant.as_str().into(), id: link_id, role: None }
    }
}

/// The actor and request an audited change belongs to.
#[derive(Debug, Clone)]
pub struct Context {
    pub actor: Actor,
    pub request_id: Option<String>,
}

/// One field's old and new value. Identifying values are stored as `Redacted`, never in clear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    pub field: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

impl Change {
    /// A field set for the first time.
    pub fn set(field: &str, new: impl Serialize) -> Self {
        Self { field: field.into(), old: None, new: serde_json::to_value(new).ok() }
    }

    /// A field changed from `old` to `new`.
    pub fn update(field: &str, old: impl Serialize, new: impl Serialize) -> Self {
        Self { field: field.into(), old: serde_json::to_value(old).ok(), new: serde_json::to_value(new).ok() }
    }

    /// An identifying value (e-mail, phone, name): recorded as changed, never in clear.
    pub fn redacted(field: &str, had_old: bool) -> Self {
        let marker = serde_json::json!("[redacted]");
        Self { field: field.into(), old: had_old.then(|| marker.clone()), new: Some(marker) }
    }
}

/// A reason for the audit trail, trimmed: 1 to 1000 characters, or a refusal naming `reason`.
pub fn reason(raw: &str) -> Result<String, crate::service_error::ServiceError> {
    let reason = raw.trim();
    // NUL: PostgreSQL cannot store it (uploads reach here without the request-wide check).
    if reason.is_empty() || reason.chars().count() > 1000 || reason.contains('\0') {
        return Err(crate::service_error::ServiceError::validation(
            "reason",
            "say why (1 to 1000 characters); it is kept in the audit trail",
        ));
    }
    Ok(reason.to_owned())
}

/// A change about to be recorded.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub changes: Vec<Change>,
    /// Required for corrections after first entry; callers enforce it where it applies.
    pub reason: Option<&'a str>,
}

/// A stored audit entry.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    pub seq: i64,
    #[serde(serialize_with = "crate::json::utc")]
    pub at: NaiveDateTime,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// JSON list of `{field, old, new}` (stored as text; served as JSON).
    #[serde(serialize_with = "changes_as_json")]
    #[schema(value_type = Vec<Change>)]
    pub changes: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Serves the stored `changes` text as the JSON list it holds.
fn changes_as_json<S: serde::Serializer>(changes: &str, s: S) -> Result<S::Ok, S::Error> {
    match serde_json::from_str::<Value>(changes) {
        Ok(v) => v.serialize(s),
        Err(_) => s.serialize_str(changes),
    }
}

impl Entry {
    /// The hash this entry should carry, from its content and `prev_hash`: keyed (an HMAC with
    /// the chain key), or plain SHA-256 for entries written before the chain was keyed.
    pub fn compute_hash(&self, keyed: bool) -> QueryResult<String> {
        // A JSON array gives an unambiguous, order-fixed encoding of the fields.
        let canonical = serde_json::json!([
            self.seq,
            self.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            self.actor_kind,
            self.actor_id,
            self.actor_role,
            self.action,
            self.entity,
            self.entity_id,
            self.changes,
            self.reason,
            self.request_id,
            self.prev_hash,
        ]);
        chain::digest(&canonical.to_string(), keyed)
    }
}

/// Appends one entry. Must run inside `db::write_tx`, which has already locked the chain head.
pub fn append(conn: &mut DbConn, ctx: &Context, event: Event<'_>) -> QueryResult<i64> {
    db::batch::together(conn, |c, batch| append_in(batch, c, ctx, event))
}

/// Appends one entry as part of `batch`: with the request's other writes, one statement on
/// PostgreSQL (`db::batch::together`). The entry and the head's move are both in it.
pub fn append_in(
    batch: &mut Batch<'_>,
    conn: &mut DbConn,
    ctx: &Context,
    event: Event<'_>,
) -> QueryResult<i64> {
    let (last_seq, last_hash, keyed_from) = match db::chain_head::get() {
        Some(h) => (h.last_seq, h.last_hash, h.keyed_from),
        None => audit_head::table
            .filter(audit_head::id.eq(1))
            .select((audit_head::last_seq, audit_head::last_hash, audit_head::keyed_from_seq))
            .first(conn)?,
    };
    let mut entry = Entry {
        seq: last_seq + 1,
        at: db::now(),
        actor_kind: ctx.actor.kind.clone(),
        actor_id: ctx.actor.id.clone(),
        actor_role: ctx.actor.role.clone(),
        action: event.action.into(),
        entity: event.entity.into(),
        entity_id: event.entity_id.into(),
        changes: serde_json::to_string(&event.changes).unwrap_or_else(|_| "[]".into()),
        reason: event.reason.map(Into::into),
        request_id: ctx.request_id.clone(),
        prev_hash: last_hash,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash(chain::is_keyed(entry.seq, keyed_from))?;
    let (seq, hash) = (entry.seq, entry.hash.clone());
    batch.add(conn, diesel::insert_into(audit_log::table).values(entry))?;
    batch.add(
        conn,
        diesel::update(audit_head::table.filter(audit_head::id.eq(1)))
            .set((audit_head::last_seq.eq(seq), audit_head::last_hash.eq(hash.clone()))),
    )?;
    if db::chain_head::get().is_some() {
        db::chain_head::set(Some(db::chain_head::Head { last_seq: seq, last_hash: hash, keyed_from }));
    }
    Ok(seq)
}

/// Filters for reading the trail.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
pub struct Filter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<String>,
    /// Only this action (`update`, `withdraw`, `record_attendance`, …).
    pub action: Option<String>,
    /// Only entries at or after this time (`2027-03-01T00:00:00Z`, or with another offset).
    #[serde(default, deserialize_with = "crate::json::utc_in_opt")]
    pub since: Option<NaiveDateTime>,
    /// Only entries before this time (the same form).
    #[serde(default, deserialize_with = "crate::json::utc_in_opt")]
    pub until: Option<NaiveDateTime>,
    /// The newest first (the default is the oldest first, for paging with `after_seq`).
    #[serde(default)]
    pub newest_first: bool,
    /// Only entries after this sequence number (for paging).
    pub after_seq: Option<i64>,
    /// At most this many entries (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// Entries matching the filter, oldest first.
pub fn list(conn: &mut DbConn, filter: &Filter) -> QueryResult<Vec<Entry>> {
    let mut q = audit_log::table.select(Entry::as_select()).into_boxed();
    q = if filter.newest_first { q.order(audit_log::seq.desc()) } else { q.order(audit_log::seq.asc()) };
    if let Some(a) = &filter.action {
        q = q.filter(audit_log::action.eq(a.clone()));
    }
    if let Some(t) = filter.since {
        q = q.filter(audit_log::at.ge(t));
    }
    if let Some(t) = filter.until {
        q = q.filter(audit_log::at.lt(t));
    }
    if let Some(e) = &filter.entity {
        q = q.filter(audit_log::entity.eq(e.clone()));
    }
    if let Some(id) = &filter.entity_id {
        q = q.filter(audit_log::entity_id.eq(id.clone()));
    }
    if let Some(a) = &filter.actor_id {
        q = q.filter(audit_log::actor_id.eq(a.clone()));
    }
    if let Some(after) = filter.after_seq {
        q = q.filter(audit_log::seq.gt(after));
    }
    q.limit(filter.limit.unwrap_or(100).clamp(1, 1000)).load(conn)
}

/// The first break in the chain, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Sequence number of the entry at fault (or of the missing one).
    pub seq: i64,
    pub message: String,
}

/// What `verify` found.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verification {
    pub entries_checked: i64,
    pub problem: Option<Problem>,
    /// The first entry with a keyed hash; those before it were written before the chain was
    /// keyed (and could be recomputed by whoever can write to the database).
    pub keyed_from_seq: Option<i64>,
}

/// The hash recorded for entry `seq`, if there is one.
pub fn entry_hash(conn: &mut DbConn, seq: i64) -> QueryResult<Option<String>> {
    audit_log::table.filter(audit_log::seq.eq(seq)).select(audit_log::hash).first(conn).optional()
}

/// Walks the whole chain in pages and reports the first changed, deleted or reordered entry.
pub fn verify(conn: &mut DbConn) -> QueryResult<Verification> {
    const PAGE: i64 = 5000;
    let mut expected_seq = 1;
    let mut prev_hash = "0".repeat(64);
    let mut checked = 0;
    let keyed_from: Option<i64> = audit_head::table.find(1).select(audit_head::keyed_from_seq).first(conn)?;
    loop {
        let page: Vec<Entry> = audit_log::table
            .select(Entry::as_select())
            .filter(audit_log::seq.ge(expected_seq))
            .order(audit_log::seq.asc())
            .limit(PAGE)
            .load(conn)?;
        let done = (page.len() as i64) < PAGE;
        for entry in page {
            let problem = if entry.seq != expected_seq {
                Some(format!("entry {expected_seq} is missing (deleted); the next entry is {}", entry.seq))
            } else if entry.prev_hash != prev_hash {
                Some(format!(
                    "entry {} does not follow entry {} (reordered or inserted)",
                    entry.seq,
                    entry.seq - 1
                ))
            } else if entry.compute_hash(chain::is_keyed(entry.seq, keyed_from))? != entry.hash {
                Some(format!(
                    "entry {} was changed after it was written (its content no longer matches its hash)",
                    entry.seq
                ))
            } else {
                None
            };
            if let Some(message) = problem {
                return Ok(Verification {
                    entries_checked: checked,
                    problem: Some(Problem { seq: expected_seq, message }),
                    keyed_from_seq: keyed_from,
                });
            }
            checked += 1;
            expected_seq += 1;
            prev_hash = entry.hash;
        }
        if done {
            break;
        }
    }
    let (head_seq, head_hash): (i64, String) =
        audit_head::table.select((audit_head::last_seq, audit_head::last_hash)).first(conn)?;
    let problem = (head_seq != expected_seq - 1 || head_hash != prev_hash).then(|| Problem {
        seq: expected_seq,
        message: format!(
            "the trail ends at entry {} but {head_seq} were written (entries deleted from the end)",
            expected_seq - 1
        ),
    });
    Ok(Verification { entries_checked: checked, problem, keyed_from_seq: keyed_from })
}

/// Writes the entries matching `filter` (all when unlimited) as CSV, a page at a time.
pub fn export_csv<W: std::io::Write>(conn: &mut DbConn, out: W) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "seq",
        "at_utc",
        "actor_kind",
        "actor_id",
        "actor_role",
        "action",
        "entity",
        "entity_id",
        "changes",
        "reason",
        "request_id",
        "prev_hash",
        "hash",
    ])?;
    let mut after = 0;
    loop {
        let page = list(conn, &Filter { after_seq: Some(after), limit: Some(1000), ..Filter::default() })?;
        for e in &page {
            // Reasons and ids are typed by people: none may run as a formula when the file opens.
            let row = [
                e.seq.to_string(),
                e.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
                e.actor_kind.clone(),
                e.actor_id.clone().unwrap_or_default(),
                e.actor_role.clone().unwrap_or_default(),
                e.action.clone(),
                e.entity.clone(),
                e.entity_id.clone(),
                e.changes.clone(),
                e.reason.clone().unwrap_or_default(),
                e.request_id.clone().unwrap_or_default(),
                e.prev_hash.clone(),
                e.hash.clone(),
            ];
            writer.write_record(row.iter().map(|cell| crate::csv_cell::text(cell).into_owned()))?;
        }
        match page.last() {
            Some(last) if page.len() == 1000 => after = last.seq,
            _ => break,
        }
    }
    writer.flush()?;
    Ok(())
}

/// Appends one event in a write transaction of its own (for changes made outside one).
pub fn record(conn: &mut DbConn, ctx: &Context, event: Event<'_>) -> QueryResult<i64> {
    db::write_tx(conn, |c| append(c, ctx, event))
}
