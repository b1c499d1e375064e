/* SPDX-License-Identifier: MIT */
/*
 * POST /v2/models/{m}[/versions/{v}]/{head}: a task head (<edgeinfer/task.h>) on an encoded image
 * (JPEG, PNG or WebP; the decoder sniffs the bytes, so Content-Type only has to be an image type
 * or application/octet-stream). The head is the route's last segment: /classify (the top-k
 * classes of model {m}) and /ocr (the text lines of the OCR pipeline {m}; see docs/ocr.md).
 * The HTTP thread only checks the request and hands it to the core's task driver
 * (../v2/task_call.h): an image worker decodes and preprocesses it (503 at once when the pool and
 * its queue are full), each stage runs on its model's scheduler (so requests are batched
 * together), and the answer is the head's JSON. Query arguments are the head's request parameters
 * (`?top_k=N` for classify).
 */
#include "rest.h"
#include "task_call.h"

#include <stdlib.h>
#include <string.h>

static const char *query_param(void *ctx, const char *key)
{
    return ei__http_query(ctx, key);
}

/* On an image or model worker: the answer. Nothing of `r` is touched after answering. */
static void task_done(const ei__task_outcome_t *o, void *user)
{
    ei__http_req_t *r = user;
    ei__http_note_timings(r, o->queue_ns, o->compute_ns);
    if (o->code != EI_OK) {
        ei__http_respond_error(r, ei__http_status_for(o->code), "%s", o->err.msg);
        return;
    }
    char *body = ei__malloc(o->json_len + 1);
    if (body == NULL) {
        ei__http_respond_error(r, 500, "out of memory");
        return;
    }
    memcpy(body, o->json, o->json_len + 1);
    ei__http_respond(r, 200, "application/json", body, o->json_len);
}

void ei__rest_task(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    const char *name;
    int64_t version;
    ei_error_t e = {0};
    /* The head: the path's last segment (the route table only sends known ones). */
    char head[32];
    const char *end = r->url + strcspn(r->url, "?");
    const char *slash = end;
    while (slash > r->url && slash[-1] != '/')
        slash--;
    size_t hl = (size_t)(end - slash);
    if (hl == 0 || hl >= sizeof head) {
        ei__http_respond_error(r, 404, "no task in '%.100s'", r->url);
        return;
    }
    memcpy(head, slash, hl);
    head[hl] = '\0';
    if (!ei__rest_model_args(r, arg, n_arg, &name, &version))
        return;
    const char *ct = ei__http_header(r, "Content-Type");
    if (ct && strncmp(ct, "image/", 6) != 0 && strncmp(ct, "application/octet-stream", 24) != 0) {
        ei__http_respond_error(r, 415,
                               "%s: Content-Type '%.100s' is not an image (send image/jpeg, "
                               "image/png or image/webp)",
                               head, ct);
        return;
    }
    if (r->body_len == 0) {
        ei__http_respond_error(r, 400, "%s: empty body, expected an encoded image", head);
        return;
    }
    ei__v2_core_t *core = r->http->core;
    ei__repo_t *repo = ei__v2_repo_hold(core, &e);
    if (!repo) {
        ei__http_respond_code(r, &e);
        return;
    }
    ei__task_args_t a = {
        .head = head,
        .model = name,
        .version = version,
        .image = r->body,
        .image_len = r->body_len,
        .param = query_param,
        .param_ctx = r,
        .received_ns = r->start_ns,
    };
    /* The version is written before the work is queued (for the log line). */
    ei_code_t rc = ei__task_call_start(core, repo, &a, task_done, r, &r->version, &e);
    if (rc != EI_OK)
        ei__http_respond_error(r, ei__http_status_for(rc), "%s", e.msg);
    /* EI_OK: task_done() answers, maybe already has: r is not touched any more. */
    ei__v2_repo_drop(core);
}
