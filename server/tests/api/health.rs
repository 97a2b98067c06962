use crate::helpers::TestApp;
use reqwest::StatusCode;

on_both_backends!(healthz_and_readyz_answer, readyz_is_503_when_the_database_is_unusable);

async fn healthz_and_readyz_answer(app: TestApp) {
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.json::<serde_json::Value>().await.unwrap()["status"], "ok");

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.json::<serde_json::Value>().await.unwrap()["status"], "ready");
}

async fn readyz_is_503_when_the_database_is_unusable(app: TestApp) {
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    app.db.break_it().await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    // The process itself is still alive.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}
