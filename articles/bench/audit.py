"""Accessibility, best-practice and SEO audit of the public pages (`make audit`, docs/audit.md).

The sample files imported published into a throwaway SQLite database, served as production
serves them (production settings, gunicorn, deploy/nginx.conf with TLS replaced by a loopback
listener: nginx tells Django the request came over HTTPS, as it does behind TLS), then Lighthouse
(mobile and desktop presets) and axe-core (injected with Playwright into Debian's Chromium at
390 and 1280 px) on each page. Lighthouse and axe-core come from the npm registry (package.json,
`npm ci`); no request leaves the machine but the publishers' pictures in story bodies.
"""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from articles.bench import serve

ROOT = serve.ROOT
SAMPLES = [ROOT / "tests" / "fixtures" / "seeds", ROOT / "tests" / "fixtures" / "finews"]
LIGHTHOUSE = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling Google's hosts, which this
# closed network refuses.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
CATEGORIES = "accessibility,best-practices,seo"
PRESETS = ("mobile", "desktop")
VIEWPORTS = {"390px": {"width": 390, "height": 844}, "1280px": {"width": 1280, "height": 800}}
SEARCH = "海尔"

# Failing on purpose: a search result page asks not to be indexed (views.SearchView).
EXPECTED = {("search", "is-crawlable"): "search results are noindex on purpose"}

# Lighthouse counts a picture that cannot be fetched as a console error. Publishers' pictures
# in story bodies live on their hosts, which this machine cannot reach (no DNS, no route);
# online they load. Only those failures are set aside, and each is still reported: a failure
# of one of the site's own files, or any other console error, fails the audit.
OFFLINE_ERRORS = ("ERR_NAME_NOT_RESOLVED", "ERR_INTERNET_DISCONNECTED", "ERR_ADDRESS_UNREACHABLE",
                  "ERR_NETWORK_UNREACHABLE", "ERR_CONNECTION_REFUSED", "ERR_CONNECTION_TIMED_OUT",
                  "ERR_TIMED_OUT")
SCORED_MODES = {"binary", "numeric", "metricSavings"}


@dataclass(frozen=True)
class Finding:
    page: str
    run: str  # "lighthouse mobile", "axe 390px", ...
    audit: str  # Lighthouse audit id or axe rule id
    title: str
    count: int  # items or elements flagged

    @property
    def expected(self) -> str:
        return EXPECTED.get((self.page, self.audit), "")


@dataclass
class Result:
    pages: dict[str, str]
    runs: list[str]
    findings: list[Finding] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)  # offline publisher pictures

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if not f.expected]


def check_tools() -> None:
    missing = []
    if not shutil.which("node"):
        missing.append("Node.js (apt-get install -y nodejs npm)")
    if not (LIGHTHOUSE.exists() and AXE.exists()):
        missing.append("Lighthouse and axe-core (npm ci)")
    if not Path(CHROMIUM).exists():
        missing.append("Chromium (apt-get install -y chromium)")
    if not shutil.which("nginx"):
        missing.append("nginx (apt-get install -y nginx)")
    if missing:
        raise RuntimeError("missing: " + "; ".join(missing))


def build_database(env: dict[str, str], log: Callable) -> None:
    """Migrate a new SQLite database and import the samples into it, every story published."""
    def manage(*args):
        subprocess.run([serve.PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)

    log("audit: a new database with the sample files")
    manage("migrate", "--noinput", "-v0")
    manage("import_articles", "--status", "published", "--trust-inferred", "--quiet",
           *map(str, SAMPLES))


def _main(base: str, path: str) -> str:
    status, body = serve.get(base + path)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    html = body.decode()
    return html[html.find("<main"):html.find("</main>")]


def _links(html: str, pattern: str) -> list[str]:
    return list(dict.fromkeys(re.findall(rf'href="({pattern})"', html)))


def pick_pages(base: str) -> dict[str, str]:
    """A page of each kind, each the one with the most on it to check."""
    stories = _links(_main(base, "/"), r"/articles/\d+/[^\"/]+/")
    if not stories:
        raise RuntimeError("the home page lists no story")
    # The story naming the most companies and showing the most pictures (publishers' included).
    bodies = {path: _main(base, path) for path in stories[:30]}
    story = max(bodies, key=lambda p: len(_links(bodies[p], "/stocks/[^\"]+/"))
                + bodies[p].count("<img"))
    html = bodies[story]
    months = _links(_main(base, "/archive/"), r"/archive/\d{4}/\d{2}/")
    pages = {
        "home": "/",
        "story": story,
        "source": _links(html, r"/sources/[^\"/]+/")[0],
        "category": _links(html, r"/categories/[^\"/]+/")[0],
        "tag": _links(html, r"/tags/[^\"/]+/")[0],
        "stocks": "/stocks/",
        "stock": _links(html, r"/stocks/[^\"/]+/")[0],
        "archive": "/archive/",
        "month": max(months, key=lambda p: len(_main(base, p))),
        "live": "/live/",
        "hot": "/hot/",
        "search": f"/search/?q={quote(SEARCH)}",
    }
    return pages


def lighthouse(url: str, *, preset: str, out: Path) -> dict:
    """Run Lighthouse on `url`; return its report (JSON and HTML reports are left in `out`)."""
    args = ["node", str(LIGHTHOUSE), url, f"--only-categories={CATEGORIES}",
            "--output=json", "--output=html", f"--output-path={out}", "--quiet",
            f"--chrome-flags={' '.join(CHROMIUM_ARGS)}"]
    if preset == "desktop":
        args.append("--preset=desktop")
    try:
        done = subprocess.run(args, env=os.environ | {"CHROME_PATH": CHROMIUM},
                              capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"lighthouse {preset} {url} took over 5 minutes") from exc
    report = out.with_name(out.name + ".report.json")
    if done.returncode or not report.exists():
        raise RuntimeError(f"lighthouse {preset} {url} failed:\n{done.stderr[-3000:]}")
    return json.loads(report.read_text())


def _offline_picture(item: dict, host: str) -> bool:
    url = (item.get("sourceLocation") or {}).get("url") or item.get("url") or ""
    return (urlsplit(url).hostname not in (None, host)
            and any(code in item.get("description", "") for code in OFFLINE_ERRORS))


def lighthouse_findings(report: dict, *, page: str, run: str) -> tuple[list[Finding], list[str]]:
    """The report's failing audits, and the offline publisher pictures set aside."""
    host = urlsplit(report["finalDisplayedUrl"]).hostname
    findings, set_aside = [], []
    for category in report["categories"].values():
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            mode = audit["scoreDisplayMode"]
            if mode == "error":
                findings.append(Finding(page, run, audit["id"],
                                        f"did not run: {audit.get('errorMessage')}", 0))
                continue
            if mode not in SCORED_MODES or audit["score"] is None or audit["score"] >= 1:
                continue
            items = (audit.get("details") or {}).get("items") or []
            if audit["id"] == "errors-in-console":
                offline = [i for i in items if _offline_picture(i, host)]
                set_aside += [i["sourceLocation"]["url"] for i in offline]
                items = [i for i in items if i not in offline]
                if not items:
                    continue
            findings.append(Finding(page, run, audit["id"], audit["title"], len(items)))
    return findings, set_aside


def axe_findings(base: str, pages: dict[str, str]) -> list[Finding]:
    """axe-core's violations (its default rules: WCAG 2 A/AA and best practices) on every page
    at each width, and any uncaught script error."""
    from playwright.sync_api import sync_playwright

    source = AXE.read_text()
    findings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width, viewport in VIEWPORTS.items():
                context = browser.new_context(viewport=viewport, locale="zh-CN",
                                              timezone_id="Asia/Shanghai")
                tab = context.new_page()
                errors: list[str] = []
                tab.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                for name, path in pages.items():
                    errors.clear()
                    tab.goto(base + path, wait_until="load")
                    findings += run_axe(tab, source, page=name, run=f"axe {width}")
                    findings += [Finding(name, f"axe {width}", "pageerror", error, 1)
                                 for error in errors]
                context.close()
        finally:
            browser.close()
    return findings


def run_axe(tab, source: str, *, page: str, run: str) -> list[Finding]:
    """axe-core's violations on the page open in Playwright's `tab`."""
    # Evaluated through the DevTools protocol, which the page's CSP (script-src 'self') allows.
    tab.evaluate(source)
    result = tab.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [Finding(page, run, v["id"], v["help"], len(v["nodes"])) for v in result["violations"]]


def run(*, work: Path, log: Callable = print) -> Result:
    """Build, serve and audit the site; return every page's failing audits."""
    check_tools()
    work.mkdir(parents=True, exist_ok=True)
    database = work / "site.sqlite3"
    for stale in work.glob("site.sqlite3*"):
        stale.unlink()
    shutil.rmtree(work / "lighthouse", ignore_errors=True)
    (work / "lighthouse").mkdir()
    env = serve.production_env(database_url=f"sqlite:///{database}",
                               static_root=work / "static")
    build_database(env, log)
    log("audit: collectstatic")
    serve.collectstatic(env)
    runs = [f"lighthouse {preset}" for preset in PRESETS] + [f"axe {w}" for w in VIEWPORTS]
    with serve.gunicorn(env) as server, \
            serve.nginx(server.base, work / "static", work / "nginx") as base:
        result = Result(pick_pages(base), runs)
        for name, path in result.pages.items():
            log(f"audit: {name:<9} {path}")

        def one(job):
            (name, path), preset = job
            report = lighthouse(base + path, preset=preset,
                                out=work / "lighthouse" / f"{name}-{preset}")
            return lighthouse_findings(report, page=name, run=f"lighthouse {preset}")

        jobs = [(page, preset) for page in result.pages.items() for preset in PRESETS]
        log(f"audit: Lighthouse, {len(jobs)} runs")
        # Two at a time: no performance is measured, so runs side by side cannot skew a score.
        with ThreadPoolExecutor(max_workers=2) as pool:
            for findings, set_aside in pool.map(one, jobs):
                result.findings += findings
                result.set_aside += set_aside
        log("audit: axe-core")
        result.findings += axe_findings(base, result.pages)
    return result


def table(result: Result) -> str:
    """One line per page and run: its failing audits (with how many items), or ok."""
    lines = [f"{'page':<9} {'path':<44} {'run':<19} failing audits", "-" * 100]
    for name, path in result.pages.items():
        for run_name in result.runs:
            found = [f for f in result.findings if f.page == name and f.run == run_name]
            cell = ", ".join(
                f"{f.audit} ({f.count})" + (f" [expected: {f.expected}]" if f.expected else "")
                for f in found) or "ok"
            lines.append(f"{name:<9} {path[:44]:<44} {run_name:<19} {cell}")
    failing = result.failing
    lines.append("-" * 100)
    if failing:
        lines.append(f"{len(failing)} failing audits:")
        lines += [f"  {f.page} / {f.run}: {f.audit}: {f.title}" for f in failing]
    else:
        lines.append("no failing audit" + (" but the expected ones" if result.findings else ""))
    if result.set_aside:
        hosts = sorted({urlsplit(url).hostname for url in result.set_aside})
        lines.append(f"set aside: {len(result.set_aside)} console errors of publishers' pictures "
                     f"unreachable from this machine ({', '.join(hosts)})")
    return "\n".join(lines)
