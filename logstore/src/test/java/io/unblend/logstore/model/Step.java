package io.unblend.logstore.model;

import java.util.List;

/**
 * One generated step of a run. Steps pick volumes and ranges by numbers that the run reduces modulo
 * what exists when the step is reached, so every generated (and every shrunk) sequence is valid.
 */
sealed interface Step {

  /** A step that may be issued while others are in flight. */
  sealed interface InFlight extends Step permits Change, Flush {}

  enum ChangeKind {
    WRITE,
    TRIM,
    ZEROES_AS_HOLE,
    ZEROES_ALLOCATED
  }

  /** Creates a volume, or expects EEXIST when the picked name is taken. */
  record Create(int namePick, int sectorCount) implements Step {}

  record Grow(int volumePick, int extraSectors) implements Step {}

  record Delete(int volumePick) implements Step {}

  /** A write, trim or write-zeroes of a range, waited for unless issued with others. */
  record Change(ChangeKind kind, int volumePick, int offsetPick, int sectorCount, boolean fua)
      implements InFlight {}

  /** A flush through a volume or through the store. */
  record Flush(boolean throughStore) implements InFlight {}

  /** Reads a range and its block status; both must match the model exactly. */
  record ReadBack(int volumePick, int offsetPick, int sectorCount) implements Step {}

  /** Issues changes and flushes at once, then waits for all of them. */
  record Concurrently(List<InFlight> steps) implements Step {}

  /**
   * Issues {@code inFlight} without waiting and cuts the power: tearing unsynced writes with a
   * generator seeded by {@code seed}, or losing all of them. With {@code whileRunning} the cut
   * lands wherever the store's threads are (mid-batch, mid-checkpoint) and the store then stops on
   * the dead disk; without it the store is stopped first, as if its process died. Then the store
   * recovers and every volume is checked.
   */
  record PowerCut(
      long seed, boolean losingAllUnsynced, boolean whileRunning, List<InFlight> inFlight)
      implements Step {}

  /** Closes the store, opens it again and checks every volume: nothing may be lost. */
  record CleanRestart() implements Step {}

  /**
   * Snapshots the picked volume (or clone) alone, or, when {@code othersMask} is not 0, together
   * with the volumes whose index has its bit set there, as one group snapshot. Expects EEXIST when
   * one of the names is taken.
   */
  record Snapshot(int volumePick, int othersMask, int namePick) implements Step {}

  /** Clones a snapshot into a new writable volume; expects EEXIST when the name is taken. */
  record Clone(int snapshotPick, int namePick) implements Step {}

  record DeleteSnapshot(int snapshotPick) implements Step {}

  /** Reads a range of a snapshot and its block status; both must match the model exactly. */
  record ReadSnapshot(int snapshotPick, int offsetPick, int sectorCount) implements Step {}

  /**
   * Asks which sectors of a range of a volume, clone or snapshot differ from a snapshot it descends
   * from: those no change reached since must be unchanged, those that read differently changed.
   */
  record ChangedSince(int basePick, int targetPick, int offsetPick, int sectorCount)
      implements Step {}

  /** What a snapshot must refuse, and with which errno. */
  enum Refused {
    WRITE,
    TRIM,
    ZEROES,
    GROW,
    DELETE_AS_VOLUME,
    SNAPSHOT_OF_SNAPSHOT
  }

  /** Tries to change a snapshot; it must refuse and stay as it was. */
  record ChangeSnapshot(int snapshotPick, Refused what) implements Step {}

  /**
   * Overwrites a range of a volume again and again at places drawn from {@code seed}, a few writes
   * in flight at a time: {@code logMultiple} times the log's capacity in all (up to a limit), over
   * a range of at most a {@code logDivisor}-th of it, so that live data stays well under the
   * capacity and the cleaner has to make room.
   */
  record OverwriteBurst(int volumePick, int offsetPick, int logDivisor, int logMultiple, long seed)
      implements Step {}
}
