-- Two-factor sign-in (issue 17): an authenticator app's secret per account (RFC 6238), and
-- single-use recovery codes for when the phone is lost. Keep in step with the other backend's
-- folder of the same name.
CREATE TABLE two_factor (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id),
    -- The shared secret, sealed (AES-256-GCM) with a key derived from the server's secret: a copy
    -- of the database alone makes no codes. See src/auth/two_factor.rs.
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- Null until the account proves its app works by sending a code from it.
    enabled_at TIMESTAMP,
    -- The newest time step a code was accepted for: a code is good once (RFC 6238, 5.2).
    last_step BIGINT
);

CREATE TABLE recovery_codes (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    -- `salt:SHA-256(salt, code)`: a code carries about 79 random bits, so a salted fast hash is
    -- enough (ASVS 2.6.2).
    code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_user_id ON recovery_codes(user_id);
