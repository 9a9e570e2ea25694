//! The region tree: shapes, moves, scope on lists and nested fields.
use crate::helpers::*;
use serde_json::json;

const REGION: &str =
    "query($id:UUID!){region(id:$id){id name level gridKind parent{id} children{id name}}}";
const REGIONS: &str = "query($f:Int,$a:String,$l:RegionLevel,$w:UUID){regions(first:$f,after:$a,level:$l,within:$w){edges{cursor node{id name level}} pageInfo{hasNextPage hasPreviousPage}}}";

#[tokio::test]
async fn admin_builds_a_tree_with_grid_kind_and_boundary() {
    let app = spawn_app().await;
    let admin = app.city_admin().await;
    let t = admin.access.as_str();
    let sd = app.create_region(t, None, "SUB_DISTRICT", "沙坪街道").await;
    let c = app
        .create_region(t, Some(&sd), "COMMUNITY", "新华社区")
        .await;
    let boundary = json!({"type":"Polygon","coordinates":[[[112.96,22.76],[112.98,22.76],[112.98,22.78],[112.96,22.76]]]});
    let body = app
        .gql(
            Some(t),
            "mutation($i:CreateRegionInput!){createRegion(input:$i){id level gridKind boundary parent{id name}}}",
            json!({"i": {"parentId": c, "level": "GRID", "name": "工业园网格", "gridKind": "INDUSTRIAL_PARK", "boundary": boundary}}),
        )
        .await;
    assert_ok(&body);
    let grid = &body["data"]["createRegion"];
    assert_eq!(grid["gridKind"], "INDUSTRIAL_PARK");
    assert_eq!(grid["boundary"], boundary);
    assert_eq!(grid["parent"]["name"], "新华社区");
    let g = grid["id"].as_str().unwrap().to_owned();
    let compound = app.create_region(t, Some(&g), "COMPOUND", "翠湖小区").await;

    let body = app.gql(Some(t), REGION, json!({"id": c})).await;
    assert_ok(&body);
    assert_eq!(body["data"]["region"]["parent"]["id"], sd.as_str());
    assert_eq!(body["data"]["region"]["children"][0]["id"], g.as_str());
    // A grid made without a kind is residential.
    let plain = app.create_region(t, Some(&c), "GRID", "第二网格").await;
    let body = app.gql(Some(t), REGION, json!({"id": plain})).await;
    assert_eq!(body["data"]["region"]["gridKind"], "RESIDENTIAL");
    // Tree order: the sub-district, then its community, its grids, the compound.
    let body = app.gql(Some(t), REGIONS, json!({"f": 10})).await;
    let ids = node_ids(&body["data"]["regions"]);
    assert_eq!(ids, vec![sd, c, g, compound, plain]);
}

#[tokio::test]
async fn wrong_shapes_are_refused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = w.admin.access.as_str();
    let create = |parent: Option<String>, level: &str, extra: serde_json::Value| {
        let mut input = json!({"parentId": parent, "level": level, "name": "新区域"});
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        app.gql(
            Some(t),
            "mutation($i:CreateRegionInput!){createRegion(input:$i){id}}",
            json!({ "i": input }),
        )
    };
    let cases = vec![
        (create(Some(w.sd1.clone()), "GRID", json!({})).await, "parentId"),
        (create(None, "COMMUNITY", json!({})).await, "parentId"),
        (create(Some(w.c1.clone()), "COMPOUND", json!({})).await, "parentId"),
        (create(Some(w.g1.clone()), "GRID", json!({})).await, "parentId"),
        (create(Some(w.sd1.clone()), "COMMUNITY", json!({"gridKind": "RURAL"})).await, "gridKind"),
        (create(Some(w.c1.clone()), "GRID", json!({"boundary": {"type": "Point", "coordinates": [1, 2]}})).await, "boundary"),
        (create(Some(w.c1.clone()), "GRID", json!({"boundary": {"type": "Polygon", "coordinates": [[[1, 2], [3, 4], [5, 6], [7, 8]]]}})).await, "boundary"),
        (create(Some(w.c1.clone()), "GRID", json!({"name": "  "})).await, "name"),
        (create(Some(w.c1.clone()), "GRID", json!({"code": "有空 格"})).await, "code"),
    ];
    for (body, field) in cases {
        assert_code(&body, "BAD_USER_INPUT");
        assert_eq!(error_field(&body), Some(field), "{body}");
    }
    // A region cannot move under itself; a community cannot move under a grid.
    let body = app
        .gql(
            Some(t),
            "mutation($id:UUID!,$p:UUID!){updateRegion(id:$id,input:{parentId:$p}){id}}",
            json!({"id": w.c1, "p": w.c1}),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("parentId"));
    let body = app
        .gql(
            Some(t),
            "mutation($id:UUID!,$p:UUID!){updateRegion(id:$id,input:{parentId:$p}){id}}",
            json!({"id": w.c1, "p": w.g2}),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    // Same name under the same parent.
    let body = create(
        Some(w.sd1.clone()),
        "COMMUNITY",
        json!({"name": "新华社区"}),
    )
    .await;
    assert_code(&body, "CONFLICT");
    assert_eq!(error_field(&body), Some("name"));
}

#[tokio::test]
async fn moving_a_grid_moves_its_subtree_and_its_scope() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = w.admin.access.as_str();
    let compound = app
        .create_region(t, Some(&w.g1), "COMPOUND", "翠湖小区")
        .await;
    let c2_worker = app
        .account_session(t, "13900000010", "COMMUNITY_WORKER", Some(&w.c2))
        .await;
    assert_code(
        &app.gql(Some(&c2_worker.access), REGION, json!({"id": compound}))
            .await,
        "NOT_FOUND",
    );

    let body = app
        .gql(Some(t), "mutation($id:UUID!,$p:UUID!){updateRegion(id:$id,input:{parentId:$p,name:\"凤凰第二网格\"}){id name parent{id}}}", json!({"id": w.g1, "p": w.c2}))
        .await;
    assert_ok(&body);
    assert_eq!(body["data"]["updateRegion"]["parent"]["id"], w.c2.as_str());
    // The compound came along: now in C2's scope, out of C1's.
    let body = app
        .gql(Some(&c2_worker.access), REGION, json!({"id": compound}))
        .await;
    assert_ok(&body);
    assert_code(
        &app.gql(Some(&w.c1_worker.access), REGION, json!({"id": compound}))
            .await,
        "NOT_FOUND",
    );
    let body = app
        .gql(
            Some(&c2_worker.access),
            REGIONS,
            json!({"f": 50, "l": "COMPOUND"}),
        )
        .await;
    assert_eq!(node_ids(&body["data"]["regions"]), vec![compound]);
}

#[tokio::test]
async fn scope_bounds_every_read() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // A sub-district admin sees its own subtree only.
    let body = app
        .gql(Some(&w.sd1_admin.access), REGIONS, json!({"f": 100}))
        .await;
    assert_ok(&body);
    let mut seen = node_ids(&body["data"]["regions"]);
    seen.sort();
    let mut expected = vec![
        w.sd1.clone(),
        w.c1.clone(),
        w.c2.clone(),
        w.g1.clone(),
        w.g2.clone(),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    for outside in [&w.sd2, &w.c3, &w.g3] {
        assert_code(
            &app.gql(Some(&w.sd1_admin.access), REGION, json!({"id": outside}))
                .await,
            "NOT_FOUND",
        );
    }
    // A community worker: its community and below; the sub-district above is hidden even as a
    // parent, and a sibling community never shows up among children.
    let body = app
        .gql(Some(&w.c1_worker.access), REGION, json!({"id": w.c1}))
        .await;
    assert_ok(&body);
    assert!(body["data"]["region"]["parent"].is_null(), "{body}");
    assert_code(
        &app.gql(Some(&w.c1_worker.access), REGION, json!({"id": w.sd1}))
            .await,
        "NOT_FOUND",
    );
    assert_code(
        &app.gql(Some(&w.c1_worker.access), REGION, json!({"id": w.c2}))
            .await,
        "NOT_FOUND",
    );
    let body = app
        .gql(Some(&w.c1_worker.access), REGIONS, json!({"f": 100}))
        .await;
    let mut seen = node_ids(&body["data"]["regions"]);
    seen.sort();
    let mut expected = vec![w.c1.clone(), w.g1.clone()];
    expected.sort();
    assert_eq!(seen, expected);
    // A grid member: its grid only.
    let body = app
        .gql(Some(&w.g1_member.access), REGIONS, json!({"f": 100}))
        .await;
    assert_eq!(node_ids(&body["data"]["regions"]), vec![w.g1.clone()]);
    // Narrowing to a region outside scope is NOT_FOUND, not an empty page.
    let body = app
        .gql(Some(&w.sd1_admin.access), REGIONS, json!({"w": w.sd2}))
        .await;
    assert_code(&body, "NOT_FOUND");
    // The sub-district admin's view of its sub-district lists both communities as children.
    let body = app
        .gql(Some(&w.sd1_admin.access), REGION, json!({"id": w.sd1}))
        .await;
    let children: Vec<_> = body["data"]["region"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(children.len(), 2);
    assert!(children.contains(&w.c1) && children.contains(&w.c2));
}

#[tokio::test]
async fn only_admins_change_the_tree_and_only_below_themselves() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let create = "mutation($i:CreateRegionInput!){createRegion(input:$i){id}}";
    for who in [&w.c1_worker, &w.g1_member, &w.c1_liaison] {
        let body = app
            .gql(
                Some(&who.access),
                create,
                json!({"i": {"parentId": w.g1, "level": "COMPOUND", "name": "某小区"}}),
            )
            .await;
        assert_code(&body, "FORBIDDEN");
    }
    let sd1 = &w.sd1_admin.access;
    // Below itself: fine.
    let body = app
        .gql(
            Some(sd1),
            create,
            json!({"i": {"parentId": w.c1, "level": "GRID", "name": "新网格"}}),
        )
        .await;
    assert_ok(&body);
    // In another sub-district: as if it did not exist.
    let body = app
        .gql(
            Some(sd1),
            create,
            json!({"i": {"parentId": w.c3, "level": "GRID", "name": "新网格"}}),
        )
        .await;
    assert_code(&body, "NOT_FOUND");
    // At the top: not a sub-district admin's to do.
    let body = app
        .gql(
            Some(sd1),
            create,
            json!({"i": {"level": "SUB_DISTRICT", "name": "新街道"}}),
        )
        .await;
    assert_code(&body, "FORBIDDEN");
    // Its own sub-district belongs to the level above.
    let update = "mutation($id:UUID!){updateRegion(id:$id,input:{name:\"改名\"}){id}}";
    assert_code(
        &app.gql(Some(sd1), update, json!({"id": w.sd1})).await,
        "FORBIDDEN",
    );
    assert_code(
        &app.gql(Some(sd1), update, json!({"id": w.c3})).await,
        "NOT_FOUND",
    );
    assert_ok(&app.gql(Some(sd1), update, json!({"id": w.c1})).await);
    // Moving a grid out of its scope is refused.
    let body = app
        .gql(
            Some(sd1),
            "mutation($id:UUID!,$p:UUID!){updateRegion(id:$id,input:{parentId:$p}){id}}",
            json!({"id": w.g1, "p": w.c3}),
        )
        .await;
    assert_code(&body, "NOT_FOUND");
}

#[tokio::test]
async fn keyset_pages_walk_the_whole_list_once() {
    let app = spawn_app().await;
    let admin = app.city_admin().await;
    let t = admin.access.as_str();
    let sd = app.create_region(t, None, "SUB_DISTRICT", "塘下镇").await;
    let c = app
        .create_region(t, Some(&sd), "COMMUNITY", "塘下社区")
        .await;
    let mut all = vec![sd.clone(), c.clone()];
    for i in 0..11 {
        all.push(
            app.create_region(t, Some(&c), "GRID", &format!("网格{i:02}"))
                .await,
        );
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app.gql(Some(t), REGIONS, json!({"f": 4, "a": after})).await;
        assert_ok(&body);
        let conn = &body["data"]["regions"];
        seen.extend(node_ids(conn));
        assert_eq!(conn["pageInfo"]["hasPreviousPage"], after.is_some());
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["edges"].as_array().unwrap().last().unwrap()["cursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(seen.len(), all.len());
    let mut a = all.clone();
    a.sort();
    seen.sort();
    assert_eq!(seen, a);
    // Bad page arguments.
    let body = app.gql(Some(t), REGIONS, json!({"f": 101})).await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("first"));
    let body = app
        .gql(Some(t), REGIONS, json!({"f": 5, "a": "!!not-a-cursor!!"}))
        .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(error_field(&body), Some("after"));
}

#[tokio::test]
async fn a_cursor_from_a_wider_scope_reaches_nothing_outside() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // The city admin's cursor at the very start of the tree…
    let body = app
        .gql(Some(&w.admin.access), REGIONS, json!({"f": 1}))
        .await;
    let cursor = body["data"]["regions"]["edges"][0]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    // …handed to a community worker still yields its own rows only.
    let body = app
        .gql(
            Some(&w.c1_worker.access),
            REGIONS,
            json!({"f": 100, "a": cursor}),
        )
        .await;
    assert_ok(&body);
    for id in node_ids(&body["data"]["regions"]) {
        assert!(id == w.c1 || id == w.g1, "leaked {id}");
    }
}
