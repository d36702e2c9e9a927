/* names.c — the names of the configuration's enums (include/rcc.h): one table each, read by
 * checkpoints' JSON, the tool's flags, rcc serve's answers and every "known: ..." message. */
#include "names.h"

#include <stdio.h>
#include <string.h>

static const char *const backbones[] = {"resnet18", "resnet18-small"};
static const char *const augments[] = {"paper", "cpu", "photo", "none"};
static const char *const convs[] = {"direct", "winograd"};
static const char *const precisions[] = {"f32", "bf16"};

static const struct {
    const char *what; /* what a message calls a value */
    const char *const *names;
    int n;
} tables[] = {
    [RCC_NAMES_BACKBONE] = {"backbone", backbones, (int)(sizeof backbones / sizeof *backbones)},
    [RCC_NAMES_AUGMENT] = {"augmentation preset", augments, (int)(sizeof augments / sizeof *augments)},
    [RCC_NAMES_CONV] = {"conv", convs, (int)(sizeof convs / sizeof *convs)},
    [RCC_NAMES_PRECISION] = {"precision", precisions, (int)(sizeof precisions / sizeof *precisions)},
};

const char *rcc_names_name(rcc_names t, int v) { return v >= 0 && v < tables[t].n ? tables[t].names[v] : NULL; }

/* "a, b, c" into buf. */
static const char *known(rcc_names t, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < tables[t].n && len < size; i++) {
        int w = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", tables[t].names[i]);
        len += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

rcc_status rcc_names_parse(rcc_names t, const char *name, int *v)
{
    for (int i = 0; name && i < tables[t].n; i++)
        if (strcmp(name, tables[t].names[i]) == 0) {
            *v = i;
            return RCC_OK;
        }
    char buf[160];
    if (!name)
        return rcc_fail(RCC_ERR_ARG, "%s: no name given (known: %s)", tables[t].what, known(t, buf, sizeof buf));
    return rcc_fail(RCC_ERR_ARG, "%s '%.40s' is not known (known: %s)", tables[t].what, name,
                    known(t, buf, sizeof buf));
}

rcc_status rcc_names_check(rcc_names t, int v)
{
    char buf[160];
    if (rcc_names_name(t, v))
        return RCC_OK;
    return rcc_fail(RCC_ERR_ARG, "%s %d is not known (known: %s, numbered from 0)", tables[t].what, v,
                    known(t, buf, sizeof buf));
}

/* The public faces of the tables (rcc.h). */
#define NAMES(type, prefix, table)                                           \
    const char *prefix##_name(type v) { return rcc_names_name(table, (int)v); } \
    rcc_status prefix##_parse(const char *name, type *v)                     \
    {                                                                        \
        int i;                                                               \
        RCC_TRY(rcc_names_parse(table, name, &i));                           \
        *v = (type)i;                                                        \
        return RCC_OK;                                                       \
    }
NAMES(rcc_backbone, rcc_backbone, RCC_NAMES_BACKBONE)
NAMES(rcc_augment_preset, rcc_augment_preset, RCC_NAMES_AUGMENT)
NAMES(rcc_conv_kind, rcc_conv_kind, RCC_NAMES_CONV)
NAMES(rcc_precision, rcc_precision, RCC_NAMES_PRECISION)
