-- cohorts (docs/analytics.md#cohorts): customers by the month of their first counted order (in
-- the window), with cumulative revenue and orders per customer for each month since, up to $to.
WITH
cohort_orders AS MATERIALIZED (
  SELECT o.customer_id, o.currency, o.net, o.placed_at, CAST(date_trunc('month', c.first_at) AS DATE) AS cohort_month
  FROM scoped_orders($to, $segment, $journey) o
  JOIN customer_totals($to, $segment, $journey) c USING (customer_id)
  WHERE in_window(c.first_at, $from, $to)
),
by_currency AS (
  SELECT currency, count(*) AS orders, sum(net) AS revenue FROM cohort_orders GROUP BY currency
),
chosen AS (
  SELECT currency FROM by_currency ORDER BY orders DESC, currency LIMIT 1
),
cohorts AS (
  SELECT cohort_month, count(DISTINCT customer_id) AS customers FROM cohort_orders GROUP BY cohort_month
),
ages AS (
  SELECT
    cohort_month,
    customers,
    unnest(range(0, date_diff('month', cohort_month, CAST(date_trunc('month', CAST($to AS DATE)) AS DATE)) + 1)) AS m
  FROM cohorts
),
per_month AS (
  SELECT
    cohort_month,
    date_diff('month', cohort_month, CAST(date_trunc('month', placed_at) AS DATE)) AS m,
    count(*) AS orders,
    coalesce(sum(net) FILTER (WHERE currency = (SELECT currency FROM chosen)), 0) AS revenue
  FROM cohort_orders
  GROUP BY ALL
),
cumulative AS (
  SELECT
    a.cohort_month,
    a.customers,
    a.m,
    sum(coalesce(p.orders, 0)) OVER running AS orders,
    sum(coalesce(p.revenue, 0)) OVER running AS revenue
  FROM ages a
  LEFT JOIN per_month p USING (cohort_month, m)
  WINDOW running AS (PARTITION BY a.cohort_month ORDER BY a.m)
),
per_cohort AS (
  SELECT
    cohort_month,
    {
      'month': strftime(cohort_month, '%Y-%m'),
      'customers': any_value(customers),
      'months': list(
        {'m': m, 'revenuePerCustomer': per_unit(revenue, customers), 'ordersPerCustomer': ratio(orders, customers)}
        ORDER BY m
      )
    } AS cohort
  FROM cumulative
  GROUP BY cohort_month
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
  coalesce((SELECT list(cohort ORDER BY cohort_month) FROM per_cohort), []) AS cohorts;
