-- Keeps `videos` a catalogue of every item in `events`: items first seen in the staged batch
-- are added, and a duration the catalogue lacks is taken from the log (0 = unknown).
INSERT INTO videos (item_id, duration_ms)
SELECT s.item_id, CAST(max(NULLIF(s.duration_ms, 0)) AS BIGINT)
FROM staged_events AS s
WHERE NOT EXISTS (SELECT 1 FROM videos AS v WHERE v.item_id = s.item_id)
GROUP BY s.item_id;

UPDATE videos
SET duration_ms = (
  SELECT CAST(max(NULLIF(s.duration_ms, 0)) AS BIGINT)
  FROM staged_events AS s
  WHERE s.item_id = videos.item_id
)
WHERE videos.duration_ms IS NULL
  AND videos.item_id IN (SELECT s.item_id FROM staged_events AS s WHERE s.duration_ms > 0);
