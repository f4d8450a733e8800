-- The sqlite workload's script (workloads/program_sqlite.cc), run by the
-- sqlite3 shell on a fresh temporary database after a prelude that creates
-- config(rows): inserts, indexes, joins and aggregates, updates, deletes of
-- a share and re-inserts with other sizes. Every value is derived from row
-- numbers, so every run does the same work; the last line printed is a
-- checksum of the final contents, equal under every allocator.
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -65536;
PRAGMA temp_store = MEMORY;

CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT, city TEXT, note TEXT);
CREATE TABLE product (id INTEGER PRIMARY KEY, title TEXT, price REAL, blurb TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, product_id INTEGER,
                     quantity INTEGER, comment TEXT);

BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
                        WHERE i < (SELECT rows / 10 FROM config))
INSERT INTO customer SELECT i, 'customer-' || i, 'city-' || (i * 7919 % 97),
                            substr(hex(zeroblob(1 + i * 31 % 120)), 1, 1 + i * 31 % 240) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO product SELECT i, 'product-' || i, (i * 104729 % 10000) / 100.0,
                           printf('%.*c', 8 + i * 13 % 400, 'p') FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < (SELECT rows FROM config))
INSERT INTO orders SELECT i, 1 + i * 2654435761 % (SELECT rows / 10 FROM config),
                          1 + i * 40503 % 2000, 1 + i % 9,
                          printf('%.*c', i * 7 % 200, 'o') FROM n;
COMMIT;

CREATE INDEX orders_by_customer ON orders (customer_id);
CREATE INDEX orders_by_product ON orders (product_id, quantity);
CREATE INDEX customer_by_city ON customer (city, name);

CREATE TEMP TABLE revenue AS
  SELECT c.city AS city, p.id AS product, sum(o.quantity * p.price) AS total, count(*) AS n
  FROM orders o JOIN customer c ON c.id = o.customer_id JOIN product p ON p.id = o.product_id
  GROUP BY c.city, p.id;
CREATE TEMP TABLE top_customers AS
  SELECT o.customer_id AS id, group_concat(p.title, ',') AS titles, sum(o.quantity) AS q
  FROM orders o JOIN product p ON p.id = o.product_id
  GROUP BY o.customer_id ORDER BY q DESC LIMIT 1000;

BEGIN;
UPDATE orders SET comment = comment || printf('%.*c', id % 50, 'u') WHERE id % 3 = 0;
DELETE FROM orders WHERE id * 2654435761 % 100 < 40;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
                        WHERE i < (SELECT rows * 4 / 10 FROM config))
INSERT INTO orders (customer_id, product_id, quantity, comment)
  SELECT 1 + i * 48271 % (SELECT rows / 10 FROM config), 1 + i * 69621 % 2000, 1 + i % 5,
         printf('%.*c', 100 + i * 11 % 300, 'r') FROM n;
COMMIT;

SELECT 'allocmark-checksum: ' || (SELECT count(*) FROM orders) || '-' ||
       (SELECT sum(length(comment)) FROM orders) || '-' ||
       (SELECT printf('%.2f', sum(total)) FROM revenue) || '-' ||
       (SELECT sum(length(titles)) FROM top_customers);
