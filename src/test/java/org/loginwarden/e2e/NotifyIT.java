package org.loginwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Notifications through a real sshd: a real notifier script started by the hook, detached
 * from the login, and mail through the real local MTA (exim4 from Debian, which delivers at
 * submission: no daemon to start or stop) into a real mailbox.
 */
class NotifyIT extends SshdTestBase {

  private static final Path SENDMAIL = Path.of("/usr/sbin/sendmail");
  private Path work;
  private Path notifier;
  private String baseConfig;
  private TestUser mailbox;

  @Override
  String loginwardenConfig() {
    return "kill_grace = 2s\nviolations = 2";
  }

  @BeforeEach
  void prepare() throws IOException {
    if (work == null) {
      work = Files.createTempDirectory(Path.of("/tmp"), "lw-notify-");
      notifier = work.resolve("notifier");
      // Each run records what it got, then behaves as the test's mode file says.
      Files.writeString(notifier, String.join("\n", "#!/bin/sh",
          "n=" + work + "/got-$LOGINWARDEN_EVENT-$$",
          "env > $n.env",
          "cat > $n.json",
          "case \"$(cat " + work + "/mode)\" in",
          "  sleep) echo $$ > $n.sleeping; sleep 30;;",
          "  fail) echo 'pager unreachable' >&2; exit 7;;",
          "  slow) sleep 4;;",
          "esac",
          "echo done > $n.done", ""));
      Files.setPosixFilePermissions(notifier, PosixFilePermissions.fromString("rwx------"));
      baseConfig = Files.readString(sshd.config);
    }
    mode("record");
  }

  @AfterEach
  void endSleepingNotifiers() throws IOException {
    // Started by this test's hooks: the notifier scripts still sleeping, and their sleep.
    try (Stream<Path> files = Files.list(work)) {
      for (Path p : files.filter(f -> f.toString().endsWith(".sleeping")).toList()) {
        ProcessHandle.of(Long.parseLong(Files.readString(p).strip())).ifPresent(h -> {
          h.descendants().forEach(ProcessHandle::destroyForcibly);
          h.destroyForcibly();
        });
      }
    }
    Exec.run("/bin/sh", "-c", "rm -f " + work + "/got-*");
  }

  @AfterAll
  void removeWork() {
    if (mailbox != null) {
      mailbox.close();
    }
    if (work != null) {
      Exec.run("/bin/rm", "-rf", "--one-file-system", work.toString());
    }
  }

  private void mode(String m) throws IOException {
    Files.writeString(work.resolve("mode"), m + "\n");
  }

  /** The hooks read the config at each call: this switches notifications for the next login. */
  private void notifyWith(String... lines) throws IOException {
    // Replaced, not rewritten in place: a hook must never read half a file.
    Path next = sshd.dir.resolve("loginwarden.conf.next");
    Files.writeString(next, baseConfig + String.join("\n", lines) + "\n");
    Files.move(next, sshd.config, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private List<Path> got(String event, String suffix) {
    try (Stream<Path> files = Files.list(work)) {
      return files.filter(f -> f.getFileName().toString().startsWith("got-" + event + "-")
          && f.toString().endsWith(suffix)).sorted().toList();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private long loginMillis(TestUser u) {
    long t0 = System.nanoTime();
    Exec.Result r = clients.sshKey(u, "true");
    assertEquals(0, r.exit(), r.all());
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private static long median(List<Long> xs) {
    List<Long> s = new ArrayList<>(xs);
    s.sort(null);
    return s.get(s.size() / 2);
  }

  @Test
  void aNotifierSleeping30sDoesNotDelayTheLoginAndGetsTheEventAsSpecified() throws IOException {
    TestUser u = user();
    mode("sleep");
    List<Long> without = new ArrayList<>();
    List<Long> with = new ArrayList<>();
    loginMillis(u); // warm the page cache for both
    for (int i = 0; i < 3; i++) {
      notifyWith();
      without.add(loginMillis(u));
      notifyWith("notify_command = " + notifier, "notify_on = open", "notify_timeout = 60s");
      with.add(loginMillis(u));
    }
    System.out.printf("NotifyIT login time (ssh key login, `true`): without notifier %s ms, "
        + "with a 30 s notifier on open %s ms; medians %d / %d ms%n", without, with,
        median(without), median(with));
    // Inline, the notifier would add 30 s; detached, only the start of its process, lost in
    // the noise of a loaded machine: allow the hook's own time (a JVM start, about 1 s).
    assertTrue(median(with) < median(without) + Math.max(1500, median(without) / 2),
        "a 30 s notifier must not delay the login: " + without + " vs " + with);

    Exec.await(BOUND, "3 notifiers to run", () -> got("open", ".sleeping").size() == 3);
    for (Path p : got("open", ".sleeping")) {
      long pid = Long.parseLong(Files.readString(p).strip());
      assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
          "still sleeping after its login is done: detached, not waited for");
    }

    Map<String, String> env = new HashMap<>();
    for (String line : Files.readAllLines(got("open", ".env").get(0))) {
      int eq = line.indexOf('=');
      env.put(line.substring(0, eq), line.substring(eq + 1));
    }
    assertEquals("open", env.get("LOGINWARDEN_EVENT"));
    assertEquals(u.name, env.get("LOGINWARDEN_USER"));
    assertEquals("127.0.0.1", env.get("LOGINWARDEN_RHOST"));
    assertEquals(sshd.service, env.get("LOGINWARDEN_SERVICE"));
    assertEquals("publickey", env.get("LOGINWARDEN_AUTH_METHOD"));
    assertEquals(Files.readString(Path.of("/proc/sys/kernel/hostname")).strip(),
        env.get("LOGINWARDEN_HOST"));
    assertTrue(Instant.parse(env.get("LOGINWARDEN_TIME")).isAfter(Instant.now().minusSeconds(120)));
    Set<String> allowed = Set.of("PATH", "PWD");
    Set<String> others = env.keySet().stream()
        .filter(k -> !k.startsWith("LOGINWARDEN_") && !allowed.contains(k))
        .collect(Collectors.toSet());
    assertEquals(Set.of(), others, "a cleared environment: " + env);

    JsonNode json = new ObjectMapper().readTree(Files.readString(got("open", ".json").get(0)));
    assertEquals("open", json.path("event").asText());
    assertEquals(u.name, json.path("user").asText());
    assertEquals("127.0.0.1", json.path("rhost").asText());
    assertTrue(json.path("rport").asInt() > 0, json.toString());
    assertEquals(env.get("LOGINWARDEN_REASON"), json.path("reason").asText());

    // The audit trail has the key each login used: audit shows its ssh-keygen fingerprint.
    Exec.Result audit = sshd.cli("audit", "--user", u.name, "--event", "open", "--json");
    assertEquals(0, audit.exit(), audit.all());
    String fingerprint = Exec.ok("/usr/bin/ssh-keygen", "-lf", u.key + ".pub").split(" ")[1];
    JsonNode open = new ObjectMapper().readTree(audit.out().lines().findFirst().orElseThrow());
    assertEquals("publickey", open.path("authMethod").asText(), audit.out());
    assertEquals(fingerprint, open.path("authKeyFingerprint").asText(), audit.out());
  }

  @Test
  void failingAndTimedOutNotifiersAreAuditedAndTheLoginStillWorks() throws IOException {
    TestUser u = user();
    notifyWith("notify_command = " + notifier, "notify_on = open", "notify_timeout = 2s");
    mode("fail");
    assertEquals(0, clients.sshKey(u, "echo in").exit());
    Exec.await(BOUND, "the failure to be audited",
        () -> sshd.auditEvents("notify_failed", u.name).size() == 1);
    assertTrue(sshd.auditEvents("notify_failed", u.name).get(0).path("reason").asText()
        .equals("open notice not delivered: notify_command " + notifier
            + " exited 7: pager unreachable"), sshd.audit());

    mode("slow");
    assertEquals(0, clients.sshKey(u, "echo in").exit());
    Exec.await(BOUND, "the time-out to be audited",
        () -> sshd.auditEvents("notify_failed", u.name).size() == 2);
    assertTrue(sshd.auditEvents("notify_failed", u.name).get(1).path("reason").asText()
        .endsWith("timed out after 2s and was killed"), sshd.audit());
    assertTrue(PrivateSshd.read(sshd.dir.resolve("log/loginwarden.log"))
        .contains("notify_failed " + u.name), "logged too");
  }

  @Test
  void aKickIsNotifiedByTheRefusedLoginAndItsNotifierIsNotEndedWithIt() throws IOException {
    TestUser u = user();
    notifyWith("notify_command = " + notifier, "notify_on = kick");
    mode("slow"); // outlives the refused connection's end (1 s) and the kill grace (2 s)
    Process first = hold(u);
    // A connection without a channel: loginwarden ends it by its audit session id, the id
    // its hook, and so the notifier it starts, would carry.
    Process dashN = afterTest(clients.start(u, List.of("-N"), null));
    assertAllEnded(u, first, dashN);
    Exec.await(BOUND, "the kick notifier to finish", () -> got("kick", ".done").size() == 1);
    JsonNode json = new ObjectMapper().readTree(Files.readString(got("kick", ".json").get(0)));
    assertTrue(json.path("reason").asText().startsWith("concurrent login from 127.0.0.1"),
        json.toString());
    assertEquals(List.of(), sshd.auditEvents("notify_failed", u.name));
  }

  @Test
  void aLockMailArrivesInARealMailbox() throws IOException {
    boolean mta = Files.isExecutable(SENDMAIL);
    if (!mta && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("CI=true but no MTA: install exim4-daemon-light");
    }
    Assumptions.assumeTrue(mta, "a local MTA (/usr/sbin/sendmail) is needed");
    mailbox = mailbox == null ? TestUser.create(work) : mailbox;
    Path spool = Path.of("/var/mail", mailbox.name);
    TestUser u = user();
    notifyWith("notify_mail = " + mailbox.name, "notify_on = lock");
    for (int violation = 1; violation <= 2; violation++) {
      Process first = hold(u);
      assertNotEquals(0, clients.sshKey(u, "true").exit());
      assertAllEnded(u, first);
    }
    String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    String subject = "Subject: loginwarden: " + u.name + " locked on " + host
        + " after 2 concurrent logins";
    Exec.await(BOUND, "the lock mail in " + spool, () -> PrivateSshd.read(spool).contains(subject));
    String mail = PrivateSshd.read(spool);
    assertTrue(mail.contains("\nuser:        " + u.name + "\n"), mail);
    assertTrue(mail.contains("\nreason:      violation 2 of 2 within 10m\n"), mail);
    assertEquals(1, Arrays.stream(mail.split("\n")).filter(l -> l.startsWith("Subject:")).count(),
        "one mail, for the lock only: " + mail);
    assertEquals(List.of(), sshd.auditEvents("notify_failed", u.name));
  }
}
