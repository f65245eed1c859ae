-- funnel (docs/analytics.md#funnel): per stage of $journey, who is in it at the end of $to, who
-- entered it (from $from on), and how many of those went on to a later stage.
WITH
scoped AS (
  SELECT customer_id FROM scoped_customers($to, $segment, NULL)
),
stages AS (
  SELECT stage_id, stage_name, position FROM journey_stages WHERE journey_id = $journey
),
spells AS MATERIALIZED (
  SELECT m.customer_id, m.member AS stage_id, m.position, m.entered_at, m.exited_at
  FROM memberships m
  WHERE m.kind = 'stage'
    AND m.scope = $journey
    AND m.entered_at < end_of($to)
    AND m.customer_id IN (SELECT customer_id FROM scoped)
),
-- Each customer's first entry into each stage within the window.
entries AS MATERIALIZED (
  SELECT customer_id, stage_id, min(position) AS position, min(entered_at) AS entered_at
  FROM spells
  WHERE $from IS NULL OR entered_at >= CAST($from AS TIMESTAMP)
  GROUP BY customer_id, stage_id
),
-- The first entry into any later stage at or after that entry.
onward AS (
  SELECT e.customer_id, e.stage_id, min(later.entered_at) AS next_at
  FROM entries e
  JOIN spells later
    ON later.customer_id = e.customer_id AND later.position > e.position AND later.entered_at >= e.entered_at
  GROUP BY e.customer_id, e.stage_id
),
entered AS (
  SELECT
    e.stage_id,
    count(*) AS entered,
    count(o.next_at) AS converted,
    median(days_between(e.entered_at, o.next_at)) AS median_days
  FROM entries e
  LEFT JOIN onward o USING (customer_id, stage_id)
  GROUP BY e.stage_id
),
now AS (
  SELECT stage_id, count(DISTINCT customer_id) AS now
  FROM spells
  WHERE open_at(entered_at, exited_at, end_of($to))
  GROUP BY stage_id
),
figures AS (
  SELECT
    s.stage_id AS id,
    s.stage_name AS name,
    s.position,
    coalesce(now.now, 0) AS now,
    coalesce(e.entered, 0) AS entered,
    coalesce(e.converted, 0) AS converted,
    CASE WHEN s.position < max(s.position) OVER () THEN ratio(coalesce(e.converted, 0), coalesce(e.entered, 0)) END
      AS conversion,
    e.median_days AS median_days
  FROM stages s
  LEFT JOIN entered e USING (stage_id)
  LEFT JOIN now USING (stage_id)
)
SELECT
  (SELECT {'id': journey_id, 'name': journey_name} FROM journey_definitions WHERE journey_id = $journey) AS journey,
  coalesce((
    SELECT list(
      {
        'id': id, 'name': name, 'position': position, 'now': now, 'entered': entered, 'converted': converted,
        'conversion': conversion, 'medianDaysToNext': median_days
      }
      ORDER BY position
    )
    FROM figures
  ), []) AS stages,
  (
    SELECT {'id': id, 'name': name}
    FROM figures
    WHERE conversion IS NOT NULL AND entered > 0
    ORDER BY conversion, position
    LIMIT 1
  ) AS bottleneck;
