package org.loginwarden.app;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.loginwarden.core.Session;

/**
 * For the long-running watcher: ends sessions on a background thread, so that a pass never
 * waits for a grace period or for an sshd's close hook, and the next pass starts on time. A
 * session whose ending is cut short (the watcher stopped) is finished by a later pass: it
 * stays recorded while any of its processes is left.
 */
public final class BackgroundEnding implements SessionEnding {

  private final SessionEnding inner;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "loginwarden-end");
    t.setDaemon(true);
    return t;
  });

  public BackgroundEnding(SessionEnding inner) {
    this.inner = inner;
  }

  @Override
  public void end(List<Session> sessions, Session refused) {
    if (!sessions.isEmpty() || refused != null) {
      threads.execute(() -> inner.end(sessions, refused));
    }
  }
}
