-- 007: plan history. A plan is in force on day D when its status is not 'projekt', valid_from <= D (or
-- unknown) and D < valid_to (or no valid_to); an 'uchylony' or 'wygasły' plan without valid_to is in force
-- on no day (its end is unknown, so nothing is answered from it). An amendment (zmiana planu) names the
-- plan it amends: inside its boundary it replaces that plan's provisions, outside it the earlier plan
-- applies (gis_place_zones and the map queries cut the earlier plan's zones by the boundary).
ALTER TABLE plans ADD COLUMN changed_by TEXT;     -- the resolution that changed or repealed the plan
ALTER TABLE plans ADD COLUMN amends_plan_id INTEGER REFERENCES plans (id) ON DELETE SET NULL;
CREATE INDEX plans_amends ON plans (amends_plan_id);

-- The date an issued extract took the plans as in force on ("według stanu na dzień"), so that its wyrys
-- renders again as issued; NULL for extracts issued before this migration (their issue date).
ALTER TABLE extracts ADD COLUMN as_of TEXT;
