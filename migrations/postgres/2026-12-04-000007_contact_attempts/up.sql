-- Contact attempts: retention work (calls, texts, e-mails) recorded on the participant's timeline.
-- Keep in step with the sqlite folder of the same name (a test compares them).
CREATE TABLE contact_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants(id),
    attempted_at TIMESTAMP NOT NULL,
    channel TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT,
    recorded_by TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX contact_attempts_participant ON contact_attempts(participant_id, attempted_at);

-- The coordinator's register reads schedules, alerts and study numbers per participant.
CREATE INDEX assessments_participant ON assessments(participant_id, status);
CREATE INDEX safety_alerts_participant ON safety_alerts(participant_id);
CREATE INDEX participants_number ON participants(number);
-- Its sorts: each with the study number as the tie-break, read forwards or backwards.
CREATE INDEX participants_enrolled ON participants(enrolled_at, number);
CREATE INDEX participants_language ON participants(preferred_language, number);
CREATE INDEX participants_site_number ON participants(site, number);
CREATE INDEX participant_phases_current ON participant_phases(phase, ended_on);

-- Answers a staff member entered on the participant's behalf (a phone call): who, on the
-- assessment itself, so exports and the record can tell them apart.
ALTER TABLE assessments ADD COLUMN entered_by TEXT;

-- The participant's own time zone, for the times in their messages; null: the study's.
ALTER TABLE participants ADD COLUMN time_zone TEXT;
