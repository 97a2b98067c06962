use crate::helpers::TestApp;
use reqwest::StatusCode;

tessera_core::on_each_engine!(crate::helpers::on_app => healthz_and_readyz_answer, readyz_is_503_when_the_database_is_unusable);

async fn healthz_and_readyz_answer(app: TestApp) {
    let health = app.browser().get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.json::<serde_json::Value>().await.unwrap()["status"], "ok");

    let ready = app.browser().get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.json::<serde_json::Value>().await.unwrap()["status"], "ready");
}

async fn readyz_is_503_when_the_database_is_unusable(app: TestApp) {
    assert_eq!(app.browser().get("/readyz").await.status(), StatusCode::OK);
    app.db.break_it().await;
    let ready = app.browser().get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: tessera_core::ErrorBody = ready.json().await.unwrap();
    assert_eq!(body.error, tessera_core::ErrorKind::Unavailable);
    // The process itself is still alive.
    assert_eq!(app.browser().get("/healthz").await.status(), StatusCode::OK);
}
