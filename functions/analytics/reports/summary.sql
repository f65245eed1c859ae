-- summary (docs/analytics.md#summary): the window's buyers, orders and revenue, and the F2 rate
-- of the customers whose first counted order is in the window.
WITH
scoped AS (
  SELECT customer_id FROM scoped_customers($to, $segment, $journey)
),
windowed AS MATERIALIZED (
  SELECT * FROM scoped_orders($to, $segment, $journey) WHERE in_window(placed_at, $from, $to)
),
buyers AS (
  SELECT customer_id, count(*) AS orders FROM windowed GROUP BY customer_id
),
cohort AS (
  SELECT customer_id, customer_orders >= 2 AS repeated
  FROM customer_totals($to, $segment, $journey)
  WHERE in_window(first_at, $from, $to)
),
by_currency AS (
  SELECT currency, count(*) AS orders, sum(net) AS revenue, count(DISTINCT customer_id) AS buyers
  FROM windowed
  GROUP BY currency
),
chosen AS (
  SELECT * FROM by_currency ORDER BY orders DESC, currency LIMIT 1
),
counts AS (
  SELECT
    (SELECT count(*) FROM scoped) AS customers,
    (SELECT count(*) FROM buyers) AS buyers,
    (SELECT count(*) FILTER (WHERE orders >= 2) FROM buyers) AS repeaters,
    (SELECT count(*) FROM cohort) AS cohort,
    (SELECT count(*) FILTER (WHERE repeated) FROM cohort) AS cohort_repeated,
    (SELECT count(*) FROM windowed) AS orders
)
SELECT
  counts.customers,
  counts.buyers,
  counts.repeaters,
  ratio(counts.repeaters, counts.buyers) AS repeatRate,
  ratio(counts.cohort_repeated, counts.cohort) AS f2Rate,
  counts.orders,
  coalesce(chosen.revenue, 0) AS revenue,
  per_unit(coalesce(chosen.revenue, 0), coalesce(chosen.orders, 0)) AS aov,
  per_unit(coalesce(chosen.revenue, 0), coalesce(chosen.buyers, 0)) AS ltv,
  chosen.currency,
  coalesce((
    SELECT list(
      {'currency': currency, 'orders': orders, 'revenue': revenue, 'aov': per_unit(revenue, orders)}
      ORDER BY orders DESC, currency
    )
    FROM by_currency
  ), []) AS byCurrency
FROM counts
LEFT JOIN chosen ON true;
