DROP TABLE site_safety_contacts;
DROP TABLE user_sites;
ALTER TABLE users DROP COLUMN all_sites;
DROP INDEX participants_site;
DROP INDEX screenings_site;
ALTER TABLE participants DROP COLUMN site;
ALTER TABLE screenings DROP COLUMN site;
ALTER TABLE allocations DROP COLUMN site;
DROP TABLE sites;
