package org.loginwarden.account;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Accounts as NSS knows them, without JNI: /etc/passwd first (local accounts, no process
 * started), then {@code /usr/bin/getent passwd -- NAME} for LDAP, SSSD or systemd users.
 * getent answers a numeric key by uid, so its answer counts only when it names the same user.
 */
public final class NssAccountDirectory implements AccountDirectory {

  /** getent exits 2 when the key is not found. */
  private static final int GETENT_NOT_FOUND = 2;
  private static final int MAX_PASSWD_BYTES = 16 << 20;

  private final Path passwd;
  private final Path getent;
  private final Duration timeout;

  public NssAccountDirectory(Path passwd, Path getent, Duration timeout) {
    this.passwd = passwd;
    this.getent = getent;
    this.timeout = timeout;
  }

  public static NssAccountDirectory system() {
    return new NssAccountDirectory(Path.of("/etc/passwd"), Path.of("/usr/bin/getent"),
        Duration.ofSeconds(2));
  }

  @Override
  public boolean exists(String user) throws AccountException {
    if (user.isEmpty() || user.contains(":") || user.contains("\n")) {
      return false; // no account name can hold a passwd field separator
    }
    if (inPasswd(user)) {
      return true;
    }
    Commands.Result r;
    try {
      r = Commands.run(timeout, getent, "passwd", "--", user);
    } catch (IOException e) {
      throw new AccountException("cannot look up " + user + ": " + e.getMessage());
    }
    if (r.exitCode() == GETENT_NOT_FOUND) {
      return false;
    }
    if (r.exitCode() != 0) {
      throw new AccountException("cannot look up " + user + ": getent: " + r.firstErrorLine());
    }
    return r.stdout().lines().anyMatch(l -> l.startsWith(user + ":"));
  }

  private boolean inPasswd(String user) throws AccountException {
    // Byte for byte: ISO-8859-1 maps each byte to one char, whatever the GECOS fields hold.
    String prefix = new String((user + ":").getBytes(StandardCharsets.UTF_8),
        StandardCharsets.ISO_8859_1);
    try (InputStream in = Files.newInputStream(passwd, LinkOption.NOFOLLOW_LINKS)) {
      return new String(in.readNBytes(MAX_PASSWD_BYTES), StandardCharsets.ISO_8859_1).lines()
          .anyMatch(line -> line.startsWith(prefix));
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new AccountException("cannot read " + passwd + ": " + e.getMessage());
    }
  }
}
