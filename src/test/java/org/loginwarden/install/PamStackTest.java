package org.loginwarden.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

public class PamStackTest {

  public static final String DEBIAN = String.join("\n",
      "# PAM configuration for the Secure Shell service",
      "@include common-auth",
      "account    required     pam_nologin.so",
      "@include common-account",
      "session [success=ok ignore=ignore module_unknown=ignore default=bad]        pam_selinux.so close",
      "session    required     pam_loginuid.so",
      "session    optional     pam_keyinit.so force revoke",
      "@include common-session",
      "@include common-password",
      "");
  static final String CMD = "/usr/bin/java -jar /usr/share/loginwarden/loginwarden.jar pam";

  @Test
  void placesTheAccountLineBeforeCommonAccountAndTheSessionLineAfterLoginuid() {
    List<String> lines = PamStack.withHooks(DEBIAN, CMD).lines().toList();
    int account = lines.indexOf(PamStack.accountLine(CMD));
    int session = lines.indexOf(PamStack.sessionLine(CMD));
    assertEquals(lines.indexOf("@include common-account") - 1, account);
    assertEquals(lines.indexOf("session    required     pam_loginuid.so") + 2, session);
    assertEquals(PamStack.MARKER, lines.get(account - 1));
    assertEquals(PamStack.MARKER, lines.get(session - 1));
  }

  @Test
  void isIdempotentAndRemovesExactlyWhatItAdded() {
    String once = PamStack.withHooks(DEBIAN, CMD);
    assertEquals(once, PamStack.withHooks(once, CMD));
    assertEquals(DEBIAN, PamStack.withoutHooks(once));
    String noFinalNewline = DEBIAN.strip();
    assertEquals(noFinalNewline, PamStack.withoutHooks(PamStack.withHooks(noFinalNewline, CMD)));
    String crlf = DEBIAN.replace("\n", "\r\n");
    assertEquals(crlf, PamStack.withoutHooks(PamStack.withHooks(crlf, CMD)));
  }

  @Test
  void keepsTheAdminsOwnLaterEditsOnRemoval() {
    String edited = PamStack.withHooks(DEBIAN, CMD) + "session optional pam_motd.so\n";
    assertEquals(DEBIAN + "session optional pam_motd.so\n", PamStack.withoutHooks(edited));
  }

  @Test
  void refusesAStackWithoutLoginuidOrAccount() {
    assertThrows(IllegalArgumentException.class,
        () -> PamStack.withHooks(DEBIAN.replace("pam_loginuid.so", "pam_other.so"), CMD));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> PamStack.withHooks("session required pam_loginuid.so\n", CMD)).getMessage()
        .contains("account"));
  }

  @Test
  void commentedLinesDoNotCount() {
    String commented = DEBIAN.replace("session    required     pam_loginuid.so",
        "# session    required     pam_loginuid.so");
    assertThrows(IllegalArgumentException.class, () -> PamStack.withHooks(commented, CMD));
  }

  @Test
  void theShippedPamFileShowsTheLinesTheCodeWrites() throws java.io.IOException {
    List<String> shipped = java.nio.file.Files.readAllLines(java.nio.file.Path.of("pam/sshd"));

    for (String line : List.of(PamStack.accountLine(CMD), PamStack.sessionLine(CMD),
        PamStack.authCheckLine(CMD), PamStack.authSucceededLine(CMD))) {
      assertTrue(shipped.contains("#" + line), "pam/sshd lacks: " + line);
    }
    int include = shipped.indexOf("#@include common-auth");
    assertEquals("#" + PamStack.authCheckLine(CMD), shipped.get(include - 1));
    assertEquals("#" + PamStack.authSucceededLine(CMD), shipped.get(include + 1));
  }

  @Test
  void installLeavesTheAuthStackAlone() {
    String installed = PamStack.withHooks(DEBIAN, CMD);

    assertTrue(installed.lines().noneMatch(l -> l.startsWith("auth")), installed);
  }
}
