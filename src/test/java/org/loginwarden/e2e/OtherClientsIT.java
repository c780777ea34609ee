package org.loginwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients of other makers count like OpenSSH's: PuTTY's plink and psftp (password) and
 * Python's paramiko (key).
 */
class OtherClientsIT extends SshdTestBase {

  String hostKey;

  @BeforeAll
  void checkClients() {
    boolean present = Files.isExecutable(Path.of("/usr/bin/plink"))
        && Exec.run("/usr/bin/python3", "-c", "import paramiko").exit() == 0;
    if (!present && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("CI=true but putty-tools or python3-paramiko is missing");
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(present, "putty-tools and python3-paramiko");
    // "256 SHA256:... comment (ED25519)": plink pins the key by its SHA256 fingerprint.
    hostKey = Exec.ok("/usr/bin/ssh-keygen", "-l", "-E", "sha256", "-f",
        sshd.dir.resolve("host_ed25519.pub").toString()).split(" ")[1];
  }

  List<String> putty(String program, TestUser u) {
    return new ArrayList<>(List.of(program, "-batch", "-P", Integer.toString(sshd.port),
        "-hostkey", hostKey, "-l", u.name, "-pw", u.password, "127.0.0.1"));
  }

  Process paramiko(TestUser u, String command) throws IOException {
    Path script = Path.of("src/test/resources/e2e/paramiko_session.py").toAbsolutePath();
    return afterTest(clients.background(List.of("/usr/bin/python3", script.toString(),
        Integer.toString(sshd.port), u.name, u.key.toString(), command), Map.of()));
  }

  @Test
  void paramikoFirstThenPlinkEndsBoth() throws IOException {
    TestUser u = user();
    Process first = paramiko(u, HOLD);
    awaitLive(u, 1);

    List<String> plink = putty("/usr/bin/plink", u);
    plink.add("touch $HOME/plink-ran");
    Exec.Result second = Exec.run(BOUND, Map.of(), plink);

    assertNotEquals(0, second.exit(), second.all());
    assertFalse(Files.exists(Path.of("/home", u.name, "plink-ran")));
    Exec.await(BOUND, "paramiko's connection to end", () -> !first.isAlive());
    Exec.await(BOUND, "every process of " + u.name + " to end",
        () -> u.processes().isEmpty());
  }

  @Test
  void plinkFirstThenPsftpEndsBoth() throws IOException {
    TestUser u = user();
    List<String> hold = putty("/usr/bin/plink", u);
    hold.add(HOLD);
    Process first = afterTest(clients.background(hold, Map.of()));
    awaitLive(u, 1);

    Path batch = sshd.dir.resolve(u.name + ".psftp");
    Files.writeString(batch, "mkdir psftp-ran\n");
    List<String> psftp = putty("/usr/bin/psftp", u);
    psftp.addAll(List.of("-b", batch.toString()));
    Exec.Result second = Exec.run(BOUND, Map.of(), psftp);

    assertNotEquals(0, second.exit(), second.all());
    assertFalse(Files.exists(Path.of("/home", u.name, "psftp-ran")));
    Exec.await(BOUND, "plink's connection to end", () -> !first.isAlive());
    Exec.await(BOUND, "every process of " + u.name + " to end",
        () -> u.processes().isEmpty());
    assertTrue(sshd.audit().contains("\"event\":\"kick\",\"user\":\"" + u.name));
  }
}
