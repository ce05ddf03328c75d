//! The OpenAPI document against the server functions that actually exist.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::spawn;
use reqwest::StatusCode;

#[tokio::test]
async fn every_server_function_is_documented_and_every_entry_has_a_route() {
    let app = spawn().await;
    let doc = app.client().get("/api/openapi.json", &[]).await;
    assert_eq!(doc.status, StatusCode::OK);
    let mut documented = BTreeSet::new();
    for (path, item) in doc.json["paths"].as_object().unwrap() {
        for method in
            item.as_object().unwrap().keys().filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
        {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let routes: BTreeSet<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (method.to_string(), path.to_owned()))
        .chain(
            doable::api_docs::PLAIN_ENDPOINTS.iter().map(|(method, path)| ((*method).to_owned(), (*path).to_owned())),
        )
        .collect();
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routes).collect();
    assert!(undocumented.is_empty(), "server functions missing from the OpenAPI document: {undocumented:?}");
    assert!(unrouted.is_empty(), "documented endpoints without a server function: {unrouted:?}");
    assert_eq!(routes.len(), 54);

    // And each documented endpoint answers at its path and method (not the router's 404/405).
    let client = app.client();
    for (method, path) in &documented {
        let response = if method == "GET" { client.get(path, &[]).await } else { client.post(path, &[]).await };
        assert!(
            ![StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&response.status)
                || response.code() == "not_found"
                    && ["/tasks/", "/lists/", "/invitations/", "/trash/"].iter().any(|p| path.contains(p)),
            "{method} {path}: {} {}",
            response.status,
            response.text
        );
        let documented_statuses = doc.json["paths"][path][method.to_lowercase()]["responses"].as_object().unwrap();
        assert!(
            documented_statuses.contains_key(response.status.as_str()),
            "{method} {path} answered an undocumented {}",
            response.status
        );
    }
}

#[tokio::test]
async fn the_docs_page_and_its_assets_are_served_by_the_app() {
    let app = spawn().await;
    let client = app.client();
    let page = client.get("/docs/", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("swagger-ui"), "{}", page.text);
    for asset in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/docs/swagger-initializer.js"] {
        let response = client.get(asset, &[]).await;
        assert_eq!(response.status, StatusCode::OK, "{asset}");
    }
    let initializer = client.get("/docs/swagger-initializer.js", &[]).await;
    assert!(initializer.text.contains("/api/openapi.json"), "{}", initializer.text);
    let redoc = client.get("/redoc", &[]).await;
    assert!(redoc.status.is_redirection());
    assert_eq!(redoc.headers["location"], "/docs/");
}

#[tokio::test]
async fn no_schema_is_named_after_a_rust_type() {
    let app = spawn().await;
    let doc = app.client().get("/api/openapi.json", &[]).await.json;
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let rust = ["BTreeMap", "HashMap", "Vec", "Option", "String", "Box", "Arc", "Uuid", "OffsetDateTime", "Moment"];
    for name in schemas.keys() {
        assert!(!rust.iter().any(|r| name.contains(r)) && !name.contains("::") && !name.contains('<'), "schema {name}");
    }
    let text = doc.to_string();
    for r in ["BTreeMap", "HashMap", "#/components/schemas/Vec", "#/components/schemas/Option"] {
        assert!(
            !text.contains(r),
            "the document names {r}: {}",
            text.find(r).map(|at| &text[at.saturating_sub(300)..at + 50]).unwrap_or_default()
        );
    }
    assert!(schemas.contains_key("FieldMessages"), "{:?}", schemas.keys().collect::<Vec<_>>());
}
