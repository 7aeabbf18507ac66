DROP TABLE notices;
DROP TABLE unblindings;
DROP TABLE allocations;
DROP TABLE consents;
DROP TABLE participant_contacts;
DROP TABLE participants;
DROP TABLE screenings;
