//! OAuth 2.0 protocol types.
