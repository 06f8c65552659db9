//! OAuth-style scopes: tokens, sets of granted scopes and requirements.
//!
//! # Scopes
//!
//! A [`Scope`] is a case-sensitive RFC 6749 §3.3 scope token structured as
//! `segment(:segment)*`, for example `repo:read` or `billing:invoices:write`.
//! A segment is non-empty and made of RFC 6749 `NQCHAR`s (printable ASCII
//! except space, `"` and `\`) other than `:` (the separator), `*` (the
//! wildcard) and `(` `)` (used by requirement expressions). A scope is at
//! most [`Scope::MAX_LEN`] bytes and [`Scope::MAX_SEGMENTS`] segments long.
//!
//! # Wildcards
//!
//! A segment that is exactly `*` is a wildcard. Wildcards are meaningful in
//! *granted* scopes:
//!
//! | pattern       | covers                                       | does not cover        |
//! |---------------|----------------------------------------------|-----------------------|
//! | `*`           | every scope                                  |                       |
//! | `billing:*`   | `billing:invoices`, `billing:invoices:write` | `billing`             |
//! | `*:read`      | `repo:read`, `billing:read`                  | `repo:x:read`, `read` |
//! | `repo:*:read` | `repo:a:read`                                | `repo:a:b:read`       |
//!
//! A `*` that is not the last segment stands for exactly one segment; a
//! trailing `*` stands for one or more. [`Scope::covers`] also compares two
//! patterns, which is how a derived credential is checked to stay within its
//! parent's scopes.
//!
//! # Sets
//!
//! A [`ScopeSet`] is written space-separated (`repo:read billing:*`), is
//! unordered and has no duplicates. Parsing is strict: exactly one ASCII
//! space between scopes.
//!
//! # Requirements
//!
//! A [`Requirement`] is an expression over concrete scopes:
//!
//! ```text
//! requirement = all *( "OR" all )
//! all         = operand *( "AND" operand )
//! operand     = scope / "(" requirement ")"
//! ```
//!
//! `AND` and `OR` are uppercase keywords separated from scopes by ASCII
//! whitespace; parentheses may touch their neighbours. `AND` binds tighter
//! than `OR`. Input length, nesting depth and the number of scopes are
//! bounded (see the constants on [`Requirement`]).
//!
//! # Errors
//!
//! Every parser reports a [`ScopeError`] with the byte position of the first
//! problem and a [`ScopeErrorKind`].
//!
//! ```
//! use credential_core::scope::{Requirement, ScopeSet};
//!
//! let required: Requirement = "repo:read AND (repo:admin OR org:owner)".parse()?;
//! let granted: ScopeSet = "repo:* org:member".parse()?;
//! assert!(required.is_satisfied_by(&granted));
//! # Ok::<(), credential_core::scope::ScopeError>(())
//! ```

mod error;
mod parser;
mod requirement;
mod serde_text;
mod set;
mod token;

pub use error::{ScopeError, ScopeErrorKind, ScopeInput};
pub use requirement::Requirement;
pub use set::ScopeSet;
pub use token::{Scope, Segments};
