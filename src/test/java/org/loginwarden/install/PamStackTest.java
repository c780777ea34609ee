package org.loginwarden.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
  static final String CMD = Installer.HOOK_COMMAND;

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

  @Test
  void findsNoProblemInWhatInstallWrites() {
    String installed = PamStack.withHooks(DEBIAN, CMD);
    assertEquals(List.of(), PamStack.problems(installed));
    assertEquals(List.of("/usr/sbin/loginwarden"), PamStack.hookPrograms(installed));
  }

  @Test
  void namesEachMiswiring() {
    String installed = PamStack.withHooks(DEBIAN, CMD);
    assertEquals(List.of("no loginwarden account line", "no loginwarden session line"),
        PamStack.problems(DEBIAN));
    assertEquals(List.of("the account line's control is 'optional': use required"),
        PamStack.problems(installed.replace("account  required", "account  optional")));
    String accountLast = PamStack.withoutHooks(installed).replace("@include common-account",
        "@include common-account\n" + PamStack.accountLine(CMD));
    assertEquals(List.of("the account line comes after @include common-account: move it before",
        "no loginwarden session line"), PamStack.problems(accountLast));
    assertEquals(List.of("no loginwarden account line", "no loginwarden session line"),
        PamStack.problems(installed.replace("\naccount  required", "\n#account  required")
            .replace("\nsession  required  pam_exec", "\n# session  required  pam_exec")));
  }

  @Test
  void seesTheIncludeOfTheDropInDirectoryOnlyAtTopLevel() {
    assertTrue(Installer.includesDropInDirectory(
        List.of("# comment", "Include /etc/ssh/sshd_config.d/*.conf", "UsePAM yes")));
    assertTrue(Installer.includesDropInDirectory(List.of("include sshd_config.d/*.conf")));
    assertFalse(Installer.includesDropInDirectory(List.of("#Include /etc/ssh/sshd_config.d/*.conf")));
    assertFalse(Installer.includesDropInDirectory(
        List.of("Match User bob", "Include /etc/ssh/sshd_config.d/*.conf")));
    assertFalse(Installer.includesDropInDirectory(List.of("Include /etc/ssh/other/*.conf")));
  }
}
