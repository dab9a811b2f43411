package io.unblend.logstore.model;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits for the store with a time limit, so that a hung store fails its run, not the suite. */
final class StoreWaits {
  /** Far longer than any step takes; a store that does not answer by then is hung. */
  static final long TIMEOUT_SECONDS = 30;

  static final String THREAD_NAME = "model-run-blocking-call";

  /** Runs the store's blocking calls (open, close, volume changes) on threads a hang may keep. */
  private static final ExecutorService BLOCKING =
      Executors.newCachedThreadPool(
          runnable -> {
            Thread thread = new Thread(runnable, THREAD_NAME);
            thread.setDaemon(true);
            return thread;
          });

  private final RunTrace trace;

  StoreWaits(RunTrace trace) {
    this.trace = trace;
  }

  /** Waits for a future: null when it completed normally, else why it failed. */
  Throwable outcome(CompletableFuture<?> done, String what) {
    try {
      done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      throw trace.failure(what + " did not complete within " + TIMEOUT_SECONDS + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw trace.failure("interrupted while waiting for " + what, e);
    }
  }

  /** Runs a blocking store call with a time limit; its own exception is thrown as it is. */
  <T> T blocking(String what, Callable<T> call) throws Exception {
    Future<T> result = BLOCKING.submit(call);
    try {
      return result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception exception) {
        throw exception;
      }
      throw trace.failure(what + " failed", e.getCause());
    } catch (TimeoutException e) {
      throw trace.failure(what + " did not return within " + TIMEOUT_SECONDS + " s", e);
    }
  }
}
