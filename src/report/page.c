/* page.c — index.html of `rcc report`: one self-contained page (its style inline, its charts
 * inline SVG, thumbnails and pictures as files beside it, no script at all), which a browser
 * opens from disk without a server or a network. Every piece of text from the data or the user
 * goes through html_text (html.c); the rest is fixed markup and numbers. A Content-Security-Policy
 * in the page forbids scripts and anything not beside it, so even a mistake in escaping would run
 * nothing. */
#include <math.h>
#include <string.h>
#include <time.h>
#include "rcc_plot.h"
#include "report_internal.h"

static const char STYLE[] =
    "*{box-sizing:border-box}"
    "body{font:14px/1.45 system-ui,'DejaVu Sans',sans-serif;margin:0;color:#1d2430;background:#f4f5f7}"
    "header{background:#1d2430;color:#fff;padding:14px 24px}header h1{margin:0;font-size:22px}"
    "header p{margin:4px 0 8px;color:#c9d1dc}nav a{color:#9fd0ff;margin-right:16px;text-decoration:none}"
    "main{padding:8px 24px 40px;max-width:1500px}section{margin-top:22px}h2{font-size:18px;margin:0 0 10px}"
    ".stats{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:14px}"
    ".stat{background:#fff;border-radius:6px;padding:8px 14px;box-shadow:0 1px 2px #0002}"
    ".stat b{display:block;font-size:20px}.stat span{color:#5b6675;font-size:12px}"
    ".charts{display:flex;flex-wrap:wrap;gap:16px}.chart{background:#fff;border-radius:6px;padding:10px;"
    "box-shadow:0 1px 2px #0002;flex:1 1 420px}.chart h3{margin:0 0 6px;font-size:14px}"
    "svg text{font:11px system-ui,'DejaVu Sans',sans-serif;fill:#444}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}"
    ".card{background:#fff;border-radius:6px;padding:10px 14px;box-shadow:0 1px 2px #0002;"
    "border-top:5px solid var(--c)}.card h3{margin:0;font-size:16px}.meta{margin:2px 0 6px;color:#5b6675}"
    ".card h4{margin:8px 0 3px;font-size:12px;color:#5b6675;font-weight:600;text-transform:uppercase}"
    ".thumbs{display:flex;flex-wrap:wrap;gap:4px}"
    "figure.t{margin:0;width:72px;text-align:center}"
    "figure.t img{width:64px;height:64px;object-fit:contain;image-rendering:pixelated;background:#e9ecf0;"
    "border-radius:3px;display:block;margin:0 auto}"
    "figcaption{font-size:10px;color:#5b6675;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}"
    "figcaption .n{display:block;white-space:normal;word-break:break-all;line-height:1.2;max-height:2.4em;"
    "overflow:hidden}"
    ".pics figure{background:#fff;border-radius:6px;padding:10px;margin:0 0 14px;box-shadow:0 1px 2px #0002}"
    ".pics img{max-width:100%;height:auto}.pics figcaption{white-space:normal;font-size:12px}"
    "table{border-collapse:collapse;background:#fff}td,th{padding:3px 8px;border:1px solid #dde1e6;text-align:right}"
    "th{background:#eef1f4}td.l,th.l{text-align:left}.note{color:#5b6675}";

/* The cluster's colour in the pictures (the sphere), so that a card and its points match. */
static void hue(FILE *f, int cl)
{
    double c[3];
    rcc_plot_color(cl, c);
    fprintf(f, "rgb(%d,%d,%d)", (int)lround(c[0] * 255), (int)lround(c[1] * 255), (int)lround(c[2] * 255));
}

/* The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) >= v: a chart's top. */
static double nice_top(double v)
{
    if (v <= 40) /* small counts: whole numbers at every quarter */
        return 4 * ceil(v / 4);
    double p = pow(10, floor(log10(v)));
    const double steps[] = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
    for (int i = 0; i < 10; i++)
        if (steps[i] * p >= v)
            return steps[i] * p;
    return 10 * p;
}

/* How a thumbnail is captioned: the last two parts of its path (a class folder and the file). */
static const char *short_name(const char *name)
{
    const char *last = strrchr(name, '/');
    if (!last)
        return name;
    const char *prev = last;
    while (prev > name && prev[-1] != '/')
        prev--;
    return prev;
}

/* A thumbnail: the image beside the page, titled with its name (or index) and confidence. */
static void thumb(FILE *f, const report_data *rd, int i)
{
    const char *name = rd->d->names ? rd->d->names[i] : NULL;
    char idx[32];
    snprintf(idx, sizeof idx, "image %d", i);
    const char *base = name ? short_name(name) : idx;
    fprintf(f, "<figure class=\"t\"><img src=\"thumbs/%d.png\" loading=\"lazy\" alt=\"", i);
    html_text(f, name ? name : idx);
    fputs("\" title=\"", f);
    html_text(f, name ? name : idx);
    fprintf(f, " (cluster %d, confidence %.3f)\"><figcaption><span class=\"n\">", rd->cluster[i], (double)rd->conf[i]);
    html_text(f, base);
    fprintf(f, "</span>%.3f</figcaption></figure>", (double)rd->conf[i]);
}

static void thumbs_row(FILE *f, const report_data *rd, const char *title, const int *list, int n)
{
    if (n <= 0)
        return;
    fprintf(f, "<h4>%s</h4><div class=\"thumbs\">", title);
    for (int i = 0; i < n; i++)
        thumb(f, rd, list[i]);
    fputs("</div>", f);
}

/* Cluster sizes as bars, each linking to its card. */
static void size_chart(FILE *f, const report_data *rd)
{
    int64_t most = 1;
    for (int cl = 0; cl < rd->k; cl++)
        most = rd->sizes[cl] > most ? rd->sizes[cl] : most;
    double top = nice_top((double)most);
    int W = 640, H = 220, L = 50, B = 24, T = 8;
    double bw = (double)(W - L - 10) / rd->k;
    fprintf(f, "<svg viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" aria-label=\"cluster sizes\">", W, H);
    for (int g = 0; g <= 4; g++) {
        double y = T + (H - T - B) * (1 - g / 4.0);
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e6ea\"/>"
                   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%lld</text>",
                L, W - 10, y, y, L - 4, y + 4, (long long)llround(top * g / 4.0));
    }
    int every = rd->k <= 30 ? 1 : (rd->k + 29) / 30;
    for (int cl = 0; cl < rd->k; cl++) {
        double h = (double)(H - T - B) * (double)rd->sizes[cl] / top, x = L + cl * bw;
        fprintf(f, "<a href=\"#cluster-%d\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"", cl,
                x + bw * 0.1, H - B - h, bw * 0.8, h);
        hue(f, cl);
        fprintf(f, "\"><title>cluster %d: %lld images</title></rect></a>", cl, (long long)rd->sizes[cl]);
        if (cl % every == 0)
            fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>", x + bw / 2, H - 8, cl);
    }
    fputs("</svg>", f);
}

/* The confidence of every image in twentieths of [0, 1], with chance (1/K) marked. */
static void confidence_chart(FILE *f, const report_data *rd)
{
    int most = 1;
    for (int b = 0; b < 20; b++)
        most = rd->conf_hist[b] > most ? rd->conf_hist[b] : most;
    double top = nice_top(most);
    int W = 640, H = 220, L = 50, B = 24, T = 8;
    double bw = (W - L - 10) / 20.0;
    fprintf(f, "<svg viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" aria-label=\"confidence histogram\">", W, H);
    for (int g = 0; g <= 4; g++) {
        double y = T + (H - T - B) * (1 - g / 4.0);
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e6ea\"/>"
                   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%ld</text>",
                L, W - 10, y, y, L - 4, y + 4, lround(top * g / 4.0));
    }
    for (int b = 0; b < 20; b++) {
        double h = (double)(H - T - B) * rd->conf_hist[b] / top, x = L + b * bw;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4a7bd0\">"
                   "<title>confidence %.2f-%.2f: %d images</title></rect>",
                x + 1, H - B - h, bw - 2, h, b / 20.0, (b + 1) / 20.0, rd->conf_hist[b]);
    }
    for (int t = 0; t <= 4; t++)
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%.2f</text>", L + t * 5 * bw, H - 8,
                t == 4 ? "end" : "middle", t / 4.0);
    double chance = L + (W - L - 10) * (1.0 / rd->k);
    fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#c33\" stroke-dasharray=\"4 3\"/>"
               "<text x=\"%.1f\" y=\"%d\" style=\"fill:#c33\" paint-order=\"stroke\" stroke=\"#fff\" "
               "stroke-width=\"3\">chance (1/K)</text></svg>",
            chance, chance, T, H - B, chance + 4, T + 12);
}

static void stat(FILE *f, const char *value, const char *what)
{
    fprintf(f, "<div class=\"stat\"><b>%s</b><span>%s</span></div>", value, what);
}

static void overview(FILE *f, const report_data *rd)
{
    char v[64];
    fputs("<section id=\"overview\"><h2>Overview</h2><div class=\"stats\">", f);
    snprintf(v, sizeof v, "%d", rd->n);
    stat(f, v, "images");
    snprintf(v, sizeof v, "%d", rd->k);
    stat(f, v, "clusters (K)");
    snprintf(v, sizeof v, "%d", rd->nonempty);
    stat(f, v, "clusters not empty");
    snprintf(v, sizeof v, "%.3f", rd->mean_confidence);
    stat(f, v, "mean confidence");
    if (rd->voted) {
        snprintf(v, sizeof v, "%d", rd->moved);
        stat(f, v, rd->moved == 1 ? "image moved by its neighbours' vote" : "images moved by their neighbours' vote");
    } else if (rd->vote_refused) {
        snprintf(v, sizeof v, "%d", rd->vote_refused);
        stat(f, v, "images the neighbours' vote would move: too many, not applied");
    }
    if (rd->labelled) {
        snprintf(v, sizeof v, "%.3f", rd->acc);
        stat(f, v, "ACC (Hungarian)");
        snprintf(v, sizeof v, "%.3f", rd->nmi);
        stat(f, v, "NMI");
        snprintf(v, sizeof v, "%.3f", rd->ari);
        stat(f, v, "ARI");
    }
    fputs("</div><div class=\"charts\"><div class=\"chart\"><h3>Images per cluster</h3>", f);
    size_chart(f, rd);
    fputs("</div><div class=\"chart\"><h3>Confidence (the cluster head's probability of the chosen cluster)</h3>", f);
    confidence_chart(f, rd);
    fputs("</div></div></section>\n", f);
}

static void cards(FILE *f, const report_data *rd)
{
    const rcc_report_options *o = rd->o;
    fprintf(f, "<section id=\"clusters\"><h2>Clusters</h2><p class=\"note\">Each card shows the %d images the "
               "model is surest of, the %d it is least sure of, and %d drawn at random (seed %llu) from the rest. "
               "Hover over an image for its name.</p><div class=\"cards\">",
            o->typical, o->atypical, o->sample, (unsigned long long)o->seed);
    for (int cl = 0; cl < rd->k; cl++) {
        fprintf(f, "<article class=\"card\" id=\"cluster-%d\" style=\"--c:", cl);
        hue(f, cl);
        fprintf(f, "\"><h3>Cluster %d</h3><p class=\"meta\">%lld image%s (%.1f %%)", cl, (long long)rd->sizes[cl],
                rd->sizes[cl] == 1 ? "" : "s", 100.0 * (double)rd->sizes[cl] / rd->n);
        if (rd->sizes[cl])
            fprintf(f, " &middot; mean confidence %.3f", rd->mean_conf[cl]);
        if (rd->labelled && rd->majority[cl] >= 0) {
            int64_t m = rd->table[(size_t)cl * rd->c + rd->majority[cl]];
            fputs(" &middot; majority class <b>", f);
            html_text(f, rd->class_names[rd->majority[cl]]);
            fprintf(f, "</b> (%.0f %%)", 100.0 * (double)m / (double)rd->sizes[cl]);
        }
        fputs("</p>", f);
        if (!rd->sizes[cl])
            fputs("<p class=\"note\">No image was assigned to this cluster.</p>", f);
        thumbs_row(f, rd, "Most typical", rd->typical + cl * o->typical, rd->ntyp[cl]);
        thumbs_row(f, rd, "Least typical", rd->atypical + cl * o->atypical, rd->natyp[cl]);
        thumbs_row(f, rd, "Random sample", rd->sample + cl * o->sample, rd->nsamp[cl]);
        fputs("</article>\n", f);
    }
    fputs("</div></section>\n", f);
}

static void outliers(FILE *f, const report_data *rd)
{
    int shown = rd->nout < rd->o->outliers ? rd->nout : rd->o->outliers;
    fprintf(f, "<section id=\"outliers\"><h2>Outliers</h2><p class=\"note\">The %d images the model is least sure "
               "of over the whole set, least sure first: candidates for anomalies, mislabelled or broken images, "
               "or things none of the clusters is about.", shown);
    if (rd->o->outliers_csv > 0)
        fprintf(f, " The %d lowest are listed in <a href=\"outliers.csv\">outliers.csv</a>.",
                rd->o->outliers_csv < rd->nout ? rd->o->outliers_csv : rd->nout);
    fputs("</p><div class=\"thumbs\">", f);
    for (int i = 0; i < shown; i++)
        thumb(f, rd, rd->outliers[i]);
    fputs("</div></section>\n", f);
}

static void scores(FILE *f, const report_data *rd)
{
    if (!rd->labelled)
        return;
    fprintf(f, "<section id=\"scores\"><h2>Against the labels</h2><p>ACC %.4f &middot; NMI %.4f &middot; ARI "
               "%.4f over %d images and %d classes. The labels were not used to cluster.</p>",
            rd->acc, rd->nmi, rd->ari, rd->n, rd->c);
    if (rd->confusion_png)
        fputs("<div class=\"pics\"><figure><img src=\"confusion.png\" alt=\"confusion matrix\"><figcaption>Rows: "
              "classes; columns: clusters in the order of their best match; colour: the share of the class."
              "</figcaption></figure></div>", f);
    fputs("<p class=\"note\">Classes: ", f);
    for (int j = 0; j < rd->c; j++) {
        fprintf(f, "%s%d&nbsp;=&nbsp;", j ? ", " : "", j);
        html_text(f, rd->class_names[j]);
    }
    fputs("</p>", f);
    fputs("<table><tr><th>cluster</th><th>images</th><th class=\"l\">majority class</th><th>its share</th></tr>", f);
    for (int cl = 0; cl < rd->k; cl++) {
        fprintf(f, "<tr><td><a href=\"#cluster-%d\">%d</a></td><td>%lld</td><td class=\"l\">", cl, cl,
                (long long)rd->sizes[cl]);
        if (rd->majority[cl] >= 0)
            html_text(f, rd->class_names[rd->majority[cl]]);
        fputs("</td><td>", f);
        if (rd->majority[cl] >= 0)
            fprintf(f, "%.1f %%", 100.0 * (double)rd->table[(size_t)cl * rd->c + rd->majority[cl]] / (double)rd->sizes[cl]);
        fputs("</td></tr>", f);
    }
    fputs("</table></section>\n", f);
}

static void picture(FILE *f, const char *file, const char *alt, const char *caption, const char *note)
{
    fputs("<figure>", f);
    if (file)
        fprintf(f, "<img src=\"%s\" alt=\"%s\">", file, alt);
    fputs("<figcaption>", f);
    html_text(f, caption);
    if (note && *note) {
        fputs(" ", f);
        html_text(f, note);
    }
    fputs("</figcaption></figure>", f);
}

static void pictures(FILE *f, const report_data *rd)
{
    if (!rd->o->pictures)
        return;
    fputs("<section id=\"pictures\"><h2>Pictures of the run</h2><div class=\"pics\">", f);
    picture(f, rd->sphere_png, "features on the sphere",
            "The unit-sphere features h of the images, coloured by cluster (more than 3 dimensions: their top "
            "three principal components).", rd->sphere_note);
    picture(f, rd->curves_png, "training curves", "The loss terms (and scores, when the run had labels) during training.",
            rd->curves_note);
    picture(f, rd->kselect_png, "choice of k",
            "How many clusters h itself suggests: k-means on a sample of h for each k, with the WCSS elbow, the "
            "silhouette and Calinski-Harabasz.", rd->kselect_note);
    fputs("</div></section>\n", f);
}

rcc_status report_page_write(outdir *od, const report_data *rd)
{
    FILE *f;
    rcc_status st = outdir_create(od, false, "index.html", &f);
    if (st != RCC_OK)
        return st;
    const char *title = rd->o->title ? rd->o->title : "rcc report";
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' data:; "
          "style-src 'unsafe-inline'\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>",
          f);
    html_text(f, title);
    fprintf(f, "</title><style>%s</style></head><body><header><h1>", STYLE);
    html_text(f, title);
    fputs("</h1><p>", f);
    if (rd->o->model_name) {
        fputs("model ", f);
        html_text(f, rd->o->model_name);
        fputs(" &middot; ", f);
    }
    char when[40];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    fprintf(f, "%d images &middot; %d clusters &middot; %s &middot; rcc %s</p><nav><a href=\"#overview\">Overview</a>"
               "<a href=\"#clusters\">Clusters</a><a href=\"#outliers\">Outliers</a>%s%s</nav></header><main>\n",
            rd->n, rd->k, when, rcc_version(), rd->labelled ? "<a href=\"#scores\">Labels</a>" : "",
            rd->o->pictures ? "<a href=\"#pictures\">Pictures</a>" : "");
    overview(f, rd);
    cards(f, rd);
    outliers(f, rd);
    scores(f, rd);
    pictures(f, rd);
    fputs("</main></body></html>\n", f);
    return outdir_commit(od, false, "index.html", f);
}
