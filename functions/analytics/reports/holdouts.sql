-- holdouts (docs/analytics.md#holdouts): per journey stage, how often a stage email decision in the
-- window was followed by a counted order within $days days, for the decisions that sent the email
-- (treated) against those that held the customer out at the same point (control), with the
-- difference, its 95 % interval and p-value, the orders and revenue it is worth, and whether the
-- groups are large enough to tell.
WITH
decided AS MATERIALIZED (
  SELECT customer_id, journey_id, stage_id, entry_id, decided_at, treated
  FROM decisions
  WHERE in_window(decided_at, $from, $to)
    -- $journey chooses the decisions (of that journey's stages), not the customers: a customer
    -- decided at a stage may have left the journey since. $segment chooses customers as
    -- everywhere (which also drops a customer missing from customers.parquet).
    AND ($journey IS NULL OR journey_id = $journey)
    AND customer_id IN (SELECT customer_id FROM scoped_customers($to, $segment, NULL))
),
-- Each decision's counted orders in its conversion window (decided_at, decided_at + $days days]:
-- an order at the decision's own instant was not caused by it. Orders after the end of $to do
-- not exist for the report (the shop as it stood then), so a window reaching past $to is cut
-- there — alike for both groups, which are decided side by side.
followed AS MATERIALIZED (
  SELECT d.journey_id, d.stage_id, d.customer_id, d.entry_id, d.treated, o.currency, o.net
  FROM decided d
  JOIN scoped_orders($to, NULL, NULL) o
    ON o.customer_id = d.customer_id
    AND o.placed_at > d.decided_at
    AND o.placed_at <= d.decided_at + to_days($days)
),
outcomes AS (
  SELECT d.journey_id, d.stage_id, d.treated, count(f.customer_id) AS orders
  FROM decided d
  LEFT JOIN followed f USING (journey_id, stage_id, customer_id, entry_id)
  GROUP BY d.journey_id, d.stage_id, d.customer_id, d.entry_id, d.treated
),
groups AS (
  SELECT
    journey_id,
    stage_id,
    count(*) FILTER (WHERE treated) AS n1,
    count(*) FILTER (WHERE NOT treated) AS n2,
    count(*) FILTER (WHERE treated AND orders > 0) AS x1,
    count(*) FILTER (WHERE NOT treated AND orders > 0) AS x2,
    coalesce(sum(orders) FILTER (WHERE treated), 0) AS orders1,
    coalesce(sum(orders) FILTER (WHERE NOT treated), 0) AS orders2
  FROM outcomes
  GROUP BY journey_id, stage_id
),
rates AS (
  SELECT
    *,
    CASE WHEN n1 > 0 THEN CAST(x1 AS DOUBLE) / CAST(n1 AS DOUBLE) END AS p1,
    CASE WHEN n2 > 0 THEN CAST(x2 AS DOUBLE) / CAST(n2 AS DOUBLE) END AS p2,
    CAST(x1 + x2 AS DOUBLE) / CAST(n1 + n2 AS DOUBLE) AS pooled
  FROM groups
),
-- The difference p1 − p2 is estimated with the unpooled (Wald) standard error for its interval,
-- and tested (H0: p1 = p2) with the pooled one, the standard error under H0.
tested AS (
  SELECT
    *,
    p1 - p2 AS lift,
    sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) AS se,
    CASE WHEN n1 > 0 AND n2 > 0 THEN sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2)) END AS se_pooled,
    -- The difference to plan the sample for: the observed one, or — when there is none to go by
    -- (no difference, or an empty group) — 5 points around the pooled rate, kept inside [0, 1].
    n1 > 0 AND n2 > 0 AND p1 <> p2 AS observed,
    greatest(CAST(0 AS DOUBLE), least(CAST(0.95 AS DOUBLE), pooled - CAST(0.025 AS DOUBLE))) AS base
  FROM rates
),
planned AS (
  SELECT
    *,
    CASE WHEN observed THEN p1 ELSE base + CAST(0.05 AS DOUBLE) END AS a,
    CASE WHEN observed THEN p2 ELSE base END AS b
  FROM tested
),
-- Per group, the decisions needed for 80 % power in a two-sided test at α = 0.05:
-- (z(0.975) + z(0.8))² × (a(1 − a) + b(1 − b)) / (a − b)², and never fewer than 30, below which
-- the normal approximation behind every statistic here is not to be trusted.
sized AS (
  SELECT
    *,
    CAST(greatest(
      ceil(
        (CAST(1.959964 AS DOUBLE) + CAST(0.841621 AS DOUBLE)) * (CAST(1.959964 AS DOUBLE) + CAST(0.841621 AS DOUBLE))
          * (a * (1 - a) + b * (1 - b)) / ((a - b) * (a - b))
      ),
      30
    ) AS BIGINT) AS required
  FROM planned
),
money AS (
  SELECT
    f.journey_id,
    f.stage_id,
    f.currency,
    count(*) AS orders,
    coalesce(sum(f.net) FILTER (WHERE f.treated), 0) AS revenue1,
    coalesce(sum(f.net) FILTER (WHERE NOT f.treated), 0) AS revenue2
  FROM followed f
  GROUP BY f.journey_id, f.stage_id, f.currency
),
-- Money is never added across currencies: incremental revenue per currency, in its minor units.
currencies AS (
  SELECT
    m.journey_id,
    m.stage_id,
    list(
      {
        'currency': m.currency,
        'orders': m.orders,
        'treatedRevenue': m.revenue1,
        'controlRevenue': m.revenue2,
        'incrementalRevenue': CASE WHEN g.n1 > 0 AND g.n2 > 0 THEN CAST(round(
          (CAST(m.revenue1 AS DOUBLE) / CAST(g.n1 AS DOUBLE) - CAST(m.revenue2 AS DOUBLE) / CAST(g.n2 AS DOUBLE))
            * CAST(g.n1 AS DOUBLE)
        ) AS BIGINT) END
      }
      ORDER BY m.orders DESC, m.currency
    ) AS by_currency
  FROM money m
  JOIN groups g USING (journey_id, stage_id)
  GROUP BY m.journey_id, m.stage_id
),
figures AS (
  SELECT
    j.journey_index,
    s.position,
    z.journey_id,
    z.stage_id,
    {
      'journey': {'id': z.journey_id, 'name': coalesce(j.journey_name, z.journey_id)},
      'stage': {'id': z.stage_id, 'name': coalesce(s.stage_name, z.stage_id)},
      'treated': z.n1,
      'control': z.n2,
      'treatedConverted': z.x1,
      'controlConverted': z.x2,
      'treatedRate': z.p1,
      'controlRate': z.p2,
      'lift': z.lift,
      'relativeLift': CASE WHEN z.p2 > 0 THEN z.lift / z.p2 END,
      'ci95': CASE WHEN z.n1 > 0 AND z.n2 > 0 THEN
        [z.lift - CAST(1.959964 AS DOUBLE) * z.se, z.lift + CAST(1.959964 AS DOUBLE) * z.se]
      END,
      -- Two-sided: 2 Φ(−|z|). Without variation (pooled rate 0 or 1) there is nothing to test.
      'pValue': CASE WHEN z.se_pooled > 0 THEN 2 * normal_cdf(-abs(z.lift / z.se_pooled)) END,
      'treatedOrders': z.orders1,
      'controlOrders': z.orders2,
      'incrementalOrders': CASE WHEN z.n1 > 0 AND z.n2 > 0 THEN
        (CAST(z.orders1 AS DOUBLE) / CAST(z.n1 AS DOUBLE) - CAST(z.orders2 AS DOUBLE) / CAST(z.n2 AS DOUBLE))
          * CAST(z.n1 AS DOUBLE)
      END,
      'byCurrency': coalesce(c.by_currency, []),
      'enoughData': least(z.n1, z.n2) >= z.required,
      'sampleNeeded': greatest(0, z.required - least(z.n1, z.n2))
    } AS figures
  FROM sized z
  LEFT JOIN journey_definitions j USING (journey_id)
  LEFT JOIN journey_stages s USING (journey_id, stage_id)
  LEFT JOIN currencies c USING (journey_id, stage_id)
)
SELECT
  (SELECT {'id': journey_id, 'name': journey_name} FROM journey_definitions WHERE journey_id = $journey) AS journey,
  CAST($days AS INTEGER) AS days,
  -- Journeys and stages in the definitions' order; a journey or stage no longer defined after them, by id.
  coalesce((
    SELECT list(figures ORDER BY journey_index NULLS LAST, journey_id, position NULLS LAST, stage_id)
    FROM figures
  ), []) AS stages;
