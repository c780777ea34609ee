package org.loginwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The fleet tests' harness, proven with the file store: two {@link FleetHost}s at once, each
 * seeing and signalling only its own processes, each with its own /etc/shadow, loginwarden
 * working inside each, and nothing left behind. With {@code store = file} each host counts only
 * its own sessions: the gap that fleet mode closes, asserted here as the baseline.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetHostIT {

  static final Duration BOUND = Duration.ofSeconds(20);

  Path work;
  TestUser user;
  /** A user with a time limit on A only, for A's watcher to enforce. */
  TestUser timed;
  FleetHost a;
  FleetHost b;
  Clients onA;
  Clients onB;
  final List<Process> logins = new ArrayList<>();

  @BeforeAll
  void start() throws IOException {
    PrivateSshd.assumeAvailable();
    work = Files.createTempDirectory("lw-fleethost-");
    user = TestUser.create(work);
    timed = TestUser.create(work);
    long t0 = System.nanoTime();
    a = FleetHost.start("a", String.join("\n", "kill_grace = 2s", "violations = 1",
        "sweep_interval = 1s", "warn_before = 1s", "[user " + timed.name + "]",
        "max_session_time = 3s"));
    System.out.println("fleet host started in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    b = FleetHost.start("b", "kill_grace = 2s");
    onA = new Clients(a.sshd);
    onB = new Clients(b.sshd);
  }

  @AfterAll
  void stop() throws IOException {
    logins.forEach(Process::destroyForcibly);
    try {
      closeHost(a);
    } finally {
      try {
        closeHost(b);
      } finally {
        for (TestUser u : new TestUser[] {user, timed}) {
          if (u != null) {
            u.close();
          }
        }
        Exec.run("/bin/rm", "-rf", work.toString());
      }
    }
  }

  private static void closeHost(FleetHost host) throws IOException {
    if (host != null) {
      host.close();
    }
  }

  /**
   * Logs in on one host with a command that names itself and leaves an escapee ({@code sleep
   * 9MARKER}, reparented to the host's PID 1), and waits until it counts.
   */
  Process hold(FleetHost host, Clients clients, String marker) throws IOException {
    Process p = clients.start(user, List.of(), "setsid nohup sleep 9" + marker
        + " >/dev/null 2>&1 </dev/null & exec sleep " + marker);
    logins.add(p);
    Exec.await(BOUND, user.name + " to be live on " + host.name + " and run sleep " + marker,
        () -> host.sshd.liveSessions(user.name).size() == 1 && host.processesOf(user).stream()
            .anyMatch(pid -> Procs.cmdline(host.procRoot(), pid).equals("sleep " + marker)));
    return p;
  }

  @Test
  @Order(1)
  void eachHostCountsItselfSeesItselfAndEndsItsOwnSessions() throws IOException {
    Process onAFirst = hold(a, onA, "1001");
    Process onBOnly = hold(b, onB, "2002");
    // The file store's gap, which fleet mode closes: one login on each host, both let in.
    assertTrue(onAFirst.isAlive() && onBOnly.isAlive(), "both logins let in");

    // A's /proc is A's: B's sshd and B's session are not in it, while the machine sees both.
    List<String> seenFromA = a.visibleCommandLines();
    assertTrue(seenFromA.stream().anyMatch(c -> c.equals("sleep 1001")), seenFromA.toString());
    assertTrue(seenFromA.stream().noneMatch(c -> c.contains("sleep 2002")), seenFromA.toString());
    assertTrue(seenFromA.stream().noneMatch(c -> c.contains(b.sshd.service)),
        seenFromA.toString());
    assertTrue(b.visibleCommandLines().stream().anyMatch(c -> c.equals("sleep 2002")));
    List<Long> bUserPids = Procs.ofUid(b.procRoot(), user.uid);
    assertFalse(bUserPids.isEmpty());

    // Nor can A signal them: B's session by its pid on the machine is no process inside A.
    long bSleep = machinePidOf(c -> c.equals("sleep 2002"));
    assertEquals(0, Exec.run("/usr/bin/kill", "-0", Long.toString(bSleep)).exit(),
        "the machine can signal it");
    Exec.Result fromA = a.inside("/usr/bin/kill", "-0", Long.toString(bSleep));
    assertNotEquals(0, fromA.exit());
    assertTrue(fromA.err().contains("No such process"), fromA.all());

    // Audit session ids are set inside: each session has its own, on the machine too.
    String auditA = Procs.auditSession(machinePidOf(c -> c.equals("sleep 1001")));
    String auditB = Procs.auditSession(bSleep);
    System.out.println("audit session ids inside: A " + auditA + ", B " + auditB);
    assertNotEquals("4294967295", auditA);
    assertNotEquals(auditA, auditB);
    long insideA = a.processesOf(user).stream()
        .filter(pid -> Procs.cmdline(a.procRoot(), pid).equals("sleep 1001")).findFirst()
        .orElseThrow();
    assertEquals(auditA, Files.readString(a.procRoot().resolve(insideA + "/sessionid")).strip(),
        "one id, read on the machine or inside A");

    // The core rule inside A: a second login on A ends both of A's; B's lives on.
    byte[] shadowA = a.readShadow();
    byte[] shadowB = b.readShadow();
    // The machine's line, not its whole file: other tests on this machine add users meanwhile.
    String lineOnMachine = user.shadowLine();
    assertEquals(lineOnMachine, a.shadowLine(user), "each host starts with the machine's");
    assertEquals(lineOnMachine, b.shadowLine(user));
    Exec.Result second = onA.sshKey(user, "echo second-ran");
    assertNotEquals(0, second.exit(), second.all());
    Exec.await(BOUND, "A's first session to be ended", () -> !onAFirst.isAlive());
    Exec.await(BOUND, "no process of the user on A, escapee included",
        () -> a.processesOf(user).isEmpty());
    assertTrue(onBOnly.isAlive(), "B's session lives on");
    assertEquals(1, b.sshd.liveSessions(user.name).size());
    assertEquals(1, a.sshd.auditEvents("violation", user.name).size(), a.sshd.audit());
    assertEquals(List.of(), b.sshd.auditEvents("violation", user.name), "B saw none");

    // violations = 1 on A: the user is locked in A's /etc/shadow, nowhere else.
    Exec.await(BOUND, "A's shadow to lock the user",
        () -> shadowLineOf(a, "!") != null);
    assertArrayEquals(shadowB, b.readShadow(), "B's shadow is untouched");
    assertEquals(lineOnMachine, user.shadowLine(), "the machine's shadow is untouched");
    assertNotEquals(0, onA.sshKey(user, "true").exit(), "locked on A");

    // unlock inside A restores A's copy byte for byte.
    Exec.Result unlock = a.cli("unlock", user.name);
    assertEquals(0, unlock.exit(), unlock.all());
    assertArrayEquals(shadowA, a.readShadow(), "A's shadow restored byte for byte");
  }

  @Test
  @Order(2)
  void theWatcherRunsInsideItsHostAndSurvivesSigkill() throws IOException {
    a.startWatcher();
    long pid = a.watcherPid();
    String[] nsPid = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
        .filter(l -> l.startsWith("NSpid:")).findFirst().orElseThrow()
        .substring("NSpid:".length()).strip().split("\\s+");
    System.out.println("watcher NSpid: " + String.join(" ", nsPid));
    assertEquals(2, nsPid.length, "a pid on the machine and one inside A");
    assertEquals(pidNamespace(a.initPid()), pidNamespace(pid), "in A's PID namespace");
    assertNotEquals(pidNamespace(ProcessHandle.current().pid()), pidNamespace(pid));
    Exec.await(BOUND, "the watcher to show inside A", () -> {
      try {
        return a.visibleCommandLines().stream().anyMatch(c -> c.contains(" watch"));
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    });
    a.stopWatcher();
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    a.startWatcher();
    assertNotEquals(pid, a.watcherPid());

    // The restarted watcher acts inside A: it ends a session past its time limit there.
    Process overTime = onA.start(timed, List.of(), "exec sleep 4004");
    logins.add(overTime);
    Exec.await(BOUND, "A's watcher to end the session past max_session_time",
        () -> !a.sshd.auditEvents("expired", timed.name).isEmpty() && !overTime.isAlive()
            && a.processesOf(timed).isEmpty());
    Exec.Result status = a.cli("status");
    assertEquals(0, status.exit(), status.all());
  }

  @Test
  @Order(3)
  void aUserCreatedAfterTheHostsStartedLogsInOnceAdded() throws IOException {
    try (TestUser late = TestUser.create(work)) {
      Exec.Result before = onB.sshKey(late, "echo late-in");
      assertNotEquals(0, before.exit(), "B's accounts are a snapshot: " + before.all());
      b.addUser(late);
      Exec.Result after = onB.sshKey(late, "echo late-in");
      assertEquals(0, after.exit(), after.all());
      assertTrue(after.out().contains("late-in"), after.all());
    }
  }

  @Test
  @Order(4)
  void closingAHostLeavesNothingBehind() throws IOException {
    Process onAHeld = hold(a, onA, "3003");
    Path hostDir = a.sshd.dir;
    Path pamFile = Path.of("/etc/pam.d", a.sshd.service);
    String initMounts = Files.readString(Path.of("/proc", Long.toString(a.initPid()),
        "mountinfo"));
    assertTrue(initMounts.contains("lw-host-a"), "the overlay is mounted inside A");
    assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains("lw-host-a"),
        "and only there");
    assertTrue(Files.exists(pamFile));
    long watcher = a.watcherPid();
    // The listener, titled "sshd: PATH -D ... [listener] ...", not the nsenter above it.
    long sshd = machinePidOf(c -> c.contains(a.sshd.dir.resolve(a.sshd.service) + " -D")
        && !c.startsWith(FleetHost.NSENTER.toString()));

    long t0 = System.nanoTime();
    a.close();
    a = null;
    System.out.println("fleet host closed in " + (System.nanoTime() - t0) / 1_000_000 + " ms");

    Exec.await(BOUND, "A's login to be cut", () -> !onAHeld.isAlive());
    assertFalse(ProcessHandle.of(watcher).isPresent(), "A's watcher is gone");
    assertFalse(ProcessHandle.of(sshd).isPresent(), "A's sshd is gone");
    Path bPidNamespace = pidNamespace(b.initPid());
    for (long pid : Procs.ofUid(user.uid)) {
      assertEquals(bPidNamespace, pidNamespace(pid), "only B's session is left: " + pid + " "
          + Procs.cmdline(pid));
    }
    assertFalse(Files.exists(pamFile));
    assertFalse(Files.exists(hostDir));
    assertEquals(List.of(), mountsMentioning("lw-host-a"));

    b.close();
    b = null;
    Exec.await(BOUND, "no process of the user on the machine",
        () -> Procs.ofUid(user.uid).isEmpty());
    assertEquals(List.of(), mountsMentioning("lw-host-"));
    try (DirectoryStream<Path> pam = Files.newDirectoryStream(Path.of("/etc/pam.d"),
        "sshd-lw*")) {
      for (Path p : pam) {
        assertFalse(p.getFileName().toString().equals(pamFile.getFileName().toString()));
      }
    }
  }

  private String shadowLineOf(FleetHost host, String passwordPrefix) {
    try {
      String line = host.shadowLine(user);
      return line.startsWith(user.name + ":" + passwordPrefix) ? line : null;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The one process on the machine whose command line is {@code wanted}, by its pid here. */
  private static long machinePidOf(Predicate<String> wanted) throws IOException {
    List<Long> found = new ArrayList<>();
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path p : pids) {
        long pid = Long.parseLong(p.getFileName().toString());
        if (wanted.test(Procs.cmdline(pid))) {
          found.add(pid);
        }
      }
    }
    assertEquals(1, found.size(), "one such process: " + found);
    return found.get(0);
  }

  private static Path pidNamespace(long pid) {
    try {
      return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns/pid"));
    } catch (IOException e) {
      throw new AssertionError("no process " + pid, e);
    }
  }

  /** Every process's mount table lines that mention {@code text}, machine-wide. */
  private static List<String> mountsMentioning(String text) throws IOException {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path p : pids) {
        try {
          Files.readString(p.resolve("mountinfo")).lines().filter(l -> l.contains(text))
              .forEach(l -> out.add(p.getFileName() + ": " + l));
        } catch (IOException e) {
          // gone meanwhile
        }
      }
    }
    return out;
  }
}
