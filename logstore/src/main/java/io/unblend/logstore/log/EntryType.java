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
  /** A volume and all its data are gone. */
  DELETE_VOLUME(6);

  private final byte code;

  EntryType(int code) {
    this.code = (byte) code;
  }

  public byte code() {
    return code;
  }

  /** The type for a code, or {@code null} for a code no version of the format uses. */
  public static EntryType of(byte code) {
    for (EntryType type : values()) {
      if (type.code == code) {
        return type;
      }
    }
    return null;
  }
}
