package org.loginwarden.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * A throwaway local account made with the real useradd, with a password and an ed25519 key.
 * Closing it ends whatever still runs as that user (all of it started by the test) and
 * removes the account and its home.
 */
final class TestUser implements AutoCloseable {

  final String name;
  final String password;
  final Path key;
  final long uid;

  private TestUser(String name, String password, Path key, long uid) {
    this.name = name;
    this.password = password;
    this.key = key;
    this.uid = uid;
  }

  static TestUser create(Path workDir) throws IOException {
    String suffix = HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
    String name = "lwt" + suffix;
    String password = "Pw-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
    Exec.ok("/usr/sbin/useradd", "-m", "-s", "/bin/sh", name);
    Path input = workDir.resolve(name + ".chpasswd");
    Files.writeString(input, name + ":" + password + "\n");
    Exec.Result set = Exec.run(java.time.Duration.ofSeconds(30), input,
        List.of("/usr/sbin/chpasswd"));
    Files.delete(input);
    if (set.exit() != 0) {
      throw new AssertionError("chpasswd failed: " + set.all());
    }
    Path key = workDir.resolve(name + ".key");
    Exec.ok("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f",
        key.toString());
    Path ssh = Path.of("/home", name, ".ssh");
    Files.createDirectories(ssh);
    Files.copy(Path.of(key + ".pub"), ssh.resolve("authorized_keys"));
    Exec.ok("/bin/chown", "-R", name + ":" + name, ssh.toString());
    Exec.ok("/bin/chmod", "700", ssh.toString());
    long uid = Long.parseLong(Exec.ok("/usr/bin/id", "-u", name).strip());
    return new TestUser(name, password, key, uid);
  }

  /** The user's /etc/shadow line. */
  String shadowLine() throws IOException {
    return Files.readAllLines(Path.of("/etc/shadow")).stream()
        .filter(l -> l.startsWith(name + ":")).findFirst().orElseThrow();
  }

  /** Live (non-zombie) processes running as this user. */
  List<Long> processes() {
    return Procs.ofUid(uid);
  }

  @Override
  public void close() {
    for (int i = 0; i < 50 && !processes().isEmpty(); i++) {
      processes().forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Exec.run("/usr/sbin/userdel", "-r", "-f", name);
  }
}
