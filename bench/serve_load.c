/* serve_load.c — load generator for `rcc serve` (bench/serve_load.sh): C concurrent clients on
 * libcurl's multi interface, each sending PNGs (in turn from the files given; one per request as
 * image/png, or several as multipart/form-data) to POST /v1/assign as soon as its previous answer
 * is in, for a number of seconds. Prints one line: clients, images per request, requests, errors,
 * p50 and p99 latency (ms), images/s.
 * Usage: serve_load URL CLIENTS SECONDS TOKEN|- IMAGES_PER_REQUEST FILE.png... */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *data;
    long len;
} blob;

typedef struct {
    CURL *easy;
    double t0;
    int next;
    curl_mime *mime; /* multipart: the body in flight (libcurl builds it; one per request) */
} client;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static size_t drop(char *p, size_t size, size_t n, void *user)
{
    (void)p, (void)user;
    return size * n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void start(CURLM *multi, client *c, const blob *files, int nfiles, int per, int i)
{
    if (per == 1) {
        const blob *b = &files[(c->next + i) % nfiles];
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, b->data);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, b->len);
    } else {
        curl_mime_free(c->mime); /* a reused curl_mime stalled its second transfer */
        c->mime = curl_mime_init(c->easy);
        for (int k = 0; k < per; k++) {
            curl_mimepart *part = curl_mime_addpart(c->mime);
            const blob *b = &files[(c->next + i + k) % nfiles];
            curl_mime_name(part, "image");
            curl_mime_filename(part, "digit.png");
            curl_mime_type(part, "image/png");
            curl_mime_data(part, b->data, (size_t)b->len);
        }
        curl_easy_setopt(c->easy, CURLOPT_MIMEPOST, c->mime);
    }
    c->next += 7;
    c->t0 = now();
    curl_multi_add_handle(multi, c->easy);
}

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: serve_load URL CLIENTS SECONDS TOKEN|- IMAGES_PER_REQUEST FILE.png...\n");
        return 2;
    }
    const char *url = argv[1];
    int nc = atoi(argv[2]), per = atoi(argv[5]);
    double seconds = atof(argv[3]);
    int nfiles = argc - 6;
    if (nc < 1 || per < 1 || seconds <= 0) {
        fprintf(stderr, "serve_load: CLIENTS and IMAGES_PER_REQUEST >= 1, SECONDS > 0\n");
        return 2;
    }
    blob *files = calloc((size_t)nfiles, sizeof *files);
    for (int i = 0; i < nfiles; i++) {
        FILE *f = fopen(argv[6 + i], "rb");
        if (!f || fseek(f, 0, SEEK_END) != 0 || (files[i].len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
            !(files[i].data = malloc((size_t)files[i].len)) || fread(files[i].data, 1, (size_t)files[i].len, f) != (size_t)files[i].len) {
            fprintf(stderr, "serve_load: cannot read %s\n", argv[6 + i]);
            return 1;
        }
        fclose(f);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct curl_slist *hdr = per == 1 ? curl_slist_append(NULL, "Content-Type: image/png") : NULL;
    char auth[512];
    if (strcmp(argv[4], "-") != 0) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", argv[4]);
        hdr = curl_slist_append(hdr, auth);
    }
    hdr = curl_slist_append(hdr, "Expect:"); /* no 100-continue round trip */
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)nc);
    client *cl = calloc((size_t)nc, sizeof *cl);
    size_t cap = 1 << 20, nlat = 0;
    double *lat = malloc(cap * sizeof *lat);
    long errors = 0;
    double t_end = now() + seconds, t_begin = now();
    for (int i = 0; i < nc; i++) {
        cl[i].easy = curl_easy_init();
        cl[i].next = i;
        curl_easy_setopt(cl[i].easy, CURLOPT_URL, url);
        curl_easy_setopt(cl[i].easy, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(cl[i].easy, CURLOPT_WRITEFUNCTION, drop);
        curl_easy_setopt(cl[i].easy, CURLOPT_PRIVATE, &cl[i]);
        curl_easy_setopt(cl[i].easy, CURLOPT_TCP_NODELAY, 1L);
        start(multi, &cl[i], files, nfiles, per, i);
    }
    int running = nc;
    while (running > 0) {
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            client *c;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            long code = 0;
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            double t = now();
            if (m->data.result != CURLE_OK || code != 200)
                errors++;
            else if (nlat < cap)
                lat[nlat++] = t - c->t0;
            curl_multi_remove_handle(multi, m->easy_handle);
            if (t < t_end) {
                start(multi, c, files, nfiles, per, 0);
                running++;
            }
        }
        if (running > 0)
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    double elapsed = now() - t_begin;
    qsort(lat, nlat, sizeof *lat, cmp_double);
    double p50 = nlat ? lat[nlat / 2] * 1e3 : 0, p99 = nlat ? lat[(size_t)(nlat * 0.99)] * 1e3 : 0;
    printf("clients %3d  images/request %2d  requests %6zu  errors %ld  p50 %7.3f ms  p99 %7.3f ms  %5.0f images/s\n",
           nc, per, nlat, errors, p50, p99, (double)nlat * per / elapsed);
    for (int i = 0; i < nc; i++) {
        curl_easy_cleanup(cl[i].easy);
        curl_mime_free(cl[i].mime);
    }
    curl_multi_cleanup(multi);
    curl_slist_free_all(hdr);
    curl_global_cleanup();
    return errors ? 1 : 0;
}
