-- Replaces the profiles of the staged users (the last staged copy of a user wins). Standard
-- SQL has MERGE for this; delete + insert runs on every engine and is atomic in a transaction.
DELETE FROM users WHERE user_id IN (SELECT user_id FROM staged_users);

INSERT INTO users (user_id, profile)
SELECT s.user_id, s.profile
FROM (
  SELECT
    *,
    -- DuckDB: `rowid` pseudo-column; standard: an explicit sequence column
    row_number() OVER (PARTITION BY user_id ORDER BY rowid DESC) AS copy_no
  FROM staged_users
) AS s
WHERE s.copy_no = 1;
