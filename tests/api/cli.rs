//! The command line, run as a user would run it: the built binary, a real database.

use std::process::Command;

use diesel::RunQueryDsl;

use crate::helpers::TestDb;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_protocol_file_with_mistakes_is_reported_with_line_and_column_and_exit_1() {
    let db = TestDb::empty();
    let bad = trialdesk::protocol::BUNDLED.replace(
        "instruments = [\"phq9\", \"gad7\", \"ucla3\"]\nprimary",
        "instruments = [\"phq9\", \"gad8\"]\nprimary",
    );
    let path = db.dir.path().join("bad.toml");
    std::fs::write(&path, bad).expect("write");
    let out = db.cli(&["protocol", "check", path.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("bad.toml:") && err.contains("unknown instrument `gad8`"), "{err}");
    let (line, col) = (err.split(':').nth(1).expect("line"), err.split(':').nth(2).expect("col"));
    assert!(line.parse::<usize>().is_ok() && col.parse::<usize>().is_ok(), "{err}");

    let ok =
        db.cli(&["protocol", "check", concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/connect.toml")]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
}

#[test]
fn an_unknown_database_scheme_is_refused_naming_the_schemes_that_work() {
    let db = TestDb::empty();
    let out = Command::new(env!("CARGO_BIN_EXE_trialdesk"))
        .args(["migrate", "--database-url", "mysql://root@localhost/trial"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("`mysql`") && err.contains("sqlite://") && err.contains("postgres://"), "{err}");
    drop(db);
}

#[test]
fn user_create_prints_a_one_time_password_and_refuses_an_unknown_role() {
    let db = TestDb::empty();
    assert!(db.cli(&["migrate"]).status.success());
    let out = db.cli(&["user", "create", "--email", "pi@example.org", "--role", "admin"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let password = stdout.lines().find_map(|l| l.strip_prefix("one-time password: ")).expect("password line");
    assert_eq!(password.len(), 20);

    let out = db.cli(&["user", "create", "--email", "x@example.org", "--role", "owner"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("statistician_blinded"));
    let listed = text(&db.cli(&["user", "list"]).stdout);
    assert!(listed.contains("pi@example.org") && !listed.contains("x@example.org"));
}

#[test]
fn the_only_admin_who_lost_their_phone_is_reset_from_the_command_line_with_a_reason() {
    use trialdesk::audit::{Actor, Context};
    use trialdesk::auth::{two_factor, users};
    let db = TestDb::empty();
    assert!(db.cli(&["migrate"]).status.success());
    assert!(db.cli(&["user", "create", "--email", "pi@example.org", "--role", "admin"]).status.success());
    let mut conn = db.conn();
    let user = users::find_by_email(&mut conn, "pi@example.org").expect("query").expect("the admin");
    // The same secret every test server seals with: the key is one per process.
    two_factor::load_key(crate::helpers::TEST_SECRET);
    let ctx = Context { actor: Actor::system(), request_id: None };
    let setup = two_factor::begin(&mut conn, &ctx, &user.id, &user.email).expect("begin");
    let bytes = totp_rs::Secret::Encoded(setup.secret).to_bytes().expect("base32");
    let code = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 0, 30, bytes, None, String::new())
        .generate(two_factor::unix_now());
    two_factor::confirm(&mut conn, &ctx, (&user.id, &user.email), &code, two_factor::unix_now())
        .expect("confirm");
    assert!(two_factor::enabled(&mut conn, &user.id).expect("query"));

    let out = db.cli(&["user", "reset-two-factor", "--email", "pi@example.org", "--reason", " "]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--reason"), "{}", text(&out.stderr));
    let out = db.cli(&["user", "reset-two-factor", "--email", "nobody@example.org", "--reason", "x"]);
    assert!(text(&out.stderr).contains("no account with e-mail nobody@example.org"));
    let out = db.cli(&[
        "user",
        "reset-two-factor",
        "--email",
        "pi@example.org",
        "--reason",
        "Lost phone and codes; identity checked by the sponsor",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!two_factor::enabled(&mut conn, &user.id).expect("query"));
}

#[test]
fn audit_verify_fails_and_names_the_entry_edited_directly_in_the_database() {
    let db = TestDb::empty();
    assert!(db.cli(&["migrate"]).status.success());
    for email in ["a@example.org", "b@example.org", "c@example.org"] {
        assert!(db.cli(&["user", "create", "--email", email, "--role", "coordinator"]).status.success());
    }
    let ok = db.cli(&["audit", "verify"]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("intact"));

    diesel::sql_query("UPDATE audit_log SET changes = '[]' WHERE seq = 3")
        .execute(&mut db.conn())
        .expect("tamper");
    let out = db.cli(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("broken at entry 3"), "{}", text(&out.stderr));

    let csv_path = db.dir.path().join("audit.csv");
    let out = db.cli(&["audit", "export", "--out", csv_path.to_str().expect("path")]);
    assert!(out.status.success());
    assert!(std::fs::read_to_string(csv_path).expect("csv").starts_with("seq,at_utc,actor_kind"));
}

#[test]
fn token_create_and_revoke_work_from_the_command_line() {
    let db = TestDb::empty();
    assert!(db.cli(&["migrate"]).status.success());
    assert!(
        db.cli(&["user", "create", "--email", "s@example.org", "--role", "statistician_blinded"])
            .status
            .success()
    );
    let out = db.cli(&["token", "create", "--email", "s@example.org", "--name", "nightly export"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let id = stdout.lines().find_map(|l| l.strip_prefix("token id: ")).expect("id");
    assert!(stdout.contains("td_"));
    assert!(db.cli(&["token", "revoke", id]).status.success());
    let out = db.cli(&["token", "revoke", "no-such-token"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_studys_own_instrument_is_checked_with_line_and_column_then_usable_in_its_protocol() {
    let db = TestDb::empty();
    let dir = db.dir.path().join("instruments");
    std::fs::create_dir(&dir).expect("dir");
    let ucla = trialdesk::instruments::BUNDLED[2].1;
    // A broken copy: the bands leave 6 out.
    let broken = dir.join("broken.toml");
    std::fs::write(&broken, ucla.replace("min = 6\nmax = 9\nlabel", "min = 7\nmax = 9\nlabel"))
        .expect("write");
    let out = db.cli(&["instrument", "check", broken.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let first = err.lines().next().expect("a problem");
    let mut parts = first.split(':');
    assert!(parts.next().expect("file").ends_with("broken.toml"), "{err}");
    let (line, col) = (parts.next().expect("line"), parts.next().expect("col"));
    assert!(line.parse::<usize>().is_ok() && col.parse::<usize>().is_ok(), "{err}");
    assert!(err.contains("must start at 6"), "{err}");
    std::fs::remove_file(&broken).expect("remove");

    // A study's own loneliness short form under a new id, named in a protocol.
    std::fs::write(dir.join("lonely3.toml"), ucla.replace("id = \"ucla3\"", "id = \"lonely3\""))
        .expect("write");
    let ok = db.cli(&["instrument", "check", dir.join("lonely3.toml").to_str().expect("path")]);
    assert!(ok.status.success() && text(&ok.stdout).contains("ok — lonely3"), "{}", text(&ok.stderr));
    let protocol = db.dir.path().join("study.toml");
    std::fs::write(
        &protocol,
        trialdesk::protocol::BUNDLED.replace("[\"phq9\", \"gad7\", \"ucla3\"]", "[\"phq9\", \"lonely3\"]"),
    )
    .expect("write");
    let without = db.cli(&["protocol", "check", protocol.to_str().expect("path")]);
    assert_eq!(without.status.code(), Some(1), "unknown without instruments_dir");
    let with = Command::new(env!("CARGO_BIN_EXE_trialdesk"))
        .args(["protocol", "check", protocol.to_str().expect("path")])
        .env("TRIALDESK_INSTRUMENTS_DIR", &dir)
        .current_dir(db.dir.path())
        .output()
        .expect("run");
    assert!(with.status.success(), "{}", text(&with.stderr));
    let list = Command::new(env!("CARGO_BIN_EXE_trialdesk"))
        .args(["instrument", "list"])
        .env("TRIALDESK_INSTRUMENTS_DIR", &dir)
        .current_dir(db.dir.path())
        .output()
        .expect("run");
    assert!(text(&list.stdout).contains("lonely3\tUCLA-3"), "{}", text(&list.stdout));
}

#[test]
fn site_create_list_update_and_close_work_and_user_create_then_needs_a_site_choice() {
    let db = TestDb::empty();
    assert!(db.cli(&["migrate"]).status.success());
    let out = db.cli(&["site", "create", "--code", "miami", "--name", "Miami MS Clinic", "--target", "40"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = db.cli(&["site", "create", "--code", "Miami!", "--name", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("lowercase letters"), "{}", text(&out.stderr));
    let out = db.cli(&["site", "update", "--code", "main", "--target", "60", "--reason", "lead site"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&db.cli(&["site", "list"]).stdout);
    assert!(listed.contains("main\topen\tMain site\ttarget 60"), "{listed}");
    assert!(listed.contains("miami\topen\tMiami MS Clinic\ttarget 40"), "{listed}");

    // Two sites: an account needs an explicit choice, and a site that does not exist is refused.
    let out = db.cli(&["user", "create", "--email", "c@example.org", "--role", "coordinator"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--site CODE"), "{}", text(&out.stderr));
    let out =
        db.cli(&["user", "create", "--email", "c@example.org", "--role", "coordinator", "--site", "boston"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no site has the code `boston`"), "{}", text(&out.stderr));
    let out =
        db.cli(&["user", "create", "--email", "c@example.org", "--role", "coordinator", "--site", "miami"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = db.cli(&["site", "close", "--code", "miami", "--reason", "stopped recruiting"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again = db.cli(&["site", "close", "--code", "miami", "--reason", "again"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("already closed"));
    assert!(text(&db.cli(&["site", "list"]).stdout).contains("miami\tclosed"));
}

/// `trialdesk serve` on `db` until it exits, which it must within 60 s; a server that starts is
/// stopped and reported.
fn serve_must_refuse(db: &TestDb) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trialdesk"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("TRIALDESK_DATABASE_URL", &db.url)
        .env("TRIALDESK_SECRET_KEY_FILE", db.dir.path().join("key"))
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run trialdesk");
    for _ in 0..600 {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(!status.success());
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err).expect("read");
            return err;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("serve started when it should have refused");
}

#[tokio::test]
async fn serve_refuses_a_missing_key_once_anyone_is_randomised_and_a_key_others_can_read() {
    let app = crate::helpers::spawn_app_on(TestDb::migrated(), |_| {}).await;
    let coord = app.user(trialdesk::auth::Role::Coordinator);
    crate::fixtures::randomised(&app, &coord, 1).await;
    let db = &app.db;
    let key = db.dir.path().join("key");

    let err = serve_must_refuse(db);
    assert!(
        err.contains("is missing, but participants have been randomised") && err.contains("restore it"),
        "{err}"
    );
    assert!(!key.exists(), "no new key was made in its place");

    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).expect("write key");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o644)).expect("chmod");
    let err = serve_must_refuse(db);
    assert!(err.contains("can be read by other users (mode 644)") && err.contains("chmod 600"), "{err}");
}

#[tokio::test]
async fn a_command_that_changes_a_keyed_trial_without_the_key_says_the_key_is_missing() {
    // The test server keeps its secret in its settings, so the key file the command looks for is
    // not there, as on a machine where the command runs away from the server's key.
    let app = crate::helpers::spawn_app_on(TestDb::migrated(), |_| {}).await;
    let coord = app.user(trialdesk::auth::Role::Coordinator);
    crate::fixtures::randomised(&app, &coord, 1).await;
    let out = app.db.cli(&["site", "create", "--code", "miami", "--name", "Miami MS Clinic"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("the audit chain key is not loaded"),
        "the cause is shown, not only \"internal error\": {err}"
    );
    assert!(!text(&app.db.cli(&["site", "list"]).stdout).contains("miami"), "nothing was written");
}

#[test]
fn audit_head_anchors_the_trail_so_a_history_made_anew_with_the_key_is_still_found() {
    let db = TestDb::empty();
    assert!(db.cli(&["migrate"]).status.success());
    for email in ["a@example.org", "b@example.org"] {
        assert!(db.cli(&["user", "create", "--email", email, "--role", "coordinator"]).status.success());
    }
    let head = text(&db.cli(&["audit", "head"]).stdout).trim().to_owned();
    let (seq, hash) = head.split_once(':').expect("SEQ:HASH");
    assert!(seq.parse::<i64>().is_ok() && hash.len() == 64, "{head}");
    let ok = db.cli(&["audit", "verify", "--expect-head", &head]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));

    // Someone with the database and the key writes another history from the start: the chain is
    // whole and keyed, yet it is not the one recorded.
    let mut conn = db.conn();
    diesel::sql_query("DELETE FROM audit_log").execute(&mut conn).expect("wipe");
    diesel::sql_query("DELETE FROM user_sites").execute(&mut conn).expect("wipe");
    diesel::sql_query("DELETE FROM users").execute(&mut conn).expect("wipe");
    diesel::sql_query(format!(
        "UPDATE audit_head SET last_seq = 0, last_hash = '{}', keyed_from_seq = 1",
        "0".repeat(64)
    ))
    .execute(&mut conn)
    .expect("reset");
    for email in ["c@example.org", "d@example.org", "e@example.org"] {
        assert!(db.cli(&["user", "create", "--email", email, "--role", "coordinator"]).status.success());
    }
    assert!(db.cli(&["audit", "verify"]).status.success(), "the new chain is whole in itself");
    let out = db.cli(&["audit", "verify", "--expect-head", &head]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!("entry {seq} is not the one recorded")),
        "{}",
        text(&out.stderr)
    );
    let out = db.cli(&["audit", "verify", "--expect-head", "yesterday"]);
    assert!(!out.status.success() && text(&out.stderr).contains("SEQ:HASH"), "{}", text(&out.stderr));
}
