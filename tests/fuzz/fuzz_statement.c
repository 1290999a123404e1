/* libFuzzer harness: a bank statement (gis_pay_parse) as MT940 and as each of the two banks' CSV mappings of
 * the demo config (pko: windows-1250, semicolons, YYYY-MM-DD, an id column; mbank: UTF-8, a preamble,
 * DD-MM-YYYY, no id), the bank found by its header and named outright. The first byte picks the mapping
 * asked for; every parsed transaction's fields are read so that a wrong length or pointer shows. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gis/pay.h"
#include "util/arena.h"

static void banks(struct config *cfg)
{
    cfg->n_banks = 2;
    cfg->banks[0] = (struct config_bank){.name = "pko",
                                         .cp1250 = true,
                                         .sep = ';',
                                         .header = "Data operacji",
                                         .date = "Data operacji",
                                         .amount = "Kwota",
                                         .title = "Tytuł",
                                         .counterparty = "Nadawca/Odbiorca",
                                         .cp_account = "Rachunek nadawcy/odbiorcy",
                                         .virtual_account = "Rachunek wirtualny",
                                         .id = "Identyfikator transakcji"};
    cfg->banks[1] = (struct config_bank){.name = "mbank",
                                         .sep = ';',
                                         .date_format = 2,
                                         .header = "#Data księgowania",
                                         .date = "#Data księgowania",
                                         .amount = "#Kwota",
                                         .title = "#Tytuł",
                                         .counterparty = "#Nadawca/Odbiorca",
                                         .cp_account = "#Numer konta",
                                         .virtual_account = "#Rachunek wirtualny"};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct config cfg;
    if (!cfg.n_banks)
        banks(&cfg);
    static const char *const asked[] = {NULL, "pko", "mbank", "nosuchbank"};
    const char *bank = size ? asked[data[0] & 3] : NULL;
    struct arena *a = arena_new(1 << 16);
    struct gis_pay_statement st;
    struct err e = {0};
    if (gis_pay_parse(a, (const char *)data, size, &cfg, bank, &st, &e) == ERR_OK) {
        size_t sum = strlen(st.format) + strlen(st.sha256) + (st.bank ? strlen(st.bank) : 0);
        for (int i = 0; i < st.n; i++) {
            const struct gis_pay_tx *t = &st.tx[i];
            sum += strlen(t->key) + (size_t)t->lineno + (size_t)t->booked_on;
            sum += (t->title ? strlen(t->title) : 0) + (t->counterparty ? strlen(t->counterparty) : 0);
            sum += t->cp_nrb ? strlen(t->cp_nrb) : 0;
            for (int k = 0; k < t->nva; k++)
                if (strlen(t->va[k]) != 26)
                    __builtin_trap(); /* a virtual account candidate is always 26 digits */
        }
        if (sum == (size_t)-1)
            __builtin_trap();
    } else if (!e.msg[0]) {
        __builtin_trap(); /* a refusal always says why */
    }
    arena_free(a);
    return 0;
}
