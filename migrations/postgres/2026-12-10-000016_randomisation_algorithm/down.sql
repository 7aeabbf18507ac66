ALTER TABLE allocations DROP COLUMN slot;
ALTER TABLE protocol_versions DROP COLUMN randomisation_algorithm;
