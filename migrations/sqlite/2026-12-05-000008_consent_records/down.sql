ALTER TABLE consents DROP COLUMN content_hash;
ALTER TABLE consents DROP COLUMN void_reason;
ALTER TABLE consents DROP COLUMN voided_by;
ALTER TABLE consents DROP COLUMN voided_at;
