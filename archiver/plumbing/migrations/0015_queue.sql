-- Distributed capture (archiver.distributed): the catalogue writer's bookkeeping. A run whose
-- work queue workers did is known by the key its dispatcher gave it; each task's result is
-- written once, with the task's id, in the transaction that writes its rows, so a result
-- delivered again (the writer was killed before acknowledging it) is recognised and skipped.
-- Bookkeeping, not evidence: neither table is in the log.
CREATE TABLE queue_runs (
    key TEXT PRIMARY KEY,                           -- the dispatcher's key for the run
    run_id INTEGER NOT NULL REFERENCES runs(id),
    tasks INTEGER NOT NULL,                         -- tasks handed out: the run ends when all are written
    created_at TEXT NOT NULL
);

CREATE TABLE queue_results (
    task TEXT PRIMARY KEY,                          -- the task's id (Celery's)
    run_key TEXT NOT NULL REFERENCES queue_runs(key),
    worker TEXT,                                    -- the worker that sent it
    ingested_at TEXT NOT NULL,
    outcome TEXT NOT NULL                           -- JSON: what the task reports (counts, errors, progress)
);

CREATE INDEX queue_results_run ON queue_results(run_key);
