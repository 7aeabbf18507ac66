-- Support groups, their members, sessions, attendance, and each participant's phase timeline.
-- Keep in step with the sqlite folder of the same name (a test compares them).
CREATE TABLE support_groups (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    arm_id TEXT NOT NULL,
    moderator_id TEXT NOT NULL REFERENCES users(id),
    language TEXT NOT NULL,
    affinity_tags TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    min_size INTEGER NOT NULL,
    weekday INTEGER NOT NULL,
    local_time TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    start_date TEXT NOT NULL,
    status TEXT NOT NULL,
    launched_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

-- One group at a time per participant.
CREATE TABLE group_members (
    participant_id TEXT PRIMARY KEY NOT NULL REFERENCES participants(id),
    group_id TEXT NOT NULL REFERENCES support_groups(id),
    joined_at TIMESTAMP NOT NULL
);
CREATE INDEX group_members_group ON group_members(group_id);

CREATE TABLE group_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES support_groups(id),
    number INTEGER NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    minutes INTEGER NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    UNIQUE (group_id, number)
);

CREATE TABLE attendance (
    session_id TEXT NOT NULL REFERENCES group_sessions(id),
    participant_id TEXT NOT NULL REFERENCES participants(id),
    status TEXT NOT NULL,
    minutes INTEGER,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, participant_id)
);

-- waiting (waitlist period) → queued (for a group) → in_group → follow_up; dates in the study's zone.
CREATE TABLE participant_phases (
    participant_id TEXT NOT NULL REFERENCES participants(id),
    phase TEXT NOT NULL,
    started_on TEXT NOT NULL,
    ended_on TEXT,
    PRIMARY KEY (participant_id, phase)
);
