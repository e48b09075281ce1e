"""Background work: periodic jobs on an RQ queue in Redis, run by `flask --app app jobs worker`
and scheduled by `flask --app app jobs scheduler` (or one cron line running `jobs tick` each
minute). Each run of a job is claimed in Redis per period, so however many schedulers run on however
many machines, a period's run is enqueued once; the jobs themselves are idempotent besides. Work
that fails on every retry becomes a dead letter in the database for staff to retry or dismiss."""
