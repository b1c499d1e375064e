/* SPDX-License-Identifier: MIT */
/*
 * Internal to the gRPC front-end: one call as the method handlers see it, and the functions
 * grpc_frontend.c offers them (reply, fail, stream sends).
 *
 * A call's life: grpc_frontend.c accepts it, counts it through the drain gate, starts a receive of
 * its close (cancellation/deadline) and of the first message, and hands each message to the
 * method's handler. A unary handler answers once with ei__grpc_reply() / ei__grpc_fail() (now or
 * from a worker thread); a streaming handler sends any number of messages with
 * ei__grpc_stream_send() and ends with ei__grpc_finish(). The call is freed when every batch it
 * started has completed.
 */
#ifndef EI_SERVER_GRPC_INTERNAL_H
#define EI_SERVER_GRPC_INTERNAL_H

#include "auth.h"
#include "grpc_frontend.h"
#include "grpc_service.pb-c.h"

#include <grpc/grpc.h>
#include <grpc/status.h>
#include <stdarg.h>

typedef struct ei__grpc_call ei__grpc_call_t;

/* ThreadSanitizer cannot see the happens-before edge that gRPC's completion queue (a Debian build,
 * not instrumented) gives between the thread that hands a tag over and the one that gets it back
 * from grpc_completion_queue_next(). EI__GRPC_HANDOFF / EI__GRPC_TAKEN state that edge to TSan in
 * TSan builds (release before the hand-over, acquire after the completion), and are nothing
 * otherwise. Races in our own code between two completions stay visible. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EI__GRPC_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) && !defined(EI__GRPC_TSAN)
#define EI__GRPC_TSAN 1
#endif
#ifdef EI__GRPC_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define EI__GRPC_HANDOFF(tag) __tsan_release(tag)
#define EI__GRPC_TAKEN(tag) __tsan_acquire(tag)
#else
#define EI__GRPC_HANDOFF(tag) ((void)(tag))
#define EI__GRPC_TAKEN(tag) ((void)(tag))
#endif

/** What a completion-queue tag does when its batch completes. */
typedef struct ei__grpc_tag {
    void (*fn)(ei__grpc_call_t *c, bool ok);
    ei__grpc_call_t *call;
} ei__grpc_tag_t;

/** One queued outgoing stream message. */
typedef struct ei__grpc_out {
    struct ei__grpc_out *next;
    uint8_t *data;
    size_t len;
} ei__grpc_out_t;

/** A method of the service. */
typedef struct ei__grpc_method {
    const char *name; /**< "ModelInfer" (the path is /inference.GRPCInferenceService/<name>) */
    bool streaming;
    unsigned scope; /**< the API-key scope it needs (v2/auth.h), as the REST route's */
    /**
     * Handles one request message (`msg`, `len` bytes, valid during the call). Unary: answers
     * exactly once. Streaming: called per message; `msg` NULL when the client half-closed.
     */
    void (*fn)(ei__grpc_call_t *c, const uint8_t *msg, size_t len);
} ei__grpc_method_t;

/** The send batch in flight (at most one per call). */
typedef struct ei__grpc_send {
    grpc_byte_buffer *buf;
    grpc_slice details;
    bool has_details;
} ei__grpc_send_t;

struct ei__grpc_call {
    ei__grpc_t *g;
    grpc_call *call;
    grpc_call_details details;
    grpc_metadata_array md;
    const ei__grpc_method_t *method;
    pthread_mutex_t mu; /* orders grpc_call_start_batch and the state below */
    _Atomic int refs;   /* batches in flight + 1 while a handler may still answer */
    ei__grpc_tag_t t_new, t_recv, t_close, t_send;
    grpc_byte_buffer *recv_buf;
    ei__grpc_send_t send;
    int cancelled; /* filled by RECV_CLOSE_ON_SERVER */
    bool closed, answered, gated, initial_md_sent;
    uint64_t id, start_ns;
    uint64_t deadline_ns; /* ei__now_ns() clock; 0 = none */
    /* Streaming: outgoing messages wait here while one is being sent. */
    ei__grpc_out_t *out_head, *out_tail;
    bool sending, half_closed, finish_pending;
    grpc_status_code finish_status;
    char finish_msg[384];
    size_t pending; /* stream: inferences in flight */
    /* The inferences in flight (one for a unary call, any number on a stream), linked through
     * ei__v2_call_t.fe_prev/fe_next under mu: the queued ones are cancelled when the client goes
     * away. */
    ei__v2_call_t *infers;
    /* Streams: linked in g->streams (under g->mu) while open, so a drain can end the idle ones. */
    ei__grpc_call_t *s_prev, *s_next;
    bool s_linked, drain_seen; /* under g->mu */
    bool draining;             /* under mu: the server is stopping; end once nothing is pending */
    /* For the access line. */
    char model[128];
    int64_t version;
    char error[384];
    char key[64]; /* the API key's name (never the token) */
    unsigned status;
    uint64_t bytes_in, bytes_out, queue_ns, compute_ns;
};

/** Unpacks the request message into `req` with protobuf-c's `fn`, or fails the call and returns. */
#define EI__GRPC_UNPACK(c, req, fn, msg, len, what)                                                \
    do {                                                                                           \
        (req) = fn(&ei__grpc_pb_alloc, (len), (msg));                                              \
        if (!(req)) {                                                                              \
            ei__grpc_fail((c), GRPC_STATUS_INVALID_ARGUMENT, "cannot parse the %s message", what); \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/** Holds the repository, or fails the call (UNAVAILABLE while shutting down) and returns NULL. */
ei__repo_t *ei__grpc_hold(ei__grpc_call_t *c);
void ei__grpc_drop(ei__grpc_call_t *c);

/** The method table (grpc_methods.c + grpc_infer.c); NULL-name terminated. */
extern const ei__grpc_method_t ei__grpc_methods[];
/** The stats slot of a method of the table (NULL: an unknown method, the last slot). */
size_t ei__grpc_method_slot(const ei__grpc_method_t *m);
/** ModelConfig (grpc_config.c). */
void ei__grpc_model_config(ei__grpc_call_t *c, const uint8_t *msg, size_t len);
/** ModelInfer and ModelStreamInfer (grpc_infer.c). */
void ei__grpc_model_infer(ei__grpc_call_t *c, const uint8_t *msg, size_t len);
void ei__grpc_model_stream_infer(ei__grpc_call_t *c, const uint8_t *msg, size_t len);
/**
 * The server is stopping: a ModelStreamInfer stream answers what it has in flight, refuses new
 * requests, and ends (UNAVAILABLE) once nothing is left, at once when idle (grpc_infer.c).
 */
void ei__grpc_stream_drain(ei__grpc_call_t *c);
/** Links / unlinks an inference in flight in c->infers (caller holds c->mu). */
void ei__grpc_infer_link(ei__grpc_call_t *c, ei__v2_call_t *call);
void ei__grpc_infer_unlink(ei__grpc_call_t *c, ei__v2_call_t *call);

/* grpc_frontend.c ---------------------------------------------------------------------------- */

/** The gRPC status for a library code (Triton's mapping of its error codes). */
grpc_status_code ei__grpc_status_for(ei_code_t code);
/** Unary: answers with a packed message (taken: ei__free'd). Exactly once. */
void ei__grpc_reply_packed(ei__grpc_call_t *c, uint8_t *data, size_t len);
/** Unary: packs `msg` and answers with it. */
void ei__grpc_reply(ei__grpc_call_t *c, const ProtobufCMessage *msg);
/** Unary and streaming: ends the call with a status and message (no reply message). */
void ei__grpc_fail(ei__grpc_call_t *c, grpc_status_code status, const char *fmt, ...)
    EI__PRINTF(3, 4);
/** Ends the call with the status for a library error. */
void ei__grpc_fail_code(ei__grpc_call_t *c, const ei_error_t *e);
/** Streaming: queues one message (taken: ei__free'd); sent in order. Any thread. */
void ei__grpc_stream_send(ei__grpc_call_t *c, uint8_t *data, size_t len);
/** Streaming: ends the call with `status` once every queued message is sent. */
void ei__grpc_stream_finish(ei__grpc_call_t *c, grpc_status_code status, const char *msg);
/** Takes / drops a reference that keeps the call alive (e.g. across an inference). */
void ei__grpc_call_ref(ei__grpc_call_t *c);
void ei__grpc_call_unref(ei__grpc_call_t *c);
/** Records the model for the access line. */
void ei__grpc_note_model(ei__grpc_call_t *c, const char *name, int64_t version);
/** A model version string ("" = -1); false after failing the call with INVALID_ARGUMENT. */
bool ei__grpc_version(ei__grpc_call_t *c, const char *s, int64_t *version);
/** Packs a message into a new ei__malloc'd buffer; NULL when out of memory. */
uint8_t *ei__grpc_pack(const ProtobufCMessage *msg, size_t *len);
/** The protobuf-c allocator over ei__malloc. */
extern ProtobufCAllocator ei__grpc_pb_alloc;

/** Every allocation of one reply, freed together (a failed one sets `oom`). */
typedef struct ei__arena {
    void **p;
    size_t n, cap;
    bool oom;
} ei__arena_t;
/** Zeroed memory that lives until ei__arena_free(). NULL (and oom) when out of memory. */
void *ei__arena_alloc(ei__arena_t *a, size_t n);
/** A copy of `size` bytes at `init` (a message's INIT value). */
void *ei__arena_msg(ei__arena_t *a, const void *init, size_t size);
/** A copy of `s` ("" when out of memory, with oom set). */
char *ei__arena_strdup(ei__arena_t *a, const char *s);
void ei__arena_free(ei__arena_t *a);
/** A new message of type T in the arena, initialised with INIT. */
#define EI__ARENA_MSG(a, T, INIT) ((T *)ei__arena_msg((a), &(T)INIT, sizeof(T)))

#endif
