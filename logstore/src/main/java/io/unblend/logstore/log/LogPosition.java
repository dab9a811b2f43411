package io.unblend.logstore.log;

/**
 * Where the next batch of one log head goes: a segment and a byte offset in it, or {@link #NONE}
 * when that head's next batch starts a fresh segment.
 */
public record LogPosition(int segment, long offsetBytes) {
  public static final LogPosition NONE = new LogPosition(-1, 0);

  public boolean isNone() {
    return segment < 0;
  }
}
