//! `tracing` events for verification outcomes: outcome, internal reason,
//! credential kind and public id — never a secret, never a whole credential.
//! Without the `tracing` feature these compile to nothing.

use std::fmt::Display;

use crate::rejection::Reason;
use crate::verify::CredentialKind;

#[cfg(feature = "tracing")]
pub(crate) fn accepted(kind: CredentialKind, id: &dyn Display) {
    tracing::debug!(target: "credential", outcome = "accepted", kind = kind.as_str(), %id);
}

#[cfg(feature = "tracing")]
pub(crate) fn rejected(kind: CredentialKind, reason: Reason, id: Option<&dyn Display>) {
    tracing::info!(
        target: "credential",
        outcome = "rejected",
        kind = kind.as_str(),
        reason = reason.as_str(),
        id = %id.unwrap_or(&""),
    );
}

#[cfg(feature = "tracing")]
pub(crate) fn store_write_failed(
    operation: &'static str,
    id: &dyn Display,
    error: &crate::StoreError,
) {
    tracing::warn!(target: "credential", operation, %id, %error, "store write after verification failed");
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn accepted(_kind: CredentialKind, _id: &dyn Display) {}

#[cfg(not(feature = "tracing"))]
pub(crate) fn rejected(_kind: CredentialKind, _reason: Reason, _id: Option<&dyn Display>) {}

#[cfg(not(feature = "tracing"))]
pub(crate) fn store_write_failed(
    _operation: &'static str,
    _id: &dyn Display,
    _error: &crate::StoreError,
) {
}
