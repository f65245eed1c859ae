-- segment-growth (docs/analytics.md#segment-growth): members of each segment (or of $segment) at
-- the end of every day up to $to, from the membership spells (backfilled history included).
WITH
scoped AS (
  SELECT customer_id FROM scoped_customers($to, NULL, $journey)
),
chosen AS (
  SELECT segment_id, segment_name, segment_index
  FROM segment_definitions
  WHERE $segment IS NULL OR segment_id = $segment
),
first_order AS (
  SELECT CAST(min(placed_at) AS DATE) AS day
  FROM orders
  WHERE counts AND placed_at < end_of($to) AND customer_id IN (SELECT customer_id FROM scoped)
),
bounds AS (
  SELECT
    coalesce(CAST($from AS DATE), CASE WHEN day IS NOT NULL THEN greatest(day, CAST($to AS DATE) - 730) END) AS first_day,
    CAST($to AS DATE) AS last_day
  FROM first_order
),
days AS (
  SELECT CAST(day AS DATE) AS day
  FROM bounds, range(CAST(first_day AS TIMESTAMP), CAST(last_day AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY) AS t(day)
  WHERE first_day IS NOT NULL
),
spells AS MATERIALIZED (
  SELECT m.member AS segment_id, m.entered_at, m.exited_at
  FROM memberships m
  WHERE m.kind = 'segment'
    AND m.member IN (SELECT segment_id FROM chosen)
    AND m.entered_at < end_of($to)
    AND m.customer_id IN (SELECT customer_id FROM scoped)
),
-- A spell counts from the day it was entered to the day before it was exited; both clamped to
-- the first day, so earlier history adds up into it.
changes AS (
  SELECT segment_id, day, sum(change) AS change
  FROM (
    SELECT segment_id, greatest(CAST(entered_at AS DATE), first_day) AS day, 1 AS change FROM spells, bounds
    UNION ALL
    SELECT segment_id, greatest(CAST(exited_at AS DATE), first_day) AS day, -1 AS change
    FROM spells, bounds
    WHERE exited_at < end_of($to)
  )
  GROUP BY segment_id, day
),
series AS (
  SELECT
    c.segment_id,
    d.day,
    sum(coalesce(x.change, 0)) OVER (PARTITION BY c.segment_id ORDER BY d.day) AS members
  FROM chosen c
  CROSS JOIN days d
  LEFT JOIN changes x ON x.segment_id = c.segment_id AND x.day = d.day
),
per_segment AS (
  SELECT
    c.segment_index,
    {
      'id': c.segment_id,
      'name': c.segment_name,
      'days': coalesce(list({'date': s.day, 'members': s.members} ORDER BY s.day) FILTER (WHERE s.day IS NOT NULL), [])
    } AS segment
  FROM chosen c
  LEFT JOIN series s USING (segment_id)
  GROUP BY c.segment_index, c.segment_id, c.segment_name
)
SELECT coalesce((SELECT list(segment ORDER BY segment_index) FROM per_segment), []) AS segments;
