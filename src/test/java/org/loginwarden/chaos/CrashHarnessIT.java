package org.loginwarden.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.core.Session;
import org.loginwarden.core.SessionKey;
import org.loginwarden.e2e.Exec;
import org.loginwarden.store.FileStateStore;

/**
 * Crash at any point: the real hook (open, account, close) and the real watcher are SIGKILLed
 * at random moments of their whole run, {@value #KILLS} times in all (or as many as fit in
 * {@value #SECONDS} s, at least {@value #MIN_KILLS}), several processes at
 * once on a handful of users. Every unkilled hook must succeed (on_error = closed, so a store
 * failure shows), and afterwards every state file parses, no lock is held, no live session is
 * lost, no ended one is counted, and nothing corrupt ever sat under a state file's name.
 *
 * <p>The seed is printed; {@code -Dloginwarden.crash.seed=N} replays the same choices (users,
 * which hooks to kill, at which fraction of a hook's measured run time); the interleaving of
 * processes is the machine's. {@code -Dloginwarden.crash.kills=N} and
 * {@code -Dloginwarden.crash.seconds=S} change the count and the time box.
 */
class CrashHarnessIT {

  static final int KILLS = 1000;
  /**
   * The suite's time box: the harness stops at KILLS or after this long, whichever comes
   * first (a JVM per hook: on two busy cores 1,000 kills took 384 s), and needs MIN_KILLS.
   */
  static final int SECONDS = 180;
  static final int MIN_KILLS = 300;
  private static final int SLOTS = 4;
  private static final int USERS = 8;
  private static final int PARKED_PER_SLOT = 3;
  private static final double KILL_SHARE = 0.85;
  /** The watcher is restarted for every kill: a tenth of the kills at most. */
  private static final double WATCHER_SHARE = 0.1;

  @TempDir Path tmp;

  private final Map<SessionKey, String> live = new ConcurrentHashMap<>();
  private final Set<SessionKey> closed = ConcurrentHashMap.newKeySet();
  private final Set<SessionKey> unsure = ConcurrentHashMap.newKeySet();
  private final AtomicInteger kills = new AtomicInteger();
  private final AtomicInteger hookRuns = new AtomicInteger();
  private final AtomicInteger inTransaction = new AtomicInteger();
  private final AtomicInteger midWrite = new AtomicInteger();
  private final AtomicInteger afterCommit = new AtomicInteger();
  private final AtomicInteger watcherKills = new AtomicInteger();
  private final AtomicInteger watcherInTransaction = new AtomicInteger();
  /** Running estimate of an unkilled hook's wall time: the span kill times are drawn from. */
  private final AtomicLong hookMillis = new AtomicLong(1500);
  private long deadline;
  private final List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void killedHooksAndWatchersLoseNothing() throws Exception {
    long seed = Long.getLong("loginwarden.crash.seed", System.nanoTime());
    int target = Integer.getInteger("loginwarden.crash.kills", KILLS);
    long seconds = Long.getLong("loginwarden.crash.seconds", SECONDS);
    System.out.printf("crash harness: seed %d (replay: -Dloginwarden.crash.seed=%d), %d kills "
        + "or %d s%n", seed, seed, target, seconds);
    long started = System.nanoTime();
    deadline = started + TimeUnit.SECONDS.toNanos(seconds);
    try (HookHarness h = new HookHarness(tmp, String.join("\n", "max_sessions = 1000",
        "on_error = closed", "lock_timeout = 20s", "sweep_interval = 1s"))) {
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < SLOTS; i++) {
        Random r = new Random(seed + i);
        threads.add(thread("slot-" + i, () -> slot(h, r, target)));
      }
      Random wr = new Random(seed - 1);
      threads.add(thread("watcher", () -> watcher(h, wr, target)));
      for (Thread t : threads) {
        t.join(TimeUnit.MINUTES.toMillis(14));
      }
      if (!failures.isEmpty()) {
        AssertionError e = new AssertionError(failures.size() + " failures (seed " + seed
            + "), first: " + failures.get(0) + "\n" + tail(tmp.resolve("hooks.err")));
        failures.forEach(e::addSuppressed);
        throw e;
      }
      assertTrue(kills.get() >= Math.min(target, MIN_KILLS), "only " + kills.get() + " kills");
      checkStore(h, seed);
      // One sweep drops the records of sessions whose [priv] is gone: then they equal the truth.
      Exec.Result sweep = h.run("sweep");
      assertEquals(0, sweep.exit(), sweep.err());
      assertEquals(live.keySet(), recordedKeys(h.store()), "after a sweep (seed " + seed + ")");
      System.out.printf("crash harness: %d kills in %d s (seed %d): %d hook runs, %d hooks "
          + "killed (%d holding the store lock, %d leaving a temp file, %d of open/close after "
          + "their commit), %d watchers killed (%d holding a lock); %d sessions live at the "
          + "end, %d closed, %d whose open or close was killed%n", kills.get(),
          (System.nanoTime() - started) / 1_000_000_000, seed, hookRuns.get(),
          kills.get() - watcherKills.get(), inTransaction.get(), midWrite.get(),
          afterCommit.get(), watcherKills.get(), watcherInTransaction.get(), live.size(),
          closed.size(), unsure.size());
    }
  }

  private boolean going(int target) {
    return kills.get() < target && System.nanoTime() < deadline && failures.isEmpty();
  }

  private Thread thread(String name, ThrowingRunnable body) {
    Thread t = new Thread(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        failures.add(e);
      }
    }, name);
    t.start();
    return t;
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  /** One stream of sessions: open, maybe stay a while, account, close; any hook may be killed. */
  private void slot(HookHarness h, Random r, int target) throws Exception {
    List<HookHarness.FakePriv> parked = new ArrayList<>();
    while (going(target)) {
      HookHarness.FakePriv p = h.session("u" + r.nextInt(USERS));
      if (!hook(h, p, "open_session", r)) {
        p.close();
        continue;
      }
      if (parked.size() < PARKED_PER_SLOT && r.nextInt(3) == 0) {
        parked.add(p);
      } else {
        finish(h, p, r);
      }
      if (!parked.isEmpty() && r.nextInt(4) == 0) {
        finish(h, parked.remove(r.nextInt(parked.size())), r);
      }
    }
    // The parked sessions stay live for the final checks; the harness ends them afterwards.
  }

  private void finish(HookHarness h, HookHarness.FakePriv p, Random r) throws Exception {
    if (r.nextInt(3) == 0) {
      hook(h, p, "account", r); // a read on the fast path: a few suffice
    }
    hook(h, p, "close_session", r);
    p.close();
  }

  /** Runs one hook, perhaps killed; checks what it must have done. Returns whether it ran. */
  private boolean hook(HookHarness h, HookHarness.FakePriv p, String type, Random r)
      throws Exception {
    boolean kill = r.nextDouble() < KILL_SHARE;
    long delay = kill ? (long) (r.nextDouble() * hookMillis.get()) : -1;
    long t0 = System.nanoTime();
    int exit = p.run(type, delay);
    hookRuns.incrementAndGet();
    boolean opening = type.equals("open_session");
    boolean closing = type.equals("close_session");
    if (exit == HookHarness.KILLED || exit == HookHarness.KILLED_HOLDING_LOCK) {
      kills.incrementAndGet();
      if (exit == HookHarness.KILLED_HOLDING_LOCK) {
        inTransaction.incrementAndGet();
      }
      if (opening || closing) {
        live.remove(p.key);
        unsure.add(p.key);
        // What the kill interrupted, as far as can be told from outside (a lower bound:
        // another writer of the user may already have replaced the temp file).
        if (tempFileOf(h, p.user)) {
          midWrite.incrementAndGet();
        } else if (recorded(h, p) == opening) {
          afterCommit.incrementAndGet();
        }
      }
      return false;
    }
    long millis = (System.nanoTime() - t0) / 1_000_000;
    hookMillis.updateAndGet(m -> (m * 7 + millis) / 8);
    assertEquals(0, exit, type + " of " + p.user + " failed");
    if (opening) {
      live.put(p.key, p.user);
      assertTrue(recorded(h, p), "a live session of " + p.user + " is not recorded");
    } else if (closing) {
      live.remove(p.key);
      closed.add(p.key);
      assertTrue(!recorded(h, p), "a closed session of " + p.user + " is still recorded");
    }
    return true;
  }

  /** Starts and SIGKILLs the watcher at random moments until the target is reached. */
  private void watcher(HookHarness h, Random r, int target) throws Exception {
    int n = 0;
    while (going(target) && watcherKills.get() < target * WATCHER_SHARE) {
      Process w = h.start("watch-" + (n++ % 4), "watch");
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(r.nextInt(2500));
      while (System.nanoTime() < until && w.isAlive()) {
        Thread.sleep(5);
      }
      assertTrue(w.isAlive(), "watch exited by itself with " + (w.isAlive() ? 0 : w.exitValue()));
      boolean locked = HookHarness.holdsLock(w.pid());
      w.destroyForcibly();
      assertTrue(w.waitFor(10, TimeUnit.SECONDS));
      kills.incrementAndGet();
      watcherKills.incrementAndGet();
      if (locked) {
        watcherInTransaction.incrementAndGet();
      }
    }
  }

  private static boolean tempFileOf(HookHarness h, String user) {
    return Files.exists(h.runDir.resolve("sessions/." + user + ".json.tmp"))
        || Files.exists(h.stateDir.resolve("users/." + user + ".json.tmp"));
  }

  private static boolean recorded(HookHarness h, HookHarness.FakePriv p) throws Exception {
    return h.store().peek(p.user).sessions().stream().anyMatch(s -> s.key().equals(p.key));
  }

  /** The end state, with every process of the harness gone but the parked sessions' [priv]s. */
  private void checkStore(HookHarness h, long seed) throws Exception {
    String why = " (seed " + seed + ")";
    assertEquals(List.of(), h.heldLocks(), "a lock is still held" + why);
    assertEquals(List.of(), h.files(".corrupt-"), "a corrupt file was moved aside" + why);
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> all = Files.walk(tmp)) {
      for (Path f : all.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
        assertTrue(json.readTree(Files.readAllBytes(f)).isObject(), f + " does not parse" + why);
      }
    }
    for (String line : Files.readAllLines(h.auditLog)) {
      assertTrue(json.readTree(line).has("event"), "torn audit line: " + line + why);
    }
    Set<SessionKey> recorded = recordedKeys(h.store());
    for (SessionKey k : live.keySet()) {
      assertTrue(recorded.contains(k), "live session " + k + " lost" + why);
    }
    for (SessionKey k : recorded) {
      assertTrue(!closed.contains(k), "closed session " + k + " still recorded" + why);
      assertTrue(live.containsKey(k) || unsure.contains(k), "unknown session " + k + why);
    }
  }

  private static Set<SessionKey> recordedKeys(FileStateStore store) throws Exception {
    Set<SessionKey> recorded = new HashSet<>();
    for (String user : store.users()) {
      for (Session s : store.peek(user).sessions()) {
        recorded.add(s.key());
      }
    }
    return recorded;
  }

  private static String tail(Path p) {
    try {
      List<String> lines = Files.readAllLines(p);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }
}
