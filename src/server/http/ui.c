/* SPDX-License-Identifier: MIT */
/*
 * The web console's routes on the HTTP port (rows of rest_v2.c's table): GET / is the page,
 * GET /ui/NAME its embedded files (ui.h), GET /ui/info.json what the page cannot learn from the
 * KServe v2 API (the model control mode), GET /ui/metrics the Prometheus text of the metrics port
 * (the page computes latency percentiles from its histograms, and the metrics port may be off or
 * on another origin). With --no-ui (ei_server_opts_t.no_ui) all of them answer 404, as an unknown
 * path would. The page and its files hold no data and are open (a browser cannot add a key to a
 * page load); info.json and metrics need an API key's metadata / metrics scope (rest_v2.c's table),
 * which the page sends once the user typed it.
 */
#include "ui.h"

#include "rest.h"
#include "sbuf.h"

#include <stdio.h>
#include <string.h>

static bool ui_off(ei__http_req_t *r)
{
    if (!r->http->o->no_ui)
        return false;
    ei__http_respond_error(r, 404, "unknown endpoint '%.200s' (the web console is off: --no-ui)",
                           r->url);
    return true;
}

static void send_copy(ei__http_req_t *r, const char *ctype, const void *data, size_t size)
{
    char *body = ei__malloc(size + 1);
    if (!body) {
        ei__http_respond_error(r, 500, "out of memory");
        return;
    }
    memcpy(body, data, size);
    body[size] = '\0';
    r->ui_page = true;
    ei__http_respond(r, 200, ctype, body, size);
}

static void send_asset(ei__http_req_t *r, const char *name)
{
    for (size_t i = 0; i < ei__ui_asset_count; i++) {
        if (strcmp(ei__ui_assets[i].name, name) == 0) {
            send_copy(r, ei__ui_assets[i].ctype, ei__ui_assets[i].data, ei__ui_assets[i].size);
            return;
        }
    }
    ei__http_respond_error(r, 404, "the web console has no file '%.200s'", name);
}

void ei__ui_info(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    (void)arg;
    (void)n_arg;
    if (ui_off(r))
        return;
    static const char *const modes[] = {"none", "poll", "explicit"};
    unsigned m = (unsigned)r->http->o->model_control_mode;
    char body[160];
    int n = snprintf(body, sizeof body,
                     "{\"model_control_mode\":\"%s\",\"metrics_port\":%d,\"name\":\"edgeinfer\"}",
                     m < 3 ? modes[m] : "none", r->http->metrics_port);
    send_copy(r, "application/json", body, (size_t)n);
}

void ei__ui_index(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    (void)arg;
    (void)n_arg;
    if (!ui_off(r))
        send_asset(r, "index.html");
}

void ei__ui_metrics(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    (void)arg;
    (void)n_arg;
    if (ui_off(r))
        return;
    ei__sbuf_t b = {0};
    ei__metrics_render(r->http, &b);
    size_t len = 0;
    char *body = ei__sbuf_take(&b, &len);
    ei__http_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8", body, len);
}

void ei__ui_file(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    if (!ui_off(r) && n_arg == 1)
        send_asset(r, arg[0]);
}
