//! Logging in, refresh rotation and reuse, logout, lockout, forged tokens, key rotation.
use crate::helpers::*;
use chrono::Duration;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const ME: &str = "{ me { id name role phone } }";
const REFRESH: &str =
    "mutation($t:String!){refreshSession(refreshToken:$t){accessToken refreshToken account{id}}}";

async fn refresh(app: &TestApp, token: &str) -> Value {
    app.gql(None, REFRESH, json!({"t": token})).await
}

fn tokens(body: &Value) -> (String, String) {
    let r = &body["data"]["refreshSession"];
    (
        r["accessToken"].as_str().unwrap().to_owned(),
        r["refreshToken"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn login_then_me_shows_own_full_phone() {
    let app = spawn_app().await;
    let admin = app.city_admin().await;
    let body = app.gql(Some(&admin.access), ME, json!({})).await;
    assert_ok(&body);
    assert_eq!(body["data"]["me"]["role"], "CITY_ADMIN");
    assert_eq!(body["data"]["me"]["phone"], "13900000001");
    assert_eq!(body["data"]["me"]["id"], admin.account_id.as_str());
}

#[tokio::test]
async fn wrong_password_and_unknown_phone_look_the_same() {
    let app = spawn_app().await;
    app.city_admin().await;
    let q = "mutation($p:String!){login(phone:$p,password:\"wrong-password-1\"){accessToken}}";
    let wrong = app.gql(None, q, json!({"p": "13900000001"})).await;
    let unknown = app.gql(None, q, json!({"p": "13900009999"})).await;
    assert_code(&wrong, "UNAUTHENTICATED");
    assert_code(&unknown, "UNAUTHENTICATED");
    assert_eq!(
        wrong["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
    let bad = app.gql(None, q, json!({"p": "12345"})).await;
    assert_code(&bad, "BAD_USER_INPUT");
    assert_eq!(error_field(&bad), Some("phone"));
}

#[tokio::test]
async fn the_login_payload_shows_the_own_region() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let body = app
        .gql(
            None,
            "mutation{login(phone:\"13900000004\",password:\"grid-pass-2026\"){account{role region{id name}}}}",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["login"]["account"]["region"]["id"],
        w.c1.as_str(),
        "{body}"
    );
}

#[tokio::test]
async fn no_token_is_unauthenticated() {
    let app = spawn_app().await;
    assert_code(&app.gql(None, ME, json!({})).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let s = app.city_admin().await;
    let first = refresh(&app, &s.refresh).await;
    assert_ok(&first);
    let (access2, refresh2) = tokens(&first);
    assert_ne!(refresh2, s.refresh);
    // The successor is used: the session moves on.
    let second = refresh(&app, &refresh2).await;
    assert_ok(&second);
    let (access3, refresh3) = tokens(&second);
    assert_ok(&app.gql(Some(&access3), ME, json!({})).await);
    // The first token comes back: theft. The whole family dies.
    assert_code(&refresh(&app, &s.refresh).await, "UNAUTHENTICATED");
    assert_code(&refresh(&app, &refresh3).await, "UNAUTHENTICATED");
    assert_code(
        &app.gql(Some(&access3), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
    assert_code(
        &app.gql(Some(&access2), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn a_lost_refresh_response_gets_the_same_successor() {
    let app = spawn_app().await;
    let s = app.city_admin().await;
    let lost = refresh(&app, &s.refresh).await;
    assert_ok(&lost);
    let (_, lost_refresh) = tokens(&lost);
    // The app never saw `lost` and retries with the same token: it gets the same successor.
    let retry = refresh(&app, &s.refresh).await;
    assert_ok(&retry);
    let (access, retried_refresh) = tokens(&retry);
    assert_eq!(retried_refresh, lost_refresh);
    assert_ok(&app.gql(Some(&access), ME, json!({})).await);
    // Once the successor is used, the old token coming back is theft: the family dies.
    let next = refresh(&app, &retried_refresh).await;
    assert_ok(&next);
    let (access3, refresh3) = tokens(&next);
    assert_code(&refresh(&app, &s.refresh).await, "UNAUTHENTICATED");
    assert_code(&refresh(&app, &refresh3).await, "UNAUTHENTICATED");
    assert_code(
        &app.gql(Some(&access3), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn a_retry_after_the_window_revokes() {
    let app = spawn_app().await;
    let s = app.city_admin().await;
    let first = refresh(&app, &s.refresh).await;
    assert_ok(&first);
    // Within the window every retry gets the same, live successor.
    for _ in 0..3 {
        let again = refresh(&app, &s.refresh).await;
        assert_ok(&again);
        assert_eq!(tokens(&again).1, tokens(&first).1);
    }

    let s = app.login("13900000001", PASSWORD).await;
    let next = refresh(&app, &s.refresh).await;
    let (_, next_refresh) = tokens(&next);
    app.clock.advance(Duration::minutes(5));
    assert_code(&refresh(&app, &s.refresh).await, "UNAUTHENTICATED");
    assert_code(&refresh(&app, &next_refresh).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn twenty_concurrent_refreshes_share_one_live_successor() {
    let app = spawn_app().await;
    let s = app.city_admin().await;
    let answers = futures_util::future::join_all((0..20).map(|_| refresh(&app, &s.refresh))).await;
    let mut successors = std::collections::BTreeSet::new();
    for answer in &answers {
        assert_ok(answer);
        let (access, next) = tokens(answer);
        // Every caller's access token works: the session was not revoked.
        assert_ok(&app.gql(Some(&access), ME, json!({})).await);
        successors.insert(next);
    }
    assert_eq!(successors.len(), 1, "{successors:?}");
    let successor = successors.pop_first().unwrap();
    // The shared successor moves the session on, and the old token is then reuse.
    let moved = refresh(&app, &successor).await;
    assert_ok(&moved);
    let (access, _) = tokens(&moved);
    assert_ok(&app.gql(Some(&access), ME, json!({})).await);
    assert_code(&refresh(&app, &s.refresh).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let s = app.city_admin().await;
    let other = app.login("13900000001", PASSWORD).await;
    let body = app
        .gql(Some(&s.access), "mutation{logout}", json!({}))
        .await;
    assert_eq!(body["data"]["logout"], true, "{body}");
    assert_code(
        &app.gql(Some(&s.access), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
    assert_code(&refresh(&app, &s.refresh).await, "UNAUTHENTICATED");
    // Another session of the same account lives on.
    assert_ok(&app.gql(Some(&other.access), ME, json!({})).await);
}

#[tokio::test]
async fn failed_logins_slow_down_then_lock() {
    let app = spawn_app().await;
    app.city_admin().await;
    let q = "mutation($w:String!){login(phone:\"13900000001\",password:$w){accessToken}}";
    for _ in 0..3 {
        assert_code(
            &app.gql(None, q, json!({"w": "wrong-password-1"})).await,
            "UNAUTHENTICATED",
        );
    }
    // Now even the right password must wait.
    let body = app.gql(None, q, json!({"w": PASSWORD})).await;
    assert_code(&body, "RATE_LIMITED");
    assert!(
        body["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            >= 1
    );
    app.clock.advance(Duration::seconds(2));
    assert_ok(&app.gql(None, q, json!({"w": PASSWORD})).await);

    // Ten failures, each after its wait: locked for a quarter of an hour.
    for _ in 0..10 {
        app.clock.advance(Duration::seconds(61));
        assert_code(
            &app.gql(None, q, json!({"w": "wrong-password-1"})).await,
            "UNAUTHENTICATED",
        );
    }
    app.clock.advance(Duration::seconds(61));
    let body = app.gql(None, q, json!({"w": PASSWORD})).await;
    assert_code(&body, "RATE_LIMITED");
    app.clock.advance(Duration::minutes(15));
    assert_ok(&app.gql(None, q, json!({"w": PASSWORD})).await);
}

#[derive(serde::Serialize, Clone, Copy)]
struct Claims<'a> {
    sub: &'a str,
    sid: &'a str,
    iss: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: &'a str,
    typ: &'a str,
}

fn sign(claims: &Claims, kid: &str, secret: &str, alg: Algorithm) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn session_id_of(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    v["sid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn forged_tokens_are_refused() {
    let app = spawn_app().await;
    let s = app.city_admin().await;
    let sid = session_id_of(&s.access);
    let now = jsonwebtoken::get_current_timestamp();
    let good = Claims {
        sub: &s.account_id,
        sid: &sid,
        iss: "gridhub",
        aud: "gridhub-api",
        iat: now,
        exp: now + 600,
        jti: "00000000-0000-0000-0000-000000000000",
        typ: "access",
    };
    // Control: a token signed like the server's is accepted, so the refusals below are real.
    let control = sign(&good, "t1", JWT_SECRET, Algorithm::HS256);
    assert_ok(&app.gql(Some(&control), ME, json!({})).await);

    let none = {
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = e.encode(br#"{"alg":"none","typ":"JWT","kid":"t1"}"#);
        let payload = e.encode(
            serde_json::to_vec(&json!({
                "sub": s.account_id, "sid": sid, "iss": "gridhub", "aud": "gridhub-api",
                "iat": now, "exp": now + 600, "jti": "x", "typ": "access"
            }))
            .unwrap(),
        );
        format!("{header}.{payload}.")
    };
    let forged = vec![
        ("alg none", none),
        (
            "wrong key",
            sign(
                &good,
                "t1",
                "another-secret-another-secret-another-01",
                Algorithm::HS256,
            ),
        ),
        (
            "unknown kid",
            sign(&good, "zz", JWT_SECRET, Algorithm::HS256),
        ),
        ("HS512", sign(&good, "t1", JWT_SECRET, Algorithm::HS512)),
        (
            "wrong audience",
            sign(
                &Claims {
                    aud: "other-api",
                    ..good
                },
                "t1",
                JWT_SECRET,
                Algorithm::HS256,
            ),
        ),
        (
            "wrong issuer",
            sign(
                &Claims {
                    iss: "evil",
                    ..good
                },
                "t1",
                JWT_SECRET,
                Algorithm::HS256,
            ),
        ),
        (
            "expired",
            sign(
                &Claims {
                    iat: now - 7200,
                    exp: now - 3600,
                    ..good
                },
                "t1",
                JWT_SECRET,
                Algorithm::HS256,
            ),
        ),
        (
            "refresh type",
            sign(
                &Claims {
                    typ: "refresh",
                    ..good
                },
                "t1",
                JWT_SECRET,
                Algorithm::HS256,
            ),
        ),
        ("refresh token as access", s.refresh.clone()),
        ("garbage", "not-a-token".to_owned()),
    ];
    for (what, token) in forged {
        let body = app.gql(Some(&token), ME, json!({})).await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{what}: {body}");
    }
}

#[tokio::test]
async fn a_new_signing_key_does_not_log_anyone_out() {
    let app = spawn_app().await;
    let s = app.city_admin().await;
    let rotated = spawn_on(app.data_dir.clone(), app.database_url.clone(), |settings| {
        settings.jwt_keys.insert(
            0,
            gridhub::config::Secret {
                kid: "t2".into(),
                bytes: b"second-key-second-key-second-key-000002".to_vec(),
            },
        );
    })
    .await;
    // The old token still works on the server with the new key first.
    assert_ok(&rotated.gql(Some(&s.access), ME, json!({})).await);
    let fresh = rotated.login("13900000001", PASSWORD).await;
    let header = jsonwebtoken::decode_header(&fresh.access).unwrap();
    assert_eq!(header.kid.as_deref(), Some("t2"));
    assert_ok(&rotated.gql(Some(&fresh.access), ME, json!({})).await);
    // And once the old key is dropped, its tokens stop working.
    let dropped = spawn_on(app.data_dir.clone(), app.database_url.clone(), |settings| {
        settings.jwt_keys = vec![gridhub::config::Secret {
            kid: "t2".into(),
            bytes: b"second-key-second-key-second-key-000002".to_vec(),
        }];
    })
    .await;
    assert_code(
        &dropped.gql(Some(&s.access), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
    assert_ok(&dropped.gql(Some(&fresh.access), ME, json!({})).await);
}

#[tokio::test]
async fn disabling_an_account_cuts_it_off_at_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let body = app
        .gql(
            Some(&w.sd1_admin.access),
            "mutation($id:UUID!){disableAccount(id:$id){id disabled}}",
            json!({"id": w.c1_worker.account_id}),
        )
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["disableAccount"]["disabled"], true);
    assert_code(
        &app.gql(Some(&w.c1_worker.access), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
    assert_code(
        &refresh(&app, &w.c1_worker.refresh).await,
        "UNAUTHENTICATED",
    );
    let login = app
        .gql(
            None,
            "mutation{login(phone:\"13900000004\",password:\"grid-pass-2026\"){accessToken}}",
            json!({}),
        )
        .await;
    assert_code(&login, "UNAUTHENTICATED");
}
