package io.unblend.logstore;

import io.unblend.logstore.layout.Bytes;
import io.unblend.nativeio.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The child process of {@link MapLimitAnswersEnospcBeforeTheHeapRunsOutTest}: opens a new store in
 * a real directory with the default map limit and writes every other sector of a volume, each write
 * a new extent, until a write fails. Prints {@code limit N} (the map limit it runs with), then
 * {@code failed N ERRNO MESSAGE} (N writes succeeded before), then {@code reread ok} once the first
 * sector written reads back. An OutOfMemoryError ends it with a non-zero exit status.
 *
 * <p>Arguments: the store directory.
 */
public final class ScatteredSectorWriter {
  static final long LOG_BYTES = 256L << 20;
  static final long VOLUME_BYTES = 1L << 30;
  private static final int WRITES_IN_FLIGHT = 64;
  private static final byte PATTERN = 0x5a;

  private ScatteredSectorWriter() {}

  public static void main(String[] args) throws Exception {
    StoreConfiguration config =
        StoreConfiguration.at(new StoreLocation.Directory(Path.of(args[0])))
            .logBytes(LOG_BYTES)
            .segmentBytes(4 << 20)
            .build();
    System.out.println("limit " + config.mapExtentsMax());
    MemorySegment data = Arena.global().allocate(Bytes.SECTOR_BYTES);
    data.fill(PATTERN);
    try (Store store = Store.open(config)) {
      Volume volume = store.createVolume("scattered", VOLUME_BYTES);
      ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
      long succeeded = 0;
      long sector = 0;
      while (true) {
        if (inFlight.size() == WRITES_IN_FLIGHT || sector * Bytes.SECTOR_BYTES >= VOLUME_BYTES) {
          try {
            inFlight.remove().get();
            succeeded++;
            continue;
          } catch (ExecutionException e) {
            Errno errno = e.getCause() instanceof StoreException s ? s.errno() : null;
            System.out.println("failed " + succeeded + " " + errno + " " + e.getCause());
            break;
          }
        }
        inFlight.add(volume.write(sector * Bytes.SECTOR_BYTES, data, false));
        sector += 2;
      }
      for (CompletableFuture<Void> rest : inFlight) {
        rest.handle((ignored, failure) -> null).get();
      }
      MemorySegment back = Arena.global().allocate(Bytes.SECTOR_BYTES);
      volume.read(0, back).get();
      boolean same = back.mismatch(data) == -1;
      System.out.println(same ? "reread ok" : "reread differs");
    }
  }
}
