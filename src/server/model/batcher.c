/* SPDX-License-Identifier: MIT */
/*
 * The per-version scheduler (see batcher.h). One mutex guards a singly linked FIFO of requests;
 * workers sleep on one condition variable (monotonic clock). Requests are validated in submit, so
 * a queued request is always runnable; what can still go wrong later is a timeout while queued or
 * an error inside ONNX Runtime, and both end in done() with a code. Each worker owns its gather
 * buffers (one per input, grown as needed, reused across batches), so batching allocates only the
 * per-request result tensors and the tensor views over those buffers.
 *
 * Why one file of ~750 lines: queueing, batch forming, the gather/scatter of batch items and the
 * worker loop share the queue lock and the worker's buffers; they read best in one place.
 */
#include "batcher.h"

#include "ei_util.h"
#include "sequence.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

typedef struct worker {
    struct ei__batcher *b;
    pthread_t tid;
    bool started;
    unsigned char **bufs; /* per input: gather buffer */
    size_t *caps;
    ei_tensor_t **views;  /* per input: tensor over bufs[i] */
    ei_tensor_t **direct; /* per run input of a lone sequence request: its own tensors (borrowed) */
    ei_tensor_t **outs;   /* per output: whole-batch outputs */
    ei__infer_req_t **batch;
    size_t batch_cap;
} worker_t;

struct ei__batcher {
    const ei__model_config_t *cfg;
    ei_session_t *session;
    ei__model_stats_t *stats;
    char *log_id;
    const char **in_names;  /* config input names, config order, then sequence inputs */
    const char **out_names; /* config output names, config order, then state-only outputs */
    ei_dtype_t *in_dtypes;  /* per run input */
    size_t n_in; /* config inputs (kept: the config may be gone when the batcher is freed) */
    size_t n_run_in, n_run_out; /* what a run feeds and fetches (config + sequence batcher) */
    ei__seqs_t *seqs;           /* the sequence batcher's table, or NULL */
    bool batching;              /* dynamic batching and every tensor is numeric */
    bool in_reshape, out_reshape;
    size_t cap; /* queue bound */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    ei__infer_req_t *head, *tail;
    size_t queued;
    bool stopping;
    size_t n_workers;
    worker_t *workers;
    struct ei__batcher *reap_next; /* in the reaper's queue */
};

/*
 * The reaper: a batcher destroyed from one of its own workers (the last release of a model inside
 * a request's done()) cannot join that worker, and must not free itself from it. It is queued
 * here instead; a reaper thread joins its workers and frees it. The thread runs while the queue is
 * not empty and is joined by the next one started or by ei__batcher_wait_detached().
 */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ei__batcher_t *head, *tail;
    bool running, joinable;
    pthread_t tid;
} reaper = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* Requests --------------------------------------------------------------------------------------
 */

static ei_tensor_t *req_input(const ei__infer_req_t *r, const char *name)
{
    for (size_t i = 0; i < r->n_inputs; i++) {
        if (strcmp(r->input_names[i], name) == 0)
            return r->inputs[i];
    }
    return NULL;
}

/* Run input i of a request: a config input it sent, or a control/state the sequence batcher set. */
static ei_tensor_t *run_input(const ei__batcher_t *b, const ei__infer_req_t *r, size_t i)
{
    return i < b->n_in ? req_input(r, b->in_names[i]) : r->seq_in_[i - b->n_in];
}

static int out_index(const ei__batcher_t *b, const char *name)
{
    for (size_t i = 0; i < b->cfg->n_outputs; i++) {
        if (strcmp(b->out_names[i], name) == 0)
            return (int)i;
    }
    return -1;
}

/* The expected full shape of a config input as text, "-1" for the batch and variable dims. */
static void expected_shape(const ei__model_config_t *c, const ei__config_io_t *io, char *buf,
                           size_t size)
{
    int64_t dims[EI_MAX_RANK + 1];
    size_t n = 0;
    if (c->max_batch_size > 0)
        dims[n++] = -1;
    for (size_t i = 0; i < io->n_dims; i++)
        dims[n++] = io->dims[i];
    ei_shape_format(dims, n, buf, size);
}

/* Checks a request against the config; sets req->batch_. */
static ei_code_t validate(const ei__batcher_t *b, ei__infer_req_t *req, ei_error_t *err)
{
    const ei__model_config_t *c = b->cfg;
    int64_t batch = -1;
    for (size_t i = 0; i < req->n_inputs; i++) {
        if (req->input_names == NULL || req->inputs == NULL || req->input_names[i] == NULL ||
            req->inputs[i] == NULL)
            return ei__fail(err, EI_EINVAL, "input %zu: missing name or tensor", i);
        if (ei__model_config_input(c, req->input_names[i]) == NULL &&
            ei__model_config_is_seq_input(c, req->input_names[i]))
            return ei__fail(err, EI_EINVAL,
                            "input '%s' of model '%s' is fed by the sequence batcher; do not send "
                            "it",
                            req->input_names[i], c->name);
        if (ei__model_config_input(c, req->input_names[i]) == NULL)
            return ei__fail(err, EI_EINVAL, "unexpected input '%s' for model '%s'",
                            req->input_names[i], c->name);
        for (size_t k = 0; k < i; k++) {
            if (strcmp(req->input_names[k], req->input_names[i]) == 0)
                return ei__fail(err, EI_EINVAL, "input '%s' is given twice", req->input_names[i]);
        }
    }
    for (size_t i = 0; i < c->n_inputs; i++) {
        const ei__config_io_t *io = &c->inputs[i];
        const ei_tensor_t *t = req_input(req, io->name);
        if (t == NULL)
            return ei__fail(err, EI_EINVAL, "missing input '%s' for model '%s'", io->name, c->name);
        if (ei_tensor_dtype(t) != io->dtype)
            return ei__fail(err, EI_EINVAL, "input '%s': expected datatype %s, got %s", io->name,
                            ei__wire_type_name(io->dtype), ei__wire_type_name(ei_tensor_dtype(t)));
        size_t rank = ei_tensor_rank(t);
        const int64_t *shape = ei_tensor_shape(t);
        size_t first = c->max_batch_size > 0 ? 1 : 0;
        bool ok = rank == io->n_dims + first;
        for (size_t d = 0; ok && d < io->n_dims; d++)
            ok = io->dims[d] == -1 || io->dims[d] == shape[first + d];
        if (!ok) {
            char want[200], got[200];
            expected_shape(c, io, want, sizeof(want));
            ei_shape_format(shape, rank, got, sizeof(got));
            return ei__fail(err, EI_EINVAL, "input '%s': expected shape %s, got %s", io->name, want,
                            got);
        }
        if (first == 1) {
            if (shape[0] < 1 || shape[0] > c->max_batch_size)
                return ei__fail(
                    err, EI_EINVAL,
                    "input '%s': batch size %lld out of range (1 to max_batch_size %lld)", io->name,
                    (long long)shape[0], (long long)c->max_batch_size);
            if (batch >= 0 && shape[0] != batch)
                return ei__fail(err, EI_EINVAL,
                                "input '%s': batch size %lld differs from the other inputs' %lld",
                                io->name, (long long)shape[0], (long long)batch);
            batch = shape[0];
        }
        if (io->has_reshape) {
            size_t per = 1, want = 1;
            for (size_t d = first; d < rank; d++)
                per *= (size_t)shape[d];
            for (size_t d = 0; d < io->n_reshape; d++)
                want *= io->reshape[d] < 0 ? 0 : (size_t)io->reshape[d];
            if (per != want)
                return ei__fail(err, EI_EINVAL,
                                "input '%s': %zu elements per item cannot be reshaped to the "
                                "model's %zu",
                                io->name, per, want);
        }
    }
    for (size_t i = 0; i < req->n_outputs; i++) {
        if (req->output_names == NULL || req->output_names[i] == NULL)
            return ei__fail(err, EI_EINVAL, "output %zu: missing name", i);
        if (out_index(b, req->output_names[i]) < 0)
            return ei__fail(err, EI_EINVAL, "unknown output '%s' for model '%s'",
                            req->output_names[i], c->name);
    }
    req->batch_ = batch > 0 ? batch : 1;
    return EI_OK;
}

/* Index of run output `name` in b->out_names (config outputs, then state-only outputs). */
static int run_out_index(const ei__batcher_t *b, const char *name)
{
    for (size_t i = 0; i < b->n_run_out; i++) {
        if (strcmp(b->out_names[i], name) == 0)
            return (int)i;
    }
    return -1;
}

/* Whether `r` can share a run with `h`: same dims after the batch dim for every input. */
static bool compatible(const ei__batcher_t *b, const ei__infer_req_t *h, const ei__infer_req_t *r)
{
    for (size_t i = 0; i < b->n_run_in; i++) {
        const ei_tensor_t *x = run_input(b, h, i);
        const ei_tensor_t *y = run_input(b, r, i);
        if (x == NULL || y == NULL)
            continue; /* control tensors: made at run time, all of one shape */
        size_t rank = ei_tensor_rank(x);
        if (ei_tensor_rank(y) != rank)
            return false;
        if (rank > 1 && memcmp(ei_tensor_shape(x) + 1, ei_tensor_shape(y) + 1,
                               (rank - 1) * sizeof(int64_t)) != 0)
            return false;
    }
    return true;
}

ei_code_t ei__batcher_submit(ei__batcher_t *b, ei__infer_req_t *req, ei_error_t *err)
{
    if (req == NULL || req->done == NULL)
        return ei__fail(err, EI_EINVAL, "request without a done callback");
    ei_code_t rc = validate(b, req, err);
    if (rc != EI_OK)
        return rc;
    const ei__model_config_t *c = b->cfg;
    uint64_t now = ei__now_ns();
    uint64_t timeout = c->default_timeout_us;
    if (req->timeout_us != 0 && (c->allow_timeout_override || c->default_timeout_us == 0))
        timeout = req->timeout_us;
    req->code = EI_OK;
    req->err.code = EI_OK;
    req->err.msg[0] = '\0';
    req->n_results = 0;
    req->results = NULL;
    req->result_names = NULL;
    req->queue_ns = now; /* the enqueue time until dispatch turns it into a duration */
    req->compute_input_ns = req->compute_infer_ns = req->compute_output_ns = 0;
    req->deadline_ns_ = timeout != 0 && !c->timeout_action_delay ? now + timeout * 1000u : 0;
    req->next_ = NULL;
    req->seq_ = NULL;
    req->seq_in_ = req->seq_out_ = NULL;
    if (b->seqs != NULL)
        req->deadline_ns_ = 0; /* queue timeouts would leave holes in a sequence */

    pthread_mutex_lock(&b->lock);
    if (b->stopping) {
        rc = ei__fail(err, EI_EBUSY, "model %s is unloading", b->log_id);
    } else if (b->queued >= b->cap) {
        rc = ei__fail(err, EI_EBUSY, "model %s: queue is full (%zu requests waiting)", b->log_id,
                      b->queued);
    } else if (b->seqs != NULL && (rc = ei__seqs_admit(b->seqs, req, err)) != EI_OK) {
        /* refused with Triton's message */
    } else {
        if (b->tail != NULL)
            b->tail->next_ = req;
        else
            b->head = req;
        b->tail = req;
        b->queued++;
        atomic_fetch_add_explicit(&b->stats->pending, 1, memory_order_relaxed);
        /* A worker waiting out a batch delay must recount, so wake them all when batching. */
        if (b->batching || b->seqs != NULL)
            pthread_cond_broadcast(&b->cond);
        else
            pthread_cond_signal(&b->cond);
    }
    pthread_mutex_unlock(&b->lock);
    return rc;
}

void ei__infer_cancel(ei__infer_req_t *req)
{
    atomic_store_explicit(&req->cancelled, true, memory_order_release);
}

/* Scheduling ------------------------------------------------------------------------------------
 */

/* Unlinks `r` (whose predecessor is `prev`, NULL for the head) from the queue. */
static void unlink_req(ei__batcher_t *b, ei__infer_req_t *prev, ei__infer_req_t *r)
{
    if (prev != NULL)
        prev->next_ = r->next_;
    else
        b->head = r->next_;
    if (b->tail == r)
        b->tail = prev;
    r->next_ = NULL;
    b->queued--;
    atomic_fetch_sub_explicit(&b->stats->pending, 1, memory_order_relaxed);
}

/*
 * The sequence batcher's pick (see pick()): releases idle sequences, then scans the queue in
 * arrival order for requests that may run (their sequence holds a slot and has nothing running,
 * and each is the oldest queued of its sequence), at most one per sequence and max(1,
 * max_batch_size) in all, with shapes (state included) that fit the first. The direct strategy
 * runs them at once; the oldest strategy waits as the dynamic batcher does (full, preferred size,
 * or the oldest has waited max_queue_delay_microseconds).
 */
static size_t pick_seq(ei__batcher_t *b, worker_t *w, uint64_t now, uint64_t *wait_until)
{
    const ei__seq_config_t *sc = &b->cfg->seq;
    *wait_until = ei__seqs_reap(b->seqs, now);
    ei__seqs_scan(b->seqs);
    size_t n = 0;
    for (ei__infer_req_t *r = b->head; r != NULL && n < w->batch_cap; r = r->next_) {
        if (!ei__seqs_ready(b->seqs, r, b->stopping))
            continue;
        if (n > 0 && !compatible(b, w->batch[0], r))
            continue;
        w->batch[n++] = r;
    }
    if (n == 0)
        return 0;
    int64_t max_pref = 0;
    for (size_t i = 0; i < sc->n_preferred; i++)
        max_pref = sc->preferred[i] > max_pref ? sc->preferred[i] : max_pref;
    bool due = !sc->oldest || (int64_t)n >= b->cfg->max_batch_size ||
               (max_pref > 0 && (int64_t)n >= max_pref) || sc->max_queue_delay_us == 0 ||
               b->stopping;
    uint64_t deadline = w->batch[0]->queue_ns + sc->max_queue_delay_us * 1000u;
    if (!due && now < deadline) {
        if (*wait_until == 0 || deadline < *wait_until)
            *wait_until = deadline;
        return 0;
    }
    for (size_t k = 0; k < n; k++) {
        ei__infer_req_t *prev = NULL;
        for (ei__infer_req_t *r = b->head; r != w->batch[k]; r = r->next_)
            prev = r;
        unlink_req(b, prev, w->batch[k]);
        ei__seqs_take(b->seqs, w->batch[k]);
    }
    return n;
}

/*
 * Under the lock: moves expired requests to *expired and, when a batch is due, the requests of
 * one batch into w->batch (returns how many). Returns 0 with *wait_until set when the head should
 * wait for more requests (the batch delay), or 0 with *wait_until 0 when the queue is empty.
 *
 * Triton's rule: take queued requests in arrival order that fit with the oldest one; send at once
 * when the batch is full (max_batch_size) or reaches the largest preferred size; otherwise wait
 * until the oldest has waited max_queue_delay_microseconds, then send what there is.
 */
static size_t pick(ei__batcher_t *b, worker_t *w, uint64_t now, ei__infer_req_t **expired,
                   uint64_t *wait_until)
{
    *wait_until = 0;
    if (b->seqs != NULL)
        return pick_seq(b, w, now, wait_until);
    ei__infer_req_t *prev = NULL, *r = b->head;
    while (r != NULL) {
        ei__infer_req_t *next = r->next_;
        if ((r->deadline_ns_ != 0 && r->deadline_ns_ <= now) ||
            (r->client_deadline_ns != 0 && r->client_deadline_ns <= now) ||
            atomic_load_explicit(&r->cancelled, memory_order_acquire)) {
            unlink_req(b, prev, r);
            r->next_ = *expired;
            *expired = r;
        } else {
            prev = r;
        }
        r = next;
    }
    ei__infer_req_t *h = b->head;
    if (h == NULL)
        return 0;
    if (!b->batching) {
        unlink_req(b, NULL, h);
        w->batch[0] = h;
        return 1;
    }
    const ei__model_config_t *c = b->cfg;
    int64_t total = 0, max_pref = 0;
    for (size_t i = 0; i < c->n_preferred; i++)
        max_pref = c->preferred_batch_sizes[i] > max_pref ? c->preferred_batch_sizes[i] : max_pref;
    size_t n = 0;
    for (r = h; r != NULL; r = r->next_) {
        if (total + r->batch_ <= c->max_batch_size && n < w->batch_cap && compatible(b, h, r)) {
            total += r->batch_;
            n++;
        }
    }
    bool due = total >= c->max_batch_size || (max_pref > 0 && total >= max_pref) ||
               c->max_queue_delay_us == 0 || b->stopping;
    uint64_t deadline = h->queue_ns + c->max_queue_delay_us * 1000u;
    if (!due && now < deadline) {
        *wait_until = deadline;
        return 0;
    }
    /* Take the same requests again, now unlinking them. */
    size_t k = 0;
    total = 0;
    prev = NULL;
    r = h;
    while (r != NULL && k < n) {
        ei__infer_req_t *next = r->next_;
        if (total + r->batch_ <= c->max_batch_size && compatible(b, h, r)) {
            total += r->batch_;
            unlink_req(b, prev, r);
            w->batch[k++] = r;
        } else {
            prev = r;
        }
        r = next;
    }
    return k;
}

/* Execution -------------------------------------------------------------------------------------
 */

static void finish(ei__batcher_t *b, ei__infer_req_t *r, ei_code_t code, const ei_error_t *err)
{
    r->code = code;
    if (code != EI_OK && err != NULL)
        r->err = *err;
    if (code != EI_OK) {
        r->err.code = code;
        for (size_t i = 0; i < r->n_results; i++)
            ei_tensor_destroy(r->results[i]);
        ei__free(r->results);
        r->results = NULL;
        r->n_results = 0;
    }
    ei__stats_record_request(b->stats, r, ei__now_ns());
}

/*
 * Copies items [off, off+count) of `src` (dim 0) into a new tensor of shape [count] + tail, or,
 * when not `batched`, the whole of `src` into a tensor of shape `tail` (a reshaped output).
 */
static ei_code_t slice(const ei_tensor_t *src, int64_t total, int64_t off, int64_t count,
                       const int64_t *tail, size_t tail_rank, bool batched, ei_tensor_t **out,
                       ei_error_t *err)
{
    int64_t shape[EI_MAX_RANK + 1];
    size_t rank = 0;
    if (batched)
        shape[rank++] = count;
    else
        total = count = 1;
    memcpy(shape + rank, tail, tail_rank * sizeof(int64_t));
    rank += tail_rank;
    ei_tensor_t *t = NULL;
    ei_dtype_t dt = ei_tensor_dtype(src);
    ei_code_t rc = ei_tensor_create(dt, shape, rank, &t, err);
    if (rc != EI_OK)
        return rc;
    size_t n_src = ei_tensor_count(src), per = total > 0 ? n_src / (size_t)total : 0;
    if (ei_tensor_count(t) != per * (size_t)count) {
        ei_tensor_destroy(t);
        return ei__fail(err, EI_ERUNTIME, "output has %zu elements, cannot split %lld items", n_src,
                        (long long)total);
    }
    if (dt == EI_DTYPE_STRING) {
        for (size_t i = 0; rc == EI_OK && i < per * (size_t)count; i++) {
            size_t len = 0;
            const char *s = ei_tensor_string(src, per * (size_t)off + i, &len);
            rc = ei_tensor_set_string(t, i, s != NULL ? s : "", s != NULL ? len : 0, err);
        }
    } else if (per * (size_t)count > 0) {
        size_t bytes = ei_tensor_nbytes(t);
        const unsigned char *base = ei_tensor_data(src);
        memcpy(ei_tensor_data(t), base + bytes / (size_t)count * (size_t)off, bytes);
    }
    if (rc != EI_OK) {
        ei_tensor_destroy(t);
        return rc;
    }
    *out = t;
    return EI_OK;
}

/*
 * Concatenates run input `i` of the batch (a config input, or a control/state input of the
 * sequence batcher) into the worker's buffer and wraps it as a tensor view.
 */
static ei_code_t gather(ei__batcher_t *b, worker_t *w, size_t k, size_t i, int64_t total,
                        ei_error_t *err)
{
    const ei__config_io_t *io = i < b->n_in ? &b->cfg->inputs[i] : NULL;
    const char *name = b->in_names[i];
    const ei_tensor_t *t0 = run_input(b, w->batch[0], i);
    size_t bytes = 0;
    for (size_t j = 0; j < k; j++)
        bytes += ei_tensor_nbytes(run_input(b, w->batch[j], i));
    if (bytes + 1 > w->caps[i]) {
        size_t cap = bytes + 1 > 2 * w->caps[i] ? bytes + 1 : 2 * w->caps[i];
        unsigned char *p = ei__aligned_alloc(64, cap);
        if (p == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory gathering input '%s' (%zu bytes)", name,
                            bytes);
        ei__aligned_free(w->bufs[i]);
        w->bufs[i] = p;
        w->caps[i] = cap;
    }
    size_t off = 0;
    for (size_t j = 0; j < k; j++) {
        const ei_tensor_t *t = run_input(b, w->batch[j], i);
        size_t n = ei_tensor_nbytes(t);
        if (n > 0)
            memcpy(w->bufs[i] + off, ei_tensor_data(t), n);
        off += n;
    }
    int64_t shape[EI_MAX_RANK + 1];
    size_t rank = 0;
    bool batched = b->cfg->max_batch_size > 0;
    if (batched)
        shape[rank++] = total;
    if (io != NULL && io->has_reshape) {
        memcpy(shape + rank, io->reshape, io->n_reshape * sizeof(int64_t));
        rank += io->n_reshape;
    } else {
        size_t r0 = ei_tensor_rank(t0);
        for (size_t d = batched ? 1 : 0; d < r0; d++)
            shape[rank++] = ei_tensor_shape(t0)[d];
    }
    return ei_tensor_wrap(b->in_dtypes[i], shape, rank, w->bufs[i], bytes, &w->views[i], err);
}

/*
 * Runs one batch of k requests. Single requests without reshape go straight to the session with
 * their own tensors and output selection (no copy); batches (and reshapes) gather inputs into the
 * worker's buffers, run every output once, and split each requested output back by items.
 * Statistics are recorded before any done(), because the last done() may free the model.
 */
static void exec_batch(ei__batcher_t *b, worker_t *w, size_t k)
{
    const ei__model_config_t *c = b->cfg;
    ei_error_t err = {0};
    ei_code_t rc = EI_OK;
    uint64_t t0 = ei__now_ns();
    int64_t total = 0;
    for (size_t j = 0; j < k; j++) {
        ei__infer_req_t *r = w->batch[j];
        r->queue_ns = t0 > r->queue_ns ? t0 - r->queue_ns : 0;
        total += r->batch_;
    }
    /* Sequence requests always split: the state outputs are fetched besides the requested ones.
     * A lone one runs on its own tensors plus its controls and states (no copy; STRING inputs,
     * which cannot be gathered, only ever run alone). */
    bool gathered = k > 1 || b->in_reshape;
    bool split = k > 1 || b->out_reshape || b->seqs != NULL;
    ei__infer_req_t *r0 = w->batch[0];

    for (size_t j = 0; rc == EI_OK && b->seqs != NULL && j < k; j++)
        rc = ei__seqs_fill_controls(b->seqs, w->batch[j], &err);
    for (size_t i = 0; rc == EI_OK && gathered && i < b->n_run_in; i++)
        rc = gather(b, w, k, i, total, &err);
    for (size_t i = 0; rc == EI_OK && !gathered && split && i < b->n_run_in; i++)
        w->direct[i] = run_input(b, r0, i);
    uint64_t t1 = ei__now_ns();
    if (rc == EI_OK && split) {
        rc = ei_session_run(b->session, b->in_names, gathered ? w->views : w->direct, b->n_run_in,
                            b->out_names, w->outs, b->n_run_out, &err);
    } else if (rc == EI_OK) {
        size_t n = r0->n_outputs != 0 ? r0->n_outputs : c->n_outputs;
        const char *const *names = r0->n_outputs != 0 ? r0->output_names : b->out_names;
        r0->results = ei__calloc(n, sizeof(ei_tensor_t *));
        if (r0->results == NULL) {
            rc = ei__fail(&err, EI_ENOMEM, "out of memory");
        } else {
            r0->n_results = n;
            r0->result_names = names;
            if (gathered)
                rc = ei_session_run(b->session, b->in_names, w->views, c->n_inputs, names,
                                    r0->results, n, &err);
            else
                rc = ei_session_run(b->session, r0->input_names, r0->inputs, r0->n_inputs, names,
                                    r0->results, n, &err);
        }
    }
    uint64_t t2 = ei__now_ns();
    /* Split: per request, per selected output, copy its items. */
    int64_t off = 0;
    for (size_t j = 0; rc == EI_OK && split && j < k; j++) {
        ei__infer_req_t *r = w->batch[j];
        size_t n = r->n_outputs != 0 ? r->n_outputs : c->n_outputs;
        r->result_names = r->n_outputs != 0 ? r->output_names : b->out_names;
        r->results = ei__calloc(n, sizeof(ei_tensor_t *));
        if (r->results == NULL) {
            rc = ei__fail(&err, EI_ENOMEM, "out of memory");
            break;
        }
        r->n_results = n;
        for (size_t o = 0; rc == EI_OK && o < n; o++) {
            int idx = out_index(b, r->result_names[o]);
            const ei__config_io_t *io = &c->outputs[idx];
            const ei_tensor_t *src = w->outs[idx];
            size_t srank = ei_tensor_rank(src);
            const int64_t *sshape = ei_tensor_shape(src);
            if (c->max_batch_size > 0 && (srank == 0 || sshape[0] != total)) {
                rc = ei__fail(&err, EI_ERUNTIME,
                              "output '%s': first dim %lld does not match the batch of %lld",
                              io->name, srank > 0 ? (long long)sshape[0] : 0LL, (long long)total);
                break;
            }
            size_t first = c->max_batch_size > 0 ? 1 : 0;
            const int64_t *tail = io->has_reshape ? io->dims : sshape + first;
            size_t tail_rank = io->has_reshape ? io->n_dims : srank - first;
            rc = slice(src, total, off, r->batch_, tail, tail_rank, c->max_batch_size > 0,
                       &r->results[o], &err);
        }
        /* This request's state outputs, kept by its sequence for its next request. */
        for (size_t j2 = 0; rc == EI_OK && b->seqs != NULL && j2 < ei__seqs_n_states(b->seqs);
             j2++) {
            int idx = run_out_index(b, ei__seqs_state_output(b->seqs, j2));
            const ei_tensor_t *src = w->outs[idx];
            size_t first = c->max_batch_size > 0 ? 1 : 0;
            if (ei_tensor_rank(src) < first || (first == 1 && ei_tensor_shape(src)[0] != total)) {
                rc = ei__fail(&err, EI_ERUNTIME,
                              "state output '%s': first dim does not match the batch of %lld",
                              ei__seqs_state_output(b->seqs, j2), (long long)total);
                break;
            }
            rc = slice(src, total, off, r->batch_, ei_tensor_shape(src) + first,
                       ei_tensor_rank(src) - first, first == 1, &r->seq_out_[j2], &err);
        }
        off += r->batch_;
    }
    uint64_t t3 = ei__now_ns();
    for (size_t i = 0; i < b->n_run_in && gathered; i++) {
        ei_tensor_destroy(w->views[i]);
        w->views[i] = NULL;
    }
    for (size_t o = 0; o < b->n_run_out && split; o++) {
        ei_tensor_destroy(w->outs[o]);
        w->outs[o] = NULL;
    }
    if (b->seqs != NULL) {
        /* The sequences learn their new state (and may end) before anyone hears of the result. */
        pthread_mutex_lock(&b->lock);
        for (size_t j = 0; j < k; j++)
            ei__seqs_finish(b->seqs, w->batch[j], rc == EI_OK);
        pthread_cond_broadcast(&b->cond);
        pthread_mutex_unlock(&b->lock);
    }
    if (rc == EI_OK) {
        ei__model_stats_t *st = b->stats;
        size_t bi = (size_t)(total < EI__STATS_MAX_BATCH ? total : EI__STATS_MAX_BATCH) - 1;
        atomic_fetch_add_explicit(&st->execution_count, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&st->inference_count, (uint64_t)total, memory_order_relaxed);
        atomic_fetch_add_explicit(&st->batch_count[bi], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&st->batch_input_ns[bi], t1 - t0, memory_order_relaxed);
        atomic_fetch_add_explicit(&st->batch_infer_ns[bi], t2 - t1, memory_order_relaxed);
        atomic_fetch_add_explicit(&st->batch_output_ns[bi], t3 - t2, memory_order_relaxed);
    } else {
        ei__error_prefix(&err, "model %s", b->log_id);
    }
    for (size_t j = 0; j < k; j++) {
        ei__infer_req_t *r = w->batch[j];
        r->compute_input_ns = t1 - t0;
        r->compute_infer_ns = t2 - t1;
        r->compute_output_ns = t3 - t2;
        finish(b, r, rc, &err);
    }
    /* From here on the model (config, session, stats) may be freed by any done(). */
    for (size_t j = 0; j < k; j++)
        w->batch[j]->done(w->batch[j]);
}

static void fail_expired(ei__batcher_t *b, ei__infer_req_t *list)
{
    ei__infer_req_t *r = list;
    /* Record every failure first: the done() of the last one may free the model. */
    for (; r != NULL; r = r->next_) {
        ei_error_t err = {0};
        uint64_t now = ei__now_ns();
        r->queue_ns = now > r->queue_ns ? now - r->queue_ns : 0;
        if (atomic_load_explicit(&r->cancelled, memory_order_acquire)) {
            ei__fail(&err, EI_ECANCELED,
                     "model %s: request cancelled by the client after %llu us "
                     "in the queue (never run)",
                     b->log_id, (unsigned long long)(r->queue_ns / 1000u));
            finish(b, r, EI_ECANCELED, &err);
            continue;
        }
        ei__fail(&err, EI_ETIMEDOUT, "model %s: request timed out after %llu us in the queue",
                 b->log_id, (unsigned long long)(r->queue_ns / 1000u));
        finish(b, r, EI_ETIMEDOUT, &err);
    }
    r = list;
    while (r != NULL) {
        ei__infer_req_t *next = r->next_;
        r->next_ = NULL;
        r->done(r);
        r = next;
    }
}

static void worker_free_buffers(worker_t *w, size_t n_inputs)
{
    for (size_t i = 0; w->bufs != NULL && i < n_inputs; i++)
        ei__aligned_free(w->bufs[i]);
    ei__free(w->bufs);
    ei__free(w->caps);
    ei__free(w->views);
    ei__free(w->direct);
    ei__free(w->outs);
    ei__free(w->batch);
}

static void batcher_free(ei__batcher_t *b)
{
    for (size_t i = 0; i < b->n_workers; i++)
        worker_free_buffers(&b->workers[i], b->n_run_in);
    ei__free(b->workers);
    ei__seqs_destroy(b->seqs);
    ei__free(b->in_dtypes);
    ei__free(b->in_names);
    ei__free(b->out_names);
    ei__free(b->log_id);
    pthread_cond_destroy(&b->cond);
    pthread_mutex_destroy(&b->lock);
    ei__free(b);
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    ei__batcher_t *b = w->b;
    pthread_mutex_lock(&b->lock);
    for (;;) {
        ei__infer_req_t *expired = NULL;
        uint64_t wait_until = 0;
        size_t k = pick(b, w, ei__now_ns(), &expired, &wait_until);
        if (expired != NULL || k > 0) {
            pthread_mutex_unlock(&b->lock);
            if (expired != NULL)
                fail_expired(b, expired);
            if (k > 0)
                exec_batch(b, w, k);
            pthread_mutex_lock(&b->lock);
            continue;
        }
        if (b->stopping && b->head == NULL)
            break;
        if (wait_until != 0) {
            struct timespec ts = {(time_t)(wait_until / 1000000000u),
                                  (long)(wait_until % 1000000000u)};
            pthread_cond_timedwait(&b->cond, &b->lock, &ts);
        } else {
            pthread_cond_wait(&b->cond, &b->lock);
        }
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

ei_code_t ei__batcher_create(const ei__model_config_t *c, ei_session_t *s, ei__model_stats_t *stats,
                             const char *log_id, ei__batcher_t **out, ei_error_t *err)
{
    *out = NULL;
    ei_code_t rc = EI_OK;
    ei__batcher_t *b = ei__calloc(1, sizeof(*b));
    if (b == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    pthread_mutex_init(&b->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cond, &ca);
    pthread_condattr_destroy(&ca);
    b->cfg = c;
    b->session = s;
    b->stats = stats;
    b->cap = c->max_queue_size != 0 ? (size_t)c->max_queue_size : EI__BATCHER_DEFAULT_QUEUE_CAP;
    b->log_id = ei__strdup(log_id != NULL ? log_id : c->name);
    size_t n_workers = c->instance_count > 0 ? (size_t)c->instance_count : 1;
    if (c->seq.enabled && b->log_id != NULL) {
        rc = ei__seqs_create(c, n_workers, b->log_id, &b->seqs, err);
        if (rc != EI_OK)
            goto out;
    }
    size_t n_seq_in = b->seqs != NULL ? ei__seqs_n_inputs(b->seqs) : 0;
    size_t n_states = b->seqs != NULL ? ei__seqs_n_states(b->seqs) : 0;
    b->in_names = ei__calloc(c->n_inputs + n_seq_in + 1, sizeof(char *));
    b->in_dtypes = ei__calloc(c->n_inputs + n_seq_in + 1, sizeof(ei_dtype_t));
    b->out_names = ei__calloc(c->n_outputs + n_states + 1, sizeof(char *));
    b->workers = ei__calloc(n_workers, sizeof(worker_t));
    if (b->log_id == NULL || b->in_names == NULL || b->in_dtypes == NULL || b->out_names == NULL ||
        b->workers == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
        goto out;
    }
    b->n_workers = n_workers;
    b->n_in = c->n_inputs;
    bool numeric = true;
    for (size_t i = 0; i < c->n_inputs; i++) {
        b->in_names[i] = c->inputs[i].name;
        b->in_dtypes[i] = c->inputs[i].dtype;
        numeric = numeric && c->inputs[i].dtype != EI_DTYPE_STRING;
        b->in_reshape = b->in_reshape || c->inputs[i].has_reshape;
    }
    b->n_run_in = c->n_inputs;
    for (size_t i = 0; i < n_seq_in; i++) {
        b->in_names[b->n_run_in] = ei__seqs_input_name(b->seqs, i);
        b->in_dtypes[b->n_run_in++] = ei__seqs_input_dtype(b->seqs, i);
        numeric = numeric && ei__seqs_input_dtype(b->seqs, i) != EI_DTYPE_STRING;
    }
    for (size_t i = 0; i < c->n_outputs; i++) {
        b->out_names[i] = c->outputs[i].name;
        b->out_reshape = b->out_reshape || c->outputs[i].has_reshape;
    }
    b->n_run_out = c->n_outputs;
    for (size_t i = 0; i < n_states; i++) {
        if (run_out_index(b, ei__seqs_state_output(b->seqs, i)) < 0)
            b->out_names[b->n_run_out++] = ei__seqs_state_output(b->seqs, i);
    }
    /* The sequence batcher batches across sequences with either strategy. */
    b->batching = (c->dynamic_batching || b->seqs != NULL) && c->max_batch_size > 1 && numeric;
    size_t batch_cap = b->batching ? (size_t)c->max_batch_size : 1;
    for (size_t i = 0; i < n_workers; i++) {
        worker_t *w = &b->workers[i];
        w->b = b;
        w->batch_cap = batch_cap;
        w->bufs = ei__calloc(b->n_run_in + 1, sizeof(unsigned char *));
        w->caps = ei__calloc(b->n_run_in + 1, sizeof(size_t));
        w->views = ei__calloc(b->n_run_in + 1, sizeof(ei_tensor_t *));
        w->direct = ei__calloc(b->n_run_in + 1, sizeof(ei_tensor_t *));
        w->outs = ei__calloc(b->n_run_out + 1, sizeof(ei_tensor_t *));
        w->batch = ei__calloc(batch_cap, sizeof(ei__infer_req_t *));
        if (w->bufs == NULL || w->caps == NULL || w->views == NULL || w->direct == NULL ||
            w->outs == NULL || w->batch == NULL) {
            rc = ei__fail(err, EI_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < n_workers; i++) {
        if (pthread_create(&b->workers[i].tid, NULL, worker_main, &b->workers[i]) != 0) {
            rc = ei__fail(err, EI_ERUNTIME, "model %s: cannot start worker thread %zu", b->log_id,
                          i);
            goto out;
        }
        b->workers[i].started = true;
    }
out:
    if (rc != EI_OK) {
        ei__batcher_destroy(b);
        return rc;
    }
    *out = b;
    return EI_OK;
}

/* Joins the workers (none may be the caller), answers what is left and frees the batcher. */
static void batcher_join_free(ei__batcher_t *b)
{
    for (size_t i = 0; i < b->n_workers; i++) {
        if (b->workers[i].started)
            pthread_join(b->workers[i].tid, NULL);
    }
    /* Workers drain the queue before leaving; anything left means no worker ever started. */
    ei__infer_req_t *r = b->head;
    while (r != NULL) {
        ei__infer_req_t *next = r->next_;
        ei_error_t err = {0};
        ei__fail(&err, EI_ECANCELED, "model %s was unloaded", b->log_id);
        if (b->seqs != NULL)
            ei__seqs_drop(b->seqs, r);
        finish(b, r, EI_ECANCELED, &err);
        r->done(r);
        r = next;
    }
    batcher_free(b);
}

static void *reaper_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&reaper.mu);
    while (reaper.head != NULL) {
        ei__batcher_t *b = reaper.head;
        reaper.head = b->reap_next;
        if (reaper.head == NULL)
            reaper.tail = NULL;
        pthread_mutex_unlock(&reaper.mu);
        batcher_join_free(b);
        pthread_mutex_lock(&reaper.mu);
    }
    reaper.running = false;
    pthread_cond_broadcast(&reaper.cv);
    pthread_mutex_unlock(&reaper.mu);
    return NULL;
}

/* Hands a batcher destroyed on its own worker to the reaper thread. */
static void reap_later(ei__batcher_t *b)
{
    pthread_mutex_lock(&reaper.mu);
    b->reap_next = NULL;
    if (reaper.tail != NULL)
        reaper.tail->reap_next = b;
    else
        reaper.head = b;
    reaper.tail = b;
    if (!reaper.running) {
        /* The previous reaper has left its loop (running is false): joining it cannot block. */
        if (reaper.joinable)
            pthread_join(reaper.tid, NULL);
        reaper.joinable = pthread_create(&reaper.tid, NULL, reaper_main, NULL) == 0;
        reaper.running = reaper.joinable;
        if (!reaper.running) {
            /* No thread to be had: leave it queued; ei__batcher_wait_detached() reaps it. */
            EI_LOG(EI_LOG_ERROR, "server", "model %s: cannot start the reaper thread", b->log_id);
        }
    }
    pthread_mutex_unlock(&reaper.mu);
}

void ei__batcher_destroy(ei__batcher_t *b)
{
    if (b == NULL)
        return;
    pthread_t self = pthread_self();
    bool on_worker = false;
    for (size_t i = 0; i < b->n_workers; i++)
        on_worker = on_worker || (b->workers[i].started && pthread_equal(b->workers[i].tid, self));
    pthread_mutex_lock(&b->lock);
    b->stopping = true;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
    if (on_worker)
        reap_later(b); /* this worker leaves its loop once the queue is empty */
    else
        batcher_join_free(b);
}

bool ei__batcher_wait_detached(int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&reaper.mu);
    while (reaper.running) {
        if (pthread_cond_timedwait(&reaper.cv, &reaper.mu, &until) == ETIMEDOUT)
            break;
    }
    bool done = !reaper.running;
    if (done && reaper.joinable) {
        pthread_join(reaper.tid, NULL);
        reaper.joinable = false;
    }
    /* Anything still queued here had no reaper thread: reap it on this (non-worker) thread. */
    while (done && reaper.head != NULL) {
        ei__batcher_t *b = reaper.head;
        reaper.head = b->reap_next;
        if (reaper.head == NULL)
            reaper.tail = NULL;
        pthread_mutex_unlock(&reaper.mu);
        batcher_join_free(b);
        pthread_mutex_lock(&reaper.mu);
    }
    pthread_mutex_unlock(&reaper.mu);
    return done;
}
