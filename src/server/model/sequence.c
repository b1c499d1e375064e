/* SPDX-License-Identifier: MIT */
/*
 * The sequence table of one model version (see sequence.h). Sequences are kept in one list in
 * admission order and found by a linear search: a model holds at most its slot count plus its
 * backlog, and a scan costs far less than one inference. Everything here runs under the batcher's
 * lock except ei__seqs_fill_controls(), which only reads the request.
 *
 * A sequence lives from its START until it has ended (END, the idle limit) and nothing of it is
 * queued or running; it is "mapped" (found by its ID) until it ends, so a request that arrives
 * after the END, or after the idle limit, is refused as Triton refuses it even while the ending
 * request is still queued.
 */
#include "sequence.h"

#include "ei_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct ei__seq {
    struct ei__seq *next;
    uint64_t id;
    char *sid;           /* string ID, or NULL */
    bool mapped;         /* found by its ID (not ended, not timed out) */
    bool has_slot;       /* holds a slot (else waits in the backlog) */
    uint64_t order;      /* admission order: the backlog is served oldest first */
    size_t queued;       /* requests admitted and not yet taken */
    bool busy;           /* a request of it is running */
    uint64_t scan;       /* the scan in which a request of it was seen first */
    uint64_t last_ns;    /* last admission or completion (idle clock) */
    ei_tensor_t **state; /* per state: the latest output, NULL before the first */
};

/* IDs of sequences released by the idle limit, so their next request hears why. */
#define EXPIRED_RING 64

struct ei__seqs {
    const ei__model_config_t *cfg;
    char *log_id;
    size_t slots, used;
    uint64_t next_order, scan;
    uint64_t idle_ns;
    struct ei__seq *head;
    size_t n_ctl, n_state;
    const char **in_names; /* controls, then state inputs */
    ei_dtype_t *in_dtypes;
    ei_tensor_t **initial; /* per state: the tensor a START runs with */
    struct {
        uint64_t id;
        char sid[64];
        bool used;
    } expired[EXPIRED_RING];
    size_t expired_next;
    bool warned_restart;
};

static _Atomic uint64_t clock_skew;

static uint64_t seq_now(void)
{
    return ei__now_ns() + atomic_load_explicit(&clock_skew, memory_order_relaxed);
}

void ei__seqs_test_advance_clock(uint64_t ns)
{
    atomic_fetch_add(&clock_skew, ns);
}

/* Set-up ---------------------------------------------------------------------------------------
 */

/* The tensor a START runs with: initial_state data, or zeros with 1 for each variable dim. */
static ei_code_t make_initial(const ei__model_config_t *c, const ei__seq_state_t *st,
                              ei_tensor_t **out, ei_error_t *err)
{
    int64_t shape[EI_MAX_RANK + 1];
    size_t rank = 0;
    if (c->max_batch_size > 0)
        shape[rank++] = 1;
    const int64_t *dims = st->has_initial ? st->initial_dims : st->dims;
    size_t nd = st->has_initial ? st->n_initial_dims : st->n_dims;
    for (size_t i = 0; i < nd; i++)
        shape[rank++] = dims[i] < 0 ? 1 : dims[i];
    ei_code_t rc = ei_tensor_create(st->dtype, shape, rank, out, err);
    if (rc != EI_OK || st->initial_data == NULL)
        return rc;
    if (st->dtype == EI_DTYPE_STRING) {
        /* Triton's layout for BYTES: 4-byte little-endian length, then the bytes, per element. */
        size_t at = 0, n = ei_tensor_count(*out);
        for (size_t i = 0; rc == EI_OK && i < n; i++) {
            uint32_t len = 0;
            if (st->initial_len - at < 4) {
                rc = ei__fail(err, EI_EFORMAT, "state '%s': initial_state data_file is too short",
                              st->input_name);
                break;
            }
            memcpy(&len, st->initial_data + at, 4);
            at += 4;
            if (st->initial_len - at < len) {
                rc = ei__fail(err, EI_EFORMAT, "state '%s': initial_state data_file is too short",
                              st->input_name);
                break;
            }
            rc = ei_tensor_set_string(*out, i, (const char *)st->initial_data + at, len, err);
            at += len;
        }
    } else if (st->initial_len < ei_tensor_nbytes(*out)) {
        rc = ei__fail(err, EI_EFORMAT,
                      "state '%s': initial_state data_file has %zu bytes, the state needs %zu",
                      st->input_name, st->initial_len, ei_tensor_nbytes(*out));
    } else {
        memcpy(ei_tensor_data(*out), st->initial_data, ei_tensor_nbytes(*out));
    }
    if (rc != EI_OK) {
        ei_tensor_destroy(*out);
        *out = NULL;
    }
    return rc;
}

ei_code_t ei__seqs_create(const ei__model_config_t *c, size_t n_instances, const char *log_id,
                          ei__seqs_t **out, ei_error_t *err)
{
    *out = NULL;
    ei__seqs_t *q = ei__calloc(1, sizeof(*q));
    if (q == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    q->cfg = c;
    const ei__seq_config_t *sc = &c->seq;
    size_t per = c->max_batch_size > 0 ? (size_t)c->max_batch_size : 1;
    if (sc->oldest && sc->max_candidates > 0)
        per = (size_t)sc->max_candidates;
    q->slots = per * (n_instances > 0 ? n_instances : 1);
    q->idle_ns = (sc->max_idle_us != 0 ? sc->max_idle_us : 1000000u) * 1000u;
    q->n_ctl = sc->n_controls;
    q->n_state = sc->n_states;
    q->log_id = ei__strdup(log_id != NULL ? log_id : c->name);
    q->in_names = ei__calloc(q->n_ctl + q->n_state + 1, sizeof(char *));
    q->in_dtypes = ei__calloc(q->n_ctl + q->n_state + 1, sizeof(ei_dtype_t));
    q->initial = ei__calloc(q->n_state + 1, sizeof(ei_tensor_t *));
    if (q->log_id == NULL || q->in_names == NULL || q->in_dtypes == NULL || q->initial == NULL) {
        ei__seqs_destroy(q);
        return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < q->n_ctl; i++) {
        q->in_names[i] = sc->controls[i].name;
        q->in_dtypes[i] = sc->controls[i].dtype;
    }
    for (size_t i = 0; i < q->n_state; i++) {
        q->in_names[q->n_ctl + i] = sc->states[i].input_name;
        q->in_dtypes[q->n_ctl + i] = sc->states[i].dtype;
        ei_code_t rc = make_initial(c, &sc->states[i], &q->initial[i], err);
        if (rc != EI_OK) {
            ei__seqs_destroy(q);
            return rc;
        }
    }
    *out = q;
    return EI_OK;
}

static void seq_free(ei__seqs_t *q, struct ei__seq *s)
{
    for (size_t i = 0; s->state != NULL && i < q->n_state; i++)
        ei_tensor_destroy(s->state[i]);
    ei__free(s->state);
    ei__free(s->sid);
    ei__free(s);
}

void ei__seqs_destroy(ei__seqs_t *q)
{
    if (q == NULL)
        return;
    struct ei__seq *s = q->head;
    while (s != NULL) {
        struct ei__seq *next = s->next;
        seq_free(q, s);
        s = next;
    }
    for (size_t i = 0; q->initial != NULL && i < q->n_state; i++)
        ei_tensor_destroy(q->initial[i]);
    ei__free(q->initial);
    ei__free(q->in_names);
    ei__free(q->in_dtypes);
    ei__free(q->log_id);
    ei__free(q);
}

size_t ei__seqs_n_inputs(const ei__seqs_t *q)
{
    return q->n_ctl + q->n_state;
}

const char *ei__seqs_input_name(const ei__seqs_t *q, size_t i)
{
    return q->in_names[i];
}

ei_dtype_t ei__seqs_input_dtype(const ei__seqs_t *q, size_t i)
{
    return q->in_dtypes[i];
}

size_t ei__seqs_n_states(const ei__seqs_t *q)
{
    return q->n_state;
}

const char *ei__seqs_state_output(const ei__seqs_t *q, size_t i)
{
    return q->cfg->seq.states[i].output_name;
}

/* The table --------------------------------------------------------------------------------------
 */

static bool same_id(const struct ei__seq *s, uint64_t id, const char *sid)
{
    if (sid != NULL)
        return s->sid != NULL && strcmp(s->sid, sid) == 0;
    return s->sid == NULL && s->id == id;
}

static struct ei__seq *find(ei__seqs_t *q, uint64_t id, const char *sid)
{
    for (struct ei__seq *s = q->head; s != NULL; s = s->next) {
        if (s->mapped && same_id(s, id, sid))
            return s;
    }
    return NULL;
}

static void id_text(uint64_t id, const char *sid, char *buf, size_t size)
{
    if (sid != NULL)
        snprintf(buf, size, "%.100s", sid);
    else
        snprintf(buf, size, "%" PRIu64, id);
}

static bool was_expired(const ei__seqs_t *q, uint64_t id, const char *sid)
{
    for (size_t i = 0; i < EXPIRED_RING; i++) {
        if (!q->expired[i].used)
            continue;
        if (sid != NULL ? strcmp(q->expired[i].sid, sid) == 0 && q->expired[i].sid[0] != '\0'
                        : q->expired[i].sid[0] == '\0' && q->expired[i].id == id)
            return true;
    }
    return false;
}

static void forget_expired(ei__seqs_t *q, uint64_t id, const char *sid)
{
    for (size_t i = 0; i < EXPIRED_RING; i++) {
        if (q->expired[i].used &&
            (sid != NULL ? strcmp(q->expired[i].sid, sid) == 0
                         : q->expired[i].sid[0] == '\0' && q->expired[i].id == id))
            q->expired[i].used = false;
    }
}

/* Unlinks and frees `s` when it has ended and nothing of it is left. */
static void maybe_free(ei__seqs_t *q, struct ei__seq *s)
{
    if (s->mapped || s->queued > 0 || s->busy || s->has_slot)
        return;
    struct ei__seq **pp = &q->head;
    while (*pp != NULL && *pp != s)
        pp = &(*pp)->next;
    if (*pp == s)
        *pp = s->next;
    seq_free(q, s);
}

/* Gives a free slot to the oldest backlogged sequence, if any. */
static void serve_backlog(ei__seqs_t *q)
{
    while (q->used < q->slots) {
        struct ei__seq *best = NULL;
        for (struct ei__seq *s = q->head; s != NULL; s = s->next) {
            if (!s->has_slot && s->queued > 0 && (best == NULL || s->order < best->order))
                best = s;
        }
        if (best == NULL)
            return;
        best->has_slot = true;
        q->used++;
    }
}

/* Ends `s`: its slot goes to the backlog, its state is freed, and it is freed once idle. */
static void release(ei__seqs_t *q, struct ei__seq *s)
{
    s->mapped = false;
    if (s->has_slot && s->queued == 0 && !s->busy) {
        s->has_slot = false;
        q->used--;
    }
    if (s->queued == 0 && !s->busy) {
        for (size_t i = 0; s->state != NULL && i < q->n_state; i++) {
            ei_tensor_destroy(s->state[i]);
            s->state[i] = NULL;
        }
    }
    serve_backlog(q);
    maybe_free(q, s);
}

/* Releases `s` for the idle limit, remembering its ID so its next request hears why. */
static void expire(ei__seqs_t *q, struct ei__seq *s)
{
    size_t k = q->expired_next++ % EXPIRED_RING;
    q->expired[k].used = true;
    q->expired[k].id = s->id;
    snprintf(q->expired[k].sid, sizeof(q->expired[k].sid), "%s", s->sid != NULL ? s->sid : "");
    char idt[128];
    id_text(s->id, s->sid, idt, sizeof(idt));
    EI_LOG(EI_LOG_INFO, "server", "model %s: sequence %s released after %llu us idle", q->log_id,
           idt, (unsigned long long)(q->idle_ns / 1000u));
    release(q, s);
}

static const ei__seq_control_t *corrid_control(const ei__seqs_t *q)
{
    for (size_t i = 0; i < q->n_ctl; i++) {
        if (q->cfg->seq.controls[i].kind == EI__CTRL_CORRID)
            return &q->cfg->seq.controls[i];
    }
    return NULL;
}

ei_code_t ei__seqs_admit(ei__seqs_t *q, ei__infer_req_t *r, ei_error_t *err)
{
    const char *model = q->cfg->name;
    const char *sid = r->seq_id_str;
    if (sid != NULL ? sid[0] == '\0' : r->seq_id == 0)
        return ei__fail(err, EI_EINVAL,
                        "inference request to model '%s' must specify a non-zero or non-empty "
                        "correlation ID",
                        model);
    if (r->batch_ > 1)
        return ei__fail(err, EI_EINVAL,
                        "inference request to model '%s' must specify batch-size 1 due to "
                        "requirements of sequence batcher",
                        model);
    const ei__seq_control_t *corr = corrid_control(q);
    if (sid != NULL && corr != NULL && corr->dtype != EI_DTYPE_STRING)
        return ei__fail(err, EI_EINVAL,
                        "inference request to model '%s': sequence ID '%.100s' is a string, but "
                        "the model's correlation ID input '%s' is %s",
                        model, sid, corr->name, ei__config_type_name(corr->dtype));
    uint64_t now = seq_now();
    struct ei__seq *s = find(q, r->seq_id, sid);
    if (s != NULL && !s->busy && s->queued == 0 && now - s->last_ns > q->idle_ns) {
        /* Idle past the limit but not reaped yet: it is gone all the same. */
        expire(q, s);
        s = NULL;
    }
    char idt[128];
    if (s == NULL && !r->seq_start) {
        id_text(r->seq_id, sid, idt, sizeof(idt));
        if (was_expired(q, r->seq_id, sid))
            return ei__fail(err, EI_EINVAL,
                            "inference request for sequence %s to model '%s' must specify the "
                            "START flag on the first request of the sequence (sequence %s was "
                            "idle for longer than max_sequence_idle_microseconds %llu and was "
                            "released)",
                            idt, model, idt, (unsigned long long)(q->idle_ns / 1000u));
        return ei__fail(err, EI_EINVAL,
                        "inference request for sequence %s to model '%s' must specify the START "
                        "flag on the first request of the sequence",
                        idt, model);
    }
    size_t n_extra = q->n_ctl + q->n_state;
    ei_tensor_t **in = ei__calloc(n_extra + 1, sizeof(ei_tensor_t *));
    ei_tensor_t **outs = ei__calloc(q->n_state + 1, sizeof(ei_tensor_t *));
    struct ei__seq *fresh = NULL;
    if (s == NULL) {
        fresh = ei__calloc(1, sizeof(*fresh));
        if (fresh != NULL) {
            fresh->state = ei__calloc(q->n_state + 1, sizeof(ei_tensor_t *));
            fresh->sid = sid != NULL ? ei__strdup(sid) : NULL;
        }
    }
    if (in == NULL || outs == NULL ||
        (s == NULL && (fresh == NULL || fresh->state == NULL || (sid != NULL && !fresh->sid)))) {
        ei__free(in);
        ei__free(outs);
        if (fresh != NULL)
            seq_free(q, fresh);
        return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    if (s == NULL) {
        s = fresh;
        s->id = r->seq_id;
        s->mapped = true;
        s->order = q->next_order++;
        struct ei__seq **pp = &q->head;
        while (*pp != NULL)
            pp = &(*pp)->next;
        *pp = s;
        forget_expired(q, r->seq_id, sid);
        if (q->used < q->slots) {
            s->has_slot = true;
            q->used++;
        }
    } else if (r->seq_start && !q->warned_restart) {
        id_text(r->seq_id, sid, idt, sizeof(idt));
        EI_LOG(EI_LOG_WARN, "server",
               "model %s: sequence %s started again before it ended; it restarts after its "
               "queued requests (logged once per model)",
               q->log_id, idt);
        q->warned_restart = true;
    }
    s->queued++;
    s->last_ns = now;
    r->seq_ = s;
    r->seq_in_ = in;
    r->seq_out_ = outs;
    if (r->seq_end)
        s->mapped = false; /* later requests with this ID belong to a new sequence */
    return EI_OK;
}

void ei__seqs_scan(ei__seqs_t *q)
{
    q->scan++;
}

bool ei__seqs_ready(ei__seqs_t *q, ei__infer_req_t *r, bool stopping)
{
    struct ei__seq *s = r->seq_;
    if (s->scan == q->scan)
        return false; /* an older request of the same sequence comes first */
    s->scan = q->scan;
    if (s->busy || (!s->has_slot && !stopping))
        return false;
    for (size_t i = 0; i < q->n_state; i++)
        r->seq_in_[q->n_ctl + i] =
            r->seq_start || s->state[i] == NULL ? q->initial[i] : s->state[i];
    return true;
}

void ei__seqs_take(ei__seqs_t *q, ei__infer_req_t *r)
{
    (void)q;
    r->seq_->queued--;
    r->seq_->busy = true;
}

uint64_t ei__seqs_reap(ei__seqs_t *q, uint64_t now_ns)
{
    uint64_t skew = atomic_load_explicit(&clock_skew, memory_order_relaxed);
    uint64_t now = now_ns + skew, next = 0;
    struct ei__seq *s = q->head;
    while (s != NULL) {
        struct ei__seq *following = s->next;
        if (s->mapped && !s->busy && s->queued == 0) {
            uint64_t expiry = s->last_ns + q->idle_ns;
            if (now > expiry)
                expire(q, s); /* may free s */
            else if (next == 0 || expiry < next) {
                next = expiry;
            }
        }
        s = following;
    }
    return next != 0 ? next - skew + 1 : 0;
}

static void free_extras(ei__seqs_t *q, ei__infer_req_t *r)
{
    for (size_t i = 0; r->seq_in_ != NULL && i < q->n_ctl; i++)
        ei_tensor_destroy(r->seq_in_[i]);
    for (size_t i = 0; r->seq_out_ != NULL && i < q->n_state; i++)
        ei_tensor_destroy(r->seq_out_[i]);
    ei__free(r->seq_in_);
    ei__free(r->seq_out_);
    r->seq_in_ = NULL;
    r->seq_out_ = NULL;
}

void ei__seqs_finish(ei__seqs_t *q, ei__infer_req_t *r, bool ok)
{
    struct ei__seq *s = r->seq_;
    for (size_t i = 0; ok && i < q->n_state; i++) {
        if (r->seq_out_[i] == NULL)
            continue;
        ei_tensor_destroy(s->state[i]);
        s->state[i] = r->seq_out_[i];
        r->seq_out_[i] = NULL;
    }
    free_extras(q, r);
    s->busy = false;
    s->last_ns = seq_now();
    r->seq_ = NULL;
    if (r->seq_end || (!s->mapped && s->queued == 0))
        release(q, s);
}

void ei__seqs_drop(ei__seqs_t *q, ei__infer_req_t *r)
{
    if (r->seq_ == NULL)
        return;
    r->seq_->queued--;
    struct ei__seq *s = r->seq_;
    free_extras(q, r);
    r->seq_ = NULL;
    if (!s->mapped && s->queued == 0 && !s->busy)
        release(q, s);
}

/* Controls ---------------------------------------------------------------------------------------
 */

static ei_code_t set_number(ei_tensor_t *t, ei_dtype_t dt, double v, uint64_t u, bool use_u)
{
    void *p = ei_tensor_data(t);
    switch (dt) {
    case EI_DTYPE_BOOL:
        *(uint8_t *)p = (use_u ? u != 0 : v != 0) ? 1 : 0;
        return EI_OK;
    case EI_DTYPE_INT32:
        *(int32_t *)p = use_u ? (int32_t)(uint32_t)u : (int32_t)v;
        return EI_OK;
    case EI_DTYPE_UINT32:
        *(uint32_t *)p = use_u ? (uint32_t)u : (uint32_t)v;
        return EI_OK;
    case EI_DTYPE_INT64:
        *(int64_t *)p = use_u ? (int64_t)u : (int64_t)v;
        return EI_OK;
    case EI_DTYPE_UINT64:
        *(uint64_t *)p = use_u ? u : (uint64_t)v;
        return EI_OK;
    case EI_DTYPE_FLOAT32:
        *(float *)p = use_u ? (float)u : (float)v;
        return EI_OK;
    default:
        return EI_EUNSUPPORTED;
    }
}

ei_code_t ei__seqs_fill_controls(const ei__seqs_t *q, ei__infer_req_t *r, ei_error_t *err)
{
    int64_t shape[2] = {1, 1};
    size_t rank = q->cfg->max_batch_size > 0 ? 2 : 1;
    for (size_t i = 0; i < q->n_ctl; i++) {
        const ei__seq_control_t *ctl = &q->cfg->seq.controls[i];
        ei_tensor_t *t = NULL;
        ei_code_t rc = ei_tensor_create(ctl->dtype, shape, rank, &t, err);
        if (rc != EI_OK)
            return rc;
        r->seq_in_[i] = t;
        if (ctl->kind == EI__CTRL_CORRID && ctl->dtype == EI_DTYPE_STRING) {
            char idt[32];
            const char *v = r->seq_id_str;
            if (v == NULL) {
                snprintf(idt, sizeof(idt), "%" PRIu64, r->seq_id);
                v = idt;
            }
            rc = ei_tensor_set_string(t, 0, v, strlen(v), err);
        } else if (ctl->kind == EI__CTRL_CORRID) {
            rc = set_number(t, ctl->dtype, 0, r->seq_id, true);
        } else {
            bool on = ctl->kind == EI__CTRL_READY ||
                      (ctl->kind == EI__CTRL_START && r->seq_start) ||
                      (ctl->kind == EI__CTRL_END && r->seq_end);
            rc = set_number(t, ctl->dtype, on ? ctl->true_value : ctl->false_value, 0, false);
        }
        if (rc != EI_OK)
            return rc == EI_EUNSUPPORTED
                       ? ei__fail(err, EI_EUNSUPPORTED, "control input '%s': %s is not supported",
                                  ctl->name, ei__config_type_name(ctl->dtype))
                       : rc;
    }
    return EI_OK;
}
