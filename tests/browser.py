"""Headless Debian Chromium, driven by Playwright (no browser download: the system's /usr/bin/chromium)."""

from __future__ import annotations

import shutil
import tempfile

import pytest

from .conftest import IN_CI

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        message = "Debian's chromium is not installed (make test installs it)"
        (pytest.fail if IN_CI else pytest.skip)(message)
    return path


class Browser:
    """One Chromium with a fresh user-data-dir; each page records console errors and requests."""

    def __init__(self):
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            (pytest.fail if IN_CI else pytest.skip)("playwright is not installed (pip install -e '.[dev]')")
        self.profile = tempfile.mkdtemp(prefix="drugpolicy-kg-chromium-")
        self._pw = sync_playwright().start()
        self.context = self._pw.chromium.launch_persistent_context(
            self.profile, executable_path=chromium_path(), headless=True, args=FLAGS, viewport={"width": 1280, "height": 900})

    def open(self, url: str):
        page = self.context.new_page()
        page.errors, page.requests = [], []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("request", lambda r: page.requests.append(r.url))
        page.goto(url)
        page.wait_for_load_state("load")
        return page

    def close(self):
        self.context.close()
        self._pw.stop()
        shutil.rmtree(self.profile, ignore_errors=True)
