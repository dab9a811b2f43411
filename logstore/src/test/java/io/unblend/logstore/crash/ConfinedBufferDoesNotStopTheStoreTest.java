package io.unblend.logstore.crash;

import static io.unblend.logstore.crash.CrashFixtures.await;
import static io.unblend.logstore.crash.CrashFixtures.generations;
import static io.unblend.logstore.crash.CrashFixtures.repeated;
import static io.unblend.logstore.crash.CrashFixtures.tagged;
import static org.assertj.core.api.Assertions.assertThat;

import io.unblend.logstore.Store;
import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.Volume;
import io.unblend.logstore.layout.Bytes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A caller's buffer from a confined arena can only be touched by the caller's thread, but the
 * storage thread copies into it (a read) or out of it (a write). That is an error of the caller's:
 * it must be answered, and the store must go on serving everyone else.
 */
class ConfinedBufferDoesNotStopTheStoreTest {
  private static final long ANSWER_SECONDS = 10;

  @TempDir Path folder;

  @Test
  void aReadIntoAConfinedBufferIsAnsweredAndTheStoreGoesOn() throws Exception {
    StoreConfiguration config = CrashFixtures.directory(folder.resolve("data"), 16 << 20).build();
    try (Store store = Store.open(config);
        Arena shared = Arena.ofShared();
        Arena confined = Arena.ofConfined()) {
      Volume volume = store.createVolume("a", 1 << 20);
      await(volume.write(0, tagged(shared, volume.id(), 0, 8, 1), false));

      MemorySegment into = confined.allocate(8 * Bytes.SECTOR_BYTES, Bytes.BLOCK_BYTES);
      assertAnswered(volume.read(0, into));

      assertTheStoreStillServes(shared, volume);
    }
  }

  @Test
  void aWriteFromAConfinedBufferIsAnsweredAndTheStoreGoesOn() throws Exception {
    StoreConfiguration config = CrashFixtures.directory(folder.resolve("data"), 16 << 20).build();
    try (Store store = Store.open(config);
        Arena shared = Arena.ofShared();
        Arena confined = Arena.ofConfined()) {
      Volume volume = store.createVolume("a", 1 << 20);
      await(volume.write(0, tagged(shared, volume.id(), 0, 8, 1), false));

      assertAnswered(volume.write(8 * 512, tagged(confined, volume.id(), 8, 8, 2), false));

      assertTheStoreStillServes(shared, volume);
    }
  }

  /** The request completes, either way, instead of leaving its caller waiting for ever. */
  private static void assertAnswered(CompletableFuture<Void> request) throws Exception {
    try {
      request.get(ANSWER_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException refused) {
      // Refusing the buffer (EINVAL) is a fine answer.
    } catch (TimeoutException e) {
      throw new AssertionError("the request was never answered", e);
    }
  }

  private static void assertTheStoreStillServes(Arena shared, Volume volume) throws Exception {
    await(volume.write(16 * 512, tagged(shared, volume.id(), 16, 8, 3), false));
    await(volume.flush());
    assertThat(generations(volume, 0, 8)).isEqualTo(repeated(1, 8));
    assertThat(generations(volume, 16, 8)).isEqualTo(repeated(3, 8));
  }
}
