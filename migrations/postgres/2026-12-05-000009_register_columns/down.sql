DROP INDEX participants_strata;
DROP INDEX participants_phase;
ALTER TABLE participants DROP COLUMN current_phase;
DROP INDEX participants_allocated;
ALTER TABLE participants DROP COLUMN allocated_arm;
