//! The hyper demo server on a data file: keys, tokens, revocations and
//! signing keys issued before a restart still hold after it.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

#[allow(dead_code)]
#[path = "../examples/server-hyper/main.rs"]
mod server;

use std::path::Path;

use credential_examples::contract;
use credential_examples::demo::Demo;
use server::app::Routes;
use tokio::net::TcpListener;

/// Serves the demo kept in `data` until `work` is done, then stops and
/// lets go of the file.
async fn serve_on<T>(data: &Path, work: impl AsyncFnOnce(std::net::SocketAddr, &Demo) -> T) -> T {
    // A connection task of the previous server may still be letting go
    // of the file: wait for it, boundedly.
    let mut tries = 0;
    let demo = loop {
        match Demo::open(data) {
            Ok(demo) => break demo,
            Err(error) if tries < 100 => {
                tries += 1;
                eprintln!("waiting for the file: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(error) => panic!("the data file stays held: {error}"),
        }
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let running = tokio::spawn(server::serve(listener, Routes::new(demo.clone()).unwrap()));
    let out = work(addr, &demo).await;
    running.abort();
    let _ = running.await;
    out
}

#[tokio::test]
async fn credentials_survive_a_restart_of_the_hyper_demo_server() {
    let dir = std::env::temp_dir().join(format!("credential-hyper-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("demo.redb");
    let _ = std::fs::remove_file(&data);

    let issued = serve_on(&data, async |addr, demo: &Demo| {
        let root = demo.bootstrap().await.unwrap().unwrap();
        contract::issue_before_restart(addr, root.key.expose_secret()).await
    })
    .await;
    // Every connection was closed by the server's answers, so nothing
    // holds the file any more.
    serve_on(&data, async |addr, demo: &Demo| {
        contract::check_after_restart(addr, demo, &issued).await;
    })
    .await;
    std::fs::remove_dir_all(&dir).unwrap();
}
