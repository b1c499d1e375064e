# SPDX-License-Identifier: MIT
"""Test certificates made at test time with GnuTLS's certtool (ECDSA P-256): a CA and a second,
unrelated CA; server certificates for 127.0.0.1/localhost from each; client certificates from each;
and a server and a client certificate that expired in 2002 (fixed dates, so no verdict depends on
the clock)."""
import os
import shutil
import subprocess

TEMPLATES = {
    "ca": 'cn = "edgeinfer test CA"\nca\ncert_signing_key\nexpiration_days = 3650\n',
    "server": ('cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\n'
               'tls_www_server\nsigning_key\nencryption_key\nexpiration_days = 3650\n'),
    "client": 'cn = "test client"\ntls_www_client\nsigning_key\nexpiration_days = 3650\n',
    "expired": ('cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\n'
                'tls_www_server\ntls_www_client\nsigning_key\nencryption_key\n'
                'activation_date = "2001-01-01 00:00:00 UTC"\n'
                'expiration_date = "2002-01-01 00:00:00 UTC"\n'),
}


def available():
    return shutil.which("certtool") is not None and shutil.which("curl") is not None


def _run(*args):
    subprocess.run(["certtool"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make(d):
    """Writes into directory d: ca, ca2 (.pem/.key); srv, srv2 (by ca2), cli, cli2 (by ca2),
    srv_expired, cli_expired (.pem/.key). Returns d."""
    for name, text in TEMPLATES.items():
        with open(os.path.join(d, name + ".tmpl"), "w") as f:
            f.write(text)
    p = lambda n: os.path.join(d, n)  # noqa: E731
    for k in ("ca", "ca2", "srv", "srv2", "cli", "cli2", "srv_expired", "cli_expired"):
        _run("--generate-privkey", "--key-type", "ecdsa", "--outfile", p(k + ".key"))
    for ca in ("ca", "ca2"):
        _run("--generate-self-signed", "--load-privkey", p(ca + ".key"), "--template",
             p("ca.tmpl"), "--outfile", p(ca + ".pem"))
    for name, ca, tmpl in (("srv", "ca", "server"), ("srv2", "ca2", "server"),
                           ("cli", "ca", "client"), ("cli2", "ca2", "client"),
                           ("srv_expired", "ca", "expired"), ("cli_expired", "ca", "expired")):
        _run("--generate-certificate", "--load-privkey", p(name + ".key"),
             "--load-ca-certificate", p(ca + ".pem"), "--load-ca-privkey", p(ca + ".key"),
             "--template", p(tmpl + ".tmpl"), "--outfile", p(name + ".pem"))
    return d


def curl(url, *args, timeout=60):
    """Runs curl; returns (exit code, HTTP status or None, body)."""
    r = subprocess.run(["curl", "-sS", "--max-time", str(timeout), "-o", "-", "-w",
                        "\n%{http_code}", url] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    out = r.stdout.decode(errors="replace")
    body, _, code = out.rpartition("\n")
    status = int(code) if code.isdigit() and code != "000" else None
    return r.returncode, status, body
