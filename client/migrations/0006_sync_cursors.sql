-- Online sync beyond packets: `cursor` holds the last publication applied (job 'publications')
-- and the issue time of the last operator list applied (job 'operators'). Only the 'packets'
-- job's successes count as the machine's last sync for the freeze and retention rules.
ALTER TABLE sync_state ADD COLUMN cursor INTEGER;
