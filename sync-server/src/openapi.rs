//! The OpenAPI 3 document served at `/openapi.json`, generated from the handlers' annotations.
//! A modifier adds what every machine-signed or admin operation shares (signature headers,
//! security, common errors), and two schemas are described here by hand: the packet manifest
//! (its type lives in `enrol-schema`'s packet module, which has no OpenAPI derive) and raw
//! packet bytes.

use std::borrow::Cow;

use axum::Json;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi as Document, Ref, RefOr, Required, Response, ResponseBuilder, Schema,
};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use enrol_schema::sync::{
    ErrorBody, HEADER_MACHINE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};

/// `SignedManifest` (see `enrol_schema::packet`): the manifest and the machine's signature.
pub struct SignedManifestDoc;

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn enumeration(values: &[&str]) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
}

fn integer(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0))
        .description(Some(description))
}

fn manifest_schema() -> ObjectBuilder {
    let subpacket = ObjectBuilder::new()
        .property("name", string("id, evidence or optional"))
        .property(
            "encryptedHash",
            string("URL-safe base64 SHA-256 of the encrypted sub-packet"),
        )
        .property(
            "signature",
            string("URL-safe base64 SHA256withRSA of the plaintext sub-packet"),
        )
        .required("name")
        .required("encryptedHash")
        .required("signature");
    let fields = [
        ("rid", string("29-digit registration id")),
        (
            "packetId",
            string("<rid>-<centre>_<machine>-<yyyyMMddHHmmss>"),
        ),
        (
            "process",
            enumeration(&["NEW", "UPDATE", "LOST", "BIOMETRIC_CORRECTION"]),
        ),
        ("centreId", string("5-digit centre id")),
        ("machineId", string("5-digit machine id")),
        ("sequence", integer("the machine sequence in the rid")),
        (
            "packetHash",
            string("upper-case hex SHA-256 of the encrypted packet"),
        ),
        ("size", integer("bytes of the encrypted packet")),
        ("supervisorStatus", enumeration(&["APPROVED", "REJECTED"])),
        ("createdAt", string("RFC 3339 UTC")),
        (
            "auditHead",
            string("hex SHA-256 head of the machine's audit chain"),
        ),
    ];
    let mut manifest = ObjectBuilder::new();
    for (name, schema) in fields {
        manifest = manifest.property(name, schema).required(name);
    }
    manifest
        .property("subpackets", ArrayBuilder::new().items(subpacket))
        .required("subpackets")
}

impl PartialSchema for SignedManifestDoc {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .property("manifest", manifest_schema())
            .property(
                "signature",
                string("URL-safe base64 (no padding) SHA256withRSA by the machine key over the manifest's signing bytes"),
            )
            .required("manifest")
            .required("signature")
            .into()
    }
}

impl ToSchema for SignedManifestDoc {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("SignedManifest")
    }
}

/// Raw bytes of (part of) an encrypted packet.
pub struct PacketBytes;

impl PartialSchema for PacketBytes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for PacketBytes {}

/// Named string schemas that parameters and admin body fields refer to: the constraints the
/// handlers enforce, stated in the document.
macro_rules! string_schema {
    ($(#[$doc:meta] $name:ident => $constrain:expr;)+) => {$(
        #[$doc]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let constrain: fn(ObjectBuilder) -> ObjectBuilder = $constrain;
                constrain(ObjectBuilder::new().schema_type(Type::String)).into()
            }
        }

        impl ToSchema for $name {}
    )+};
}

string_schema! {
    /// A 5-digit centre or machine id.
    ShortId => |s| s.pattern(Some("^[0-9]{5}$"));
    /// A text that is not only white space (what the admin API calls non-empty).
    NonBlank => |s| s.pattern(Some("\\S"));
    /// An operator role.
    RoleDoc => |s| s.enum_values(Some(crate::admin::ROLES.iter().copied()));
    /// A publication kind.
    PublicationKindDoc => |s| {
        s.enum_values(Some(crate::admin::PUBLICATION_KINDS.iter().map(|(kind, _)| *kind)))
    };
    /// The `Tus-Resumable` header's one accepted value.
    TusResumable => |s| s.enum_values(Some([crate::tus::TUS_VERSION]));
}

fn error(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

fn header(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

/// Adds the shared parts of machine-signed and admin operations.
struct Shared;

fn add_errors(op: &mut Operation, errors: &[(&str, &str)]) {
    for (status, description) in errors {
        op.responses
            .responses
            .entry((*status).to_owned())
            .or_insert_with(|| error(description));
    }
}

impl Modify for Shared {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "pipeline",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components
            .schemas
            .insert("ErrorBody".into(), ErrorBody::schema());
        // Schemas that parameters and fields name by reference.
        for (name, schema) in [
            (TusResumable::name(), TusResumable::schema()),
            (ShortId::name(), ShortId::schema()),
            (NonBlank::name(), NonBlank::schema()),
            (RoleDoc::name(), RoleDoc::schema()),
            (PublicationKindDoc::name(), PublicationKindDoc::schema()),
        ] {
            components.schemas.insert(name.into_owned(), schema);
        }
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let tags = op.tags.clone().unwrap_or_default();
                if tags.iter().any(|t| t == "machine") {
                    let params = op.parameters.get_or_insert_with(Vec::new);
                    params.push(header(HEADER_MACHINE, "5-digit machine id"));
                    params.push(header(
                        HEADER_TIMESTAMP,
                        "request time, RFC 3339 UTC (±5 minutes)",
                    ));
                    params.push(header(
                        HEADER_NONCE,
                        "8 to 128 visible ASCII characters, single use",
                    ));
                    params.push(header(
                        HEADER_SIGNATURE,
                        "URL-safe base64 SHA256withRSA over the canonical request string",
                    ));
                    add_errors(
                        op,
                        &[
                            (
                                "400",
                                "JSON_INVALID, PATH_INVALID, CURSOR_INVALID, BATCH_TOO_LARGE",
                            ),
                            (
                                "401",
                                "SIGNATURE_MISSING, SIGNATURE_INVALID, TIMESTAMP_INVALID, TIMESTAMP_STALE (with serverTime), NONCE_INVALID, REQUEST_REPLAYED, MACHINE_UNKNOWN",
                            ),
                            (
                                "403",
                                "MACHINE_NOT_APPROVED, MACHINE_INACTIVE, MACHINE_KEY_INVALID",
                            ),
                            ("413", "BODY_TOO_LARGE"),
                        ],
                    );
                }
                if tags.iter().any(|t| t == "pipeline") {
                    op.security = Some(vec![SecurityRequirement::new(
                        "pipeline",
                        Vec::<String>::new(),
                    )]);
                    add_errors(
                        op,
                        &[
                            ("400", "JSON_INVALID, PATH_INVALID, QUERY_INVALID"),
                            ("401", "PIPELINE_UNAUTHORIZED"),
                        ],
                    );
                }
                if tags.iter().any(|t| t == "admin") {
                    op.security = Some(vec![SecurityRequirement::new(
                        "admin",
                        Vec::<String>::new(),
                    )]);
                    add_errors(
                        op,
                        &[
                            ("400", "JSON_INVALID, PATH_INVALID"),
                            ("401", "ADMIN_UNAUTHORIZED"),
                            ("413", "BODY_TOO_LARGE"),
                        ],
                    );
                }
                add_errors(op, &[("503", "STORAGE_UNAVAILABLE")]);
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Enrol sync API", description = "Machine onboarding, master data, packet intake (tus 1.0) with signed receipts, status, the pipeline feed and status reports, administration."),
    paths(
        crate::healthz,
        crate::metrics_text,
        crate::packets::server_key,
        crate::packets::announce,
        crate::packets::status,
        crate::packets::get_receipt,
        crate::operators::login,
        crate::operators::list,
        crate::onboarding::onboard,
        crate::publications::delta,
        crate::tus::options,
        crate::tus::create,
        crate::tus::head,
        crate::tus::get,
        crate::tus::patch,
        crate::tus::delete,
        crate::admin::put_centre_http,
        crate::admin::list_centres,
        crate::admin::register_machine_http,
        crate::admin::list_machines,
        crate::admin::approve_machine,
        crate::admin::onboarding_code_http,
        crate::admin::export_enrolment_http,
        crate::admin::deactivate_machine,
        crate::admin::put_operator_http,
        crate::admin::publish_http,
        crate::admin::report_state,
        crate::pipeline::feed,
        crate::pipeline::download,
        crate::pipeline::machine,
        crate::pipeline::operator,
        crate::pipeline::identity_schema,
        crate::pipeline::report,
    ),
    modifiers(&Shared)
)]
struct ApiDoc;

/// The document as a value.
pub fn openapi() -> Document {
    ApiDoc::openapi()
}

/// `GET /openapi.json`.
pub async fn document() -> Json<Document> {
    Json(openapi())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use enrol_schema::packet::{
        PacketManifest, Process, SignedManifest, SubpacketEntry, SupervisorStatus,
    };

    use super::*;

    fn keys(value: &serde_json::Value) -> BTreeSet<String> {
        value
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The hand-written manifest schema names exactly the fields serde writes.
    #[test]
    fn manifest_schema_matches_the_wire_type() {
        let signed = SignedManifest {
            manifest: PacketManifest {
                rid: "r".into(),
                packet_id: "p".into(),
                process: Process::New,
                centre_id: "c".into(),
                machine_id: "m".into(),
                sequence: 1,
                packet_hash: "h".into(),
                size: 1,
                supervisor_status: SupervisorStatus::Approved,
                created_at: "t".into(),
                audit_head: "a".into(),
                subpackets: vec![SubpacketEntry {
                    name: "id".into(),
                    encrypted_hash: "e".into(),
                    signature: "s".into(),
                }],
            },
            signature: "sig".into(),
        };
        let wire = serde_json::to_value(&signed).unwrap();
        let doc = serde_json::to_value(SignedManifestDoc::schema()).unwrap();
        assert_eq!(keys(&wire), keys(&doc["properties"]));
        assert_eq!(
            keys(&wire["manifest"]),
            keys(&doc["properties"]["manifest"]["properties"])
        );
        assert_eq!(
            keys(&wire["manifest"]["subpackets"][0]),
            keys(&doc["properties"]["manifest"]["properties"]["subpackets"]["items"]["properties"])
        );
    }

    #[test]
    fn every_route_is_documented() {
        let doc = serde_json::to_value(openapi()).unwrap();
        let paths = keys(&doc["paths"]);
        for path in [
            "/healthz",
            "/metrics",
            "/v1/server-key",
            "/v1/packets",
            "/v1/packets/status",
            "/v1/packets/{rid}/receipt",
            "/v1/operators",
            "/v1/operators/login",
            "/v1/machines/onboard",
            "/v1/publications",
            "/v1/uploads",
            "/v1/uploads/{id}",
            "/admin/v1/centres",
            "/admin/v1/centres/{id}",
            "/admin/v1/machines",
            "/admin/v1/machines/{id}/approve",
            "/admin/v1/machines/{id}/onboarding-code",
            "/admin/v1/machines/{id}/enrolment",
            "/admin/v1/machines/{id}/deactivate",
            "/admin/v1/operators/{user_id}",
            "/admin/v1/publications",
            "/admin/v1/packets/{rid}/state",
            "/v1/pipeline/feed",
            "/v1/pipeline/packets/{rid}",
            "/v1/pipeline/machines/{id}",
            "/v1/pipeline/operators/{id}",
            "/v1/pipeline/identity-schemas/{version}",
            "/v1/pipeline/status",
        ] {
            assert!(paths.contains(path), "{path} missing from the document");
        }
        let announce = &doc["paths"]["/v1/packets"]["post"];
        assert!(
            announce["parameters"]
                .to_string()
                .contains("x-enrol-signature")
        );
        assert!(announce["responses"]["401"].is_object());
        assert!(doc["components"]["schemas"]["SignedManifest"].is_object());
        let report = &doc["paths"]["/v1/pipeline/status"]["post"];
        assert_eq!(report["security"][0]["pipeline"], serde_json::json!([]));
        assert!(report["responses"]["401"].is_object());
        assert!(doc["components"]["schemas"]["FeedPage"].is_object());
    }
}
