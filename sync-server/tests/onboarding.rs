//! Online onboarding on SQLite and PostgreSQL: a machine registered without a key, a code from
//! the admin API, the code refused when wrong, after a wrong supervisor password and when used;
//! two concurrent attempts with the right code bind exactly one key; the bound key then signs
//! requests, and the centre's operator list comes signed with its verifiers.

mod common;

use common::*;
use enrol_schema::sync::OperatorList;

#[track_caller]
fn check(resp: &Resp, status: u16, code: &str) {
    assert_eq!(resp.status, status, "{}", resp.text());
    if !code.is_empty() {
        assert_eq!(resp.code(), code, "{}", resp.text());
    }
}

fn onboard(machine: &MachineKey, code: &str, password: &str) -> Req {
    Req::new("POST", "/v1/machines/onboard").json(&serde_json::json!({
        "machineId": machine.id,
        "code": code,
        "publicKeyPem": machine.public_pem(),
        "supervisor": {"userId": "sup1", "password": password},
    }))
}

async fn story(db: Db) {
    let server = Server::start(db, |_| {}).await;
    check(
        &server
            .admin(
                "PUT",
                &format!("/admin/v1/centres/{CENTRE}"),
                serde_json::json!({"name": "Centre"}),
            )
            .await,
        204,
        "",
    );
    let supervisor = serde_json::json!({"name": "Sup", "centreId": CENTRE, "roles": ["supervisor"], "password": "sup1-password"});
    check(
        &server
            .admin("PUT", "/admin/v1/operators/sup1", supervisor)
            .await,
        204,
        "",
    );
    check(
        &server
            .admin(
                "POST",
                "/admin/v1/publications",
                serde_json::json!({"kind": "pipeline-certificate", "name": "p",
                    "content": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"}),
            )
            .await,
        201,
        "",
    );
    let machine = MachineKey::generate("10077");
    // Registered without a key: it may not approve at once, and it is pending.
    check(
        &server
            .admin(
                "POST",
                "/admin/v1/machines",
                serde_json::json!({"id": "10077", "centreId": CENTRE, "name": "kit", "approve": true}),
            )
            .await,
        422,
        "FIELD_EMPTY",
    );
    check(
        &server
            .admin(
                "POST",
                "/admin/v1/machines",
                serde_json::json!({"id": "10077", "centreId": CENTRE, "name": "kit"}),
            )
            .await,
        201,
        "",
    );
    check(
        &server
            .request(machine.sign_request(Req::new("GET", "/v1/operators")))
            .await,
        403,
        "MACHINE_NOT_APPROVED",
    );
    check(
        &server
            .admin(
                "POST",
                "/admin/v1/machines/99999/onboarding-code",
                serde_json::json!({}),
            )
            .await,
        404,
        "MACHINE_UNKNOWN",
    );
    let issued = server
        .admin(
            "POST",
            "/admin/v1/machines/10077/onboarding-code",
            serde_json::json!({}),
        )
        .await;
    check(&issued, 201, "");
    let code = issued.json()["code"].as_str().unwrap().to_owned();

    check(
        &server
            .request(onboard(&machine, "WRONG", "sup1-password"))
            .await,
        401,
        "ONBOARDING_CODE_INVALID",
    );
    check(
        &server
            .request(onboard(&machine, &code, "wrong password"))
            .await,
        401,
        "LOGIN_FAILED",
    );
    let mut bad_key = onboard(&machine, &code, "sup1-password");
    bad_key.body = serde_json::to_vec(&serde_json::json!({"machineId": "10077", "code": code,
        "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        "supervisor": {"userId": "sup1", "password": "sup1-password"}}))
    .unwrap();
    check(&server.request(bad_key).await, 422, "MACHINE_KEY_INVALID");

    // Two attempts at once with the right code and different keys: one key is bound.
    let other = MachineKey::generate("10077");
    let (first, second) = tokio::join!(
        server.request(onboard(&machine, &code, "sup1-password")),
        server.request(onboard(&other, &code, "sup1-password")),
    );
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 401], "{} / {}", first.text(), second.text());
    let (winner, enrolment) = if first.status == 200 {
        (&machine, first.json())
    } else {
        (&other, second.json())
    };
    assert_eq!(enrolment["machineId"], "10077");
    assert_eq!(
        enrolment["receiptSigningKeyPem"],
        server.state.key.public_key_pem()
    );
    assert!(
        enrolment["operators"][0]["passwordVerifier"]
            .as_str()
            .unwrap()
            .starts_with("$argon2id$v=19$m=65536,t=1,p=1$")
    );
    check(
        &server
            .request(onboard(winner, &code, "sup1-password"))
            .await,
        401,
        "ONBOARDING_CODE_INVALID",
    );

    // The bound key signs; the list is signed for this machine and carries the verifier.
    let server = server.restart().await;
    let answer = server
        .request(winner.sign_request(Req::new("GET", "/v1/operators")))
        .await;
    check(&answer, 200, "");
    let list: OperatorList = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(list.machine_id, "10077");
    assert!(enrol_sync::crypto::verify_server_signature(
        server.state.key.public_key(),
        &list.signing_bytes(),
        &list.signature
    ));
    assert!(list.operators[0].password_verifier.is_some());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_story_on_sqlite() {
    story(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_story_on_postgres() {
    story(Db::Postgres).await;
}
