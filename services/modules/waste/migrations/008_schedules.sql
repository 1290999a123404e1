-- 008: collection rules per building type within a zone (single-family houses and multi-family buildings are
-- often collected at different frequencies); NULL: the rule applies to every building.
ALTER TABLE waste_rules ADD COLUMN building TEXT CHECK (building IS NULL OR building IN
    ('single_family', 'multi_family'));
