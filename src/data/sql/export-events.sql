-- Writes events as Parquet, one folder per local calendar day: events/day=YYYY-MM-DD/*.parquet.
-- ${offsetMs}: the time zone's offset from UTC in ms; ${target}: the events folder (a literal).
-- Local day: DuckDB: epoch_ms(bigint) → TIMESTAMP;
--   standard: CAST(TIMESTAMP '1970-01-01 00:00:00' + (ts_ms + off) * INTERVAL '0.001' SECOND AS DATE)
--   Spark: to_date(timestamp_millis(ts_ms + off)).
-- DuckDB: COPY … TO … (FORMAT PARQUET, PARTITION_BY (day));
--   Spark: df.write.partitionBy("day").parquet(…) / Hive, Trino: INSERT INTO a table PARTITIONED BY (day).
COPY (
  SELECT *, CAST(epoch_ms(ts_ms + ${offsetMs}) AS DATE) AS day
  FROM events
  ORDER BY ts_ms, event_id
) TO ${target} (FORMAT PARQUET, PARTITION_BY (day), FILENAME_PATTERN 'events_{i}')
