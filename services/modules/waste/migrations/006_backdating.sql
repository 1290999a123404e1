-- 006: a new declaration that lowers the fee may not reach back (art. 6m ust. 2b of the act), except when a
-- resident died (filed within 6 months of the death). cause records that exception; requested_from the month a
-- late lowering declaration asked for, when valid_from was moved to the month of filing.
ALTER TABLE waste_declarations ADD COLUMN cause TEXT CHECK (cause IS NULL OR cause IN ('death'));
ALTER TABLE waste_declarations ADD COLUMN requested_from TEXT;  -- YYYY-MM, NULL when valid_from is as asked
