/* SPDX-License-Identifier: MIT */
/*
 * POST /v2/models/{m}[/versions/{v}]/infer: the REST adapter of the v2 core. The body is parsed
 * into the request object (v2_json.h), the core checks and queues it, and the reply is written on
 * the batcher's worker thread: the handler returns without a response, the HTTP glue suspends the
 * connection, and infer_done() responds (which resumes it).
 */
#include "rest.h"
#include "v2_json.h"

/* Runs on a batcher worker thread: writes the response and resumes the connection. */
static void infer_done(ei__v2_call_t *call)
{
    ei__http_req_t *r = call->user;
    ei__infer_req_t *req = &call->req;
    ei__http_note_timings(r, req->queue_ns,
                          req->compute_input_ns + req->compute_infer_ns + req->compute_output_ns);
    if (req->code != EI_OK) {
        ei_error_t e;
        ei__v2_call_error(call, &e);
        ei__log_event(r->http->core, EI_LOG_WARN, r->id, r->model, r->version,
                      "inference failed: %s", e.msg);
        ei__http_respond_code(r, &e);
        ei__v2_call_free(call);
        return;
    }
    char *body = NULL;
    size_t len = 0, jlen = 0;
    ei_error_t e = {0};
    ei_code_t rc = ei__v2_write_response(&call->rq, ei__model_name(call->model),
                                         ei__model_version(call->model), ei__v2_call_config(call),
                                         req->results, req->result_names, req->n_results, &body,
                                         &len, &jlen, &e);
    if (rc != EI_OK) {
        ei__http_respond_code(r, &e);
    } else if (jlen) {
        r->has_infer_header = true;
        r->infer_header_len = jlen;
        ei__http_respond(r, 200, "application/octet-stream", body, len);
    } else {
        ei__http_respond(r, 200, "application/json", body, len);
    }
    ei__v2_call_free(call);
}

void ei__rest_infer(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    ei__v2_core_t *core = r->http->core;
    const char *name = NULL;
    int64_t version = -1, hlen = -1;
    ei_error_t e = {0};
    if (!ei__rest_model_args(r, arg, n_arg, &name, &version))
        return;
    ei__repo_t *repo = ei__v2_repo_hold(core, &e);
    if (!repo) {
        ei__http_respond_code(r, &e);
        return;
    }
    ei__v2_call_t *call = NULL;
    if (ei__v2_call_begin(core, repo, name, version, r->start_ns, &call, &e) != EI_OK) {
        ei__http_respond_code(r, &e);
        goto out;
    }
    ei__rest_note_model(r, name, ei__model_version(call->model));
    const char *h = ei__http_header(r, "Inference-Header-Content-Length");
    if (h && (!ei__parse_i64(h, &hlen) || hlen < 0)) {
        ei__http_respond_error(r, 400,
                               "Inference-Header-Content-Length '%s': expected a non-negative "
                               "integer",
                               h);
        ei__v2_call_failed(call);
        ei__v2_call_free(call);
        goto out;
    }
    if (ei__v2_parse_request(r->body, r->body_len, hlen, r->http->o->limits.max_tensor_elements,
                             ei__v2_call_config(call), core->shm, &call->rq, &e) != EI_OK) {
        ei__http_respond_code(r, &e);
        ei__v2_call_failed(call);
        ei__v2_call_free(call);
        goto out;
    }
    call->done = infer_done;
    call->user = r;
    if (ei__v2_call_submit(call, &e) != EI_OK) {
        /* Not accepted (already counted as a failure): the call is still ours. */
        ei__http_respond_code(r, &e);
        ei__v2_call_free(call);
    }
    /* Accepted: infer_done() owns the call from here on, and may already have run. */
out:
    ei__v2_repo_drop(core);
}
