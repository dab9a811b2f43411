package io.unblend.logstore.model;

import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Sends the store's warnings and errors into the trace of the run in progress instead of the
 * console: thousands of runs, each cutting the power, would otherwise bury the test output, and in
 * a failure they belong next to the steps that caused them.
 */
final class StoreLogCapture extends Handler {
  private static final String STORE_LOGGER = "io.unblend.logstore";
  private static volatile Consumer<String> sink;

  private final SimpleFormatter formatter = new SimpleFormatter();

  /** Where records go until the next call; null drops them. */
  static void sendTo(Consumer<String> runTrace) {
    sink = runTrace;
  }

  /** Captures the store's records while {@code body} runs; the logger is as it was afterwards. */
  static <T> T around(java.util.function.Supplier<T> body) {
    Logger logger = Logger.getLogger(STORE_LOGGER);
    Level level = logger.getLevel();
    boolean useParentHandlers = logger.getUseParentHandlers();
    StoreLogCapture capture = new StoreLogCapture();
    logger.setLevel(Level.WARNING);
    logger.setUseParentHandlers(false);
    logger.addHandler(capture);
    try {
      return body.get();
    } finally {
      logger.removeHandler(capture);
      logger.setUseParentHandlers(useParentHandlers);
      logger.setLevel(level);
      sink = null;
    }
  }

  @Override
  public void publish(LogRecord logRecord) {
    Consumer<String> target = sink;
    if (target != null) {
      target.accept(
          "  store log "
              + logRecord.getLevel()
              + " on "
              + Thread.currentThread().getName()
              + ": "
              + formatter.formatMessage(logRecord));
    }
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}
}
