-- e-Przedsiębiorca: businesses that operate in the gmina, their places of business matched to address
-- points, the queue of places whose address did not match, and the zoning mapping as data.
-- Only what ustawa o CEIDG art. 38 (and the KRS and REGON registers) make public is kept: the firm's name,
-- NIP, REGON, PKD codes, the address of each place of business and its dates. No PESEL, no owner's name
-- apart from the firm (which for a sole trader contains it by law), no home or correspondence address.

CREATE TABLE business_entities (
    id          INTEGER PRIMARY KEY,
    nip         TEXT NOT NULL UNIQUE CHECK (length(nip) = 10),
    regon       TEXT CHECK (regon IS NULL OR length(regon) IN (9, 14)),
    name        TEXT NOT NULL,
    pkd_main    TEXT,            -- PKD 2025 subclass "47.11.Z"
    pkd_section TEXT,            -- its PKD 2025 section letter, A..V
    pkd_other   TEXT NOT NULL DEFAULT '',  -- the other PKD 2025 codes, space separated
    pkd_from_2007 INTEGER NOT NULL DEFAULT 0, -- the source gave PKD 2007 codes, mapped by business_pkd_2007_2025
    source      TEXT NOT NULL CHECK (source IN ('ceidg', 'csv', 'demo')),
    source_id   TEXT,            -- the record's id in the source
    imported_at TEXT NOT NULL
);

CREATE TABLE business_places (
    id           INTEGER PRIMARY KEY,
    business_id  INTEGER NOT NULL REFERENCES business_entities (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('main', 'additional')),
    address_text TEXT NOT NULL,  -- the address as the source wrote it (without the flat)
    flat         TEXT,
    address_id   INTEGER,        -- addresses.id once matched, NULL while in the queue
    parcel_id    TEXT,
    start_date   TEXT,
    end_date     TEXT,
    status       TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
    matched_by   TEXT CHECK (matched_by IN ('geocoder', 'manual', 'demo')),
    UNIQUE (business_id, kind, address_text)
);
SELECT AddGeometryColumn('business_places', 'geom', 2180, 'POINT', 'XY');
SELECT CreateSpatialIndex('business_places', 'geom');
CREATE INDEX business_places_address ON business_places (address_id);
CREATE INDEX business_places_parcel ON business_places (parcel_id);

-- The unmatched-address queue: places whose address no address point matched; a clerk matches them by hand
-- (POST /{t}/business/places/{id}/match), which removes the row.
CREATE TABLE business_unmatched (
    place_id  INTEGER PRIMARY KEY REFERENCES business_places (id) ON DELETE CASCADE,
    reason    TEXT NOT NULL,
    queued_at TEXT NOT NULL
);

-- PKD 2007 -> PKD 2025 for imported data that still uses PKD 2007. Only codes whose meaning moved are
-- listed; a code not listed whose division exists in PKD 2025 is kept as it is (see README, "PKD").
CREATE TABLE business_pkd_2007_2025 (
    pkd2007 TEXT PRIMARY KEY,
    pkd2025 TEXT NOT NULL,
    note    TEXT NOT NULL
);
INSERT INTO business_pkd_2007_2025 VALUES
 ('45.11.Z', '47.81.Z', 'sprzedaż detaliczna samochodów osobowych; hurt → 46.71.Z'),
 ('45.19.Z', '47.81.Z', 'sprzedaż detaliczna pozostałych pojazdów; hurt → 46.71.Z'),
 ('45.20.Z', '95.31.Z', 'konserwacja i naprawa pojazdów samochodowych'),
 ('45.32.Z', '47.82.Z', 'sprzedaż detaliczna części do pojazdów'),
 ('45.40.Z', '47.83.Z', 'sprzedaż, konserwacja i naprawa motocykli (część sprzedażowa)'),
 ('47.91.Z', '47.99.Z', 'PKD 2025 nie wyodrębnia sprzedaży wysyłkowej i przez internet; klasa zależy od towaru'),
 ('62.01.Z', '62.10.B', 'działalność związana z oprogramowaniem'),
 ('62.02.Z', '62.20.C', 'doradztwo w zakresie informatyki'),
 ('62.03.Z', '62.20.C', 'zarządzanie urządzeniami informatycznymi'),
 ('62.09.Z', '62.90.Z', 'pozostała działalność usługowa w zakresie informatyki'),
 ('63.11.Z', '63.10.Z', 'przetwarzanie danych; zarządzanie stronami internetowymi (hosting)'),
 ('63.12.Z', '60.39.Z', 'działalność portali internetowych'),
 ('68.10.Z', '68.11.Z', 'kupno i sprzedaż nieruchomości na własny rachunek'),
 ('68.20.Z', '68.20.Z', 'wynajem i zarządzanie nieruchomościami własnymi lub dzierżawionymi'),
 ('77.11.Z', '77.11.Z', 'wynajem samochodów osobowych'),
 ('96.02.Z', '96.21.Z', 'fryzjerstwo i pozostałe zabiegi kosmetyczne'),
 ('96.04.Z', '96.22.Z', 'działalność usługowa związana z poprawą kondycji fizycznej');

-- The zoning mapping, part 1: a PKD 2025 prefix (a section letter "G", a division "47", a class "47.11" or
-- a subclass "47.11.Z"; the longest one matching wins) -> a category of activity as plans speak of it.
CREATE TABLE business_pkd_categories (
    prefix      TEXT PRIMARY KEY,
    category    TEXT NOT NULL,
    source      TEXT NOT NULL,
    uncertainty TEXT NOT NULL CHECK (uncertainty IN ('low', 'medium', 'high'))
);
INSERT INTO business_pkd_categories VALUES
 ('A', 'rolnictwo', 'PKD 2025 sekcja A; MPZP: R, RM', 'low'),
 ('B', 'wydobycie', 'PKD 2025 sekcja B; MPZP: PG', 'low'),
 ('C', 'produkcja', 'PKD 2025 sekcja C; MPZP: P, PU', 'medium'),
 ('10.71', 'rzemioslo', 'piekarnie: drobna wytwórczość często dopuszczana w strefach usługowych', 'high'),
 ('D', 'infrastruktura', 'PKD 2025 sekcja D; MPZP: E', 'medium'),
 ('E', 'odpady', 'PKD 2025 sekcja E; MPZP: O, P', 'medium'),
 ('F', 'budownictwo', 'PKD 2025 sekcja F: baza (magazyn, sprzęt) jak przy działalności produkcyjnej', 'high'),
 ('46', 'hurt', 'PKD 2025 dział 46: hurt wymaga składów i ruchu ciężarowego', 'medium'),
 ('47', 'handel', 'PKD 2025 dział 47; MPZP: U, MU, UC', 'low'),
 ('H', 'logistyka', 'PKD 2025 sekcja H; MPZP: P, PU, K', 'medium'),
 ('53', 'uslugi', 'PKD 2025 dział 53 (poczta, kurierzy): punkty obsługi jak usługi', 'high'),
 ('55', 'zakwaterowanie', 'PKD 2025 dział 55; MPZP: U, UT', 'low'),
 ('56', 'gastronomia', 'PKD 2025 dział 56; MPZP: U', 'low'),
 ('J', 'biuro', 'PKD 2025 sekcja J: praca biurowa bez uciążliwości', 'medium'),
 ('K', 'biuro', 'PKD 2025 sekcja K: praca biurowa bez uciążliwości', 'medium'),
 ('L', 'biuro', 'PKD 2025 sekcja L', 'low'),
 ('M', 'biuro', 'PKD 2025 sekcja M', 'low'),
 ('N', 'biuro', 'PKD 2025 sekcja N', 'low'),
 ('O', 'uslugi', 'PKD 2025 sekcja O: część działów (77 wynajem sprzętu) wymaga placów', 'high'),
 ('P', 'uslugi_publiczne', 'PKD 2025 sekcja P; MPZP: U, UA', 'low'),
 ('Q', 'uslugi_publiczne', 'PKD 2025 sekcja Q; MPZP: UO', 'low'),
 ('R', 'uslugi_publiczne', 'PKD 2025 sekcja R; MPZP: UZ, U', 'low'),
 ('S', 'rekreacja', 'PKD 2025 sekcja S; MPZP: US, U', 'medium'),
 ('T', 'uslugi', 'PKD 2025 sekcja T (fryzjer, naprawy)', 'low'),
 ('95', 'rzemioslo', 'PKD 2025 dział 95: naprawy, w tym warsztaty samochodowe (95.31)', 'high'),
 ('U', 'biuro', 'PKD 2025 sekcja U', 'high'),
 ('V', 'biuro', 'PKD 2025 sekcja V', 'high');

-- The zoning mapping, part 2: a zone's symbol (MPZP: rozporządzenie z 2021 r. w sprawie wymaganego zakresu
-- projektu MPZP, Dz. U. 2021 poz. 2404, § 7; POG: rozporządzenie z 2023 r. w sprawie POG, Dz. U. 2023 poz.
-- 2509, strefy planistyczne) and a category -> a verdict. A pair not listed is 'unknown'.
CREATE TABLE business_zone_rules (
    plan_kind   TEXT NOT NULL CHECK (plan_kind IN ('mpzp', 'pog')),
    symbol      TEXT NOT NULL,
    category    TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('allowed', 'conditional', 'forbidden')),
    source      TEXT NOT NULL,
    uncertainty TEXT NOT NULL CHECK (uncertainty IN ('low', 'medium', 'high')),
    PRIMARY KEY (plan_kind, symbol, category)
);
-- Residential zones: office work and services that do not disturb are usually allowed as "usługi
-- nieuciążliwe" or as a part of the dwelling; trade and catering only where the plan lets services in.
INSERT INTO business_zone_rules (plan_kind, symbol, category, verdict, source, uncertainty)
SELECT 'mpzp', s.symbol, c.category, c.verdict, 'MPZP ' || s.symbol || ': przeznaczenie podstawowe ' || s.what, c.unc
FROM (SELECT 'MN' AS symbol, 'zabudowa mieszkaniowa jednorodzinna' AS what UNION ALL
      SELECT 'MW', 'zabudowa mieszkaniowa wielorodzinna') s,
     (SELECT 'biuro' AS category, 'conditional' AS verdict, 'medium' AS unc UNION ALL
      SELECT 'uslugi', 'conditional', 'medium' UNION ALL
      SELECT 'rzemioslo', 'conditional', 'high' UNION ALL
      SELECT 'handel', 'conditional', 'high' UNION ALL
      SELECT 'gastronomia', 'conditional', 'high' UNION ALL
      SELECT 'zakwaterowanie', 'conditional', 'medium' UNION ALL
      SELECT 'uslugi_publiczne', 'conditional', 'high' UNION ALL
      SELECT 'rekreacja', 'conditional', 'high' UNION ALL
      SELECT 'produkcja', 'forbidden', 'low' UNION ALL
      SELECT 'hurt', 'forbidden', 'low' UNION ALL
      SELECT 'logistyka', 'forbidden', 'medium' UNION ALL
      SELECT 'odpady', 'forbidden', 'low' UNION ALL
      SELECT 'wydobycie', 'forbidden', 'low' UNION ALL
      SELECT 'budownictwo', 'conditional', 'high' UNION ALL
      SELECT 'rolnictwo', 'forbidden', 'medium' UNION ALL
      SELECT 'infrastruktura', 'conditional', 'high') c;
INSERT INTO business_zone_rules VALUES
 ('mpzp', 'U', 'biuro', 'allowed', 'MPZP U: zabudowa usługowa', 'low'),
 ('mpzp', 'U', 'uslugi', 'allowed', 'MPZP U: zabudowa usługowa', 'low'),
 ('mpzp', 'U', 'handel', 'allowed', 'MPZP U: zabudowa usługowa (handel do 2000 m² sprzedaży)', 'low'),
 ('mpzp', 'U', 'gastronomia', 'allowed', 'MPZP U: zabudowa usługowa', 'low'),
 ('mpzp', 'U', 'zakwaterowanie', 'allowed', 'MPZP U: zabudowa usługowa', 'low'),
 ('mpzp', 'U', 'uslugi_publiczne', 'allowed', 'MPZP U: zabudowa usługowa', 'medium'),
 ('mpzp', 'U', 'rekreacja', 'allowed', 'MPZP U: zabudowa usługowa', 'medium'),
 ('mpzp', 'U', 'rzemioslo', 'conditional', 'MPZP U: usługi; wytwórczość tylko nieuciążliwa', 'high'),
 ('mpzp', 'U', 'hurt', 'conditional', 'MPZP U: usługi; składy zwykle wykluczone', 'high'),
 ('mpzp', 'U', 'budownictwo', 'conditional', 'MPZP U: biuro firmy tak, baza sprzętu zwykle nie', 'high'),
 ('mpzp', 'U', 'produkcja', 'forbidden', 'MPZP U: zabudowa usługowa', 'medium'),
 ('mpzp', 'U', 'logistyka', 'conditional', 'MPZP U: zabudowa usługowa', 'high'),
 ('mpzp', 'U', 'odpady', 'forbidden', 'MPZP U: zabudowa usługowa', 'low'),
 ('mpzp', 'U', 'wydobycie', 'forbidden', 'MPZP U: zabudowa usługowa', 'low'),
 ('mpzp', 'U', 'rolnictwo', 'forbidden', 'MPZP U: zabudowa usługowa', 'low'),
 ('mpzp', 'UO', 'uslugi_publiczne', 'allowed', 'MPZP UO: usługi oświaty', 'low'),
 ('mpzp', 'UO', 'biuro', 'forbidden', 'MPZP UO: usługi oświaty', 'medium'),
 ('mpzp', 'UO', 'handel', 'forbidden', 'MPZP UO: usługi oświaty', 'medium'),
 ('mpzp', 'UO', 'produkcja', 'forbidden', 'MPZP UO: usługi oświaty', 'low'),
 ('mpzp', 'US', 'rekreacja', 'allowed', 'MPZP US: usługi sportu i rekreacji', 'low'),
 ('mpzp', 'US', 'gastronomia', 'conditional', 'MPZP US: jako usługi towarzyszące', 'high'),
 ('mpzp', 'US', 'produkcja', 'forbidden', 'MPZP US: usługi sportu i rekreacji', 'low'),
 ('mpzp', 'P', 'produkcja', 'allowed', 'MPZP P: zabudowa produkcyjna, składy i magazyny', 'low'),
 ('mpzp', 'P', 'hurt', 'allowed', 'MPZP P: zabudowa produkcyjna, składy i magazyny', 'low'),
 ('mpzp', 'P', 'logistyka', 'allowed', 'MPZP P: zabudowa produkcyjna, składy i magazyny', 'low'),
 ('mpzp', 'P', 'budownictwo', 'allowed', 'MPZP P: zabudowa produkcyjna, składy i magazyny', 'low'),
 ('mpzp', 'P', 'rzemioslo', 'allowed', 'MPZP P: zabudowa produkcyjna', 'low'),
 ('mpzp', 'P', 'odpady', 'conditional', 'MPZP P: przetwarzanie odpadów zależy od ustaleń planu i decyzji środowiskowej', 'high'),
 ('mpzp', 'P', 'infrastruktura', 'conditional', 'MPZP P: zależy od ustaleń planu', 'high'),
 ('mpzp', 'P', 'biuro', 'conditional', 'MPZP P: biura jako funkcja towarzysząca', 'medium'),
 ('mpzp', 'P', 'handel', 'conditional', 'MPZP P: handel zwykle jako towarzyszący', 'high'),
 ('mpzp', 'P', 'gastronomia', 'conditional', 'MPZP P: jako funkcja towarzysząca', 'high'),
 ('mpzp', 'P', 'uslugi', 'conditional', 'MPZP P: jako funkcja towarzysząca', 'high'),
 ('mpzp', 'P', 'zakwaterowanie', 'forbidden', 'MPZP P: zabudowa produkcyjna', 'medium'),
 ('mpzp', 'P', 'uslugi_publiczne', 'forbidden', 'MPZP P: zabudowa produkcyjna', 'medium'),
 ('mpzp', 'R', 'rolnictwo', 'allowed', 'MPZP R: tereny rolnicze', 'low'),
 ('mpzp', 'RM', 'rolnictwo', 'allowed', 'MPZP RM: zabudowa zagrodowa w gospodarstwach rolnych', 'low'),
 ('mpzp', 'RM', 'rzemioslo', 'conditional', 'MPZP RM: działalność towarzysząca gospodarstwu', 'high'),
 ('mpzp', 'RM', 'zakwaterowanie', 'conditional', 'MPZP RM: agroturystyka', 'medium'),
 ('mpzp', 'RM', 'biuro', 'conditional', 'MPZP RM: w budynku mieszkalnym', 'high'),
 ('mpzp', 'E', 'infrastruktura', 'allowed', 'MPZP E: infrastruktura elektroenergetyczna', 'low');
-- Zones where no business may be set up at all: roads, green areas, forests, waters.
INSERT INTO business_zone_rules (plan_kind, symbol, category, verdict, source, uncertainty)
SELECT 'mpzp', s.symbol, c.category, 'forbidden', 'MPZP ' || s.symbol || ': ' || s.what, 'low'
FROM (SELECT 'KDD' AS symbol, 'drogi publiczne' AS what UNION ALL SELECT 'KDL', 'drogi publiczne' UNION ALL
      SELECT 'KDZ', 'drogi publiczne' UNION ALL SELECT 'ZP', 'zieleń urządzona' UNION ALL
      SELECT 'ZI', 'zieleń izolacyjna' UNION ALL SELECT 'ZL', 'lasy' UNION ALL SELECT 'WS', 'wody powierzchniowe') s,
     (SELECT DISTINCT category FROM business_pkd_categories) c;
-- R: only farming.
INSERT INTO business_zone_rules (plan_kind, symbol, category, verdict, source, uncertainty)
SELECT 'mpzp', 'R', category, 'forbidden', 'MPZP R: tereny rolnicze bez zabudowy', 'low'
FROM (SELECT DISTINCT category FROM business_pkd_categories) WHERE category <> 'rolnictwo';
-- E: only infrastructure.
INSERT INTO business_zone_rules (plan_kind, symbol, category, verdict, source, uncertainty)
SELECT 'mpzp', 'E', category, 'forbidden', 'MPZP E: infrastruktura techniczna', 'low'
FROM (SELECT DISTINCT category FROM business_pkd_categories) WHERE category <> 'infrastruktura';

-- POG planning zones (profil funkcjonalny: rozporządzenie w sprawie POG, załącznik: katalog profili).
-- A POG does not decide a single plot; outside any MPZP the answer from it is at best "conditional"
-- (a decyzja o warunkach zabudowy decides), hence uncertainty 'high' everywhere but the plain cases.
INSERT INTO business_zone_rules (plan_kind, symbol, category, verdict, source, uncertainty)
SELECT 'pog', z.symbol, c.category,
       CASE WHEN instr(',' || z.yes || ',', ',' || c.category || ',') > 0 THEN 'conditional'
            ELSE 'forbidden' END,
       'POG ' || z.symbol || ': ' || z.what || ' (profil podstawowy); ostatecznie rozstrzyga decyzja o warunkach zabudowy',
       CASE WHEN instr(',' || z.yes || ',', ',' || c.category || ',') > 0 THEN 'high' ELSE 'medium' END
FROM (SELECT 'SW' AS symbol, 'strefa wielofunkcyjna z zabudową mieszkaniową wielorodzinną' AS what,
             'biuro,uslugi,handel,gastronomia,zakwaterowanie,uslugi_publiczne,rekreacja,rzemioslo' AS yes UNION ALL
      SELECT 'SJ', 'strefa wielofunkcyjna z zabudową mieszkaniową jednorodzinną',
             'biuro,uslugi,handel,gastronomia,zakwaterowanie,uslugi_publiczne,rekreacja,rzemioslo' UNION ALL
      SELECT 'SZ', 'strefa wielofunkcyjna z zabudową zagrodową',
             'rolnictwo,biuro,uslugi,handel,gastronomia,zakwaterowanie,rzemioslo,budownictwo' UNION ALL
      SELECT 'SU', 'strefa usługowa',
             'biuro,uslugi,handel,gastronomia,zakwaterowanie,uslugi_publiczne,rekreacja,rzemioslo,hurt,budownictwo,logistyka' UNION ALL
      SELECT 'SH', 'strefa handlu wielkopowierzchniowego', 'handel,hurt,gastronomia,uslugi,biuro' UNION ALL
      SELECT 'SP', 'strefa gospodarcza',
             'produkcja,hurt,logistyka,budownictwo,rzemioslo,odpady,infrastruktura,biuro,handel,uslugi,gastronomia' UNION ALL
      SELECT 'SR', 'strefa zabudowy rekreacji indywidualnej', 'rekreacja,zakwaterowanie' UNION ALL
      SELECT 'SI', 'strefa infrastrukturalna', 'infrastruktura,odpady,logistyka' UNION ALL
      SELECT 'SN', 'strefa zieleni i rekreacji', 'rekreacja' UNION ALL
      SELECT 'SC', 'strefa cmentarzy', '' UNION ALL
      SELECT 'SG', 'strefa górnictwa', 'wydobycie' UNION ALL
      SELECT 'SO', 'strefa otwartych terenów', 'rolnictwo' UNION ALL
      SELECT 'SK', 'strefa komunikacyjna', 'logistyka') z,
     (SELECT DISTINCT category FROM business_pkd_categories) c;
