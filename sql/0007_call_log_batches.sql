-- Call-log batches already committed. The writer records a batch's id in the same transaction as
-- its rows; a batch it spooled because the answer to its COMMIT was lost (PostgreSQL went away
-- at that moment) is found here on replay and not written twice. Trimmed with the call logs.
CREATE TABLE call_log_batches (
    id uuid PRIMARY KEY,
    committed_at timestamptz NOT NULL DEFAULT now()
);
