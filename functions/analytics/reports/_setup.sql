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

-- Stage email decisions: the email was sent (treated) or the customer held out as control. A
-- snapshot without the file (no decision yet, or written before the table existed) has none: a
-- view over a missing Parquet file cannot even be created, so the view reads through query() from
-- whichever of two fixed statements applies — no path or value is spliced into SQL text.
SET VARIABLE decisions_source = CASE
  WHEN EXISTS (SELECT 1 FROM glob(getvariable('snapshot_dir') || '/decisions.parquet'))
    THEN 'SELECT customer_id, journey_id, stage_id, entry_id, decided_at, treated
          FROM read_parquet(getvariable(''snapshot_dir'') || ''/decisions.parquet'')'
  ELSE 'SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS VARCHAR) AS journey_id,
          CAST(NULL AS VARCHAR) AS stage_id, CAST(NULL AS BIGINT) AS entry_id,
          CAST(NULL AS TIMESTAMP) AS decided_at, CAST(NULL AS BOOLEAN) AS treated
        WHERE false'
END;

CREATE OR REPLACE VIEW decisions AS
SELECT customer_id, journey_id, stage_id, entry_id, decided_at, treated
FROM query(getvariable('decisions_source'));

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

-- The complementary error function erfc(x), after W. J. Cody, "Rational Chebyshev approximations
-- for the error function", Math. Comp. 23 (1969) (netlib specfun CALERF): relative error below
-- 1e-15 everywhere, so the smallest p-values keep their digits (DuckDB has no erf of its own).
-- Three ranges of y = |x|: erf by a rational function of y² up to 0.46875; erfc by a rational
-- function of y up to 4, and beyond by one of 1/y²; exp(-y²) is taken in two factors
-- (y² split at y rounded down to 1/16) so that its rounding error is not multiplied by y².
CREATE OR REPLACE MACRO cody_exp_neg_sq(y) AS
  exp(-(trunc(16.0 * y) / 16.0) * (trunc(16.0 * y) / 16.0))
    * exp(-((y - trunc(16.0 * y) / 16.0) * (y + trunc(16.0 * y) / 16.0)));

-- erf(x) for |x| <= 0.46875, with t = x².
CREATE OR REPLACE MACRO cody_erf_small(x, t) AS
  x * ((((1.85777706184603153e-1 * t + 3.16112374387056560e0) * t + 1.13864154151050156e2) * t
        + 3.77485237685302021e2) * t + 3.20937758913846947e3)
    / ((((t + 2.36012909523441209e1) * t + 2.44024637934444173e2) * t + 1.28261652607737228e3) * t
        + 2.84423683343917062e3);

-- erfc(y) for 0.46875 < y <= 4.
CREATE OR REPLACE MACRO cody_erfc_middle(y) AS
  cody_exp_neg_sq(y)
    * ((((((((2.15311535474403846e-8 * y + 5.64188496988670089e-1) * y + 8.88314979438837594e0) * y
        + 6.61191906371416295e1) * y + 2.98635138197400131e2) * y + 8.81952221241769090e2) * y
        + 1.71204761263407058e3) * y + 2.05107837782607147e3) * y + 1.23033935479799725e3)
    / ((((((((y + 1.57449261107098347e1) * y + 1.17693950891312499e2) * y + 5.37181101862009858e2) * y
        + 1.62138957456669019e3) * y + 3.29079923573345963e3) * y + 4.36261909014324716e3) * y
        + 3.43936767414372164e3) * y + 1.23033935480374942e3);

-- erfc(y) for 4 < y < 26.543 (beyond, erfc underflows to 0), with t = 1 / y².
CREATE OR REPLACE MACRO cody_erfc_large(y, t) AS
  cody_exp_neg_sq(y) / y * (5.6418958354775628695e-1
    - t * (((((1.63153871373020978e-2 * t + 3.05326634961232344e-1) * t + 3.60344899949804439e-1) * t
        + 1.25781726111229246e-1) * t + 1.60837851487422766e-2) * t + 6.58749161529837803e-4)
      / (((((t + 2.56852019228982242e0) * t + 1.87295284992346047e0) * t + 5.27905102951428412e-1) * t
        + 6.05183413124413191e-2) * t + 2.33520497626869185e-3));

-- erfc(y) for y > 0.46875.
CREATE OR REPLACE MACRO cody_erfc_tail(y) AS
  CASE
    WHEN y <= 4 THEN cody_erfc_middle(y)
    WHEN y < 26.543 THEN cody_erfc_large(y, 1.0 / (y * y))
    ELSE 0.0
  END;

CREATE OR REPLACE MACRO erfc(x) AS
  CASE
    WHEN abs(x) <= 0.46875 THEN 1.0 - cody_erf_small(CAST(x AS DOUBLE), CAST(x AS DOUBLE) * CAST(x AS DOUBLE))
    WHEN x > 0 THEN cody_erfc_tail(CAST(x AS DOUBLE))
    ELSE 2.0 - cody_erfc_tail(CAST(-x AS DOUBLE))
  END;

-- The standard normal distribution function Φ(z) = erfc(−z/√2) / 2; for z < 0 it keeps full
-- relative precision in the tail (a two-sided p-value is 2·Φ(−|z|)).
CREATE OR REPLACE MACRO normal_cdf(z) AS 0.5 * erfc(-CAST(z AS DOUBLE) / sqrt(2.0));
