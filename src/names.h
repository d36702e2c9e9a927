/* names.h — the name tables of the configuration's enums (names.c), by number, for code that
 * walks several of them (the configuration's JSON); rcc.h has the typed functions. */
#ifndef RCC_NAMES_H
#define RCC_NAMES_H

#include "util.h"

typedef enum { RCC_NAMES_BACKBONE, RCC_NAMES_AUGMENT, RCC_NAMES_CONV, RCC_NAMES_PRECISION } rcc_names;

/* The name of value v in table t; NULL when v is out of range. */
const char *rcc_names_name(rcc_names t, int v);
/* The value named `name` into *v; RCC_ERR_ARG naming the known ones when there is none. */
rcc_status rcc_names_parse(rcc_names t, const char *name, int *v);
/* RCC_OK when v has a name, else RCC_ERR_ARG naming the known ones. */
rcc_status rcc_names_check(rcc_names t, int v);

#endif
