-- Call-log batches already committed. The writer records a batch's id in the same transaction as
-- its rows; a batch it spooled because the answer to its COMMIT was lost (PostgreSQL went away
-- at that moment) is found here on replay and not written twice. Kept two days (CallLogWriter).
CREATE TABLE call_log_batches (
    id uuid PRIMARY KEY,
    committed_at timestamptz NOT NULL DEFAULT now()
);

-- Trimmed every ten minutes by age; without this the trim would read the whole table.
CREATE INDEX call_log_batches_committed_at_idx ON call_log_batches (committed_at);
