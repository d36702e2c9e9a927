/* data_load.c — reading --data for the subcommands: broken image files in folders skipped and
 * named (or refused with --strict), progress on a terminal while thousands of files decode, and
 * what loading did quietly (other files ignored, sizes and channels converted) said on stderr. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

enum { SHOW_BROKEN = 10 }; /* broken files named on stderr; the rest only counted (and listed) */

typedef struct {
    const char *cmd;
    const char *list_path; /* where every broken file is listed, or NULL */
    FILE *list;
    bool tty, progress_shown;
    int broken;
} load_ui;

static void on_broken(const char *path, const char *why, void *user)
{
    load_ui *u = user;
    if (u->progress_shown) {
        fputs("\r\033[K", stderr);
        u->progress_shown = false;
    }
    if (u->broken++ < SHOW_BROKEN)
        fprintf(stderr, "%s: skipping a broken image: %s\n", u->cmd, why);
    if (u->list_path && !u->list && !(u->list = fopen(u->list_path, "w")))
        fprintf(stderr, "%s: warning: cannot write %s (%s)\n", u->cmd, u->list_path, strerror(errno)), u->list_path = NULL;
    if (u->list)
        fprintf(u->list, "%s\t%s\n", path, why);
}

static void on_progress(long decoded, const char *folder, void *user)
{
    load_ui *u = user;
    if (!u->tty)
        return;
    if (folder)
        fprintf(stderr, "\r\033[K%s: reading images: %ld (%s)", u->cmd, decoded, folder);
    else
        fputs("\r\033[K", stderr);
    u->progress_shown = folder != NULL;
}

rcc_status cli_load_data(const char *cmd, const cli_strs *data, const cli_strs *labels, const cli_load_flags *fl,
                         const char *skipped_list, rcc_dataset *d)
{
    load_ui u = {cmd, skipped_list, NULL, isatty(2) != 0, false, 0};
    rcc_load_options o = rcc_load_defaults();
    o.skip_broken = !fl->strict;
    o.max_broken = fl->max_broken;
    o.on_broken = on_broken;
    o.on_progress = on_progress;
    o.user = &u;
    rcc_data_report rep;
    rcc_status st = rcc_dataset_load_opts(d, data->v, data->n, labels && labels->n ? labels->v : NULL, &o, &rep);
    if (u.progress_shown)
        fputs("\r\033[K", stderr);
    if (u.list && fclose(u.list) != 0)
        fprintf(stderr, "%s: warning: cannot write %s\n", cmd, skipped_list);
    if (st != RCC_OK)
        return st;
    if (rep.broken_files)
        fprintf(stderr, "%s: warning: skipped %d broken image file(s)%s%s%s\n", cmd, rep.broken_files,
                rep.broken_files > SHOW_BROKEN ? " (the first ten named above)" : "",
                skipped_list ? "; all listed in " : "", skipped_list ? skipped_list : "");
    if (rep.skipped_files)
        fprintf(stderr, "%s: note: ignored %d file(s) that are not .png/.jpg/.jpeg images (first: %s)\n", cmd,
                rep.skipped_files, rep.first_skipped);
    if (rep.resized)
        fprintf(stderr, "%s: note: %d image(s) resized to the first image's %dx%d\n", cmd, rep.resized, d->w, d->h);
    if (rep.gray_to_rgb)
        fprintf(stderr, "%s: note: %d gray image(s) turned to 3 channels to match colour ones\n", cmd,
                rep.gray_to_rgb);
    if (rep.labels_dropped)
        fprintf(stderr, "%s: warning: some sources have no labels, so labels are ignored\n", cmd);
    return RCC_OK;
}

rcc_status cli_match_channels(const char *cmd, int channels, rcc_dataset *d)
{
    if (channels <= 0 || d->c == channels)
        return RCC_OK;
    fprintf(stderr, "%s: note: the model takes %s images; converting the %d %s image(s)\n", cmd,
            channels == 1 ? "gray" : "colour", d->n, d->c == 1 ? "gray" : "colour");
    return rcc_dataset_convert_channels(d, channels);
}
