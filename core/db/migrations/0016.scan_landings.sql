-- Files landing while their source is being scanned join that scan (core/scans/triggers.py): each
-- landing bumps landed_seq; each discovery round records the landed_seq it started from, and the scan is
-- not finished while a landing it joined has not been discovered (the saga discovers again, at most
-- core.scans.service.MAX_DISCOVERY_ROUNDS times).
-- depends: 0009.scans

ALTER TABLE scans
    ADD COLUMN landed_seq       integer NOT NULL DEFAULT 0,
    ADD COLUMN discovered_seq   integer NOT NULL DEFAULT 0,
    ADD COLUMN discovery_rounds integer NOT NULL DEFAULT 0;
