/* SPDX-License-Identifier: MIT */
/*
 * Test helper for the image fidelity check (tests/image/fidelity.py): runs the image pipeline on
 * a list of cases and writes each output slot as raw bytes, so Python can compare it with PIL.
 * Not a user tool; the CLI's classify command is the user-facing way to preprocess images.
 *
 * Each line of the case file has 12 or 13 fields separated by spaces:
 *   input output fit W H resize_shorter filter antialias order layout dtype dct [norm]
 * fit: stretch|crop|letterbox|padright; order: rgb|bgr; layout: nchw|nhwc;
 * dtype: float32|float16|uint8; antialias, dct: 0|1; norm: imagenet (default)|unit|raw. A preset
 * name ("ppocr") may replace the fit, and then the remaining fields are ignored. Errors go to
 * stdout as "ERR <output> <CODE> <msg>".
 */
#include <edgeinfer/image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits `line` in place at spaces and tabs; returns the number of fields (at most max). */
static int split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (*p != '\0' && n < max) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            *p++ = '\0';
        if (*p == '\0')
            break;
        f[n++] = p;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            p++;
        if (*p != '\0')
            *p++ = '\0';
    }
    return n;
}

static int parse_dim(const char *s, int32_t *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < 0 || v > 65535)
        return -1;
    *out = (int32_t)v;
    return 0;
}

static int parse_case(char *line, ei_image_opts_t *o, char **in, char **out)
{
    char *f[13];
    int n = split(line, f, 13);
    if (n < 3)
        return -1;
    *in = f[0];
    *out = f[1];
    ei_image_opts_init(o);
    if (strcmp(f[2], "ppocr") == 0) {
        ei_error_t err = {0};
        return ei_image_opts_preset(o, "ppocr", &err) == EI_OK ? 0 : -1;
    }
    if (n < 12)
        return -1;
    o->fit = strcmp(f[2], "stretch") == 0     ? EI_FIT_STRETCH
             : strcmp(f[2], "letterbox") == 0 ? EI_FIT_LETTERBOX
             : strcmp(f[2], "padright") == 0  ? EI_FIT_PAD_RIGHT
                                              : EI_FIT_SHORTER_CROP;
    if (parse_dim(f[3], &o->width) != 0 || parse_dim(f[4], &o->height) != 0 ||
        parse_dim(f[5], &o->resize_shorter) != 0)
        return -1;
    int filt = ei_image_filter_parse(f[6]);
    if (filt < 0)
        return -1;
    o->filter = (ei_image_filter_t)filt;
    o->antialias = f[7][0] == '1';
    o->order = strcmp(f[8], "bgr") == 0 ? EI_ORDER_BGR : EI_ORDER_RGB;
    o->layout = strcmp(f[9], "nhwc") == 0 ? EI_LAYOUT_NHWC : EI_LAYOUT_NCHW;
    o->dtype = ei_dtype_parse(f[10]);
    o->dct_scaling = f[11][0] == '1';
    if (n == 13 && strcmp(f[12], "imagenet") != 0) {
        ei_image_opts_t t = *o;
        ei_error_t err = {0};
        if (ei_image_opts_preset(&t, f[12], &err) != EI_OK)
            return -1;
        o->scale = t.scale;
        memcpy(o->mean, t.mean, sizeof(o->mean));
        memcpy(o->std, t.std, sizeof(o->std));
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: image_dump CASEFILE\n");
        return 2;
    }
    FILE *cf = fopen(argv[1], "r");
    if (cf == NULL) {
        perror(argv[1]);
        return 2;
    }
    char line[4096];
    int bad = 0;
    while (fgets(line, sizeof(line), cf) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        ei_image_opts_t o;
        char *in = NULL, *out = NULL;
        if (parse_case(line, &o, &in, &out) != 0) {
            fprintf(stderr, "bad case line\n");
            bad = 1;
            continue;
        }
        ei_error_t err = {0};
        ei_image_pipeline_t *p = NULL;
        ei_image_geom_t g;
        void *buf = NULL;
        ei_code_t rc = ei_image_pipeline_create(&o, &p, &err);
        if (rc == EI_OK) {
            size_t n = ei_image_pipeline_slot_bytes(p);
            buf = malloc(n);
            if (buf == NULL)
                rc = EI_ENOMEM;
            else
                rc = ei_image_pipeline_load_raw(p, in, NULL, 0, buf, n, 0, &g, &err);
            if (rc == EI_OK) {
                FILE *of = fopen(out, "wb");
                if (of == NULL || fwrite(buf, 1, n, of) != n) {
                    fprintf(stderr, "%s: write failed\n", out);
                    bad = 1;
                }
                if (of != NULL)
                    fclose(of);
                printf("OK %s %d %d %d %d %.9g %.9g %.9g %.9g\n", out, g.src_width, g.src_height,
                       g.resized_width, g.resized_height, g.scale_x, g.scale_y, g.offset_x,
                       g.offset_y);
            }
        }
        if (rc != EI_OK)
            printf("ERR %s %s %s\n", out, ei_code_name(rc), err.msg);
        free(buf);
        ei_image_pipeline_destroy(p);
    }
    fclose(cf);
    return bad;
}
