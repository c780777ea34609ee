package org.loginwarden.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loginwarden.cli.ExitCode;
import org.loginwarden.core.Lock;
import org.loginwarden.store.StateStore;

/**
 * Never lock out the admins: root and exempt users are never refused, kicked or locked,
 * whatever the config says (root left out of exempt_users, a [user root] section, one
 * session, one violation locks), not even with a lock recorded in their state; and with
 * on_error = closed a broken store still lets root in. A plain user under the same config is
 * refused, so the config does bite.
 */
class AdminsIT {

  @TempDir Path tmp;

  @Test
  void rootAndExemptUsersAreNeverRefusedKickedOrLocked() throws Exception {
    try (HookHarness h = new HookHarness(tmp, String.join("\n", "on_error = closed",
        "max_sessions = 1", "violations = 1", "on_violation = refuse_new",
        "exempt_users = ops", "[user root]", "max_sessions = 1", "violations = 1"))) {
      List<HookHarness.FakePriv> held = new ArrayList<>();
      for (String admin : List.of("root", "ops")) {
        for (int i = 0; i < 3; i++) {
          HookHarness.FakePriv p = h.session(admin);
          assertEquals(0, p.run("account", -1), admin);
          assertEquals(0, p.run("open_session", -1), admin + " login " + (i + 1));
          held.add(p);
        }
        // A lock in their state (written by hand, or by an older config): still let in.
        try (StateStore.Transaction tx = h.store().begin(admin)) {
          tx.write(tx.state().withLock(new Lock(Instant.now(), null, "violations",
              "loginwarden", null)));
        }
        try (HookHarness.FakePriv p = h.session(admin)) {
          assertEquals(0, p.run("account", -1), admin + " with a recorded lock");
          assertEquals(0, p.run("open_session", -1), admin + " with a recorded lock");
        }
      }
      for (HookHarness.FakePriv p : held) {
        assertTrue(p.process.isAlive(), p.user + "'s session was ended");
      }
      assertEquals(List.of(), h.store().peek("ops").violations());
      assertEquals(ExitCode.USAGE.code, h.run("lock", "root").exit());
      assertEquals(ExitCode.USAGE.code, h.run("kick", "root").exit());
      assertEquals(0, h.run("sweep").exit());
      for (HookHarness.FakePriv p : held) {
        assertTrue(p.process.isAlive(), p.user + "'s session was ended by a sweep");
      }

      // The same config refuses a plain user's second login: it is not toothless.
      try (HookHarness.FakePriv first = h.session("plain");
          HookHarness.FakePriv second = h.session("plain")) {
        assertEquals(0, first.run("open_session", -1));
        assertEquals(ExitCode.REFUSED.code, second.run("open_session", -1));
        assertTrue(h.store().peek("plain").lock() != null, "one violation locks plain");
      }

      // loginwarden broken (an unsafe state dir) with on_error = closed: root gets in, no
      // one else does.
      Files.setPosixFilePermissions(h.stateDir, PosixFilePermissions.fromString("rwxrwxrwx"));
      try (HookHarness.FakePriv root = h.session("root");
          HookHarness.FakePriv other = h.session("someone")) {
        assertEquals(0, root.run("account", -1));
        assertEquals(0, root.run("open_session", -1));
        assertEquals(ExitCode.STATE.code, other.run("account", -1));
      } finally {
        Files.setPosixFilePermissions(h.stateDir, PosixFilePermissions.fromString("rwx------"));
      }
      assertEquals(List.of(), h.store().peek("root").violations());
      System.out.println("admins: root and an exempt user, 3 logins each and a recorded lock: "
          + "never refused, kicked or locked; root let in by a broken store");
    }
  }
}
