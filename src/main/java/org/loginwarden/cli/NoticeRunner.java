package org.loginwarden.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.loginwarden.audit.AuditLog;
import org.loginwarden.config.ConfigException;
import org.loginwarden.core.AuditRecord;
import org.loginwarden.notify.Notice;
import org.loginwarden.notify.NotifyRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The detached {@code notify} process: reads the notices the hook wrote to its stdin,
 * delivers each, and audits and logs every delivery that failed.
 */
final class NoticeRunner {

  /** The hook writes a few KiB; anything larger is not from the hook. */
  private static final int MAX_INPUT = 1 << 20;
  private static final Logger LOG = LoggerFactory.getLogger(NoticeRunner.class);

  private final Wiring wiring;

  NoticeRunner(Wiring wiring) {
    this.wiring = wiring;
  }

  ExitCode run(NotifyRunner.Settings settings, InputStream in) {
    AuditLog audit;
    try {
      audit = wiring.auditLog();
    } catch (ConfigException e) {
      throw new Failure(ExitCode.CONFIG, "cannot read configuration: " + e.getMessage());
    }
    List<Notice> notices = new ArrayList<>();
    try {
      String text = new String(in.readNBytes(MAX_INPUT), StandardCharsets.UTF_8);
      for (String line : text.split("\n")) {
        if (!line.isBlank()) {
          notices.add(Notice.parse(line));
        }
      }
    } catch (IOException e) {
      throw new Failure(ExitCode.INPUT, "cannot read notices: " + e.getMessage());
    }
    NotifyRunner runner = new NotifyRunner(settings);
    ExitCode result = ExitCode.OK;
    for (Notice n : notices) {
      List<String> failures = runner.deliver(n);
      if (failures.isEmpty()) {
        LOG.info("notified {} {}: {}", n.event(), n.user(), n.headline());
      }
      for (String f : failures) {
        result = ExitCode.SOFTWARE;
        String reason = n.event() + " notice not delivered: " + f;
        LOG.error("notify_failed {}: {}", n.user(), reason);
        try {
          audit.write(new AuditRecord("notify_failed", n.user(), null, reason,
              AuditRecord.BY_LOGINWARDEN, false));
        } catch (IOException e) {
          LOG.error("cannot write audit log {}: {}", audit.file(), e.getMessage());
        }
      }
    }
    return result;
  }
}
