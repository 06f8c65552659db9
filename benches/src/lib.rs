//! Benchmarks for the credential workspace. Run them with
//! `cargo bench -p credential-benches`; each group puts this workspace's
//! code beside its peers (`jsonwebtoken`, bare `ring`) so a ratio comes
//! from one run on one machine.
