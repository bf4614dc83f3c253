/* nut-rs extractor: stands in for the config.h that C NUT's configure writes. Only what the
 * mapping tables' headers test for on a glibc system; nothing here changes a table. */
#ifndef NUT_RS_EXTRACT_CONFIG_H
#define NUT_RS_EXTRACT_CONFIG_H
#define _GNU_SOURCE 1
#define HAVE_SNPRINTF 1
#define HAVE_VSNPRINTF 1
#define HAVE_SETENV 1
#define HAVE_SETEUID 1
#define HAVE_STDARG_H 1
#define HAVE_STRING_H 1
#define HAVE_STRINGS_H 1
#define HAVE_SIGNAL_H 1
#define HAVE_STDINT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_LIMITS_H 1
#define HAVE_FLOAT_H 1
#define HAVE_MATH_H 1
#define HAVE_GETOPT_H 1
#define HAVE_SYS_TIME_H 1
#define TIME_WITH_SYS_TIME 1
#define HAVE___ATTRIBUTE__ 1
#define HAVE___ATTRIBUTE__NORETURN 1
#define HAVE___ATTRIBUTE__UNUSED_ARG 1
#define HAVE___ATTRIBUTE__UNUSED_FUNC 1
#endif
