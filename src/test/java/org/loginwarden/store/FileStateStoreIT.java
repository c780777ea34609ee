package org.loginwarden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.core.Session;
import org.loginwarden.core.UserState;

/**
 * {@link FileStateStore} across real processes: fcntl locks belong to a process, so two
 * transactions in one JVM would only throw {@code OverlappingFileLockException}. Every child
 * is a {@link StoreWorker}; every wait on one is bounded.
 */
class FileStateStoreIT {

  private static final int WRITERS = 50;
  /**
   * Transactions per writer. Contention comes from the 50 processes, not from long runs; and
   * every fresh JVM parses interpreted at first, so one user's ever-growing file gets only
   * violations (30 bytes each), while the many users' small files get sessions too.
   */
  private static final int K_ONE_USER = 6;
  private static final int K_MANY_USERS = 10;
  /** Starting 50 JVMs on two cores takes a while; this bounds it, it does not time it. */
  private static final Duration STARTUP = Duration.ofSeconds(60);
  private static final Duration RUN = Duration.ofSeconds(60);

  @TempDir Path tmp;
  private Path stateDir;
  private Path runDir;
  private final List<String> reports = new CopyOnWriteArrayList<>();
  private final List<Process> children = new ArrayList<>();

  @BeforeEach
  void createStore() throws Exception {
    // JUnit makes @TempDir 0700 (Files.createTempDirectory); the store checks only its own dirs.
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp)));
    stateDir = tmp.resolve("state");
    runDir = tmp.resolve("run");
    open(Duration.ofSeconds(5));
  }

  @AfterEach
  void killChildren() throws InterruptedException {
    for (Process p : children) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private FileStateStore open(Duration lockTimeout) throws StoreException {
    return FileStateStore.open(stateDir, runDir, lockTimeout, true, Clock.systemUTC(),
        reports::add);
  }

  @Test
  void fiftyWritersOnOneUserLoseNoUpdate() throws Exception {
    List<String> users = List.of("alice");
    int k = K_ONE_USER;
    long millis = runWriters(users, k, false);

    UserState s = open(Duration.ofSeconds(5)).peek("alice");
    assertEquals(expectedViolations(users, k).get("alice"), Set.copyOf(s.violations()));
    assertEquals(WRITERS * k, s.violations().size(), "a violation was lost or duplicated");
    assertStoreClean(users);
    // Violations are appended in commit order: count how often the writer changed.
    int handovers = 0;
    for (int i = 1; i < s.violations().size(); i++) {
      long a = StoreWorker.secondsAfterBase(s.violations().get(i - 1)) / StoreWorker.STRIDE;
      long b = StoreWorker.secondsAfterBase(s.violations().get(i)) / StoreWorker.STRIDE;
      handovers += a != b ? 1 : 0;
    }
    System.out.printf("%d writers x %d transactions on one user: %d ms after start; the lock "
        + "passed between processes %d times%n", WRITERS, k, millis, handovers);
  }

  @Test
  void fiftyWritersOverTwentyUsersLoseNoUpdate() throws Exception {
    List<String> users = IntStream.range(0, 20).mapToObj(i -> "user" + i).toList();
    int k = K_MANY_USERS;
    long millis = runWriters(users, k, true);

    FileStateStore store = open(Duration.ofSeconds(5));
    Map<String, Set<Instant>> violations = expectedViolations(users, k);
    Map<String, Set<Long>> pids = expectedPids(users, k);
    for (String user : users) {
      UserState s = store.peek(user);
      assertEquals(violations.get(user), Set.copyOf(s.violations()), user);
      assertEquals(violations.get(user).size(), s.violations().size(), user);
      assertEquals(pids.get(user),
          s.sessions().stream().map(Session::pid).collect(Collectors.toSet()), user);
      assertEquals(pids.get(user).size(), s.sessions().size(), user);
    }
    assertStoreClean(users);
    System.out.printf("%d writers x %d transactions over %d users: %d ms after start%n",
        WRITERS, k, users.size(), millis);
  }

  /**
   * Starts the writers, lets them go together once all are warm, and meanwhile reads without
   * the lock: every read must parse and no count may go backwards.
   *
   * @return milliseconds from the start signal to the last exit
   */
  private long runWriters(List<String> users, int k, boolean sessionsToo) throws Exception {
    Path ready = Files.createDirectory(tmp.resolve("ready"));
    Path go = tmp.resolve("go");
    List<Process> writers = new ArrayList<>();
    for (int id = 0; id < WRITERS; id++) {
      List<String> args = new ArrayList<>(List.of("append", stateDir.toString(),
          runDir.toString(), ready.toString(), go.toString(), Integer.toString(id),
          Integer.toString(k), sessionsToo ? "both" : "violations"));
      args.addAll(users);
      writers.add(start("writer-" + id, args));
    }
    long launched = System.nanoTime();
    long deadline = launched + STARTUP.toNanos();
    while (count(ready) < WRITERS) {
      for (int id = 0; id < WRITERS; id++) {
        if (!writers.get(id).isAlive()) {
          fail("writer " + id + " exited before the start: " + stderr("writer-" + id));
        }
      }
      assertTrue(System.nanoTime() < deadline, "writers not ready within " + STARTUP);
      Thread.sleep(20);
    }
    long start = System.nanoTime();
    long startupMillis = (start - launched) / 1_000_000;
    Files.createFile(go);

    FileStateStore reader = open(Duration.ofSeconds(5));
    Map<String, Integer> seen = new HashMap<>();
    int reads = 0;
    long end = start + RUN.toNanos();
    while (writers.stream().anyMatch(Process::isAlive) && System.nanoTime() < end) {
      for (String user : users) {
        UserState s = reader.peek(user); // throws if a file is torn
        int n = s.violations().size();
        assertTrue(n >= seen.getOrDefault(user, 0), "the count of " + user + " went backwards");
        seen.put(user, n);
        reads++;
      }
      Thread.sleep(2); // leave the cores to the writers
    }
    for (int id = 0; id < WRITERS; id++) {
      awaitSuccess(writers.get(id), "writer-" + id, end);
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("%d writers ready after %d ms; %d lock-free reads during the run all "
        + "parsed%n", WRITERS, startupMillis, reads);
    return millis;
  }

  private static Map<String, Set<Instant>> expectedViolations(List<String> users, int k) {
    Map<String, Set<Instant>> out = new HashMap<>();
    forEachTransaction(users, k, (user, n) ->
        out.computeIfAbsent(user, u -> new HashSet<>()).add(StoreWorker.BASE.plusSeconds(n)));
    return out;
  }

  private static Map<String, Set<Long>> expectedPids(List<String> users, int k) {
    Map<String, Set<Long>> out = new HashMap<>();
    forEachTransaction(users, k,
        (user, n) -> out.computeIfAbsent(user, u -> new HashSet<>()).add(n));
    return out;
  }

  /** The transactions {@link StoreWorker} makes: writer w's i-th goes to user (w + i) % n. */
  private static void forEachTransaction(List<String> users, int k,
      BiConsumer<String, Long> each) {
    for (int w = 0; w < WRITERS; w++) {
      for (int i = 0; i < k; i++) {
        each.accept(users.get((w + i) % users.size()), (long) w * StoreWorker.STRIDE + i);
      }
    }
  }

  /** No temp file, no corrupt file, no report; the store lists exactly these users. */
  private void assertStoreClean(List<String> users) throws Exception {
    try (Stream<Path> all = Files.walk(tmp)) {
      List<String> stray = all.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".tmp") || n.contains(".corrupt-")).toList();
      assertEquals(List.of(), stray);
    }
    assertEquals(List.of(), reports);
    assertEquals(users.stream().sorted().toList(), open(Duration.ofSeconds(5)).users());
  }

  @Test
  void writerKilledAtRandomMomentsLeavesOldOrNewState() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    String user = "alice";
    Path usersTmp = stateDir.resolve("users/.alice.json.tmp");
    Path sessionsTmp = runDir.resolve("sessions/.alice.json.tmp");
    FileStateStore store = open(Duration.ofSeconds(5));
    long previous = -1;
    int rounds = 12;
    int tmpLeft = 0;
    int aheadOfOutput = 0;
    int sessionsBehind = 0;
    for (int round = 0; round < rounds; round++) {
      String name = "loop-" + round;
      Process p = start(name, List.of("loop", stateDir.toString(), runDir.toString(), user));
      long deadline = System.nanoTime() + STARTUP.toNanos();
      while (committed(name).isEmpty()) {
        assertTrue(p.isAlive(), () -> "loop worker exited: " + stderr(name));
        assertTrue(System.nanoTime() < deadline, "loop worker wrote nothing in " + STARTUP);
        Thread.sleep(5);
      }
      Thread.sleep(random.nextInt(60));
      p.destroyForcibly();
      assertTrue(p.waitFor(10, TimeUnit.SECONDS), "killed worker did not exit");

      // The worker prints a number after its write returned, so the file holds that number
      // or, when the kill came between the write and the print, the next.
      List<Long> printed = committed(name);
      long last = printed.get(printed.size() - 1);
      assertEquals(previous + 1, printed.get(0),
          "round " + round + " did not continue from the stored state");
      UserState s = store.peek(user);
      List<Instant> v = s.violations();
      long seq = StoreWorker.secondsAfterBase(v.get(v.size() - 1));
      assertTrue(seq == last || seq == last + 1,
          "stored " + seq + " after the worker reported " + last + " (seed " + seed + ")");
      for (int i = 1; i < v.size(); i++) {
        assertEquals(v.get(i - 1).plusSeconds(1), v.get(i), "violations torn: " + v);
      }
      // Durable state is written first, so live sessions are as new or one behind.
      assertEquals(1, s.sessions().size());
      long pid = s.sessions().get(0).pid();
      assertTrue(pid == seq || pid == seq - 1, "session " + pid + " with violations up to " + seq);
      aheadOfOutput += seq == last + 1 ? 1 : 0;
      sessionsBehind += pid == seq - 1 ? 1 : 0;
      tmpLeft += Files.exists(usersTmp) || Files.exists(sessionsTmp) ? 1 : 0;
      previous = seq;
    }
    // Every kill most likely hit a worker holding the lock; the kernel dropped it with the
    // process. The writer after the last kill, the test itself, is not hindered either.
    try (StateStore.Transaction tx = store.begin(user)) {
      List<Instant> v = tx.state().violations();
      assertEquals(previous, StoreWorker.secondsAfterBase(v.get(v.size() - 1)));
      tx.write(tx.state().withViolations(List.of(StoreWorker.BASE))
          .withSessions(List.of(StoreWorker.session(-1))));
    }
    assertEquals(List.of(StoreWorker.BASE), store.peek(user).violations());
    assertFalse(Files.exists(usersTmp) || Files.exists(sessionsTmp), "temp file left by a write");
    assertEquals(List.of(), reports);
    System.out.printf("%d kills (seed %d): %d left a temp file, %d landed after a write but "
        + "before its report, %d between the two files; last sequence %d%n",
        rounds, seed, tmpLeft, aheadOfOutput, sessionsBehind, previous);
  }

  @Test
  void garbageTempFileFromACrashBeforeRenameIsIgnoredThenReplaced() throws Exception {
    FileStateStore store = open(Duration.ofSeconds(5));
    UserState good = UserState.empty("alice")
        .withViolations(List.of(StoreWorker.BASE))
        .withSessions(List.of(StoreWorker.session(7)));
    try (StateStore.Transaction tx = store.begin("alice")) {
      tx.write(good);
    }
    // What a crash after creating the temp file and before the rename leaves behind.
    Path usersTmp = stateDir.resolve("users/.alice.json.tmp");
    Path sessionsTmp = runDir.resolve("sessions/.alice.json.tmp");
    Files.writeString(usersTmp, "{\"schema\":1,\"user\":\"alice\",\"violations\":[\"2024-");
    Files.write(sessionsTmp, new byte[] {0, 0, 0, 0});

    assertEquals(good, store.peek("alice"));
    UserState next = good.withViolations(List.of(StoreWorker.BASE, StoreWorker.BASE.plusSeconds(1)))
        .withSessions(List.of(StoreWorker.session(8)));
    try (StateStore.Transaction tx = store.begin("alice")) {
      assertEquals(good, tx.state());
      tx.write(next);
    }
    assertEquals(next, store.peek("alice"));
    assertFalse(Files.exists(usersTmp));
    assertFalse(Files.exists(sessionsTmp));

    // A temp name that is a symlink is replaced, not written through.
    Path victim = Files.writeString(tmp.resolve("victim"), "untouched");
    Files.createSymbolicLink(usersTmp, victim);
    try (StateStore.Transaction tx = store.begin("alice")) {
      tx.write(good);
    }
    assertEquals(good, store.peek("alice"));
    assertEquals("untouched", Files.readString(victim));
    assertEquals(List.of(), reports);
  }

  @Test
  void lockHeldByAnotherProcessTimesOutWhileOtherUsersGoOn() throws Exception {
    Duration lockTimeout = Duration.ofSeconds(3);
    Process holder =
        start("holder", List.of("hold", stateDir.toString(), runDir.toString(), "alice"));
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (!Files.readString(out("holder")).contains("locked")) {
      assertTrue(holder.isAlive(), () -> "holder exited: " + stderr("holder"));
      assertTrue(System.nanoTime() < deadline, "holder did not lock within " + STARTUP);
      Thread.sleep(10);
    }
    FileStateStore store = open(lockTimeout);

    long start = System.nanoTime();
    CompletableFuture<Long> blocked = CompletableFuture.supplyAsync(() -> {
      StoreException e = assertThrows(StoreException.class, () -> store.begin("alice").close());
      assertTrue(e.getMessage().contains("lock_timeout"), e.getMessage());
      return System.nanoTime();
    });
    Thread.sleep(200); // so that the other user is taken while alice is being waited for
    long bobStart = System.nanoTime();
    try (StateStore.Transaction tx = store.begin("bob")) {
      tx.write(tx.state().withViolations(List.of(StoreWorker.BASE)));
    }
    long bobDone = System.nanoTime();
    long failedAt = blocked.get(lockTimeout.plusSeconds(10).toMillis(), TimeUnit.MILLISECONDS);

    long bobMillis = (bobDone - bobStart) / 1_000_000;
    long aliceMillis = (failedAt - start) / 1_000_000;
    assertTrue(bobDone < failedAt, "bob waited for alice's lock");
    assertTrue(bobMillis < lockTimeout.toMillis(), "bob took " + bobMillis + " ms");
    assertTrue(aliceMillis >= lockTimeout.toMillis(), "gave up early: " + aliceMillis + " ms");
    assertTrue(aliceMillis < lockTimeout.plusSeconds(3).toMillis(),
        "gave up late: " + aliceMillis + " ms");

    // The kernel drops the lock of a dead process: a crashed holder wedges nobody.
    holder.destroyForcibly();
    assertTrue(holder.waitFor(10, TimeUnit.SECONDS));
    long afterKill = System.nanoTime();
    try (StateStore.Transaction tx = store.begin("alice")) {
      assertTrue(tx.state().isEmpty());
    }
    System.out.printf("lock_timeout %d ms: begin gave up after %d ms; another user's "
        + "transaction took %d ms meanwhile; after the holder's kill begin took %d ms%n",
        lockTimeout.toMillis(), aliceMillis, bobMillis,
        (System.nanoTime() - afterKill) / 1_000_000);
  }

  // ---- child processes ----

  private Process start(String name, List<String> args) throws IOException {
    List<String> command = new ArrayList<>(List.of(javaBinary(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xshare:auto",
        "-Xmx64m", "-cp", testClassPath(), StoreWorker.class.getName()));
    command.addAll(args);
    Process p = new ProcessBuilder(command)
        .redirectOutput(out(name).toFile())
        .redirectError(tmp.resolve(name + ".err").toFile())
        .start();
    children.add(p);
    return p;
  }

  private Path out(String name) {
    return tmp.resolve(name + ".out");
  }

  private String stderr(String name) {
    try {
      return Files.readString(tmp.resolve(name + ".err"), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return "(no stderr: " + e + ")";
    }
  }

  /** The numbers a loop worker printed on complete lines. */
  private List<Long> committed(String name) throws IOException {
    String text = Files.readString(out(name));
    String complete = text.substring(0, text.lastIndexOf('\n') + 1);
    return complete.lines().map(Long::parseLong).toList();
  }

  private void awaitSuccess(Process p, String name, long deadlineNanos)
      throws InterruptedException {
    long left = Math.max(0, deadlineNanos - System.nanoTime());
    if (!p.waitFor(left, TimeUnit.NANOSECONDS)) {
      p.destroyForcibly();
      fail(name + " still running after " + RUN);
    }
    assertEquals(0, p.exitValue(), () -> name + " failed: " + stderr(name));
  }

  private static long count(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    }
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /**
   * Failsafe may start this JVM from a manifest-only jar; it then puts the real test class path
   * in {@code java.class.path} or {@code surefire.test.class.path}. Take whichever has our
   * test classes.
   */
  static String testClassPath() {
    for (String key : List.of("java.class.path", "surefire.test.class.path")) {
      String cp = System.getProperty(key);
      if (cp != null && Arrays.stream(cp.split(File.pathSeparator))
          .anyMatch(e -> e.endsWith("test-classes") || e.endsWith("test-classes/"))) {
        return cp;
      }
    }
    throw new IllegalStateException("no class path with test-classes: java.class.path="
        + System.getProperty("java.class.path"));
  }
}
