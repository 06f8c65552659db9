//! The demo server's command line: its options and the key file.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub(crate) const USAGE: &str = "usage: server [--bind ADDR] [--key-out FILE]

  --bind ADDR      address to listen on (default 127.0.0.1:8080)
  --key-out FILE   also write the bootstrap API key to FILE (mode 0600)";

/// What the command line asks for.
pub(crate) struct Options {
    /// Where to listen.
    pub(crate) bind: SocketAddr,
    /// Where to write the bootstrap key too.
    pub(crate) key_out: Option<PathBuf>,
}

impl Options {
    /// Reads the arguments after the program name; `Ok(None)` for
    /// `--help`.
    pub(crate) fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Self>, String> {
        let mut options = Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            key_out: None,
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--bind" => {
                    let value = args.next().ok_or("--bind needs an address")?;
                    options.bind = value
                        .parse()
                        .map_err(|_| format!("--bind: not an address: {value}"))?;
                }
                "--key-out" => {
                    let value = args.next().ok_or("--key-out needs a file name")?;
                    options.key_out = Some(PathBuf::from(value));
                }
                "-h" | "--help" => return Ok(None),
                other => return Err(format!("unknown argument: {other}")),
            }
        }
        Ok(Some(options))
    }
}

/// Writes the key, readable by its owner only.
pub(crate) fn write_key(path: &Path, key: &str) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    writeln!(file, "{key}")
}
