"""Screenshots of `report --html` pages for reviewers: each PAGE.html becomes PAGE.png (the whole page) beside it,
rendered by the system's headless Chromium (`apt-get install chromium`) through Playwright.

    python scripts/screenshot_report.py report.html [more.html ...] [--width 1280]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": args.width, "height": 900})
        for path in args.pages:
            page.goto(path.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(300)  # Plotly lays its charts out once the page has its width
            target = path.with_suffix(".png")
            page.screenshot(path=str(target), full_page=True)
            print(target)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
