-- Cluster operations: a node's state as the operator and its own shutdown set it (leadership
-- moves away from a node shutting down; every replica moves away from a draining one), and a
-- partition's target replicas while a reassignment moves it (empty when none is under way).
ALTER TABLE "brokers" ADD COLUMN "state" VARCHAR(16) NOT NULL DEFAULT 'active';
ALTER TABLE "partitions" ADD COLUMN "target_replicas" INTEGER[] DEFAULT ARRAY[]::INTEGER[];

