/* Unit tests for the Przelewy24-style signatures of services/pay_online.c: SHA-384 over exactly the JSON the
 * provider documents (keys in its order, no spaces, '/' and Polish letters unescaped), pinned to values
 * computed independently with Python's hashlib over json.dumps(..., separators=(",", ":"),
 * ensure_ascii=False). */
#include <string.h>

#include "services/pay_online.h"
#include "tests/test.h"

static void register_sign(void)
{
    char s[97];
    svc_p24_sign_register("abc/1", 1, 3000, "PLN", "kłódka", s);
    CHECK_STR(s, "77ea169da943e0227af566a400f08198630446b69c5284474964e379f99e44a325134389c950a0c980bfd666cfa2dcbb");
    svc_p24_sign_register("abc/1", 1, 3001, "PLN", "kłódka", s);
    CHECK(
        strcmp(s, "77ea169da943e0227af566a400f08198630446b69c5284474964e379f99e44a325134389c950a0c980bfd666cfa2dcbb"));
}

static void notification_and_verify_signs(void)
{
    char s[97];
    struct svc_pay_notice n = {.session_id = "s",
                               .order_id = "316000001",
                               .currency = "PLN",
                               .statement = "p24-Ż/1",
                               .amount_gr = 5000,
                               .origin_amount_gr = 5000};
    svc_p24_sign_notice(11, 12, &n, 25, "c", s);
    CHECK_STR(s, "2901a5e482ce3c4f66c4dd40bce252ef829036877401d03763849bd38d876289897ad3871f6f9c2b7f394f70e30fbca2");
    svc_p24_sign_verify("s", "316000001", 5000, "PLN", "c", s);
    CHECK_STR(s, "8d8809559bda3b350fe09c58bc80cc3cd898c24c87da2b24e9bb75fff6d8c320bb569737bf71fbb93e01247bd5e19223");
}

int main(void)
{
    RUN(register_sign);
    RUN(notification_and_verify_signs);
    return test_done();
}
