-- Idempotency-Key answers are no longer stored here: every batch a keyed request writes carries
-- the key as its producer identity, and each partition log remembers its producers' last
-- batches (rebuilt from the log after a crash).
DROP TABLE "idempotency_records";
