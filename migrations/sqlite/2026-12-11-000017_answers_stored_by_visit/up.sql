-- Answers and scores are only ever read by questionnaire (a visit's answers for its page, its
-- score, every visit's answers for an export), so they are stored in that order: a table WITHOUT
-- ROWID keeps rows in primary-key order, and reading a visit's answers is one range of one
-- B-tree instead of an index lookup and then one more lookup per answer (a million-row export
-- read its seven million answers in about half the time; docs/benchmarks.md). It also keeps one
-- B-tree per table instead of two, so storing answers writes less.
CREATE TABLE responses_by_visit (
    assessment_id TEXT NOT NULL REFERENCES assessments(id),
    instrument TEXT NOT NULL,
    item TEXT NOT NULL,
    value INTEGER,
    answered_at TIMESTAMP NOT NULL,
    PRIMARY KEY (assessment_id, instrument, item)
) WITHOUT ROWID;
INSERT INTO responses_by_visit (assessment_id, instrument, item, value, answered_at)
    SELECT assessment_id, instrument, item, value, answered_at FROM responses;
DROP TABLE responses;
ALTER TABLE responses_by_visit RENAME TO responses;

CREATE TABLE scores_by_visit (
    assessment_id TEXT NOT NULL REFERENCES assessments(id),
    instrument TEXT NOT NULL,
    total INTEGER,
    prorated BOOLEAN NOT NULL,
    answered INTEGER NOT NULL,
    band TEXT,
    scored_at TIMESTAMP NOT NULL,
    PRIMARY KEY (assessment_id, instrument)
) WITHOUT ROWID;
INSERT INTO scores_by_visit (assessment_id, instrument, total, prorated, answered, band, scored_at)
    SELECT assessment_id, instrument, total, prorated, answered, band, scored_at FROM scores;
DROP TABLE scores;
ALTER TABLE scores_by_visit RENAME TO scores;
