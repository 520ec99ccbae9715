package io.hexgate.contract.thread;

import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named daemon threads whose uncaught exceptions are logged. Daemon: a background loop must never keep
 * the JVM alive after its owner's main thread is done; logged: a thread that dies of an exception must
 * say so in the log, where an operator looks, not only on a stderr nobody reads.
 */
public final class DaemonThreads {
  private static final Logger LOG = LoggerFactory.getLogger(DaemonThreads.class);

  private DaemonThreads() {}

  /** A factory whose every thread is a daemon named {@code name}. */
  public static ThreadFactory factory(String name) {
    return body -> thread(name, body);
  }

  /** A daemon thread named {@code name}, not started yet. */
  public static Thread thread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.setUncaughtExceptionHandler((dead, e) -> LOG.error("thread {} died", dead.getName(), e));
    return t;
  }

  /** Starts {@code body} on a new daemon thread named {@code name}. */
  public static Thread start(String name, Runnable body) {
    Thread t = thread(name, body);
    t.start();
    return t;
  }
}
