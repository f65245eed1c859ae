-- second-purchase (docs/analytics.md#second-purchase): what the window's first-time buyers bought
-- in their second order; with $product, only those whose first order contained it.
WITH
counted AS MATERIALIZED (
  SELECT * FROM counted_orders($to, $segment, $journey) WHERE in_window(first_at, $from, $to) AND n <= 2
),
cohort AS MATERIALIZED (
  SELECT f.customer_id, s.order_id AS second_order_id
  FROM counted f
  LEFT JOIN counted s ON s.customer_id = f.customer_id AND s.n = 2
  WHERE f.n = 1
    AND ($product IS NULL OR f.order_id IN (SELECT order_id FROM order_products WHERE product_id = $product))
),
returners AS (
  SELECT count(*) AS customers FROM cohort WHERE second_order_id IS NOT NULL
),
bought AS (
  SELECT p.product_id, count(DISTINCT c.customer_id) AS customers
  FROM cohort c
  JOIN order_products p ON p.order_id = c.second_order_id
  GROUP BY p.product_id
),
top AS (
  SELECT b.product_id, t.title, b.customers
  FROM bought b
  JOIN product_titles t USING (product_id)
  ORDER BY b.customers DESC, t.title, b.product_id
  LIMIT 20
),
counts AS (
  SELECT (SELECT count(*) FROM cohort) AS cohort_customers, (SELECT customers FROM returners) AS customers
),
listed AS (
  SELECT list(
    {'id': top.product_id, 'title': top.title, 'customers': top.customers, 'share': ratio(top.customers, r.customers)}
    ORDER BY top.customers DESC, top.title, top.product_id
  ) AS products
  FROM top, returners r
)
SELECT
  CASE WHEN $product IS NOT NULL THEN
    {'id': $product, 'title': (SELECT title FROM product_titles WHERE product_id = $product)}
  END AS product,
  counts.cohort_customers AS cohortCustomers,
  counts.customers,
  ratio(counts.customers, counts.cohort_customers) AS secondOrderRate,
  coalesce(listed.products, []) AS products
FROM counts, listed;
