"""The report rendered by a real browser: no horizontal overflow at 800 px and every image loads.

Headless Chromium (the system package ``chromium``) opens the page with a small script appended that
measures it after load: the document's scroll width against the window width, every table's right edge,
and each image's decoded size. Skipped, with the reason, where Chromium is not installed.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from skillsight.reports.build import build_report

from ._runs import DEMO_LIKE, write_run

_BROWSERS = ("chromium", "chromium-browser", "google-chrome")
_PROBE = """<script>
window.addEventListener('load', function () {
  var doc = document.documentElement;
  var images = Array.from(document.images).map(function (im) {
    return {alt: im.alt, ok: im.complete && im.naturalWidth > 0, right: im.getBoundingClientRect().right};
  });
  var tables = Array.from(document.querySelectorAll('table')).map(function (t) {
    return t.getBoundingClientRect().right;
  });
  var out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth,
                                    images: images, tables: tables});
  document.body.appendChild(out);
});
</script>"""


def _browser() -> str:
    for name in _BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("Chromium is not installed (apt-get install chromium): the report is not rendered")


def _measure(page: Path, width_px: int, tmp_path: Path) -> dict:
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text().replace("</body>", _PROBE + "</body>"))
    cmd = [
        _browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--hide-scrollbars",
        f"--window-size={width_px},1200",
        "--virtual-time-budget=10000",
        "--dump-dom",
        probed.as_uri(),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, flags=re.S)
    assert match, f"the page did not finish loading in Chromium:\n{result.stderr[-2000:]}"
    return json.loads(html.unescape(match.group(1)))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report_runs")
    runs = [write_run(root, name, sensors, mw, acc) for name, sensors, mw, acc in DEMO_LIKE]
    return build_report(runs, root / "report.html", names=[n for n, *_ in DEMO_LIKE], title="demo-like")


@pytest.mark.parametrize("width_px", [800, 1280])
def test_report_fits_the_window_and_every_image_loads(report: Path, width_px: int, tmp_path: Path) -> None:
    probe = _measure(report, width_px, tmp_path)
    assert probe["scrollWidth"] <= probe["clientWidth"], f"horizontal overflow at {width_px} px: {probe}"
    assert all(right <= probe["clientWidth"] + 0.5 for right in probe["tables"]), probe["tables"]
    images = probe["images"]
    # bars, accuracy vs power, curves, 7 confusion matrices
    assert len(images) == 10, [im["alt"] for im in images]
    broken = [im["alt"] for im in images if not im["ok"]]
    assert not broken, f"images that did not load: {broken}"
    assert all(im["right"] <= probe["clientWidth"] + 0.5 for im in images)


def test_report_names_its_split_and_shows_provenance(report: Path) -> None:
    text = report.read_text()
    assert "All numbers are on the <b>test</b> split (48 labelled takes per run" in text
    assert "chance (uniform guess)" in text and "0123456789" in text  # commit in the runs table
    assert "Training curves" in text
