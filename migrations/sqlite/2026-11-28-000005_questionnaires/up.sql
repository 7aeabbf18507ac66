-- Schedules of assessment, answers, scores, participants' survey links and safety alerts.
-- Dates are the study's calendar dates (YYYY-MM-DD); instants are UTC.
-- Keep in step with the postgres folder of the same name (a test compares them).
CREATE TABLE assessments (
    id TEXT PRIMARY KEY NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants(id),
    timepoint TEXT NOT NULL,
    instruments TEXT NOT NULL,
    anchor TEXT NOT NULL,
    -- Null until the anchor is known (a group that has not started yet).
    target_date TEXT,
    opens_at TIMESTAMP,
    closes_at TIMESTAMP,
    -- scheduled, open, completed, missed or not_applicable.
    status TEXT NOT NULL,
    completed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (participant_id, timepoint)
);
-- The sweep's two questions: which windows have closed, which have opened.
CREATE INDEX assessments_closing ON assessments(status, closes_at);
CREATE INDEX assessments_opening ON assessments(status, opens_at);

-- One answer per item; saved as the participant goes, final once the assessment is completed.
-- A null value is an item the participant chose to skip.
CREATE TABLE responses (
    assessment_id TEXT NOT NULL REFERENCES assessments(id),
    instrument TEXT NOT NULL,
    item TEXT NOT NULL,
    value INTEGER,
    answered_at TIMESTAMP NOT NULL,
    PRIMARY KEY (assessment_id, instrument, item)
);

CREATE TABLE scores (
    assessment_id TEXT NOT NULL REFERENCES assessments(id),
    instrument TEXT NOT NULL,
    total INTEGER,
    prorated BOOLEAN NOT NULL,
    answered INTEGER NOT NULL,
    band TEXT,
    scored_at TIMESTAMP NOT NULL,
    PRIMARY KEY (assessment_id, instrument)
);

-- Personal survey links: only the SHA-256 of the token is kept.
CREATE TABLE survey_links (
    id TEXT PRIMARY KEY NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants(id),
    token_hash TEXT NOT NULL UNIQUE,
    language TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    last_used_at TIMESTAMP
);
CREATE INDEX survey_links_participant ON survey_links(participant_id);

-- Who is told of a safety alert, in order: position 1 first, the next when unacknowledged.
CREATE TABLE safety_contacts (
    position INTEGER PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id)
);

CREATE TABLE safety_alerts (
    id TEXT PRIMARY KEY NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants(id),
    assessment_id TEXT NOT NULL REFERENCES assessments(id),
    instrument TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    meaning TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    -- 1 = the first contact; raised by one at each escalation.
    level INTEGER NOT NULL,
    -- open, acknowledged or closed.
    status TEXT NOT NULL,
    acknowledged_at TIMESTAMP,
    acknowledged_by TEXT,
    action_taken TEXT,
    action_at TIMESTAMP,
    action_by TEXT,
    closed_at TIMESTAMP,
    closed_by TEXT,
    closing_note TEXT,
    UNIQUE (assessment_id, rule_id)
);
CREATE INDEX safety_alerts_due ON safety_alerts(status, due_at);
