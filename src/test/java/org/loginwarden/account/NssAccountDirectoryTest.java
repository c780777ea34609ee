package org.loginwarden.account;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NssAccountDirectoryTest {

  @TempDir Path dir;
  Path passwd;
  Path getent;

  @BeforeEach
  void files() throws IOException {
    passwd = dir.resolve("passwd");
    // A Latin-1 GECOS byte, as old files have, must not break the reading.
    byte[] lines = ("root:x:0:0:root:/root:/bin/bash\n"
        + "alice2:x:1001:1001:Ren\u00e9:/home/alice2:/bin/sh\n"
        + "bob:x:1002:1002::/home/bob:/bin/sh\n")
        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    Files.write(passwd, lines);
    // A stand-in for getent: its arguments are "passwd -- NAME".
    getent = dir.resolve("getent");
    Files.writeString(getent, String.join("\n",
        "#!/bin/sh",
        "[ \"$1\" = passwd ] && [ \"$2\" = -- ] || exit 64",
        "case \"$3\" in",
        "  ldapuser) echo 'ldapuser:*:5000:5000::/home/ldapuser:/bin/sh' ;;",
        "  0) echo 'root:x:0:0:root:/root:/bin/bash' ;;",
        "  broken) echo 'nss: server unreachable' >&2; exit 1 ;;",
        "  slow) sleep 5 ;;",
        "  *) exit 2 ;;",
        "esac", ""));
    Files.setPosixFilePermissions(getent, PosixFilePermissions.fromString("rwx------"));
  }

  private NssAccountDirectory directory() {
    return new NssAccountDirectory(passwd, getent, Duration.ofMillis(500));
  }

  @Test
  void aLocalAccountIsFoundInPasswdWithoutStartingAProcess() throws AccountException {
    NssAccountDirectory noGetent = new NssAccountDirectory(passwd, dir.resolve("absent"),
        Duration.ofSeconds(1));

    assertTrue(noGetent.exists("bob"));
    assertTrue(noGetent.exists("root"));
  }

  @Test
  void anAccountOnlyNssKnowsIsFoundThroughGetent() throws AccountException {
    assertTrue(directory().exists("ldapuser"));
  }

  @Test
  void aNameThatIsNoAccountIsNot() throws AccountException {
    assertFalse(directory().exists("nosuchuser"));
    assertFalse(directory().exists("alice"), "a prefix of alice2 is not alice");
    assertFalse(directory().exists("alice2:x"), "a name cannot reach into the next field");
  }

  @Test
  void aNumberIsNoAccountEvenThoughGetentAnswersItByUid() throws AccountException {
    assertFalse(directory().exists("0"));
  }

  @Test
  void aMissingPasswdFileLeavesItToGetent() throws AccountException {
    NssAccountDirectory d = new NssAccountDirectory(dir.resolve("none"), getent,
        Duration.ofSeconds(1));

    assertTrue(d.exists("ldapuser"));
    assertFalse(d.exists("bob"));
  }

  @Test
  void anNssFailureIsAnErrorNotAnAnswer() {
    AccountException e = assertThrows(AccountException.class,
        () -> directory().exists("broken"));

    assertTrue(e.getMessage().contains("nss: server unreachable"), e.getMessage());
  }

  @Test
  void aHangingLookupIsCutOffAtTheTimeout() {
    long start = System.nanoTime();

    AccountException e = assertThrows(AccountException.class, () -> directory().exists("slow"));

    assertTrue(e.getMessage().contains("did not finish"), e.getMessage());
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(4).toNanos());
  }
}
