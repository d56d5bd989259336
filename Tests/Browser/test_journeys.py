"""The two journeys of the portal, end to end in Chromium, and every main page without errors."""
import json
import time
import uuid

import pytest
import requests
from selenium.webdriver.common.by import By

from pages import click, click_text, console_errors, fill, find, go, screenshot, select, sign_in, sign_out, wait, wait_text

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Weather", "version": "1.0"},
    "tags": [{"name": "forecasts", "description": "Forecasts by city"}],
    "paths": {
        "/forecasts/{city}": {
            "get": {
                "tags": ["forecasts"], "summary": "Forecast for a city", "operationId": "getForecast",
                "parameters": [{"name": "city", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The forecast", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"city": {"type": "string"}, "celsius": {"type": "number"}}}}}}},
            }
        }
    },
}


def test_consumer_journey(portico, browser):
    d, env = browser, portico.env
    # A developer finds Echo in the catalog and requests Gold for a new application.
    sign_in(d, portico.base, env["DEMO_DEVELOPER_EMAIL"], env["DEMO_USER_PASSWORD"])
    go(d, portico.base, "/apps")
    fill(d, "name", "Mobile", scope="#new-app-form")
    click(d, "#new-app-form button[type=submit]")
    wait_text(d, "h1", "Mobile")
    go(d, portico.base, "/catalog")
    fill(d, "q", "ech")
    click(d, "a.api-card[data-api='echo']")
    wait_text(d, "h1", "Echo")
    screenshot(d, "journey-consumer-api-detail")
    select(d, "#subscribe-form [name=applicationId]", "Mobile (Consumers)")
    select(d, "#subscribe-form [name=planId]", "Gold — needs approval")
    fill(d, "note", "For the mobile checkout", scope="#subscribe-form")
    click(d, "#subscribe-form button[type=submit]")
    wait_text(d, ".alert.success", "Requested")

    # A maintainer approves it in the inbox.
    sign_out(d)
    sign_in(d, portico.base, env["DEMO_MAINTAINER_EMAIL"], env["DEMO_USER_PASSWORD"])
    go(d, portico.base, "/approvals")
    row = find(d, "tr[data-request='Mobile Gold']")
    screenshot(d, "journey-consumer-approvals")
    row.find_element(By.XPATH, ".//button[normalize-space()='Approve']").click()
    wait(d).until(lambda driver: not driver.find_elements(By.CSS_SELECTOR, "tr[data-request='Mobile Gold']"))

    # The developer sees it active, creates a key and calls the gateway.
    sign_out(d)
    sign_in(d, portico.base, env["DEMO_DEVELOPER_EMAIL"], env["DEMO_USER_PASSWORD"])
    go(d, portico.base, "/apps")
    click(d, "tr[data-app='Mobile'] a")
    wait_text(d, "tr[data-subscription='Echo Gold']", "active")
    click(d, "button[data-slot='primary']")
    secret = find(d, "#new-secret").text
    assert secret.startswith("pk_")
    screenshot(d, "journey-consumer-key")
    deadline = time.time() + 5
    while True:
        response = requests.get(f"{portico.gateway}/echo/v1/journey", headers={"X-API-Key": secret})
        if response.status_code == 200 or time.time() > deadline:
            break
        time.sleep(0.1)
    assert response.status_code == 200, response.text
    assert response.json()["path"] == "/journey"

    # The call shows up in analytics and in the call log.
    app_id = d.current_url.rsplit("/", 1)[-1]
    go(d, portico.base, f"/analytics?applicationId={app_id}&range=1h")
    deadline = time.time() + 15
    while not d.find_elements(By.CSS_SELECTOR, "[data-stat='Requests'] .value") and time.time() < deadline:
        time.sleep(1)
        d.refresh()
        wait(d).until(lambda driver: driver.execute_script("return !document.querySelector('#main .loading-page') && !document.querySelector('#main .skeleton')"))
    assert int(find(d, "[data-stat='Requests'] .value").text.replace(",", "")) >= 1
    screenshot(d, "journey-consumer-analytics")
    go(d, portico.base, f"/logs?scope=app:{app_id}&range=1h")
    row = find(d, f"tr[data-request-id='{response.headers['X-Request-Id']}']")
    assert "/echo/v1/journey" in row.text
    row.click()
    wait_text(d, "#call-detail", response.headers["X-Request-Id"])
    screenshot(d, "journey-consumer-call-log")


def test_publisher_journey(portico, browser):
    d, env = browser, portico.env
    sign_in(d, portico.base, env["DEMO_MAINTAINER_EMAIL"], env["DEMO_USER_PASSWORD"])
    go(d, portico.base, "/publish")
    fill(d, "name", "Weather", scope="#new-api-form")
    fill(d, "description", "Forecasts for every city", scope="#new-api-form")
    fill(d, "tags", "weather, forecasts", scope="#new-api-form")
    click(d, "#new-api-form button[type=submit]")
    wait_text(d, "h1", "Weather")

    # A draft version routed to the demo echo upstream, with an OpenAPI document.
    click(d, "#new-version")
    fill(d, "version", "v1", scope="#version-form")
    fill(d, "basePath", "/weather/v1", scope="#version-form")
    fill(d, "targetUrl", f"{portico.base}/_echo", scope="#version-form")
    fill(d, "methods", "get, post", scope="#version-form")
    fill(d, "corsOrigins", "https://weather.example", scope="#version-form")
    d.execute_script("document.querySelector('#version-form [name=methods]').scrollIntoView({block: 'center'})")
    screenshot(d, "journey-publisher-version-form")
    click(d, "#version-form button[type=submit]")
    find(d, "#openapi-form")
    bad = d.find_element(By.ID, "openapi-text")
    bad.send_keys('{"openapi": "2.0", "paths": {}}')
    click(d, "#openapi-form button[type=submit]")
    wait_text(d, "#openapi-form .alert.error", "openapi")
    screenshot(d, "journey-publisher-openapi-errors")
    d.execute_script("document.getElementById('openapi-text').value = arguments[0]", json.dumps(OPENAPI))
    click(d, "#openapi-form button[type=submit]")
    wait_text(d, "#openapi-form .alert.success", "1 operation")

    # Publish, with a plan.
    click(d, "tr[data-version='v1'] button[data-action='publish']")
    click_text(d, "Publish", tag="dialog//button")
    wait_text(d, "tr[data-version='v1']", "published")
    fill(d, "name", "Basic", scope="#plan-form")
    fill(d, "rateLimitPerSecond", "20", scope="#plan-form")
    click(d, "#plan-form button[type=submit]")
    find(d, "tr[data-plan='Basic']")
    screenshot(d, "journey-publisher-manage")

    # It is in the catalog with rendered documentation.
    go(d, portico.base, "/catalog")
    fill(d, "q", "weather")
    click(d, "a.api-card[data-api='weather']")
    wait_text(d, "h1", "Weather")
    wait_text(d, ".docs", "Forecast for a city")
    screenshot(d, "journey-publisher-docs")
    api_id = d.current_url.rsplit("/", 1)[-1]

    # A developer subscribes (through the REST API) before the version is deprecated.
    developer = portico.login_api(env["DEMO_DEVELOPER_EMAIL"], env["DEMO_USER_PASSWORD"])
    team = [t for t in developer.get(f"{portico.base}/api/v1/me").json()["teams"] if t["slug"] == "consumers"][0]
    app = developer.post(f"{portico.base}/api/v1/applications", json={"teamId": team["id"], "name": f"Weather app {uuid.uuid4().hex[:6]}"}).json()
    detail = developer.get(f"{portico.base}/api/v1/catalog/{api_id}").json()
    version_id, plan_id = detail["versions"][0]["id"], detail["plans"][0]["id"]
    assert developer.post(f"{portico.base}/api/v1/subscriptions", json={"applicationId": app["id"], "apiVersionId": version_id, "planId": plan_id}).status_code == 201
    key = developer.post(f"{portico.base}/api/v1/applications/{app['id']}/keys", json={}).json()["secret"]

    # Deprecate with a sunset date.
    go(d, portico.base, f"/publish/{api_id}")
    click(d, "tr[data-version='v1'] button[data-action='deprecate']")
    find(d, "#sunset-date")
    d.execute_script("document.getElementById('sunset-date').value = '2031-03-01'")
    click_text(d, "Deprecate", tag="dialog//button")
    wait_text(d, "tr[data-version='v1']", "deprecated")
    wait_text(d, "tr[data-version='v1']", "2031")
    go(d, portico.base, f"/catalog/{api_id}")
    wait_text(d, "tr[data-version='v1']", "deprecated")
    wait_text(d, "tr[data-version='v1']", "2031")
    screenshot(d, "journey-publisher-deprecated")

    # New subscriptions are refused, and the gateway sends Sunset.
    other = developer.post(f"{portico.base}/api/v1/applications", json={"teamId": team["id"], "name": f"Late app {uuid.uuid4().hex[:6]}"}).json()
    refused = developer.post(f"{portico.base}/api/v1/subscriptions", json={"applicationId": other["id"], "apiVersionId": version_id, "planId": plan_id})
    assert refused.status_code == 409
    assert "deprecated" in refused.json()["detail"]
    sign_out(d)
    sign_in(d, portico.base, env["DEMO_DEVELOPER_EMAIL"], env["DEMO_USER_PASSWORD"])
    go(d, portico.base, f"/catalog/{api_id}")
    wait_text(d, ".alert.warning", "No version of this API accepts new subscriptions")
    deadline = time.time() + 5
    while True:
        response = requests.get(f"{portico.gateway}/weather/v1/forecasts/paris", headers={"X-API-Key": key})
        if "Sunset" in response.headers or time.time() > deadline:
            break
        time.sleep(0.1)
    assert response.status_code == 200
    assert response.headers["Sunset"].endswith("2031 00:00:00 GMT")
    assert response.headers["Deprecation"].startswith("@")
    # The methods typed in the version form ("get, post") are what the gateway serves.
    refused = requests.delete(f"{portico.gateway}/weather/v1/forecasts/paris", headers={"X-API-Key": key})
    assert refused.status_code == 405
    assert refused.headers["Allow"] == "GET, HEAD, POST"
    # So is the browser origin: its preflight is answered by the gateway, without a key.
    preflight = requests.options(f"{portico.gateway}/weather/v1/forecasts/paris",
                                 headers={"Origin": "https://weather.example", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://weather.example"
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD, POST"


PAGES = ["/catalog", "/apps", "/approvals", "/publish", "/analytics", "/logs", "/audit", "/teams", "/tenant", "/account"]


@pytest.mark.parametrize("width,height,label", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_every_main_page_loads_without_console_errors(portico, browser, width, height, label):
    d, env = browser, portico.env
    d.set_window_size(width, height)
    go(d, portico.base, "/catalog")
    find(d, "a.api-card")
    assert console_errors(d) == []
    screenshot(d, f"{label}-catalog-signed-out")
    sign_in(d, portico.base, env["DEMO_ADMIN_EMAIL"], env["DEMO_ADMIN_PASSWORD"])
    console_errors(d)  # sign-in itself is not a page load
    pages = PAGES + ["/catalog/" + requests.get(f"{portico.base}/api/v1/catalog").json()["items"][0]["id"]]
    app_id = env["DEMO_APP_ID"]
    pages.append(f"/apps/{app_id}")
    for route in pages:
        go(d, portico.base, route)
        time.sleep(0.4)
        assert d.find_elements(By.CSS_SELECTOR, "#main h1"), route
        assert not d.find_elements(By.CSS_SELECTOR, "#main .alert.error"), f"{route}: {d.find_element(By.CSS_SELECTOR, '#main').text[:300]}"
        errors = console_errors(d)
        assert errors == [], f"{route}: {errors}"
        screenshot(d, f"{label}{route.replace('/', '-')}")
