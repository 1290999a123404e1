-- 007: the methods the act allows that were missing: per m² of the dwelling (art. 6j ust. 1 pkt 3) and the yearly
-- lump sum for a summer house or another property used for leisure only part of the year (art. 6j ust. 3b); and
-- the statutory caps on rates (art. 6k ust. 2a), checked when a rate table is set, as shares of the average
-- monthly disposable income per person (przeciętny miesięczny dochód rozporządzalny na 1 osobę ogółem) that GUS
-- publishes for the year before.
--
-- waste_rates is rebuilt for its method list; its items are kept, and nothing else references it.
CREATE TABLE waste_rates_new (
    id INTEGER PRIMARY KEY,
    method TEXT NOT NULL CHECK (method IN ('household', 'resident', 'water_m3', 'container', 'area_m2',
                                           'summer_lump')),
    valid_from TEXT NOT NULL,  -- YYYY-MM
    nonsort_multiplier REAL NOT NULL DEFAULT 2 CHECK (nonsort_multiplier >= 1 AND nonsort_multiplier <= 4),
    compost_discount_gr INTEGER NOT NULL DEFAULT 0 CHECK (compost_discount_gr >= 0),
    compost_per_resident INTEGER NOT NULL DEFAULT 0,
    UNIQUE (method, valid_from)
);
INSERT INTO waste_rates_new SELECT id, method, valid_from, nonsort_multiplier, compost_discount_gr,
    compost_per_resident FROM waste_rates;
CREATE TEMP TABLE waste_rate_items_keep AS SELECT rate_id, key, amount_gr FROM waste_rate_items;
DROP TABLE waste_rate_items;
DROP TABLE waste_rates;
ALTER TABLE waste_rates_new RENAME TO waste_rates;
CREATE TABLE waste_rate_items (
    rate_id INTEGER NOT NULL REFERENCES waste_rates (id) ON DELETE CASCADE,
    key INTEGER NOT NULL,  -- household: smallest size; resident, water_m3, area_m2, summer_lump: 0; container: litres
    amount_gr INTEGER NOT NULL CHECK (amount_gr >= 0),
    PRIMARY KEY (rate_id, key)
);
INSERT INTO waste_rate_items SELECT rate_id, key, amount_gr FROM waste_rate_items_keep;
DROP TABLE waste_rate_items_keep;

-- the demo's tables for the new methods (Słubice does not use them: its residential method is household)
INSERT INTO waste_rates (method, valid_from, nonsort_multiplier) VALUES ('area_m2', '2022-01', 2),
    ('summer_lump', '2022-01', 2);
INSERT INTO waste_rate_items (rate_id, key, amount_gr)
    SELECT id, 0, CASE method WHEN 'area_m2' THEN 95 ELSE 18000 END FROM waste_rates
    WHERE method IN ('area_m2', 'summer_lump');

ALTER TABLE waste_declarations ADD COLUMN area_m2 REAL;  -- the dwelling's floor area, area_m2 method
ALTER TABLE waste_declarations ADD COLUMN summer_house INTEGER NOT NULL DEFAULT 0;  -- kind summer_house

-- The income the caps are shares of, and its year: update it every year from the GUS announcement. The demo
-- value is the 2021 one, 2 061,93 zł, as the 2022 caps gminas published imply it (7,8 % = 160,83 zł,
-- 2 % = 41,23 zł); it was not read from the GUS announcement itself.
INSERT INTO waste_settings (key, value) VALUES ('disposable_income_gr', '206193'), ('disposable_income_year', '2021');
