/* test_serve_view.c — rcc_image_view_decode (what `rcc serve` feeds the network) against the path
 * `rcc predict` takes for the same file (rcc_dataset_load of the one image, then rcc_eval_view):
 * bit-identical floats for gray and colour PNG/JPEG; gray replicated to 3 channels, colour turned
 * to gray by luma; the side limit refused from the header; empty and truncated inputs refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rcc_data.h"
#include "testutil.h"

#define S 16

static void same_as_dataset(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", RCC_CORPUS, name);
    size_t len;
    unsigned char *bytes = read_bytes(path, &len);
    CHECK(bytes != NULL, "%s: unreadable", path);
    if (!bytes)
        return;
    const char *paths[1] = {path};
    rcc_dataset d;
    CHECK_OK(rcc_dataset_load(&d, paths, 1, NULL));
    float want[3 * S * S], got[3 * S * S];
    rcc_eval_view(&d, 0, S, want);
    CHECK_OK(rcc_image_view_decode(bytes, len, d.c, S, 0, name, got));
    CHECK(memcmp(want, got, sizeof(float) * (size_t)d.c * S * S) == 0, "%s: view differs from the data set's", name);
    /* to the other channel count */
    float other[3 * S * S];
    int oc = d.c == 1 ? 3 : 1;
    CHECK_OK(rcc_image_view_decode(bytes, len, oc, S, 0, name, other));
    if (oc == 3) {
        CHECK(memcmp(other, want, sizeof(float) * S * S) == 0 && memcmp(other + S * S, want, sizeof(float) * S * S) == 0 &&
                  memcmp(other + 2 * S * S, want, sizeof(float) * S * S) == 0,
              "%s: gray not replicated to 3 channels", name);
    } else {
        float worst = 0;
        for (int i = 0; i < S * S; i++) { /* luma is linear, so it commutes with the resize up to rounding */
            float l = 0.2989f * want[i] + 0.587f * want[S * S + i] + 0.114f * want[2 * S * S + i];
            float e = other[i] > l ? other[i] - l : l - other[i];
            worst = e > worst ? e : worst;
        }
        CHECK(worst < 1e-5f, "%s: colour to gray is not luma (off by %g)", name, (double)worst);
    }
    /* a side limit below the image's is refused; empty and cut-short bytes are refused */
    CHECK(rcc_image_view_decode(bytes, len, d.c, S, d.w > d.h ? d.w - 1 : d.h - 1, name, got) == RCC_ERR_FORMAT &&
              strstr(rcc_last_error(), "larger than allowed"),
          "%s: side limit not applied: %s", name, rcc_last_error());
    CHECK(rcc_image_view_decode(bytes, 0, d.c, S, 0, name, got) == RCC_ERR_FORMAT, "%s: empty accepted", name);
    CHECK(rcc_image_view_decode(bytes, len / 2, d.c, S, 0, name, got) == RCC_ERR_FORMAT, "%s: half accepted", name);
    rcc_dataset_free(&d);
    free(bytes);
}

int main(void)
{
    const char *files[] = {"gray8.png", "rgb.jpg", "gray.jpg", "rgba8.png", "palette2.png", "rgb8_interlaced.png"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        same_as_dataset(files[i]);
    float out[S * S];
    CHECK(rcc_image_view_decode("not an image", 12, 1, S, 0, "text", out) == RCC_ERR_FORMAT, "text accepted");
    CHECK(rcc_image_view_decode("x", 1, 2, S, 0, "x", out) == RCC_ERR_ARG, "2 channels accepted");
    return test_finish("test_serve_view");
}
