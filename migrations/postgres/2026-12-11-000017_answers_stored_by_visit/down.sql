ALTER TABLE responses
    DROP CONSTRAINT responses_pkey,
    ADD CONSTRAINT responses_pkey PRIMARY KEY (assessment_id, instrument, item);
ALTER TABLE scores
    DROP CONSTRAINT scores_pkey,
    ADD CONSTRAINT scores_pkey PRIMARY KEY (assessment_id, instrument);
