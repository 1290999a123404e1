-- 007: plan history. A plan is in force on day D when valid_from <= D (or unknown), D < valid_to (or no
-- valid_to) and its status is 'obowiązujący', or 'uchylony', 'wygasły' or 'nieaktualny' with valid_to set;
-- a draft ('projekt', 'w opracowaniu', ...) and an ended plan without its valid_to are in force on no day
-- (gis/store_sql.h, GIS_PLAN_IN_FORCE_SQL). An amendment (zmiana planu) names the
-- plan it amends: inside its boundary it replaces that plan's provisions, outside it the earlier plan
-- applies (gis_place_zones and the map queries cut the earlier plan's zones by the boundary).
ALTER TABLE plans ADD COLUMN changed_by TEXT;     -- the resolution that changed or repealed the plan
ALTER TABLE plans ADD COLUMN amends_plan_id INTEGER REFERENCES plans (id) ON DELETE SET NULL;
CREATE INDEX plans_amends ON plans (amends_plan_id);

-- The date an issued extract took the plans as in force on ("według stanu na dzień"), so that its wyrys
-- renders again as issued; NULL for extracts issued before this migration (their issue date).
ALTER TABLE extracts ADD COLUMN as_of TEXT;
