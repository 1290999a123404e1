-- 003: who declares and by what right. A declaration names the payer by PESEL (a natural person) or NIP (any
-- other), checksums validated, and the legal title to the property (art. 2 ust. 1 pkt 4 of the act: owner,
-- co-owner, perpetual usufructuary, tenant or lessee, manager, or another holder). Declarations filed before
-- 003 have neither.
ALTER TABLE waste_declarations ADD COLUMN pesel TEXT CHECK (pesel IS NULL OR length(pesel) = 11);
ALTER TABLE waste_declarations ADD COLUMN nip TEXT CHECK (nip IS NULL OR length(nip) = 10);
ALTER TABLE waste_declarations ADD COLUMN legal_title TEXT CHECK (legal_title IS NULL OR legal_title IN
    ('ownership', 'co_ownership', 'perpetual_usufruct', 'lease', 'management', 'other'));
