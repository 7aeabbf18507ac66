//! Statisticians' exports and the trial report over HTTP: de-identified files that read back
//! in polars and R, blinded variants with arm codes, and the report page and figures.

use std::path::Path;

use reqwest::StatusCode;
use trialdesk::auth::Role;
use trialdesk_analysis::input;

use crate::fixtures::{ORDINARY, complete, ready_visit};
use crate::helpers::{TestApp, TestUser, spawn_app};

/// Four randomised participants, two with a completed baseline.
async fn trial(app: &TestApp) -> TestUser {
    let coord = app.user(Role::Coordinator);
    for n in 1..=4 {
        let (_, token, baseline) = ready_visit(app, &coord, n).await;
        if n <= 2 {
            complete(app, &token, &baseline, &ORDINARY).await;
        }
    }
    coord
}

/// Whether `text` holds anything shaped like a calendar date (YYYY-MM-DD).
fn has_date(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (0..b.len().saturating_sub(9)).any(|i| {
        digits(i..i + 4)
            && b[i + 4] == b'-'
            && digits(i + 5..i + 7)
            && b[i + 7] == b'-'
            && digits(i + 8..i + 10)
    })
}

async fn download(app: &TestApp, user: &TestUser, file: &str) -> Vec<u8> {
    let resp = app.get_as(user, &format!("/api/v1/exports/{file}")).await;
    assert_eq!(resp.status(), StatusCode::OK, "{file}");
    resp.bytes().await.expect("body").to_vec()
}

fn save(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("write export");
}

#[tokio::test]
async fn a_de_identified_export_carries_no_contact_details_names_or_calendar_dates() {
    let app = spawn_app().await;
    trial(&app).await;
    let statistician = app.user(Role::StatisticianUnblinded);
    for file in ["long.csv", "wide.csv", "codebook.csv", "long.parquet", "load.R", "load.do"] {
        let body = download(&app, &statistician, file).await;
        let text = String::from_utf8_lossy(&body);
        for n in 1..=4 {
            for leak in [
                format!("Test Person {n}"),
                format!("person{n}@example.org"),
                format!("+1 (555) 01{:02}-{n:04}", n % 100),
                format!("test person {n}"),
            ] {
                assert!(!text.contains(&leak), "{file} leaks {leak}");
            }
        }
        assert!(!has_date(&text), "{file} holds a calendar date");
    }
    let long = String::from_utf8(download(&app, &statistician, "long.csv").await).expect("utf-8");
    assert!(long.contains("CON-0001"), "study ids are the participant key");
    // Asking for a limited data set adds dates, and says so in the audit trail.
    let resp = app.get_as(&statistician, "/api/v1/exports/long.csv?dates=true").await;
    assert!(has_date(&resp.text().await.expect("body")));
}

// polars' readers block inside the runtime, which needs worker threads.
#[tokio::test(flavor = "multi_thread")]
async fn exports_read_back_in_polars_with_every_column_in_the_codebook() {
    let app = spawn_app().await;
    trial(&app).await;
    let statistician = app.user(Role::StatisticianUnblinded);
    let dir = tempfile::tempdir().expect("dir");
    for file in ["long.csv", "wide.csv", "long.parquet", "codebook.csv"] {
        save(dir.path(), file, &download(&app, &statistician, file).await);
    }
    let codebook = std::fs::read_to_string(dir.path().join("codebook.csv")).expect("codebook");
    let documented: Vec<&str> = codebook.lines().skip(1).filter_map(|l| l.split(',').next()).collect();
    for file in ["long.csv", "wide.csv", "long.parquet"] {
        let (frame, _) = input::read(&dir.path().join(file), None).expect("polars reads it");
        for name in frame.get_column_names() {
            assert!(documented.contains(&name.as_str()), "{file}: column {name} is not in the codebook");
        }
        let expected = if file == "wide.csv" { 4 } else { 4 * 4 * 3 };
        assert_eq!(frame.height(), expected, "{file}: one row per participant (× time point × instrument)");
    }
    // The long file is analysable as it stands.
    let data = input::prepare(
        input::read(&dir.path().join("long.parquet"), None).expect("read").0,
        trialdesk_analysis::Source::Parquet,
        &[],
        true,
    )
    .expect("the long file has the analysis columns");
    assert_eq!(data.len(), 48);
}

#[tokio::test]
async fn exports_open_in_r_with_the_load_script() {
    let Ok(rscript) = which_rscript() else {
        panic!("Rscript is missing: scripts/test.sh installs r-base-core");
    };
    let app = spawn_app().await;
    trial(&app).await;
    let statistician = app.user(Role::StatisticianUnblinded);
    let dir = tempfile::tempdir().expect("dir");
    for file in ["long.csv", "wide.csv", "load.R"] {
        save(dir.path(), file, &download(&app, &statistician, file).await);
    }
    let check = "source('load.R'); stopifnot(nrow(long) == 48, nrow(wide) == 4, is.factor(long$arm), \
                 sum(!is.na(long$total_score)) == 6, attr(long$total_score, 'label') == 'Total score'); \
                 cat('ok', levels(long$arm), '\\n')";
    let out = std::process::Command::new(rscript)
        .args(["--vanilla", "-e", check])
        .current_dir(dir.path())
        .output()
        .expect("Rscript runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "R failed: {}{}", stdout, String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("ok"), "{stdout}");
}

fn which_rscript() -> Result<String, ()> {
    let path = std::env::var("TRIALDESK_TEST_RSCRIPT").unwrap_or_else(|_| "/usr/bin/Rscript".into());
    if Path::new(&path).exists() { Ok(path) } else { Err(()) }
}

#[tokio::test]
async fn a_blinded_statistician_gets_arm_codes_only_in_exports_and_the_report() {
    let app = spawn_app().await;
    trial(&app).await;
    let blinded = app.user(Role::StatisticianBlinded);
    let long = String::from_utf8(download(&app, &blinded, "long.csv").await).expect("utf-8");
    let arms: Vec<&str> = long.lines().skip(1).map(|l| l.split(',').nth(1).expect("arm")).collect();
    assert!(arms.iter().all(|a| *a == "A" || *a == "B"), "{arms:?}");
    let report: serde_json::Value =
        app.get_as(&blinded, "/api/v1/reports/summary").await.json().await.expect("report");
    assert_eq!(report["blinded"], true);
    let text = report.to_string();
    for label in ["Moderated online support groups", "Waitlist", "waitlist", "support_groups"] {
        assert!(!text.contains(label), "the blinded report shows {label}");
    }
}

#[tokio::test]
async fn the_report_page_shows_consort_counts_and_charts_to_a_signed_in_researcher() {
    let app = spawn_app().await;
    trial(&app).await;
    let coord = app.user(Role::Coordinator);
    let resp = app.get_as(&coord, "/reports").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp.headers()["content-security-policy"].to_str().expect("csp").to_owned();
    // Its inline styles are allowed, and nothing else inline: no script may run.
    assert!(csp.contains("style-src 'unsafe-inline'") && csp.starts_with("default-src 'none'"), "{csp}");
    let html = resp.text().await.expect("html");
    assert!(html.contains("Participant flow") && html.contains("<svg"), "the report has its CONSORT diagram");
    assert!(html.contains("4 randomised"), "CONSORT counts the randomised participants");
    let moderator = app.user(Role::Moderator);
    assert_eq!(app.get_as(&moderator, "/reports").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_blinded_statistician_downloads_every_export_and_runs_the_analysis_in_the_browser() {
    let app = spawn_app().await;
    trial(&app).await;
    let stat = app.user(Role::StatisticianBlinded);
    let config = serde_json::json!({"email": stat.email, "password": stat.password, "blind": true,
        "expect_report": ["Analysis of the trial's long file"]});
    let address = app.address.clone();
    let result =
        tokio::task::spawn_blocking(move || crate::browser::run_browser("statistician.mjs", address, config))
            .await
            .expect("join");
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["downloads"].as_object().expect("downloads").len(), 7, "{result}");
    // Each download, and the analysis, is in the audit trail.
    let admin = app.user(Role::Admin);
    let trail: Vec<serde_json::Value> =
        app.get_as(&admin, "/api/v1/audit?entity=dataset").await.json().await.expect("audit");
    assert_eq!(trail.iter().filter(|e| e["action"] == "export").count(), 7, "{trail:?}");
    assert!(trail.iter().any(|e| e["action"] == "analyse" && e["changes"][0]["new"] == true), "{trail:?}");
}

/// `all.zip`: the six files, read from the trial in one pass, each the same as its own download;
/// taking it is audited like a single file.
#[tokio::test]
async fn the_whole_export_as_one_zip_holds_the_six_files_as_they_download_one_by_one() {
    let app = spawn_app().await;
    trial(&app).await;
    let statistician = app.user(Role::StatisticianUnblinded);
    let resp = app.get_as(&statistician, "/api/v1/exports/all.zip").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/zip"));
    let bytes = resp.bytes().await.expect("zip").to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip file");
    let mut names: Vec<String> = zip.file_names().map(|n| n.expect("a name").into_owned()).collect();
    names.sort();
    assert_eq!(names, ["codebook.csv", "load.R", "load.do", "long.csv", "long.parquet", "wide.csv"]);
    for name in names {
        let mut inside = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name(&name).expect("entry"), &mut inside).expect("read");
        assert!(inside == download(&app, &statistician, &name).await, "{name} differs from its own download");
    }
    let listed: serde_json::Value =
        app.get_as(&statistician, "/api/v1/exports").await.json().await.expect("list");
    assert!(listed.as_array().is_some_and(|l| l.iter().any(|f| f["name"] == "all.zip")), "{listed}");
    let audited = app.get_as(&app.user(Role::Admin), "/api/v1/audit?action=export&entity_id=all.zip").await;
    let entries: serde_json::Value = audited.json().await.expect("audit");
    assert_eq!(entries.as_array().map(Vec::len), Some(1), "{entries}");
}

/// The report of unchanged data is the one already built; any audited change builds it anew.
/// (polars, inside the analysis, blocks only on a multi-threaded runtime.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_is_built_once_per_change_of_the_data_and_per_view() {
    use trialdesk::reports::cache::ReportCache;
    use trialdesk::sites::Scope;
    let app = spawn_app().await;
    let coord = trial(&app).await;
    let (cache, library) = (
        ReportCache::default(),
        trialdesk::startup::instruments(&crate::helpers::test_settings(&app.db)).expect("instruments"),
    );
    let mut conn = app.db.conn();
    let first = cache.get_or_build(&mut conn, &library, false, &Scope::All).expect("report");
    let again = cache.get_or_build(&mut conn, &library, false, &Scope::All).expect("report");
    assert!(std::sync::Arc::ptr_eq(&first, &again), "nothing changed: the same report");
    let blinded = cache.get_or_build(&mut conn, &library, true, &Scope::All).expect("report");
    assert!(!std::sync::Arc::ptr_eq(&first, &blinded), "another view is built for itself");

    crate::fixtures::randomised(&app, &coord, 9).await;
    let after = cache.get_or_build(&mut conn, &library, false, &Scope::All).expect("report");
    assert!(!std::sync::Arc::ptr_eq(&first, &after), "a change builds it again");
    let randomised =
        |r: &trialdesk::reports::Report| serde_json::to_value(r).expect("json")["consort"].to_string();
    assert_ne!(randomised(&first), randomised(&after), "and it shows the change");
}
