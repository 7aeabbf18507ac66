//! `trialdesk demo`, run as a user would (the built binary, so its simulated clock stays in its
//! own process), on a small trial: everything the issue promises is in the database afterwards,
//! the audit trail verifies and runs forward in time, and a second run refuses.

use std::process::Output;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use trialdesk::db::schema::{
    allocations, assessments, attendance, audit_log, outbox, participants, safety_alerts, scores, screenings,
    support_groups,
};

use crate::helpers::TestDb;

fn demo(db: &TestDb) -> Output {
    db.cli(&["demo", "--screened", "70", "--seed", "11", "--out", "report"])
}

#[test]
fn the_demo_fills_an_empty_database_through_the_service_layer_and_refuses_a_second_run() {
    let db = TestDb::migrated();
    let out = demo(&db);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("demo-admin@example.invalid") && stdout.contains("serve"), "{stdout}");

    let mut c = db.conn();
    // The printed password signs in now, though the replay began months ago: it was issued at
    // the end, and one-time passwords expire after `one_time_password_hours` (72 by default).
    let printed = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("with the one-time password "))
        .expect("the admin's password is printed");
    let admin = trialdesk::auth::users::find_by_email(&mut c, "demo-admin@example.invalid")
        .expect("query")
        .expect("the demo admin");
    assert!(
        trialdesk::auth::verify_password(printed, &admin.password_hash),
        "the printed password is the admin's"
    );
    assert!(
        !admin.one_time_password_expired(chrono::Duration::hours(72), chrono::Utc::now().naive_utc()),
        "the printed password has expired before anyone could use it"
    );
    let screened: i64 = screenings::table.count().get_result(&mut c).expect("count");
    assert_eq!(screened, 70);
    let enrolled: i64 = participants::table.count().get_result(&mut c).expect("count");
    let arms: Vec<String> = allocations::table.select(allocations::arm_id).load(&mut c).expect("arms");
    assert!((15..=45).contains(&arms.len()), "{} randomised of {enrolled} enrolled", arms.len());
    for arm in ["support_groups", "waitlist"] {
        assert!(arms.iter().any(|a| a == arm), "no allocation to {arm}");
    }
    let at: Vec<String> = participants::table.select(participants::site).load(&mut c).expect("sites");
    for site in ["main", "miami"] {
        assert!(at.iter().filter(|s| *s == site).count() >= 3, "the demo recruits at two sites: {at:?}");
    }
    let launched: i64 = support_groups::table
        .filter(support_groups::status.ne("forming"))
        .count()
        .get_result(&mut c)
        .expect("groups");
    assert!(launched >= 1, "no group launched");
    let marks: Vec<String> = attendance::table.select(attendance::status).load(&mut c).expect("marks");
    let present = marks.iter().filter(|s| *s == "present").count();
    assert!(!marks.is_empty() && present > marks.len() / 2, "{present} present of {}", marks.len());

    let statuses: Vec<String> =
        assessments::table.select(assessments::status).load(&mut c).expect("assessments");
    let completed = statuses.iter().filter(|s| *s == "completed").count();
    let missed = statuses.iter().filter(|s| *s == "missed").count();
    assert!(completed >= 30 && missed >= 1, "{completed} completed, {missed} missed");
    let totals: Vec<Option<i32>> = scores::table
        .filter(scores::instrument.eq("phq9"))
        .select(scores::total)
        .load(&mut c)
        .expect("scores");
    assert!(totals.len() >= 15 && totals.iter().all(Option::is_some), "{totals:?}");
    let urgent: i64 = safety_alerts::table
        .filter(safety_alerts::rule_id.eq("phq9.item9_endorsed"))
        .count()
        .get_result(&mut c)
        .expect("alerts");
    assert!(urgent >= 1, "no item-9 alert");

    // The chain is keyed with the demo's secret key file: checked as an operator checks it.
    let verified = db.cli(&["audit", "verify"]);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    let times: Vec<NaiveDateTime> =
        audit_log::table.order(audit_log::seq.asc()).select(audit_log::at).load(&mut c).expect("at");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "audit timestamps go back in time");
    assert!(times.first().is_some_and(|t| *t < chrono::Utc::now().naive_utc() - chrono::Duration::weeks(20)));
    let demo_entries: i64 =
        audit_log::table.filter(audit_log::request_id.eq("demo")).count().get_result(&mut c).expect("count");
    assert!(demo_entries > 100, "{demo_entries}");
    let overdue: i64 = outbox::table
        .filter(outbox::status.eq("pending"))
        .filter(outbox::due_at.le(chrono::Utc::now().naive_utc()))
        .count()
        .get_result(&mut c)
        .expect("outbox");
    assert_eq!(overdue, 0, "past messages left for serve to send");

    let again = demo(&db);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds"), "{again:?}");
}

/// The way a PostgreSQL user starts: `migrate`, then `demo`. `migrate` must leave the protocol
/// (and its audit entry) to the first opening, or the demo could not date it in the past.
#[test]
fn the_demo_runs_on_a_database_prepared_with_the_migrate_command() {
    let db = TestDb::empty();
    let migrated = db.cli(&["migrate"]);
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    let out = demo(&db);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).expect("summary.json is JSON");

    // CONSORT's "analysed" is the n of the primary week's ANCOVA of the first instrument (PHQ-9
    // in the bundled protocol), filled in once the models, run beside the counting queries, end.
    let reported = db.cli(&["report", "--out", "trial-report"]);
    assert!(reported.status.success(), "{}", String::from_utf8_lossy(&reported.stderr));
    let report =
        json(&std::fs::read_to_string(db.dir.path().join("trial-report/summary.json")).expect("summary"));
    let week = &report["primary_week"];
    let in_ancova: Vec<u64> = report["outcomes"]["instruments"]["phq9"]["change_from_baseline"]
        .as_array()
        .expect("change from baseline")
        .iter()
        .filter(|d| &d["week"] == week)
        .map(|d| d["n"].as_u64().expect("n"))
        .collect();
    let arms = report["consort"]["arms"].as_array().expect("consort arms");
    let analysed: Vec<u64> = arms.iter().map(|a| a["analysed"].as_u64().expect("analysed")).collect();
    assert_eq!(in_ancova.len(), arms.len(), "{report}");
    assert_eq!(analysed.iter().sum::<u64>(), in_ancova.iter().sum::<u64>(), "{arms:?} against {in_ancova:?}");
    assert!(analysed.iter().all(|&n| n > 0), "{arms:?}");
    for arm in arms {
        let (allocated, analysed) = (arm["allocated"].as_u64(), arm["analysed"].as_u64());
        assert_eq!(
            arm["excluded_from_analysis"].as_u64(),
            allocated.zip(analysed).map(|(a, n)| a - n),
            "{arm}"
        );
    }

    // The export carries each participant's site, and the analysis can adjust for it.
    let exported = db.cli(&["export", "--out", "export"]);
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let codebook = std::fs::read_to_string(db.dir.path().join("export/codebook.csv")).expect("codebook");
    assert!(codebook.lines().any(|l| l.starts_with("site,")), "{codebook}");
    let analysed =
        db.cli(&["analyze", "--input", "export/long.csv", "--out", "analysis", "--covariate", "site"]);
    assert!(analysed.status.success(), "{}", String::from_utf8_lossy(&analysed.stderr));
    let summary = std::fs::read_to_string(db.dir.path().join("analysis/summary.json")).expect("summary");
    assert!(summary.contains("\"site\""), "the analysis names its covariate");
    // Without a group effect the MMRM is primary (whether or not this small trial can support it:
    // `analyze_shows_the_primary_model_first` checks the tables on data that can).
    assert_eq!(json(&summary)["outcomes"]["primary_model"], "mmrm");
    let first_model = |dir: &str| {
        let report = std::fs::read_to_string(db.dir.path().join(dir).join("report.html")).expect("report");
        let caption =
            report.split("<caption>").nth(1).and_then(|c| c.split("</caption>").next()).map(str::to_owned);
        (caption.unwrap_or_default(), report)
    };
    let (_, report) = first_model("analysis");
    assert!(
        report.contains("The primary analysis is the MMRM, as trial guidance asks"),
        "methods name the primary model"
    );

    // Asked for, ANCOVA is primary and the mixed model's tests use Kenward–Roger.
    let chosen = db.cli(&[
        "analyze",
        "--input",
        "export/long.csv",
        "--out",
        "chosen",
        "--primary-model",
        "ancova",
        "--df",
        "kenward-roger",
    ]);
    assert!(chosen.status.success(), "{}", String::from_utf8_lossy(&chosen.stderr));
    let summary = std::fs::read_to_string(db.dir.path().join("chosen/summary.json")).expect("summary");
    let outcomes = &json(&summary)["outcomes"];
    assert_eq!(outcomes["primary_model"], "ancova");
    assert_eq!(
        outcomes["instruments"]["phq9"]["mixed_model"]["arm_effect_by_week"][0]["df_method"],
        "kenward-roger"
    );
    let (caption, report) = first_model("chosen");
    assert!(caption.starts_with("Primary analysis.") && caption.contains("ANCOVA"), "{caption}");
    assert!(
        report.contains("the ANCOVA at each week, as chosen for this analysis"),
        "methods say it was chosen"
    );
    assert!(report.contains("Kenward–Roger adjusted standard errors"), "methods name the df method");

    let refused = db.cli(&["analyze", "--input", "export/long.csv", "--out", "x", "--primary-model", "cox"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("mmrm"), "the choices are named");
}

/// The register's columns on each participant row (`allocated_arm`, `current_phase`) against the
/// records they are kept from: they must agree, or the grid's filters and counts would tell
/// another story than the record page.
fn register_columns_disagreements(c: &mut trialdesk::db::DbConn) -> Vec<String> {
    use std::collections::BTreeMap;
    use trialdesk::db::schema::participant_phases;
    let rows: Vec<(String, Option<String>, Option<String>)> = participants::table
        .select((participants::id, participants::allocated_arm, participants::current_phase))
        .load(c)
        .expect("participants");
    let arms: BTreeMap<String, String> = allocations::table
        .select((allocations::participant_id, allocations::arm_id))
        .load(c)
        .expect("allocations")
        .into_iter()
        .collect();
    let phases: BTreeMap<String, String> = participant_phases::table
        .filter(participant_phases::ended_on.is_null())
        .select((participant_phases::participant_id, participant_phases::phase))
        .load(c)
        .expect("phases")
        .into_iter()
        .collect();
    let mut wrong = Vec::new();
    for (id, arm, phase) in rows {
        if arm != arms.get(&id).cloned() {
            wrong.push(format!("{id}: allocated_arm {arm:?}, allocation {:?}", arms.get(&id)));
        }
        if phase != phases.get(&id).cloned() {
            wrong.push(format!("{id}: current_phase {phase:?}, open phase {:?}", phases.get(&id)));
        }
    }
    wrong
}

#[test]
fn the_registers_columns_agree_with_allocations_and_phases_when_kept_and_when_backfilled() {
    use diesel::connection::SimpleConnection;
    let db = TestDb::migrated();
    assert!(demo(&db).status.success());
    let mut c = db.conn();
    let queued: i64 = participants::table
        .filter(participants::current_phase.is_not_null())
        .count()
        .get_result(&mut c)
        .expect("n");
    assert!(queued > 0, "the demo puts people in phases");
    assert_eq!(register_columns_disagreements(&mut c), Vec::<String>::new(), "kept by each change");

    // A database from before the columns: the migration fills them from the records.
    let folder =
        if crate::helpers::backend() == crate::helpers::Backend::Postgres { "postgres" } else { "sqlite" };
    let down = std::fs::read_to_string(format!(
        "{}/migrations/{folder}/2026-12-05-000009_register_columns/down.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("down.sql");
    c.batch_execute(&down).expect("down");
    diesel::sql_query("DELETE FROM __diesel_schema_migrations WHERE version = '20261205000009'")
        .execute(&mut c)
        .expect("forget the migration");
    trialdesk::db::migrate(&mut c).expect("up again");
    assert_eq!(register_columns_disagreements(&mut c), Vec::<String>::new(), "backfilled");
}

/// The analysis plan's order in the report: the primary model's tables first, then the others as
/// sensitivity analyses, on data every model fits (the analysis crate's validation set).
#[test]
fn analyze_shows_the_primary_model_first_and_the_others_as_sensitivity_analyses() {
    let db = TestDb::empty();
    let input = concat!(env!("CARGO_MANIFEST_DIR"), "/analysis/tests/data/two_arm.csv");
    let captions = |args: &[&str], out: &str| {
        let mut all = vec!["analyze", "--input", input, "--out", out, "--reference-arm", "control"];
        all.extend_from_slice(args);
        let run = db.cli(&all);
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let report = std::fs::read_to_string(db.dir.path().join(out).join("report.html")).expect("report");
        report
            .split("<caption>")
            .skip(1)
            .filter_map(|c| c.split("</caption>").next())
            .filter(|c| c.contains("phq9"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let default = captions(&[], "default");
    assert!(default[0].starts_with("Primary analysis. phq9: MMRM"), "{default:?}");
    assert!(default.iter().any(|c| c.starts_with("Sensitivity analysis. phq9: mixed model")), "{default:?}");
    assert!(default.iter().any(|c| c.starts_with("Sensitivity analysis. phq9: ANCOVA")), "{default:?}");
    let grouped = captions(&["--group-effect"], "grouped");
    assert!(grouped[0].starts_with("Primary analysis. phq9: mixed model"), "{grouped:?}");
    assert!(grouped.iter().any(|c| c.starts_with("Sensitivity analysis. phq9: MMRM")), "{grouped:?}");
}
