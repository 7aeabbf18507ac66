ALTER TABLE audit_head DROP COLUMN keyed_from_seq;
