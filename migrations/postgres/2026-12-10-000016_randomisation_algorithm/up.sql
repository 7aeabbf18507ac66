-- The allocation algorithm each protocol version randomises with: versions stored before
-- allocation-ratio-preserving minimisation keep the algorithm their allocations were made with.
ALTER TABLE protocol_versions ADD COLUMN randomisation_algorithm TEXT NOT NULL DEFAULT 'chacha20-hmac-sha256-v1';
-- Minimisation (v2) balances over slots, one per unit of an arm's ratio (2:1 gives arm A two
-- slots and arm B one); the slot an allocation took, so later allocations can count them.
ALTER TABLE allocations ADD COLUMN slot INTEGER;
