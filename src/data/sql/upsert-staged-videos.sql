-- Merges staged video rows into `videos`: a staged non-NULL value replaces the stored one, a
-- staged NULL keeps it. Standard SQL has MERGE for this; delete + insert of the merged rows
-- runs on every engine (and inside the caller's transaction it is atomic).
-- DuckDB: CREATE OR REPLACE TEMP TABLE; standard: CREATE LOCAL TEMPORARY TABLE … AS
CREATE OR REPLACE TEMP TABLE merged_videos AS
SELECT
  s.item_id,
  COALESCE(s.duration_ms, v.duration_ms) AS duration_ms,
  COALESCE(s.category, v.category) AS category,
  COALESCE(s.author_id, v.author_id) AS author_id,
  COALESCE(s.video_type, v.video_type) AS video_type,
  COALESCE(s.upload_type, v.upload_type) AS upload_type,
  COALESCE(s.upload_date, v.upload_date) AS upload_date,
  COALESCE(s.visible_status, v.visible_status) AS visible_status,
  COALESCE(s.width, v.width) AS width,
  COALESCE(s.height, v.height) AS height,
  COALESCE(s.music_id, v.music_id) AS music_id,
  COALESCE(s.music_type, v.music_type) AS music_type,
  COALESCE(s.tags, v.tags) AS tags
FROM (
  SELECT
    *,
    -- DuckDB: `rowid` pseudo-column; standard: an explicit sequence column
    row_number() OVER (PARTITION BY item_id ORDER BY rowid DESC) AS copy_no
  FROM staged_videos
) AS s
LEFT JOIN videos AS v ON v.item_id = s.item_id
WHERE s.copy_no = 1;

DELETE FROM videos WHERE item_id IN (SELECT item_id FROM merged_videos);

INSERT INTO videos (
  item_id, duration_ms, category, author_id, video_type, upload_type, upload_date, visible_status, width, height,
  music_id, music_type, tags
)
SELECT
  item_id, duration_ms, category, author_id, video_type, upload_type, upload_date, visible_status, width, height,
  music_id, music_type, tags
FROM merged_videos;

DROP TABLE merged_videos;
