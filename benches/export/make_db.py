"""Fills a migrated trialdesk SQLite database with a large finished trial, fast, for the export
benchmark: N participants x 4 time points x 3 instruments long rows, every item answered.

Usage: python3 benches/export/make_db.py DATABASE.db PARTICIPANTS
The database must come from `trialdesk migrate` (it holds the bundled protocol). This bypasses
the service layer on purpose: it measures reading and writing exports, not data entry.
"""
import random
import sqlite3
import sys
import uuid

db, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261128)
POINTS = [("baseline", 0), ("week6", 42), ("week12", 84), ("week24", 168)]
ITEMS = {"phq9": [f"phq9_{i}" for i in range(1, 11)], "gad7": [f"gad7_{i}" for i in range(1, 9)],
         "ucla3": [f"ucla3_{i}" for i in range(1, 4)]}
STAMP = "2026-01-05 15:00:00"

con = sqlite3.connect(db)
con.execute("PRAGMA synchronous = OFF")
con.execute("PRAGMA journal_mode = WAL")
screenings, people, allocations, visits, scores, answers = [], [], [], [], [], []


def flush():
    # Every participant has the screening that enrolled them (trialdesk enforces the foreign
    # key; `trialdesk copy` to PostgreSQL checks it).
    con.executemany("INSERT INTO screenings (id, screened_at, referral_source, answers, eligible, failed_criteria, outcome, protocol_version, created_at) VALUES (?,?,?,?,?,?,?,?,?)", screenings)
    con.executemany("INSERT INTO participants (id, study_id, number, screening_id, strata, race, ethnicity, sex, age_band, newly_diagnosed, disease_course, preferred_language, enrolled_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", people)
    con.executemany("INSERT INTO allocations (participant_id, seq, arm_id, stratum, stratum_index, method, algorithm, protocol_version, allocated_at) VALUES (?,?,?,?,?,?,?,?,?)", allocations)
    con.executemany("INSERT INTO assessments (id, participant_id, timepoint, instruments, anchor, target_date, status, completed_at, created_at) VALUES (?,?,?,?,?,?,?,?,?)", visits)
    con.executemany("INSERT INTO scores (assessment_id, instrument, total, prorated, answered, band, scored_at) VALUES (?,?,?,?,?,?,?)", scores)
    con.executemany("INSERT INTO responses (assessment_id, instrument, item, value, answered_at) VALUES (?,?,?,?,?)", answers)
    for rows in (screenings, people, allocations, visits, scores, answers):
        rows.clear()


for number in range(1, n + 1):
    pid = str(uuid.uuid4())
    arm = "support_groups" if number % 2 else "waitlist"
    race = rng.choice(["black", "white", "asian", "other"])
    eth = rng.choice(["hispanic_latinx", "not_hispanic_latinx"])
    screening = str(uuid.uuid4())
    screenings.append((screening, STAMP, "clinic", "{}", 1, "[]", "enrolled", 1, STAMP))
    people.append((pid, f"CON-{number:06d}", number, screening,
                   '{"race_ethnicity":"black","newly_diagnosed":"no"}', race, eth, "female", "40-49", 0,
                   "relapsing_remitting", "en", STAMP))
    allocations.append((pid, number, arm, "black|no", number, "stratified_blocks", "chacha20", 1, STAMP))
    for tp, offset in POINTS:
        vid = str(uuid.uuid4())
        visits.append((vid, pid, tp, "phq9,gad7,ucla3", "randomisation", "2026-02-01", "completed", STAMP, STAMP))
        for inst, items in ITEMS.items():
            values = [rng.randint(1, 3) if inst == "ucla3" else rng.randint(0, 3) for _ in items]
            scores.append((vid, inst, sum(values), 0, len(values), "mild", STAMP))
            answers.extend((vid, inst, item, v, STAMP) for item, v in zip(items, values))
    if number % 2000 == 0:
        flush()
flush()
con.commit()
print(f"{n} participants, {n * 12} long rows")
