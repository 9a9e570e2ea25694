//! Grid members, grid assignments, member units and committees.
use crate::helpers::*;
use serde_json::{Value, json};

const CREATE_MEMBER: &str = "mutation($i:CreateGridMemberInput!){createGridMember(input:$i){id name phone kind occupation employer partyMember account{id role}}}";
const ASSIGN: &str = "mutation($m:UUID!,$g:UUID!,$r:GridRole){assignGrid(memberId:$m,gridId:$g,role:$r){id assignments{role grid{id}}}}";
const MEMBERS: &str = "query($k:GridMemberKind,$o:Occupation,$g:UUID){gridMembers(first:100,kind:$k,occupation:$o,gridId:$g){edges{node{id name phone kind assignments{role grid{id name}}}}}}";

async fn member(
    app: &TestApp,
    token: &str,
    community: &str,
    phone: &str,
    kind: &str,
    occupation: &str,
    password: Option<&str>,
) -> Value {
    app.gql(
        Some(token),
        CREATE_MEMBER,
        json!({"i": {"regionId": community, "name": "网格员", "phone": phone, "kind": kind, "occupation": occupation, "employer": "顺丰速运", "partyMember": true, "password": password}}),
    )
    .await
}

#[tokio::test]
async fn grid_members_are_enrolled_assigned_and_scoped_by_their_grids() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = &w.sd1_admin.access;
    let body = member(
        &app,
        t,
        &w.c1,
        "13600000001",
        "PART_TIME",
        "COURIER",
        Some(PASSWORD),
    )
    .await;
    assert_ok(&body);
    let m = &body["data"]["createGridMember"];
    assert_eq!(m["phone"], "136****0001");
    assert_eq!(m["account"]["role"], "GRID_MEMBER");
    let id = m["id"].as_str().unwrap().to_owned();
    // Two grids in two communities: its scope becomes exactly those grids.
    assert_ok(
        &app.gql(Some(t), ASSIGN, json!({"m": id, "g": w.g1, "r": "MEMBER"}))
            .await,
    );
    let body = app
        .gql(Some(t), ASSIGN, json!({"m": id, "g": w.g2, "r": "HEAD"}))
        .await;
    assert_ok(&body);
    assert_eq!(
        body["data"]["assignGrid"]["assignments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let s = app.login("13600000001", PASSWORD).await;
    let body = app
        .gql(
            Some(&s.access),
            "{regions(first:100){edges{node{id}}}}",
            json!({}),
        )
        .await;
    let mut ids = node_ids(&body["data"]["regions"]);
    ids.sort();
    let mut expected = vec![w.g1.clone(), w.g2.clone()];
    expected.sort();
    assert_eq!(ids, expected);
    // One head per grid; the same grid twice is refused too.
    let other = member(
        &app,
        t,
        &w.c2,
        "13600000002",
        "FULL_TIME",
        "PROPERTY_STAFF",
        None,
    )
    .await;
    let other_id = other["data"]["createGridMember"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = app
        .gql(
            Some(t),
            ASSIGN,
            json!({"m": other_id, "g": w.g2, "r": "HEAD"}),
        )
        .await;
    assert_code(&body, "CONFLICT");
    assert_ok(
        &app.gql(
            Some(t),
            ASSIGN,
            json!({"m": other_id, "g": w.g2, "r": "DEPUTY_HEAD"}),
        )
        .await,
    );
    assert_code(
        &app.gql(Some(t), ASSIGN, json!({"m": id, "g": w.g1})).await,
        "CONFLICT",
    );
    // Only grids, only in scope.
    assert_code(
        &app.gql(Some(t), ASSIGN, json!({"m": id, "g": w.c1})).await,
        "BAD_USER_INPUT",
    );
    assert_code(
        &app.gql(Some(t), ASSIGN, json!({"m": id, "g": w.g3})).await,
        "NOT_FOUND",
    );
    // Filters and scope of the list.
    let body = app.gql(Some(t), MEMBERS, json!({"o": "COURIER"})).await;
    assert_eq!(node_ids(&body["data"]["gridMembers"]), vec![id.clone()]);
    let body = app.gql(Some(t), MEMBERS, json!({"g": w.g2})).await;
    assert_eq!(node_ids(&body["data"]["gridMembers"]).len(), 2);
    let body = app.gql(Some(&w.sd2_admin.access), MEMBERS, json!({})).await;
    assert!(node_ids(&body["data"]["gridMembers"]).is_empty());
    // The C1 worker sees the C1 member; the assignment in C2 stays hidden from it.
    let body = app.gql(Some(&w.c1_worker.access), MEMBERS, json!({})).await;
    assert_eq!(node_ids(&body["data"]["gridMembers"]), vec![id.clone()]);
    let grids = &body["data"]["gridMembers"]["edges"][0]["node"]["assignments"];
    assert_eq!(grids.as_array().unwrap().len(), 1, "{grids}");
    assert_code(
        &app.gql(Some(&w.g1_member.access), MEMBERS, json!({})).await,
        "FORBIDDEN",
    );
}

#[tokio::test]
async fn grid_member_input_is_validated() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = &w.sd1_admin.access;
    assert_code(
        &member(&app, t, &w.g1, "13600000003", "FULL_TIME", "COURIER", None).await,
        "BAD_USER_INPUT",
    );
    assert_code(
        &member(&app, t, &w.c1, "1360000", "FULL_TIME", "COURIER", None).await,
        "BAD_USER_INPUT",
    );
    assert_code(
        &member(&app, t, &w.c1, "13600000003", "SOMETIMES", "COURIER", None).await,
        "BAD_USER_INPUT",
    );
    assert_code(
        &member(&app, t, &w.c3, "13600000003", "FULL_TIME", "COURIER", None).await,
        "NOT_FOUND",
    );
    assert_ok(&member(&app, t, &w.c1, "13600000003", "FULL_TIME", "COURIER", None).await);
    assert_code(
        &member(&app, t, &w.c2, "13600000003", "FULL_TIME", "COURIER", None).await,
        "CONFLICT",
    );
    let body = member(
        &app,
        t,
        &w.c1,
        "13600000004",
        "FULL_TIME",
        "COURIER",
        Some("weak"),
    )
    .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("password"));
}

#[tokio::test]
async fn units_join_committees_with_agreements() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let create = "mutation($i:CreateMemberUnitInput!){createMemberUnit(input:$i){id name kind contactPhone region{id}}}";
    let body = app
        .gql(Some(&w.c1_worker.access), create, json!({"i": {"name": "碧桂园物业党支部", "kind": "PROPERTY_MANAGEMENT", "regionId": w.c1, "contactName": "刘经理", "contactPhone": "13512345678"}}))
        .await;
    assert_ok(&body);
    assert_eq!(
        body["data"]["createMemberUnit"]["contactPhone"],
        "135****5678"
    );
    let property = body["data"]["createMemberUnit"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let join = "mutation($i:JoinCommitteeInput!){joinCommittee(input:$i){id committees{kind concurrentMemberName joinedOn agreement{commitments validFrom validTo} committeeRegion{id}}}}";
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            join,
            json!({"i": {"unitId": property, "committeeRegionId": w.c1, "concurrentMemberName": "刘经理", "joinedOn": "2026-03-01",
                          "agreement": {"commitments": ["每月开展一次楼道清理", "协助排查消防隐患"], "validFrom": "2026-03-01", "validTo": "2027-02-28"}}}),
        )
        .await;
    assert_ok(&body);
    let seat = &body["data"]["joinCommittee"]["committees"][0];
    assert_eq!(seat["kind"], "COMMUNITY_PARTY_COMMITTEE");
    assert_eq!(seat["agreement"]["commitments"][1], "协助排查消防隐患");
    // The city traffic police (city-level) joins the sub-district's working committee.
    let body = app
        .gql(Some(&w.sd1_admin.access), join, json!({"i": {"unitId": w.unit_id, "committeeRegionId": w.sd1, "joinedOn": "2026-01-10", "agreement": {"commitments": ["护学岗"]}}}))
        .await;
    assert_ok(&body);
    assert_eq!(
        body["data"]["joinCommittee"]["committees"][0]["kind"],
        "SUB_DISTRICT_WORKING_COMMITTEE"
    );
    // Twice is a conflict; a committee outside scope is not found; a grid has no committee.
    let again = json!({"i": {"unitId": property, "committeeRegionId": w.c1, "joinedOn": "2026-03-01", "agreement": {"commitments": []}}});
    assert_code(
        &app.gql(Some(&w.c1_worker.access), join, again).await,
        "CONFLICT",
    );
    let outside = json!({"i": {"unitId": property, "committeeRegionId": w.c3, "joinedOn": "2026-03-01", "agreement": {"commitments": []}}});
    assert_code(
        &app.gql(Some(&w.c1_worker.access), join, outside).await,
        "NOT_FOUND",
    );
    let grid = json!({"i": {"unitId": property, "committeeRegionId": w.g1, "joinedOn": "2026-03-01", "agreement": {"commitments": []}}});
    assert_code(
        &app.gql(Some(&w.c1_worker.access), join, grid).await,
        "BAD_USER_INPUT",
    );
    let dates = json!({"i": {"unitId": w.unit_id, "committeeRegionId": w.c1, "joinedOn": "2026-03-01", "agreement": {"commitments": [], "validFrom": "2026-05-01", "validTo": "2026-04-01"}}});
    assert_code(
        &app.gql(Some(&w.c1_worker.access), join, dates).await,
        "BAD_USER_INPUT",
    );

    // Who sees which units.
    let units = "query($c:UUID){memberUnits(first:100,committeeRegionId:$c){edges{node{id name committees{kind}}}}}";
    let body = app.gql(Some(&w.sd2_admin.access), units, json!({})).await;
    let ids = node_ids(&body["data"]["memberUnits"]);
    assert!(
        ids.contains(&w.unit_id) && !ids.contains(&property),
        "{body}"
    );
    // The traffic police's seat in SD1 is not SD2's business.
    assert!(
        body["data"]["memberUnits"]["edges"][0]["node"]["committees"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let body = app
        .gql(Some(&w.c1_worker.access), units, json!({"c": w.c1}))
        .await;
    assert_eq!(
        node_ids(&body["data"]["memberUnits"]),
        vec![property.clone()]
    );
    let me = app
        .gql(
            Some(&w.c1_liaison.access),
            "{me{id role memberUnit{id}}}",
            json!({}),
        )
        .await;
    assert_eq!(
        me["data"]["me"]["memberUnit"]["id"],
        w.unit_id.as_str(),
        "{me}"
    );
    let body = app.gql(Some(&w.c1_liaison.access), units, json!({})).await;
    assert_eq!(
        node_ids(&body["data"]["memberUnits"]),
        vec![w.unit_id.clone()],
        "{body}"
    );
    assert_code(
        &app.gql(
            Some(&w.c1_liaison.access),
            create,
            json!({"i": {"name": "x", "kind": "OTHER", "regionId": w.c1}}),
        )
        .await,
        "FORBIDDEN",
    );
    assert_code(
        &app.gql(
            Some(&w.c1_worker.access),
            create,
            json!({"i": {"name": "碧桂园物业党支部", "kind": "OTHER", "regionId": w.c1}}),
        )
        .await,
        "CONFLICT",
    );
}

#[tokio::test]
async fn labels_cover_every_enum() {
    let app = spawn_app().await;
    let body = app
        .gql(None, "{labels{name values{value label}}}", json!({}))
        .await;
    let names: Vec<&str> = body["data"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    for expected in [
        "RegionLevel",
        "GridKind",
        "Role",
        "Gender",
        "ResidenceType",
        "ResidentTag",
        "GridMemberKind",
        "Occupation",
        "GridRole",
        "MemberUnitKind",
        "CommitteeKind",
    ] {
        assert!(names.contains(&expected), "{expected} missing");
    }
    let occupation = body["data"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Occupation")
        .unwrap();
    assert!(
        occupation["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["value"] == "DELIVERY_RIDER" && v["label"] == "外卖骑手")
    );
}
