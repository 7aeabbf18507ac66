ALTER TABLE users DROP COLUMN password_set_at;
