//! The server's own logs, read as an operator would: they never hold names, e-mail addresses,
//! passwords or tokens.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use serde_json::json;

use crate::helpers::TestDb;

#[tokio::test]
async fn request_logs_never_contain_names_emails_passwords_or_tokens() {
    let db = TestDb::empty();
    let bin = env!("CARGO_BIN_EXE_trialdesk");
    let env = [
        ("TRIALDESK_DATABASE_URL", db.url.as_str()),
        ("TRIALDESK_SECRET_KEY_FILE", &*db.dir.path().join("key").to_string_lossy()),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let migrate = Command::new(bin)
        .arg("migrate")
        .envs(env.clone())
        .current_dir(db.dir.path())
        .output()
        .expect("migrate");
    assert!(migrate.status.success());
    let created = Command::new(bin)
        .args([
            "user",
            "create",
            "--email",
            "admin.person@example.org",
            "--role",
            "admin",
            "--name",
            "Adaeze Okonkwo",
        ])
        .envs(env.clone())
        .current_dir(db.dir.path())
        .output()
        .expect("user create");
    let stdout = String::from_utf8_lossy(&created.stdout).into_owned();
    let otp = stdout.lines().find_map(|l| l.strip_prefix("one-time password: ")).expect("otp").to_owned();

    let mut server = Command::new(bin)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .envs(env)
        .env("RUST_LOG", "debug")
        .current_dir(db.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let mut stdout = BufReader::new(server.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("read");
    // Keep draining stdout: a closed pipe would make the server's next line fail.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let base = first.split_whitespace().find(|w| w.starts_with("http://")).expect("address").to_owned();

    let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "admin.person@example.org", "password": otp}))
        .send()
        .await
        .expect("login");
    let csrf = login.json::<serde_json::Value>().await.expect("json")["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_owned();
    let new_password = "Secret Harbour 4471";
    let changed = client
        .post(format!("{base}/api/v1/auth/password"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"current_password": otp, "new_password": new_password}))
        .send()
        .await
        .expect("change");
    let csrf = changed.json::<serde_json::Value>().await.expect("json")["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_owned();
    let user = client
        .post(format!("{base}/api/v1/users"))
        .header("X-CSRF-Token", &csrf)
        .json(
            &json!({"email": "luz.mendoza@example.org", "display_name": "Luz Mendoza", "role": "moderator"}),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(user.status(), 201);
    let token = client
        .post(format!("{base}/api/v1/tokens"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"name": "export"}))
        .send()
        .await
        .expect("token")
        .json::<serde_json::Value>()
        .await
        .expect("json");
    let secret = token["token_secret"].as_str().expect("secret").to_owned();
    let bad = client
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(&secret)
        .json(&json!({"email": "luz.mendoza@example.org", "display_name": "Luz Mendoza", "role": 7}))
        .send()
        .await
        .expect("bad");
    assert_eq!(bad.status(), 400);
    client
        .get(format!("{base}/api/v1/audit?actor_id=luz.mendoza@example.org"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("get");

    server.kill().expect("kill");
    let mut logs = String::new();
    server.stderr.take().expect("stderr").read_to_string(&mut logs).expect("read logs");
    let _ = server.wait();
    assert!(logs.contains("request finished"), "the server logged no requests: {logs}");
    for secret_value in [
        "admin.person",
        "Adaeze",
        "Okonkwo",
        "luz.mendoza",
        "Luz Mendoza",
        otp.as_str(),
        new_password,
        secret.as_str(),
    ] {
        assert!(!logs.contains(secret_value), "the logs contain `{secret_value}`:\n{logs}");
    }
}
