-- Answers and scores are only ever read by questionnaire (a visit's answers for its page, its
-- score, every visit's answers for an export). The primary keys carry the values read with them,
-- so such a read is an index-only scan once the table is vacuumed, instead of one heap fetch per
-- answer (SQLite stores the same tables in key order, WITHOUT ROWID; docs/benchmarks.md).
ALTER TABLE responses
    DROP CONSTRAINT responses_pkey,
    ADD CONSTRAINT responses_pkey PRIMARY KEY (assessment_id, instrument, item) INCLUDE (value);
ALTER TABLE scores
    DROP CONSTRAINT scores_pkey,
    ADD CONSTRAINT scores_pkey PRIMARY KEY (assessment_id, instrument) INCLUDE (total, prorated, answered, band);
