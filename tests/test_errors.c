#include <criterion/criterion.h>
#include <errno.h>

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
