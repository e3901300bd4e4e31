"""Distributed capture: workers on a Celery queue, one catalogue writer.

    dispatch.py   archive --queue / sweep --queue: the catalogue's answers, tasks out, wait
    engine.py     the Celery app on Redis, its queues, its time limits and visibility timeout
    wire.py       tasks and results as JSON
    tasks.py      archiver worker: a task captured against a Recorder; files to the blob store
    recorder.py   the Catalogue a worker has: answers from its task, records what it is told
    ingest.py     a result replayed into archive.db (Store), once, in one transaction
    writer.py     archiver ingest: the one writer, results acknowledged once written
    status.py     archiver queue status

Nothing here is imported unless ``--queue`` (or ``worker``, ``ingest``, ``queue``) is used.
"""
