-- A staff member's personal calendar address (issue 16): calendar apps cannot send a header, so
-- the secret is in the address. One per person; stored as its SHA-256, like API tokens. Making a
-- new address replaces the row, so the old one stops working. Keep in step with the other
-- backend's folder of the same name.
CREATE TABLE calendar_feeds (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id),
    secret_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_read_at TIMESTAMP
);
