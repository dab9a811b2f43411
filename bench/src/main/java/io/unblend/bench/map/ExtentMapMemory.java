package io.unblend.bench.map;

import io.unblend.logstore.map.ExtentConsumer;
import io.unblend.logstore.map.ExtentMap;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.openjdk.jol.info.GraphLayout;

/**
 * Prints the heap an extent map takes per extent, measured two ways (JOL's walk of the object
 * graph, and the heap growth after full collections), and the time of random 4 KiB writes. Run with
 * {@code java -cp 'bench/target/bench-*.jar:bench/target/lib/*'
 * io.unblend.bench.map.ExtentMapMemory}; add {@code -XX:+UseCompactObjectHeaders} to see the
 * smaller headers of JDK 25.
 */
public final class ExtentMapMemory {
  private static final int BLOCK_SECTORS = 8;
  private static final long SEED = 0x6d6170L;
  private static final ExtentConsumer IGNORED = (address, sectorCount) -> {};

  private ExtentMapMemory() {}

  public static void main(String[] args) {
    System.out.println(
        "JVM "
            + Runtime.version()
            + ", "
            + System.getProperty("java.vm.name")
            + ", max heap "
            + Runtime.getRuntime().maxMemory() / (1 << 20)
            + " MiB");
    System.out.println();
    System.out.printf(
        "%-40s %10s %16s %22s%n",
        "map of scattered 4 KiB extents", "extents", "JOL B/extent", "heap growth B/extent");
    for (int extentCount : new int[] {100_000, 1_000_000}) {
      printMemory("random-order puts", () -> scatteredByPut(extentCount));
      printMemory("builder (checkpoint recovery)", () -> scatteredByBuilder(extentCount));
    }
    System.out.println();
    System.out.printf(
        "%-40s %10s %12s %14s %12s%n",
        "10^6 random 4 KiB puts", "ns/put", "puts/s", "extents after", "JOL B/extent");
    long volumeSectors = 1L << 27;
    // The first round only warms the JIT up; it is not printed.
    randomPuts(volumeSectors, 1_000_000, 0);
    printTiming("64 GiB volume", volumeSectors, 0);
    printTiming("512 MiB volume (mostly overwrites)", 1L << 20, 0);
    printTiming("64 GiB, snapshot every 1000 puts", volumeSectors, 1000);
  }

  private static void printMemory(String label, Supplier<ExtentMap> build) {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long usedBefore = usedHeapBytesAfterCollection(memory);
    ExtentMap map = build.get();
    long usedAfter = usedHeapBytesAfterCollection(memory);
    long graphBytes = GraphLayout.parseInstance(map).totalSize();
    Reference.reachabilityFence(map);
    System.out.printf(
        "%-40s %10d %16.1f %22.1f%n",
        label,
        map.extentCount(),
        (double) graphBytes / map.extentCount(),
        (double) (usedAfter - usedBefore) / map.extentCount());
  }

  /** Several collections, because one may leave garbage that a concurrent phase has not freed. */
  private static long usedHeapBytesAfterCollection(MemoryMXBean memory) {
    for (int collection = 0; collection < 4; collection++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  /**
   * Every other 4 KiB block of the volume, written in random order, each appended to the log: the
   * holes between them keep any two from merging.
   */
  private static ExtentMap scatteredByPut(int extentCount) {
    int[] blocks = shuffledBlocks(extentCount);
    ExtentMap map = new ExtentMap();
    long appendAddress = 0;
    for (int block : blocks) {
      map.put(2L * block * BLOCK_SECTORS, BLOCK_SECTORS, appendAddress, IGNORED);
      appendAddress += BLOCK_SECTORS;
    }
    return map;
  }

  private static ExtentMap scatteredByBuilder(int extentCount) {
    SplittableRandom random = new SplittableRandom(SEED);
    ExtentMap.Builder builder = ExtentMap.builder();
    for (long block = 0; block < extentCount; block++) {
      builder.add(2 * block * BLOCK_SECTORS, BLOCK_SECTORS, random.nextLong(1L << 40));
    }
    return builder.build();
  }

  private static int[] shuffledBlocks(int blockCount) {
    SplittableRandom random = new SplittableRandom(SEED);
    int[] blocks = new int[blockCount];
    for (int block = 0; block < blockCount; block++) {
      blocks[block] = block;
    }
    for (int index = blockCount - 1; index > 0; index--) {
      int other = random.nextInt(index + 1);
      int block = blocks[index];
      blocks[index] = blocks[other];
      blocks[other] = block;
    }
    return blocks;
  }

  private static void printTiming(String label, long volumeSectors, int snapshotIntervalPuts) {
    int putCount = 1_000_000;
    long startNanos = System.nanoTime();
    ExtentMap map = randomPuts(volumeSectors, putCount, snapshotIntervalPuts);
    long elapsedNanos = System.nanoTime() - startNanos;
    long graphBytes = GraphLayout.parseInstance(map).totalSize();
    System.out.printf(
        "%-40s %10.0f %12.0f %14d %12.1f%n",
        label,
        (double) elapsedNanos / putCount,
        putCount * 1e9 / elapsedNanos,
        map.extentCount(),
        (double) graphBytes / map.extentCount());
  }

  /**
   * Random aligned 4 KiB writes, each appended to the log as the storage engine does. With a
   * snapshot interval, a snapshot is taken and dropped that often, as a checkpointer would, so that
   * the first writes after it copy their paths.
   */
  private static ExtentMap randomPuts(long volumeSectors, int putCount, int snapshotIntervalPuts) {
    SplittableRandom random = new SplittableRandom(SEED);
    long volumeBlocks = volumeSectors / BLOCK_SECTORS;
    ExtentMap map = new ExtentMap();
    long appendAddress = 0;
    for (int put = 0; put < putCount; put++) {
      if (snapshotIntervalPuts > 0 && put % snapshotIntervalPuts == 0) {
        map.snapshot();
      }
      map.put(random.nextLong(volumeBlocks) * BLOCK_SECTORS, BLOCK_SECTORS, appendAddress, IGNORED);
      appendAddress += BLOCK_SECTORS;
    }
    return map;
  }
}
