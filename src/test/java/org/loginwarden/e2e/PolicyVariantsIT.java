package org.loginwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each policy switch through its own private sshd: dry_run, refuse_new, exempt users. */
class PolicyVariantsIT {

  final List<AutoCloseable> cleanup = new ArrayList<>();
  final Path work;

  PolicyVariantsIT() throws IOException {
    work = Files.createTempDirectory("lw-variants-");
    cleanup.add(() -> Exec.run("/bin/rm", "-rf", work.toString()));
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable c : cleanup) {
      c.close();
    }
  }

  PrivateSshd sshd(String config) throws IOException {
    PrivateSshd s = PrivateSshd.start(config);
    cleanup.add(0, s);
    return s;
  }

  TestUser user() throws IOException {
    TestUser u = TestUser.create(work);
    cleanup.add(0, u);
    return u;
  }

  Process hold(PrivateSshd sshd, TestUser u) throws IOException {
    Process p = new Clients(sshd).start(u, List.of(), SshdTestBase.HOLD);
    cleanup.add(0, p::destroyForcibly);
    Exec.await(SshdTestBase.BOUND, u.name + "'s session to be live",
        () -> sshd.liveSessions(u.name).size() == 1);
    return p;
  }

  @Test
  void dryRunDecidesAndAuditsButEndsRefusesAndLocksNothing() throws IOException {
    TestUser u = user();
    PrivateSshd sshd = sshd("dry_run = true\nviolations = 1");
    String shadowBefore = u.shadowLine();
    Process first = hold(sshd, u);

    Exec.Result second = new Clients(sshd).sshKey(u, "echo second-ran");

    assertEquals(0, second.exit(), second.all());
    assertTrue(second.out().contains("second-ran"));
    assertTrue(first.isAlive(), "dry_run must not end the first session");
    assertTrue(sshd.liveSessions(u.name).stream().anyMatch(s -> s.ending() == null),
        "the first session is still recorded, live and not marked for ending");
    String audit = sshd.audit();
    assertTrue(audit.contains("\"event\":\"violation\",\"user\":\"" + u.name), audit);
    assertTrue(audit.contains("\"event\":\"kick\",\"user\":\"" + u.name), audit);
    assertTrue(audit.contains("\"event\":\"lock\",\"user\":\"" + u.name), audit);
    assertTrue(audit.contains("\"dryRun\":true"), audit);
    assertEquals(shadowBefore, u.shadowLine(), "dry_run never touches /etc/shadow");
    assertEquals(null, sshd.state(u.name).lock());
  }

  @Test
  void refuseNewKeepsTheFirstSession() throws IOException {
    TestUser u = user();
    PrivateSshd sshd = sshd("on_violation = refuse_new");
    Process first = hold(sshd, u);

    Exec.Result second = new Clients(sshd).sshPassword(u, "echo second-ran");

    assertNotEquals(0, second.exit(), second.all());
    assertTrue(second.out().contains("loginwarden: login refused"), second.all());
    assertFalse(second.out().contains("second-ran"));
    // The refusal is decided before the hook exits: by now a kick would have been sent.
    Exec.await(SshdTestBase.BOUND, "the violation to be audited",
        () -> sshd.audit().contains("\"event\":\"refuse\",\"user\":\"" + u.name));
    assertTrue(first.isAlive(), "refuse_new keeps the first session");
    assertEquals(1, sshd.liveSessions(u.name).size());
    assertFalse(sshd.audit().contains("\"event\":\"kick\""), sshd.audit());
  }

  @Test
  void anExemptUserIsNeverKicked() throws IOException {
    TestUser u = user();
    PrivateSshd sshd = sshd("exempt_users = root " + u.name);
    Process first = new Clients(sshd).start(u, List.of(), "exec sleep 1000");
    cleanup.add(0, first::destroyForcibly);
    Exec.await(SshdTestBase.BOUND, "the exempt session to open",
        () -> sshd.audit().contains("\"event\":\"open\",\"user\":\"" + u.name));

    Exec.Result second = new Clients(sshd).sshKey(u, "echo exempt-again");

    assertEquals(0, second.exit(), second.all());
    assertTrue(first.isAlive());
    assertTrue(sshd.audit().contains("\"reason\":\"exempt\""), sshd.audit());
    assertFalse(sshd.audit().contains("\"event\":\"violation\""), sshd.audit());
    Exec.await(SshdTestBase.BOUND, "the exempt session's close to be audited",
        () -> sshd.audit().contains("\"event\":\"close\",\"user\":\"" + u.name));
    assertTrue(sshd.state(u.name).isEmpty(), "exempt sessions are audited, not recorded");
  }
}
