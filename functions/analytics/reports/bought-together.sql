-- bought-together (docs/analytics.md#bought-together): pairs of products in the same order among
-- the orders of loyal customers (first counted order in the window, 3 or more by $to).
WITH
loyal_orders AS MATERIALIZED (
  SELECT order_id, customer_id
  FROM scoped_orders($to, $segment, $journey)
  WHERE customer_id IN (
    SELECT customer_id
    FROM customer_totals($to, $segment, $journey)
    WHERE in_window(first_at, $from, $to) AND customer_orders >= 3
  )
),
-- order_products holds one row per order and product.
baskets AS MATERIALIZED (
  SELECT order_id, product_id
  FROM order_products
  WHERE order_id IN (SELECT order_id FROM loyal_orders)
),
total AS (
  SELECT count(*) AS orders FROM loyal_orders
),
product_orders AS (
  SELECT product_id, count(*) AS orders FROM baskets GROUP BY product_id
),
pairs AS (
  SELECT a.product_id AS a_id, b.product_id AS b_id, count(*) AS orders
  FROM baskets a
  JOIN baskets b ON b.order_id = a.order_id AND a.product_id < b.product_id
  GROUP BY a.product_id, b.product_id
  HAVING count(*) >= 2
),
scored AS (
  SELECT
    p.a_id,
    ta.title AS a_title,
    p.b_id,
    tb.title AS b_title,
    p.orders,
    ratio(p.orders, t.orders) AS support,
    ratio(p.orders, pa.orders) AS confidence_ab,
    ratio(p.orders, pb.orders) AS confidence_ba,
    CAST(p.orders * t.orders AS DOUBLE) / CAST(pa.orders * pb.orders AS DOUBLE) AS lift
  FROM pairs p
  CROSS JOIN total t
  JOIN product_orders pa ON pa.product_id = p.a_id
  JOIN product_orders pb ON pb.product_id = p.b_id
  JOIN product_titles ta ON ta.product_id = p.a_id
  JOIN product_titles tb ON tb.product_id = p.b_id
  ORDER BY lift DESC, p.orders DESC, p.a_id, p.b_id
  LIMIT 20
)
SELECT
  (SELECT count(DISTINCT customer_id) FROM loyal_orders) AS customers,
  (SELECT orders FROM total) AS orders,
  coalesce((
    SELECT list(
      {
        'a': {'id': a_id, 'title': a_title},
        'b': {'id': b_id, 'title': b_title},
        'orders': orders,
        'support': support,
        'confidenceAToB': confidence_ab,
        'confidenceBToA': confidence_ba,
        'lift': lift
      }
      ORDER BY lift DESC, orders DESC, a_id, b_id
    )
    FROM scored
  ), []) AS pairs;
