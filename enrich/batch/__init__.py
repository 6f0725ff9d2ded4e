"""Batch drafting of a whole inbox: concurrent, cached, resumable, never overwriting a person's edits.

    run.py       the scheduling: workers, rounds for parked files, warm-up, Ctrl-C (`BatchRun`)
    files.py     one input start to finish: skip, cache, draft within the budget, write, record
    plan.py      the dry run, and the rules a run shares with it (name clashes, skip reasons)
    state.py     the site's `.enrich/` state: manifest, review log, draft cache, path keys, the inbox
    cache.py     the storage under it: content-addressed drafts, crash-safe JSONL logs
    lock.py      one run per inbox
    prices.py    prices and the --max-cost budget
    progress.py  counts for the progress view; stop.py: why a run stopped starting files
    report.py    per-file and total results, the exit status, the --report file

Each name is imported from the module that owns it; this package imports nothing, so that review,
which needs only `state`, does not load the scheduler.
"""
