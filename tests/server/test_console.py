# SPDX-License-Identifier: MIT
"""The web console (`GET /`), first over plain HTTP (the assets, their types, 404/405, --no-ui),
then in Debian's headless Chromium driven through chromedriver (python3-selenium), one browser
launch: the model list matches the repository index, an image uploaded on the classifier's page
comes back with the right label, the JSON editor runs the add model, unload/load in explicit model
control, the live charts fill in, light and dark themes, a phone-sized window without sideways
scrolling. Screenshots go to $EI_BUILD_DIR/console/. Every wait is on a DOM condition (bounded
generously, never deciding a verdict by speed). Exit 77 when Chromium, its driver or Selenium is
missing."""
import os
import re
import shutil
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WAIT = 90  # seconds; only a stuck page ever gets near it


def http_checks(c, repo):
    s = eiserver.Server(repo)
    try:
        st, h, body = s.request("GET", "/")
        c.eq("GET / status", st, 200)
        c.true("GET /: security headers", "script-src 'self'" in h.get("Content-Security-Policy", "")
               and h.get("X-Content-Type-Options") == "nosniff" and
               h.get("Cache-Control") == "no-cache", str(h))
        c.true("GET / is the console page", h.get("Content-Type", "").startswith("text/html")
               and b"<title>edgeinfer console</title>" in body, str(h))
        for path, ctype in (("/ui/app.js", "text/javascript"), ("/ui/style.css", "text/css"),
                            ("/ui/icon.svg", "image/svg+xml")):
            st, h, body = s.request("GET", path)
            c.true("GET %s: 200 %s" % (path, ctype), st == 200 and
                   h.get("Content-Type", "").startswith(ctype) and len(body) > 100,
                   "%d %r" % (st, h.get("Content-Type")))
        web = os.path.join(eiserver.EI_SOURCE_DIR, "web")
        for name in sorted(os.listdir(web)):
            with open(os.path.join(web, name), "rb") as f:
                want = f.read()
            st, _, body = s.request("GET", "/ui/" + name)
            c.true("GET /ui/%s: the bytes of web/%s" % (name, name), st == 200 and body == want,
                   "%d, %d bytes vs %d" % (st, len(body), len(want)))
        st, h, body = s.request("HEAD", "/ui/app.js")
        c.true("HEAD /ui/app.js: 200, no body", st == 200 and body == b"", str(st))
        st, _, body = s.request("GET", "/ui/nope.js")
        c.true("GET /ui/nope.js: 404 naming it", st == 404 and b"nope.js" in body, body[:200])
        st, h, _ = s.request("POST", "/", b"x")
        c.true("POST /: 405 with Allow", st == 405 and "GET" in h.get("Allow", ""), str(st))
        st, info = s.get_json("/ui/info.json")
        c.true("ui/info.json: model control mode", st == 200 and
               info.get("model_control_mode") == "none", str(info))
        st, _, body = s.request("GET", "/ui/metrics")
        c.true("ui/metrics: the Prometheus text", st == 200 and
               b"ei_request_duration_seconds_bucket" in body, body[:200])
    finally:
        s.stop()
        s.close()
    s = eiserver.Server(repo, "--no-ui")
    try:
        for path in ("/", "/ui/app.js", "/ui/info.json", "/ui/metrics"):
            st, _, _ = s.request("GET", path)
            c.eq("--no-ui: GET %s" % path, st, 404)
        st, _, _ = s.request("GET", "/v2/health/ready")
        c.eq("--no-ui: the API still answers", st, 200)
    finally:
        s.stop()
        s.close()


def browser_checks(c, repo, shots):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        print("SKIP browser part: python3-selenium is missing")
        return False
    if not (os.access(CHROMIUM, os.X_OK) and os.access(DRIVER, os.X_OK)):
        print("SKIP browser part: chromium / chromedriver missing")
        return False
    s = eiserver.Server(repo, "--model-control-mode", "explicit", "--load-model", "*")
    base = "http://127.0.0.1:%d/" % s.port
    profile = tempfile.mkdtemp(prefix="ei-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,900",
              "--force-device-scale-factor=1"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = None
    try:
        drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
        wait = WebDriverWait(drv, WAIT)

        def until(what, fn):
            try:
                return wait.until(lambda d: fn())
            except Exception as e:  # noqa: BLE001 (a timeout or a stale element)
                c.true(what, False, "(gave up after %d s: %s)" % (WAIT, type(e).__name__))
                drv.save_screenshot(os.path.join(shots, "failed.png"))
                return None

        def js(code, *args):
            return drv.execute_script(code, *args)

        def shot(name):
            drv.save_screenshot(os.path.join(shots, name))

        def theme(want):
            for _ in range(3):
                if (js("return document.documentElement.getAttribute('data-theme') || ''") == want):
                    return
                drv.find_element(By.ID, "theme-btn").click()

        def dark_bg():
            rgb = js("return getComputedStyle(document.body).backgroundColor")
            v = [int(x) for x in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
            return sum(v) / 3 < 80

        # 1. The repository: every model of the index, READY.
        drv.get(base)
        st, index = s.post_json("/v2/repository/index", {})
        names = sorted(r["name"] for r in index)
        rows = until("model list shown", lambda: (
            sorted(js("return [...document.querySelectorAll('#model-rows tr[data-model]')]"
                      ".map(r => r.dataset.model)")) == names) or None)
        c.true("model list = repository index %s" % names, rows is not None)
        states = js("return [...document.querySelectorAll('#model-rows .state')].map(e => e.textContent)")
        c.true("every model READY", states and all(x == "READY" for x in states), str(states))
        theme("light")
        c.true("light theme: light background", not dark_bg())
        shot("models-light.png")

        # 2. Try it: upload a bundled image on the classifier's page, read the label shown.
        if "cls" in names:
            img = os.path.join(eiserver.EI_SOURCE_DIR, "examples", "images", "line_upside_down.png")
            drv.get(base + "#/models/cls")
            inp = until("classifier page with a file input", lambda: (
                drv.find_elements(By.ID, "try-file") or [None])[0])
            if inp is not None:
                inp.send_keys(img)
                label = until("classification shown", lambda: js(
                    "const e = document.querySelector('#top-label strong'); return e && e.textContent"))
                c.eq("top label of line_upside_down.png", label, "180")
                bars = js("return document.querySelectorAll('#try-result .bars li').length")
                c.eq("one bar per class", bars, 2)
                until("statistics counted the request", lambda: js(
                    "const t = document.querySelector('#stats-table td.num');"
                    "return t && t.textContent !== '0'"))
                js("document.getElementById('try-h').scrollIntoView()")
                shot("model-cls-light.png")
                theme("dark")
                c.true("dark theme: dark background", dark_bg())
                shot("model-cls-dark.png")

        # 3. The JSON editor on the tensor model.
        drv.get(base + "#/models/add")
        send = until("JSON editor", lambda: (drv.find_elements(By.ID, "json-send") or [None])[0])
        if send is not None:
            send.click()
            resp = until("JSON reply shown", lambda: js(
                "const t = document.getElementById('json-resp').textContent;"
                "return t.includes('outputs') || t.startsWith('HTTP') ? t : null"))
            c.true("JSON reply of add", resp is not None and '"model_name": "add"' in resp, str(resp)[:300])

        # 4. Unload and load again (explicit model control).
        drv.get(base)
        until("unload button", lambda: drv.find_elements(By.CSS_SELECTOR, "button[aria-label='Unload add']"))
        drv.find_element(By.CSS_SELECTOR, "button[aria-label='Unload add']").click()
        c.true("unloaded", until("add unloaded", lambda: js(
            "const r = document.querySelector('#model-rows tr[data-model=add] .state');"
            "return r && r.textContent !== 'READY' && document.getElementById('repo-msg').textContent === 'add unloaded.'"))
            is not None)
        st, _ = s.get_json("/v2/models/add/ready")
        c.eq("server agrees: add not ready", st, 400)
        until("load button", lambda: drv.find_elements(By.CSS_SELECTOR, "button[aria-label='Load add']"))
        drv.find_element(By.CSS_SELECTOR, "button[aria-label='Load add']").click()
        c.true("loaded again", until("add loaded", lambda: js(
            "const r = document.querySelector('#model-rows tr[data-model=add] .state');"
            "return r && r.textContent === 'READY'")) is not None)
        shot("models-dark.png")

        # 5. Live charts: while requests flow, the charts show a request rate, p50 and compute
        # time for the model (numbers in the legend, not the "–" of an empty series).
        stop = threading.Event()

        def load():
            body = {"inputs": [
                {"name": "a", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]},
                {"name": "b", "shape": [3], "datatype": "FP32", "data": [1, 1, 1]}]}
            while not stop.is_set():
                s.post_json("/v2/models/add/infer", body)
        loader = threading.Thread(target=load, daemon=True)
        loader.start()
        try:
            drv.get(base + "#/live")
            legends = until("live charts filled in", lambda: (lambda t: t if t and all(
                re.search(p, t) for p in (r"add [0-9.,]*[1-9][0-9.,]* req/s", r"add p50 [0-9.]+ ms",
                                          r"add [0-9.]+ ms"))
                else None)(js("return [...document.querySelectorAll('.chart .legend')]"
                              ".map(l => l.textContent).join(' | ')")))
            c.true("live legends: request rate, p50 and compute time of add", legends is not None,
                   str(legends))
            shot("live-dark.png")
        finally:
            stop.set()
            loader.join()

        # 6. Phone-sized: no sideways scrolling, both themes.
        drv.set_window_size(390, 844)
        drv.get(base + "#/models/cls" if "cls" in names else base)
        until("phone page rendered", lambda: js("return document.querySelector('#model-h') !== null"))
        overflow = js("return document.documentElement.scrollWidth - window.innerWidth")
        c.true("phone width: no horizontal overflow", overflow <= 1, "overflow %r px" % overflow)
        shot("model-phone-dark.png")
        if "cls" in names:
            drv.find_element(By.ID, "try-file").send_keys(img)
            label = until("classification shown on the phone", lambda: js(
                "const e = document.querySelector('#top-label strong'); return e && e.textContent"))
            c.eq("phone: top label", label, "180")
            js("document.getElementById('try-h').scrollIntoView()")
            shot("model-phone-dark-try.png")
        theme("light")
        drv.get(base)
        until("phone model list", lambda: js("return document.querySelectorAll('#model-rows tr[data-model]').length > 0"))
        overflow = js("return document.documentElement.scrollWidth - window.innerWidth")
        c.true("phone width models: no horizontal overflow", overflow <= 1, "overflow %r px" % overflow)
        shot("models-phone-light.png")

        # 7. Keyboard: every control is reachable and named.
        unnamed = js("return [...document.querySelectorAll('button, a[href], input, textarea')]"
                     ".filter(e => e.tabIndex < 0 || !(e.getAttribute('aria-label') || e.textContent.trim()"
                     " || e.id && document.querySelector('label[for=\"' + e.id + '\"]'))).map(e => e.outerHTML)")
        c.true("every control focusable and named", not unnamed, str(unnamed)[:300])
        drv.find_element(By.TAG_NAME, "body").send_keys("\t")
        first = js("return document.activeElement && document.activeElement.textContent")
        c.eq("the first Tab lands on the skip link", first, "Skip to content")
        # 8. API keys: the page loads without one, the data does not; a key typed into the
        # dialog is sent and the models appear.
        keyed(c, drv, until, js, shot, repo)

        # 9. OCR on the bundled repository: the pipeline model's page opens on its OCR tab; the
        # sample line's text comes back and its box is drawn over the image.
        ocr_check(c, drv, until, js, shot)

        # Failed fetches are expected (the OCR probe's 404, a model not ready): script errors not.
        errors = [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"
                  and "Failed to load resource" not in e.get("message", "")]
        c.true("no console errors in the page", not errors, str(errors)[:500])
    finally:
        if drv is not None:
            drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
        rc = s.stop()
        c.eq("server exit status", rc, 0)
        s.close()
    return True


def ocr_check(c, drv, until, js, shot):
    import subprocess
    from selenium.webdriver.common.by import By
    if not os.path.isfile(os.path.join(eiserver.EI_MODELS, "ppocr", "det.onnx")):
        print("SKIP OCR part: the bundled PP-OCR models are not set up")
        return
    root = tempfile.mkdtemp(prefix="ei-ocr-repo-")
    repo = os.path.join(root, "repo")
    subprocess.run([os.path.join(eiserver.EI_SOURCE_DIR, "scripts", "make_default_repo.sh"), repo],
                   check=True, stdout=subprocess.DEVNULL)
    s = eiserver.Server(repo)
    try:
        drv.set_window_size(1280, 900)
        drv.get("http://127.0.0.1:%d/#/models/ocr" % s.port)
        tab = until("the OCR tab, selected", lambda: js(
            "const b = document.querySelector('button[data-mode=ocr]');"
            "return b && b.getAttribute('aria-selected') === 'true' && document.getElementById('try-file')"))
        if tab is None:
            return
        drv.find_element(By.ID, "try-file").send_keys(
            os.path.join(eiserver.EI_SOURCE_DIR, "examples", "images", "line.jpg"))
        text = until("OCR lines listed", lambda: js(
            "const e = document.querySelector('#try-result .ocrtext'); return e && e.textContent"))
        c.eq("OCR: the line's text shown", text, "Total due: 42.50 EUR")
        drawn = until("OCR box drawn over the image", lambda: js(
            "const c = document.querySelector('.preview canvas'); if (!c || !c.width) return null;"
            "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            "let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n || null"))
        c.true("OCR: the polygon is drawn", bool(drawn), str(drawn))
        js("document.getElementById('try-h').scrollIntoView()")
        shot("model-ocr-light.png")
        c.eq("OCR pipeline: its tabs are OCR and JSON (no classification)",
             js("return [...document.querySelectorAll('button[role=tab]')].map(b => b.dataset.mode)"),
             ["ocr", "json"])
        # Which tabs a model gets follows what it is: the classifier classifies, the detection
        # model (an image input, [N,1,H,W] maps out) is neither a classifier nor a pipeline.
        for model, want in (("ppocr_cls", ["classify", "json"]), ("ppocr_det", [])):
            drv.get("http://127.0.0.1:%d/#/models/%s" % (s.port, model))
            until(model + "'s page", lambda: js(
                "const h = document.getElementById('model-h');"
                "return h && h.textContent === arguments[0] && document.getElementById('try-h')",
                model))
            c.eq("tabs offered on %s" % model,
                 js("return [...document.querySelectorAll('button[role=tab]')].map(b => b.dataset.mode)"),
                 want)
        c.true("ppocr_det: the JSON editor is what it offers",
               js("return !!document.getElementById('json-req') && !document.getElementById('try-file')"))
    finally:
        s.stop()
        s.close()
        shutil.rmtree(root, ignore_errors=True)


def keyed(c, drv, until, js, shot, repo):
    import hashlib
    from selenium.webdriver.common.by import By
    token = "tok-console-3b9e"
    keys = os.path.join(tempfile.mkdtemp(prefix="ei-keys-"), "keys")
    with open(keys, "w") as f:
        f.write("console sha256:%s *\n" % hashlib.sha256(token.encode()).hexdigest())
    s = eiserver.Server(repo, "--api-keys", keys)
    try:
        st, _, _ = s.request("GET", "/")
        c.eq("api keys: the page itself is open", st, 200)
        st, _, _ = s.request("GET", "/ui/app.js")
        c.eq("api keys: its files are open", st, 200)
        for path, scope in (("/ui/info.json", "metadata"), ("/ui/metrics", "metrics")):
            st, _, _ = s.request("GET", path)
            c.eq("api keys: %s needs a key" % path, st, 401)
            st, _, _ = s.request("GET", path, headers={"Authorization": "Bearer " + token})
            c.eq("api keys: %s with the key" % path, st, 200)
        drv.set_window_size(1280, 900)
        drv.get("http://127.0.0.1:%d/#/" % s.port)
        js("sessionStorage.clear()")
        drv.refresh()
        box = until("the key dialog opens on 401", lambda: js(
            "return !document.getElementById('key-box').hidden && "
            "!document.getElementById('banner').hidden && "
            "document.getElementById('banner').textContent"))
        c.true("api keys: the page asks for a key", box is not None and "API key" in str(box), str(box))
        shot("models-key-needed.png")
        inp = drv.find_element(By.ID, "key-input")
        inp.send_keys(token)
        drv.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
        listed = until("models listed with the key", lambda: js(
            "return document.querySelectorAll('#model-rows tr[data-model]').length"))
        c.true("api keys: models listed once the key is typed", bool(listed), str(listed))
        c.true("api keys: the banner is gone", js("return document.getElementById('banner').hidden"))
        log = s.stdout()
        c.true("api keys: the console's requests carry the key (key=console in the access log)",
               "key=console" in log, log[-400:])
    finally:
        s.stop()
        s.close()
        shutil.rmtree(os.path.dirname(keys), ignore_errors=True)


def main():
    eiserver.check_env()
    c = eiserver.Checker()
    work = tempfile.mkdtemp(prefix="ei-console-")
    repo = eiserver.make_repo(os.path.join(work, "repo"), cls_delay_us=0)
    shots = os.path.join(os.environ.get("EI_BUILD_DIR", work), "console")
    os.makedirs(shots, exist_ok=True)
    http_checks(c, repo)
    ran = browser_checks(c, repo, shots)
    shutil.rmtree(work, ignore_errors=True)
    rc = c.done()
    if rc == 0 and not ran:
        return 77
    print("screenshots in", shots)
    return rc


if __name__ == "__main__":
    sys.exit(main())
