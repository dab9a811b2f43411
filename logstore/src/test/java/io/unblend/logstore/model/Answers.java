package io.unblend.logstore.model;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreException;
import io.unblend.nativeio.Errno;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits of the tests that every request is answered (full logs, failed writes): each with a time
 * limit, so that a store that never answers fails its test instead of hanging the suite.
 */
final class Answers {
  private Answers() {}

  /** Null when the request succeeded in time, its failure otherwise, a TimeoutException if late. */
  static Throwable outcome(CompletableFuture<?> request, long secondsMax)
      throws InterruptedException {
    try {
      request.get(secondsMax, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      return e;
    }
  }

  static boolean isEnospc(Throwable failure) {
    return failure instanceof StoreException e && e.errno() == Errno.ENOSPC;
  }

  /**
   * Closes the store on a daemon thread; returns whether close returned (normally or with an
   * exception: a failed disk may say so) in time. Closing waits for unanswered requests, so a hung
   * close is left behind rather than hanging the suite.
   */
  static boolean closeUnlessHung(Store store, long secondsMax) throws InterruptedException {
    // What these tests judge is the answers, not how the close ended.
    return !(outcome(closing(store), secondsMax) instanceof TimeoutException);
  }

  /** Closes the store on a thread of its own; the future ends as the close did. */
  static CompletableFuture<Void> closing(Store store) {
    CompletableFuture<Void> closed = new CompletableFuture<>();
    Thread.ofPlatform()
        .daemon()
        .start(
            () -> {
              try {
                store.close();
                closed.complete(null);
              } catch (Throwable e) {
                closed.completeExceptionally(e);
              }
            });
    return closed;
  }
}
