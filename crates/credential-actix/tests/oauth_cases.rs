//! Core's shared OAuth cases, each endpoint's success and errors, through
//! the actix-web routes.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use actix_web::{App, test};
use common::{World, WorldExt};
use credential_actix::OAuthRoutes;

#[actix_web::test]
async fn every_shared_oauth_case_is_answered_as_expected() {
    let world = World::new().unwrap();
    let front = world.oauth_front().unwrap();
    let cases = world.oauth_cases(&front).await.unwrap();
    assert!(cases.len() >= 20);
    let routes = OAuthRoutes::new(front).accept_callers(&world.auth());
    let app =
        test::init_service(App::new().configure(move |config| routes.configure(config))).await;
    for case in cases {
        let mut request = test::TestRequest::default()
            .method(case.method.parse().unwrap())
            .uri(case.path);
        for (name, value) in &case.headers {
            request = request.append_header((*name, value.as_str()));
        }
        let response =
            test::call_service(&app, request.set_payload(case.body.clone()).to_request()).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
        let header = |name: &str| -> Vec<String> {
            headers
                .get_all(name)
                .map(|value| value.to_str().unwrap().to_owned())
                .collect()
        };
        if let Err(difference) = case.expected.check(status, &header, &body) {
            panic!("{}: {difference}", case.name);
        }
    }
}
