-- Indexes that let the home page read the newest admissions and members without scanning
-- or sorting the whole decision log and directory (national scale: 558,000 log entries).
CREATE INDEX membership_decisions_decision_at ON membership_decisions (decision, decided_at);
CREATE INDEX organizations_status_charter ON organizations (status, charter_signed_at);
