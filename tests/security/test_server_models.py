#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Signed and encrypted models in the repository: with --trusted-keys DIR --require-signed-models
an unsigned or tampered version is UNAVAILABLE with the reason while signed ones serve; a version
already serving keeps serving when a newer one fails the check; without --require-signed-models
a signed model is still checked; model.onnx.enc loads with --model-key-file or EDGEINFER_MODEL_KEY,
and a missing or wrong key is the version's reason."""
import os
import shutil
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "server"))
import eiserver as E  # noqa: E402

E.check_env()
work = tempfile.mkdtemp(prefix="ei-signed-")
add = os.path.join(E.CORE_DATA, "add.onnx")
infer = {"inputs": [{"name": "a", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]},
                    {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 1, 1]}]}


def ei(*args):
    r = subprocess.run([E.EI_BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if r.returncode != 0:
        raise RuntimeError("edgeinfer %s: %s" % (" ".join(args), r.stderr.decode()))


def place(repo, name, version, signed=True, tamper=False, encrypt_key=None):
    d = os.path.join(repo, name, str(version))
    os.makedirs(d)
    dst = os.path.join(d, "model.onnx")
    shutil.copy(add, dst)
    if encrypt_key:
        ei("encrypt", "--key-file", encrypt_key, dst)
        os.unlink(dst)
        dst += ".enc"
    if signed:
        ei("sign", "--key", os.path.join(work, "release.sec"), dst)
    if tamper:
        with open(dst, "r+b") as f:
            f.seek(40)
            b = f.read(1)
            f.seek(40)
            f.write(bytes([b[0] ^ 1]))


def index(s):
    st, h, raw = s.request("POST", "/v2/repository/index", b"{}")
    import json
    return {(m["name"], m.get("version")): m for m in json.loads(raw)}


ei("keygen", os.path.join(work, "release"))
ei("keygen", os.path.join(work, "other"))
ei("keygen", "--model-key", os.path.join(work, "model.key"))
ei("keygen", "--model-key", os.path.join(work, "wrong.key"))
os.makedirs(os.path.join(work, "trusted"))
shutil.copy(os.path.join(work, "release.pub"), os.path.join(work, "trusted"))
repo = os.path.join(work, "repo")
place(repo, "signed", 1)
place(repo, "unsigned", 1, signed=False)
place(repo, "tampered", 1, tamper=True)
place(repo, "enc", 1, encrypt_key=os.path.join(work, "model.key"))
place(repo, "grow", 1)
c = E.Checker()
s = E.Server(repo, "--trusted-keys", os.path.join(work, "trusted"), "--require-signed-models",
             "--model-key-file", os.path.join(work, "model.key"), "--model-control-mode",
             "explicit", "--load-model", "*")
ix = index(s)
c.eq("signed: READY", ix.get(("signed", "1"), {}).get("state"), "READY")
c.eq("unsigned: UNAVAILABLE", ix.get(("unsigned", "1"), {}).get("state"), "UNAVAILABLE")
c.true("unsigned: the reason says so", "unsigned" in ix.get(("unsigned", "1"), {}).get("reason", ""),
       ix.get(("unsigned", "1")))
c.eq("tampered: UNAVAILABLE", ix.get(("tampered", "1"), {}).get("state"), "UNAVAILABLE")
c.true("tampered: the reason says so", "changed after it was signed" in
       ix.get(("tampered", "1"), {}).get("reason", ""), ix.get(("tampered", "1")))
c.eq("signed + encrypted: READY", ix.get(("enc", "1"), {}).get("state"), "READY")
st, doc = s.post_json("/v2/models/enc/infer", infer)
c.eq("signed + encrypted: infers", (st, doc.get("outputs", [{}])[0].get("data")), (200, [2, 3, 4]))
# A version already serving keeps serving when a newer one fails the check.
place(repo, "grow", 2, signed=False)
st, doc = s.post_json("/v2/repository/models/grow/load", {})
ix = index(s)
c.eq("grow v2 (unsigned): UNAVAILABLE", ix.get(("grow", "2"), {}).get("state"), "UNAVAILABLE")
st, doc = s.post_json("/v2/models/grow/infer", infer)
c.eq("grow: v1 keeps serving", (st, doc.get("model_version")), (200, "1"))
c.eq("exit 0", s.stop(), 0)
failed = c.failed
if failed:
    print("---- server stderr ----\n" + s.stderr()[-4000:])
s.close()

# Encrypted, no key / the wrong key: UNAVAILABLE with the reason. Trusted keys without
# --require-signed-models: unsigned models load, signed ones are still checked.
repo2 = os.path.join(work, "repo2")
place(repo2, "enc", 1, signed=False, encrypt_key=os.path.join(work, "model.key"))
place(repo2, "unsigned", 1, signed=False)
place(repo2, "tampered", 1, tamper=True)
env = os.environ.copy()
env.pop("EDGEINFER_MODEL_KEY", None)
s = E.Server(repo2, "--trusted-keys", os.path.join(work, "trusted"), env=env)
c.failed = 0
ix = index(s)
c.eq("encrypted without a key: UNAVAILABLE", ix.get(("enc", "1"), {}).get("state"), "UNAVAILABLE")
c.true("encrypted without a key: the reason", "encrypted" in
       ix.get(("enc", "1"), {}).get("reason", ""), ix.get(("enc", "1")))
c.eq("not required: unsigned loads", ix.get(("unsigned", "1"), {}).get("state"), "READY")
c.eq("not required: a signed model is still checked",
     ix.get(("tampered", "1"), {}).get("state"), "UNAVAILABLE")
c.eq("exit 0", s.stop(), 0)
s.close()
with open(os.path.join(work, "wrong.key")) as f:
    env["EDGEINFER_MODEL_KEY"] = f.read().strip()
s = E.Server(repo2, env=env)
ix = index(s)
c.true("encrypted with the wrong key (env): the reason", "wrong key" in
       ix.get(("enc", "1"), {}).get("reason", ""), ix.get(("enc", "1")))
c.eq("exit 0", s.stop(), 0)
s.close()
with open(os.path.join(work, "model.key")) as f:
    env["EDGEINFER_MODEL_KEY"] = f.read().split()[1]  # the bare base64 form
s = E.Server(repo2, env=env)
st, doc = s.post_json("/v2/models/enc/infer", infer)
c.eq("encrypted with the key from the environment: infers", st, 200)
c.eq("exit 0", s.stop(), 0)
c.failed += failed
rc = c.done(s)
s.close()
shutil.rmtree(work, ignore_errors=True)
sys.exit(rc)
