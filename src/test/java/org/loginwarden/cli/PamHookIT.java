package org.loginwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The built jar's {@code pam} command run as pam_exec runs it, with exactly the environment
 * given: bad input gets one line and the documented exit code, never a stack trace, never a
 * write outside the state directories, never a forged audit line.
 */
class PamHookIT {

  static final Path JAR = Path.of(System.getProperty("loginwarden.jar", "target/loginwarden.jar"))
      .toAbsolutePath();
  static final Path EXEC = Path.of("src/test/resources/e2e/exec_with_env.py").toAbsolutePath();

  @TempDir Path dir;
  Path config;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void writeConfig() throws IOException {
    config(dir, "");
  }

  void config(Path where, String extra) throws IOException {
    config = where.resolve("loginwarden.conf");
    Files.writeString(config, String.join("\n",
        "services = sshd-test",
        "state_dir = " + dir.resolve("state"),
        "run_dir = " + dir.resolve("run"),
        "audit_log = " + dir.resolve("log/audit.jsonl"),
        "log_file = " + dir.resolve("log/loginwarden.log"),
        extra, ""));
  }

  Run pam(Map<String, byte[]> env, String... prefix) throws Exception {
    List<String> c = new ArrayList<>(List.of(prefix));
    c.addAll(List.of("/usr/bin/python3", EXEC.toString()));
    for (Map.Entry<String, byte[]> e : env.entrySet()) {
      c.add(e.getKey() + "=" + HexFormat.of().formatHex(e.getValue()));
    }
    c.addAll(List.of("--", "/usr/bin/java", "-jar", JAR.toString(), "--config",
        config.toString(), "pam"));
    return run(c);
  }

  static Run run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    var out = p.getInputStream();
    var err = p.getErrorStream();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("hung: " + command);
    }
    return new Run(p.exitValue(), new String(out.readAllBytes(), StandardCharsets.UTF_8),
        new String(err.readAllBytes(), StandardCharsets.UTF_8));
  }

  static Map<String, byte[]> env(String type, byte[] user) {
    Map<String, byte[]> env = new LinkedHashMap<>();
    env.put("PAM_TYPE", type.getBytes(StandardCharsets.UTF_8));
    env.put("PAM_USER", user);
    env.put("PAM_SERVICE", "sshd-test".getBytes(StandardCharsets.UTF_8));
    env.put("PAM_RHOST", "127.0.0.1".getBytes(StandardCharsets.UTF_8));
    return env;
  }

  static void assertOneCleanLine(String err) {
    assertEquals(1, err.lines().count(), "exactly one line: " + err);
    assertTrue(err.startsWith("loginwarden: "), err);
    assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
  }

  /** Every audit line parses as one JSON object with the expected fields. */
  List<JsonNode> auditLines() throws IOException {
    Path log = dir.resolve("log/audit.jsonl");
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(log)) {
      return out;
    }
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(log)) {
      JsonNode n = json.readTree(line);
      assertTrue(n.isObject() && n.has("time") && n.has("event") && n.has("user"), line);
      out.add(n);
    }
    return out;
  }

  /** Nothing but loginwarden's own directories and the config may appear in the test dir. */
  void assertNothingWrittenOutsideStateDirs() throws IOException {
    try (Stream<Path> all = Files.list(dir)) {
      for (Path p : all.toList()) {
        String name = p.getFileName().toString();
        assertTrue(List.of("state", "run", "log", "loginwarden.conf").contains(name),
            "unexpected " + p);
      }
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.toList()) {
        String rel = dir.relativize(p).toString();
        assertFalse(rel.contains(".."), rel);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"2e2e2f78", "2e2e", "612f62", "610a62", "fffe61", "2d2d68656c70",
      "613a62", "61206220", "1b5b324a"})
  void aHostileUserNameIsOneLineAndOnErrorDecides(String hex) throws Exception {
    byte[] user = HexFormat.of().parseHex(hex);

    Run open = pam(env("open_session", user));
    assertEquals(0, open.exit(), "on_error = open lets it through: " + open.err());
    assertOneCleanLine(open.err());
    assertEquals("", open.out(), "nothing for the client when letting it in");

    config(dir, "on_error = closed");
    Run closed = pam(env("open_session", user));
    assertEquals(ExitCode.INPUT.code, closed.exit(), closed.err());
    assertOneCleanLine(closed.err());
    assertTrue(closed.out().startsWith("loginwarden: login refused"), closed.out());

    List<JsonNode> audit = auditLines();
    assertEquals(2, audit.size(), "one error line per call");
    for (JsonNode n : audit) {
      assertEquals("error", n.get("event").asText());
    }
    assertNothingWrittenOutsideStateDirs();
  }

  @Test
  void shellMetacharactersInAValidNameAreJustData() throws Exception {
    // '$(reboot);`id`' is an odd but possible account name: it never meets a shell, and its
    // file name is encoded. No account of that name exists, so nothing is locked either.
    byte[] user = "$(reboot);`id`".getBytes(StandardCharsets.UTF_8);
    Run r = pam(env("account", user));
    assertEquals(0, r.exit(), r.err());
    assertEquals("", r.err());
    assertNothingWrittenOutsideStateDirs();
  }

  @Test
  void aHugeUserNameIsRefusedWithoutEchoingIt() throws Exception {
    byte[] user = "a".repeat(10 * 1024).getBytes(StandardCharsets.US_ASCII);
    config(dir, "on_error = closed");
    Run r = pam(env("account", user));
    assertEquals(ExitCode.INPUT.code, r.exit());
    assertOneCleanLine(r.err());
    assertTrue(r.err().length() < 300, r.err());
    assertNothingWrittenOutsideStateDirs();
  }

  @Test
  void missingVariablesAreAnInputError() throws Exception {
    Map<String, byte[]> env = env("account", "alice".getBytes(StandardCharsets.US_ASCII));
    env.remove("PAM_USER");
    config(dir, "on_error = closed");
    Run r = pam(env);
    assertEquals(ExitCode.INPUT.code, r.exit());
    assertOneCleanLine(r.err());
    assertTrue(r.err().contains("PAM_USER"), r.err());
  }

  @Test
  void rootGetsInEvenWhenClosedAndFailing() throws Exception {
    Files.writeString(dir.resolve("loginwarden.conf"), "on_error = closed\nbogus_key = 1\n");
    config = dir.resolve("loginwarden.conf");
    Run root = pam(env("account", "root".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(0, root.exit(), root.err());
    Run alice = pam(env("account", "alice".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(ExitCode.CONFIG.code, alice.exit(), alice.err());
    assertOneCleanLine(alice.err());
    assertTrue(alice.err().contains("loginwarden.conf:2: unknown key 'bogus_key'"), alice.err());
  }

  @Test
  void aBrokenConfigFollowsTheDefaultOpenWhenOnErrorIsUnreadable() throws Exception {
    Files.writeString(dir.resolve("loginwarden.conf"), "max_sessions = many\n");
    config = dir.resolve("loginwarden.conf");
    Run r = pam(env("account", "alice".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(0, r.exit());
    assertOneCleanLine(r.err());
    assertTrue(r.err().contains(":1: expected a whole number"), r.err());
  }

  @Test
  void otherServicesPassThroughUntouched() throws Exception {
    Map<String, byte[]> env = env("open_session", "alice".getBytes(StandardCharsets.US_ASCII));
    env.put("PAM_SERVICE", "su".getBytes(StandardCharsets.US_ASCII));
    Run r = pam(env);
    assertEquals(0, r.exit(), r.err());
    assertEquals("", r.err());
    assertFalse(Files.exists(dir.resolve("state")), "nothing created for another service");
  }

  @Test
  void aCorruptStateFileIsMovedAsideReportedAndOnErrorDecides() throws Exception {
    config(dir, "on_error = closed");
    Path users = dir.resolve("state/users");
    Files.createDirectories(dir.resolve("state"));
    Run first = pam(env("account", "alice".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(0, first.exit(), "a clean store lets alice in: " + first.err());
    Files.writeString(users.resolve("alice.json"), "{\"schema\":1,\"user\":\"alice\",\"lock\":[");

    Run broken = pam(env("account", "alice".getBytes(StandardCharsets.US_ASCII)));

    assertEquals(ExitCode.STATE.code, broken.exit(), broken.err());
    assertOneCleanLine(broken.err());
    assertTrue(broken.err().contains("corrupt"), broken.err());
    try (Stream<Path> files = Files.list(users)) {
      assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith("alice.json.corrupt-")));
    }
    assertTrue(auditLines().stream().anyMatch(n -> n.get("event").asText().equals("error")
        && n.get("reason").asText().contains("corrupt")));
    Run after = pam(env("account", "alice".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(0, after.exit(), "the next call starts afresh: " + after.err());
  }

  @Test
  void anUnsafeStateDirectoryIsRefusedLoudly() throws Exception {
    config(dir, "on_error = closed");
    Files.createDirectories(dir.resolve("state"));
    Files.setPosixFilePermissions(dir.resolve("state"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    Run r = pam(env("open_session", "alice".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(ExitCode.STATE.code, r.exit(), r.err());
    assertOneCleanLine(r.err());
    assertTrue(r.err().contains("writable by group or others"), r.err());
  }

  @Test
  void nonRootCallersAreRefusedAndChangeNothing() throws Exception {
    List<String> asNobody = List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
        "--clear-groups");
    Run hook = pam(env("account", "alice".getBytes(StandardCharsets.US_ASCII)),
        asNobody.toArray(String[]::new));
    assertEquals(ExitCode.PERMISSION.code, hook.exit(), hook.err());
    assertOneCleanLine(hook.err());
    for (String command : List.of("lock", "unlock", "kick")) {
      List<String> c = new ArrayList<>(asNobody);
      c.addAll(List.of("/usr/bin/java", "-jar", JAR.toString(), "--config", config.toString(),
          command, "alice"));
      Run r = run(c);
      assertEquals(ExitCode.PERMISSION.code, r.exit(), command + ": " + r.err());
      assertOneCleanLine(r.err());
      assertTrue(r.err().contains("needs root"), r.err());
    }
    assertFalse(Files.exists(dir.resolve("state")), "nothing was created");
  }

  @Test
  void nonRootCallersOnAnExistingStoreAreRefusedAndChangeNothing() throws Exception {
    String ldapUser = "ldap-only@corp.example";
    List<String> cli = List.of("/usr/bin/java", "-jar", JAR.toString(), "--config",
        config.toString());
    assertEquals(0, run(concat(cli, "lock", ldapUser)).exit());
    Map<Path, String> before = snapshot();
    List<String> asNobody = List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
        "--clear-groups");
    // status shows nothing to a non-root caller: the store is root's alone (0700).
    for (List<String> args : List.of(List.of("status"), List.of("status", ldapUser),
        List.of("status", "--json"), List.of("unlock", ldapUser), List.of("kick", ldapUser),
        List.of("sweep"), List.of("lock", "alice"))) {
      List<String> c = new ArrayList<>(asNobody);
      c.addAll(cli);
      c.addAll(args);
      Run r = run(c);
      assertEquals(ExitCode.PERMISSION.code, r.exit(), args + ": " + r.err());
      assertOneCleanLine(r.err());
      assertTrue(r.err().contains("needs root"), r.err());
      assertEquals("", r.out(), args + " printed something");
    }
    assertEquals(before, snapshot(), "a non-root caller changed the store");
  }

  @Test
  void aSymlinkedStateDirectoryIsRefusedLoudly() throws Exception {
    config(dir, "on_error = closed");
    // The link points at run_dir's own path: a directory loginwarden would otherwise use.
    Path elsewhere = Files.createDirectory(dir.resolve("run"));
    Files.createSymbolicLink(dir.resolve("state"), elsewhere);
    Run r = pam(env("open_session", "alice".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(ExitCode.STATE.code, r.exit(), r.err());
    assertOneCleanLine(r.err());
    assertTrue(r.err().contains("state: it is a symbolic link"), r.err());
    assertTrue(auditLines().stream().anyMatch(n -> n.get("event").asText().equals("error")
        && n.get("reason").asText().contains("symbolic link")), "the audit trail says so");
    try (Stream<Path> inside = Files.list(elsewhere)) {
      assertEquals(List.of(), inside.toList(), "nothing created through the link");
    }
  }

  /** Every file under the test dir and its content. */
  private Map<Path, String> snapshot() throws IOException {
    Map<Path, String> out = new java.util.TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.filter(Files::isRegularFile).toList()) {
        out.put(p, Files.readString(p));
      }
    }
    return out;
  }

  @Test
  void adminCommandsOnAUserWithoutShadowEntryUseLoginwardensOwnLock() throws Exception {
    String ldapUser = "ldap-only@corp.example";
    List<String> cli = List.of("/usr/bin/java", "-jar", JAR.toString(), "--config",
        config.toString());
    Run lock = run(concat(cli, "lock", ldapUser));
    assertEquals(0, lock.exit(), lock.err());
    Run refused = pam(env("account", ldapUser.getBytes(StandardCharsets.UTF_8)));
    assertEquals(ExitCode.REFUSED.code, refused.exit(), "the account hook enforces it");
    Run table = run(concat(cli, "status"));
    assertEquals(0, table.exit(), table.err());
    assertTrue(table.out().contains(ldapUser), table.out());
    assertTrue(table.out().contains("1 users listed") || table.out().contains("1 user listed"),
        table.out());
    Run unlock = run(concat(cli, "unlock", ldapUser));
    assertEquals(0, unlock.exit(), unlock.err());
    assertEquals(0, pam(env("account", ldapUser.getBytes(StandardCharsets.UTF_8))).exit());
    assertEquals(ExitCode.USAGE.code, run(concat(cli, "lock", "root")).exit());
    assertEquals(ExitCode.USAGE.code, run(concat(cli, "lock", "../etc")).exit());
    assertTrue(auditLines().stream().anyMatch(n -> n.get("event").asText().equals("lock")));
    assertTrue(auditLines().stream().anyMatch(n -> n.get("event").asText().equals("unlock")));
  }

  static List<String> concat(List<String> a, String... b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(List.of(b));
    return out;
  }
}
