#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The model-integrity commands end to end: keygen, sign, verify (each failure reason), encrypt,
# and the model-loading commands with --verify-key / --key-file / $EDGEINFER_MODEL_KEY: signed,
# unsigned, tampered, encrypted with the right key, the wrong key, no key, a flipped byte.
set -u
ei=${EI_BIN:?}
model=${EI_MODELS:?}/ppocr/cls.onnx
img=${EI_SOURCE_DIR:?}/examples/images/line.jpg
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t" || exit 1
fail=0
# expect NAME WANT_RC REGEX CMD...: exit code and a regex over stdout+stderr
expect() {
    local name=$1 want=$2 re=$3 out rc
    shift 3
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, want $want"; echo "$out" | sed 's/^/    /'; fail=1; return
    fi
    if ! grep -Eq -- "$re" <<<"$out"; then
        echo "FAIL $name: output lacks /$re/"; echo "$out" | sed 's/^/    /'; fail=1; return
    fi
    echo "ok   $name"
}
flip() { # FILE OFFSET: flip one bit in place
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
cp "$model" m.onnx
expect "keygen alice" 0 '^[0-9a-f]{16}$' "$ei" keygen alice
expect "keygen bob" 0 'wrote bob.pub' "$ei" keygen bob
expect "keygen never overwrites" 1 'already exists' "$ei" keygen alice
[ "$(stat -c %a alice.sec)" = 600 ] && echo "ok   secret key mode 0600" || { echo "FAIL alice.sec mode $(stat -c %a alice.sec)"; fail=1; }
expect "keygen usage" 2 'missing NAME' "$ei" keygen
expect "sign" 0 'signed by key' "$ei" sign --key alice.sec m.onnx
expect "sign with a public key" 1 "expected a 'edgeinfer-ed25519-secret' key" "$ei" sign --key alice.pub m.onnx
expect "sign without --key" 2 'missing --key' "$ei" sign m.onnx
expect "sign --key without a value" 2 "option '--key' needs a value" "$ei" sign --key
expect "verify with an unknown option" 2 "unknown option '--bogus'" "$ei" verify --bogus m.onnx
expect "verify good" 0 'm.onnx: good signature by key' "$ei" verify --key alice.pub m.onnx
expect "verify untrusted key" 1 'not one of the 1 trusted keys.*EI_ENOTFOUND' "$ei" verify --key bob.pub m.onnx
mkdir ring && cp alice.pub bob.pub ring/
expect "verify with a key directory" 0 'good signature' "$ei" verify --key ring m.onnx
cp m.onnx u.onnx
expect "verify unsigned" 1 'unsigned' "$ei" verify --key ring u.onnx
cp m.onnx t.onnx && cp m.onnx.sig t.onnx.sig && flip t.onnx 4096
expect "verify tampered" 1 'changed after it was signed' "$ei" verify --key ring t.onnx
expect "run --verify-key good" 0 'input x' "$ei" run m.onnx --random --verify-key ring
expect "run --verify-key tampered" 1 'changed after it was signed' "$ei" run t.onnx --random --verify-key ring
expect "run --verify-key unsigned" 1 'unsigned' "$ei" run u.onnx --random --verify-key alice.pub
expect "bench --verify-key untrusted" 1 'not one of the 1 trusted keys' "$ei" bench m.onnx --iterations 1 --verify-key bob.pub
expect "classify --verify-key good" 0 'line.jpg: 0' "$ei" classify --model m.onnx --preset ppocr --verify-key ring "$img"
expect "info --verify-key tampered" 1 'changed after it was signed' "$ei" info t.onnx --verify-key ring
expect "--verify-key missing file" 1 'loading trusted keys' "$ei" run m.onnx --random --verify-key nope.pub

expect "keygen --model-key" 0 'wrote model key' "$ei" keygen --model-key mk
"$ei" keygen --model-key mk2 >/dev/null 2>&1
expect "encrypt" 0 'encrypted with key' "$ei" encrypt --key-file mk m.onnx
if cmp -s <(tail -c +73 m.onnx.enc) m.onnx; then echo "FAIL encrypt wrote the plaintext"; fail=1; fi
expect "run encrypted with --key-file" 0 'input x' "$ei" run m.onnx.enc --random --key-file mk
expect "info encrypted with the env key" 0 'format: ONNX' env EDGEINFER_MODEL_KEY="$(cut -d' ' -f2 mk)" "$ei" info m.onnx.enc
expect "classify encrypted" 0 'line.jpg: 0' "$ei" classify --model m.onnx.enc --preset ppocr --key-file mk "$img"
expect "run encrypted without a key" 1 'the model is encrypted; give its key' "$ei" run m.onnx.enc --random
expect "run encrypted with the wrong key" 1 'wrong key: the model was encrypted with key' "$ei" run m.onnx.enc --random --key-file mk2
cp m.onnx.enc f.enc && flip f.enc 9000
expect "run encrypted, one flipped byte" 1 'modified or corrupted' "$ei" run f.enc --random --key-file mk
head -c 1000 m.onnx.enc >tr.enc
expect "run encrypted, truncated" 1 'truncated' "$ei" run tr.enc --random --key-file mk
expect "a signing key as a model key" 1 "expected a 'edgeinfer-model-key' key" "$ei" run m.onnx.enc --random --key-file alice.sec
expect "encrypt without a key" 2 'missing --key-file' env -u EDGEINFER_MODEL_KEY "$ei" encrypt m.onnx
expect "sign encrypted" 0 'signed by key' "$ei" sign --key alice.sec m.onnx.enc
expect "signed + encrypted" 0 'input x' "$ei" run m.onnx.enc --random --key-file mk --verify-key ring
cp m.onnx.enc.sig f.enc.sig
expect "signed + encrypted, flipped" 1 'changed after it was signed' "$ei" run f.enc --random --key-file mk --verify-key ring
[ $fail = 0 ] && echo "model crypto cli: all ok"
exit $fail
