-- The language a staff account's pages speak (docs/decisions/0005): one of the study's languages,
-- English until the person chooses. Keep in step with the other backend's folder of the same name.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
