-- Per-play rows in (user, time) order with session ids (DESIGN.md "MDP", "Storage and scale"):
-- session-bounds.sql decides where sessions start and end (the log's session_id, else an
-- inactivity gap) and derives the exit outcome; this numbers the sessions.
--
-- Parameters: $inactivity_ms, as in session-bounds.sql.
-- Template: the slot after FROM below is session-bounds.sql as a parenthesised subquery
--   (src/data/sessions.ts fills it).
--
-- Output: every column of session-bounds.sql, plus
--   session_seq          1-based number of the session within the user
--   session_key          user_id || ':' || session_seq, unique across the log
--   position_in_session  0-based position of the play in its session
--   session_start_ms     ts_ms of the session's first play
-- Standard SQL:2003 running window aggregates (SUM / MAX OVER … ROWS UNBOUNDED PRECEDING).
WITH numbered AS (
  SELECT
    b.*,
    ROW_NUMBER() OVER user_time AS user_play_number,
    SUM(b.starts_session) OVER running AS session_seq,
    MAX(CASE WHEN b.starts_session = 1 THEN b.ts_ms END) OVER running AS session_start_ms
  FROM ${bounds} AS b
  WINDOW
    user_time AS (PARTITION BY b.user_id ORDER BY b.ts_ms, b.event_id),
    running AS (user_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
positioned AS (
  SELECT
    n.*,
    n.user_play_number - MAX(CASE WHEN n.starts_session = 1 THEN n.user_play_number END) OVER (
      PARTITION BY n.user_id ORDER BY n.ts_ms, n.event_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS position_in_session
  FROM numbered AS n
)
SELECT
  p.*,
  p.user_id || ':' || CAST(p.session_seq AS VARCHAR) AS session_key
FROM positioned AS p
ORDER BY p.user_id, p.ts_ms, p.event_id
