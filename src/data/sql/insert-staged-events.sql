-- Moves a staged batch into `events`, skipping event ids already stored and keeping the
-- first copy of an id repeated inside the batch, so a re-sent event is stored once.
-- ${columns}: the events columns; ${values}: the same, cast from the staging types.
INSERT INTO events (${columns})
SELECT ${values}
FROM (
  SELECT
    s.*,
    -- DuckDB: `rowid` pseudo-column (staging order); standard: an explicit sequence column
    row_number() OVER (PARTITION BY s.event_id ORDER BY s.rowid) AS copy_no
  FROM staged_events AS s
) AS staged
WHERE staged.copy_no = 1
  AND NOT EXISTS (SELECT 1 FROM events AS e WHERE e.event_id = staged.event_id)
