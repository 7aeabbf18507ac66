//! Identifying data stays where it belongs: never in the server's logs, the audit trail,
//! statisticians' responses or the audit export; survey tokens, answers and two-step sign-in
//! secrets never in the logs.
//! Runs the real binary and reads what it logs.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::eligible_answers;
use crate::helpers::TestDb;

/// The built `trialdesk serve`, on a port of its own, with its log captured.
struct Server {
    child: Child,
    base: String,
    env: Vec<(String, String)>,
    dir: std::path::PathBuf,
}

impl Server {
    fn start(db: &TestDb) -> Self {
        let env = vec![
            ("TRIALDESK_DATABASE_URL".to_owned(), db.url.clone()),
            (
                "TRIALDESK_SECRET_KEY_FILE".to_owned(),
                db.dir.path().join("key").to_string_lossy().into_owned(),
            ),
        ];
        let dir = db.dir.path().to_owned();
        assert!(run_cli(&env, &dir, &["migrate"]).0, "migrate");
        let mut child = Command::new(env!("CARGO_BIN_EXE_trialdesk"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .envs(env.clone())
            .env("RUST_LOG", "debug")
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("read");
        // Keep draining stdout: a closed pipe would make the server's next line fail.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let base = first.split_whitespace().find(|w| w.starts_with("http://")).expect("address").to_owned();
        Self { child, base, env, dir }
    }

    /// Runs a CLI command against the same database: (success, stdout).
    fn cli(&self, args: &[&str]) -> (bool, String) {
        run_cli(&self.env, &self.dir, args)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server and returns everything it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let mut logs = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            err.read_to_string(&mut logs).expect("read logs");
        }
        let _ = self.child.wait();
        logs
    }
}

fn run_cli(env: &[(String, String)], dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trialdesk"))
        .args(args)
        .envs(env.iter().cloned())
        .current_dir(dir)
        .output()
        .expect("cli");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// An account made at the command line, signed in with its own password and, where the role
/// needs it (the default `two_factor_roles`), two-step sign-in set up; returns a token and the
/// two-step secrets (the seed and the recovery codes) that must never be logged.
async fn staff_token(server: &Server, email: &str, role: &str, name: &str) -> (String, Vec<String>) {
    let (ok, out) = server.cli(&["user", "create", "--email", email, "--role", role, "--name", name]);
    assert!(ok);
    let otp = out.lines().find_map(|l| l.strip_prefix("one-time password: ")).expect("otp").to_owned();
    let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let login: Value = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": otp}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let csrf = login["csrf_token"].as_str().expect("csrf").to_owned();
    let changed: Value = client
        .post(server.url("/api/v1/auth/password"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"current_password": otp, "new_password": "Secret Harbour 4471"}))
        .send()
        .await
        .expect("change")
        .json()
        .await
        .expect("json");
    let mut csrf = changed["csrf_token"].as_str().expect("csrf").to_owned();
    let mut secrets = Vec::new();
    if matches!(role, "admin" | "coordinator" | "clinician") {
        let send = |path: &str, body: Value| {
            client.post(server.url(path)).header("X-CSRF-Token", &csrf).json(&body).send()
        };
        let setup: Value =
            send("/api/v1/auth/two-factor", json!({})).await.expect("setup").json().await.expect("json");
        let seed = setup["secret"].as_str().expect("seed").to_owned();
        let bytes = totp_rs::Secret::Encoded(seed.clone()).to_bytes().expect("base32");
        let totp =
            totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 0, 30, bytes, None, String::new());
        let code = totp.generate_current().expect("clock");
        let codes: Value = send("/api/v1/auth/two-factor/confirm", json!({"code": code}))
            .await
            .expect("confirm")
            .json()
            .await
            .expect("json");
        // Turning two-step sign-in on starts the session afresh, with a new CSRF token.
        csrf = codes["csrf_token"].as_str().expect("the new session's csrf token").to_owned();
        secrets.push(seed);
        secrets.extend(
            codes["recovery_codes"]
                .as_array()
                .expect("codes")
                .iter()
                .map(|c| c.as_str().expect("code").to_owned()),
        );
    }
    let token: Value = client
        .post(server.url("/api/v1/tokens"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"name": "test"}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    (token["token_secret"].as_str().expect("secret").to_owned(), secrets)
}

#[tokio::test]
async fn names_emails_phones_passwords_tokens_and_answers_never_reach_logs_audit_values_or_statisticians() {
    let db = TestDb::empty();
    let server = Server::start(&db);
    let (admin, two_step) =
        staff_token(&server, "adaeze.okonkwo@example.org", "admin", "Adaeze Okonkwo").await;
    assert_eq!(two_step.len(), 11, "an admin sets up two-step sign-in by default");
    let (stats, _) =
        staff_token(&server, "stat.person@example.org", "statistician_unblinded", "Stat Person").await;
    let (blinded, _) =
        staff_token(&server, "blind.person@example.org", "statistician_blinded", "Blind Person").await;
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value| client.post(server.url(path)).bearer_auth(&admin).json(&body).send();

    let s: Value =
        post("/api/v1/screenings", json!({"referral_source": "clinic", "answers": eligible_answers()}))
            .await
            .expect("screen")
            .json()
            .await
            .expect("json");
    let enrol = json!({
        "screening_id": s["id"], "full_name": "Xiomara Quintanilla", "email": "xiomara.q@example.net", "phone": "(555) 867-5309",
        "strata": {"race_ethnicity": "latinx", "newly_diagnosed": "no"}, "race": "white", "ethnicity": "hispanic_latinx",
        "sex": "female", "age_band": "50-59", "newly_diagnosed": false, "disease_course": "relapsing_remitting", "preferred_language": "es"
    });
    let p: Value =
        post("/api/v1/participants", enrol.clone()).await.expect("enrol").json().await.expect("json");
    let id = p["id"].as_str().expect("id").to_owned();
    assert_eq!(
        post(
            &format!("/api/v1/participants/{id}/consents"),
            json!({"signature_name": "Xiomara Quintanilla", "language": "es"})
        )
        .await
        .expect("consent")
        .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        post(&format!("/api/v1/participants/{id}/randomisation"), json!({}))
            .await
            .expect("randomise")
            .status(),
        StatusCode::CREATED
    );
    // The participant answers on their survey pages, including an urgent safety answer.
    let link: Value = post(&format!("/api/v1/participants/{id}/survey-links"), json!({}))
        .await
        .expect("link")
        .json()
        .await
        .expect("json");
    let survey_token = link["token"].as_str().expect("token").to_owned();
    let schedule: Value = client
        .get(server.url(&format!("/api/v1/participants/{id}/assessments")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("schedule")
        .json()
        .await
        .expect("json");
    let baseline = schedule[0]["id"].as_str().expect("baseline").to_owned();
    let browser =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    for (n, answer) in [(1, "3"), (9, "2")] {
        let resp = browser
            .post(server.url(&format!("/s/{survey_token}/a/{baseline}/q/{n}")))
            .form(&[("answer", answer), ("action", "next")])
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    }
    let page = browser.get(server.url(&format!("/s/{survey_token}"))).send().await.expect("home");
    assert_eq!(page.status(), StatusCode::OK);

    let contact: Value = client
        .get(server.url(&format!("/api/v1/participants/{id}/contact")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("contact")
        .json()
        .await
        .expect("json");
    assert_eq!(contact["full_name"], "Xiomara Quintanilla", "the coordinator's contact view works");
    let mut bad = enrol.clone();
    bad["race"] = json!(7);
    assert_eq!(post("/api/v1/participants", bad).await.expect("bad").status(), StatusCode::BAD_REQUEST);

    let mut seen = String::new();
    for token in [&stats, &blinded] {
        for path in [
            "/api/v1/participants".to_owned(),
            format!("/api/v1/participants/{id}"),
            format!("/api/v1/participants/{id}/timeline"),
        ] {
            let resp = client.get(server.url(&path)).bearer_auth(token).send().await.expect("get");
            assert_eq!(resp.status(), StatusCode::OK);
            seen.push_str(&resp.text().await.expect("text"));
        }
    }
    let refused = client
        .get(server.url(&format!("/api/v1/participants/{id}/contact")))
        .bearer_auth(&stats)
        .send()
        .await
        .expect("get");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let audit_csv = client
        .get(server.url("/api/v1/audit/export"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("csv");
    assert!(audit_csv.contains(",enrol,participant,") && audit_csv.contains(",read_contact,participant,"));
    let (ok, cli_export) = server.cli(&["audit", "export"]);
    assert!(ok);

    let logs = server.stop();
    assert!(logs.contains("request finished"), "the server logged no requests");
    assert!(!logs.contains("phq9_9") && !logs.contains("answer="), "the server log mentions an answer");
    for value in [
        "Xiomara",
        "Quintanilla",
        "xiomara.q",
        "867-5309",
        "8675309",
        "adaeze",
        "Okonkwo",
        "Secret Harbour 4471",
        admin.as_str(),
        survey_token.as_str(),
    ] {
        assert!(!logs.contains(value), "the server log contains `{value}`");
        assert!(
            !audit_csv.contains(value) && !cli_export.contains(value),
            "the audit trail contains `{value}`"
        );
        assert!(!seen.contains(value), "a statistician's response contains `{value}`");
    }
    for secret in &two_step {
        assert!(!logs.contains(secret.as_str()), "the server log contains a two-step secret");
        assert!(
            !audit_csv.contains(secret.as_str()) && !cli_export.contains(secret.as_str()),
            "the trail does"
        );
    }
}
