-- Screening log, participants (contact details apart), consents, allocations, unblindings, notices.
-- Keep in step with the postgres folder of the same name (a test compares them).
CREATE TABLE screenings (
    id TEXT PRIMARY KEY NOT NULL,
    screened_at TIMESTAMP NOT NULL,
    referral_source TEXT NOT NULL,
    answers TEXT NOT NULL,
    eligible BOOLEAN NOT NULL,
    failed_criteria TEXT NOT NULL,
    outcome TEXT NOT NULL,
    outcome_reason TEXT,
    protocol_version INTEGER NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX screenings_outcome ON screenings(outcome);

CREATE TABLE participants (
    id TEXT PRIMARY KEY NOT NULL,
    study_id TEXT NOT NULL UNIQUE,
    number INTEGER NOT NULL UNIQUE,
    screening_id TEXT NOT NULL UNIQUE REFERENCES screenings(id),
    strata TEXT NOT NULL,
    race TEXT NOT NULL,
    ethnicity TEXT NOT NULL,
    sex TEXT NOT NULL,
    age_band TEXT NOT NULL,
    newly_diagnosed BOOLEAN NOT NULL,
    disease_course TEXT NOT NULL,
    preferred_language TEXT NOT NULL,
    enrolled_at TIMESTAMP NOT NULL,
    enrolled_by TEXT,
    withdrawn_at TIMESTAMP,
    withdrawal_reason TEXT,
    withdrawal_keep_data BOOLEAN
);

-- Identifying data, apart from the study record; read only by roles that need it.
CREATE TABLE participant_contacts (
    participant_id TEXT PRIMARY KEY NOT NULL REFERENCES participants(id),
    full_name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    email_key TEXT UNIQUE,
    phone_key TEXT UNIQUE
);

CREATE TABLE consents (
    id TEXT PRIMARY KEY NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants(id),
    form_version TEXT NOT NULL,
    signature_name TEXT NOT NULL,
    signed_at TIMESTAMP NOT NULL,
    witness_user_id TEXT,
    language TEXT NOT NULL
);
CREATE INDEX consents_participant ON consents(participant_id);

CREATE TABLE allocations (
    participant_id TEXT PRIMARY KEY NOT NULL REFERENCES participants(id),
    seq BIGINT NOT NULL UNIQUE,
    arm_id TEXT NOT NULL,
    stratum TEXT NOT NULL,
    stratum_index INTEGER NOT NULL,
    method TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    protocol_version INTEGER NOT NULL,
    allocated_at TIMESTAMP NOT NULL,
    allocated_by TEXT,
    UNIQUE (stratum, stratum_index)
);

CREATE TABLE unblindings (
    id TEXT PRIMARY KEY NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants(id),
    user_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    unblinded_at TIMESTAMP NOT NULL
);

-- Things admins must see (emergency unblinding now; mailed through the outbox later).
CREATE TABLE notices (
    id TEXT PRIMARY KEY NOT NULL,
    created_at TIMESTAMP NOT NULL,
    audience TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL
);
