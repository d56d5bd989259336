"""Helpers that drive the portal like a person: sign in, click, fill, wait for text."""
import time
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def wait(driver, seconds=10):
    return WebDriverWait(driver, seconds, ignored_exceptions=(StaleElementReferenceException,))


def find(driver, css, seconds=10):
    return wait(driver, seconds).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def click(driver, css, seconds=10):
    # Lists re-render as data arrives (a search narrows the catalog while we look): an element
    # replaced between finding and clicking is found again.
    for attempt in range(5):
        element = wait(driver, seconds).until(EC.element_to_be_clickable((By.CSS_SELECTOR, css)))
        try:
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
            element.click()
            return element
        except StaleElementReferenceException:
            if attempt == 4:
                raise
            time.sleep(0.2)


def click_text(driver, text, tag="button", seconds=10):
    xpath = f"//{tag}[normalize-space()={quote(text)}]"
    element = wait(driver, seconds).until(EC.element_to_be_clickable((By.XPATH, xpath)))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()
    return element


def quote(text):
    return "'" + text + "'" if "'" not in text else 'concat("' + text + '")'


def wait_text(driver, css, text, seconds=10):
    wait(driver, seconds).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))


def fill(driver, name, value, scope=None):
    root = find(driver, scope) if scope else driver
    element = wait(driver).until(lambda _: next(iter(e for e in root.find_elements(By.NAME, name) if e.is_displayed()), None))
    element.clear()
    element.send_keys(value)
    return element


def select(driver, css, visible_text):
    Select(find(driver, css)).select_by_visible_text(visible_text)


def go(driver, base, route):
    driver.get(f"{base}/#{route}")
    wait(driver).until(lambda d: d.execute_script("return !document.querySelector('#main .loading-page')"))


def sign_in(driver, base, email, password):
    driver.get(f"{base}/#/login")
    fill(driver, "email", email)
    fill(driver, "password", password)
    click(driver, "form button[type=submit]")
    wait(driver).until(lambda d: "/login" not in d.current_url)
    find(driver, "#session-area button")


def sign_out(driver):
    click(driver, "#session-area button")
    find(driver, "#session-area a[href='#/login']")


def screenshot(driver, name):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    time.sleep(0.3)
    driver.save_screenshot(str(OUTPUT / f"{name}.png"))


def console_errors(driver):
    try:
        return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    except WebDriverException:
        return []
