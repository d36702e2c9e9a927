/* metrics_log.h — the training log, metrics.jsonl: the one module that knows its lines. The
 * training loop writes it through these calls; everything that reads it (the curves picture,
 * `rcc reproduce`, the trim on resume) goes through rcc_metrics_log_load (rcc.h) or the same
 * line parser. Line formats: docs/training.md. */
#ifndef RCC_METRICS_LOG_H
#define RCC_METRICS_LOG_H

#include <stdio.h>
#include "../loss.h"

/* epoch and batch are 1-based, as written; step counts the steps taken. Errors are left in f
 * (ferror), for the caller's flush to report. */
void rcc_metrics_write_step(FILE *f, int epoch, int batch, long step, double lr, const rcc_loss_terms *t);
/* The epoch's mean terms, its duration, and the k cluster sizes with the empty count and the
 * fraction in the largest. */
void rcc_metrics_write_epoch(FILE *f, int epoch, long step, const rcc_loss_terms *mean, double seconds, int empty,
                             double largest, const long *sizes, int k);
/* A self-labelling step: its loss (as "self_label" and "total") and the share of confident images. */
void rcc_metrics_write_self_label_step(FILE *f, int epoch, int batch, long step, double lr, double loss,
                                       double confident);
/* seconds: how long the evaluation took (a part of its epoch's seconds); acc_predict written when finite */
void rcc_metrics_write_eval(FILE *f, int epoch, long step, double acc, double nmi, double ari, double acc_predict,
                            double seconds);
/* A streaming run's drift record; probe_moved and probe_ari are written as null when NaN. */
void rcc_metrics_write_drift(FILE *f, long step, long seen, int pool, long skipped, const long *recent_sizes, int k,
                             double recent_confidence, int probe, double probe_moved, double probe_ari);

/* On resume: keeps, byte for byte, only the lines of steps up to `step` (a checkpoint's), by
 * rewriting the file through path.tmp. A missing file is no error. */
rcc_status rcc_metrics_trim(const char *path, long step);

#endif
