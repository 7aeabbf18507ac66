//! `trialdesk copy`: a whole trial from one database into another, SQLite ⇄ PostgreSQL.
//!
//! Every row of every table goes across with its values unchanged, so the audit chain (whose
//! hashes cover the values, not how a backend stores them) verifies on the copy and ends at the
//! same head, and the allocations replay from the same secret key. Values travel through diesel's
//! own types (`Text`, `Integer`, `BigInt`, `Bool`, `Timestamp`), read from the schema the server
//! uses: a timestamp is written in the target backend's own format, exactly as the server would
//! write it, never as the source's text.
//!
//! The source is read inside one read transaction (a consistent snapshot even if a server is still
//! writing to it); the target is written inside one transaction, so a failed copy leaves it empty.

use std::marker::PhantomData;

use chrono::NaiveDateTime;
use diesel::deserialize::{self, QueryableByName};
use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
use diesel::row::NamedRow;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamp};

use super::DbConn;
use super::schema;

/// The SQL types the schema uses; `Nullable<_>` of each is read and written as an `Option`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    BigInt,
    Bool,
    Timestamp,
}

/// One column: its name and type, as `schema.rs` declares them.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: Kind,
}

/// A diesel SQL type the copy carries.
pub trait SqlKind {
    const KIND: Kind;
}

impl SqlKind for Text {
    const KIND: Kind = Kind::Text;
}
impl SqlKind for Integer {
    const KIND: Kind = Kind::Integer;
}
impl SqlKind for BigInt {
    const KIND: Kind = Kind::BigInt;
}
impl SqlKind for Bool {
    const KIND: Kind = Kind::Bool;
}
impl SqlKind for Timestamp {
    const KIND: Kind = Kind::Timestamp;
}
impl<T: SqlKind + diesel::sql_types::SqlType> SqlKind for Nullable<T> {
    const KIND: Kind = T::KIND;
}

/// A table's columns (its `all_columns` tuple), in the schema's order.
pub trait Columns {
    fn specs() -> Vec<ColumnSpec>;
}

macro_rules! columns_for_tuple {
    ($($c:ident),+) => {
        impl<$($c),+> Columns for ($($c,)+)
        where
            $($c: diesel::Column + Expression, <$c as Expression>::SqlType: SqlKind,)+
        {
            fn specs() -> Vec<ColumnSpec> {
                vec![$(ColumnSpec { name: $c::NAME, kind: <<$c as Expression>::SqlType as SqlKind>::KIND }),+]
            }
        }
    };
}

// Every arity up to the widest table (participants, 21 columns) and a few more.
macro_rules! columns_for_tuples {
    ($head:ident) => { columns_for_tuple!($head); };
    ($head:ident, $($tail:ident),+) => {
        columns_for_tuple!($head, $($tail),+);
        columns_for_tuples!($($tail),+);
    };
}
columns_for_tuples!(
    C24, C23, C22, C21, C20, C19, C18, C17, C16, C15, C14, C13, C12, C11, C10, C09, C08, C07, C06, C05, C04,
    C03, C02, C01
);

/// A table to copy: its name and columns.
#[derive(Debug, Clone)]
pub struct TableSpec {
    pub name: &'static str,
    pub columns: Vec<ColumnSpec>,
    read: ReadRows,
}

/// What each row read goes to.
type EachRow<'a> = &'a mut dyn FnMut(Vec<Value>) -> QueryResult<()>;
/// Reads a table's rows, in order, into a callback.
type ReadRows = fn(&mut DbConn, &TableSpec, EachRow<'_>) -> QueryResult<()>;

/// One value of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(Option<String>),
    Integer(Option<i32>),
    BigInt(Option<i64>),
    Bool(Option<bool>),
    Timestamp(Option<NaiveDateTime>),
}

/// A row of the table whose columns are `C`, read by column name.
struct Row<C>(Vec<Value>, PhantomData<C>);

impl<C: Columns> QueryableByName<super::MultiBackend> for Row<C> {
    fn build<'a>(row: &impl NamedRow<'a, super::MultiBackend>) -> deserialize::Result<Self> {
        let values = C::specs()
            .into_iter()
            .map(|c| {
                Ok(match c.kind {
                    Kind::Text => Value::Text(NamedRow::get::<Nullable<Text>, _>(row, c.name)?),
                    Kind::Integer => Value::Integer(NamedRow::get::<Nullable<Integer>, _>(row, c.name)?),
                    Kind::BigInt => Value::BigInt(NamedRow::get::<Nullable<BigInt>, _>(row, c.name)?),
                    Kind::Bool => Value::Bool(NamedRow::get::<Nullable<Bool>, _>(row, c.name)?),
                    Kind::Timestamp => {
                        Value::Timestamp(NamedRow::get::<Nullable<Timestamp>, _>(row, c.name)?)
                    }
                })
            })
            .collect::<deserialize::Result<Vec<Value>>>()?;
        Ok(Row(values, PhantomData))
    }
}

/// Reads `table` row by row into `each` (SQLite streams them; PostgreSQL's driver holds the
/// result), so a copy's memory does not grow with the table.
fn read_rows<C: Columns + 'static>(
    conn: &mut DbConn,
    table: &TableSpec,
    each: EachRow<'_>,
) -> QueryResult<()> {
    let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    // Ordered by every column (the primary key makes rows distinct): the same order on both
    // backends, so a copy is written in the order the source would list it.
    let order: Vec<String> = (1..=names.len()).map(|i| i.to_string()).collect();
    let sql = format!("SELECT {} FROM {} ORDER BY {}", names.join(", "), table.name, order.join(", "));
    for row in diesel::sql_query(sql).load_iter::<Row<C>, diesel::connection::DefaultLoadingMode>(conn)? {
        each(row?.0)?;
    }
    Ok(())
}

macro_rules! tables {
    ($($t:ident),+ $(,)?) => {
        /// Every table of the schema, parents before the tables that refer to them.
        pub fn tables() -> Vec<TableSpec> {
            vec![$(TableSpec {
                name: stringify!($t),
                columns: <<schema::$t::table as diesel::Table>::AllColumns as Columns>::specs(),
                read: read_rows::<<schema::$t::table as diesel::Table>::AllColumns>,
            }),+]
        }
    };
}

tables!(
    users,
    sites,
    site_safety_contacts,
    user_sites,
    api_tokens,
    calendar_feeds,
    two_factor,
    recovery_codes,
    protocol_versions,
    study_state,
    audit_head,
    audit_log,
    outbox,
    screenings,
    participants,
    participant_contacts,
    consents,
    allocations,
    unblindings,
    notices,
    support_groups,
    group_members,
    group_sessions,
    attendance,
    participant_phases,
    assessments,
    responses,
    scores,
    survey_links,
    safety_contacts,
    safety_alerts,
    contact_attempts,
);

/// Tables a migration fills (the first site, the study state, the audit chain's head at zero):
/// in a freshly migrated target they hold those rows, which the source's replace.
const SEEDED: [&str; 3] = ["sites", "study_state", "audit_head"];

/// Why a copy was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the {which} database is not at this version's schema: {detail}")]
    Schema { which: &'static str, detail: String },
    #[error(
        "the target database is not empty: table {table} holds {rows} row(s); copy into a new, migrated database"
    )]
    TargetNotEmpty { table: String, rows: i64 },
    #[error("the source database has a table this version does not know: {0}")]
    UnknownTable(String),
    #[error("copy failed: {0}")]
    Database(#[from] diesel::result::Error),
}

/// What was copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// Rows per table, in copy order.
    pub rows: Vec<(&'static str, usize)>,
}

impl Copied {
    pub fn total(&self) -> usize {
        self.rows.iter().map(|(_, n)| n).sum()
    }
}

/// Copies every row from `from` into `to`, which must be migrated and empty.
pub fn copy(from: &mut DbConn, to: &mut DbConn) -> Result<Copied, CopyError> {
    same_migrations(from, to)?;
    let tables = tables();
    known_tables(from, &tables)?;
    super::read_snapshot(from, |from| {
        to.transaction(|to| {
            let has_audit_entries = count(to, "audit_log")? > 0;
            for table in &tables {
                let rows = count(to, table.name)?;
                let seeded_only = SEEDED.contains(&table.name) && rows <= 1 && !has_audit_entries;
                if rows > 0 && !seeded_only {
                    return Err(CopyError::TargetNotEmpty { table: table.name.to_owned(), rows });
                }
            }
            // The migration's rows go last-to-first, then the source's in order.
            for name in SEEDED.iter().rev() {
                diesel::sql_query(format!("DELETE FROM {name}")).execute(to)?;
            }
            let mut copied = Vec::with_capacity(tables.len());
            for table in &tables {
                let chunk_rows = (MAX_BINDS / table.columns.len()).max(1);
                let (mut chunk, mut rows) = (Vec::with_capacity(chunk_rows), 0);
                (table.read)(from, table, &mut |row| {
                    chunk.push(row);
                    rows += 1;
                    if chunk.len() == chunk_rows {
                        insert(to, table, &mut chunk)?;
                    }
                    Ok(())
                })?;
                insert(to, table, &mut chunk)?;
                copied.push((table.name, rows));
            }
            Ok(Copied { rows: copied })
        })
    })
}

/// What the copy reads and writes: the number of rows in `table`.
fn count(conn: &mut DbConn, table: &str) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let c: Count = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).get_result(conn)?;
    Ok(c.n)
}

/// Both databases must have exactly this build's migrations: the copy carries this schema's columns.
fn same_migrations(from: &mut DbConn, to: &mut DbConn) -> Result<(), CopyError> {
    for (which, conn) in [("source", from), ("target", to)] {
        let (known, applied) = super::migration_versions(conn)
            .map_err(|e| CopyError::Schema { which, detail: e.to_string() })?;
        if let Some(v) = known.iter().find(|v| !applied.contains(v)) {
            let hint =
                if which == "source" { "run `trialdesk migrate` on it first" } else { "migrate it first" };
            return Err(CopyError::Schema { which, detail: format!("migration {v} is not applied; {hint}") });
        }
        if let Some(v) = applied.iter().find(|v| !known.contains(v)) {
            return Err(CopyError::Schema {
                which,
                detail: format!(
                    "it has migration {v}, which this version does not know; use the newer trialdesk"
                ),
            });
        }
    }
    Ok(())
}

/// Refuses a source with a table the copy would leave behind.
fn known_tables(conn: &mut DbConn, tables: &[TableSpec]) -> Result<(), CopyError> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let sql = match conn {
        DbConn::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        DbConn::Postgres(_) => "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()",
    };
    let names: Vec<Name> = diesel::sql_query(sql).load(conn)?;
    match names
        .into_iter()
        .map(|n| n.name)
        .find(|n| n != "__diesel_schema_migrations" && !tables.iter().any(|t| t.name == n))
    {
        Some(name) => Err(CopyError::UnknownTable(name)),
        None => Ok(()),
    }
}

/// Bind parameters per statement: under SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_BINDS: usize = 30_000;

/// Writes `rows` (at most `MAX_BINDS` values) with one multi-row INSERT, each value bound with
/// its column's type; leaves `rows` empty.
fn insert(conn: &mut DbConn, table: &TableSpec, rows: &mut Vec<Vec<Value>>) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    let mut sql = format!("INSERT INTO {} ({}) VALUES ", table.name, names.join(", "));
    let mut n = 0;
    for i in 0..rows.len() {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for c in 0..names.len() {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match conn {
                DbConn::Sqlite(_) => sql.push('?'),
                DbConn::Postgres(_) => sql.push_str(&format!("${n}")),
            }
        }
        sql.push(')');
    }
    let mut query: BoxedSqlQuery<'_, super::MultiBackend, _> = diesel::sql_query(sql).into_boxed();
    for value in rows.drain(..).flatten() {
        query = bind(query, value);
    }
    query.execute(conn).map(|_| ())
}

fn bind<'f, Q>(
    query: BoxedSqlQuery<'f, super::MultiBackend, Q>,
    value: Value,
) -> BoxedSqlQuery<'f, super::MultiBackend, Q> {
    match value {
        Value::Text(v) => query.bind::<Nullable<Text>, _>(v),
        Value::Integer(v) => query.bind::<Nullable<Integer>, _>(v),
        Value::BigInt(v) => query.bind::<Nullable<BigInt>, _>(v),
        Value::Bool(v) => query.bind::<Nullable<Bool>, _>(v),
        Value::Timestamp(v) => query.bind::<Nullable<Timestamp>, _>(v),
    }
}
