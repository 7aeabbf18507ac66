-- The audit chain is keyed (issue 17): from this entry on, each hash is an HMAC with a key derived
-- from the server's secret, which is not in the database, so whoever can write to the database
-- cannot rewrite an entry and recompute the hashes after it. Set when a server first starts with
-- this column: entries before it keep their plain hashes. Keep in step with the other backend.
ALTER TABLE audit_head ADD COLUMN keyed_from_seq BIGINT;
