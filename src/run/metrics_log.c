/* metrics_log.c — the training log metrics.jsonl (see metrics_log.h): the writers of its three
 * kinds of lines, the reader of rcc.h, and the trim on resume, around one line parser. */
#include "metrics_log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../util.h"

static const char *term_key[RCC_LOSS_TERMS] = {"ins", "clu_nce", "entropy", "unif", "total"};

const char *rcc_metrics_term_key(int t) { return t >= 0 && t < RCC_LOSS_TERMS ? term_key[t] : NULL; }

/* ---------------------------------------------------------------- writing */

/* The loss terms a line holds; NaN terms (a self-labelling step has only its total) are left out. */
static void write_terms(FILE *f, const rcc_loss_terms *t)
{
    const double v[RCC_LOSS_TERMS] = {t->ins, t->clu_nce, t->entropy, t->unif, t->total};
    bool first = true;
    for (int i = 0; i < RCC_LOSS_TERMS; i++)
        if (!isnan(v[i])) {
            fprintf(f, "%s\"%s\":%.7g", first ? "" : ",", term_key[i], v[i]);
            first = false;
        }
}

void rcc_metrics_write_self_label_step(FILE *f, int epoch, int batch, long step, double lr, double loss,
                                       double confident)
{
    fprintf(f, "{\"kind\":\"step\",\"epoch\":%d,\"batch\":%d,\"step\":%ld,\"lr\":%.6g,\"self_label\":%.7g,"
               "\"confident\":%.4f,\"total\":%.7g}\n",
            epoch, batch, step, lr, loss, confident, loss);
}

void rcc_metrics_write_step(FILE *f, int epoch, int batch, long step, double lr, const rcc_loss_terms *t)
{
    fprintf(f, "{\"kind\":\"step\",\"epoch\":%d,\"batch\":%d,\"step\":%ld,\"lr\":%.6g,", epoch, batch, step, lr);
    write_terms(f, t);
    fputs("}\n", f);
}

void rcc_metrics_write_epoch(FILE *f, int epoch, long step, const rcc_loss_terms *mean, double seconds, int empty,
                             double largest, const long *sizes, int k)
{
    fprintf(f, "{\"kind\":\"epoch\",\"epoch\":%d,\"step\":%ld,", epoch, step);
    write_terms(f, mean);
    fprintf(f, ",\"seconds\":%.3f,\"empty\":%d,\"largest\":%.4f,\"sizes\":[", seconds, empty, largest);
    for (int i = 0; i < k; i++)
        fprintf(f, "%s%ld", i ? "," : "", sizes[i]);
    fputs("]}\n", f);
}

void rcc_metrics_write_eval(FILE *f, int epoch, long step, double acc, double nmi, double ari, double acc_predict,
                            double seconds)
{
    fprintf(f, "{\"kind\":\"eval\",\"epoch\":%d,\"step\":%ld,\"acc\":%.6f,\"nmi\":%.6f,\"ari\":%.6f,", epoch, step, acc,
            nmi, ari);
    if (isfinite(acc_predict))
        fprintf(f, "\"acc_predict\":%.6f,", acc_predict);
    fprintf(f, "\"seconds\":%.3f}\n", seconds);
}

static void number_or_null(FILE *f, const char *key, double v)
{
    if (isnan(v))
        fprintf(f, ",\"%s\":null", key);
    else
        fprintf(f, ",\"%s\":%.6f", key, v);
}

void rcc_metrics_write_drift(FILE *f, long step, long seen, int pool, long skipped, const long *recent_sizes, int k,
                             double recent_confidence, int probe, double probe_moved, double probe_ari)
{
    fprintf(f, "{\"kind\":\"drift\",\"step\":%ld,\"seen\":%ld,\"pool\":%d,\"skipped\":%ld,\"recent_sizes\":[", step,
            seen, pool, skipped);
    for (int i = 0; i < k; i++)
        fprintf(f, "%s%ld", i ? "," : "", recent_sizes[i]);
    fputc(']', f);
    number_or_null(f, "recent_confidence", recent_confidence);
    fprintf(f, ",\"probe\":%d", probe);
    number_or_null(f, "probe_moved", probe_moved);
    number_or_null(f, "probe_ari", probe_ari);
    fputs("}\n", f);
}

/* ---------------------------------------------------------------- reading */

static double number(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

/* The record of one line; false when the line is not a JSON object. */
static bool parse_line(const char *line, rcc_metrics_record *r)
{
    cJSON *o = cJSON_Parse(line);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return false;
    }
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
    const char *k = cJSON_IsString(kind) ? kind->valuestring : "";
    r->kind = strcmp(k, "step") == 0    ? RCC_METRICS_STEP
              : strcmp(k, "epoch") == 0 ? RCC_METRICS_EPOCH
              : strcmp(k, "eval") == 0  ? RCC_METRICS_EVAL
              : strcmp(k, "drift") == 0 ? RCC_METRICS_DRIFT
                                        : RCC_METRICS_OTHER;
    r->line = 0;
    r->epoch = number(o, "epoch");
    r->batch = number(o, "batch");
    r->step = number(o, "step");
    r->lr = number(o, "lr");
    for (int t = 0; t < RCC_LOSS_TERMS; t++)
        r->terms[t] = number(o, term_key[t]);
    r->seconds = number(o, "seconds");
    r->empty = number(o, "empty");
    r->largest = number(o, "largest");
    r->acc = number(o, "acc");
    r->nmi = number(o, "nmi");
    r->ari = number(o, "ari");
    r->acc_predict = number(o, "acc_predict");
    r->seen = number(o, "seen");
    r->pool = number(o, "pool");
    r->skipped = number(o, "skipped");
    r->recent_confidence = number(o, "recent_confidence");
    r->probe_moved = number(o, "probe_moved");
    r->probe_ari = number(o, "probe_ari");
    cJSON_Delete(o);
    return true;
}

rcc_status rcc_metrics_log_load(const char *path, rcc_metrics_log *log)
{
    memset(log, 0, sizeof *log);
    FILE *f = fopen(path, "r");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t lcap = 0, cap = 0;
    rcc_status st = RCC_OK;
    while (st == RCC_OK && getline(&line, &lcap, f) > 0) {
        log->lines++;
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '\n' || *p == '\r')
            continue;
        rcc_metrics_record r;
        if (!parse_line(p, &r)) {
            if (++log->bad_lines > 3 && log->bad_lines * 2 > log->lines)
                st = rcc_fail(RCC_ERR_FORMAT, "%s: line %d is not a JSON object", path, log->lines);
            continue;
        }
        r.line = log->lines;
        if (log->n == cap) {
            size_t nc = cap ? 2 * cap : 256;
            rcc_metrics_record *nr = realloc(log->records, nc * sizeof *nr);
            if (!nr) {
                st = rcc_fail(RCC_ERR_NOMEM, "%s: %zu lines", path, log->n);
                break;
            }
            log->records = nr, cap = nc;
        }
        log->records[log->n++] = r;
    }
    free(line);
    fclose(f);
    if (st != RCC_OK)
        rcc_metrics_log_free(log);
    return st;
}

void rcc_metrics_log_free(rcc_metrics_log *log)
{
    free(log->records);
    log->records = NULL;
    log->n = 0;
}

/* ---------------------------------------------------------------- trimming on resume */

rcc_status rcc_metrics_trim(const char *path, long step)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return RCC_OK;
    char tmp[RCC_PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        fclose(in);
        return rcc_fail(RCC_ERR_IO, "%s: path too long", path);
    }
    FILE *out = fopen(tmp, "w");
    if (!out) {
        fclose(in);
        return rcc_fail(RCC_ERR_IO, "%s: cannot write", tmp);
    }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, in) > 0) {
        rcc_metrics_record r;
        if (parse_line(line, &r) && r.step <= (double)step) /* NaN: a line without a step goes */
            fputs(line, out);
    }
    free(line);
    fclose(in);
    if (fclose(out) != 0 || rename(tmp, path) != 0)
        return rcc_fail(RCC_ERR_IO, "%s: cannot rewrite", path);
    return RCC_OK;
}
