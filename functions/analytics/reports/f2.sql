-- f2 (docs/analytics.md#f2): how many first-time buyers of the window came back for a second
-- order, overall and within 30/60/90/180 days, and how much of the window's trade is repeat trade.
WITH
counted AS MATERIALIZED (
  SELECT * FROM counted_orders($to, $segment, $journey)
),
windowed AS MATERIALIZED (
  SELECT * FROM counted WHERE in_window(placed_at, $from, $to)
),
buyers AS (
  SELECT customer_id, count(*) AS orders FROM windowed GROUP BY customer_id
),
cohort AS MATERIALIZED (
  SELECT f.customer_id, f.placed_at AS first_at, s.placed_at AS second_at
  FROM counted f
  LEFT JOIN counted s ON s.customer_id = f.customer_id AND s.n = 2
  WHERE f.n = 1 AND in_window(f.placed_at, $from, $to)
),
within AS (
  SELECT
    d.days,
    count(c.customer_id) FILTER (WHERE c.first_at <= end_of($to) - to_days(d.days)) AS eligible,
    count(c.customer_id) FILTER (
      WHERE c.first_at <= end_of($to) - to_days(d.days) AND c.second_at <= c.first_at + to_days(d.days)
    ) AS repeated
  FROM (VALUES (30), (60), (90), (180)) AS d(days)
  LEFT JOIN cohort c ON true
  GROUP BY d.days
),
counts AS (
  SELECT
    (SELECT count(*) FROM cohort) AS customers,
    (SELECT count(second_at) FROM cohort) AS repeated,
    (SELECT count(*) FROM buyers) AS buyers,
    (SELECT count(*) FILTER (WHERE orders >= 2) FROM buyers) AS repeaters,
    (SELECT count(*) FROM windowed) AS orders,
    (SELECT count(*) FILTER (WHERE n >= 2) FROM windowed) AS repeat_orders
)
SELECT
  customers,
  repeated,
  ratio(repeated, customers) AS f2Rate,
  (
    SELECT list({'days': days, 'eligible': eligible, 'repeated': w.repeated, 'rate': ratio(w.repeated, eligible)} ORDER BY days)
    FROM within w
  ) AS within,
  buyers,
  repeaters,
  ratio(repeaters, buyers) AS repeatRate,
  orders,
  repeat_orders AS repeatOrders,
  ratio(repeat_orders, orders) AS repeatOrderRate
FROM counts;
