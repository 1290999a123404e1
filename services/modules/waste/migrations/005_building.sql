-- 005: the building on a residential property, as the declaration states it: single-family (budynek mieszkalny
-- jednorodzinny) or multi-family (wielolokalowy). Only owners of single-family houses may compost at home for
-- the discount (art. 6k ust. 4a of the act); schedules may differ by it (rules per building type).
ALTER TABLE waste_declarations ADD COLUMN building TEXT CHECK (building IS NULL OR building IN
    ('single_family', 'multi_family'));
