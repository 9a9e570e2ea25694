//! The command line: create-admin from standard input, migrate, and production's refusal to run
//! on generated secrets.
use crate::helpers::*;
use std::io::Write;
use std::process::{Command, Stdio};

pub fn gridhub(dir: &std::path::Path, database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gridhub"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GRIDHUB_DATA_DIR", dir)
        .env("DATABASE_URL", database_url)
        .env("GRIDHUB_JWT_SECRET", format!("t1:{JWT_SECRET}"))
        .env("GRIDHUB_PII_KEY", format!("p1:{}", "2a".repeat(32)));
    cmd
}

#[tokio::test]
async fn create_admin_reads_the_password_from_stdin_then_logs_in() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let url = fresh_database(dir.path()).await;
    let status = gridhub(dir.path(), &url).arg("migrate").status().unwrap();
    assert!(status.success());
    let mut child = gridhub(dir.path(), &url)
        .args([
            "create-admin",
            "--phone",
            "13900000009",
            "--name",
            "首位管理员",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    // A second admin with the same phone is refused.
    let out = gridhub(dir.path(), &url)
        .args([
            "create-admin",
            "--phone",
            "13900000009",
            "--name",
            "x",
            "--password",
            PASSWORD,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("CONFLICT"));
    let app = spawn_on(dir, url, |_| {}).await;
    let s = app.login("13900000009", PASSWORD).await;
    let body = app
        .gql(
            Some(&s.access),
            "{ me { role name } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(body["data"]["me"]["role"], "CITY_ADMIN");
}

#[test]
fn production_refuses_to_start_without_real_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gridhub"))
        .env_clear()
        .env("GRIDHUB_ENV", "production")
        .env("GRIDHUB_DATA_DIR", dir.path())
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("GRIDHUB_JWT_SECRET"));
    let out = Command::new(env!("CARGO_BIN_EXE_gridhub"))
        .env_clear()
        .env("GRIDHUB_ENV", "production")
        .env("GRIDHUB_DATA_DIR", dir.path())
        .env("GRIDHUB_JWT_SECRET", "too-short")
        .env("GRIDHUB_PII_KEY", "2a".repeat(32))
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn export_schema_prints_the_sdl() {
    let out = Command::new(env!("CARGO_BIN_EXE_gridhub"))
        .arg("export-schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        gridhub::graphql::sdl()
    );
}
