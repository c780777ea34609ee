package org.loginwarden.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * slf4j's binding to logback, named by {@code Main} through the {@code slf4j.provider} property:
 * a logback context with logging off until {@link Logging} adds the log file (on start, if it
 * was named before). Logback's own
 * provider first searches for configuration (service files, logback.xml, then a console
 * appender on stdout, which pam_exec would show the client), which cost each hook call more than
 * its decision; here nothing is searched and nothing can reach stdout.
 */
public final class QuietLogbackProvider implements SLF4JServiceProvider {

  private final LoggerContext context = new LoggerContext();
  private final IMarkerFactory markers = new BasicMarkerFactory();
  private final LogbackMDCAdapter mdc = new LogbackMDCAdapter();

  private static volatile LoggerContext started;

  @Override
  public void initialize() {
    context.setMDCAdapter(mdc);
    context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.OFF);
    context.start();
    started = context;
    Logging.started(context);
  }

  /** The context once slf4j has started this provider; null before. Starts nothing. */
  static LoggerContext startedContext() {
    return started;
  }

  @Override
  public ILoggerFactory getLoggerFactory() {
    return context;
  }

  @Override
  public IMarkerFactory getMarkerFactory() {
    return markers;
  }

  @Override
  public MDCAdapter getMDCAdapter() {
    return mdc;
  }

  @Override
  public String getRequestedApiVersion() {
    return "2.0.99";
  }
}
