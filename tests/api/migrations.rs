//! Migrations: both sets define the same tables and columns, with the same types, nullability and
//! primary keys; each applies, reverts and re-applies; each test's database is a migrated copy.

use std::collections::{BTreeMap, BTreeSet};

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use diesel::sql_types::{Bool, Integer, Text};
use trialdesk::db::{self, DbConn};

use crate::helpers::{Backend, TestDb, backend};

#[derive(diesel::QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    declared_type: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
    /// Position in the primary key from 1; 0 when not part of it.
    #[diesel(sql_type = Integer)]
    pk_position: i32,
}

/// A column as both engines can state it: a type from one vocabulary, and whether it takes null.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    ty: &'static str,
    nullable: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, Column>,
    /// Primary key columns in key order.
    primary_key: Vec<String>,
}

type Schema = BTreeMap<String, Table>;

/// SQLite's declared type (as written in the migration), in the common vocabulary. SQLite keeps
/// whatever was declared, so this is where a mistyped or new type shows up.
fn sqlite_type(declared: &str) -> Option<&'static str> {
    let upper = declared.trim().to_ascii_uppercase();
    Some(match upper.split('(').next().unwrap_or_default().trim() {
        "TEXT" | "VARCHAR" | "CHAR" | "CHARACTER" | "CLOB" => "text",
        "SMALLINT" => "smallint",
        "INTEGER" | "INT" => "integer",
        "BIGINT" => "bigint",
        "BOOLEAN" | "BOOL" => "boolean",
        "TIMESTAMP" | "DATETIME" => "timestamp",
        "TIMESTAMPTZ" => "timestamptz",
        "DATE" => "date",
        "TIME" => "time",
        "REAL" | "FLOAT" => "float",
        "DOUBLE" | "DOUBLE PRECISION" => "double",
        "NUMERIC" | "DECIMAL" => "numeric",
        "BLOB" | "BINARY" => "binary",
        _ => return None,
    })
}

/// PostgreSQL's `information_schema.columns.data_type`, in the common vocabulary.
fn postgres_type(data_type: &str) -> Option<&'static str> {
    Some(match data_type {
        "text" | "character varying" | "character" => "text",
        "smallint" => "smallint",
        "integer" => "integer",
        "bigint" => "bigint",
        "boolean" => "boolean",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "date" => "date",
        "time without time zone" => "time",
        "real" => "float",
        "double precision" => "double",
        "numeric" => "numeric",
        "bytea" => "binary",
        _ => return None,
    })
}

/// Every table's columns (normalised type, nullability) and primary key, leaving out diesel's
/// own bookkeeping table.
fn schema(conn: &mut DbConn) -> Schema {
    let (engine, sql, normalise): (_, _, fn(&str) -> Option<&'static str>) = match conn {
        DbConn::Sqlite(_) => (
            "SQLite",
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS declared_type, \
                    p.\"notnull\" = 0 AS nullable, p.pk AS pk_position \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            sqlite_type,
        ),
        DbConn::Postgres(_) => (
            "PostgreSQL",
            "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
                    c.data_type::text AS declared_type, c.is_nullable = 'YES' AS nullable, \
                    COALESCE((SELECT k.ordinal_position::int \
                              FROM information_schema.table_constraints t \
                              JOIN information_schema.key_column_usage k \
                                ON k.constraint_schema = t.constraint_schema \
                               AND k.constraint_name = t.constraint_name \
                               AND k.table_name = t.table_name \
                              WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = c.table_schema \
                                AND t.table_name = c.table_name AND k.column_name = c.column_name), 0) \
                      AS pk_position \
             FROM information_schema.columns c WHERE c.table_schema = 'public'",
            postgres_type,
        ),
    };
    let rows: Vec<ColumnRow> = diesel::sql_query(sql).load(conn).expect("columns");
    let mut schema = Schema::new();
    let mut keys: BTreeMap<String, Vec<(i32, String)>> = BTreeMap::new();
    for r in rows.into_iter().filter(|r| r.table_name != "__diesel_schema_migrations") {
        let ty = normalise(&r.declared_type).unwrap_or_else(|| {
            panic!(
                "{engine} column {}.{} has type `{}`, which the comparison does not know: add it to \
                 the vocabulary in tests/api/migrations.rs",
                r.table_name, r.column_name, r.declared_type
            )
        });
        if r.pk_position > 0 {
            keys.entry(r.table_name.clone()).or_default().push((r.pk_position, r.column_name.clone()));
        }
        schema
            .entry(r.table_name)
            .or_default()
            .columns
            .insert(r.column_name, Column { ty, nullable: r.nullable });
    }
    for (table, mut key) in keys {
        key.sort();
        schema.entry(table).or_default().primary_key = key.into_iter().map(|(_, c)| c).collect();
    }
    schema
}

/// What differs between two schemas, one line per table or column, for the failure message.
fn differences(a_name: &str, a: &Schema, b_name: &str, b: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let show = |c: Option<&Column>| {
        c.map_or("missing".to_owned(), |c| {
            format!("{} {}", c.ty, if c.nullable { "null" } else { "not null" })
        })
    };
    for table in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
        let (Some(ta), Some(tb)) = (a.get(table), b.get(table)) else {
            let has = |s: &Schema| if s.contains_key(table) { "has it" } else { "missing" };
            out.push(format!("table {table}: {a_name} {}, {b_name} {}", has(a), has(b)));
            continue;
        };
        for column in ta.columns.keys().chain(tb.columns.keys()).collect::<BTreeSet<_>>() {
            let (ca, cb) = (ta.columns.get(column), tb.columns.get(column));
            if ca != cb {
                out.push(format!("{table}.{column}: {a_name} {}, {b_name} {}", show(ca), show(cb)));
            }
        }
        if ta.primary_key != tb.primary_key {
            out.push(format!(
                "{table} primary key: {a_name} ({}), {b_name} ({})",
                ta.primary_key.join(", "),
                tb.primary_key.join(", ")
            ));
        }
    }
    out
}

/// Spot checks that the reading and the vocabulary see what the migrations say, so two schemas
/// cannot compare equal only because both were read wrongly.
fn assert_reads_known_columns(engine: &str, schema: &Schema) {
    let column = |table: &str, column: &str| {
        schema
            .get(table)
            .and_then(|t| t.columns.get(column))
            .cloned()
            .unwrap_or_else(|| panic!("{engine}: no column {table}.{column}"))
    };
    for (table, name, ty, nullable) in [
        ("users", "email", "text", false),
        ("users", "must_change_password", "boolean", false),
        ("api_tokens", "expires_at", "timestamp", true),
        ("audit_log", "seq", "bigint", false),
        ("responses", "value", "integer", true),
    ] {
        assert_eq!(column(table, name), Column { ty, nullable }, "{engine}: {table}.{name}");
    }
    assert_eq!(schema["audit_log"].primary_key, ["seq"], "{engine}");
    assert_eq!(schema["responses"].primary_key, ["assessment_id", "instrument", "item"], "{engine}");
}

fn round_trip(conn: &mut DbConn) -> Schema {
    let applied = db::migrate(conn).expect("up");
    assert!(!applied.is_empty());
    let created = schema(conn);
    assert!(created.contains_key("audit_log") && created.contains_key("users"));
    db::revert_all(conn).expect("down");
    assert!(schema(conn).is_empty(), "down.sql leaves tables behind");
    db::migrate(conn).expect("up again");
    assert_eq!(schema(conn), created, "re-applying gives a different schema");
    created
}

#[test]
fn the_migrations_of_the_selected_backend_apply_revert_and_reapply_cleanly() {
    let test_db = TestDb::empty();
    round_trip(&mut test_db.conn());
}

/// Needs both engines: SQLite is embedded, PostgreSQL is not, so this runs in the PostgreSQL
/// pass (`TRIALDESK_TEST_BACKEND=postgres`) and the SQLite pass needs no server.
#[test]
fn sqlite_and_postgres_migrations_create_the_same_tables_columns_types_and_nullability() {
    if backend() != Backend::Postgres {
        eprintln!("not run on SQLite: needs PostgreSQL, so it runs with TRIALDESK_TEST_BACKEND=postgres");
        return;
    }
    let sqlite = TestDb::empty_on(Backend::Sqlite);
    let postgres = TestDb::empty_on(Backend::Postgres);
    let (sqlite, postgres) = (round_trip(&mut sqlite.conn()), round_trip(&mut postgres.conn()));
    assert_reads_known_columns("SQLite", &sqlite);
    assert_reads_known_columns("PostgreSQL", &postgres);
    // Equality decides; the list of differences only explains a failure.
    assert!(
        sqlite == postgres,
        "the migrations differ:\n{}",
        differences("SQLite", &sqlite, "PostgreSQL", &postgres).join("\n")
    );
}

#[test]
fn the_schema_comparison_notices_a_changed_type_nullability_or_primary_key() {
    let (intact, changed) = (TestDb::migrated(), TestDb::migrated());
    let mut conn = changed.conn();
    // `notices` as a careless migration might have made it: nothing refers to it.
    conn.batch_execute(
        "DROP TABLE notices; \
         CREATE TABLE notices (id INTEGER NOT NULL, created_at TIMESTAMP, audience TEXT NOT NULL, \
             kind TEXT NOT NULL, message TEXT NOT NULL, entity TEXT NOT NULL, \
             entity_id TEXT PRIMARY KEY NOT NULL)",
    )
    .expect("change notices");
    let (intact, changed) = (schema(&mut intact.conn()), schema(&mut conn));
    assert_ne!(intact, changed);
    assert_eq!(
        differences("migrated", &intact, "changed", &changed),
        [
            "notices.created_at: migrated timestamp not null, changed timestamp null",
            "notices.id: migrated text not null, changed integer not null",
            "notices primary key: migrated (id), changed (entity_id)",
        ]
    );
}

#[test]
fn each_test_gets_its_own_fully_migrated_copy_of_the_template() {
    let (first, second) = (TestDb::migrated(), TestDb::migrated());
    assert_ne!(first.url, second.url);
    let mut conn = first.conn();
    assert!(!db::has_pending_migrations(&mut conn).expect("migration state"));
    assert_eq!(schema(&mut conn), round_trip(&mut TestDb::empty().conn()));
    conn.batch_execute("DELETE FROM study_state").expect("change the first copy");
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count = |conn: &mut DbConn| -> i64 {
        diesel::sql_query("SELECT COUNT(*) AS n FROM study_state").get_result::<Count>(conn).expect("count").n
    };
    assert_eq!(count(&mut conn), 0);
    assert_eq!(count(&mut second.conn()), 1, "a change to one copy reached another");
    assert_eq!(count(&mut TestDb::migrated().conn()), 1, "a change to a copy reached the template");
}

#[test]
fn both_migration_folders_hold_the_same_migration_names() {
    let names = |dir: &str| {
        let mut v: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .expect("dir")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}
