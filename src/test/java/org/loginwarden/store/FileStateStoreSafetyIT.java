package org.loginwarden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.loginwarden.core.UserState;

/**
 * What {@link FileStateStore} refuses, on a real file system: unsafe directories, names that
 * could reach outside the store, symlinked files, and corrupt files (moved aside, reported
 * once, and out of the way of the next transaction).
 */
class FileStateStoreSafetyIT {

  private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");

  @TempDir Path tmp;
  private Path stateDir;
  private Path runDir;
  private final List<String> reports = new CopyOnWriteArrayList<>();

  @BeforeEach
  void paths() {
    stateDir = tmp.resolve("state");
    runDir = tmp.resolve("run");
  }

  private FileStateStore open() throws StoreException {
    return FileStateStore.open(stateDir, runDir, Duration.ofSeconds(2), true,
        Clock.fixed(NOW, ZoneOffset.UTC), reports::add);
  }

  // ---- directories ----

  @ParameterizedTest
  @ValueSource(strings = {"state", "state/users", "run", "run/locks", "run/sessions"})
  void groupOrWorldWritableDirectoryIsRefused(String dir) throws Exception {
    open();
    for (String mode : List.of("rwxrwx---", "rwx---rwx", "rwxrwxrwx")) {
      Files.setPosixFilePermissions(tmp.resolve(dir), PosixFilePermissions.fromString(mode));
      StoreException e = assertThrows(StoreException.class, this::open, mode);
      assertTrue(e.getMessage().contains(tmp.resolve(dir) + ": writable by group or others"),
          e.getMessage());
    }
    Files.setPosixFilePermissions(tmp.resolve(dir), PosixFilePermissions.fromString("rwx------"));
    open();
  }

  @Test
  void groupWritableStateDirIsRefusedBeforeAnythingIsCreatedInIt() throws Exception {
    Files.createDirectory(stateDir,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.setPosixFilePermissions(stateDir, PosixFilePermissions.fromString("rwxrwx---"));
    assertThrows(StoreException.class, this::open);
    assertEquals(List.of(), list(stateDir));
  }

  @Test
  void symlinkedStateDirIsRefusedAndItsTargetLeftAlone() throws Exception {
    Path real = Files.createDirectory(tmp.resolve("elsewhere"));
    Files.createSymbolicLink(stateDir, real);
    StoreException e = assertThrows(StoreException.class, this::open);
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    assertEquals(List.of(), list(real));
  }

  @Test
  void symlinkedSubdirectoryIsRefused() throws Exception {
    open();
    Path real = Files.createDirectory(tmp.resolve("elsewhere"));
    Files.delete(runDir.resolve("locks"));
    Files.createSymbolicLink(runDir.resolve("locks"), real);
    StoreException e = assertThrows(StoreException.class, this::open);
    assertTrue(e.getMessage().contains(runDir.resolve("locks") + ": it is a symbolic link"),
        e.getMessage());
  }

  @Test
  void directoryOwnedBySomeoneElseIsRefused() throws Exception {
    open();
    Files.setAttribute(runDir.resolve("sessions"), "unix:uid", 65534);
    StoreException e = assertThrows(StoreException.class, this::open);
    assertTrue(e.getMessage().contains("owned by"), e.getMessage());
  }

  @Test
  void readerDoesNotCreateMissingDirectories() {
    assertThrows(StoreException.class, () -> FileStateStore.open(stateDir, runDir,
        Duration.ofSeconds(2), false, Clock.systemUTC(), reports::add));
    assertFalse(Files.exists(stateDir));
  }

  // ---- user names ----

  @ParameterizedTest
  @ValueSource(strings = {"../x", "../../x", "../../../../../tmp/loginwarden-escape", "a/b",
      "/etc/passwd", "a\nb", "alice\n", "a\rb", "a\u0000b", "a\u0085b", "a\u2028b", "a b", "\t",
      "..", ".", "", "-rf", "a:b", "bad\uFFFDutf8", "lone\uD800surrogate", "no\u00A0break"})
  void hostileNameIsRefusedAndCreatesNothing(String name) throws Exception {
    FileStateStore store = open();
    List<Path> before = tree();
    StoreException b = assertThrows(StoreException.class, () -> store.begin(name));
    StoreException p = assertThrows(StoreException.class, () -> store.peek(name));
    assertTrue(b.getMessage().startsWith("refusing user name"), b.getMessage());
    assertTrue(p.getMessage().startsWith("refusing user name"), p.getMessage());
    assertEquals(before, tree());
    for (Path dir : List.of(runDir.resolve("locks"), stateDir.resolve("users"))) {
      for (String suffix : List.of(".lock", ".json")) {
        try {
          assertFalse(Files.exists(dir.resolve(name + suffix).normalize()));
        } catch (InvalidPathException e) {
          // a NUL byte cannot name a file at all
        }
      }
    }
  }

  @Test
  void nullAndOverlongNamesAreRefused() throws Exception {
    FileStateStore store = open();
    assertThrows(StoreException.class, () -> store.begin(null));
    assertThrows(StoreException.class, () -> store.peek("a".repeat(UserNames.MAX_BYTES + 1)));
  }

  @Test
  void oddButValidNamesStayInsideTheStoreAndRoundTrip() throws Exception {
    List<String> names = List.of(".hidden", "%2Ehidden", "a..b", "x.lock", "x.json.tmp",
        "CORP\\alice", "alice@corp.example", "j\u00fcrgen", "~digest", "a".repeat(256));
    FileStateStore store = open();
    for (String name : names) {
      try (StateStore.Transaction tx = store.begin(name)) {
        tx.write(tx.state().withViolations(List.of(NOW))
            .withSessions(List.of(StoreWorker.session(1))));
      }
    }
    Set<Path> dirs = Set.of(runDir.resolve("locks"), runDir.resolve("sessions"),
        stateDir.resolve("users"));
    for (Path p : tree()) {
      assertTrue(Files.isDirectory(p) || dirs.contains(p.getParent()), "stray file " + p);
    }
    // Three files each (lock, sessions, users): no two names share one.
    assertEquals(3 * names.size(), tree().stream().filter(Files::isRegularFile).count());
    assertEquals(names.stream().sorted().toList(), store.users());
    for (String name : names) {
      UserState s = store.peek(name);
      assertEquals(name, s.user());
      assertEquals(List.of(NOW), s.violations());
    }
  }

  // ---- symlinked files ----

  @Test
  void symlinkedStateFileIsNotFollowed() throws Exception {
    FileStateStore store = open();
    Path victim = tmp.resolve("victim.json");
    Files.write(victim, StateCodec.writePersistent("alice", List.of(NOW), null));
    byte[] original = Files.readAllBytes(victim);
    Files.createSymbolicLink(stateDir.resolve("users/alice.json"), victim);
    assertThrows(StoreException.class, () -> store.peek("alice"));
    assertThrows(StoreException.class, () -> store.begin("alice"));
    assertTrue(Files.isSymbolicLink(stateDir.resolve("users/alice.json")));
    assertEquals(new String(original), new String(Files.readAllBytes(victim)));
    assertEquals(List.of(), reports);
  }

  @Test
  void symlinkedLockFileIsNotFollowed() throws Exception {
    FileStateStore store = open();
    Path victim = tmp.resolve("victim.lock");
    Files.createSymbolicLink(runDir.resolve("locks/bob.lock"), victim);
    StoreException e = assertThrows(StoreException.class, () -> store.begin("bob"));
    assertTrue(e.getMessage().startsWith("cannot open lock of bob"), e.getMessage());
    assertFalse(Files.exists(victim));
  }

  // ---- corrupt files ----

  @Test
  void corruptUsersFileIsMovedAsideReportedOnceAndTheNextBeginWorks() throws Exception {
    FileStateStore store = open();
    try (StateStore.Transaction tx = store.begin("alice")) {
      tx.write(tx.state().withViolations(List.of(NOW))
          .withSessions(List.of(StoreWorker.session(9))));
    }
    Path file = stateDir.resolve("users/alice.json");
    String torn = "{\"schema\":1,\"user\":\"alice\",\"violations\":[\"2024-05-01T1";
    Files.writeString(file, torn);

    // A lock-free reader reports the problem but leaves the file to the next writer.
    assertThrows(StoreException.class, () -> store.peek("alice"));
    assertTrue(Files.exists(file));
    assertEquals(List.of(), reports);

    StoreException e = assertThrows(StoreException.class, () -> store.begin("alice"));
    Path aside = stateDir.resolve("users/alice.json.corrupt-" + NOW.toEpochMilli());
    assertEquals(1, reports.size(), reports.toString());
    assertTrue(reports.get(0).contains("moved to " + aside), reports.get(0));
    assertEquals(reports.get(0), e.getMessage());
    assertFalse(reports.get(0).contains("\n"));
    assertEquals(torn, Files.readString(aside));
    assertFalse(Files.exists(file));

    try (StateStore.Transaction tx = store.begin("alice")) {
      assertEquals(List.of(), tx.state().violations());
      assertEquals(List.of(StoreWorker.session(9)), tx.state().sessions(), "sessions survive");
      tx.write(tx.state().withViolations(List.of(NOW)));
    }
    assertEquals(List.of(NOW), store.peek("alice").violations());
    assertEquals(List.of("alice"), store.users());
    assertEquals(1, reports.size());
  }

  @Test
  void corruptSessionsFileIsMovedAsideAndViolationsSurvive() throws Exception {
    FileStateStore store = open();
    try (StateStore.Transaction tx = store.begin("alice")) {
      tx.write(tx.state().withViolations(List.of(NOW))
          .withSessions(List.of(StoreWorker.session(9))));
    }
    // Valid JSON, but another user's: as corrupt as a torn file.
    Files.write(runDir.resolve("sessions/alice.json"),
        StateCodec.writeSessions("mallory", List.of(StoreWorker.session(9))));

    assertThrows(StoreException.class, () -> store.begin("alice"));
    assertEquals(1, reports.size());
    assertTrue(Files.exists(runDir.resolve("sessions/alice.json.corrupt-" + NOW.toEpochMilli())));
    try (StateStore.Transaction tx = store.begin("alice")) {
      assertEquals(List.of(), tx.state().sessions());
      assertEquals(List.of(NOW), tx.state().violations());
    }
  }

  @Test
  void fileOfANewerSchemaIsNeitherOverwrittenNorMovedAside() throws Exception {
    FileStateStore store = open();
    Path file = stateDir.resolve("users/alice.json");
    String newer = "{\"schema\":2,\"user\":\"alice\",\"violations\":[],\"future\":true}\n";
    Files.writeString(file, newer);
    StoreException e = assertThrows(StoreException.class, () -> store.begin("alice"));
    assertTrue(e.getMessage().contains("newer loginwarden"), e.getMessage());
    // The lock-free read refuses it too: the account hook's fast path must not miss a lock
    // that a newer release recorded in a form this one cannot see.
    StoreException p = assertThrows(StoreException.class, () -> store.peek("alice"));
    assertTrue(p.getMessage().contains("newer loginwarden"), p.getMessage());
    assertEquals(newer, Files.readString(file));
    assertEquals(List.of(), reports);
  }

  // ---- helpers ----

  /** Every path under the temp dir, sorted. */
  private List<Path> tree() throws IOException {
    try (Stream<Path> all = Files.walk(tmp)) {
      return all.sorted().toList();
    }
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return new ArrayList<>(s.toList());
    }
  }
}
