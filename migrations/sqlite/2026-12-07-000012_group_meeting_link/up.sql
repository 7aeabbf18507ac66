-- The video meeting a group meets in (issue 16): shown to its members on their personal page and
-- in the "your group is ready" message. Optional: a group may be formed before its room exists.
-- Keep in step with the other backend's folder of the same name.
ALTER TABLE support_groups ADD COLUMN meeting_url TEXT;
