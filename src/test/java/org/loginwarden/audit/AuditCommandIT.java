package org.loginwarden.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.core.AuditRecord;
import org.loginwarden.core.Session;
import org.loginwarden.e2e.Exec.Result;
import org.loginwarden.e2e.Exec;
import org.loginwarden.proc.ProcfsProcessTable;

/**
 * {@code loginwarden audit} from the built jar, on a log that the real logrotate rotated
 * twice (compress, delaycompress: audit.jsonl.2.gz, audit.jsonl.1, audit.jsonl), with
 * foreign lines mixed in.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditCommandIT {

  private static final Path JAR = Path.of(System.getProperty("loginwarden.jar",
      "target/loginwarden.jar")).toAbsolutePath();
  private static final Path LOGROTATE = Path.of("/usr/sbin/logrotate");
  private static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDlSmb4yZ4wmuRfK6WbpQt"
      + "L1XUD8oWZb1pL4hWFmgwJQ";
  private static final Instant T0 = Instant.parse("2026-11-01T09:00:00Z");

  private Path dir;
  private Path config;

  private void append(Path log, String event, String user, Session s, String reason, String by,
      Instant at) throws IOException {
    new AuditLog(log, "host1", Clock.fixed(at, ZoneOffset.UTC))
        .write(new AuditRecord(event, user, s, reason, by, false));
  }

  private void rotate(Path conf) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(LOGROTATE.toString(), "-f", "-s",
        dir.resolve("logrotate.state").toString(), conf.toString()).redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
  }

  @BeforeAll
  void writeARotatedLog(@TempDir Path tmp) throws Exception {
    dir = tmp;
    boolean present = Files.isExecutable(LOGROTATE);
    if (!present && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("CI=true but logrotate is not installed");
    }
    Assumptions.assumeTrue(present, "logrotate is needed");
    Assumptions.assumeTrue(ProcfsProcessTable.effectiveUid() == 0, "needs root");
    Path logs = Files.createDirectories(dir.resolve("log"));
    Path log = logs.resolve("audit.jsonl");
    Path conf = dir.resolve("logrotate.conf");
    Files.writeString(conf, log + " {\n  rotate 5\n  compress\n  delaycompress\n  missingok\n}\n");
    Session key = new Session(4242, 1, 7, "sshd", "10.0.0.5", 50022, "ssh", "publickey", KEY,
        T0, null);
    Session pw = new Session(4343, 1, 8, "sshd", "10.0.0.9", 50100, "ssh", "password", null,
        T0, null);

    append(log, "open", "alice", key, "1 of 1", "loginwarden", T0);
    Files.writeString(log, "garbage from a crashed editor\n", StandardOpenOption.APPEND);
    append(log, "close", "alice", key, "logout after 60s", "loginwarden", T0.plusSeconds(60));
    rotate(conf);
    append(log, "open", "bob", pw, "1 of 1", "loginwarden", T0.plus(Duration.ofDays(1)));
    append(log, "violation", "bob", pw, "violation 1 of 1", "loginwarden",
        T0.plus(Duration.ofDays(1)).plusSeconds(5));
    append(log, "kick", "bob", pw, "concurrent login from 10.0.0.77", "loginwarden",
        T0.plus(Duration.ofDays(1)).plusSeconds(5));
    append(log, "lock", "bob", pw, "violation 1 of 1 within 10m", "loginwarden",
        T0.plus(Duration.ofDays(1)).plusSeconds(5));
    rotate(conf);
    Files.writeString(log, "{\"not\":\"ours\"}\n", StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    append(log, "unlock", "bob", null, "unlock by carol", "carol",
        T0.plus(Duration.ofDays(2)));
    assertTrue(Files.exists(logs.resolve("audit.jsonl.2.gz")), "logrotate compressed the "
        + "older one: " + List.of(logs.toFile().list()));
    assertTrue(Files.exists(logs.resolve("audit.jsonl.1")));

    config = dir.resolve("loginwarden.conf");
    Files.writeString(config, "audit_log = " + log + "\nlog_file =\n");
  }

  private Result audit(String... args) throws Exception {
    List<String> c = new ArrayList<>(List.of("/usr/bin/java", "-jar", JAR.toString(),
        "--config", config.toString(), "audit"));
    c.addAll(List.of(args));
    return run(c);
  }

  private static Result run(List<String> c) {
    return Exec.run(Duration.ofSeconds(60), java.util.Map.of(), c);
  }

  @Test
  void theWholeHistoryOldestFirstWithForeignLinesCounted() throws Exception {
    Result r = audit();
    assertEquals(0, r.exit(), r.err());
    List<String> lines = r.out().lines().toList();
    assertTrue(lines.get(0).startsWith("TIME "), r.out());
    List<String> events = lines.subList(1, 8).stream().map(l -> l.split(" +")[2]).toList();
    assertEquals(List.of("open", "close", "open", "violation", "kick", "lock", "unlock"), events,
        r.out());
    assertTrue(lines.get(1).matches("2026-11-01T09:00:00Z +alice +open +10\\.0\\.0\\.5 port "
        + "50022 +publickey SHA256:XqXtmtDdfqAnDmwZrUuwWM25GQ8eT2mC3jlBypFktxU +loginwarden "
        + "+1 of 1"), "from where with which key: " + lines.get(1));
    assertTrue(lines.get(7).matches(".* bob +unlock +- +- +carol +unlock by carol"), lines.get(7));
    assertEquals("7 records listed from 3 files, 2 lines skipped (not loginwarden audit "
        + "records).", lines.get(lines.size() - 1));
    assertEquals("", r.err());
  }

  @Test
  void filtersAndJsonLines() throws Exception {
    Result r = audit("--user", "bob", "--event", "lock,unlock", "--since", "2026-11-02",
        "--json");
    assertEquals(0, r.exit(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(2, lines.size(), r.out());
    JsonNode lock = new ObjectMapper().readTree(lines.get(0));
    assertEquals("lock", lock.path("event").asText());
    assertEquals("10.0.0.9", lock.path("rhost").asText());
    JsonNode unlock = new ObjectMapper().readTree(lines.get(1));
    assertEquals("carol", unlock.path("by").asText());

    Result window = audit("--since", "2026-11-01T09:00:30Z", "--until", "2026-11-02T09:00:05",
        "--no-legend");
    assertEquals(List.of("close", "open"), window.out().lines().map(l -> l.split(" +")[2])
        .toList(), window.out());
    Result key = audit("--event", "open", "--json");
    assertEquals("SHA256:XqXtmtDdfqAnDmwZrUuwWM25GQ8eT2mC3jlBypFktxU", new ObjectMapper()
        .readTree(key.out().lines().findFirst().orElseThrow()).path("authKeyFingerprint")
        .asText());
  }

  @Test
  void badInputIsOneLineAndADocumentedExitCode() throws Exception {
    Result since = audit("--since", "last tuesday");
    assertEquals(2, since.exit());
    assertTrue(since.err().startsWith("loginwarden: cannot use --since: expected an ISO-8601"),
        since.err());
    assertEquals(1, since.err().lines().count(), since.err());
    Result event = audit("--event", "logn");
    assertEquals(2, event.exit());
    assertTrue(event.err().contains("'logn': not an audit event"), event.err());

    Files.writeString(config, "audit_log = " + dir.resolve("none/audit.jsonl") + "\n");
    Result missing = audit();
    assertEquals(4, missing.exit(), missing.err());
    assertTrue(missing.err().startsWith("loginwarden: cannot read audit log "), missing.err());
    Files.writeString(config, "audit_log = " + dir.resolve("log/audit.jsonl") + "\n");

    if (Files.isExecutable(Path.of("/usr/bin/setpriv"))) {
      Result notRoot = run(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
          "--clear-groups", "/usr/bin/java", "-jar", JAR.toString(), "audit"));
      assertEquals(5, notRoot.exit(), notRoot.err());
      assertEquals("loginwarden: cannot read the audit log: needs root\n", notRoot.err());
    }
  }
}
