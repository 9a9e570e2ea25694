//! Residents and their personal data: validation, masking per role, audited reveal, no plain
//! identifiers at rest, duplicate ID numbers.
use crate::helpers::*;
use serde_json::{Value, json};

const CREATE: &str = "mutation($i:CreateResidentInput!){createResident(input:$i){id name gender birthDate idNumber phone tags building residenceType region{id}}}";
const ONE: &str = "query($id:UUID!){resident(id:$id){id name idNumber phone tags}}";
const LIST: &str = "query($t:ResidentTag,$n:String,$b:String,$w:UUID){residents(first:100,tag:$t,name:$n,building:$b,within:$w){edges{node{id name idNumber phone tags}}}}";
const REVEAL: &str = "mutation($id:UUID!,$r:String!){revealResidentIdNumber(id:$id,reason:$r)}";

async fn resident(
    app: &TestApp,
    token: &str,
    grid: &str,
    name: &str,
    id: &str,
    phone: &str,
    tags: Value,
) -> Value {
    app.gql(
        Some(token),
        CREATE,
        json!({"i": {"regionId": grid, "name": name, "idNumber": id, "phone": phone, "building": "3栋", "room": "502", "tags": tags, "residenceType": "PERMANENT"}}),
    )
    .await
}

/// A full-time grid member on `grid`, logged in.
async fn grid_member(
    app: &TestApp,
    w: &World,
    kind: &str,
    phone: &str,
    community: &str,
    grid: &str,
) -> Session {
    let body = app
        .gql(
            Some(&w.admin.access),
            "mutation($i:CreateGridMemberInput!){createGridMember(input:$i){id}}",
            json!({"i": {"regionId": community, "name": "骑手小王", "phone": phone, "kind": kind, "occupation": "DELIVERY_RIDER", "employer": "美团", "password": PASSWORD}}),
        )
        .await;
    let id = body["data"]["createGridMember"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let body = app
        .gql(
            Some(&w.admin.access),
            "mutation($m:UUID!,$g:UUID!){assignGrid(memberId:$m,gridId:$g){id}}",
            json!({"m": id, "g": grid}),
        )
        .await;
    assert_ok(&body);
    app.login(phone, PASSWORD).await
}

#[tokio::test]
async fn a_resident_is_registered_masked_and_derived_from_the_id() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = fake_id("19450302", 1);
    let body = resident(
        &app,
        &w.c1_worker.access,
        &w.g1,
        "陈阿婆",
        &id,
        "13812345678",
        json!(["ELDERLY_ALONE", "LOW_INCOME"]),
    )
    .await;
    assert_ok(&body);
    let r = &body["data"]["createResident"];
    assert_eq!(r["birthDate"], "1945-03-02");
    assert_eq!(r["gender"], "MALE");
    assert_eq!(r["idNumber"], format!("440784********{}", &id[14..]));
    assert_eq!(r["phone"], "138****5678");
    assert_eq!(r["tags"], json!(["ELDERLY_ALONE", "LOW_INCOME"]));
    assert!(!body.to_string().contains(&id));
    // Same ID number again, anywhere in the city: conflict.
    let body = resident(
        &app,
        &w.sd2_admin.access,
        &w.g3,
        "冒名者",
        &id.to_lowercase(),
        "13812345679",
        json!([]),
    )
    .await;
    assert_code(&body, "CONFLICT");
    assert_eq!(error_field(&body), Some("idNumber"));
}

#[tokio::test]
async fn every_field_is_validated() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = &w.c1_worker.access;
    let ok_id = fake_id("19800101", 2);
    let bad_check = {
        let mut s = ok_id.clone();
        let last = s.pop().unwrap();
        s.push(if last == '0' { '1' } else { '0' });
        s
    };
    let cases = [
        (
            json!({"regionId": w.g1, "name": "张三", "idNumber": bad_check}),
            "idNumber",
        ),
        (
            json!({"regionId": w.g1, "name": "张三", "idNumber": "44078419800101"}),
            "idNumber",
        ),
        (
            json!({"regionId": w.g1, "name": "张三", "idNumber": fake_id("20990101", 3)}),
            "idNumber",
        ),
        (
            json!({"regionId": w.g1, "name": "", "idNumber": ok_id}),
            "name",
        ),
        (
            json!({"regionId": w.g1, "name": "张三", "idNumber": ok_id, "phone": "12345"}),
            "phone",
        ),
        (
            json!({"regionId": w.g1, "name": "张三", "idNumber": ok_id, "building": "x".repeat(40)}),
            "building",
        ),
        (
            json!({"regionId": w.c1, "name": "张三", "idNumber": ok_id}),
            "regionId",
        ),
    ];
    for (input, field) in cases {
        let body = app.gql(Some(t), CREATE, json!({"i": input})).await;
        assert_code(&body, "BAD_USER_INPUT");
        assert_eq!(error_field(&body), Some(field), "{body}");
    }
    let body = app.gql(Some(t), CREATE, json!({"i": {"regionId": w.g1, "name": "张三", "idNumber": ok_id, "tags": ["NOT_A_TAG"]}})).await;
    assert_code(&body, "BAD_USER_INPUT");
    // Outside scope.
    let body = app
        .gql(
            Some(t),
            CREATE,
            json!({"i": {"regionId": w.g3, "name": "张三", "idNumber": ok_id}}),
        )
        .await;
    assert_code(&body, "NOT_FOUND");
}

#[tokio::test]
async fn who_sees_residents_and_how() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = fake_id("19500101", 4);
    let body = resident(
        &app,
        &w.c1_worker.access,
        &w.g1,
        "李伯",
        &id,
        "13911112222",
        json!(["VETERAN"]),
    )
    .await;
    let rid = body["data"]["createResident"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    resident(
        &app,
        &w.sd1_admin.access,
        &w.g2,
        "凤凰居民",
        &fake_id("19600101", 5),
        "13911113333",
        json!([]),
    )
    .await;
    let full_time = grid_member(&app, &w, "FULL_TIME", "13700000001", &w.c1, &w.g1).await;
    let part_time = grid_member(&app, &w, "PART_TIME", "13700000002", &w.c1, &w.g1).await;
    let other_grid = grid_member(&app, &w, "FULL_TIME", "13700000003", &w.c2, &w.g2).await;

    // Full-time member of the grid: masked, with tags.
    let body = app
        .gql(Some(&full_time.access), ONE, json!({"id": rid}))
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["resident"]["tags"], json!(["VETERAN"]));
    assert!(
        body["data"]["resident"]["idNumber"]
            .as_str()
            .unwrap()
            .contains("********")
    );
    let body = app.gql(Some(&full_time.access), LIST, json!({})).await;
    assert_eq!(node_ids(&body["data"]["residents"]), vec![rid.clone()]);
    // Part-time (gig worker) members and unit liaisons: no resident data at all.
    for who in [&part_time, &w.c1_liaison] {
        assert_code(
            &app.gql(Some(&who.access), ONE, json!({"id": rid})).await,
            "FORBIDDEN",
        );
        assert_code(
            &app.gql(Some(&who.access), LIST, json!({})).await,
            "FORBIDDEN",
        );
    }
    // A member of another grid: not found.
    assert_code(
        &app.gql(Some(&other_grid.access), ONE, json!({"id": rid}))
            .await,
        "NOT_FOUND",
    );
    // Lists never leak across scope.
    let body = app.gql(Some(&w.c1_worker.access), LIST, json!({})).await;
    assert_eq!(node_ids(&body["data"]["residents"]), vec![rid.clone()]);
    let body = app.gql(Some(&w.sd2_admin.access), LIST, json!({})).await;
    assert!(node_ids(&body["data"]["residents"]).is_empty());
    let body = app.gql(Some(&w.sd1_admin.access), LIST, json!({})).await;
    assert_eq!(node_ids(&body["data"]["residents"]).len(), 2);
    // Filters.
    let body = app
        .gql(Some(&w.sd1_admin.access), LIST, json!({"t": "VETERAN"}))
        .await;
    assert_eq!(node_ids(&body["data"]["residents"]), vec![rid.clone()]);
    let body = app
        .gql(Some(&w.sd1_admin.access), LIST, json!({"n": "凤凰"}))
        .await;
    assert_eq!(node_ids(&body["data"]["residents"]).len(), 1);
    let body = app
        .gql(
            Some(&w.sd1_admin.access),
            LIST,
            json!({"b": "3栋", "w": w.c1}),
        )
        .await;
    assert_eq!(node_ids(&body["data"]["residents"]), vec![rid.clone()]);
}

#[tokio::test]
async fn reveal_is_for_staff_in_scope_and_always_audited() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = fake_id("19500101", 6);
    let body = resident(
        &app,
        &w.c1_worker.access,
        &w.g1,
        "王奶奶",
        &id,
        "13911114444",
        json!([]),
    )
    .await;
    let rid = body["data"]["createResident"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let full_time = grid_member(&app, &w, "FULL_TIME", "13700000004", &w.c1, &w.g1).await;

    let body = app
        .gql(
            Some(&w.c1_worker.access),
            REVEAL,
            json!({"id": rid, "r": "办理高龄津贴核对身份"}),
        )
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["revealResidentIdNumber"], id.as_str());
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            REVEAL,
            json!({"id": rid, "r": " "}),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("reason"));
    assert_code(
        &app.gql(
            Some(&full_time.access),
            REVEAL,
            json!({"id": rid, "r": "想看看"}),
        )
        .await,
        "FORBIDDEN",
    );
    assert_code(
        &app.gql(
            Some(&w.sd2_admin.access),
            REVEAL,
            json!({"id": rid, "r": "越权查看"}),
        )
        .await,
        "NOT_FOUND",
    );

    let body = app
        .gql(
            Some(&w.admin.access),
            "query($t:UUID){auditLog(first:50,action:\"resident.reveal_id_number\",targetId:$t){edges{node{actorId outcome detail requestId}}}}",
            json!({"t": rid}),
        )
        .await;
    assert_ok(&body);
    let entries = body["data"]["auditLog"]["edges"].as_array().unwrap();
    let outcomes: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["node"]["actorId"].as_str().unwrap(),
                e["node"]["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        outcomes.contains(&(w.c1_worker.account_id.as_str(), "SUCCESS")),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&(full_time.account_id.as_str(), "DENIED")),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&(w.sd2_admin.account_id.as_str(), "DENIED")),
        "{outcomes:?}"
    );
    assert!(
        !body.to_string().contains(&id),
        "the audit log holds a full ID number"
    );
    // The sub-district admin of the other side sees only its own refused attempt, nothing of
    // what happened in SD1 (scope of the audit log).
    let body = app
        .gql(Some(&w.sd2_admin.access), "{auditLog(first:100,action:\"resident.reveal_id_number\"){edges{node{actorId outcome}}}}", json!({}))
        .await;
    assert_ok(&body);
    let edges = body["data"]["auditLog"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "{body}");
    assert_eq!(edges[0]["node"]["actorId"], w.sd2_admin.account_id.as_str());
    // Community workers do not read the audit log.
    assert_code(
        &app.gql(
            Some(&w.c1_worker.access),
            "{auditLog{edges{node{id}}}}",
            json!({}),
        )
        .await,
        "FORBIDDEN",
    );
}

#[tokio::test]
async fn updates_keep_identifiers_encrypted_and_unique() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let a = fake_id("19700101", 7);
    let b = fake_id("19710101", 8);
    let body = resident(
        &app,
        &w.c1_worker.access,
        &w.g1,
        "甲",
        &a,
        "13911115555",
        json!([]),
    )
    .await;
    let ra = body["data"]["createResident"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    resident(
        &app,
        &w.c1_worker.access,
        &w.g1,
        "乙",
        &b,
        "13911116666",
        json!([]),
    )
    .await;
    let update = "mutation($id:UUID!,$i:UpdateResidentInput!){updateResident(id:$id,input:$i){id name phone tags idNumber}}";
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            update,
            json!({"id": ra, "i": {"idNumber": b}}),
        )
        .await;
    assert_code(&body, "CONFLICT");
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            update,
            json!({"id": ra, "i": {"phone": null, "tags": ["BUILDING_HEAD"], "name": "甲改"}}),
        )
        .await;
    assert_ok(&body);
    assert!(body["data"]["updateResident"]["phone"].is_null());
    assert_eq!(
        body["data"]["updateResident"]["tags"],
        json!(["BUILDING_HEAD"])
    );
    assert_code(
        &app.gql(
            Some(&w.g1_member.access),
            update,
            json!({"id": ra, "i": {"name": "x"}}),
        )
        .await,
        "FORBIDDEN",
    );
}

#[tokio::test]
async fn no_id_number_or_phone_is_stored_in_plain_text() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut secrets = Vec::new();
    for i in 0..5u32 {
        let id = fake_id("19550505", 10 + i);
        let phone = format!("1381234{:04}", 5000 + i);
        assert_ok(
            &resident(
                &app,
                &w.c1_worker.access,
                &w.g1,
                "居民",
                &id,
                &phone,
                json!([]),
            )
            .await,
        );
        secrets.push(id);
        secrets.push(phone);
    }
    let dump = database_dump(&app).await;
    for secret in &secrets {
        assert!(
            !dump.contains(secret.as_str()),
            "{secret} found in the database"
        );
    }
    // The account phones too.
    assert!(!dump.contains("13900000004"));
    // And the dump did capture the data (names are there), so the check means something.
    assert!(dump.contains("居民"));
}

/// Everything the database holds, as text: the SQLite file bytes, or `pg_dump`.
pub async fn database_dump(app: &TestApp) -> String {
    if app.database_url.starts_with("sqlite") {
        // Flush the WAL into the main file first.
        use sea_orm::ConnectionTrait;
        app.state
            .db
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .unwrap();
        let path = app.data_dir.path().join("test.db");
        let mut bytes = std::fs::read(&path).unwrap();
        if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
            bytes.extend(wal);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        let out = std::process::Command::new("pg_dump")
            .arg("--data-only")
            .arg(&app.database_url)
            .output()
            .expect("pg_dump");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

#[tokio::test]
async fn a_new_pii_key_keeps_old_data_readable_and_unique() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = fake_id("19520202", 30);
    let body = resident(
        &app,
        &w.c1_worker.access,
        &w.g1,
        "旧钥居民",
        &id,
        "13911117777",
        json!([]),
    )
    .await;
    let rid = body["data"]["createResident"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Restart with a new key first and the old one still configured.
    let rotated = spawn_on(app.data_dir.clone(), app.database_url.clone(), |s| {
        s.pii_keys.insert(
            0,
            gridhub::config::Secret {
                kid: "p2".into(),
                bytes: vec![7u8; 32],
            },
        );
    })
    .await;
    let worker = rotated.login("13900000004", PASSWORD).await;
    let body = rotated
        .gql(
            Some(&worker.access),
            REVEAL,
            json!({"id": rid, "r": "核对身份"}),
        )
        .await;
    assert_eq!(
        body["data"]["revealResidentIdNumber"],
        id.as_str(),
        "{body}"
    );
    let body = rotated
        .gql(Some(&worker.access), ONE, json!({"id": rid}))
        .await;
    assert_eq!(body["data"]["resident"]["phone"], "139****7777");
    // The old key's look-up hash still catches a duplicate.
    let body = resident(
        &rotated,
        &worker.access,
        &w.g1,
        "重复",
        &id,
        "13911118888",
        json!([]),
    )
    .await;
    assert_code(&body, "CONFLICT");
    // New data is written under the new key.
    let fresh = fake_id("19530303", 31);
    assert_ok(
        &resident(
            &rotated,
            &worker.access,
            &w.g1,
            "新钥居民",
            &fresh,
            "13911119999",
            json!([]),
        )
        .await,
    );
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let row = gridhub::store::entity::resident::Entity::find()
        .filter(gridhub::store::entity::resident::Column::Name.eq("新钥居民"))
        .one(&rotated.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.id_number_enc.starts_with("p2."));
}
