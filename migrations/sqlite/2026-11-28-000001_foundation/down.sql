DROP TABLE audit_head;
DROP TABLE audit_log;
DROP TABLE study_state;
DROP TABLE protocol_versions;
DROP TABLE api_tokens;
DROP TABLE users;
