/* SPDX-License-Identifier: MIT */
/*
 * Triton's sequence batcher, the bookkeeping half: which sequences exist (by correlation ID, a
 * uint64 or a string), which hold one of the model's slots and which wait in the backlog, which
 * request of each may run next (one at a time, in arrival order), the control inputs fed to the
 * model (START, END, READY, CORRID) and the implicit state kept between requests. The scheduling
 * half (queue, workers, batches) stays in batcher.c, which calls these functions under its lock
 * except where a function says otherwise.
 *
 * Slots: the direct strategy gives each sequence one of max(1, max_batch_size) slots per instance,
 * the oldest strategy one of max_candidate_sequences candidates per instance; a sequence that
 * starts while all are taken waits (with its requests) until one is released by an END, by the
 * idle limit, or by the server stopping. The instances share one stateless ONNX Runtime session,
 * so a slot is a place in the schedule, not a place in the model's memory, and a batch holds only
 * requests that are ready (no READY=false filler rows).
 */
#ifndef EI_SERVER_SEQUENCE_H
#define EI_SERVER_SEQUENCE_H

#include "model_config.h"
#include "model_repo.h"

typedef struct ei__seqs ei__seqs_t;

/**
 * Sets up the sequence table of one model version (`c->seq.enabled`). `c` is borrowed and must
 * outlive the table; `log_id` ("name@version") is copied.
 */
ei_code_t ei__seqs_create(const ei__model_config_t *c, size_t n_instances, const char *log_id,
                          ei__seqs_t **out, ei_error_t *err);
/** Frees the table, every sequence and its state. NULL is a no-op. */
void ei__seqs_destroy(ei__seqs_t *q);

/** The inputs the server feeds: the controls (config order), then the state inputs. */
size_t ei__seqs_n_inputs(const ei__seqs_t *q);
const char *ei__seqs_input_name(const ei__seqs_t *q, size_t i);
ei_dtype_t ei__seqs_input_dtype(const ei__seqs_t *q, size_t i);
/** The state outputs (state order). */
size_t ei__seqs_n_states(const ei__seqs_t *q);
const char *ei__seqs_state_output(const ei__seqs_t *q, size_t i);

/*
 * Under the batcher's lock ---------------------------------------------------------------------
 */

/**
 * Admits a validated request (req->batch_ set): checks its correlation ID and flags with Triton's
 * errors (EI_EINVAL: no ID, a batch larger than 1, a continuation of an unknown, ended or timed-out
 * sequence, a string ID for a numeric CORRID control), files it under its sequence (created on
 * START, given a slot or put in the backlog) and allocates its per-request extras. On failure
 * nothing changed. Every admitted request later goes through ei__seqs_take() + ei__seqs_finish()
 * or ei__seqs_drop().
 */
ei_code_t ei__seqs_admit(ei__seqs_t *q, ei__infer_req_t *r, ei_error_t *err);

/** Starts one scan of the queue (in arrival order) with ei__seqs_ready(). */
void ei__seqs_scan(ei__seqs_t *q);
/**
 * Whether `r` may run now: its sequence holds a slot (or `stopping`: then every sequence runs, so
 * the queue drains), no request of it is running, and `r` is the first of its sequence in this
 * scan. Also points r's state inputs at the state it would run with, so shapes can be compared.
 */
bool ei__seqs_ready(ei__seqs_t *q, ei__infer_req_t *r, bool stopping);
/** Takes `r` for a run (after ei__seqs_ready() said yes in this scan): its sequence is busy. */
void ei__seqs_take(ei__seqs_t *q, ei__infer_req_t *r);
/**
 * Releases every sequence idle (nothing queued or running) for longer than the idle limit, and
 * returns when the next one would expire on the ei__now_ns() clock (0: none can).
 */
uint64_t ei__seqs_reap(ei__seqs_t *q, uint64_t now_ns);
/**
 * After a run (or a failure) of a taken request: stores its state outputs in the sequence when
 * `ok`, frees its extras, releases the sequence when the request ended it, and lets the next
 * request of the sequence run.
 */
void ei__seqs_finish(ei__seqs_t *q, ei__infer_req_t *r, bool ok);
/** For an admitted request that will never run (the batcher is going away): frees its extras. */
void ei__seqs_drop(ei__seqs_t *q, ei__infer_req_t *r);

/*
 * On the worker, without the lock -------------------------------------------------------------
 */

/**
 * Creates the control tensors of a taken request in r->seq_in_ ([1, 1], or [1] when the model
 * does not batch): START/END from its flags, READY true, CORRID its correlation ID.
 */
ei_code_t ei__seqs_fill_controls(const ei__seqs_t *q, ei__infer_req_t *r, ei_error_t *err);

/**
 * Test hook: moves the sequence batcher's idle clock forward by `ns` for every model in the
 * process (the clock is ei__now_ns() plus the sum of these), so an idle-limit test controls time
 * instead of sleeping.
 */
void ei__seqs_test_advance_clock(uint64_t ns);

#endif
