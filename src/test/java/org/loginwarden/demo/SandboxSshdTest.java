package org.loginwarden.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sandbox's PAM service: the host's stack with loginwarden's lines where install puts them. */
class SandboxSshdTest {

  private static final String DEBIAN = String.join("\n",
      "@include common-auth",
      "account    required     pam_nologin.so",
      "@include common-account",
      "session [success=ok ignore=ignore module_unknown=ignore default=bad]        pam_selinux.so close",
      "session    required     pam_loginuid.so",
      "session    optional     pam_keyinit.so force revoke",
      "@include common-session",
      "");

  @Test
  void accountBeforeCommonAccountSessionAfterLoginuid() throws IOException {
    List<String> lines = SandboxSshd.pamStack(DEBIAN, "/usr/bin/java -jar /x.jar pam", false)
        .lines().toList();
    assertEquals("account  required  pam_exec.so quiet /usr/bin/java -jar /x.jar pam",
        lines.get(lines.indexOf("@include common-account") - 1));
    assertEquals("session  required  pam_exec.so quiet stdout /usr/bin/java -jar /x.jar pam",
        lines.get(lines.indexOf("session    required     pam_loginuid.so") + 1));
    assertEquals(DEBIAN.lines().count() + 2, lines.size(), "nothing else changed");
  }

  @Test
  void authLinesAroundCommonAuthOnlyWhenAsked() throws IOException {
    List<String> lines = SandboxSshd.pamStack(DEBIAN, "H", true).lines().toList();
    int include = lines.indexOf("@include common-auth");
    assertTrue(lines.get(include - 1).startsWith("auth  requisite  pam_exec.so quiet H"));
    assertTrue(lines.get(include + 1).endsWith("H --auth-succeeded"));
  }

  @Test
  void aStackWithoutPamLoginuidIsRefused() {
    assertThrows(IOException.class, () -> SandboxSshd.pamStack("@include common-account\n",
        "H", false));
  }
}
