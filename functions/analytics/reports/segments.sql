-- segments (docs/analytics.md#segments): the window's trade per segment (members at the end of
-- $to), next to the same figures for all customers in scope.
WITH
scoped AS (
  SELECT customer_id FROM scoped_customers($to, $segment, $journey)
),
windowed AS MATERIALIZED (
  SELECT * FROM scoped_orders($to, $segment, $journey) WHERE in_window(placed_at, $from, $to)
),
by_currency AS (
  SELECT currency, count(*) AS orders, sum(net) AS revenue FROM windowed GROUP BY currency
),
chosen AS (
  SELECT currency FROM by_currency ORDER BY orders DESC, currency LIMIT 1
),
per_customer AS (
  SELECT
    customer_id,
    count(*) AS orders,
    count(*) FILTER (WHERE currency = (SELECT currency FROM chosen)) AS currency_orders,
    coalesce(sum(net) FILTER (WHERE currency = (SELECT currency FROM chosen)), 0) AS revenue
  FROM windowed
  GROUP BY customer_id
),
-- (group, customer): every scoped customer in the all-customers group (id NULL), and the scoped
-- members of each segment at the end of $to.
groups AS (
  SELECT NULL AS segment_id, customer_id FROM scoped
  UNION ALL
  SELECT DISTINCT m.member AS segment_id, m.customer_id
  FROM memberships m
  WHERE m.kind = 'segment'
    AND open_at(m.entered_at, m.exited_at, end_of($to))
    AND m.customer_id IN (SELECT customer_id FROM scoped)
),
totals AS (
  SELECT
    g.segment_id,
    count(*) AS customers,
    count(p.customer_id) AS buyers,
    count(*) FILTER (WHERE p.orders >= 2) AS repeaters,
    coalesce(sum(p.orders), 0) AS orders,
    coalesce(sum(p.currency_orders), 0) AS currency_orders,
    coalesce(sum(p.revenue), 0) AS revenue
  FROM groups g
  LEFT JOIN per_customer p USING (customer_id)
  GROUP BY g.segment_id
),
named AS (
  SELECT segment_id, segment_name, segment_index FROM segment_definitions
  UNION ALL
  SELECT NULL, 'All customers', -1
),
figures AS (
  SELECT
    n.segment_index,
    {
      'id': n.segment_id,
      'name': n.segment_name,
      'customers': coalesce(t.customers, 0),
      'buyers': coalesce(t.buyers, 0),
      'repeaters': coalesce(t.repeaters, 0),
      'orders': coalesce(t.orders, 0),
      'revenue': coalesce(t.revenue, 0),
      'aov': per_unit(coalesce(t.revenue, 0), coalesce(t.currency_orders, 0)),
      'avgOrders': ratio(coalesce(t.orders, 0), coalesce(t.buyers, 0)),
      'ltv': CAST(round(
        ratio(coalesce(t.orders, 0), coalesce(t.buyers, 0)) * ratio(coalesce(t.revenue, 0), coalesce(t.currency_orders, 0))
      ) AS BIGINT),
      'revenuePerCustomer': per_unit(coalesce(t.revenue, 0), coalesce(t.customers, 0)),
      'repeatRate': ratio(coalesce(t.repeaters, 0), coalesce(t.buyers, 0))
    } AS figures
  FROM named n
  LEFT JOIN totals t ON t.segment_id IS NOT DISTINCT FROM n.segment_id
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
  (SELECT figures FROM figures WHERE segment_index = -1) AS "all",
  coalesce((SELECT list(figures ORDER BY segment_index) FROM figures WHERE segment_index >= 0), []) AS segments;
