-- The log store's tables besides `events`, whose DDL is generated from EVENT_COLUMNS
-- (src/core/events.ts) so the event schema has one home.

-- Key/value facts about the store: schema_version, user_profile_features (JSON array).
CREATE TABLE IF NOT EXISTS meta (
  key VARCHAR PRIMARY KEY,
  value VARCHAR NOT NULL
);

-- One row per user. `profile` holds the numeric profile features in the order that
-- meta.user_profile_features names; the state encoder owns their scaling.
CREATE TABLE IF NOT EXISTS users (
  user_id VARCHAR PRIMARY KEY,
  -- DuckDB: DOUBLE[] (a LIST); standard: DOUBLE PRECISION ARRAY / Spark, Trino: ARRAY<DOUBLE>
  profile DOUBLE[] NOT NULL
);

-- One row per item seen in the events or named by a video-features file.
CREATE TABLE IF NOT EXISTS videos (
  item_id VARCHAR PRIMARY KEY,
  -- NULL when unknown (no features file and no log row with a positive duration).
  duration_ms BIGINT CHECK (duration_ms >= 0),
  -- Primary category (KuaiRand: the first of the video's tags).
  category VARCHAR,
  author_id VARCHAR,
  video_type VARCHAR,
  upload_type VARCHAR,
  upload_date DATE,
  visible_status VARCHAR,
  width INTEGER,
  height INTEGER,
  music_id VARCHAR,
  music_type VARCHAR,
  -- All tags, comma-separated, as the source lists them.
  tags VARCHAR
);
