-- 011: the linear and point designations of a plan drawing (issue 13 §2): building lines (obowiązujące and
-- nieprzekraczalne linie zabudowy), zone boundaries, the boundaries of protection zones and the other
-- overlay lines and symbols. Each belongs to a plan and is in force when its plan is (GIS_PLAN_IN_FORCE_SQL;
-- an amendment cuts them like the plan's zones). Areas of protection zones stay in overlays; a line here may
-- still be given as a polygon, which the map draws by its outline.

-- The code list of what a line or point means, with its Polish name as the legend prints it.
CREATE TABLE plan_line_kinds (
    code  TEXT PRIMARY KEY,      -- "linia_zabudowy_nieprzekraczalna"
    label TEXT NOT NULL,         -- "nieprzekraczalna linia zabudowy"
    ord   INTEGER NOT NULL       -- legend order
);
INSERT INTO plan_line_kinds (code, label, ord) VALUES
    ('linia_zabudowy_obowiazujaca', 'obowiązująca linia zabudowy', 1),
    ('linia_zabudowy_nieprzekraczalna', 'nieprzekraczalna linia zabudowy', 2),
    ('linia_rozgraniczajaca', 'linia rozgraniczająca tereny o różnym przeznaczeniu lub zasadach zagospodarowania', 3),
    ('granica_strefy_konserwatorskiej', 'granica strefy ochrony konserwatorskiej', 4),
    ('granica_strefy_archeologicznej', 'granica strefy ochrony archeologicznej', 5),
    ('granica_strefy_ochronnej', 'granica strefy ochronnej (sanitarnej, technicznej)', 6),
    ('granica_obszaru_zalewowego', 'granica obszaru szczególnego zagrożenia powodzią', 7),
    ('pierzeja', 'pierzeja do zachowania lub ukształtowania', 8),
    ('szpaler_drzew', 'szpaler drzew do zachowania lub nasadzenia', 9),
    ('os_widokowa', 'oś widokowa', 10),
    ('linia_elektroenergetyczna', 'napowietrzna linia elektroenergetyczna', 11),
    ('dominanta', 'dominanta architektoniczna', 12),
    ('obiekt_zabytkowy', 'obiekt zabytkowy objęty ochroną ustaleniami planu', 13),
    ('pomnik_przyrody', 'pomnik przyrody', 14),
    ('inna', 'inne oznaczenie rysunku planu', 99);

CREATE TABLE plan_lines (
    id      INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL REFERENCES plan_line_kinds (code),
    label   TEXT,                -- the drawing's own mark ("6 m", "A"), NULL when none
    zone_label TEXT              -- the zone it belongs to ("1MN"), NULL when none
);
-- lines, points or (for protection zones) polygons, drawn by their outline
SELECT AddGeometryColumn('plan_lines', 'geom', 2180, 'GEOMETRY', 'XY');
SELECT CreateSpatialIndex('plan_lines', 'geom');
CREATE INDEX plan_lines_plan ON plan_lines (plan_id);
