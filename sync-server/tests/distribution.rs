//! What machines fetch: operator login and list, signed publications by cursor, the server key.

mod common;

use common::*;
use enrol_schema::sync::{PublicationDelta, ServerKey};

#[track_caller]
fn check(resp: &Resp, status: u16, code: &str) {
    assert_eq!(resp.status, status, "{}", resp.text());
    if !code.is_empty() {
        assert_eq!(resp.code(), code, "{}", resp.text());
    }
}

#[tokio::test]
async fn operators_log_in_online_and_sync_to_their_centre() {
    let server = Server::start(Db::Sqlite, |_| {}).await;
    let machine = MachineKey::generate("10077");
    server.onboard(&machine).await;
    let put = |user: &str, centre: &str, password: Option<&str>, active: bool| {
        let mut body = serde_json::json!({"name": "Asha", "centreId": centre, "roles": ["operator", "supervisor"], "active": active});
        if let Some(p) = password {
            body["password"] = p.into();
        }
        (format!("/admin/v1/operators/{user}"), body)
    };
    let (path, body) = put("asha", CENTRE, Some("s3cret pass"), true);
    check(&server.admin("PUT", &path, body).await, 204, "");
    let (path, body) = put("nobody", CENTRE, None, true);
    check(
        &server.admin("PUT", &path, body).await,
        422,
        "PASSWORD_REQUIRED",
    );
    let (path, mut body) = put("bad", CENTRE, Some("x"), true);
    body["roles"] = serde_json::json!(["root"]);
    check(&server.admin("PUT", &path, body).await, 422, "ROLE_UNKNOWN");

    let login = |user: &str, password: &str| {
        machine.sign_request(
            Req::new("POST", "/v1/operators/login")
                .json(&serde_json::json!({"userId": user, "password": password})),
        )
    };
    let ok = server.request(login("asha", "s3cret pass")).await;
    check(&ok, 200, "");
    assert_eq!(
        ok.json()["roles"],
        serde_json::json!(["operator", "supervisor"])
    );
    assert!(!ok.text().contains("argon2"));
    check(
        &server.request(login("asha", "wrong")).await,
        401,
        "LOGIN_FAILED",
    );
    check(
        &server.request(login("ghost", "wrong")).await,
        401,
        "LOGIN_FAILED",
    );

    // Deactivated (password kept): refused with its own code.
    let (path, body) = put("asha", CENTRE, None, false);
    check(&server.admin("PUT", &path, body).await, 204, "");
    check(
        &server.request(login("asha", "s3cret pass")).await,
        403,
        "OPERATOR_INACTIVE",
    );

    // Operators of another centre are neither listed nor allowed on this machine.
    check(
        &server
            .admin(
                "PUT",
                "/admin/v1/centres/10002",
                serde_json::json!({"name": "Other"}),
            )
            .await,
        204,
        "",
    );
    let (path, body) = put("omar", "10002", Some("pw pw pw"), true);
    check(&server.admin("PUT", &path, body).await, 204, "");
    check(
        &server.request(login("omar", "pw pw pw")).await,
        403,
        "OPERATOR_WRONG_CENTRE",
    );
    let list = server
        .request(machine.sign_request(Req::new("GET", "/v1/operators")))
        .await;
    check(&list, 200, "");
    let list = list.json();
    let users: Vec<&str> = list["operators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["userId"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["asha"]);
    server.stop().await;
}

#[tokio::test]
async fn publications_arrive_by_cursor_and_verify_offline() {
    let server = Server::start(Db::Sqlite, |_| {}).await;
    let machine = MachineKey::generate("10077");
    server.onboard(&machine).await;
    let publish = |kind: &str, name: &str, content: &str| {
        server.admin(
            "POST",
            "/admin/v1/publications",
            serde_json::json!({"kind": kind, "name": name, "content": content}),
        )
    };
    check(&publish("ui-spec", "NEW", "{\"a\":1}").await, 201, "");
    let second = publish("ui-spec", "NEW", "{\"a\":2}").await;
    check(&second, 201, "");
    // Version 1 is the built-in spec published on first start.
    assert_eq!(second.json()["version"], 3);
    check(
        &publish("ui-spec", "NEW", "{oops").await,
        422,
        "PUBLICATION_NOT_JSON",
    );
    check(
        &publish("pipeline-certificate", "REGISTRATION", "not pem").await,
        422,
        "PUBLICATION_NOT_PEM",
    );
    check(
        &publish("weather", "x", "{}").await,
        422,
        "PUBLICATION_KIND_UNKNOWN",
    );

    let key: ServerKey =
        serde_json::from_slice(&server.request(Req::new("GET", "/v1/server-key")).await.body)
            .unwrap();
    let public = enrol_sync::crypto::b64url_decode(&key.public_key).unwrap();
    let fetch = |since: u64| {
        machine.sign_request(Req::new("GET", &format!("/v1/publications?since={since}")))
    };
    let first: PublicationDelta =
        serde_json::from_slice(&server.request(fetch(0)).await.body).unwrap();
    let seeded: Vec<(&str, &str)> = first.publications[..7]
        .iter()
        .map(|p| (p.kind.as_str(), p.name.as_str()))
        .collect();
    assert_eq!(
        seeded,
        [
            ("identity-schema", "identity-schema"),
            ("master-data", "master-data"),
            ("settings", "settings"),
            ("ui-spec", "NEW"),
            ("ui-spec", "UPDATE"),
            ("ui-spec", "LOST"),
            ("ui-spec", "BIOMETRIC_CORRECTION"),
        ]
    );
    assert_eq!(first.publications.len(), 9);
    for p in &first.publications {
        let digest = enrol_sync::crypto::sha256_hex(p.content.as_bytes());
        assert!(enrol_sync::crypto::verify_server_signature(
            &public,
            &p.signing_bytes_for(&digest),
            &p.signature
        ));
        let tampered = enrol_sync::crypto::sha256_hex(b"{\"a\":3}");
        assert!(!enrol_sync::crypto::verify_server_signature(
            &public,
            &p.signing_bytes_for(&tampered),
            &p.signature
        ));
    }
    let delta: PublicationDelta =
        serde_json::from_slice(&server.request(fetch(first.cursor)).await.body).unwrap();
    assert!(delta.publications.is_empty());
    assert_eq!(delta.cursor, first.cursor);
    check(
        &server
            .request(machine.sign_request(Req::new("GET", "/v1/publications?since=-3")))
            .await,
        400,
        "CURSOR_INVALID",
    );
    server.stop().await;
}

#[tokio::test]
async fn enrolment_files_carry_what_an_offline_kit_needs() {
    use enrol_schema::enrolment::MachineEnrolment;
    let server = Server::start(Db::Sqlite, |_| {}).await;
    let machine = MachineKey::generate("10077");
    server.onboard(&machine).await;
    let export = |url: &'static str| server.admin("GET", url, serde_json::Value::Null);
    check(
        &export("/admin/v1/machines/10077/enrolment").await,
        422,
        "PIPELINE_CERTIFICATE_MISSING",
    );
    check(
        &export("/admin/v1/machines/10099/enrolment").await,
        404,
        "MACHINE_UNKNOWN",
    );
    let pem = "-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n";
    let r = server
        .admin(
            "POST",
            "/admin/v1/publications",
            serde_json::json!({"kind": "pipeline-certificate", "name": "REGISTRATION", "content": pem}),
        )
        .await;
    check(&r, 201, "");
    check(
        &export("/admin/v1/machines/10077/enrolment").await,
        422,
        "OPERATORS_MISSING",
    );
    let op = serde_json::json!({"name": "Sup", "centreId": CENTRE, "roles": ["supervisor"], "password": "pw for sup"});
    check(
        &server.admin("PUT", "/admin/v1/operators/sup1", op).await,
        204,
        "",
    );

    let r =
        export("/admin/v1/machines/10077/enrolment?serverUrl=https%3A%2F%2Fsync.example.org").await;
    check(&r, 200, "");
    let enrolment = MachineEnrolment::from_json(&r.body).unwrap();
    assert_eq!(enrolment.machine_id, "10077");
    assert_eq!(enrolment.centre_id, CENTRE);
    assert_eq!(
        enrolment.server_url.as_deref(),
        Some("https://sync.example.org")
    );
    assert_eq!(enrolment.pipeline_certificate_pem, pem);
    assert_eq!(
        enrolment.receipt_signing_key_pem,
        server.state.key.public_key_pem()
    );
    assert_eq!(enrolment.operators.len(), 1);
    assert!(enrol_sync::crypto::verify_password(
        "pw for sup",
        &enrolment.operators[0].password_verifier
    ));
    assert_ne!(enrolment.versions.ui_spec, "0");
    server.stop().await;
}
