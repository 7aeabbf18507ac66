//! The API keeps the promises its OpenAPI document makes (issue 17): schemathesis, pinned in the
//! test virtualenv by `scripts/test.sh`, generates requests from `/api/v1/openapi.json` against a
//! server holding a small trial, as an admin and as a blinded statistician, and fails on a server
//! error, an answer that breaks its schema, a status code the document does not list, a
//! schema-valid request refused, a method answered without `Allow`, and the rest of its checks.
//! `tests/schemathesis.toml` lists the few refusals no static document can state, with why.

use std::process::Command;

use trialdesk::auth::Role;

use crate::fixtures::{ORDINARY, complete, randomised, ready_visit};
use crate::helpers::spawn_app_with;

/// How long each role's run may take: bounded, so the suite stays inside its time budget.
const SECONDS_PER_ROLE: &str = "75";

#[tokio::test]
async fn schemathesis_finds_no_server_error_undocumented_answer_or_valid_request_refused() {
    let st = std::env::var("TRIALDESK_TEST_SCHEMATHESIS")
        .expect("TRIALDESK_TEST_SCHEMATHESIS is not set: run the tests with scripts/test.sh, which installs schemathesis");
    // The fuzzer signs in with made-up passwords many times a minute.
    let app = spawn_app_with(|s| s.login_attempts_per_minute = 10_000).await;
    let coordinator = app.user(Role::Coordinator);
    for n in 1..=4 {
        randomised(&app, &coordinator, n).await;
    }
    // A completed visit with a safety answer: scores, an alert, answers to correct.
    let (_, token, baseline) = ready_visit(&app, &coordinator, 5).await;
    let mut answers = ORDINARY;
    answers[8] = 2;
    complete(&app, &token, &baseline, &answers).await;
    ready_visit(&app, &coordinator, 6).await;

    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml");
    // schemathesis keeps a cache folder where it runs: a scratch folder, not the checkout.
    let scratch = tempfile::tempdir().expect("scratch folder");
    let schema = app.url("/api/v1/openapi.json");
    for role in [Role::Admin, Role::StatisticianBlinded] {
        let user = app.user(role);
        let (st, schema, scratch) = (st.clone(), schema.clone(), scratch.path().to_owned());
        let out = tokio::task::spawn_blocking(move || {
            Command::new(st)
                .args(["--no-color", "--config-file", config, "run", &schema])
                .args(["--checks", "all", "--phases", "examples,coverage,fuzzing", "--workers", "1"])
                .args(["--max-examples", "15", "--max-time", SECONDS_PER_ROLE, "--seed", "17"])
                .args(["--request-timeout", "30"])
                .env("TRIALDESK_FUZZ_TOKEN", &user.token)
                .current_dir(scratch)
                .output()
                .expect("schemathesis runs")
        })
        .await
        .expect("join");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "schemathesis as {role} found problems:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("Tested:"), "schemathesis ran no operation as {role}:\n{stdout}");
    }
}
