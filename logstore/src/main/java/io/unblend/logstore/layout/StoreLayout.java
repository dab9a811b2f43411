package io.unblend.logstore.layout;

import io.unblend.logstore.StoreConfiguration;
import io.unblend.logstore.StoreException;
import io.unblend.logstore.StoreLocation;
import io.unblend.nativeio.BlockingIo;
import io.unblend.nativeio.Errno;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.OpenFlag;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Where each structure of a store lies: the superblock, two checkpoint slots and the log, either as
 * files of a data directory or as regions of one block device. Opening reads the superblock;
 * formatting writes it, last, so that a store whose creation was cut short has none and is created
 * again.
 */
public final class StoreLayout implements AutoCloseable {
  public static final String SUPERBLOCK_FILE = "superblock";
  public static final String LOG_FILE = "log";
  public static final String CHECKPOINT_FILE_PREFIX = "checkpoint.";

  private static final Set<OpenFlag> DIRECT_RW = EnumSet.of(OpenFlag.WRITE, OpenFlag.DIRECT);
  private static final Set<OpenFlag> CREATE_DIRECT_RW =
      EnumSet.of(OpenFlag.CREATE, OpenFlag.WRITE, OpenFlag.DIRECT);
  private static final Set<OpenFlag> CACHED_READ = EnumSet.of(OpenFlag.RANDOM_READS);
  private static final long MIN_SLOT_BYTES = 1L << 20;

  private final Superblock superblock;
  private final Region log;
  private final IoFile logReader;
  private final Region[] checkpointSlots;
  private final List<IoFile> files;
  private final boolean isDevice;
  private final List<Path> createdFiles;

  private StoreLayout(
      Superblock superblock,
      Region log,
      IoFile logReader,
      Region[] slots,
      List<IoFile> files,
      boolean isDevice,
      List<Path> createdFiles) {
    this.superblock = superblock;
    this.log = log;
    this.logReader = logReader;
    this.checkpointSlots = slots;
    this.files = files;
    this.isDevice = isDevice;
    this.createdFiles = createdFiles;
  }

  public Superblock superblock() {
    return superblock;
  }

  public Region log() {
    return log;
  }

  /** The log's file or device opened again for reads through the page cache. */
  public IoFile logReader() {
    return logReader;
  }

  public Region checkpointSlot(int index) {
    return checkpointSlots[index];
  }

  /** A device needs no pre-writing: it has no unwritten extents to convert. */
  public boolean isDevice() {
    return isDevice;
  }

  /** The byte offset in the log file or device of a log address (in sectors). */
  public long byteOffsetOf(long logAddress) {
    return log.offsetBytes() + logAddress * Bytes.SECTOR_BYTES;
  }

  /** The byte offset in the log file or device of a position in a segment. */
  public long byteOffsetOf(int segment, long offsetInSegmentBytes) {
    return log.offsetBytes() + (long) segment * superblock.segmentBytes() + offsetInSegmentBytes;
  }

  /**
   * Whether {@code directory} holds a store: its superblock, written last when a store is created.
   * Looks without opening or locking anything.
   */
  public static boolean holdsStore(Path directory) {
    return Files.exists(directory.resolve(SUPERBLOCK_FILE));
  }

  /**
   * Opens the store at the configured location, or formats a new one there when it has none and the
   * configuration allows ({@link #formatted} tells which).
   */
  public static StoreLayout open(StoreConfiguration config, IoEngine engine) throws IOException {
    return switch (config.location()) {
      case StoreLocation.Directory directory -> openDirectory(config, engine, directory.path());
      case StoreLocation.Device device -> openDevice(config, engine, device.path());
    };
  }

  /** Whether the superblock was just written by this open (the store is new). */
  public boolean formatted() {
    return formatted;
  }

  private boolean formatted;

  private static StoreLayout openDirectory(
      StoreConfiguration config, IoEngine engine, Path directory) throws IOException {
    BlockingIo io = new BlockingIo(engine);
    List<IoFile> files = new ArrayList<>();
    List<Path> created = new ArrayList<>();
    for (String name :
        List.of(
            SUPERBLOCK_FILE, LOG_FILE, CHECKPOINT_FILE_PREFIX + 0, CHECKPOINT_FILE_PREFIX + 1)) {
      if (!Files.exists(directory.resolve(name))) {
        created.add(directory.resolve(name));
      }
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment block = arena.allocate(Bytes.BLOCK_BYTES, Bytes.BLOCK_BYTES);
      IoFile superFile = engine.open(directory.resolve(SUPERBLOCK_FILE), CREATE_DIRECT_RW);
      files.add(superFile);
      boolean isNew = io.read(superFile, 0, block) < Bytes.BLOCK_BYTES;
      Superblock superblock;
      if (isNew) {
        if (!config.createIfMissing()) {
          throw new StoreException(
              Errno.ENOENT,
              directory + " holds no unblend store, and creating one was not asked for");
        }
        int segmentCount = (int) (config.logBytes() / config.segmentBytes());
        if (segmentCount < 2) {
          throw new StoreException(
              Errno.EINVAL,
              "store setting logBytes="
                  + config.logBytes()
                  + " must hold at least two segments of "
                  + config.segmentBytes()
                  + " bytes");
        }
        superblock =
            new Superblock(
                new SecureRandom().nextLong(),
                config.segmentBytes(),
                segmentCount,
                0,
                0,
                0,
                0,
                System.currentTimeMillis());
      } else {
        superblock = Superblock.decode(block, directory.resolve(SUPERBLOCK_FILE).toString());
      }
      IoFile logFile = engine.open(directory.resolve(LOG_FILE), CREATE_DIRECT_RW);
      files.add(logFile);
      Region[] slots = new Region[2];
      for (int i = 0; i < 2; i++) {
        IoFile slot = engine.open(directory.resolve(CHECKPOINT_FILE_PREFIX + i), CREATE_DIRECT_RW);
        files.add(slot);
        slots[i] = new Region(slot, 0, Long.MAX_VALUE);
      }
      IoFile logReader = engine.open(directory.resolve(LOG_FILE), CACHED_READ);
      files.add(logReader);
      Region log = new Region(logFile, 0, superblock.logBytes());
      StoreLayout layout =
          new StoreLayout(superblock, log, logReader, slots, files, false, List.copyOf(created));
      if (isNew) {
        // The log is allocated once, here; the write path never grows it.
        long missingBytes = superblock.logBytes() - engine.sizeBytes(logFile);
        if (missingBytes > 0) {
          requireSpace(directory, missingBytes, superblock.logBytes());
          io.fallocate(logFile, 0, 0, superblock.logBytes());
        }
        layout.formatted = true;
      }
      return layout;
    } catch (IOException | RuntimeException e) {
      closeAll(files);
      removeUnformatted(created);
      throw e;
    }
  }

  /**
   * Fails before allocating a log the file system cannot hold: a failed fallocate leaves a file as
   * large as the space that was free, and the store could not even write its first checkpoint.
   */
  private static void requireSpace(Path directory, long missingBytes, long logBytes)
      throws IOException {
    if (!Files.isDirectory(directory)) {
      return; // A simulated disk's store: the engine's files are not on this file system.
    }
    long usableBytes = Files.getFileStore(directory).getUsableSpace();
    if (usableBytes < missingBytes) {
      throw new StoreException(
          Errno.ENOSPC,
          "a log of "
              + Bytes.describe(logBytes)
              + " does not fit in "
              + directory
              + ": its file system has "
              + Bytes.describe(usableBytes)
              + " free; choose a smaller log size or free space");
    }
  }

  /**
   * After a failed creation (and {@link #close}), removes the files this open created, as long as
   * the superblock (written last, after the first checkpoint) was never written: a failed creation
   * must not keep a log's worth of disk space. Files that were there before are left alone.
   */
  public void removeIfUnformatted() {
    removeUnformatted(createdFiles);
  }

  private static void removeUnformatted(List<Path> created) {
    try {
      Path superblockFile =
          created.stream().filter(f -> f.endsWith(SUPERBLOCK_FILE)).findAny().orElse(null);
      if (superblockFile == null
          || (Files.exists(superblockFile) && Files.size(superblockFile) >= Bytes.BLOCK_BYTES)) {
        return; // A store was there before, or is complete now.
      }
      for (Path file : created) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      // The caller reports the failure that led here; these files are only wasted space.
    }
  }

  private static StoreLayout openDevice(StoreConfiguration config, IoEngine engine, Path device)
      throws IOException {
    BlockingIo io = new BlockingIo(engine);
    IoFile file = engine.open(device, DIRECT_RW);
    List<IoFile> files = new ArrayList<>(List.of(file));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment block = arena.allocate(Bytes.BLOCK_BYTES, Bytes.BLOCK_BYTES);
      io.read(file, 0, block);
      Superblock superblock;
      boolean isNew = false;
      try {
        superblock = Superblock.decode(block, device.toString());
      } catch (CorruptStoreException notAStore) {
        if (!config.createIfMissing()) {
          throw notAStore;
        }
        superblock = deviceSuperblock(config, engine.sizeBytes(file), device);
        isNew = true;
      }
      Region[] slots = {
        new Region(file, superblock.checkpointSlot0OffsetBytes(), superblock.checkpointSlotBytes()),
        new Region(file, superblock.checkpointSlot1OffsetBytes(), superblock.checkpointSlotBytes())
      };
      Region log = new Region(file, superblock.logOffsetBytes(), superblock.logBytes());
      IoFile logReader = engine.open(device, CACHED_READ);
      files.add(logReader);
      StoreLayout layout =
          new StoreLayout(superblock, log, logReader, slots, files, true, List.of());
      layout.formatted = isNew;
      return layout;
    } catch (IOException | RuntimeException e) {
      closeAll(files);
      throw e;
    }
  }

  private static Superblock deviceSuperblock(
      StoreConfiguration config, long deviceBytes, Path device) throws StoreException {
    long slotBytes =
        config.checkpointSlotBytes() > 0
            ? config.checkpointSlotBytes()
            : Math.max(MIN_SLOT_BYTES, Bytes.roundDownToBlock(deviceBytes / 32));
    long logOffset = Bytes.BLOCK_BYTES + 2 * slotBytes;
    long available = deviceBytes - logOffset;
    long logBytes = config.logBytes() > 0 ? Math.min(config.logBytes(), available) : available;
    int segmentCount = (int) (logBytes / config.segmentBytes());
    if (segmentCount < 2) {
      throw new StoreException(
          Errno.ENOSPC,
          device
              + " ("
              + deviceBytes
              + " bytes) is too small for two segments of "
              + config.segmentBytes()
              + " bytes after its superblock and checkpoint slots");
    }
    return new Superblock(
        new SecureRandom().nextLong(),
        config.segmentBytes(),
        segmentCount,
        logOffset,
        slotBytes,
        Bytes.BLOCK_BYTES,
        Bytes.BLOCK_BYTES + slotBytes,
        System.currentTimeMillis());
  }

  /**
   * Writes the superblock of a newly formatted store and makes it durable; call after the first
   * checkpoint is durable, so a store is only ever found with a checkpoint to start from.
   */
  public void commitFormat(BlockingIo io) throws NativeIoException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment block = arena.allocate(Bytes.BLOCK_BYTES, Bytes.BLOCK_BYTES);
      superblock.encode(block);
      IoFile target = files.get(0);
      io.write(target, 0, block);
      io.datasync(target);
    }
  }

  @Override
  public void close() throws NativeIoException {
    closeAll(files);
  }

  private static void closeAll(List<IoFile> files) throws NativeIoException {
    NativeIoException first = null;
    for (IoFile file : files) {
      try {
        file.close();
      } catch (NativeIoException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
