-- Back to rowid tables with the same columns and keys.
CREATE TABLE responses_by_rowid (
    assessment_id TEXT NOT NULL REFERENCES assessments(id),
    instrument TEXT NOT NULL,
    item TEXT NOT NULL,
    value INTEGER,
    answered_at TIMESTAMP NOT NULL,
    PRIMARY KEY (assessment_id, instrument, item)
);
INSERT INTO responses_by_rowid SELECT assessment_id, instrument, item, value, answered_at FROM responses;
DROP TABLE responses;
ALTER TABLE responses_by_rowid RENAME TO responses;

CREATE TABLE scores_by_rowid (
    assessment_id TEXT NOT NULL REFERENCES assessments(id),
    instrument TEXT NOT NULL,
    total INTEGER,
    prorated BOOLEAN NOT NULL,
    answered INTEGER NOT NULL,
    band TEXT,
    scored_at TIMESTAMP NOT NULL,
    PRIMARY KEY (assessment_id, instrument)
);
INSERT INTO scores_by_rowid SELECT assessment_id, instrument, total, prorated, answered, band, scored_at FROM scores;
DROP TABLE scores;
ALTER TABLE scores_by_rowid RENAME TO scores;
