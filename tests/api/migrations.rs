//! Migrations: both sets define the same tables and columns; each applies, reverts and re-applies.

use std::collections::BTreeMap;

use diesel::RunQueryDsl;
use diesel::sql_types::Text;
use trialdesk::db::{self, DbConn};

use crate::helpers::{Backend, TestDb};

#[derive(diesel::QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

/// Table → sorted column names, leaving out diesel's own bookkeeping table.
fn columns(conn: &mut DbConn) -> BTreeMap<String, Vec<String>> {
    let sql = match conn {
        DbConn::Sqlite(_) => {
            "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        DbConn::Postgres(_) => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns WHERE table_schema = 'public'"
        }
    };
    let rows: Vec<Column> = diesel::sql_query(sql).load(conn).expect("columns");
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rows.into_iter().filter(|r| r.table_name != "__diesel_schema_migrations") {
        map.entry(r.table_name).or_default().push(r.column_name);
    }
    map.values_mut().for_each(|v| v.sort());
    map
}

fn round_trip(conn: &mut DbConn) -> BTreeMap<String, Vec<String>> {
    let applied = db::migrate(conn).expect("up");
    assert!(!applied.is_empty());
    let schema = columns(conn);
    assert!(schema.contains_key("audit_log") && schema.contains_key("users"));
    db::revert_all(conn).expect("down");
    assert!(columns(conn).is_empty(), "down.sql leaves tables behind");
    db::migrate(conn).expect("up again");
    assert_eq!(columns(conn), schema, "re-applying gives a different schema");
    schema
}

#[test]
fn the_migrations_of_the_selected_backend_apply_revert_and_reapply_cleanly() {
    let test_db = TestDb::empty();
    round_trip(&mut test_db.conn());
}

#[test]
fn sqlite_and_postgres_migrations_create_the_same_tables_columns_types_and_nullability() {
    // Needs both engines whichever backend the suite runs on: every machine here has PostgreSQL.
    let sqlite = TestDb::empty_on(Backend::Sqlite);
    let postgres = TestDb::empty_on(Backend::Postgres);
    assert_eq!(round_trip(&mut sqlite.conn()), round_trip(&mut postgres.conn()));
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
