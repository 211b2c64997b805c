-- The cluster: its identity and RPC secret, the controller epoch, the node registry, and a
-- metadata version that every change to tenants, keys, topics and partitions bumps.

-- CreateTable
CREATE TABLE "cluster" (
    "id" INTEGER NOT NULL,
    "cluster_id" UUID NOT NULL,
    "rpc_secret" CHAR(64) NOT NULL,
    "controller_epoch" INTEGER NOT NULL DEFAULT 0,
    "controller_id" INTEGER NOT NULL DEFAULT -1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cluster_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "metadata_version" (
    "id" INTEGER NOT NULL,
    "version" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "metadata_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "brokers" (
    "id" INTEGER NOT NULL,
    "host" VARCHAR(255) NOT NULL,
    "port" INTEGER NOT NULL,
    "rpc_port" INTEGER NOT NULL,
    "kafka_port" INTEGER NOT NULL DEFAULT 0,
    "incarnation" UUID NOT NULL,
    "registered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "brokers_pkey" PRIMARY KEY ("id")
);

INSERT INTO "metadata_version" ("id", "version") VALUES (1, 0);

-- SET search_path FROM CURRENT: the function finds its table in the schema it was made in.
CREATE FUNCTION "bump_metadata_version"() RETURNS trigger LANGUAGE plpgsql
  SET search_path FROM CURRENT AS $$
BEGIN
  UPDATE "metadata_version" SET "version" = "version" + 1 WHERE "id" = 1;
  RETURN NULL;
END
$$;

CREATE TRIGGER "tenants_bump_metadata_version" AFTER INSERT OR UPDATE OR DELETE ON "tenants"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_metadata_version"();
CREATE TRIGGER "api_keys_bump_metadata_version" AFTER INSERT OR UPDATE OR DELETE ON "api_keys"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_metadata_version"();
CREATE TRIGGER "topics_bump_metadata_version" AFTER INSERT OR UPDATE OR DELETE ON "topics"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_metadata_version"();
CREATE TRIGGER "partitions_bump_metadata_version" AFTER INSERT OR UPDATE OR DELETE ON "partitions"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_metadata_version"();
