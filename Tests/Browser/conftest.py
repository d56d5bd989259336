"""Browser tests: a real portal, gateway and PostgreSQL, driven through Debian's Chromium.

`make test` starts PostgreSQL (PORTICO_TEST_DATABASE_URL) and builds the binaries; each test
session gets its own database, portal and gateway on free ports.
"""
import os
import socket
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "screenshots"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


class Portico:
    def __init__(self, base, gateway, env, tmp):
        self.base = base
        self.gateway = gateway
        self.env = env
        self.tmp = tmp

    def login_api(self, email, password):
        session = requests.Session()
        response = session.post(f"{self.base}/api/v1/auth/login", json={"email": email, "password": password})
        response.raise_for_status()
        session.headers["Authorization"] = f"Bearer {response.json()['token']}"
        return session


@pytest.fixture(scope="session")
def portico():
    server = urllib.parse.urlparse(os.environ["PORTICO_TEST_DATABASE_URL"])
    database = f"browser_{os.getpid()}"
    psql = ["psql", "-q", "-h", server.hostname, "-p", str(server.port), "-U", server.username or "postgres", "postgres", "-c"]
    subprocess.run(psql + [f"DROP DATABASE IF EXISTS {database}"], check=True, capture_output=True)
    subprocess.run(psql + [f"CREATE DATABASE {database}"], check=True, capture_output=True)
    tmp = Path(tempfile.mkdtemp(prefix="portico-browser-"))
    portal_port, gateway_port, admin_port = free_port(), free_port(), free_port()
    bin_dir = Path(subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip())
    env = dict(os.environ,
               PORTICO_DATABASE_URL=f"postgres://{server.username or 'postgres'}@{server.hostname}:{server.port}/{database}",
               PORTICO_PORTAL_PORT=str(portal_port), PORTICO_SEED_DEMO="true", PORTICO_DEMO_ENV_FILE=str(tmp / "demo.env"),
               PORTICO_GATEWAY_URL=f"http://127.0.0.1:{gateway_port}", PORTICO_BCRYPT_COST="4", PORTICO_LOG_LEVEL="warning",
               PORTICO_GATEWAY_PORT=str(gateway_port), PORTICO_GATEWAY_ADMIN_PORT=str(admin_port), PORTICO_GATEWAY_TLS_PORT="-1",
               PORTICO_GATEWAY_SNAPSHOT_PATH=str(tmp / "snapshot.json"), PORTICO_GATEWAY_SPOOL_DIR=str(tmp / "spool"),
               PORTICO_PUBLIC_DIR=str(ROOT / "public"), PORTICO_MIGRATIONS_DIR=str(ROOT / "sql"))
    logs = open(tmp / "processes.log", "w")
    portal = subprocess.Popen([str(bin_dir / "Portal")], cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT)
    gateway = None
    try:
        wait_for(f"http://127.0.0.1:{portal_port}/healthz")
        gateway = subprocess.Popen([str(bin_dir / "GatewayRuntime")], cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT)
        wait_for(f"http://127.0.0.1:{admin_port}/readyz")
        demo = dict(line.strip().split("=", 1) for line in open(tmp / "demo.env") if "=" in line)
        yield Portico(f"http://127.0.0.1:{portal_port}", f"http://127.0.0.1:{gateway_port}", demo, tmp)
    finally:
        for process in (gateway, portal):
            if process:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
        subprocess.run(psql + [f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], capture_output=True)


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(0)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, keep a screenshot and the page text for whoever reads the CI log."""
    outcome = yield
    report = outcome.get_result()
    driver = item.funcargs.get("browser")
    if report.when == "call" and report.failed and driver is not None:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        try:
            driver.save_screenshot(str(OUTPUT / f"FAILED-{item.name}.png"))
            report.sections.append(("page", f"{driver.current_url}\n{driver.find_element('css selector', 'main').text[:3000]}"))
        except Exception:  # noqa: BLE001 - best effort diagnostics
            pass
