"""test_browser.py — a real browser (Debian's chromium, driven through chromedriver by Debian's
python3-selenium) on what rcc shows a person, for test_browser.sh:

1. the report of `rcc report`, opened from disk (file://): every thumbnail and picture loads, the
   hostile file and class names show as text, no element came from a name, nothing ran;
2. the page of `rcc serve` (a server with a token): the page asks for the token, then shows the
   model and its clusters; an image with a hostile name is uploaded through the page's file input
   and the cluster shown is the one the server gives for that file; its card shows thumbnails;
   the drift chart of the run's drift records is drawn; window.alert is hooked and never called.

Screenshots go to SHOTS (kept, not part of the repository). Exits 0 when every check passes.
Usage: /usr/bin/python3 test_browser.py REPORT_DIR URL TOKEN UPLOAD_PNG EXPECTED_CLUSTER SHOTS NAME...
(NAME: texts the report must show as text)."""
import os
import socket
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

report, url, token, upload, expected, shots = sys.argv[1:7]
names = sys.argv[7:]
passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what, flush=True)


class LoopbackService(Service):
    """chromedriver reached at 127.0.0.1: selenium asks for "localhost", which a machine without
    /etc/hosts (a debootstrapped root, as CI's) does not resolve; it then waits 30 s and fails."""

    @property
    def service_url(self):
        return "http://127.0.0.1:%d" % self.port

    def is_connectable(self):
        return connectable(self.port)


def connectable(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


CHROMIUM = None  # the browser process, started here (ended in the finally at the bottom)


def browser():
    """Starts chromium headless with its DevTools at 127.0.0.1:PORT and attaches chromedriver to it
    there: a chromium that chromedriver starts itself is reached at "localhost", which CI's root
    cannot resolve ('unable to connect to renderer')."""
    global CHROMIUM
    port = free_port()
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
            "--user-data-dir=" + tempfile.mkdtemp(prefix="rcc-browser-profile-"), "--window-size=1400,1000",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=%d" % port, "about:blank"]
    log = open(os.path.join(shots, "chromium.log"), "w")
    CHROMIUM = subprocess.Popen(["/usr/bin/chromium"] + args, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    deadline = time.time() + 60
    while not connectable(port):
        if CHROMIUM.poll() is not None or time.time() > deadline:
            sys.exit("test_browser: chromium did not open its DevTools port (see %s)" % log.name)
        time.sleep(0.2)
    o = webdriver.ChromeOptions()
    o.add_experimental_option("debuggerAddress", "127.0.0.1:%d" % port)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # the driver Debian installs: selenium must never look for (or download) one of its own
    return webdriver.Chrome(service=LoopbackService("/usr/bin/chromedriver"), options=o)


def no_alert(d):
    try:
        d.switch_to.alert
        return False
    except NoAlertPresentException:
        return True


def screenshot(d, name):
    h = d.execute_script("return Math.min(document.documentElement.scrollHeight, 6000)")
    d.set_window_size(1400, max(h, 800))
    d.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.3)
    path = os.path.join(shots, name)
    d.save_screenshot(path)
    print("screenshot: " + path, flush=True)
    d.set_window_size(1400, 1000)


def images_loaded(d, selector):
    return d.execute_script(
        "const a = Array.from(document.querySelectorAll(arguments[0]));"
        "return [a.length, a.filter(i => i.complete && i.naturalWidth > 0).length];", selector)


try:
    d = browser()
except BaseException:
    if CHROMIUM:
        CHROMIUM.kill()
    raise
try:
    # ------------------------------------------------------------ the report from disk
    d.get("file://" + os.path.abspath(os.path.join(report, "index.html")))
    # lazy images load as they come into view: scroll through the page
    total = d.execute_script("return document.documentElement.scrollHeight")
    for y in range(0, total + 1000, 600):
        d.execute_script("window.scrollTo(0, arguments[0])", y)
        time.sleep(0.05)
    time.sleep(0.5)
    n, loaded = images_loaded(d, "img")
    ok(n > 20 and loaded == n, f"report: every image loads from disk ({loaded} of {n})")
    shown = "\n".join([e.get_attribute("textContent") for e in d.find_elements(By.CSS_SELECTOR, "figcaption, b, td")] +
                      [e.get_attribute("title") for e in d.find_elements(By.CSS_SELECTOR, "img[title]")])
    for t in names:
        ok(t in shown, f"report: {t!r} shown as text")
    ok(d.execute_script("return document.querySelectorAll('[onerror], script, img[src=\"x\"]').length") == 0,
       "report: no element or handler came from a name")
    ok(no_alert(d), "report: no alert")
    screenshot(d, "report.png")

    # ------------------------------------------------------------ the served page
    d.get(url)
    wait = WebDriverWait(d, 20)
    wait.until(lambda x: x.find_element(By.ID, "login").is_displayed())
    ok(not d.find_element(By.ID, "live").is_displayed(), "served page: nothing shown before the token")
    d.execute_script("window.alert = function () { window.rccAlerted = true; };")
    d.find_element(By.ID, "token").send_keys("wrong")
    d.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait.until(lambda x: "refused" in x.find_element(By.ID, "login-error").text)
    ok(True, "served page: a wrong token is refused")
    d.find_element(By.ID, "token").clear()
    d.find_element(By.ID, "token").send_keys(token)
    d.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait.until(lambda x: x.find_element(By.ID, "live").is_displayed())
    wait.until(lambda x: len(x.find_elements(By.CSS_SELECTOR, "#clusters .card")) > 0)
    ok("step" in d.find_element(By.ID, "model").text, "served page: the model's step shown")
    d.find_element(By.ID, "file").send_keys(os.path.abspath(upload))
    try:
        answer = wait.until(lambda x: x.find_element(By.CSS_SELECTOR, ".result .answer"))
        got = answer.get_attribute("data-cluster")
        ok(got == expected, f"served page: the cluster shown ({got}) is the server's ({expected})")
        ok(answer.text.startswith("cluster " + expected), "served page: the answer reads 'cluster N'")
    except TimeoutException:
        ok(False, "served page: no answer shown after the upload")
    name = d.find_element(By.CSS_SELECTOR, ".result .name").get_attribute("textContent")
    ok(name == os.path.basename(upload), f"served page: the file's name shown as text ({name!r})")
    wait.until(lambda x: "hit" in x.find_element(By.ID, "cluster-" + expected).get_attribute("class"))
    try:
        wait.until(lambda x: images_loaded(x, f"#cluster-{expected} .thumbs img")[1] > 0)
        ok(True, "served page: the cluster's card shows the example thumbnails")
    except TimeoutException:
        ok(False, "served page: no thumbnail in the cluster's card")
    try:
        wait.until(lambda x: len(x.find_elements(By.CSS_SELECTOR, "#drift polyline")) == 3)
        ok(True, "served page: the drift chart is drawn")
    except TimeoutException:
        ok(False, "served page: no drift chart")
    ok(d.execute_script("return window.rccAlerted === undefined && "
                        "document.querySelectorAll('[onerror], img[src=\"x\"]').length === 0"),
       "served page: nothing ran from the file's name")
    ok(no_alert(d), "served page: no alert")
    ok(d.execute_script("return sessionStorage.getItem('rcc-serve-token')") == token,
       "served page: the token kept in sessionStorage")
    # the 401s before the token and for the wrong one are the page working; anything else is not
    logs = [e for e in d.get_log("browser") if e.get("level") == "SEVERE" and
            not any(k in e.get("message", "") for k in ("favicon", "status of 401"))]
    ok(not logs, "served page: no errors in the console (CSP violations included): " + repr(logs[:3]))
    screenshot(d, "served.png")
finally:
    d.quit()
    CHROMIUM.terminate()
    try:
        CHROMIUM.wait(timeout=20)
    except subprocess.TimeoutExpired:
        CHROMIUM.kill()

print(f"test_browser: {passed} passed, {failed} failed", flush=True)
sys.exit(1 if failed else 0)
