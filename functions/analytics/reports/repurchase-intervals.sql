-- repurchase-intervals (docs/analytics.md#repurchase-intervals): Kaplan–Meier curves of the
-- whole days from a customer's 1st to 2nd and 2nd to 3rd counted order, censored at the end of $to.
WITH
cohort_orders AS MATERIALIZED (
  SELECT customer_id, n, placed_at
  FROM counted_orders($to, $segment, $journey)
  WHERE in_window(first_at, $from, $to) AND n <= 3
),
transitions AS (
  SELECT * FROM (VALUES (1), (2)) AS t(k)
),
-- One subject per customer with a kth order: an event at the (k+1)th order, else censored.
subjects AS MATERIALIZED (
  SELECT
    t.k,
    o.customer_id,
    next.placed_at IS NOT NULL AS event,
    whole_days(o.placed_at, coalesce(next.placed_at, end_of($to))) AS day
  FROM transitions t
  JOIN cohort_orders o ON o.n = t.k
  LEFT JOIN cohort_orders next ON next.customer_id = o.customer_id AND next.n = t.k + 1
),
by_day AS (
  SELECT
    k,
    day,
    count(*) FILTER (WHERE event) AS events,
    count(*) FILTER (WHERE NOT event) AS censored,
    count(*) AS leaving
  FROM subjects
  GROUP BY k, day
),
-- At risk on day t: subjects whose time is t or later (those censored on t included).
at_risk AS (
  SELECT k, day, events, censored, sum(leaving) OVER (PARTITION BY k ORDER BY day DESC) AS at_risk
  FROM by_day
),
curve AS MATERIALIZED (
  SELECT
    k,
    day,
    at_risk,
    events,
    censored,
    product(1 - events / at_risk) OVER (PARTITION BY k ORDER BY day ROWS UNBOUNDED PRECEDING) AS survival
  FROM at_risk
  WHERE events > 0
),
reached AS (
  SELECT k, 1 - min(survival) AS returned FROM curve GROUP BY k
),
levels AS (
  SELECT unnest([10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90]) AS p
),
-- The first day the curve reaches each level; 1e-9 absorbs rounding in the running product.
percentiles AS (
  SELECT
    t.k,
    l.p,
    min(c.day) FILTER (WHERE 1 - c.survival >= l.p / 100 - 1e-9) AS day,
    min(c.day) FILTER (WHERE 1 - c.survival >= l.p / 100 * r.returned - 1e-9) AS returners_day
  FROM transitions t
  CROSS JOIN levels l
  LEFT JOIN reached r ON r.k = t.k
  LEFT JOIN curve c ON c.k = t.k
  GROUP BY t.k, l.p
),
per_transition AS (
  SELECT
    t.k,
    (SELECT count(*) FROM subjects s WHERE s.k = t.k) AS subjects,
    (SELECT count(*) FILTER (WHERE event) FROM subjects s WHERE s.k = t.k) AS events,
    (SELECT count(*) FILTER (WHERE NOT event) FROM subjects s WHERE s.k = t.k) AS censored,
    coalesce((
      SELECT list(
        {
          'day': day, 'atRisk': at_risk, 'events': events, 'censored': censored,
          'survival': survival, 'repurchased': 1 - survival
        }
        ORDER BY day
      )
      FROM curve c
      WHERE c.k = t.k
    ), []) AS curve,
    (SELECT list({'p': p, 'day': day} ORDER BY p) FROM percentiles x WHERE x.k = t.k) AS percentiles,
    (
      SELECT list({'p': p, 'day': returners_day} ORDER BY p) FROM percentiles x WHERE x.k = t.k
    ) AS returners
  FROM transitions t
)
SELECT
  list(
    {
      'fromOrder': k, 'toOrder': k + 1, 'subjects': subjects, 'events': events, 'censored': censored,
      'curve': curve, 'percentiles': percentiles, 'percentilesOfReturners': returners
    }
    ORDER BY k
  ) AS transitions
FROM per_transition;
