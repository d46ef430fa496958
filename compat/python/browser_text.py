"""Opens a TensorBoard page in headless Chromium, waits until the page shows
every expected string, then prints the page's text (including the text inside
shadow roots, where TensorBoard's Polymer dashboards render) as JSON and
saves a screenshot.

    browser_text.py CHROMIUM URL SCREENSHOT.png TIMEOUT_S EXPECTED...

Exit status 0 when every expected string appeared, 1 when the timeout passed
first (the JSON then says which are missing), 2 on a usage or browser error.
Chromium is driven over the DevTools protocol with websocket-client.
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

# Collects the text of a document, descending into shadow roots and
# same-origin iframes.
COLLECT_TEXT = r"""
(() => {
  const out = [];
  const walk = (node) => {
    if (!node) return;
    if (node.nodeType === Node.TEXT_NODE) {
      const t = node.textContent.trim();
      if (t) out.push(t);
      return;
    }
    if (node.nodeName === 'STYLE' || node.nodeName === 'SCRIPT') return;
    if (node.shadowRoot) walk(node.shadowRoot);
    if (node.nodeName === 'IFRAME') {
      try { walk(node.contentDocument && node.contentDocument.body); } catch (e) {}
    }
    for (const c of node.childNodes) walk(c);
  };
  walk(document.body);
  return out.join('\n');
})()
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Page:
    """A DevTools connection to one page."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def text(self):
        r = self.call("Runtime.evaluate", expression=COLLECT_TEXT, returnByValue=True)
        return r.get("result", {}).get("value", "")


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    chromium, url, shot, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    expected = sys.argv[5:]
    profile = tempfile.mkdtemp(prefix="tbgo-chromium-")
    port = free_port()
    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--user-data-dir=" + profile, "--window-size=1400,1000",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=%d" % port,
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        targets = None
        deadline = time.time() + 30
        while time.time() < deadline and targets is None:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/json" % port, timeout=2) as r:
                    targets = [t for t in json.load(r) if t.get("type") == "page"]
            except OSError:
                if proc.poll() is not None:
                    print("chromium exited: %s" % proc.stderr.read().decode(errors="replace"), file=sys.stderr)
                    return 2
                time.sleep(0.2)
        if not targets:
            print("chromium did not open a page within 30 s", file=sys.stderr)
            return 2
        page = Page(targets[0]["webSocketDebuggerUrl"])
        page.call("Page.enable")
        page.call("Page.navigate", url=url)
        deadline = time.time() + timeout
        text, missing = "", expected
        while True:
            text = page.text()
            missing = [e for e in expected if e not in text]
            if not missing or time.time() > deadline:
                break
            time.sleep(0.5)
        png = page.call("Page.captureScreenshot", format="png")["data"]
        with open(shot, "wb") as f:
            f.write(base64.b64decode(png))
        print(json.dumps({"text": text, "missing": missing}))
        return 1 if missing else 0
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
