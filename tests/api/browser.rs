//! Pages in a real browser. The participant's: headless Chromium drives a complete PHQ-9 + GAD-7 +
//! UCLA-3 visit in English and in Spanish — with a resume on a second device and, in Spanish, a
//! safety answer (`tests/browser/survey.mjs`). Staff: blinded staff sign in with the keyboard on a
//! desktop and a phone and read what the blinding policy lets them (`tests/browser/staff.mjs`).
//! axe-core finds no WCAG 2.2 A/AA violation on any page (`scripts/test.sh` installs Chromium and
//! the npm packages).

use serde_json::{Value, json};
use trialdesk::auth::Role;

use crate::fixtures::{ORDINARY, by_timepoint_id, link, randomised, schedule};
use crate::helpers::spawn_app;

/// Runs a script of `tests/browser/` against the server at `address` (blocking: call off the
/// runtime); returns its summary line.
pub fn run_browser(script: &str, address: String, config: Value) -> Value {
    let modules = std::env::var("TRIALDESK_BROWSER_MODULES")
        .expect("TRIALDESK_BROWSER_MODULES is not set: run the tests with scripts/test.sh, which installs Chromium and the browser-test packages");
    let script = format!("{}/tests/browser/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut config = config;
    config["base"] = json!(address);
    let out = std::process::Command::new("node")
        .arg(script)
        .arg(config.to_string())
        .env("TRIALDESK_BROWSER_MODULES", modules)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the browser run failed:\n{}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().expect("a summary line")).expect("summary")
}

#[tokio::test]
async fn a_whole_visit_in_english_and_in_spanish_with_resume_and_a_safety_answer_passes_axe_on_every_page() {
    let app = spawn_app().await;
    let coord = app.user(Role::Coordinator);
    let (en, es) = (randomised(&app, &coord, 1).await, randomised(&app, &coord, 3).await);
    let en_token = link(&app, &coord, &en).await;
    let es_token = link(&app, &coord, &es).await;
    // Spanish: nothing in PHQ-9 items 1–8, then item 9 at 1 (the safety answer).
    let mut spanish = ORDINARY;
    spanish[..8].fill(0);
    spanish[8] = 1;

    let runs = [
        (en.clone(), json!({"token": en_token, "lang": "en", "answers": ORDINARY})),
        (
            es.clone(),
            json!({"token": es_token, "lang": "es", "answers": spanish, "safety_at": 9, "resume_after": 12}),
        ),
    ];
    // Both visits at once: each is its own Chromium, and the suite waits for the slower one only.
    let visits = runs.map(|(participant, config)| {
        let (address, run) = (app.address.clone(), config.clone());
        (participant, config, tokio::task::spawn_blocking(move || run_browser("survey.mjs", address, run)))
    });
    for (participant, config, visit) in visits {
        let result = visit.await.expect("join");
        assert_eq!(result["ok"], true);
        assert!(result["pages_checked"].as_u64().expect("count") >= 26, "{result}");
        let baseline = by_timepoint_id(&schedule(&app, &coord, &participant).await, "baseline");
        let detail: Value = app
            .get_as(&coord, &format!("/api/v1/assessments/{baseline}"))
            .await
            .json()
            .await
            .expect("detail");
        assert_eq!(detail["assessment"]["status"], "completed", "{}", config["lang"]);
        assert_eq!(detail["answers"].as_array().expect("answers").len(), 20);
    }
    let clinician = app.user(Role::Clinician);
    let alerts: Vec<Value> = app.get_as(&clinician, "/api/v1/alerts").await.json().await.expect("alerts");
    assert_eq!(alerts.len(), 1, "the Spanish visit's item-9 answer raised one alert");
    assert_eq!(alerts[0]["participant_id"], es.as_str());
}
