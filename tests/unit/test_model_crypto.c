/* SPDX-License-Identifier: MIT */
/*
 * Model signing and encryption: key files, key rings, signature files, sign/verify with every
 * failure reason, encrypted models (round trip, wrong key, every header field and the ciphertext
 * flipped, truncated, trailing bytes), loading signed and encrypted models into sessions, and
 * allocation failures on the read path.
 */
#include "model_crypto_internal.h"
#include "test.h"

#include <edgeinfer/edgeinfer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[256];
static char add_model[512];

static const char *tpath(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmp, name);
    return buf[k];
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    if (fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void spit(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

static void copy_file(const char *from, const char *to)
{
    size_t n = 0;
    unsigned char *b = slurp(from, &n);
    spit(to, b, n);
    free(b);
}

static void flip(const char *path, size_t at)
{
    size_t n = 0;
    unsigned char *b = slurp(path, &n);
    b[at] ^= 0x01;
    spit(path, b, n);
    free(b);
}

TEST(key_parse_forms)
{
    unsigned char k[64];
    ei_error_t err = {0};
    const char *pub = "# a comment\n\n  edgeinfer-ed25519-public "
                      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=  \r\n";
    ASSERT_OK(ei__key_parse(pub, strlen(pub), EI__KEY_PUBLIC, false, k, "t", &err), &err);
    ASSERT_EQ(k[0], 0);
    ASSERT_EQ(k[31], 31);
    /* The wrong kind is named. */
    ASSERT_EQ(ei__key_parse(pub, strlen(pub), EI__KEY_SECRET, false, k, "t", &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "holds a 'edgeinfer-ed25519-public' key");
    /* Too short, junk, bare base64 only where allowed, empty. */
    const char *shortk = "edgeinfer-ed25519-public AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\n";
    ASSERT_EQ(ei__key_parse(shortk, strlen(shortk), EI__KEY_PUBLIC, false, k, "t", &err),
              EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "expected 32 bytes of base64");
    const char *junk = "hello world\n";
    ASSERT_EQ(ei__key_parse(junk, strlen(junk), EI__KEY_MODEL, true, k, "t", &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "not an edgeinfer key line");
    const char *bare = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    ASSERT_OK(ei__key_parse(bare, strlen(bare), EI__KEY_MODEL, true, k, "t", &err), &err);
    ASSERT_EQ(ei__key_parse(bare, strlen(bare), EI__KEY_MODEL, false, k, "t", &err), EI_EFORMAT);
    ASSERT_EQ(ei__key_parse("", 0, EI__KEY_MODEL, true, k, "t", &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "no key found");
    ASSERT_EQ(ei__key_parse("# only\n", 7, EI__KEY_MODEL, true, k, "t", &err), EI_EFORMAT);
}

TEST(sig_parse_forms)
{
    ei__signature_t s;
    ei_error_t err = {0};
    char good[512], hash[129];
    memset(hash, 'a', 128);
    hash[128] = '\0';
    snprintf(good, sizeof(good),
             "edgeinfer-signature v1\nkey-id 0011223344556677\nhash blake2b-512 %s\nsignature "
             "ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4"
             "OTo7PD0+Pw==\n",
             hash);
    ASSERT_OK(ei__sig_parse(good, strlen(good), &s, "t", &err), &err);
    ASSERT_EQ(s.key_id[1], 0x11);
    ASSERT_EQ(s.hash[0], 0xaa);
    ASSERT_EQ(s.sig[63], 63);
    /* Every prefix of the file is truncated. */
    for (size_t n = 0; n < strlen(good) - 1; n += 7) {
        ASSERT_EQ(ei__sig_parse(good, n, &s, "t", &err), EI_EFORMAT);
    }
    char bad[600];
    snprintf(bad, sizeof(bad), "%sextra\n", good);
    ASSERT_EQ(ei__sig_parse(bad, strlen(bad), &s, "t", &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "unexpected text after");
    snprintf(bad, sizeof(bad), "%s", good);
    bad[30] = 'g'; /* not hex, in the key id */
    ASSERT_EQ(ei__sig_parse(bad, strlen(bad), &s, "t", &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "line 2: malformed key id");
    ASSERT_EQ(ei__sig_parse("PK\3\4", 4, &s, "t", &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "not an edgeinfer signature file");
}

TEST(sign_verify_reasons)
{
    ei_error_t err = {0};
    char id_a[EI_KEY_ID_SIZE], id_b[EI_KEY_ID_SIZE], id[EI_KEY_ID_SIZE];
    ASSERT_OK(ei_sign_keygen(tpath("a.pub"), tpath("a.sec"), id_a, &err), &err);
    ASSERT_OK(ei_sign_keygen(tpath("b.pub"), tpath("b.sec"), id_b, &err), &err);
    ASSERT_TRUE(strcmp(id_a, id_b) != 0);
    struct stat st;
    ASSERT_EQ(stat(tpath("a.sec"), &st), 0);
    ASSERT_EQ(st.st_mode & 0777, 0600);
    /* Never overwritten. */
    ASSERT_EQ(ei_sign_keygen(tpath("c.pub"), tpath("a.sec"), NULL, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "already exists");
    ASSERT_NE(access(tpath("c.pub"), F_OK), 0);

    copy_file(add_model, tpath("m.onnx"));
    ASSERT_OK(ei_model_sign(tpath("m.onnx"), tpath("a.sec"), NULL, id, &err), &err);
    ASSERT_STR_EQ(id, id_a);
    ei_keyring_t *ka = NULL, *kb = NULL;
    ASSERT_OK(ei_keyring_create(&ka, &err), &err);
    ASSERT_OK(ei_keyring_create(&kb, &err), &err);
    ASSERT_OK(ei_keyring_add_file(ka, tpath("a.pub"), NULL, &err), &err);
    ASSERT_OK(ei_keyring_add_file(kb, tpath("b.pub"), NULL, &err), &err);
    ASSERT_OK(ei_model_verify(tpath("m.onnx"), NULL, ka, id, &err), &err);
    ASSERT_STR_EQ(id, id_a);
    ASSERT_EQ(ei_model_verify(tpath("m.onnx"), NULL, kb, NULL, &err), EI_ENOTFOUND);
    ASSERT_CONTAINS(err.msg, "not one of the 1 trusted keys");
    /* A public key is not a secret key. */
    ASSERT_EQ(ei_model_sign(tpath("m.onnx"), tpath("a.pub"), tpath("x.sig"), NULL, &err),
              EI_EFORMAT);
    /* Unsigned. */
    copy_file(add_model, tpath("u.onnx"));
    ASSERT_EQ(ei_model_verify(tpath("u.onnx"), NULL, ka, NULL, &err), EI_ENOENT);
    ASSERT_CONTAINS(err.msg, "unsigned");
    /* Tampered: one bit of the model. */
    flip(tpath("m.onnx"), 40);
    ASSERT_EQ(ei_model_verify(tpath("m.onnx"), NULL, ka, NULL, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "changed after it was signed");
    flip(tpath("m.onnx"), 40);
    ASSERT_OK(ei_model_verify(tpath("m.onnx"), NULL, ka, NULL, &err), &err);
    /* A forged signature: the hash line matches, the signature does not. */
    size_t n = 0;
    unsigned char *sig = slurp(tpath("m.onnx.sig"), &n);
    char *s = strstr((char *)sig, "signature ed25519 ");
    s += strlen("signature ed25519 ");
    s[3] = s[3] == 'A' ? 'B' : 'A';
    spit(tpath("m.onnx.sig"), sig, n);
    free(sig);
    ASSERT_EQ(ei_model_verify(tpath("m.onnx"), NULL, ka, NULL, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "invalid signature");
    /* An empty key ring verifies nothing. */
    ei_keyring_t *empty = NULL;
    ASSERT_OK(ei_keyring_create(&empty, &err), &err);
    ASSERT_EQ(ei_model_verify(tpath("m.onnx"), NULL, empty, NULL, &err), EI_EINVAL);
    ei_keyring_destroy(empty);
    ei_keyring_destroy(ka);
    ei_keyring_destroy(kb);
}

TEST(keyring_dir)
{
    ei_error_t err = {0};
    ei_keyring_t *kr = NULL;
    ASSERT_EQ(mkdir(tpath("ring"), 0700), 0);
    ASSERT_OK(ei_keyring_create(&kr, &err), &err);
    ASSERT_EQ(ei_keyring_add_dir(kr, tpath("ring"), &err), EI_ENOTFOUND);
    ASSERT_CONTAINS(err.msg, "no public keys");
    ASSERT_OK(ei_sign_keygen(tpath("ring/one.pub"), tpath("one.sec"), NULL, &err), &err);
    ASSERT_OK(ei_sign_keygen(tpath("ring/two.pub"), tpath("two.sec"), NULL, &err), &err);
    spit(tpath("ring/README"), "not a key", 9); /* ignored: not *.pub */
    ASSERT_OK(ei_keyring_add_dir(kr, tpath("ring"), &err), &err);
    ASSERT_EQ(ei_keyring_count(kr), 2);
    ASSERT_OK(ei_keyring_add_dir(kr, tpath("ring"), &err), &err); /* the same keys again */
    ASSERT_EQ(ei_keyring_count(kr), 2);
    spit(tpath("ring/zz.pub"), "garbage\n", 8);
    ASSERT_EQ(ei_keyring_add_dir(kr, tpath("ring"), &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "zz.pub");
    ASSERT_EQ(ei_keyring_add_dir(kr, tpath("nope"), &err), EI_ENOENT);
    ei_keyring_destroy(kr);
}

TEST(model_key_sources)
{
    ei_error_t err = {0};
    ei_model_key_t *k = NULL, *k2 = NULL;
    char id[EI_KEY_ID_SIZE], id2[EI_KEY_ID_SIZE];
    ASSERT_OK(ei_model_keygen(tpath("mk"), &err), &err);
    ASSERT_EQ(ei_model_keygen(tpath("mk"), &err), EI_EINVAL);
    ASSERT_OK(ei_model_key_load(tpath("mk"), &k, &err), &err);
    ei_model_key_id(k, id);
    ASSERT_EQ(strlen(id), 16);
    /* The environment form: the whole line or the bare base64. */
    size_t n = 0;
    unsigned char *line = slurp(tpath("mk"), &n);
    line[n - 1] = '\0';
    setenv("EI_TEST_KEY", (char *)line, 1);
    ASSERT_OK(ei_model_key_from_env("EI_TEST_KEY", &k2, &err), &err);
    ei_model_key_id(k2, id2);
    ASSERT_STR_EQ(id, id2);
    ei_model_key_destroy(k2);
    setenv("EI_TEST_KEY", strchr((char *)line, ' ') + 1, 1);
    ASSERT_OK(ei_model_key_from_env("EI_TEST_KEY", &k2, &err), &err);
    ei_model_key_id(k2, id2);
    ASSERT_STR_EQ(id, id2);
    ei_model_key_destroy(k2);
    free(line);
    setenv("EI_TEST_KEY", "short", 1);
    ASSERT_EQ(ei_model_key_from_env("EI_TEST_KEY", &k2, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "environment variable EI_TEST_KEY");
    unsetenv("EI_TEST_KEY");
    ASSERT_EQ(ei_model_key_from_env("EI_TEST_KEY", &k2, &err), EI_ENOTFOUND);
    ASSERT_NULL(k2);
    ASSERT_EQ(ei_model_key_load(tpath("missing"), &k2, &err), EI_ENOENT);
    ei_model_key_destroy(k);
}

/* Runs add.onnx (C = A + B over float[3]) loaded through `opts` and checks the sum. */
static int run_add(const char *path, const ei_session_opts_t *opts, ei_error_t *err)
{
    ei_session_t *s = NULL;
    ei_code_t rc = ei_session_create(path, opts, &s, err);
    if (rc != EI_OK)
        return rc;
    int bad = 1;
    size_t nin = ei_session_input_count(s);
    const char *names[4];
    ei_tensor_t *in[4] = {NULL};
    ei_tensor_t *out = NULL;
    for (size_t i = 0; i < nin && i < 4; i++) {
        const ei_value_info_t *v = ei_session_input(s, i);
        int64_t shape[8];
        for (size_t d = 0; d < v->rank; d++)
            shape[d] = v->shape[d] < 0 ? 1 : v->shape[d];
        names[i] = v->name;
        if (ei_tensor_create(v->dtype, shape, v->rank, &in[i], err) != EI_OK)
            goto out;
        float *p = ei_tensor_data(in[i]);
        for (size_t e = 0; e < ei_tensor_count(in[i]); e++)
            p[e] = (float)(i + 1);
    }
    if (ei_session_run(s, names, in, nin, NULL, &out, 1, err) != EI_OK)
        goto out;
    bad = ((float *)ei_tensor_data(out))[0] != (float)(nin * (nin + 1) / 2);
out:
    for (size_t i = 0; i < 4; i++)
        ei_tensor_destroy(in[i]);
    ei_tensor_destroy(out);
    ei_session_destroy(s);
    return bad ? -1 : 0;
}

TEST(encrypt_roundtrip_and_load)
{
    ei_error_t err = {0};
    ei_model_key_t *k = NULL, *other = NULL;
    ASSERT_OK(ei_model_keygen(tpath("ek"), &err), &err);
    ASSERT_OK(ei_model_keygen(tpath("ek2"), &err), &err);
    ASSERT_OK(ei_model_key_load(tpath("ek"), &k, &err), &err);
    ASSERT_OK(ei_model_key_load(tpath("ek2"), &other, &err), &err);
    ASSERT_OK(ei_model_encrypt(add_model, tpath("add.onnx.enc"), k, &err), &err);
    ASSERT_TRUE(ei_model_is_encrypted(tpath("add.onnx.enc")));
    ASSERT_TRUE(!ei_model_is_encrypted(add_model));
    ASSERT_EQ(ei_model_encrypt(tpath("add.onnx.enc"), tpath("twice"), k, &err), EI_EINVAL);
    size_t pn = 0, en = 0;
    unsigned char *plain = slurp(add_model, &pn);
    unsigned char *enc = slurp(tpath("add.onnx.enc"), &en);
    ASSERT_EQ(en, pn + EI__ENC_HEADER_SIZE);
    ASSERT_TRUE(memmem(enc, en, plain + 16, 32) == NULL); /* no plaintext run in the file */
    void *data = NULL;
    size_t n = 0;
    ASSERT_OK(ei_model_read(tpath("add.onnx.enc"), NULL, k, &data, &n, &err), &err);
    ASSERT_EQ(n, pn);
    ASSERT_EQ(memcmp(data, plain, pn), 0);
    ei_model_bytes_free(data, n);
    /* Through the session: with the key it runs; without, or with another key, it says why. */
    ei_session_opts_t o;
    ei_session_opts_init(&o);
    ASSERT_EQ(run_add(tpath("add.onnx.enc"), &o, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "the model is encrypted");
    o.model_key = other;
    ASSERT_EQ(run_add(tpath("add.onnx.enc"), &o, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "wrong key");
    o.model_key = k;
    ASSERT_OK(run_add(tpath("add.onnx.enc"), &o, &err), &err);
    /* Signed and encrypted: the signature covers the encrypted file. */
    ASSERT_OK(ei_sign_keygen(tpath("s.pub"), tpath("s.sec"), NULL, &err), &err);
    ei_keyring_t *kr = NULL;
    ASSERT_OK(ei_keyring_create(&kr, &err), &err);
    ASSERT_OK(ei_keyring_add_file(kr, tpath("s.pub"), NULL, &err), &err);
    o.verify_keys = kr;
    ASSERT_EQ(run_add(tpath("add.onnx.enc"), &o, &err), EI_ENOENT);
    ASSERT_OK(ei_model_sign(tpath("add.onnx.enc"), tpath("s.sec"), NULL, NULL, &err), &err);
    ASSERT_OK(run_add(tpath("add.onnx.enc"), &o, &err), &err);
    /* A signed plain model loads from memory; tampered, it does not load. */
    copy_file(add_model, tpath("p.onnx"));
    ASSERT_OK(ei_model_sign(tpath("p.onnx"), tpath("s.sec"), NULL, NULL, &err), &err);
    o.model_key = NULL;
    ASSERT_OK(run_add(tpath("p.onnx"), &o, &err), &err);
    flip(tpath("p.onnx"), pn - 3);
    ASSERT_EQ(run_add(tpath("p.onnx"), &o, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "changed after it was signed");
    ei_keyring_destroy(kr);
    free(plain);
    free(enc);
    ei_model_key_destroy(k);
    ei_model_key_destroy(other);
}

TEST(encrypted_damage)
{
    ei_error_t err = {0};
    ei_model_key_t *k = NULL;
    unsigned char raw[32];
    memset(raw, 7, sizeof(raw));
    ASSERT_OK(ei__model_key_from_bytes(raw, &k, &err), &err);
    ASSERT_OK(ei_model_encrypt(add_model, tpath("d.enc"), k, &err), &err);
    size_t n = 0;
    unsigned char *good = slurp(tpath("d.enc"), &n);
    unsigned char *buf = malloc(n + 16);
    size_t plain = 0;
    /* One flipped bit anywhere: which message depends on the field, but never success. */
    static const struct {
        size_t at;
        const char *says;
    } cases[] = {{0, "bad magic"},  {8, "version"},       {9, "algorithm"},
                 {12, "reserved"},  {16, "wrong key"},    {30, "tag mismatch"},
                 {55, "truncated"}, {60, "tag mismatch"}, {EI__ENC_HEADER_SIZE, "tag mismatch"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(buf, good, n);
        buf[cases[i].at] ^= 0x01;
        ASSERT_NE(ei__model_decrypt(buf, n, k, &plain, "d.enc", &err), EI_OK);
        ASSERT_CONTAINS(err.msg, cases[i].says);
    }
    /* A size field one short of the ciphertext: trailing bytes; one more: truncated. */
    for (int d = -1; d <= 1; d += 2) {
        memcpy(buf, good, n);
        uint64_t sz = (uint64_t)(n - EI__ENC_HEADER_SIZE) + (uint64_t)(int64_t)d;
        for (int b = 0; b < 8; b++)
            buf[48 + b] = (unsigned char)(sz >> (8 * b));
        ASSERT_EQ(ei__model_decrypt(buf, n, k, &plain, "d.enc", &err), EI_EFORMAT);
        ASSERT_CONTAINS(err.msg, d < 0 ? "trailing bytes" : "truncated");
    }
    memcpy(buf, good, n);
    buf[n - 1] ^= 0x80; /* the last ciphertext byte */
    ASSERT_EQ(ei__model_decrypt(buf, n, k, &plain, "d.enc", &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "modified or corrupted");
    /* Truncated anywhere, and grown by a byte. */
    for (size_t cut = 0; cut < n; cut += 97) {
        memcpy(buf, good, n);
        ASSERT_NE(ei__model_decrypt(buf, cut, k, &plain, "d.enc", &err), EI_OK);
    }
    memcpy(buf, good, n);
    buf[n] = 0;
    ASSERT_EQ(ei__model_decrypt(buf, n + 1, k, &plain, "d.enc", &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "trailing bytes");
    memcpy(buf, good, n);
    ASSERT_OK(ei__model_decrypt(buf, n, k, &plain, "d.enc", &err), &err);
    ASSERT_EQ(plain, n - EI__ENC_HEADER_SIZE);
    /* The same damage through the file path gives the same answers. */
    copy_file(tpath("d.enc"), tpath("e.enc"));
    flip(tpath("e.enc"), n / 2);
    void *data = NULL;
    ASSERT_EQ(ei_model_read(tpath("e.enc"), NULL, k, &data, &plain, &err), EI_EFORMAT);
    ASSERT_NULL(data);
    free(buf);
    free(good);
    ei_model_key_destroy(k);
}

TEST(read_alloc_failures)
{
    ei_error_t err = {0};
    ei_model_key_t *k = NULL;
    unsigned char raw[32];
    memset(raw, 9, sizeof(raw));
    ASSERT_OK(ei__model_key_from_bytes(raw, &k, &err), &err);
    ASSERT_OK(ei_model_encrypt(add_model, tpath("o.enc"), k, &err), &err);
    ei_test_oom_install();
    int ok = 0;
    for (long budget = 0; budget < 40 && !ok; budget++) {
        void *data = NULL;
        size_t n = 0;
        ei_test_oom_arm(budget);
        ei_code_t rc = ei_model_read(tpath("o.enc"), NULL, k, &data, &n, &err);
        ei_keyring_t *r = NULL;
        ei_code_t rc2 = ei_keyring_create(&r, &err);
        if (rc2 == EI_OK)
            rc2 = ei_keyring_add_file(r, tpath("a.pub"), NULL, &err);
        ei_test_oom_disarm();
        ei_keyring_destroy(r);
        if (rc == EI_OK)
            ei_model_bytes_free(data, n);
        else if (rc != EI_ENOMEM)
            break;
        ok = rc == EI_OK && rc2 == EI_OK;
    }
    ei_test_oom_uninstall();
    ASSERT_TRUE(ok);
    ei_model_key_destroy(k);
}

int main(void)
{
    const char *src = getenv("EI_SOURCE_DIR");
    snprintf(add_model, sizeof(add_model), "%s/tests/data/core/add.onnx", src ? src : ".");
    snprintf(tmp, sizeof(tmp), "/tmp/ei_model_crypto_XXXXXX");
    if (mkdtemp(tmp) == NULL)
        return 1;
    int rc = RUN_TESTS(key_parse_forms, sig_parse_forms, sign_verify_reasons, keyring_dir,
                       model_key_sources, encrypt_roundtrip_and_load, encrypted_damage,
                       read_alloc_failures);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        rc = 1;
    ei_global_cleanup();
    return rc;
}
