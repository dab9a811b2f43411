package io.unblend.nbd.cli;

import java.util.logging.LogManager;

/**
 * java.util.logging's manager, except that its own shutdown hook leaves the handlers in place. The
 * server drains and closes the store in a shutdown hook of its own, which runs at the same time;
 * with the stock manager, whatever that hook logs (the drain, a failed close) is dropped because
 * the handlers were already closed. The console handler flushes every record, so nothing is left
 * unwritten when the process ends.
 */
public final class ServerLogManager extends LogManager {
  /** The thread class of LogManager's shutdown hook. */
  private static final String SHUTDOWN_HOOK_CLASS = "java.util.logging.LogManager$Cleaner";

  @Override
  public void reset() {
    if (Thread.currentThread().getClass().getName().equals(SHUTDOWN_HOOK_CLASS)) {
      return;
    }
    super.reset();
  }
}
