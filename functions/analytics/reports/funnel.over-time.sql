-- funnel, overTime (docs/analytics.md#funnel): customers in each stage of $journey at the end of
-- each week (Monday to Sunday; the last week ends with $to), at most the last 104 weeks.
WITH
scoped AS (
  SELECT customer_id FROM scoped_customers($to, $segment, NULL)
),
stages AS (
  SELECT stage_id, position FROM journey_stages WHERE journey_id = $journey
),
spells AS MATERIALIZED (
  SELECT m.member AS stage_id, m.entered_at, m.exited_at
  FROM memberships m
  WHERE m.kind = 'stage'
    AND m.scope = $journey
    AND m.entered_at < end_of($to)
    AND m.customer_id IN (SELECT customer_id FROM scoped)
),
bounds AS (
  SELECT
    CAST(greatest(
      date_trunc('week', coalesce(CAST($from AS DATE), CAST(min(entered_at) AS DATE))),
      date_trunc('week', CAST($to AS DATE)) - INTERVAL 103 WEEK
    ) AS DATE) AS first_week,
    CAST(date_trunc('week', CAST($to AS DATE)) AS DATE) AS last_week,
    coalesce(CAST($from AS DATE), CAST(min(entered_at) AS DATE)) IS NOT NULL AS has_start
  FROM spells
),
weeks AS (
  SELECT CAST(week AS DATE) AS week
  FROM bounds, range(CAST(first_week AS TIMESTAMP), CAST(last_week AS TIMESTAMP) + INTERVAL 1 WEEK, INTERVAL 1 WEEK) AS t(week)
  WHERE has_start
),
-- A spell counts from the week it was entered to the week before it was exited; both clamped to
-- the first week, so earlier history adds up into it.
changes AS (
  SELECT stage_id, week, sum(change) AS change
  FROM (
    SELECT stage_id, greatest(CAST(date_trunc('week', entered_at) AS DATE), first_week) AS week, 1 AS change
    FROM spells, bounds
    UNION ALL
    SELECT stage_id, greatest(CAST(date_trunc('week', exited_at) AS DATE), first_week) AS week, -1 AS change
    FROM spells, bounds
    WHERE exited_at < end_of($to)
  )
  GROUP BY stage_id, week
),
counts AS (
  SELECT
    w.week,
    s.stage_id,
    s.position,
    sum(coalesce(c.change, 0)) OVER (PARTITION BY s.stage_id ORDER BY w.week) AS customers
  FROM weeks w
  CROSS JOIN stages s
  LEFT JOIN changes c ON c.stage_id = s.stage_id AND c.week = w.week
)
SELECT week, list({'id': stage_id, 'customers': customers} ORDER BY position) AS stages
FROM counts
GROUP BY week
ORDER BY week;
