-- When a decision's effect was claimed for applying (pending → applying). A claim older than a
-- few minutes is one a stopped server left: the governance job then finishes it from what the
-- effect left behind (applied when its trace is there, failed, for a coordinator to retry,
-- when not), instead of leaving it "applying" for ever. Not exported: an imported decision
-- still applying counts as left long ago.
ALTER TABLE gov_proposals ADD COLUMN effect_claimed_at TIMESTAMPTZ;
