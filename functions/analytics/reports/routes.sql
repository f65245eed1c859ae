-- routes (docs/analytics.md#routes): the paths of main products through the first three orders
-- of the window's first-time buyers who placed three or more counted orders by $to.
WITH
route_orders AS MATERIALIZED (
  SELECT customer_id, order_id, n
  FROM counted_orders($to, $segment, $journey)
  WHERE in_window(first_at, $from, $to) AND customer_orders >= 3 AND n <= 3
),
-- order_products holds one row per order and product.
order_units AS (
  SELECT order_id, product_id, units
  FROM order_products
  WHERE order_id IN (SELECT order_id FROM route_orders)
),
-- An order's label: its product with the most units (tie: smallest title, then product id).
labels AS (
  SELECT order_id, title
  FROM (
    SELECT
      u.order_id,
      t.title,
      row_number() OVER (PARTITION BY u.order_id ORDER BY u.units DESC, t.title, u.product_id) AS rank
    FROM order_units u
    JOIN product_titles t USING (product_id)
  )
  WHERE rank = 1
),
paths AS (
  SELECT
    o.customer_id,
    coalesce(any_value(l.title) FILTER (WHERE o.n = 1), '(no products)') AS first,
    coalesce(any_value(l.title) FILTER (WHERE o.n = 2), '(no products)') AS second,
    coalesce(any_value(l.title) FILTER (WHERE o.n = 3), '(no products)') AS third
  FROM route_orders o
  LEFT JOIN labels l USING (order_id)
  GROUP BY o.customer_id
),
counts AS MATERIALIZED (
  SELECT [first, second, third] AS path, count(*) AS customers FROM paths GROUP BY first, second, third
),
total AS (
  SELECT count(*) AS customers FROM paths
),
common AS (
  SELECT * FROM counts ORDER BY customers DESC, path LIMIT 10
),
rare AS (
  SELECT * FROM counts ORDER BY customers, path LIMIT 10
)
SELECT
  (SELECT customers FROM total) AS customers,
  coalesce((
    SELECT list({'path': path, 'customers': c.customers, 'share': ratio(c.customers, t.customers)} ORDER BY c.customers DESC, path)
    FROM common c, total t
  ), []) AS mostCommon,
  coalesce((
    SELECT list({'path': path, 'customers': r.customers, 'share': ratio(r.customers, t.customers)} ORDER BY r.customers, path)
    FROM rare r, total t
  ), []) AS rarest;
