/* Hints for the compiler, empty where it does not know them (the library stays C11). */
#ifndef EDDY_COMMON_COMPILER_H
#define EDDY_COMMON_COMPILER_H

/* Keeps a slow path out of a hot caller, so that the caller stays small (fewer saved
 * registers on every call). */
#if defined(__GNUC__) || defined(__clang__)
#define EDDY__NOINLINE __attribute__((noinline))
#else
#define EDDY__NOINLINE
#endif

/* Makes a function a template: each call with constant arguments is compiled on its own,
 * without the tests those constants decide. */
#if defined(__GNUC__) || defined(__clang__)
#define EDDY__ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define EDDY__ALWAYS_INLINE inline
#endif

#endif
