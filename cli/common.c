/* common.c — what several subcommands share beyond parsing: catching Ctrl-C for a run that saves
 * before it stops, and durations as clock text. */
#include <signal.h>
#include <stdio.h>
#include "cli.h"

static volatile sig_atomic_t g_stop;

static void on_stop_signal(int sig)
{
    g_stop = 1;
    signal(sig, SIG_DFL); /* a second Ctrl-C ends at once */
}

void cli_catch_stop(bool on)
{
    signal(SIGINT, on ? on_stop_signal : SIG_DFL);
    signal(SIGTERM, on ? on_stop_signal : SIG_DFL);
}

volatile sig_atomic_t *cli_stop_flag(void) { return &g_stop; }

void cli_fmt_duration(char *buf, size_t n, double seconds, bool always_hours)
{
    long t = (long)(seconds + 0.5);
    if (always_hours || t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%02ld:%02ld", t / 60, t % 60);
}
