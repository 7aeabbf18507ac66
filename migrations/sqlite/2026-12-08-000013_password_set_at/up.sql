-- When the account's password was last set (issue 17): a one-time password stops working
-- `one_time_password_hours` after it was issued. Null for rows older than this column: their
-- `updated_at` stands in. Keep in step with the other backend's folder of the same name.
ALTER TABLE users ADD COLUMN password_set_at TIMESTAMP;
