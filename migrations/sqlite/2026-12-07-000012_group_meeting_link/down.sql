ALTER TABLE support_groups DROP COLUMN meeting_url;
