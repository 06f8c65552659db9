//! The schema: its name, its versioned migrations and the statements that
//! read and write it.

use crate::error::PostgresError;

/// Longest schema name accepted, so that the notification channel
/// `credential_<schema>` fits PostgreSQL's 63-byte identifiers.
pub(crate) const MAX_SCHEMA_LEN: usize = 52;

/// The prefix of the notification channel's name.
const CHANNEL_PREFIX: &str = "credential_";

/// The migrations, in order: migration `n` (from 1) is `MIGRATIONS[n - 1]`.
/// `{schema}` stands for the quoted schema name. Published migrations are
/// never edited; a change of the schema is a new entry at the end.
///
/// Records are kept as `json`, not `jsonb`: `json` keeps the text exactly
/// as written, so every record reads back equal to what was stored
/// (`jsonb` would rewrite numbers such as `1e16` and refuse `\u0000` in
/// metadata strings). The columns beside it are what queries select or
/// order by.
pub(crate) const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE {schema}.keys (
    id text PRIMARY KEY,
    subject text NOT NULL,
    created_at timestamptz NOT NULL,
    record json NOT NULL
);
CREATE INDEX keys_by_subject ON {schema}.keys (subject, created_at, id);

CREATE TABLE {schema}.revoked_tokens (
    jti text PRIMARY KEY,
    until timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_by_until ON {schema}.revoked_tokens (until);

CREATE TABLE {schema}.revoked_clients (
    client_id text PRIMARY KEY,
    issued_up_to timestamptz NOT NULL,
    until timestamptz NOT NULL
);
CREATE INDEX revoked_clients_by_until ON {schema}.revoked_clients (until);

CREATE TABLE {schema}.refresh_tokens (
    id text PRIMARY KEY,
    family text NOT NULL,
    expires_at timestamptz NOT NULL,
    record json NOT NULL
);
CREATE INDEX refresh_tokens_by_family ON {schema}.refresh_tokens (family);
CREATE INDEX refresh_tokens_by_expiry ON {schema}.refresh_tokens (expires_at);

CREATE TABLE {schema}.rate_limits (
    key text PRIMARY KEY,
    tat timestamptz NOT NULL
);
CREATE INDEX rate_limits_by_tat ON {schema}.rate_limits (tat);
"#];

/// A schema name checked to be a plain identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SchemaName(String);

impl SchemaName {
    /// Checks `name`: 1 to [`MAX_SCHEMA_LEN`] bytes of `[a-z0-9_]`, not
    /// starting with a digit, and not `pg_…` (reserved by PostgreSQL).
    pub(crate) fn new(name: &str) -> Result<Self, PostgresError> {
        let valid = !name.is_empty()
            && name.len() <= MAX_SCHEMA_LEN
            && !name.starts_with("pg_")
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && name
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(PostgresError::InvalidSchema(name.to_owned()))
        }
    }

    /// The name as given.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The name quoted for SQL. The name holds no quote, so quoting is
    /// just the surrounding pair.
    pub(crate) fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }

    /// The LISTEN/NOTIFY channel of this schema.
    pub(crate) fn channel(&self) -> String {
        format!("{CHANNEL_PREFIX}{}", self.0)
    }

    /// The key of the advisory lock that serialises migrations of this
    /// schema (FNV-1a of the name, stable across releases).
    pub(crate) fn migration_lock(&self) -> i64 {
        lock_key(&["credential-migrations", &self.0])
    }

    /// A migration with the schema name filled in.
    pub(crate) fn migration(&self, sql: &str) -> String {
        sql.replace("{schema}", &self.quoted())
    }
}

/// A 64-bit advisory lock key from `parts` (FNV-1a over the parts, each
/// followed by a zero byte).
pub(crate) fn lock_key(parts: &[&str]) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// Every statement the store runs, with the schema filled in once.
#[derive(Debug)]
pub(crate) struct Statements {
    pub(crate) key_insert: String,
    pub(crate) key_get: String,
    pub(crate) key_get_for_update: String,
    pub(crate) key_exists: String,
    pub(crate) key_write: String,
    pub(crate) key_write_quietly: String,
    pub(crate) key_list: String,
    pub(crate) revoke_token: String,
    pub(crate) revoke_client: String,
    pub(crate) is_revoked: String,
    pub(crate) purge_revocations: String,
    pub(crate) refresh_insert: String,
    pub(crate) refresh_get: String,
    pub(crate) refresh_get_for_update: String,
    pub(crate) refresh_exists: String,
    pub(crate) refresh_write: String,
    pub(crate) refresh_family_for_update: String,
    pub(crate) refresh_purge: String,
    pub(crate) rate_get_for_update: String,
    pub(crate) rate_insert: String,
    pub(crate) rate_write: String,
    pub(crate) rate_purge: String,
}

impl Statements {
    pub(crate) fn new(schema: &SchemaName) -> Self {
        let s = schema.quoted();
        Self {
            // $1 id, $2 subject, $3 created_at, $4 record, $5 channel
            key_insert: format!(
                "WITH inserted AS (\
                   INSERT INTO {s}.keys (id, subject, created_at, record) \
                   VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING id) \
                 SELECT pg_notify($5, 'key:' || inserted.id) FROM inserted"
            ),
            key_get: format!("SELECT record FROM {s}.keys WHERE id = $1"),
            key_get_for_update: format!("SELECT record FROM {s}.keys WHERE id = $1 FOR UPDATE"),
            key_exists: format!("SELECT EXISTS (SELECT 1 FROM {s}.keys WHERE id = $1)"),
            // $1 id, $2 record, $3 channel
            key_write: format!(
                "WITH written AS (\
                   UPDATE {s}.keys SET record = $2 WHERE id = $1 RETURNING id) \
                 SELECT pg_notify($3, 'key:' || written.id) FROM written"
            ),
            key_write_quietly: format!("UPDATE {s}.keys SET record = $2 WHERE id = $1"),
            key_list: format!(
                "SELECT record FROM {s}.keys WHERE subject = $1 ORDER BY created_at, id"
            ),
            // $1 jti, $2 until, $3 channel
            revoke_token: format!(
                "WITH written AS (\
                   INSERT INTO {s}.revoked_tokens AS t (jti, until) VALUES ($1, $2) \
                   ON CONFLICT (jti) DO UPDATE SET until = GREATEST(t.until, EXCLUDED.until) \
                   RETURNING 1) \
                 SELECT pg_notify($3, 'revocation') FROM written"
            ),
            // $1 client_id, $2 issued_up_to, $3 until, $4 channel
            revoke_client: format!(
                "WITH written AS (\
                   INSERT INTO {s}.revoked_clients AS c (client_id, issued_up_to, until) \
                   VALUES ($1, $2, $3) \
                   ON CONFLICT (client_id) DO UPDATE SET \
                     issued_up_to = GREATEST(c.issued_up_to, EXCLUDED.issued_up_to), \
                     until = GREATEST(c.until, EXCLUDED.until) \
                   RETURNING 1) \
                 SELECT pg_notify($4, 'revocation') FROM written"
            ),
            // $1 jti, $2 client_id, $3 issued_at (each may be NULL)
            is_revoked: format!(
                "SELECT EXISTS (SELECT 1 FROM {s}.revoked_tokens WHERE jti = $1::text) \
                 OR EXISTS (SELECT 1 FROM {s}.revoked_clients \
                   WHERE client_id = $2::text \
                   AND ($3::timestamptz IS NULL OR $3::timestamptz <= issued_up_to))"
            ),
            purge_revocations: format!(
                "WITH tokens AS (DELETE FROM {s}.revoked_tokens WHERE until <= $1 RETURNING 1), \
                      clients AS (DELETE FROM {s}.revoked_clients WHERE until <= $1 RETURNING 1) \
                 SELECT (SELECT count(*) FROM tokens) + (SELECT count(*) FROM clients)"
            ),
            // $1 id, $2 family, $3 expires_at, $4 record
            refresh_insert: format!(
                "INSERT INTO {s}.refresh_tokens (id, family, expires_at, record) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING"
            ),
            refresh_get: format!("SELECT record FROM {s}.refresh_tokens WHERE id = $1"),
            refresh_get_for_update: format!(
                "SELECT record FROM {s}.refresh_tokens WHERE id = $1 FOR UPDATE"
            ),
            refresh_exists: format!(
                "SELECT EXISTS (SELECT 1 FROM {s}.refresh_tokens WHERE id = $1)"
            ),
            refresh_write: format!("UPDATE {s}.refresh_tokens SET record = $2 WHERE id = $1"),
            refresh_family_for_update: format!(
                "SELECT record FROM {s}.refresh_tokens WHERE family = $1 ORDER BY id FOR UPDATE"
            ),
            refresh_purge: format!("DELETE FROM {s}.refresh_tokens WHERE expires_at <= $1"),
            rate_get_for_update: format!(
                "SELECT tat FROM {s}.rate_limits WHERE key = $1 FOR UPDATE"
            ),
            rate_insert: format!(
                "INSERT INTO {s}.rate_limits (key, tat) VALUES ($1, $2) \
                 ON CONFLICT (key) DO NOTHING"
            ),
            rate_write: format!("UPDATE {s}.rate_limits SET tat = $2 WHERE key = $1"),
            rate_purge: format!("DELETE FROM {s}.rate_limits WHERE tat <= $1"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for good in ["credential", "_c", "a1_b2", &"x".repeat(MAX_SCHEMA_LEN)] {
            assert!(SchemaName::new(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "1abc",
            "Credential",
            "a-b",
            "a b",
            "a\"b",
            "pg_catalog",
            "é",
            &"x".repeat(MAX_SCHEMA_LEN + 1),
        ] {
            assert!(SchemaName::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_channel_fits_an_identifier() {
        let longest = SchemaName::new(&"x".repeat(MAX_SCHEMA_LEN)).ok();
        assert_eq!(longest.map(|s| s.channel().len()), Some(63));
    }

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        assert_eq!(lock_key(&["a", "b"]), lock_key(&["a", "b"]));
        assert_ne!(lock_key(&["a", "b"]), lock_key(&["ab"]));
        assert_ne!(lock_key(&["a"]), lock_key(&["b"]));
    }
}
