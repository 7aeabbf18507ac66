-- What the participant register filters on, kept on the participant row in the same transaction
-- as each change, with indexes that answer a filter's count and page without reading the rows:
-- at 10,000 participants, testing every row against a set of thousands cost 5 ms a pass
-- (docs/benchmarks.md). Keep in step with the postgres folder of the same name (a test compares them).

-- The arm allocated (null until randomised); the allocations table stays the record.
ALTER TABLE participants ADD COLUMN allocated_arm TEXT;
UPDATE participants SET allocated_arm =
    (SELECT a.arm_id FROM allocations a WHERE a.participant_id = participants.id);
CREATE INDEX participants_allocated ON participants(allocated_arm, withdrawn_at, number);

-- The phase now (the one in participant_phases not yet ended); null before any.
ALTER TABLE participants ADD COLUMN current_phase TEXT;
UPDATE participants SET current_phase =
    (SELECT ph.phase FROM participant_phases ph
     WHERE ph.participant_id = participants.id AND ph.ended_on IS NULL
     ORDER BY ph.started_on DESC LIMIT 1);
CREATE INDEX participants_phase ON participants(current_phase, withdrawn_at, number);

-- A stratum filter asks for the few distinct strata texts that hold the level
-- (`strata IN (...)`): this index lists them, and counts the matches, without reading a row.
CREATE INDEX participants_strata ON participants(strata, allocated_arm, withdrawn_at, number);
