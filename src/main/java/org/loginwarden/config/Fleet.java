package org.loginwarden.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Fleet mode ({@code store = postgresql}): one login per user across every host that shares
 * the database. Null in {@link Config#fleet()} when the store is the per-host file store.
 *
 * @param dbUrl          a {@code jdbc:postgresql:} URL; never logged, it may name hosts
 * @param dbUser         the database role
 * @param dbPasswordFile a root-only (0600 or stricter) file holding the password, or null
 * @param dbTimeout      connect and each statement: the longest a login waits for the database
 * @param hostId         this host's name in the fleet; null = /etc/machine-id
 * @param hostTimeout    a host whose watcher has not reported for this long is presumed dead
 */
public record Fleet(String dbUrl, String dbUser, Path dbPasswordFile, Duration dbTimeout,
    String hostId, Duration hostTimeout) {

  /** Where the default host id comes from. */
  public static final Path MACHINE_ID = Path.of("/etc/machine-id");

  /**
   * This host's id: {@code host_id}, or else the machine id (systemd's stable per-install id:
   * host names are reused and renamed, machine ids are not).
   */
  public String resolveHostId(Path machineIdFile, OnError onError) throws ConfigException {
    if (hostId != null) {
      return hostId;
    }
    try {
      String id = java.nio.file.Files.readString(machineIdFile,
          java.nio.charset.StandardCharsets.US_ASCII).strip();
      if (id.matches("[0-9a-f]{32}")) {
        return id;
      }
      throw new ConfigException("host_id is not set and " + machineIdFile
          + " holds no machine id", onError);
    } catch (java.io.IOException e) {
      throw new ConfigException("host_id is not set and " + machineIdFile + " cannot be read: "
          + e.getMessage(), onError);
    }
  }

  /** The URL as logs and errors may show it: scheme, host and database, nothing else. */
  public String safeUrl() {
    String rest = dbUrl.substring("jdbc:postgresql://".length());
    int query = rest.indexOf('?');
    return "postgresql://" + (query < 0 ? rest : rest.substring(0, query));
  }
}
