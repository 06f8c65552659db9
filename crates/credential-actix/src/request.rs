//! What a checked request carries in its extensions.

use std::sync::Arc;

use crate::auth::Settings;

/// Put in the extensions of every request a [`CredentialAuth`] let
/// through, so that extractors know the request was checked, and how to
/// render a refusal, without verifying again.
///
/// [`CredentialAuth`]: crate::CredentialAuth
#[derive(Debug, Clone)]
pub(crate) struct Checked(pub(crate) Arc<Settings>);
