/* bars.c — librcc from a C program, with images of its own: learns to tell horizontal bars from
 * vertical bars without labels, saves a checkpoint, loads it for inference and assigns new
 * images online. Build: cc bars.c $(pkg-config --cflags --libs rcc)
 * Usage: bars [checkpoint-path]  (default: bars.safetensors in the current folder) */
#include <rcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S 32

/* One S×S image: a bar across (horizontal) or down (vertical) at a random place, with noise. */
static void draw(float *img, int vertical, unsigned *seed)
{
    int pos = 4 + (int)(rand_r(seed) % (S - 12)), thick = 3 + (int)(rand_r(seed) % 4);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            int c = vertical ? x : y;
            float v = (c >= pos && c < pos + thick) ? 0.9f : 0.05f;
            img[y * S + x] = v + 0.1f * (float)(rand_r(seed) % 100) / 100.0f;
        }
}

static int check(rcc_status st, const char *what)
{
    if (st != RCC_OK) {
        fprintf(stderr, "%s: %s: %s\n", what, rcc_strerror(st), rcc_last_error());
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "bars.safetensors";
    rcc_config c;
    rcc_config_preset(&c, "cpu");
    c.image_size = S;
    c.width = 8; /* a small network: this is a demonstration */
    c.clusters = 2;
    c.batch = 32;
    c.lr = 2e-3f;
    rcc_training *t;
    if (check(rcc_training_create(&t, &c, 1), "create"))
        return 1;
    size_t per = S * S;
    float *views = malloc(sizeof(float) * per * 2 * (size_t)c.batch);
    unsigned seed = 7;
    double loss[5] = {0};
    for (int step = 0; step < 60; step++) {
        /* two views of each image: the same kind of bar, drawn anew (our "augmentation") */
        for (int i = 0; i < c.batch; i++) {
            int vertical = (int)(rand_r(&seed) % 2);
            draw(views + per * (size_t)i, vertical, &seed);
            draw(views + per * (size_t)(c.batch + i), vertical, &seed);
        }
        if (check(rcc_training_step(t, views, loss), "step"))
            return 1;
        if (step % 20 == 0)
            printf("step %2d: total loss %.4f\n", step, loss[4]);
    }
    if (check(rcc_training_save(t, path), "save"))
        return 1;
    rcc_training_free(t);

    rcc_net *net;
    if (check(rcc_net_load(&net, path), "load"))
        return 1;
    int agree = 0, n = 40, first[2] = {-1, -1};
    for (int i = 0; i < n; i++) { /* online: one image at a time */
        int vertical = i % 2, cluster;
        float conf;
        draw(views, vertical, &seed);
        if (check(rcc_net_assign(net, views, 1, &cluster, &conf, NULL, NULL), "assign"))
            return 1;
        if (first[vertical] < 0)
            first[vertical] = cluster;
        agree += cluster == first[vertical];
    }
    printf("clusters: horizontal -> %d, vertical -> %d; %d of %d images agree with the first of their kind\n",
           first[0], first[1], agree, n);
    rcc_net_free(net);
    free(views);
    return 0;
}
