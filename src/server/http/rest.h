/* SPDX-License-Identifier: MIT */
/*
 * The HTTP endpoints, as route tables the server hands to the HTTP front-end (http.h): the KServe
 * v2 REST API (rest_v2.c, with inference in rest_infer.c and the task heads' endpoints
 * in rest_task.c) and the metrics page (metrics.c). Each drives the protocol-neutral core
 * (v2_core.h) and answers with ei__http_respond*().
 */
#ifndef EI_SERVER_HTTP_REST_H
#define EI_SERVER_HTTP_REST_H

#include "http.h"

/** The KServe v2 REST endpoints (/v2/...), for the HTTP port. */
extern const ei__http_routes_t ei__rest_v2_routes;
/** GET /metrics, for the metrics port. */
extern const ei__http_routes_t ei__metrics_routes;

struct ei__sbuf;
/** Appends the Prometheus text of GET /metrics to `b` (metrics.c; also served at /ui/metrics). */
void ei__metrics_render(ei__http_t *h, struct ei__sbuf *b);

/** GET /, /ui/{file}, /ui/info.json, /ui/metrics: the web console (ui.c); 404 with --no-ui. */
void ei__ui_index(ei__http_req_t *r, const char *const *arg, size_t n_arg);
void ei__ui_file(ei__http_req_t *r, const char *const *arg, size_t n_arg);
void ei__ui_info(ei__http_req_t *r, const char *const *arg, size_t n_arg);
void ei__ui_metrics(ei__http_req_t *r, const char *const *arg, size_t n_arg);

/* Shared by the rest_*.c files ------------------------------------------------------------------
 */

/**
 * The model name and version of a /v2/models/{m}[/versions/{v}]/... route: arg[0] is the name,
 * arg[1] (when n_arg is 2) the version. false after answering 400 for a bad version.
 */
bool ei__rest_model_args(ei__http_req_t *r, const char *const *arg, size_t n_arg, const char **name,
                         int64_t *version);
/** Records the model a request is about, for the log lines. */
void ei__rest_note_model(ei__http_req_t *r, const char *name, int64_t version);

/** POST /v2/models/{m}[/versions/{v}]/infer (rest_infer.c). */
void ei__rest_infer(ei__http_req_t *r, const char *const *arg, size_t n_arg);
/**
 * POST /v2/models/{m}[/versions/{v}]/{head}: the task head named by the route's last segment
 * ("classify", "ocr"; <edgeinfer/task.h>) on an encoded image (rest_task.c).
 */
void ei__rest_task(ei__http_req_t *r, const char *const *arg, size_t n_arg);

#endif
