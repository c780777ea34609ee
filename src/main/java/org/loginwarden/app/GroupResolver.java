package org.loginwarden.app;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.loginwarden.account.Commands;

/** The groups a user belongs to, through NSS (files, LDAP, SSSD alike). */
public interface GroupResolver {

  List<String> groupsOf(String user) throws IOException;

  /** {@code /usr/bin/id -Gn -- USER}: NSS without JNI. Asked only when the config needs groups. */
  static GroupResolver idCommand() {
    return user -> {
      Commands.Result r = Commands.run(Duration.ofSeconds(2), Path.of("/usr/bin/id"), "-Gn", "--",
          user);
      if (r.exitCode() != 0) {
        throw new IOException("id -Gn " + user + ": " + r.firstErrorLine());
      }
      return Arrays.stream(r.stdout().strip().split("\\s+")).filter(g -> !g.isEmpty()).toList();
    };
  }
}
