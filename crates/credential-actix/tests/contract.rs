//! The demo server's contract (`cargo run --example server`): the shared
//! suite, over HTTP on a loopback port, against the example's own routes.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

#[path = "../examples/server/app.rs"]
mod app;

use std::net::TcpListener;

use actix_web::{App, HttpServer};
use app::Routes;
use credential_examples::contract;
use credential_examples::demo::Demo;

#[actix_web::test]
async fn the_actix_demo_server_meets_the_contract() {
    let demo = Demo::new().unwrap();
    let root = demo.bootstrap().await.unwrap().unwrap();
    let routes = Routes::new(demo.clone()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        let routes = routes.clone();
        App::new().configure(move |config| routes.configure(config))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    contract::run(addr, &demo, &root).await;
    handle.stop(false).await;
}
