//! JOSE building blocks.
