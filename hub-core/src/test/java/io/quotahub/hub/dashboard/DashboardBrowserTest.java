package io.quotahub.hub.dashboard;

import com.sun.net.httpserver.HttpServer;
import io.quotahub.agent.Lease;
import io.quotahub.agent.QuotaClient;
import io.quotahub.hub.TestHub;
import io.quotahub.testkit.NatsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.Color;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Level;

import static io.quotahub.hub.TestHub.key;
import static io.quotahub.hub.TestHub.requests;
import static io.quotahub.hub.TestHub.secretFile;
import static io.quotahub.hub.TestHub.tokens;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard in a real headless Chromium (Debian packages {@code chromium} and
 * {@code chromium-driver}, driven by Selenium with the local driver: nothing is downloaded) against
 * a real hub and nats-server, with load driven through the agent SDK. Saves a screenshot of each
 * tab under {@code target/dashboard-screenshots/}; also runs the page at a phone's viewport and prints its
 * render time (measured, never asserted). Skipped when the browser is not installed
 * ({@code .ci/run} installs it).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {

    /**
     * How long the test waits for the page to show a change. The page polls every 2 s (well inside
     * the 5 s promised for live updates); the wait is generous because a loaded CI machine must not fail a correct page.
     */
    private static final Duration LIVE_UPDATE = Duration.ofSeconds(20);


    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
    private static final String SECRET = "sk-dashboard-secret-never-shown-4242";
    private static final Path SHOTS = Path.of("target", "dashboard-screenshots");
    private static final List<String> ZONES = List.of("OPTIMAL", "NOMINAL", "ELEVATED", "CRITICAL", "THROTTLED");
    /** The zone colours of dashboard.css, as Chromium reports them. */
    private static final Map<String, String> ZONE_RGB = Map.of("OPTIMAL", "rgb(46, 157, 74)", "NOMINAL", "rgb(47, 111, 209)",
            "ELEVATED", "rgb(217, 164, 6)", "CRITICAL", "rgb(201, 55, 44)", "THROTTLED", "rgb(201, 55, 44)");

    @TempDir
    static Path dir;
    static NatsServer nats;
    static TestHub hub;
    static QuotaClient client;
    static ChromeDriverService service;
    static ChromeDriver driver;
    static HttpServer prefixProxy;
    static final List<Lease> held = new ArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        assumeTrue(CHROMIUM.canExecute() && CHROMEDRIVER.canExecute(),
                "dashboard browser test skipped: /usr/bin/chromium or /usr/bin/chromedriver is missing "
                        + "(apt-get install chromium chromium-driver; .ci/run installs them)");
        nats = NatsServer.start();
        hub = TestHub.start(nats, "main", Map.of(
                "demo", Map.of("preset", "PREMIUM", "keys", List.of(key("k1", secretFile(dir, "k1", SECRET),
                        List.of(requests(40, "1m"), tokens(20_000, "1m"))))),
                "batch", Map.of("preset", "PREMIUM", "keys", List.of(
                        key("b1", secretFile(dir, "b1", SECRET + "-b1"), List.of(requests(10, "1m"))),
                        key("b2", secretFile(dir, "b2", SECRET + "-b2"), List.of(requests(30, "1m"), requests(500, "1d"))))),
                "cool", Map.of("preset", "PREMIUM", "keys", List.of(
                        key("c1", secretFile(dir, "c1", SECRET + "-c1"), List.of(requests(100, "1m"))))),
                "spark", Map.of("preset", "PREMIUM", "keys", List.of(
                        key("s1", secretFile(dir, "s1", SECRET + "-s1"), List.of(requests(100, "1m"))))),
                "watch", Map.of("preset", "PREMIUM", "fallback", List.of("spark"), "keys", List.of(
                        key("w1", secretFile(dir, "w1", SECRET + "-w1"), List.of(shadow(requests(2, "1m"))))))));
        client = QuotaClient.builder().servers(nats.url()).agentId("dashboard-agent").userPasswordFile(nats.credentials(NatsServer.AGENT)).build();

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        Path profile = Files.createTempDirectory(dir, "chromium-profile");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--hide-scrollbars", "--window-size=1400,1000", "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stop() throws Exception {
        held.forEach(Lease::close);
        if (driver != null) {
            driver.quit();
        }
        if (service != null) {
            service.stop();
        }
        if (prefixProxy != null) {
            prefixProxy.stop(0);
        }
        if (client != null) {
            client.close();
        }
        if (hub != null) {
            hub.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    // ---------- helpers ----------

    private static By testId(String id) {
        return By.cssSelector("[data-testid='" + id + "']");
    }

    private static WebElement find(String id) {
        return driver.findElement(testId(id));
    }

    /**
     * One element read in a single script call: the page re-renders every 2 s, so reading an
     * element through several WebDriver calls could see it replaced in between.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> node(String id, String inner) {
        Object r = ((JavascriptExecutor) driver).executeScript("""
                const e = document.querySelector(arguments[0]);
                const t = e && arguments[1] ? e.querySelector(arguments[1]) : e;
                if (!t) return null;
                return {text: (t.innerText ?? t.textContent ?? '').trim(), tag: t.tagName.toLowerCase(), bg: getComputedStyle(t).backgroundColor,
                        style: t.getAttribute('style') || '',
                        attrs: Object.fromEntries(Array.from(t.attributes, a => [a.name, a.value]))};
                """, "[data-testid='" + id + "']", inner);
        if (r == null) {
            throw new NoSuchElementException("no element " + id + (inner == null ? "" : " " + inner));
        }
        return (Map<String, Object>) r;
    }

    @SuppressWarnings("unchecked")
    private static String attr(String id, String name) {
        return ((Map<String, String>) node(id, null).get("attrs")).get(name);
    }

    private static String text(String id) {
        return (String) node(id, null).get("text");
    }

    /** Background colour as rgba(…), however Chromium spells it. */
    private static String background(String id, String inner) {
        return Color.fromString((String) node(id, inner).get("bg")).asRgba();
    }

    private static String rgba(String zone) {
        return Color.fromString(ZONE_RGB.get(zone)).asRgba();
    }

    private static <T> T within(Duration timeout, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, timeout, Duration.ofMillis(100))
                .ignoring(StaleElementReferenceException.class).ignoring(NullPointerException.class)
                .ignoring(NumberFormatException.class).until(condition);
    }

    /** Number of state renders so far: waits for the next one proves the page is live. */
    private static int updates() {
        String n = driver.findElement(By.tagName("body")).getDomAttribute("data-updates");
        return n == null ? 0 : Integer.parseInt(n);
    }

    private static void open(String url) {
        driver.get(url);
        try {
            within(Duration.ofSeconds(10), d -> updates() >= 1);
        } catch (TimeoutException e) {
            throw new AssertionError("the dashboard at " + url + " never rendered a state; banner: "
                    + driver.findElements(testId("error")).stream().map(WebElement::getText).toList()
                    + "; browser console: " + driver.manage().logs().get(LogType.BROWSER).getAll(), e);
        }
    }

    private static void switchTo(String tab) {
        find("tab-" + tab).click();
        within(Duration.ofSeconds(2), d -> find("panel-" + tab).isDisplayed());
        for (String other : List.of("overview", "thermal", "quota", "diagnostics")) {
            assertThat(find("panel-" + other).isDisplayed()).as("panel %s while on %s", other, tab).isEqualTo(other.equals(tab));
        }
        assertThat(find("tab-" + tab).getDomAttribute("class")).contains("active");
    }

    /** Full-page screenshot (Chromium's own capture beyond the viewport, through the driver's CDP endpoint). */
    @SuppressWarnings("unchecked")
    private static void screenshot(String name) throws IOException {
        Map<String, Object> size = (Map<String, Object>) driver.executeCdpCommand("Page.getLayoutMetrics", Map.of())
                .get("cssContentSize");
        Map<String, Object> clip = Map.of("x", 0, "y", 0, "scale", 1,
                "width", ((Number) size.get("width")).doubleValue(), "height", ((Number) size.get("height")).doubleValue());
        Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot",
                Map.of("format", "png", "captureBeyondViewport", true, "clip", clip));
        byte[] png = Base64.getDecoder().decode((String) shot.get("data"));
        Files.write(SHOTS.resolve(name + ".png"), png);
        assertThat(png.length).isGreaterThan(10_000);
    }

    private static double temperature(String id) {
        return Double.parseDouble(attr("temperature-" + id, "data-temperature"));
    }

    // ---------- tests ----------

    @Test
    @Order(1)
    void thePageLoadsWithFourTabsAndSwitchesBetweenThem() {
        open(hub.uri("/").toString());

        assertThat(text("hub-id")).isEqualTo("main");
        assertThat(text("ready")).isEqualTo("READY");
        assertThat(find("panel-overview").isDisplayed()).isTrue();
        // protected mode (no tokens configured): the page never asks for one
        assertThat(find("auth").isDisplayed()).isFalse();
        assertThat(driver.findElement(By.tagName("body")).getDomAttribute("data-auth")).isEqualTo("none");
        for (String tab : List.of("thermal", "quota", "diagnostics", "overview")) {
            switchTo(tab);
        }
        // the page polls: a second render follows within 5 s
        int seen = updates();
        within(LIVE_UPDATE, d -> updates() > seen);
        // The render time (target: < 100 ms) is measured in the page (data-render-ms) and reported by
        // the benchmarks, not asserted here: tests never assert on wall-clock speed.
        assertThat(Double.parseDouble(driver.findElement(By.tagName("body")).getDomAttribute("data-render-ms"))).isNotNegative();
        assertThat(driver.getPageSource()).doesNotContain(SECRET);
    }

    @Test
    @Order(2)
    void loadThroughTheSdkMovesTheQuotaBarTheTokensLeftAndTheTemperatureWithinFiveSeconds() {
        open(hub.uri("/#quota").toString());
        assertThat(find("panel-quota").isDisplayed()).isTrue();
        long usedBefore = Long.parseLong(attr("quota-bar-demo-k1-0", "data-used"));
        long tokensBefore = Long.parseLong(attr("tokens-left-demo-k1", "data-value"));
        double temperatureBefore = temperature("demo-k1");
        assertThat(usedBefore).isZero();
        assertThat(tokensBefore).isEqualTo(20_000);
        assertThat(attr("quota-bar-demo-k1-0", "data-capacity")).isEqualTo("40");
        assertThat(attr("quota-bar-demo-k1-0", "data-budget")).isEqualTo("40");

        // 32 of 40 requests/min on demo/k1 (80 %), 500 tokens each
        for (int i = 0; i < 32; i++) {
            try (Lease lease = client.acquire("demo", 500, Duration.ofSeconds(2))) {
                lease.complete(500);
            }
        }
        // the other pool: a 429 on b2 (it cools down 20 s), two leases held open, b1 filled to its limit (it throttles)
        int b1 = 0;
        boolean coolingB2 = false;
        for (int i = 0; i < 60 && b1 < 10; i++) {
            Optional<Lease> lease = client.tryAcquire("batch", 1);
            if (lease.isEmpty()) {
                break;
            }
            Lease l = lease.get();
            b1 += l.keyId().equals("b1") ? 1 : 0;
            if (!coolingB2 && l.keyId().equals("b2")) {
                coolingB2 = true;
                l.rateLimited(Duration.ofSeconds(20));
            } else if (held.size() < 2) {
                held.add(l);
            } else {
                l.complete(1);
            }
        }
        assertThat(b1).as("leases on batch/b1").isEqualTo(10);

        within(LIVE_UPDATE, d -> Long.parseLong(attr("quota-bar-demo-k1-0", "data-used")) == 32);
        assertThat(attr("tokens-left-demo-k1", "data-value")).isEqualTo(String.valueOf(20_000 - 32 * 500));
        assertThat(attr("granted-demo-k1", "data-value")).isEqualTo("32");
        assertThat(text("quota-used-demo-k1-0")).isEqualTo("32 / 40");
        // the fill is 80 % wide and coloured by zone (80 % is CRITICAL on the zone scale)
        assertThat((String) node("quota-bar-demo-k1-0", ".fill").get("style")).contains("width: 80%");
        assertThat(background("quota-bar-demo-k1-0", ".fill")).isEqualTo(rgba("CRITICAL"));

        switchTo("thermal");
        within(LIVE_UPDATE, d -> temperature("demo-k1") >= temperatureBefore + 20);
        String zone = attr("zone-demo-k1", "data-zone");
        assertThat(zone).isNotEqualTo("OPTIMAL").isIn(ZONES);
        assertThat(background("zone-demo-k1", null)).isEqualTo(rgba(zone));
    }

    @Test
    @Order(3)
    void overviewShowsHealthThermalQuotaProcessAndWhichHubServes() throws IOException {
        open(hub.uri("/").toString());

        int score = Integer.parseInt(attr("health-score", "data-score"));
        assertThat(score).isBetween(0, 100);
        assertThat(attr("hub-zone", "data-zone")).isIn(ZONES);
        assertThat(background("hub-zone", null)).isEqualTo(rgba(attr("hub-zone", "data-zone")));
        assertThat(text("hub-temperature")).endsWith("°");
        within(Duration.ofSeconds(5), d -> !text("cpu").isBlank() && attr("heap", "data-heap-used") != null);
        assertThat(Long.parseLong(attr("heap", "data-heap-used"))).isPositive();
        assertThat(text("cpu")).matches("(\\d+\\.\\d %|unknown)");
        assertThat(text("uptime")).isNotBlank();
        assertThat(attr("hub-this", "data-serving")).isEqualTo("true");
        assertThat(text("serving")).contains("main");
        assertThat(attr("hub-peer", "data-status")).isEqualTo("NONE");
        assertThat(text("hub-peer")).contains("no peer");
        assertThat(text("summary-demo")).contains("requests / 1m").contains("32 / 40 (80 %)");
        assertThat(text("summary-batch")).contains("requests / 24h");
        assertThat(Long.parseLong(text("total-granted").replace(",", ""))).isGreaterThanOrEqualTo(32);
        within(Duration.ofSeconds(5), d -> text("agents").contains("healthy"));
        screenshot("Overview");
    }

    @Test
    @Order(4)
    void thermalShowsAGaugeZoneTrendThrottleAndRecoveryPerKey() throws IOException {
        open(hub.uri("/").toString());
        switchTo("thermal");

        for (String key : List.of("demo-k1", "batch-b1", "batch-b2", "pool-demo", "hub")) {
            assertThat(node("temperature-" + key, null).get("tag")).isEqualTo("svg");
            assertThat(temperature(key)).isBetween(0.0, 100.0);
            assertThat(attr("zone-" + key, "data-zone")).isIn(ZONES);
            assertThat(attr("trend-" + key, "data-trend")).isIn("RISING", "STABLE", "FALLING");
            assertThat(text("trend-" + key)).matches("[↑→↓] (rising|stable|falling)");
            assertThat(attr("throttled-" + key, "data-throttled")).isIn("true", "false");
            assertThat(Double.parseDouble(attr("recovery-" + key, "data-progress"))).isBetween(0.0, 1.0);
            assertThat(text("throttle-events-" + key)).matches("\\d+ throttle events?");
        }
        // b1 was filled to its limit: it throttled (95 % threshold) and shows it in red
        within(Duration.ofSeconds(5), d -> "true".equals(attr("throttled-batch-b1", "data-throttled")));
        assertThat(text("throttled-batch-b1")).isEqualTo("THROTTLED");
        assertThat(Long.parseLong(attr("throttle-events-batch-b1", "data-events"))).isPositive();
        screenshot("Thermal");
    }

    @Test
    @Order(5)
    void quotaShowsBarsWithBudgetRequestsTokensThrottleEventsAndATickingResetCountdown() throws IOException {
        open(hub.uri("/").toString());
        switchTo("quota");

        assertThat((String) node("quota-bar-demo-k1-0", ".mark").get("style")).contains("left: calc(100% - 1px)");
        assertThat(attr("quota-bar-demo-k1-1", "data-used")).isEqualTo("16000");
        assertThat(text("tokens-left-demo-k1")).startsWith("4,000");
        assertThat(text("tokens-left-batch-b1")).isEqualTo("—");
        assertThat(text("refused-demo-k1")).isEqualTo("0");
        assertThat(text("rate-limited-batch-b2")).isEqualTo("1");
        assertThat(text("cooldown-batch-b2")).matches("ends in \\d+s");
        assertThat(text("quota-throttle-events-batch-b1")).isEqualTo("1 event");

        String first = text("reset-demo-k1-0");
        assertThat(first).matches("frees in \\d+s");
        within(Duration.ofMillis(2500), d -> !text("reset-demo-k1-0").equals(first));
        assertThat(text("reset-demo-k1-0")).matches("frees in \\d+s");
        screenshot("Quota");
    }

    @Test
    @Order(6)
    void diagnosticsRunsTheChosenLevelOrSaysTheEndpointIsMissing() throws IOException {
        open(hub.uri("/").toString());
        switchTo("diagnostics");
        new Select(find("diag-level")).selectByValue("CRITICAL");
        find("diag-run").click();
        within(Duration.ofSeconds(20), d -> find("diag-table").isDisplayed() || find("diag-message").isDisplayed());

        int status = hub.get("/api/v1/diagnostics?level=CRITICAL").statusCode();
        if (status == 404) {
            assertThat(attr("diag-message", "data-kind")).isEqualTo("missing");
            assertThat(text("diag-message")).contains("not available").contains("404");
            assertThat(find("diag-table").isDisplayed()).isFalse();
        } else {
            assertThat(status).isEqualTo(200);
            assertThat(find("diag-table").isDisplayed()).isTrue();
            List<WebElement> rows = find("diag-rows").findElements(By.tagName("tr"));
            assertThat(rows).hasSize(12);
            assertThat(attr("diag-run-count", "data-value")).isEqualTo("12");
            int passed = Integer.parseInt(attr("diag-passed", "data-value"));
            int warned = Integer.parseInt(attr("diag-warned", "data-value"));
            int failed = Integer.parseInt(attr("diag-failed", "data-value"));
            assertThat(passed + warned + failed).isEqualTo(12);
            for (WebElement row : rows) {
                String st = row.getDomAttribute("data-status");
                assertThat(st).isIn("PASS", "WARN", "FAIL");
                String expected = st.equals("PASS") ? ZONE_RGB.get("OPTIMAL") : st.equals("WARN") ? ZONE_RGB.get("ELEVATED")
                        : ZONE_RGB.get("CRITICAL");
                assertThat(Color.fromString(row.findElement(By.className("chip")).getCssValue("background-color")).asRgba())
                        .isEqualTo(Color.fromString(expected).asRgba());
                assertThat(row.findElements(By.tagName("td")).get(3).getText()).as("recommendation of %s", row.getText())
                        .isNotBlank();
            }
            new Select(find("diag-level")).selectByValue("BASIC");
            find("diag-run").click();
            within(Duration.ofSeconds(20), d -> find("diag-rows").findElements(By.tagName("tr")).size() == 4);
            new Select(find("diag-level")).selectByValue("CRITICAL");
            find("diag-run").click();
            within(Duration.ofSeconds(20), d -> find("diag-rows").findElements(By.tagName("tr")).size() == 12);
        }
        assertThat(driver.getPageSource()).doesNotContain(SECRET);
        screenshot("Diagnostics");
    }

    @Test
    @Order(7)
    void thePageWorksBehindAPathPrefix() throws IOException {
        // a reverse proxy that serves the hub under /quotahub/: only relative URLs keep working
        prefixProxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        HttpClient http = HttpClient.newHttpClient();
        prefixProxy.createContext("/quotahub/", exchange -> {
            try (exchange) {
                URI raw = exchange.getRequestURI();
                String path = raw.getRawPath().substring("/quotahub".length());
                URI target = hub.uri(path + (raw.getRawQuery() == null ? "" : "?" + raw.getRawQuery()));
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(target).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                r.headers().firstValue("Content-Type").ifPresent(v -> exchange.getResponseHeaders().add("Content-Type", v));
                exchange.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
                exchange.getResponseBody().write(r.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        prefixProxy.start();

        open("http://127.0.0.1:" + prefixProxy.getAddress().getPort() + "/quotahub/");

        assertThat(text("hub-id")).isEqualTo("main");
        assertThat(find("error").isDisplayed()).isFalse();
        within(Duration.ofSeconds(5), d -> attr("heap", "data-heap-used") != null);
        switchTo("quota");
        assertThat(attr("quota-bar-demo-k1-0", "data-capacity")).isEqualTo("40");
    }

    @Test
    @Order(9)
    void thermalShowsEachKeysCooldownLeft_theNextOne_andWhatItLearned() throws IOException {
        // a 429 with a Retry-After of 2 s, then one without right after that cooldown (within 2 s of
        // its end): a relapse, the key learns 4 s; the next 429 would wait the ladder's third step (10 s)
        try (Lease first = client.acquire("cool", 1, Duration.ofSeconds(5))) {
            first.rateLimited(Duration.ofSeconds(2));
        }
        try (Lease again = client.acquire("cool", 1, Duration.ofSeconds(10))) {
            again.rateLimited(Duration.ZERO);
        }
        open(hub.uri("/").toString());
        switchTo("thermal");

        within(LIVE_UPDATE, d -> "4000".equals(attr("learned-cooldown-cool-c1", "data-ms")));
        assertThat(text("learned-cooldown-cool-c1")).isEqualTo("(learned 4s)");
        assertThat(attr("next-cooldown-cool-c1", "data-ms")).isEqualTo("10000");
        assertThat(text("next-cooldown-cool-c1")).isEqualTo("10s");
        assertThat(text("cooldown-left-cool-c1")).matches("cooldown [0-9.]+m?s left|no cooldown");
        // a key that never saw a 429: the plain ladder, nothing left
        assertThat(text("cooldown-line-demo-k1")).isEqualTo("no cooldown · next 429: 1s (ladder)");
        assertThat(text("thermal")).doesNotContain(SECRET);
        screenshot("Thermal cooldowns");
    }

    @Test
    @Order(8)
    void withTokens_thePageAsksForOne_keepsItInTheTabsSessionStorageOnly_andSendsItAsBearer() throws IOException {
        String viewer = "dashboard-viewer-token-5a5a5a5a5a";
        String agent = "dashboard-agent-token-6b6b6b6b6b";
        try (NatsServer tokenNats = NatsServer.start();
             TestHub tokenHub = TestHub.start(tokenNats, "main", Map.of("demo", Map.of("keys", List.of(
                             key("k1", secretFile(dir, "tk1", SECRET), List.of(requests(40, "1m")))))),
                     Map.of("quotahub.security.tokens", List.of(
                             TestHub.tokenEntry("grafana", "VIEWER", secretFile(dir, "viewer.token", viewer)),
                             TestHub.tokenEntry("agents", "AGENT", secretFile(dir, "agent.token", agent)))))) {
            driver.get(tokenHub.uri("/").toString());
            within(Duration.ofSeconds(10), d -> find("auth").isDisplayed());
            assertThat(attr("auth", "data-reason")).isEqualTo("missing");
            assertThat(updates()).isZero();
            assertThat(find("error").isDisplayed()).as("no 'cannot reach the hub' banner for a 401").isFalse();
            screenshot("Token prompt");

            // a wrong token: refused, forgotten, asked again
            find("auth-token").sendKeys("not-a-token");
            find("auth-submit").click();
            within(Duration.ofSeconds(10), d -> "rejected".equals(attr("auth", "data-reason")));
            assertThat(text("auth-message")).contains("did not accept");
            assertThat(sessionToken()).isNull();

            // an AGENT token may not read the state: 403, the page says which role is needed
            find("auth-token").sendKeys(agent);
            find("auth-submit").click();
            within(Duration.ofSeconds(10), d -> "forbidden".equals(attr("auth", "data-reason")));
            assertThat(text("auth-message")).contains("VIEWER or OPERATOR");

            // the VIEWER token: the page renders and keeps polling with it
            find("auth-token").clear();
            find("auth-token").sendKeys(viewer);
            find("auth-submit").click();
            within(Duration.ofSeconds(10), d -> updates() >= 1);
            assertThat(find("auth").isDisplayed()).isFalse();
            assertThat(text("hub-id")).isEqualTo("main");
            int seen = updates();
            within(LIVE_UPDATE, d -> updates() > seen);
            within(Duration.ofSeconds(5), d -> attr("heap", "data-heap-used") != null);
            assertThat(sessionToken()).isEqualTo(viewer);
            JavascriptExecutor js = driver;
            assertThat(js.executeScript("return localStorage.length")).isEqualTo(0L);
            assertThat(js.executeScript("return document.cookie")).isEqualTo("");
            assertThat(driver.getPageSource()).doesNotContain(viewer).doesNotContain(SECRET);

            // diagnostics are fetched with the token too
            switchTo("diagnostics");
            new Select(find("diag-level")).selectByValue("BASIC");
            find("diag-run").click();
            within(Duration.ofSeconds(20), d -> find("diag-rows").findElements(By.tagName("tr")).size() == 4);

            // a reload in the same tab keeps the token; "forget token" drops it and asks again
            open(tokenHub.uri("/").toString());
            assertThat(find("auth").isDisplayed()).isFalse();
            find("auth-forget").click();
            within(Duration.ofSeconds(10), d -> find("auth").isDisplayed());
            assertThat(sessionToken()).isNull();
        } finally {
            driver.executeScript("sessionStorage.clear()");
        }
    }

    // ---------- history, phone layout, render time ----------

    /** Drops pool "spark" and b2's second limit from every state the page fetches (the hub keeps them). */
    private static final String HIDE_FROM_STATE = """
            const fetchFromHub = window.fetch;
            window.fetch = async (url, init) => {
              const r = await fetchFromHub(url, init);
              if (!String(url).startsWith('api/v1/state') || !r.ok) return r;
              const s = await r.json();
              s.pools = s.pools.filter(p => p.name !== 'spark');
              s.pools.filter(p => p.name === 'batch').forEach(p => p.keys.filter(k => k.id === 'b2')
                  .forEach(k => { k.limits = k.limits.slice(0, 1); }));
              return new Response(JSON.stringify(s), {status: 200, headers: {'Content-Type': 'application/json'}});
            };
            """;

    private static Object js(String script, Object... args) {
        return driver.executeScript(script, args);
    }

    private static int points(String id) {
        return Integer.parseInt(attr(id, "data-points"));
    }

    private static int bodyInt(String name) {
        return Integer.parseInt(driver.findElement(By.tagName("body")).getDomAttribute(name));
    }

    private static Map<String, Object> shadow(Map<String, Object> limit) {
        Map<String, Object> watched = new java.util.HashMap<>(limit);
        watched.put("mode", "shadow");
        return watched;
    }

    private static long count(String css) {
        return (Long) js("return document.querySelectorAll(arguments[0]).length", css);
    }

    @Test
    @Order(10)
    void sparklinesShowTheLastMinutesOfEachBarAndTemperature_growWithEachPoll_andDropWhatLeftTheState() throws IOException {
        // production polls every 2 s and keeps 10 minutes: 300 samples a series
        open(hub.uri("/#quota").toString());
        assertThat(bodyInt("data-history-max")).isEqualTo(300);

        // polled every 250 ms: 10 minutes would be 2 400 samples, the ring stops at 600
        open(hub.uri("/?poll=250#quota").toString());
        assertThat(bodyInt("data-history-max")).isEqualTo(600);
        within(LIVE_UPDATE, d -> points("spark-quota-bar-spark-s1-0") >= 2);

        // one sparkline beside every quota bar and under every temperature gauge, named for screen readers
        assertThat(count("[data-testid^='spark-quota-bar-']")).isEqualTo(count("[data-testid^='quota-bar-']")).isEqualTo(8);
        assertThat(count("[data-testid^='spark-quota-pool-bar-']")).isEqualTo(count("[data-testid^='quota-pool-bar-']"));
        assertThat(count("[data-testid^='spark-summary-bar-']")).isEqualTo(count("[data-testid^='summary-bar-']")).isPositive();
        assertThat(count("[data-testid^='spark-temperature-']")).isEqualTo(count("[data-testid^='temperature-']"))
                .isEqualTo(1 + 5 + 6);
        assertThat(js("return document.querySelector(\"[data-testid='quota-bar-spark-s1-0']\").parentElement"
                + " === document.querySelector(\"[data-testid='spark-quota-bar-spark-s1-0']\").parentElement")).isEqualTo(true);
        for (String id : List.of("spark-quota-bar-demo-k1-0", "spark-quota-bar-batch-b2-1", "spark-summary-bar-demo-0",
                "spark-temperature-demo-k1", "spark-temperature-pool-batch", "spark-temperature-hub")) {
            Map<String, Object> spark = node(id, null);
            @SuppressWarnings("unchecked")
            Map<String, String> attrs = (Map<String, String>) spark.get("attrs");
            assertThat(spark.get("tag")).as(id).isEqualTo("svg");
            assertThat(attrs.get("role")).as(id).isEqualTo("img");
            assertThat(attrs.get("aria-label")).as(id).matches("(use|temperature) of .+, last \\d+s: now .+, min .+, max .+");
            assertThat((String) node(id, "title").get("text")).as(id).isEqualTo(attrs.get("aria-label"));
        }
        assertThat(attr("spark-quota-bar-demo-k1-1", "aria-label")).startsWith("use of key k1, tokens / 1m, last ");
        assertThat(attr("spark-temperature-demo-k1", "aria-label")).startsWith("temperature of key k1, last ").contains("°");

        // it grows with each poll, one point per sample
        int before = points("spark-quota-bar-spark-s1-0");
        within(Duration.ofSeconds(10), d -> points("spark-quota-bar-spark-s1-0") >= before + 4);
        String line = (String) js("const s = document.querySelector(\"[data-testid='spark-quota-bar-spark-s1-0']\");"
                + " return s.getAttribute('data-points') + ' ' + s.querySelector('polyline').getAttribute('points').split(' ').length");
        assertThat(line.split(" ")[0]).isEqualTo(line.split(" ")[1]);

        // load moves its last point: 10 of 100 requests a minute on s1
        assertThat(Double.parseDouble(attr("spark-quota-bar-spark-s1-0", "data-last"))).isZero();
        for (int i = 0; i < 10; i++) {
            try (Lease lease = client.acquire("spark", 1, Duration.ofSeconds(2))) {
                lease.complete(1);
            }
        }
        within(LIVE_UPDATE, d -> Double.parseDouble(attr("spark-quota-bar-spark-s1-0", "data-last")) == 0.1);
        assertThat(attr("spark-quota-bar-spark-s1-0", "aria-label")).contains("now 10 %, min 0 %, max 10 %");
        assertThat(text("quota")).doesNotContain(SECRET);
        screenshot("Quota sparklines");

        // a pool and a limit leave the state: their series go, the others keep their history
        int series = bodyInt("data-history-series");
        int b2Points = points("spark-quota-bar-batch-b2-0");
        js(HIDE_FROM_STATE);
        within(LIVE_UPDATE, d -> driver.findElements(testId("quota-pool-spark")).isEmpty());
        assertThat(driver.findElements(testId("spark-quota-bar-spark-s1-0"))).isEmpty();
        assertThat(driver.findElements(testId("spark-quota-bar-batch-b2-1"))).isEmpty();
        // pool spark: its temperature, its key's temperature, the key's limit, its Overview bar; b2's 1-day
        // limit and batch's "requests / 24h" Overview bar (only b2 had that window)
        within(Duration.ofSeconds(5), d -> bodyInt("data-history-series") == series - 6);
        assertThat(points("spark-quota-bar-batch-b2-0")).isGreaterThan(b2Points);

        // a reload (a new URL: the same one with its fragment would not load the page again) starts empty
        within(Duration.ofSeconds(10), d -> points("spark-quota-bar-demo-k1-0") >= 16);
        open(hub.uri("/?poll=250&reload=1#quota").toString());
        assertThat(points("spark-quota-bar-demo-k1-0")).isLessThan(8);
        assertThat(driver.findElements(testId("quota-pool-spark"))).hasSize(1);
    }

    @Test
    @Order(11)
    void onAPhone_everyTabFitsTheScreenWidth_withItsMainElementsVisibleAndTouchSizedTabs() throws IOException {
        driver.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                Map.of("width", 390, "height", 844, "deviceScaleFactor", 2, "mobile", true));
        try {
            open(hub.uri("/?poll=250#overview").toString());
            within(LIVE_UPDATE, d -> points("spark-quota-bar-demo-k1-0") >= 2);
            // a page wider than the phone makes the browser zoom out: the layout viewport then grows past 390
            assertThat(js("return window.innerWidth")).as("layout viewport width").isEqualTo(390L);
            assertThat(((Number) js("return parseFloat(getComputedStyle(document.body).fontSize)")).doubleValue()).isEqualTo(15.0);

            Map<String, List<String>> mainElements = Map.of(
                    "overview", List.of("card-health", "card-hub-thermal", "card-process", "card-leases", "serving", "hub-this",
                            "summary-demo", "summary-bar-demo-0", "spark-summary-bar-demo-0"),
                    "thermal", List.of("thermal-hub", "thermal-demo-k1", "temperature-demo-k1", "spark-temperature-demo-k1",
                            "cooldown-line-demo-k1"),
                    "quota", List.of("quota-pool-demo", "quota-bar-demo-k1-0", "spark-quota-bar-demo-k1-0", "quota-used-demo-k1-0"),
                    "diagnostics", List.of("diag-level", "diag-run", "diag-summary", "diag-table"));
            for (String tab : List.of("overview", "thermal", "quota", "diagnostics")) {
                switchTo(tab);
                if (tab.equals("diagnostics")) {
                    new Select(find("diag-level")).selectByValue("BASIC");
                    find("diag-run").click();
                    within(Duration.ofSeconds(20), d -> find("diag-rows").findElements(By.tagName("tr")).size() == 4);
                }
                Long scrollWidth = (Long) js("return document.documentElement.scrollWidth");
                assertThat(scrollWidth).as("document width on the %s tab", tab).isLessThanOrEqualTo(390L);
                for (String id : mainElements.get(tab)) {
                    assertOnScreen(id, tab);
                }
                for (String t : List.of("overview", "thermal", "quota", "diagnostics")) {
                    Map<String, Object> r = assertOnScreen("tab-" + t, tab);
                    assertThat(((Number) r.get("height")).doubleValue()).as("tab %s height", t).isGreaterThanOrEqualTo(44);
                }
                screenshot("Phone " + tab);
            }
            // tables scroll inside their own box instead of widening the page
            switchTo("quota");
            assertThat(js("return getComputedStyle(document.querySelector(\"[data-testid='quota-pool-demo'] table\")).overflowX"))
                    .isEqualTo("auto");
        } finally {
            driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
        }
    }

    /**
     * The element is shown, lies within the screen's width and is not cut off by a box that scrolls or
     * clips (a table that scrolls sideways); answers its bounding box.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> assertOnScreen(String id, String tab) {
        Map<String, Object> r = (Map<String, Object>) js("""
                const e = document.querySelector(arguments[0]);
                if (!e) return null;
                const b = e.getBoundingClientRect();
                let clipped = null;
                for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
                  const c = p.getBoundingClientRect();
                  if (getComputedStyle(p).overflowX !== 'visible' && (b.left < c.left - 0.5 || b.right > c.right + 0.5)) {
                    clipped = p.tagName + '.' + p.className;
                  }
                }
                return {left: b.left, right: b.right, width: b.width, height: b.height, shown: e.checkVisibility(), clipped};
                """, "[data-testid='" + id + "']");
        assertThat(r).as("%s on the %s tab", id, tab).isNotNull();
        assertThat(r.get("shown")).as("%s shown on the %s tab", id, tab).isEqualTo(true);
        assertThat(((Number) r.get("width")).doubleValue()).as("%s width on the %s tab", id, tab).isPositive();
        assertThat(((Number) r.get("left")).doubleValue()).as("%s left edge on the %s tab", id, tab).isGreaterThanOrEqualTo(0);
        assertThat(((Number) r.get("right")).doubleValue()).as("%s right edge on the %s tab", id, tab).isLessThanOrEqualTo(390);
        assertThat(r.get("clipped")).as("%s cut off on the %s tab by", id, tab).isNull();
        return r;
    }

    @Test
    @Order(12)
    void renderTimeOfTheOverviewAndQuotaTabs_withFivePoolsOfSixKeys_isMeasuredInTheBrowser() {
        Map<String, Object> pools = new LinkedHashMap<>();
        for (int p = 1; p <= 5; p++) {
            List<Map<String, Object>> keys = new ArrayList<>();
            for (int k = 1; k <= 6; k++) {
                keys.add(key("k" + k, secretFile(dir, "render-p" + p + "-k" + k, SECRET + "-" + p + k),
                        List.of(requests(600, "1m"), tokens(1_000_000, "1m"), requests(50_000, "1d"))));
            }
            pools.put("pool-" + p, Map.of("preset", "PREMIUM", "keys", keys));
        }
        try (NatsServer bigNats = NatsServer.start(); TestHub big = TestHub.start(bigNats, "main", pools)) {
            for (String tab : List.of("overview", "quota")) {
                List<Map<String, Double>> runs = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    driver.get(big.uri("/?load=" + i + "#" + tab).toString());
                    runs.add(within(Duration.ofSeconds(20), d -> renderTimes()));
                }
                assertThat(find("panel-" + tab).isDisplayed()).isTrue();
                assertThat(count("[data-testid^='quota-bar-']")).isEqualTo(5 * 6 * 3);
                assertThat(count("[data-testid^='spark-quota-bar-']")).isEqualTo(5 * 6 * 3);
                StringBuilder report = new StringBuilder("dashboard render time, " + tab
                        + " tab shown, 5 pools x 6 keys x 3 limits (90 key bars, 36 gauges), 5 page loads:");
                for (String measure : List.of("state-to-render", "state-to-paint", "navigation-to-paint")) {
                    List<Double> ms = runs.stream().map(r -> r.get(measure)).sorted().toList();
                    assertThat(ms).as(measure).allSatisfy(v -> assertThat(v).isPositive());
                    report.append(String.format(java.util.Locale.ROOT, "%n  %-20s median %6.1f ms, min %6.1f, max %6.1f",
                            measure, ms.get(ms.size() / 2), ms.get(0), ms.get(ms.size() - 1)));
                }
                System.out.println(report);
            }

            // later polls: every tab rebuilt with 40 samples in each of the 126 sparklines (script time)
            open(big.uri("/?poll=250&load=history#quota").toString());
            within(Duration.ofSeconds(30), d -> points("spark-quota-bar-pool-1-k1-0") >= 40);
            List<Double> renders = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                int seen = updates();
                within(Duration.ofSeconds(5), d -> updates() > seen);
                renders.add(Double.parseDouble(driver.findElement(By.tagName("body")).getDomAttribute("data-render-ms")));
            }
            assertThat(renders).allSatisfy(v -> assertThat(v).isPositive());
            List<Double> sorted = renders.stream().sorted().toList();
            System.out.printf(java.util.Locale.ROOT, "dashboard render time, quota tab, 40 samples a series, 9 polls:%n"
                    + "  render (script)      median %6.1f ms, min %6.1f, max %6.1f%n", sorted.get(4), sorted.get(0), sorted.get(8));
        }
    }

    /** The page's performance measures of its first state, in ms, once the frame after it is painted. */
    @SuppressWarnings("unchecked")
    private static Map<String, Double> renderTimes() {
        Map<String, Object> r = (Map<String, Object>) js("""
                const d = n => { const e = performance.getEntriesByName('quotahub:' + n, 'measure')[0]; return e ? e.duration : null; };
                if (d('navigation-to-paint') === null) return null;
                return {'state-to-render': d('state-to-render'), 'state-to-paint': d('state-to-paint'),
                        'navigation-to-paint': d('navigation-to-paint')};
                """);
        if (r == null) {
            return null;
        }
        Map<String, Double> ms = new LinkedHashMap<>();
        r.forEach((k, v) -> ms.put(k, ((Number) v).doubleValue()));
        return ms;
    }

    private static Object sessionToken() {
        return driver.executeScript("return sessionStorage.getItem('quotahub.token')");
    }

    @Test
    @Order(9)
    void quotaShowsALowerLimitTheProviderReported_andUseOutsideQuotaHub() throws IOException {
        open(hub.uri("/").toString());
        switchTo("quota");
        assertThat(driver.findElements(testId("observed-demo-k1-0"))).as("no report yet: nothing shown").isEmpty();

        // a call on demo/k1: its provider says the limit is 30 a minute, not 40, and only 2 are left
        HttpResponse<String> lease = hub.post("/api/v1/acquire", "{\"pool\":\"demo\",\"tokens\":1,\"agentId\":\"reporter\"}");
        assertThat(lease.statusCode()).as(lease.body()).isEqualTo(200);
        String handle = lease.body().replaceAll(".*\"leaseId\":\"([^\"]+)\".*", "$1");
        HttpResponse<String> done = hub.post("/api/v1/leases/" + handle + "/complete", "{\"tokensUsed\":1,\"outcome\":\"OK\","
                + "\"provider\":{\"limits\":[{\"kind\":\"REQUESTS\",\"limit\":30,\"remaining\":2,\"resetAfterMs\":30000}]}}");
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);

        within(LIVE_UPDATE, d -> !d.findElements(testId("observed-demo-k1-0")).isEmpty());
        assertThat(attr("observed-demo-k1-0", "data-observed")).isEqualTo("30");
        assertThat(attr("observed-demo-k1-0", "data-enforced")).isEqualTo("40"); // the pool does not learn limits
        assertThat(text("observed-demo-k1-0")).isEqualTo("provider says 30 (configured 40)");
        assertThat(Long.parseLong(attr("external-demo-k1", "data-value"))).isPositive();
        assertThat(driver.findElements(testId("observed-demo-k1-1"))).as("the token limit: nothing reported").isEmpty();
        screenshot("Quota with an observed limit");
    }

    @Test
    @Order(13)
    void quotaShowsAShadowLimit_theFallbackPools_andWhatTheShadowWouldHaveRefused() throws IOException {
        open(hub.uri("/").toString());
        switchTo("quota");
        assertThat(attr("mode-watch-w1-0", "data-mode")).isEqualTo("shadow");
        assertThat(text("fallback-watch")).isEqualTo("falls back to spark");
        assertThat(driver.findElements(testId("mode-demo-k1-0"))).as("an enforced limit shows no mode").isEmpty();
        assertThat(driver.findElements(testId("shadow-demo"))).as("a pool that watches nothing has no shadow table").isEmpty();
        within(LIVE_UPDATE, d -> !d.findElements(testId("shadow-none-watch")).isEmpty());

        // 2 a minute in shadow mode: all 4 are granted, the last 2 would have been refused
        for (int i = 0; i < 4; i++) {
            try (Lease lease = client.acquire("watch", 1, Duration.ofSeconds(2))) {
                assertThat(lease.pool()).isEqualTo("watch");
            }
        }

        within(LIVE_UPDATE, d -> !d.findElements(testId("shadow-count-watch-w1-QUOTA_EXHAUSTED")).isEmpty());
        assertThat(attr("shadow-count-watch-w1-QUOTA_EXHAUSTED", "data-value")).isEqualTo("2");
        assertThat(text("shadow-row-watch-w1-QUOTA_EXHAUSTED")).contains("requests 2/PT1M").contains("hub main");
        screenshot("Quota with a shadow limit");
    }
}
