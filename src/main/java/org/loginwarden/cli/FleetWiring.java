package org.loginwarden.cli;

import org.loginwarden.config.Config;
import org.loginwarden.store.FleetStore;
import org.loginwarden.store.PostgresStateStore;

/**
 * The fleet store's construction, apart from {@link Wiring} so that verifying Wiring never
 * loads a JDBC class: with {@code store = file} the hook loads nothing of PostgreSQL.
 */
final class FleetWiring {

  private FleetWiring() {}

  /** A hook's store bounds all its database waits together; others bound each one. */
  static FleetStore store(Config c, String hostId, boolean hook) {
    return hook ? PostgresStateStore.forLogin(c.fleet(), c.lockTimeout(), hostId)
        : PostgresStateStore.open(c.fleet(), c.lockTimeout(), hostId);
  }
}
