//! The demo servers' shared command line and key file.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

use credential_examples::demo::{Options, USAGE, write_key};

#[test]
fn the_command_line_takes_bind_and_key_out() {
    let parse = |args: &[&str]| Options::parse(args.iter().map(|a| (*a).to_owned()));
    let defaults = parse(&[]).unwrap().unwrap();
    assert_eq!(defaults.bind.to_string(), "127.0.0.1:8080");
    assert!(defaults.key_out.is_none());
    let chosen = parse(&["--bind", "127.0.0.1:9000", "--key-out", "demo.key"])
        .unwrap()
        .unwrap();
    assert_eq!(chosen.bind.to_string(), "127.0.0.1:9000");
    assert_eq!(chosen.key_out.unwrap().to_str(), Some("demo.key"));
    assert!(parse(&["--help"]).unwrap().is_none());
    assert!(USAGE.contains("--key-out FILE"));
    for bad in [
        &["--bind"][..],
        &["--bind", "localhost"],
        &["--key-out"],
        &["--port", "1"],
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn the_key_file_holds_the_key_for_its_owner_only() {
    let dir = std::env::temp_dir().join(format!("credential-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("demo.key");
    write_key(&path, "sk_demo_x").unwrap();
    write_key(&path, "sk_demo_y").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "sk_demo_y\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
