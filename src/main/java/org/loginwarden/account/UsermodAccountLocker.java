package org.loginwarden.account;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import org.loginwarden.core.SavedAccount;

/**
 * Locks local accounts with shadow-utils' {@code usermod -L -e 1}: the '!' before the hash
 * stops passwords, the expiry date in 1970 makes pam_unix's account phase refuse SSH keys too
 * ({@code usermod -L} alone does not stop key logins). Users not in /etc/shadow (LDAP, SSSD)
 * are left alone: loginwarden's own lock, enforced by its account hook, covers them.
 */
public final class UsermodAccountLocker implements AccountLocker {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final Path shadow;
  private final Path usermod;

  public UsermodAccountLocker(Path shadow, Path usermod) {
    this.shadow = shadow;
    this.usermod = usermod;
  }

  public static UsermodAccountLocker system() {
    return new UsermodAccountLocker(Path.of("/etc/shadow"), Path.of("/usr/sbin/usermod"));
  }

  @Override
  public SavedAccount read(String user) throws AccountException {
    List<String> lines;
    try {
      lines = Files.readAllLines(shadow, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new AccountException("cannot read " + shadow + ": " + e.getMessage());
    }
    String prefix = user + ":";
    for (String line : lines) {
      if (line.startsWith(prefix)) {
        String[] f = line.split(":", -1);
        if (f.length < 8) {
          throw new AccountException("cannot read " + shadow + ": malformed entry for " + user);
        }
        return new SavedAccount(f[1].startsWith("!"), f[7]);
      }
    }
    return null;
  }

  @Override
  public void lock(String user) throws AccountException {
    usermod(user, "-L", "-e", "1");
  }

  @Override
  public void restore(String user, SavedAccount saved) throws AccountException {
    String expire = saved.expire().isEmpty()
        ? ""
        : LocalDate.ofEpochDay(Long.parseLong(saved.expire())).toString();
    if (saved.passwordWasLocked()) {
      usermod(user, "-e", expire);
    } else {
      usermod(user, "-U", "-e", expire);
    }
  }

  private void usermod(String user, String... options) throws AccountException {
    String[] args = new String[options.length + 2];
    System.arraycopy(options, 0, args, 0, options.length);
    args[options.length] = "--";
    args[options.length + 1] = user;
    try {
      Commands.Result r = Commands.run(TIMEOUT, usermod, args);
      if (r.exitCode() != 0) {
        throw new AccountException("usermod " + String.join(" ", options) + " " + user
            + " failed: " + r.firstErrorLine());
      }
    } catch (IOException e) {
      throw new AccountException("cannot run " + usermod + ": " + e.getMessage());
    } catch (NumberFormatException e) {
      throw new AccountException("saved expiry of " + user + " is not a number of days");
    }
  }
}
