-- Consent records that can be voided, and e-consent signed by the participant on their own link.
-- Keep in step with the postgres folder of the same name (a test compares them).

-- A consent recorded in error is voided with a reason, never deleted: who, when and why.
ALTER TABLE consents ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE consents ADD COLUMN voided_by TEXT;
ALTER TABLE consents ADD COLUMN void_reason TEXT;
-- E-consent: the SHA-256 of exactly what was signed (form version, language, form text, typed
-- name, time), printed on the participant's PDF copy so the copy can be checked against the record.
ALTER TABLE consents ADD COLUMN content_hash TEXT;
