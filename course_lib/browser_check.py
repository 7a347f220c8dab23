"""Load pages in headless Chromium and report what a reader would see go wrong.

    python -m course_lib.browser_check DIR/site/*.html --screenshot index.png

For each page: console errors and uncaught exceptions, resources that failed to load, images that did not
load (``naturalWidth == 0``), and how many formulas MathJax typeset and widgets rendered. It speaks the Chrome
DevTools protocol over a WebSocket (``websocket-client``) to the Debian ``chromium`` package; no browser is
downloaded.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import List, Optional

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_REPORT_JS = """JSON.stringify({
  images: document.images.length,
  broken: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 80)),
  formulas: document.querySelectorAll('.MathJax, mjx-container, .MathJax_CHTML').length,
  raw_tex: (document.body.innerText.match(/\\$\\$/g) || []).length,
  widgets: document.querySelectorAll('.widget-slider, .jupyter-widgets, .widget-inline-hbox').length,
  title: document.title})"""


def find_chromium() -> Optional[str]:
    """Path of a Chromium/Chrome executable, or None."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium with one tab, driven over the DevTools protocol."""

    def __init__(self, executable: Optional[str] = None, timeout: float = 60):
        import websocket  # websocket-client

        executable = executable or find_chromium()
        if executable is None:
            raise FileNotFoundError("no Chromium found: install it (Debian: apt install chromium)")
        self.profile = tempfile.mkdtemp(prefix="course_chromium_")
        self.proc = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-port=0", "--allow-file-access-from-files", "--hide-scrollbars",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        port = self._port(timeout)
        tabs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout))
        url = next(t["webSocketDebuggerUrl"] for t in tabs if t["type"] == "page")
        self.ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True)
        self.timeout, self.next_id, self.events = timeout, 0, []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def _port(self, timeout):
        end = time.time() + timeout
        while time.time() < end:
            line = self.proc.stderr.readline()
            if "DevTools listening on ws://" in line:
                return int(line.split("ws://")[1].split("/")[0].split(":")[1])
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError("Chromium did not start its DevTools endpoint")

    def call(self, method: str, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def pump(self, seconds: float) -> None:
        """Collect events for ``seconds`` (scripts such as MathJax keep working after the load event)."""
        end = time.time() + seconds
        self.ws.settimeout(0.2)
        while time.time() < end:
            try:
                self.events.append(json.loads(self.ws.recv()))
            except Exception:  # the socket's timeout: nothing arrived in 0.2 s
                pass
        self.ws.settimeout(self.timeout)

    def load(self, url: str, settle: float = 3.0) -> dict:
        self.events = []
        self.call("Page.navigate", url=url)
        end = time.time() + self.timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            if time.time() > end:
                raise TimeoutError(f"{url} did not finish loading in {self.timeout} s")
            self.pump(0.2)
        self.pump(settle)
        report = json.loads(self.call("Runtime.evaluate", expression=_REPORT_JS, returnByValue=True)["result"]["value"])
        report["errors"] = _errors(self.events)
        return report

    def screenshot(self, path: Path, width: int = 1200, height: int = 900) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            # Chromium's helper processes (renderer, crashpad) outlive the main one and keep writing to the
            # profile: end the whole process group, then give the last writes a moment before removing it.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            for _ in range(20):
                shutil.rmtree(self.profile, ignore_errors=True)
                if not os.path.exists(self.profile):
                    break
                time.sleep(0.1)


def _errors(events) -> List[str]:
    out = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            out.append("exception: " + d.get("exception", {}).get("description", d.get("text", ""))[:200])
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console.error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])[:200])
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            out.append(f"log: {p['entry']['text'][:160]} {p['entry'].get('url', '')[:80]}")
        elif method == "Network.loadingFailed" and not p.get("canceled"):
            out.append(f"failed to load: {p.get('errorText')}")
    return out


def check_pages(pages, screenshot: Optional[Path] = None, executable: Optional[str] = None) -> dict:
    """``{page name: report}`` for each HTML file in ``pages``; ``screenshot`` captures the first page."""
    browser = Browser(executable)
    try:
        reports = {}
        for k, page in enumerate(pages):
            reports[Path(page).name] = browser.load(Path(page).resolve().as_uri())
            if k == 0 and screenshot:
                browser.screenshot(screenshot)
        return reports
    finally:
        browser.close()


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument("--screenshot", type=Path, default=None, help="PNG of the first page")
    args = parser.parse_args(argv)
    try:
        reports = check_pages(args.pages, args.screenshot)
    except (FileNotFoundError, RuntimeError, TimeoutError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    bad = 0
    for name, r in reports.items():
        ok = not r["errors"] and not r["broken"]
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {r['images']} images ({len(r['broken'])} broken), "
              f"{r['formulas']} formulas, {r['widgets']} widget parts, {len(r['errors'])} errors")  # fmt: skip
        for line in r["errors"][:5]:
            print("     ", line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
