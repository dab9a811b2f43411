package io.unblend.nbd.transmission;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ReadModifyWriteOrder} with changes whose futures the test completes: a read-modify-write
 * starts only when no change to its sectors is in flight, and changes to its sectors that arrive
 * while it is queued start only after it has finished. Most tests release changes on a direct
 * executor, so every step happens before the call that caused it returns; the last one runs threads
 * against each other.
 */
class ReadModifyWriteNeverOverlapsAnotherChangeTest {
  private static final int SECTORS = 16;
  private static final int SUBMITTERS = 4;
  private static final int CHANGES_PER_SUBMITTER = 5_000;

  /** Like a connection's limit on requests in flight. */
  private static final int IN_FLIGHT_PER_SUBMITTER_MAX = 64;

  private final ReadModifyWriteOrder order = new ReadModifyWriteOrder(Runnable::run);

  /** A change that records whether it started and finishes when the test says so. */
  private static final class Change implements Supplier<CompletableFuture<Void>> {
    final CompletableFuture<Void> volumeAnswer = new CompletableFuture<>();
    boolean started;

    @Override
    public CompletableFuture<Void> get() {
      started = true;
      return volumeAnswer;
    }
  }

  @Test
  void anAlignedChangeToItsSectorsWaitsUntilTheReadModifyWriteFinishes() {
    Change readModifyWrite = new Change();
    CompletableFuture<Void> readModifyWriteDone =
        order.queueReadModifyWrite(0, 512, readModifyWrite);
    assertThat(readModifyWrite.started).isTrue();

    assertThat(order.enterDirect()).isFalse();
    Change aligned = new Change();
    CompletableFuture<Void> alignedDone = order.queueAligned(0, 4096, aligned);
    assertThat(aligned.started).isFalse();

    readModifyWrite.volumeAnswer.complete(null);
    assertThat(readModifyWriteDone).isCompleted();
    assertThat(aligned.started).isTrue();
    assertThat(alignedDone).isNotDone();
    aligned.volumeAnswer.complete(null);
    assertThat(alignedDone).isCompleted();
  }

  @Test
  void aReadModifyWriteWaitsForEveryDirectChangeInFlight() {
    assertThat(order.enterDirect()).isTrue();
    CompletableFuture<Void> direct = order.leaveDirectWhenDone(new CompletableFuture<>());

    Change readModifyWrite = new Change();
    order.queueReadModifyWrite(1 << 20, 512, readModifyWrite);
    assertThat(readModifyWrite.started).isFalse();

    direct.complete(null);
    assertThat(readModifyWrite.started).isTrue();
  }

  @Test
  void aReadModifyWriteWaitsForAnEarlierQueuedChangeItOverlaps() {
    Change first = new Change();
    order.queueReadModifyWrite(0, 512, first);
    Change overlapsFirst = new Change();
    order.queueAligned(0, 4096, overlapsFirst);
    Change elsewhere = new Change();
    order.queueAligned(8192, 4096, elsewhere);
    Change second = new Change();
    order.queueReadModifyWrite(1024, 512, second);

    assertThat(first.started).isTrue();
    assertThat(overlapsFirst.started).isFalse();
    assertThat(elsewhere.started).as("no queued read-modify-write overlaps it").isTrue();
    assertThat(second.started).as("it overlaps the aligned change queued before it").isFalse();

    first.volumeAnswer.complete(null);
    assertThat(overlapsFirst.started).isTrue();
    assertThat(second.started).isFalse();

    overlapsFirst.volumeAnswer.complete(null);
    assertThat(second.started).isTrue();
  }

  @Test
  void readModifyWritesOfDifferentSectorsRunTogether() {
    Change first = new Change();
    order.queueReadModifyWrite(0, 512, first);
    Change second = new Change();
    order.queueReadModifyWrite(512, 512, second);

    assertThat(first.started).isTrue();
    assertThat(second.started).isTrue();
  }

  @Test
  void aFailedReadModifyWriteAnswersItsCallerAndReleasesTheChangesBehindIt() {
    Change readModifyWrite = new Change();
    CompletableFuture<Void> readModifyWriteDone =
        order.queueReadModifyWrite(0, 512, readModifyWrite);
    Change aligned = new Change();
    CompletableFuture<Void> alignedDone = order.queueAligned(0, 512, aligned);

    IllegalStateException failure = new IllegalStateException("injected");
    readModifyWrite.volumeAnswer.completeExceptionally(failure);

    assertThat(readModifyWriteDone).isCompletedExceptionally();
    assertThat(readModifyWriteDone.handle((ignored, thrown) -> unwrap(thrown)).join())
        .isSameAs(failure);
    assertThat(aligned.started).isTrue();
    aligned.volumeAnswer.complete(null);
    assertThat(alignedDone).isCompleted();
  }

  @Test
  void aChangeThatThrowsIsAnsweredWithTheExceptionAndReleasesTheChangesBehindIt() {
    IllegalStateException failure = new IllegalStateException("injected");
    Change blocker = new Change();
    order.queueReadModifyWrite(0, 512, blocker);
    CompletableFuture<Void> throwingDone =
        order.queueAligned(
            0,
            512,
            () -> {
              throw failure;
            });
    Change readModifyWrite = new Change();
    order.queueReadModifyWrite(0, 512, readModifyWrite);

    blocker.volumeAnswer.complete(null);

    assertThat(throwingDone.handle((ignored, thrown) -> unwrap(thrown)).join()).isSameAs(failure);
    assertThat(readModifyWrite.started).isTrue();
  }

  @Test
  void changesGoDirectAgainOnceNoReadModifyWriteIsQueued() {
    Change readModifyWrite = new Change();
    order.queueReadModifyWrite(0, 512, readModifyWrite);
    assertThat(order.enterDirect()).isFalse();

    readModifyWrite.volumeAnswer.complete(null);
    assertThat(order.enterDirect()).isTrue();
  }

  /**
   * Threads queue changes at random and a volume thread answers them in random order; counters per
   * sector catch a read-modify-write that runs beside another change of its sectors, and a change
   * left waiting for good leaves its submitter waiting for its answer until the timeout fails the
   * test.
   */
  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void concurrentChangesNeverOverlapARunningReadModifyWriteAndAllFinish() throws Exception {
    ExecutorService released =
        Executors.newFixedThreadPool(2, Thread.ofPlatform().daemon().factory());
    SimulatedVolume volume = new SimulatedVolume(new ReadModifyWriteOrder(released));
    Thread answering = Thread.ofPlatform().daemon().name("volume").start(volume::answer);
    List<Thread> submitters = new ArrayList<>();
    for (int seed = 0; seed < SUBMITTERS; seed++) {
      Random random = new Random(seed);
      submitters.add(Thread.ofPlatform().daemon().start(() -> volume.submit(random)));
    }
    for (Thread submitter : submitters) {
      submitter.join();
    }
    volume.submitting = false;
    answering.join();
    released.shutdown();

    assertThat(volume.answered.get()).isEqualTo(SUBMITTERS * CHANGES_PER_SUBMITTER);
    assertThat(volume.overlaps.get()).isZero();
    assertThat(volume.order.enterDirect()).isTrue();
  }

  /**
   * A volume of {@link #SECTORS} sectors that counts the changes in flight on each sector. Each
   * change counts itself in before it looks at the others, so of two overlapping changes that start
   * together at least one sees the other.
   */
  private static final class SimulatedVolume {
    final ReadModifyWriteOrder order;
    final AtomicIntegerArray readModifyWrites = new AtomicIntegerArray(SECTORS);
    final AtomicIntegerArray aligned = new AtomicIntegerArray(SECTORS);
    final AtomicInteger overlaps = new AtomicInteger();
    final AtomicInteger answered = new AtomicInteger();
    final LinkedBlockingQueue<Runnable> answers = new LinkedBlockingQueue<>();
    volatile boolean submitting = true;

    SimulatedVolume(ReadModifyWriteOrder order) {
      this.order = order;
    }

    /** Queues changes like a connection, and returns once all of them are answered. */
    void submit(Random random) {
      Semaphore inFlight = new Semaphore(IN_FLIGHT_PER_SUBMITTER_MAX);
      for (int i = 0; i < CHANGES_PER_SUBMITTER; i++) {
        inFlight.acquireUninterruptibly();
        int first = random.nextInt(SECTORS);
        int count = 1 + random.nextInt(Math.min(4, SECTORS - first));
        boolean readModifyWrite = random.nextInt(8) == 0;
        boolean fails = random.nextInt(10) == 0;
        Supplier<CompletableFuture<Void>> change =
            () -> start(first, count, readModifyWrite, fails);
        CompletableFuture<Void> done;
        if (readModifyWrite) {
          done = order.queueReadModifyWrite(first * 512L, count * 512L, change);
        } else if (order.enterDirect()) {
          done = order.leaveDirectWhenDone(change.get());
        } else {
          done = order.queueAligned(first * 512L, count * 512L, change);
        }
        done.whenComplete(
            (ignored, failure) -> {
              answered.incrementAndGet();
              inFlight.release();
            });
      }
      inFlight.acquireUninterruptibly(IN_FLIGHT_PER_SUBMITTER_MAX);
    }

    private CompletableFuture<Void> start(
        int first, int count, boolean readModifyWrite, boolean fails) {
      for (int sector = first; sector < first + count; sector++) {
        (readModifyWrite ? readModifyWrites : aligned).incrementAndGet(sector);
      }
      for (int sector = first; sector < first + count; sector++) {
        boolean overlap =
            readModifyWrite
                ? readModifyWrites.get(sector) > 1 || aligned.get(sector) > 0
                : readModifyWrites.get(sector) > 0;
        if (overlap) {
          overlaps.incrementAndGet();
        }
      }
      CompletableFuture<Void> answer = new CompletableFuture<>();
      answers.add(
          () -> {
            for (int sector = first; sector < first + count; sector++) {
              (readModifyWrite ? readModifyWrites : aligned).decrementAndGet(sector);
            }
            if (fails) {
              answer.completeExceptionally(new IllegalStateException("injected"));
            } else {
              answer.complete(null);
            }
          });
      return answer;
    }

    /** Answers the changes started, each batch of those waiting in a random order. */
    void answer() {
      Random random = new Random(42);
      List<Runnable> batch = new ArrayList<>();
      try {
        while (submitting || !answers.isEmpty()) {
          Runnable first = answers.poll(10, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          batch.add(first);
          answers.drainTo(batch);
          Collections.shuffle(batch, random);
          batch.forEach(Runnable::run);
          batch.clear();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static Throwable unwrap(Throwable thrown) {
    return thrown instanceof CompletionException ? thrown.getCause() : thrown;
  }
}
