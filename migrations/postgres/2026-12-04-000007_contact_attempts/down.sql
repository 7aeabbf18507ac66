ALTER TABLE participants DROP COLUMN time_zone;
ALTER TABLE assessments DROP COLUMN entered_by;
DROP INDEX participants_number;
DROP INDEX safety_alerts_participant;
DROP INDEX assessments_participant;
DROP INDEX contact_attempts_participant;
DROP TABLE contact_attempts;
