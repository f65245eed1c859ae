-- Runs once when the engine opens a snapshot (docs/analytics.md): views over the snapshot's
-- files, then the macros every report shares. The engine binds the snapshot's directory to the
-- variable snapshot_dir first; report parameters never appear in here.

CREATE OR REPLACE VIEW customers AS
SELECT customer_id, has_email, email_state, country
FROM read_parquet(getvariable('snapshot_dir') || '/customers.parquet');

CREATE OR REPLACE VIEW orders AS
SELECT order_id, customer_id, placed_at, cancelled, test, currency, gross, net, units, counts
FROM read_parquet(getvariable('snapshot_dir') || '/orders.parquet');

CREATE OR REPLACE VIEW order_products AS
SELECT order_id, customer_id, product_id, title, units
FROM read_parquet(getvariable('snapshot_dir') || '/order_products.parquet');

CREATE OR REPLACE VIEW memberships AS
SELECT customer_id, kind, scope, member, position, entered_at, exited_at
FROM read_parquet(getvariable('snapshot_dir') || '/memberships.parquet');

CREATE OR REPLACE VIEW definitions AS
SELECT journeys, segments
FROM read_json(
  getvariable('snapshot_dir') || '/definitions.json',
  format = 'unstructured',
  columns = {
    journeys: 'STRUCT(id VARCHAR, name VARCHAR, stages STRUCT(id VARCHAR, name VARCHAR)[])[]',
    segments: 'STRUCT(id VARCHAR, name VARCHAR)[]'
  }
);

-- One row per journey stage, in journey order (position is the stage's 0-based index).
CREATE OR REPLACE VIEW journey_stages AS
WITH journeys AS (
  SELECT unnest(journeys) AS journey, generate_subscripts(journeys, 1) - 1 AS journey_index
  FROM definitions
)
SELECT
  journey.id AS journey_id,
  journey.name AS journey_name,
  journey_index,
  unnest(journey.stages).id AS stage_id,
  unnest(journey.stages).name AS stage_name,
  generate_subscripts(journey.stages, 1) - 1 AS position
FROM journeys;

CREATE OR REPLACE VIEW journey_definitions AS
SELECT unnest(journeys).id AS journey_id, unnest(journeys).name AS journey_name,
  generate_subscripts(journeys, 1) - 1 AS journey_index
FROM definitions;

CREATE OR REPLACE VIEW segment_definitions AS
SELECT unnest(segments).id AS segment_id, unnest(segments).name AS segment_name,
  generate_subscripts(segments, 1) - 1 AS segment_index
FROM definitions;

-- A product's title: the alphabetically first title it appears under in the snapshot.
CREATE OR REPLACE VIEW product_titles AS
SELECT product_id, min(title) AS title
FROM order_products
GROUP BY product_id;

-- The first instant after the UTC day `day`: "the end of `day`".
CREATE OR REPLACE MACRO end_of(day) AS CAST(CAST(day AS DATE) + INTERVAL 1 DAY AS TIMESTAMP);

-- Whether `ts` falls in the days [from_day, to_day]; a NULL from_day has no lower bound.
CREATE OR REPLACE MACRO in_window(ts, from_day, to_day) AS
  (from_day IS NULL OR ts >= CAST(CAST(from_day AS DATE) AS TIMESTAMP)) AND ts < end_of(to_day);

-- Whether a spell [entered, exited) is open at `instant` (a NULL exit is still open).
CREATE OR REPLACE MACRO open_at(entered, exited, instant) AS
  (entered < instant AND (exited IS NULL OR exited >= instant));

-- Fractional days from a to b, from microsecond timestamps.
CREATE OR REPLACE MACRO days_between(a, b) AS (epoch_us(b) - epoch_us(a)) / 86400000000.0;

-- Whole days elapsed from a to b (b >= a): 0 within the first 24 hours.
CREATE OR REPLACE MACRO whole_days(a, b) AS (epoch_us(b) - epoch_us(a)) // 86400000000;

-- part / whole as a DOUBLE, 0 when whole is 0.
CREATE OR REPLACE MACRO ratio(part, whole) AS
  CASE WHEN whole = 0 THEN 0.0 ELSE CAST(part AS DOUBLE) / CAST(whole AS DOUBLE) END;

-- A money amount per unit, rounded half away from zero to whole minor units; 0 when n is 0.
CREATE OR REPLACE MACRO per_unit(amount, n) AS
  CAST(CASE WHEN n = 0 THEN 0 ELSE round(CAST(amount AS DOUBLE) / CAST(n AS DOUBLE)) END AS BIGINT);

-- The customers a report covers: everyone, or the members of `segment_id` and/or the customers
-- in any stage of `journey_id` at the end of `to_day`.
CREATE OR REPLACE MACRO scoped_customers(to_day, segment_id, journey_id) AS TABLE
SELECT c.customer_id
FROM customers c
WHERE (segment_id IS NULL OR c.customer_id IN (
    SELECT m.customer_id FROM memberships m
    WHERE m.kind = 'segment' AND m.member = segment_id AND open_at(m.entered_at, m.exited_at, end_of(to_day))))
  AND (journey_id IS NULL OR c.customer_id IN (
    SELECT m.customer_id FROM memberships m
    WHERE m.kind = 'stage' AND m.scope = journey_id AND open_at(m.entered_at, m.exited_at, end_of(to_day))));

-- The counted orders of the scoped customers placed before the end of `to_day`: the orders a
-- report with these parameters sees.
CREATE OR REPLACE MACRO scoped_orders(to_day, segment_id, journey_id) AS TABLE
SELECT o.order_id, o.customer_id, o.placed_at, o.currency, o.net, o.units
FROM orders o
WHERE o.counts
  AND o.placed_at < end_of(to_day)
  AND o.customer_id IN (SELECT customer_id FROM scoped_customers(to_day, segment_id, journey_id));

-- Per scoped customer with a counted order by the end of `to_day`: their first order's time and
-- their number of counted orders (for reports that need no order numbers).
CREATE OR REPLACE MACRO customer_totals(to_day, segment_id, journey_id) AS TABLE
SELECT customer_id, min(placed_at) AS first_at, count(*) AS customer_orders
FROM scoped_orders(to_day, segment_id, journey_id)
GROUP BY customer_id;

-- scoped_orders, each numbered over its customer's counted orders (n, by placed_at then
-- order_id), with the previous order's time, the customer's first order time and their number of
-- counted orders by then.
CREATE OR REPLACE MACRO counted_orders(to_day, segment_id, journey_id) AS TABLE
SELECT
  o.*,
  row_number() OVER numbered AS n,
  lag(o.placed_at) OVER numbered AS previous_at,
  first_value(o.placed_at) OVER numbered AS first_at,
  count(*) OVER (numbered ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS customer_orders
FROM scoped_orders(to_day, segment_id, journey_id) o
-- One ordering for all four, so DuckDB sorts once.
WINDOW numbered AS (PARTITION BY o.customer_id ORDER BY o.placed_at, o.order_id);
