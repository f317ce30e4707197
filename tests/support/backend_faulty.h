/* Controls of tests/support/backend_faulty.c. */
#ifndef EDDY_TESTS_BACKEND_FAULTY_H
#define EDDY_TESTS_BACKEND_FAULTY_H

/* Interest changes (other than removal) for this fd are rejected with eddy_test_fail_err;
 * -1: none. eddy_test_failures counts the rejections. */
extern int eddy_test_fail_fd;
extern int eddy_test_fail_err;
extern unsigned eddy_test_failures;

#endif
