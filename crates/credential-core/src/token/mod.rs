//! API tokens: signed, short-lived JWT access tokens (RFC 9068).

pub mod jose;
