package io.unblend.logstore.log;

/** What one batch entry records. The codes are part of the on-disk format. */
public enum EntryType {
  /** Data for a range of a volume's sectors, stored in the batch's data area. */
  WRITE(1),
  /** A range becomes a hole (TRIM, or WRITE_ZEROES that may punch holes). */
  TRIM(2),
  /** A range becomes allocated zeros (WRITE_ZEROES with NO_HOLE). */
  ZERO(3),
  /** A new volume: its size in bytes, its name in the data area. */
  CREATE_VOLUME(4),
  /** A volume's new size in bytes. */
  RESIZE_VOLUME(5),
  /** A volume, snapshot or clone and all its references are gone. */
  DELETE_VOLUME(6),
  /**
   * A read-only snapshot of the volume {@code first} as of this entry, with the entry's volume id
   * and its full name ({@code volume@snapshot}) in the data area. Several in one batch are one
   * consistent point (a group snapshot).
   */
  SNAPSHOT(7),
  /** A writable volume that starts as the snapshot {@code first}; its name in the data area. */
  CLONE(8),
  /**
   * The cleaner moved sectors {@code first..first+count} of a map from log address {@code second}
   * to the entry's data sectors; applied only where the map still points at the old address.
   */
  RELOCATE(9);

  /** Indexed by code; read for every entry of every batch, so no copy of {@code values()}. */
  private static final EntryType[] BY_CODE = new EntryType[16];

  static {
    for (EntryType type : values()) {
      BY_CODE[type.code] = type;
    }
  }

  private final byte code;

  EntryType(int code) {
    this.code = (byte) code;
  }

  public byte code() {
    return code;
  }

  /** The type for a code, or {@code null} for a code no version of the format uses. */
  public static EntryType of(byte code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }
}
