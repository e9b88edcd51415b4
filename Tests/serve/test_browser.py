# SPDX-License-Identifier: Apache-2.0
"""The live page in a real browser (headless Chromium driven by Selenium):
records appear as they are appended, and a server restart costs none of
them (the page resumes from the last offset it showed). The final state is
saved as a screenshot (SERVE_SCREENSHOT), the README's picture."""
import json
import os
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from serve_support import Server, temporary_root, wait_until


def browser():
    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1200,720"]:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def append(server, first, count):
    lines = []
    for i in range(first, first + count):
        lines.append(json.dumps({"key": f"sensor-{i % 4}", "value": json.dumps({"seq": i, "temp": 20 + i % 7}),
                                 "headers": {"source": "demo"}}))
    status, reply = server.post("/v1/logs/plant/readings/records", ("\n".join(lines) + "\n").encode())
    assert reply["first_offset"] == first, reply


def test_page_follows_and_survives_a_restart():
    with temporary_root() as root:
        server = Server(root, "--allow-append")
        append(server, 0, 5)
        driver = browser()
        try:
            driver.get(server.http + "/?log=plant/readings&from=oldest")
            text = lambda element_id: driver.find_element(By.ID, element_id).text
            wait_until(lambda: text("last-offset") == "4", what="the first records on the page")
            append(server, 5, 10)
            wait_until(lambda: text("last-offset") == "14", what="records appended while watching")
            server.restart()
            wait_until(lambda: text("reconnects") != "0", what="the page noticing the restart")
            append(server, 15, 10)
            wait_until(lambda: text("last-offset") == "24" and text("state") == "live",
                       what="records after the restart")
            assert text("count") == "25" and text("missing") == "0" and text("duplicates") == "0"
            rows = driver.find_elements(By.CSS_SELECTOR, "#records tr")
            assert [int(r.get_attribute("data-offset")) for r in rows] == list(range(24, -1, -1))
            driver.save_screenshot(os.environ.get("SERVE_SCREENSHOT") or
                                   os.path.join(tempfile.gettempdir(), "eventlog-serve.png"))
        finally:
            driver.quit()
            server.stop()
