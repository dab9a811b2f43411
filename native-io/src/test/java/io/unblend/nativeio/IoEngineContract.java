package io.unblend.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link IoEngine} promises. Each implementation runs these tests through a
 * subclass that says how to make its engine and where its files live.
 */
public abstract class IoEngineContract {
  protected static final int BLOCK = 4096;
  protected static final Set<OpenFlag> DIRECT_RW =
      EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE, OpenFlag.DIRECT);

  protected IoEngine engine;
  protected BlockingIo io;
  protected Arena arena;
  private final List<IoFile> opened = new ArrayList<>();

  /** A new engine with room for {@code queueDepth} operations in flight. */
  protected abstract IoEngine newEngine(int queueDepth) throws Exception;

  /** A path for a new file, in a place this engine can open. */
  protected abstract Path newPath(String name) throws Exception;

  @BeforeEach
  void startEngine() throws Exception {
    engine = newEngine(32);
    io = new BlockingIo(engine);
    arena = Arena.ofShared();
  }

  @AfterEach
  void stopEngine() throws Exception {
    for (IoFile file : opened) {
      file.close();
    }
    engine.close();
    arena.close();
  }

  protected IoFile open(String name, Set<OpenFlag> flags) throws Exception {
    IoFile file = engine.open(newPath(name), flags);
    opened.add(file);
    return file;
  }

  protected MemorySegment buffer(int bytes, int seed) {
    MemorySegment buffer = arena.allocate(bytes, BLOCK);
    for (int i = 0; i < bytes; i += Integer.BYTES) {
      buffer.set(ValueLayout.JAVA_INT_UNALIGNED, i, seed * 31 + i);
    }
    return buffer;
  }

  @Test
  void writtenBlocksReadBackExactly() throws Exception {
    IoFile file = open("data", DIRECT_RW);
    MemorySegment written = buffer(8 * BLOCK, 7);
    io.write(file, 3 * BLOCK, written);

    MemorySegment read = arena.allocate(8 * BLOCK, BLOCK);
    assertThat(io.read(file, 3 * BLOCK, read)).isEqualTo(8 * BLOCK);
    assertThat(read.mismatch(written)).isEqualTo(-1);
    assertThat(engine.sizeBytes(file)).isEqualTo(11L * BLOCK);
  }

  @Test
  void manyOperationsInOneSubmitCompleteWithTheirOwnUserData() throws Exception {
    IoFile file = open("batch", DIRECT_RW);
    int count = engine.queueDepth();
    for (int i = 0; i < count; i++) {
      assertThat(engine.prepareWrite(file, (long) i * BLOCK, buffer(BLOCK, i), 1000 + i)).isTrue();
    }
    assertThat(engine.inFlight()).isEqualTo(count);
    List<long[]> completions = new ArrayList<>();
    int delivered =
        engine.awaitCompletions(
            count, (userData, result) -> completions.add(new long[] {userData, result}));

    assertThat(delivered).isEqualTo(count);
    assertThat(engine.inFlight()).isZero();
    assertThat(completions)
        .extracting(c -> c[0])
        .containsExactlyInAnyOrderElementsOf(
            java.util.stream.LongStream.range(1000, 1000 + count).boxed().toList());
    assertThat(completions).allSatisfy(c -> assertThat(c[1]).isEqualTo(BLOCK));
    for (int i = 0; i < count; i++) {
      MemorySegment read = arena.allocate(BLOCK, BLOCK);
      io.read(file, (long) i * BLOCK, read);
      assertThat(read.mismatch(buffer(BLOCK, i))).as("block %d", i).isEqualTo(-1);
    }
  }

  @Test
  void queueDepthBoundsOperationsInFlight() throws Exception {
    IoFile file = open("bounded", DIRECT_RW);
    for (int i = 0; i < engine.queueDepth(); i++) {
      assertThat(engine.prepareNop(i)).isTrue();
    }
    assertThat(engine.prepareWrite(file, 0, buffer(BLOCK, 1), 99)).isFalse();
    assertThat(engine.prepareDatasync(file, 99)).isFalse();

    engine.awaitCompletions(1, (userData, result) -> {});
    assertThat(engine.prepareWrite(file, 0, buffer(BLOCK, 1), 99)).isTrue();
    engine.awaitCompletions(engine.inFlight(), (userData, result) -> {});
    assertThat(engine.inFlight()).isZero();
  }

  @Test
  void handlerMayPrepareMoreWorkWhileCompletionsAreDelivered() throws Exception {
    IoFile file = open("chained", DIRECT_RW);
    MemorySegment block = buffer(BLOCK, 3);
    int[] remaining = {100};
    CompletionHandler[] chain = new CompletionHandler[1];
    chain[0] =
        (userData, result) -> {
          assertThat(result).isEqualTo(BLOCK);
          if (--remaining[0] > 0) {
            try {
              assertThat(engine.prepareWrite(file, remaining[0] % 8 * BLOCK, block, 0)).isTrue();
            } catch (NativeIoException e) {
              throw new AssertionError(e);
            }
          }
        };
    engine.prepareWrite(file, 0, block, 0);
    int delivered = 0;
    while (engine.inFlight() > 0) {
      delivered += engine.awaitCompletions(1, chain[0]);
    }
    assertThat(delivered).isEqualTo(100);
  }

  @Test
  void fixedBufferWritesAndReadsUseTheRegisteredRegion() throws Exception {
    IoFile file = open("fixed", DIRECT_RW);
    MemorySegment region = arena.allocate(4 * BLOCK, BLOCK);
    engine.registerBuffers(region);
    MemorySegment out = region.asSlice(0, 2 * BLOCK);
    out.copyFrom(buffer(2 * BLOCK, 11));
    MemorySegment in = region.asSlice(2 * BLOCK, 2 * BLOCK);

    assertThat(engine.prepareWriteFixed(file, BLOCK, out, 0, 1)).isTrue();
    int[] result = new int[1];
    engine.awaitCompletions(1, (userData, r) -> result[0] = r);
    assertThat(result[0]).isEqualTo(2 * BLOCK);
    assertThat(engine.prepareReadFixed(file, BLOCK, in, 0, 2)).isTrue();
    engine.awaitCompletions(1, (userData, r) -> result[0] = r);
    assertThat(result[0]).isEqualTo(2 * BLOCK);
    assertThat(in.mismatch(out)).isEqualTo(-1);

    MemorySegment outside = arena.allocate(BLOCK, BLOCK);
    assertThatThrownBy(() -> engine.prepareWriteFixed(file, 0, outside, 0, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outside registered buffer 0");
  }

  @Test
  void datasyncAndNopCompleteWithZero() throws Exception {
    IoFile file = open("sync", DIRECT_RW);
    io.write(file, 0, buffer(BLOCK, 5));
    engine.prepareDatasync(file, 42);
    engine.prepareNop(43);
    List<long[]> completions = new ArrayList<>();
    engine.awaitCompletions(
        2, (userData, result) -> completions.add(new long[] {userData, result}));
    assertThat(completions).extracting(c -> c[0]).containsExactlyInAnyOrder(42L, 43L);
    assertThat(completions).allSatisfy(c -> assertThat(c[1]).isZero());
  }

  @Test
  void aDurableWriteCompletesWithItsLengthAndReadsBack() throws Exception {
    IoFile file = open("durable", DIRECT_RW);
    MemorySegment out = buffer(2 * BLOCK, 9);
    int[] result = new int[1];
    assertThat(engine.prepareDurableWrite(file, BLOCK, out, 44)).isTrue();
    assertThat(engine.awaitCompletions(1, (userData, r) -> result[0] = r)).isEqualTo(1);
    assertThat(result[0]).isEqualTo(2 * BLOCK);
    MemorySegment in = arena.allocate(2 * BLOCK, BLOCK);
    assertThat(io.read(file, BLOCK, in)).isEqualTo(2 * BLOCK);
    assertThat(in.mismatch(out)).isEqualTo(-1);
  }

  @Test
  void fallocateExtendsTheFile() throws Exception {
    IoFile file = open("prealloc", DIRECT_RW);
    io.fallocate(file, 0, 0, 64L * BLOCK);
    assertThat(engine.sizeBytes(file)).isEqualTo(64L * BLOCK);
    MemorySegment read = arena.allocate(BLOCK, BLOCK);
    read.fill((byte) 0x55);
    assertThat(io.read(file, 63L * BLOCK, read)).isEqualTo(BLOCK);
    assertThat(read.mismatch(arena.allocate(BLOCK)))
        .as("preallocated blocks read as zeros")
        .isEqualTo(-1);
  }

  @Test
  void readAtEndOfFileIsShortNotFailed() throws Exception {
    IoFile file = open("short", DIRECT_RW);
    io.write(file, 0, buffer(BLOCK, 1));
    MemorySegment read = arena.allocate(2 * BLOCK, BLOCK);
    assertThat(io.read(file, 0, read)).isEqualTo(BLOCK);
    assertThat(io.read(file, 4 * BLOCK, read)).isZero();
  }

  @Test
  void readEachReadsScatteredBlocksBeyondTheQueueDepthInOrder() throws Exception {
    IoFile file = open("scattered", DIRECT_RW);
    int blocks = 100; // More than the engine's queue depth of 32.
    MemorySegment written = buffer(blocks * BLOCK, 5);
    io.write(file, 0, written);
    long[] offsets = new long[blocks / 2 + 1];
    for (int i = 0; i < blocks / 2; i++) {
      offsets[i] = (long) (blocks - 1 - 2 * i) * BLOCK; // Every other block, backwards.
    }
    offsets[blocks / 2] = (long) blocks * BLOCK; // Past the end: short, not failed.
    MemorySegment into = arena.allocate((long) offsets.length * BLOCK, BLOCK);

    int[] read = io.readEach(file, offsets, BLOCK, into);

    for (int i = 0; i < blocks / 2; i++) {
      assertThat(read[i]).isEqualTo(BLOCK);
      MemorySegment expected = written.asSlice(offsets[i], BLOCK);
      assertThat(into.asSlice((long) i * BLOCK, BLOCK).mismatch(expected)).isEqualTo(-1);
    }
    assertThat(read[blocks / 2]).isZero();
    assertThat(engine.inFlight()).isZero();
  }

  @Test
  void misalignedOffsetIsRefusedBeforeTheSyscall() throws Exception {
    IoFile file = open("misaligned", DIRECT_RW);
    assertThatThrownBy(() -> engine.prepareWrite(file, 512 * 3 + 1, buffer(BLOCK, 1), 0))
        .isInstanceOfSatisfying(
            NativeIoException.class, e -> assertThat(e.errnoName()).isEqualTo("EINVAL"))
        .hasMessageContaining("misaligned O_DIRECT request: offset 1537")
        .hasMessageContaining("file=" + file.path());
    assertThat(engine.inFlight()).isZero();
  }

  @Test
  void misalignedLengthIsRefusedBeforeTheSyscall() throws Exception {
    IoFile file = open("misaligned-length", DIRECT_RW);
    MemorySegment odd = arena.allocate(BLOCK, BLOCK).asSlice(0, 100);
    assertThatThrownBy(() -> engine.prepareRead(file, 0, odd, 0))
        .isInstanceOf(NativeIoException.class)
        .hasMessageContaining("misaligned O_DIRECT request: length 100");
  }

  @Test
  void misalignedBufferIsRefusedBeforeTheSyscall() throws Exception {
    IoFile file = open("misaligned-buffer", DIRECT_RW);
    MemorySegment shifted = arena.allocate(2 * BLOCK, BLOCK).asSlice(8, BLOCK);
    assertThatThrownBy(() -> engine.prepareWrite(file, 0, shifted, 0))
        .isInstanceOf(NativeIoException.class)
        .hasMessageContaining("misaligned O_DIRECT request: buffer address 0x");
  }

  @Test
  void heapBufferIsRefused() throws Exception {
    IoFile file = open("heap", DIRECT_RW);
    assertThatThrownBy(
            () -> engine.prepareWrite(file, 0, MemorySegment.ofArray(new byte[BLOCK]), 0))
        .isInstanceOfSatisfying(
            NativeIoException.class, e -> assertThat(e.errnoName()).isEqualTo("EFAULT"))
        .hasMessageContaining("native memory");
  }

  @Test
  void closedFileIsRefusedWithEbadf() throws Exception {
    IoFile file = engine.open(newPath("closed"), DIRECT_RW);
    file.close();
    assertThatThrownBy(() -> engine.prepareWrite(file, 0, buffer(BLOCK, 1), 0))
        .isInstanceOfSatisfying(
            NativeIoException.class,
            e -> {
              assertThat(e.errnoName()).isEqualTo("EBADF");
              assertThat(e.path()).isEqualTo(file.path());
            })
        .hasMessageContaining("the file is closed");
    assertThatThrownBy(() -> engine.prepareDatasync(file, 0)).isInstanceOf(NativeIoException.class);
  }

  @Test
  void writeToReadOnlyFileIsRefused() throws Exception {
    open("readonly", DIRECT_RW);
    IoFile readOnly = open("readonly", EnumSet.of(OpenFlag.DIRECT));
    assertThatThrownBy(() -> engine.prepareWrite(readOnly, 0, buffer(BLOCK, 1), 0))
        .isInstanceOf(NativeIoException.class)
        .hasMessageContaining("read-only");
  }

  @Test
  void openingAMissingFileWithoutCreateFailsWithEnoent() throws Exception {
    Path missing = newPath("missing");
    assertThatThrownBy(() -> engine.open(missing, EnumSet.of(OpenFlag.DIRECT)))
        .isInstanceOfSatisfying(
            NativeIoException.class, e -> assertThat(e.errnoName()).isEqualTo("ENOENT"))
        .hasMessageContaining(missing.toString());
  }

  @Test
  void dsyncWritesComplete() throws Exception {
    IoFile file =
        open("dsync", EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE, OpenFlag.DIRECT, OpenFlag.DSYNC));
    io.write(file, 0, buffer(2 * BLOCK, 9));
    MemorySegment read = arena.allocate(2 * BLOCK, BLOCK);
    io.read(file, 0, read);
    assertThat(read.mismatch(buffer(2 * BLOCK, 9))).isEqualTo(-1);
  }
}
