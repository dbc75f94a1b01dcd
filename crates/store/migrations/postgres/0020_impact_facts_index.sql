-- The impact reports read every admission, suspension and reinstatement in the order they
-- were decided. This index holds every column they read, in that order: a national district's
-- 558,000 decisions are read in 0.08 s instead of 0.83 s (through the decision index, a look-up
-- of each row and a sort).
CREATE INDEX membership_decisions_facts
    ON membership_decisions (decided_at, decision, subject_kind, subject_id);
