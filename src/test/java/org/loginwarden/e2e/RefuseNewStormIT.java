package org.loginwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** 20 simultaneous logins of one user under refuse_new: exactly one is let in and stays. */
class RefuseNewStormIT extends SshdTestBase {

  @Override
  String loginwardenConfig() {
    // No lock from the 19 violations: the point is the count, not the lockout.
    return LoginStormIT.STORM_CONFIG + "\non_violation = refuse_new\nviolations = 100";
  }

  @Override
  boolean installedLauncher() {
    return true;
  }

  @Test
  void twentySimultaneousLoginsOfOneUserUnderRefuseNewLeaveExactlyOne() throws Exception {
    TestUser u = user();
    List<Process> logins = LoginStormIT.storm(this, u, 20);
    try {
      Exec.await(LoginStormIT.STORM, "19 clients to be refused",
          () -> logins.stream().filter(p -> !p.isAlive()).count() == 19);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; " + logins.stream().filter(Process::isAlive)
          .count() + " alive; " + LoginStormIT.summary(sshd, u), e);
    }
    List<Process> left = logins.stream().filter(Process::isAlive).toList();
    assertEquals(1, left.size());
    assertEquals(1, sshd.liveSessions(u.name).size());
    assertEquals(1, sshd.auditEvents("open", u.name).size());
    assertEquals(19, sshd.auditEvents("refuse", u.name).size());
    assertTrue(sshd.auditEvents("kick", u.name).isEmpty());
    assertTrue(sshd.auditEvents("error", u.name).isEmpty(), "no hook failed");
    System.out.println("refuse_new storm: 20 logins of one user: 1 let in and live, 19 refused");
  }
}
