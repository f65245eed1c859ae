-- nth-order (docs/analytics.md#nth-order): the 1st, 2nd, 3rd, 4th and 5th-or-later orders of the
-- customers whose first counted order is in the window, through $to.
WITH
cohort_orders AS MATERIALIZED (
  SELECT * FROM counted_orders($to, $segment, $journey) WHERE in_window(first_at, $from, $to)
),
by_currency AS (
  SELECT currency, count(*) AS orders, sum(net) AS revenue FROM cohort_orders GROUP BY currency
),
chosen AS (
  SELECT currency FROM by_currency ORDER BY orders DESC, currency LIMIT 1
),
buckets AS (
  SELECT * FROM (VALUES (1, '1'), (2, '2'), (3, '3'), (4, '4'), (5, '5+')) AS b(bucket, label)
),
figures AS (
  SELECT
    least(n, 5) AS bucket,
    count(DISTINCT customer_id) AS customers,
    count(*) AS orders,
    count(*) FILTER (WHERE currency = (SELECT currency FROM chosen)) AS currency_orders,
    coalesce(sum(net) FILTER (WHERE currency = (SELECT currency FROM chosen)), 0) AS revenue,
    quantile_cont(days_between(previous_at, placed_at), [0.25, 0.5, 0.75]) AS gaps
  FROM cohort_orders
  GROUP BY bucket
)
SELECT
  (SELECT currency FROM chosen) AS currency,
  coalesce((
    SELECT list(
      {'currency': currency, 'orders': orders, 'revenue': revenue, 'aov': per_unit(revenue, orders)}
      ORDER BY orders DESC, currency
    )
    FROM by_currency
  ), []) AS byCurrency,
  (SELECT count(DISTINCT customer_id) FROM cohort_orders) AS customers,
  (
    SELECT list(
      {
        'n': b.label,
        'customers': coalesce(f.customers, 0),
        'orders': coalesce(f.orders, 0),
        'revenue': coalesce(f.revenue, 0),
        'aov': per_unit(coalesce(f.revenue, 0), coalesce(f.currency_orders, 0)),
        'daysSincePrevious': CASE
          WHEN b.bucket > 1 AND f.orders > 0 THEN {'p25': f.gaps[1], 'median': f.gaps[2], 'p75': f.gaps[3]}
        END
      }
      ORDER BY b.bucket
    )
    FROM buckets b
    LEFT JOIN figures f USING (bucket)
  ) AS byOrderNumber;
