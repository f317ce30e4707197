#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

#include "eddy.h"

Test(errors, err_name_gives_the_symbolic_code)
{
    cr_assert_str_eq(eddy_err_name(-EADDRINUSE), "EADDRINUSE");
    cr_assert_str_eq(eddy_err_name(-ECONNRESET), "ECONNRESET");
    cr_assert_str_eq(eddy_err_name(-ENOMEM), "ENOMEM");
}

Test(errors, err_name_of_zero_and_unknown_codes_is_never_null)
{
    cr_assert_str_eq(eddy_err_name(0), "OK");
    cr_assert_str_eq(eddy_err_name(-99999), "UNKNOWN");
}

Test(errors, strerror_gives_a_message_and_never_null)
{
    cr_assert_str_eq(eddy_strerror(-ECONNREFUSED), "connection refused");
    cr_assert_not_null(eddy_strerror(-99999));
    cr_assert_str_eq(eddy_strerror(-99999), "unknown error");
}

Test(version, the_runtime_version_is_the_headers_and_the_projects)
{
    cr_assert_eq(eddy_version(), (unsigned)EDDY_VERSION_HEX);
    cr_assert_eq(EDDY_VERSION_HEX,
                 (EDDY_VERSION_MAJOR << 16) | (EDDY_VERSION_MINOR << 8) | EDDY_VERSION_PATCH);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", EDDY_VERSION_MAJOR, EDDY_VERSION_MINOR,
             EDDY_VERSION_PATCH);
    cr_assert_str_eq(eddy_version_string(), want);
    cr_assert_str_eq(EDDY_VERSION_STRING, want);
}
