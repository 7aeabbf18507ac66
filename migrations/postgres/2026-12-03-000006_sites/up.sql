-- Sites: every screening and participant belongs to one; staff see all sites or a granted list.
-- Keep in step with the sqlite folder of the same name (a test compares them).
CREATE TABLE sites (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    recruitment_target INTEGER,
    created_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);
-- A database from before sites: everything so far happened at one site, called `main`.
INSERT INTO sites (code, name, status, recruitment_target, created_at)
    VALUES ('main', 'Main site', 'open', NULL, CURRENT_TIMESTAMP);

ALTER TABLE screenings ADD COLUMN site TEXT NOT NULL DEFAULT 'main' REFERENCES sites(code);
ALTER TABLE participants ADD COLUMN site TEXT NOT NULL DEFAULT 'main' REFERENCES sites(code);
-- The site a participant was randomised at: with `stratify_by_site` it is part of their stratum,
-- and replay must see it as it was then, whatever transfers came later.
ALTER TABLE allocations ADD COLUMN site TEXT NOT NULL DEFAULT 'main' REFERENCES sites(code);
CREATE INDEX screenings_site ON screenings(site);
CREATE INDEX participants_site ON participants(site);

-- Every account that exists keeps what it had: access to all sites.
ALTER TABLE users ADD COLUMN all_sites BOOLEAN NOT NULL DEFAULT TRUE;
CREATE TABLE user_sites (
    user_id TEXT NOT NULL REFERENCES users(id),
    site TEXT NOT NULL REFERENCES sites(code),
    PRIMARY KEY (user_id, site)
);

-- Who hears of a safety alert first at each site; the study's list (safety_contacts) follows.
CREATE TABLE site_safety_contacts (
    site TEXT NOT NULL REFERENCES sites(code),
    position INTEGER NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (site, position)
);
