package org.loginwarden.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.cli.ExitCode;
import org.loginwarden.e2e.Exec;

/**
 * Hostile input to the real hook and CLI (PamHookIT covers hostile user names one by one):
 * every descriptive PAM variable at once with forged audit lines, traversal, shell
 * metacharacters, escape sequences, 64 KB values and invalid UTF-8; hostile state files; a
 * config with an error of every kind. Each gets a one-line error or is safely ignored: never
 * a stack trace, never a write outside the state directories, never a forged audit line.
 */
class HostileInputIT {

  /** Would be a second audit line if a value were written unescaped. */
  private static final String FORGED = "x\"}\n{\"event\":\"unlock\",\"user\":\"root\",\"by\":\"forged\"}\n";
  private static final byte[] BIG = "A".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
  private static final byte[] BAD_UTF8 = {'a', (byte) 0xff, (byte) 0xc0, '\n', (byte) 0x80};

  @TempDir Path tmp;

  @Test
  void hostilePamVariablesAreDroppedOrRefusedInOneLine() throws Exception {
    try (HookHarness h = new HookHarness(tmp, "on_error = closed\nmax_sessions = 1000")) {
      Files.deleteIfExists(tmp.resolve("hooks.err"));
      List<Map<String, byte[]>> described = List.of(
          vars("PAM_RHOST", FORGED, "PAM_TTY", "../../../../etc/shadow",
              "SSH_AUTH_INFO_0", "publickey ssh-ed25519 AAAA" + FORGED + "\u001b]0;pwned\u0007",
              "SSH_CONNECTION", "$(reboot) `id` ; rm -rf / 22"),
          vars("PAM_RHOST", BIG, "PAM_TTY", BIG, "SSH_AUTH_INFO_0", BIG, "SSH_CONNECTION", BIG),
          vars("PAM_RHOST", BAD_UTF8, "PAM_TTY", BAD_UTF8, "SSH_AUTH_INFO_0", BAD_UTF8,
              "SSH_CONNECTION", BAD_UTF8));
      int n = 0;
      for (Map<String, byte[]> env : described) {
        try (HookHarness.FakePriv p = h.session("hostile" + n++)) {
          assertEquals(0, p.run("open_session", -1, env), "a bad description refuses nothing");
          assertEquals(0, p.run("close_session", -1, env));
        }
      }
      assertEquals("", read(tmp.resolve("hooks.err")), "descriptive values are dropped quietly");

      // What identifies the login: refused, one line each, with exit 6.
      List<Map<String, byte[]>> refused = List.of(
          vars("PAM_USER", FORGED), vars("PAM_USER", BIG), vars("PAM_USER", BAD_UTF8),
          vars("PAM_USER", "../../etc/cron.d/x"), vars("PAM_SERVICE", "../" + HookHarness.SERVICE),
          vars("PAM_TYPE", BIG), vars("PAM_USER", null));
      for (Map<String, byte[]> env : refused) {
        try (HookHarness.FakePriv p = h.session("hostile")) {
          assertEquals(ExitCode.INPUT.code, p.run("open_session", -1, env), env.keySet().toString());
        }
      }
      List<String> errors = Files.readAllLines(tmp.resolve("hooks.err"));
      assertEquals(refused.size(), errors.size(), errors.toString());
      for (String e : errors) {
        assertOneCleanLine(e);
        assertTrue(e.length() < 300 && !e.contains("AAAAAAAA") && !e.contains("forged"), e);
      }

      List<JsonNode> audit = auditLines(h.auditLog);
      assertEquals(2 * described.size() + refused.size() + 2, audit.size(), "warm-up 2 lines");
      for (JsonNode line : audit) {
        assertFalse(line.path("by").asText().equals("forged"), line.toString());
        for (String field : List.of("rhost", "tty", "authMethod", "authKey", "reason")) {
          String v = line.path(field).asText("");
          assertTrue(v.length() < 5000 && v.chars().noneMatch(c -> c < 0x20), field + ": " + v);
        }
      }
      assertOnlyStoreFiles(h);
    }
  }

  @Test
  void hostileStateFilesGetOneLineAndAreMovedAside() throws Exception {
    try (HookHarness h = new HookHarness(tmp, "on_error = closed")) {
      Path users = h.stateDir.resolve("users");
      String big = "\"2024-05-01T12:00:00Z\",".repeat(5000);
      Map<String, String> files = new java.util.LinkedHashMap<>();
      files.put("types", "{\"schema\":1,\"user\":\"types\",\"violations\":{\"0\":true},\"lock\":7}");
      files.put("huge", "{\"schema\":1,\"user\":\"huge\",\"violations\":[" + big + "\"x\"]}");
      files.put("deep", "{\"schema\":1,\"user\":\"deep\",\"lock\":" + "[".repeat(5000)
          + "]".repeat(5000) + "}");
      files.put("binary", "\u0000\u0001\u00ff{\"schema\":1}");
      files.put("newer", "{\"schema\":99,\"user\":\"newer\",\"violations\":[]}");
      for (Map.Entry<String, String> f : files.entrySet()) {
        Files.writeString(users.resolve(f.getKey() + ".json"), f.getValue());
      }
      Files.deleteIfExists(tmp.resolve("hooks.err"));
      for (String user : files.keySet()) {
        try (HookHarness.FakePriv p = h.session(user)) {
          assertEquals(ExitCode.STATE.code, p.run("account", -1), user);
        }
      }
      List<String> errors = Files.readAllLines(tmp.resolve("hooks.err"));
      assertEquals(files.size(), errors.size(), errors.toString());
      errors.forEach(HostileInputIT::assertOneCleanLine);
      for (String user : files.keySet()) {
        boolean aside;
        try (Stream<Path> s = Files.list(users)) {
          aside = s.anyMatch(p -> p.getFileName().toString().startsWith(user + ".json.corrupt-"));
        }
        // A newer schema's file is kept as it is: a newer release wrote it.
        assertEquals(!user.equals("newer"), aside, user);
        assertEquals(user.equals("newer"), Files.exists(users.resolve(user + ".json")), user);
      }
      // Moved aside, each user starts afresh; the newer file keeps refusing, loudly.
      for (String user : files.keySet()) {
        try (HookHarness.FakePriv p = h.session(user)) {
          assertEquals(user.equals("newer") ? ExitCode.STATE.code : 0, p.run("account", -1), user);
        }
      }
      // One unreadable file hides no one else from status: a line for it, and exit 4.
      try (org.loginwarden.store.StateStore.Transaction tx = h.store().begin("types")) {
        tx.write(tx.state().withViolations(List.of(java.time.Instant.now())));
      }
      Exec.Result status = h.run("status");
      assertEquals(ExitCode.STATE.code, status.exit(), status.err());
      assertOneCleanLine(status.err().strip());
      assertTrue(status.err().contains("newer loginwarden"), status.err());
      assertTrue(status.out().contains("types"), status.out());
      assertOnlyStoreFiles(h);
    }
  }

  @Test
  void aConfigWithAnErrorOfEveryKindIsOneLine() throws Exception {
    try (HookHarness h = new HookHarness(tmp, "")) {
      Files.writeString(h.config, String.join("\n",
          "on_error = closed",
          "max_sessions = 0", "violations = many", "lock_time = 5 fortnights",
          "on_violation = explode", "dry_run = perhaps", "state_dir = relative/path",
          "services =", "no equals sign here", "bogus_key = 1", "[user]", "[user alice]",
          "audit_log = /tmp/x", "[robot r2d2]", "lock_timeout = 1h", "idle_timeout = 30s",
          "warn_before = 1m", "max_sessions = 1\u001b[2J\r", "\u00ff\u00fe", ""));
      Files.deleteIfExists(tmp.resolve("hooks.err"));
      try (HookHarness.FakePriv p = h.session("alice")) {
        assertEquals(ExitCode.CONFIG.code, p.run("account", -1));
      }
      Exec.Result status = h.run("status");
      assertEquals(ExitCode.CONFIG.code, status.exit());
      assertOneCleanLine(status.err().strip());
      String hookErr = Files.readAllLines(tmp.resolve("hooks.err")).get(0);
      assertOneCleanLine(hookErr);
      assertTrue(hookErr.matches("loginwarden: cannot read configuration: .*loginwarden\\.conf:2: "
          + ".* \\(and \\d+ more\\)"), hookErr);
      // Root still gets in when loginwarden cannot decide, even with on_error = closed.
      try (HookHarness.FakePriv root = h.session("root")) {
        assertEquals(0, root.run("account", -1));
        assertEquals(0, root.run("open_session", -1));
      }
    }
  }

  private static Map<String, byte[]> vars(Object... kv) {
    Map<String, byte[]> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      Object v = kv[i + 1];
      m.put((String) kv[i], v instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) v);
    }
    return m;
  }

  static void assertOneCleanLine(String err) {
    assertEquals(1, err.lines().count(), "exactly one line: " + err);
    assertTrue(err.startsWith("loginwarden: cannot "), err);
    assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
    assertTrue(err.chars().noneMatch(c -> c < 0x20 && c != '\t'), "control characters: " + err);
  }

  private static List<JsonNode> auditLines(Path log) throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      JsonNode n = json.readTree(line);
      assertTrue(n.isObject() && n.has("time") && n.has("event"), line);
      out.add(n);
    }
    return out;
  }

  /** Only the harness's own files and loginwarden's directories exist under the test dir. */
  private void assertOnlyStoreFiles(HookHarness h) throws Exception {
    try (Stream<Path> all = Files.walk(tmp)) {
      for (Path p : all.toList()) {
        boolean ok = p.equals(tmp) || p.startsWith(h.stateDir) || p.startsWith(h.runDir)
            || p.startsWith(tmp.resolve("log")) || p.equals(h.config)
            || p.getFileName().toString().matches("loginwarden\\.jsa|hooks\\.err|client\\.out|.*\\.out");
        assertTrue(ok, "written outside the state directories: " + p);
      }
    }
  }

  private static String read(Path p) throws java.io.IOException {
    return Files.exists(p) ? Files.readString(p) : "";
  }
}
