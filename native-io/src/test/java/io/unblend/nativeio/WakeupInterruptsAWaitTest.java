package io.unblend.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.unblend.nativeio.uring.UringIoEngine;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A producer thread wakes the engine's thread out of a blocking io_uring_enter. */
class WakeupInterruptsAWaitTest {
  @TempDir Path folder;

  @Test
  void aBlockedAwaitReturnsWhenAnotherThreadCallsWakeup() throws Exception {
    try (IoEngine engine = UringIoEngine.open(4);
        Arena arena = Arena.ofShared()) {
      // A read of an empty pipe never completes by itself: the await can only end by wakeup.
      Path fifo = folder.resolve("fifo");
      new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
      IoFile pipe = engine.open(fifo, EnumSet.of(OpenFlag.WRITE));
      MemorySegment buffer = arena.allocate(8);
      try {
        assertThat(engine.prepareRead(pipe, 0, buffer, 1)).isTrue();
        CompletableFuture<Integer> waiter =
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return engine.awaitCompletions(1, (userData, result) -> {});
                  } catch (NativeIoException e) {
                    throw new IllegalStateException(e);
                  }
                });
        Thread.sleep(200);
        assertThat(waiter).isNotDone();
        engine.wakeup();
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isZero();
        assertThat(engine.inFlight()).isEqualTo(1);
      } finally {
        // Complete the pipe read so that the engine can close.
        try (OutputStream out = Files.newOutputStream(fifo)) {
          out.write(new byte[8]);
        }
      }
      assertThat(engine.awaitCompletions(1, (userData, result) -> {})).isEqualTo(1);
      pipe.close();
    }
  }

  @Test
  void theEnginesOwnUserDataIsRefused() throws Exception {
    try (IoEngine engine = UringIoEngine.open(4)) {
      assertThatThrownBy(() -> engine.prepareNop(IoEngine.RESERVED_USER_DATA))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("reserved");
    }
  }
}
