-- Session boundaries of every play, in one pass over each user's plays ordered by
-- (ts_ms, event_id) (DESIGN.md "MDP"). A play starts a session when it is the user's first, or
-- when it carries a session_id that differs from the previous play's, or when a logged
-- session_id starts or stops, or — neither play carrying one — when the gap since the previous
-- play exceeds the inactivity threshold. A play is the last of its session when the next play
-- (by the same rule) starts one, or when there is no next play.
--
-- Parameters: $inactivity_ms (BIGINT) — the gap, in ms, that ends a session (default 30 min).
--   DuckDB named parameter; standard equivalent: a positional `?` bound to the same value.
-- Template: the slot after FROM below is the events table, or a parenthesised subquery over
--   it (e.g. the events of some users only); src/data/sessions.ts fills it in.
--
-- Output: every column of `events`, plus
--   starts_user          1 on the user's first play, else 0
--   starts_session       1 on the first play of a session, else 0
--   is_last_in_session   1 on the last play of a session, else 0
--   exit_outcome         outcome_exit when logged, else derived: 1 on the last play, 0 otherwise
-- Rows come unordered; standard SQL:2003 window functions (LAG, LEAD) over one WINDOW.
WITH neighbours AS (
  SELECT
    e.*,
    LAG(e.ts_ms) OVER user_time AS prev_ts_ms,
    LAG(e.session_id) OVER user_time AS prev_session_id,
    LEAD(e.ts_ms) OVER user_time AS next_ts_ms,
    LEAD(e.session_id) OVER user_time AS next_session_id
  FROM ${events} AS e
  WINDOW user_time AS (PARTITION BY e.user_id ORDER BY e.ts_ms, e.event_id)
),
bounds AS (
  SELECT
    n.*,
    CASE WHEN n.prev_ts_ms IS NULL THEN 1 ELSE 0 END AS starts_user,
    CASE
      WHEN n.prev_ts_ms IS NULL THEN 1
      WHEN n.session_id IS NOT NULL AND n.prev_session_id IS NOT NULL
        THEN CASE WHEN n.session_id <> n.prev_session_id THEN 1 ELSE 0 END
      WHEN n.session_id IS NOT NULL OR n.prev_session_id IS NOT NULL THEN 1
      WHEN n.ts_ms - n.prev_ts_ms > $inactivity_ms THEN 1
      ELSE 0
    END AS starts_session,
    -- The same rule, seen from the next play.
    CASE
      WHEN n.next_ts_ms IS NULL THEN 1
      WHEN n.next_session_id IS NOT NULL AND n.session_id IS NOT NULL
        THEN CASE WHEN n.next_session_id <> n.session_id THEN 1 ELSE 0 END
      WHEN n.next_session_id IS NOT NULL OR n.session_id IS NOT NULL THEN 1
      WHEN n.next_ts_ms - n.ts_ms > $inactivity_ms THEN 1
      ELSE 0
    END AS is_last_in_session
  FROM neighbours AS n
)
SELECT
  b.*,
  COALESCE(CAST(b.outcome_exit AS INTEGER), b.is_last_in_session) AS exit_outcome
FROM bounds AS b
